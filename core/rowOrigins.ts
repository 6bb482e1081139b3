// Where each pending row came from, for the DLQ when ClickHouse rejects the row. Held from the
// row's raw batch until its sink batch is committed, so it is kept by column, not as an object
// per row: per row a reference to its raw batch's RawOrigin, an index, and the key (as its two
// halves: no text) and time (one object and one value text per row were most of what the garbage
// collector copied per event).
import type { RawOrigin } from './envelope';
import { keyText } from './dedupWindow';

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
  /** the key's halves (core/dedupWindow.ts keyHalves); NaN where a row has no key */
  private readonly keyHi: number[] = [];
  private readonly keyLo: number[] = [];
  /** NaN where a row has no key */
  private readonly times: number[] = [];

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
    this.index.push(other.index[j]);
    this.keyHi.push(other.keyHi[j]);
    this.keyLo.push(other.keyLo[j]);
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
    if (!Number.isNaN(this.times[j])) { o.key = keyText(this.keyHi[j], this.keyLo[j]); o.t = this.times[j]; }
    return o;
  }

  list(): RowOrigin[] {
    return Array.from({ length: this.length }, (_, j) => this.at(j));
  }
}
