// Where each pending row came from, for the DLQ when ClickHouse rejects the row. Held from the
// row's raw batch until its sink batch is committed, so it is kept by column, not as an object
// per row: per row a reference to its raw batch's RawOrigin, an index, and the key (as its two
// halves: no text) and time (one object and one value text per row were most of what the garbage
// collector copied per event). The numbers are in typed columns (core/numberColumn.ts): off the heap.
import type { RawOrigin } from './envelope';
import { keyText } from './dedupWindow';
import { NumberColumn } from './numberColumn';

/** One row's origin, made when asked for. */
export interface RowOrigin {
  s: number;
  topic: string;
  partition: number;
  offset: number;
  value: string | null;
  at: number;
  key?: string;
  t?: number;
}

export class RowOrigins {
  private readonly from: RawOrigin[] = [];
  private readonly index: NumberColumn;
  /** the key's halves (core/dedupWindow.ts keyHalves); NaN where a row has no key */
  private readonly keyHi: NumberColumn;
  private readonly keyLo: NumberColumn;
  /** NaN where a row has no key */
  private readonly times: NumberColumn;

  /** `capacity`: the rows expected (the batch before's), so the columns seldom grow */
  constructor(capacity?: number) {
    this.index = new NumberColumn(capacity);
    this.keyHi = new NumberColumn(capacity);
    this.keyLo = new NumberColumn(capacity);
    this.times = new NumberColumn(capacity);
  }

  get length(): number {
    return this.index.length;
  }

  /** The row from value i of a raw batch, without a dedup key. */
  push(from: RawOrigin, i: number): void {
    this.pushKeyed(from, i, Number.NaN, Number.NaN, Number.NaN);
  }

  /** The row from value i of a raw batch, with its dedup key's halves and its time. */
  pushKeyed(from: RawOrigin, i: number, hi: number, lo: number, t: number): void {
    this.from.push(from);
    this.index.push(i);
    this.keyHi.push(hi);
    this.keyLo.push(lo);
    this.times.push(t);
  }

  /** Row j of another list. */
  pushFrom(other: RowOrigins, j: number): void {
    this.from.push(other.from[j]);
    this.index.push(other.index.at(j));
    this.keyHi.push(other.keyHi.at(j));
    this.keyLo.push(other.keyLo.at(j));
    this.times.push(other.times.at(j));
  }

  /** Arrival time of row j (without making its origin). */
  arrivalOf(j: number): number {
    return this.from[j].a;
  }

  at(j: number): RowOrigin {
    const f = this.from[j];
    const i = this.index.at(j);
    const o: RowOrigin = { s: f.s, topic: f.t, partition: f.p, offset: f.o[i], value: f.value(i), at: f.a };
    const t = this.times.at(j);
    if (!Number.isNaN(t)) { o.key = keyText(this.keyHi.at(j), this.keyLo.at(j)); o.t = t; }
    return o;
  }

  list(): RowOrigin[] {
    return Array.from({ length: this.length }, (_, j) => this.at(j));
  }
}
