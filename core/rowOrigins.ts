// Where each pending row came from, for the DLQ when ClickHouse rejects the row. Held from the
// row's raw batch until its sink batch is committed, so it is kept by column, not as an object
// per row: per row a reference to its raw batch's RawOrigin, an index, and the key and time (one
// object and one value text per row were most of what the garbage collector copied per event).
import type { RawOrigin } from './envelope';

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
  private readonly index: number[] = [];
  private readonly keys: Array<string | undefined> = [];
  /** NaN where a row has no key */
  private readonly times: number[] = [];

  get length(): number {
    return this.index.length;
  }

  /** The row from value i of a raw batch, with its dedup key and time when it has one. */
  push(from: RawOrigin, i: number, key?: string, t?: number): void {
    this.from.push(from);
    this.index.push(i);
    this.keys.push(key);
    this.times.push(t ?? Number.NaN);
  }

  /** Row j of another list. */
  pushFrom(other: RowOrigins, j: number): void {
    this.from.push(other.from[j]);
    this.index.push(other.index[j]);
    this.keys.push(other.keys[j]);
    this.times.push(other.times[j]);
  }

  /** Arrival time of row j (without making its origin). */
  arrivalOf(j: number): number {
    return this.from[j].a;
  }

  at(j: number): RowOrigin {
    const f = this.from[j];
    const i = this.index[j];
    const o: RowOrigin = { s: f.s, topic: f.t, partition: f.p, offset: f.o[i], value: f.value(i), at: f.a };
    const key = this.keys[j];
    if (key !== undefined) { o.key = key; o.t = this.times[j]; }
    return o;
  }

  list(): RowOrigin[] {
    return Array.from({ length: this.length }, (_, j) => this.at(j));
  }
}
