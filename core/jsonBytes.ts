// JSON written as UTF-8 straight into one growing buffer, instead of built as strings: what dedup
// keys are hashed from (core/canonicalJson.ts) and what the sink's rows are sent to ClickHouse as
// (core/rowLines.ts). Strings of printable ASCII and finite numbers are written byte by byte;
// anything else goes through JSON.stringify, so the bytes are always JSON.stringify's text. A
// ByteSpan (core/byteSpan.ts: a plain ASCII string left as the event's bytes) is copied as it is.
import { ByteSpan } from './byteSpan';

/**
 * The text of the last number written (by any writer): an event's number is written twice, in its
 * row and in its dedup key, and String() of a double is the costly part of writing it.
 */
let lastNumber = 0;
let lastNumberText = '0';

export class JsonBytes {
  protected buf: Buffer;
  protected pos = 0;

  constructor(initialBytes = 1024) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  /** bytes written so far */
  get length(): number {
    return this.pos;
  }

  /** Fixed bytes (a field name's). */
  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < bytes.length; i++) buf[p++] = bytes[i];
    this.pos = p;
  }

  byte(c: number): void {
    this.ensure(1);
    this.buf[this.pos++] = c;
  }

  /** One value as JSON.stringify writes it (undefined, which JSON.stringify leaves out, as null). */
  json(v: unknown): void {
    if (typeof v === 'string') this.string(v);
    else if (typeof v === 'number') this.ascii(!Number.isFinite(v) ? 'null' : v === lastNumber ? lastNumberText : (lastNumberText = String((lastNumber = v))));
    else if (v instanceof ByteSpan) this.span(v);
    else this.utf8(JSON.stringify(v) ?? 'null');
  }

  /** A span's bytes in quotes (they need no escape: the scanner gives spans only for such strings). */
  protected span(v: ByteSpan): void {
    const n = v.end - v.start;
    this.ensure(n + 2);
    const buf = this.buf;
    let p = this.pos;
    buf[p++] = 34; // "
    if (n > 32) { v.buf.copy(buf, p, v.start, v.end); p += n; }
    else { const src = v.buf; for (let i = v.start; i < v.end; i++) buf[p++] = src[i]; }
    buf[p++] = 34;
    this.pos = p;
  }

  /** A string in quotes: printable ASCII byte by byte, anything else (escapes, other characters) as JSON.stringify writes it. */
  protected string(v: string): void {
    const n = v.length;
    this.ensure(n + 2);
    const buf = this.buf;
    let p = this.pos;
    buf[p++] = 34; // "
    for (let i = 0; i < n; i++) {
      const c = v.charCodeAt(i);
      if (c < 0x20 || c === 34 || c === 92 || c >= 0x80) { this.utf8(JSON.stringify(v)); return; }
      buf[p++] = c;
    }
    buf[p++] = 34;
    this.pos = p;
  }

  /** ASCII text (a number's), byte by byte. */
  protected ascii(s: string): void {
    this.ensure(s.length);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < s.length; i++) buf[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** Any text, as UTF-8 (at most 3 bytes per UTF-16 unit). */
  protected utf8(s: string): void {
    this.ensure(3 * s.length);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  protected ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(2 * this.buf.length, this.pos + extra));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
    this.grown();
  }

  /** Called when the buffer was replaced by a larger one. */
  protected grown(): void {}
}
