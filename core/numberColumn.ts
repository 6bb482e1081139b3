// A growable column of numbers held in a Float64Array, for per-row values kept until a sink batch
// is committed (row origins, new dedup keys and their times). A plain number[] of that length
// lives in V8's young generation and is copied by every scavenge until it is promoted, and a
// value that is not a small integer (a key half, a time in ms) is boxed on its way into it; the
// typed array's storage is outside the heap and holds the doubles as they are.
export class NumberColumn {
  private data: Float64Array;
  length = 0;

  /** `capacity`: the number of values before the first growth (a batch's rows: the last batch's) */
  constructor(capacity = 1024) {
    this.data = new Float64Array(Math.max(16, capacity));
  }

  push(v: number): void {
    if (this.length === this.data.length) this.grow();
    this.data[this.length++] = v;
  }

  /** value i, for i < length */
  at(i: number): number {
    return this.data[i];
  }

  /** the values, as a view of the column's storage (valid until the next push) */
  view(): Float64Array {
    return this.data.subarray(0, this.length);
  }

  /** the values as an array (a loop: Array.from of a typed array goes through its iterator) */
  toArray(): number[] {
    const out = new Array<number>(this.length);
    for (let i = 0; i < this.length; i++) out[i] = this.data[i];
    return out;
  }

  private grow(): void {
    const next = new Float64Array(this.data.length * 2);
    next.set(this.data);
    this.data = next;
  }
}
