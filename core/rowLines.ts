// A sink batch's rows as ClickHouse receives them: JSONEachRow text, each row written into one
// growing buffer as it is made (core/jsonBytes.ts), and that buffer sent as the INSERT's body.
// Rows used to be objects, held until their batch was committed and then serialised by the
// client: per row an object, its values and a JSON string, most of which lived long enough for
// the garbage collector to copy them. Now a pending row is bytes outside the V8 heap.
import { JsonBytes } from './jsonBytes';

const NEWLINE = 0x0a;

export class RowLines extends JsonBytes {
  /** where each line ends (after its newline) */
  private readonly ends: number[] = [];
  /** where the row being written began */
  private start = 0;

  /** Rows from lines of other batches (each with its newline). */
  static from(lines: readonly Uint8Array[]): RowLines {
    const out = new RowLines(lines.reduce((n, l) => n + l.length, 0) || 1);
    for (const l of lines) { out.begin(); out.raw(l); out.ends.push(out.pos); }
    return out;
  }

  get count(): number {
    return this.ends.length;
  }

  /** Starts a row: its text follows (raw, byte, json), then end() or abort(). */
  begin(): void {
    this.start = this.pos;
  }

  end(): void {
    this.byte(NEWLINE);
    this.ends.push(this.pos);
  }

  /** Drops the row being written. */
  abort(): void {
    this.pos = this.start;
  }

  /** Drops the last row ended. */
  dropLast(): void {
    this.ends.pop();
    this.pos = this.ends.length ? this.ends[this.ends.length - 1] : 0;
  }

  /** Every line (a view, valid until the next write). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  /** Line i with its newline (a view). */
  line(i: number): Buffer {
    return this.buf.subarray(i === 0 ? 0 : this.ends[i - 1], this.ends[i]);
  }

  lines(): Buffer[] {
    return this.ends.map((_, i) => this.line(i));
  }

  /** Row i's JSON text. */
  text(i: number): string {
    return this.buf.toString('utf8', i === 0 ? 0 : this.ends[i - 1], this.ends[i] - 1);
  }

  /** The rows as objects (previews and tests; the sink sends the bytes). */
  objects(): Array<Record<string, unknown>> {
    return this.ends.map((_, i) => JSON.parse(this.text(i)) as Record<string, unknown>);
  }
}
