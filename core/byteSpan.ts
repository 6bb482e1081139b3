// A string field's value as the bytes it has in the event, not as a JavaScript string: what the
// sink's decoder gives for a field declared `string` whose value is plain ASCII without escapes
// (core/fieldScanner.ts). Its JSON is its bytes in quotes, so the row writer and the key writer
// (core/jsonBytes.ts) copy them straight from the raw batch; no string is made for it (a text and
// a slice per event were about a tenth of what the sink allocated per event). A span is reused by
// the next event: it is valid only while its event is being processed. Pure.
export class ByteSpan {
  buf: Buffer = Buffer.alloc(0);
  start = 0;
  end = 0;

  /** The value as a string. */
  text(): string {
    return this.buf.toString('latin1', this.start, this.end);
  }

  toJSON(): string {
    return this.text();
  }
}

/** v, with a ByteSpan made a string (what a value that outlives its event, or any other reader than the writers, needs). */
export const plainValue = (v: unknown): unknown => (v instanceof ByteSpan ? v.text() : v);
