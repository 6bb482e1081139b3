// Canonical JSON: object keys sorted at every depth, so equal values give equal text whatever the
// key order (what dedup keys are hashes of, core/dedupKey.ts). CanonicalWriter writes it as UTF-8
// into one reused buffer instead of building a string: per event, the string, its pieces and the
// UTF-8 copy made for the hash were about 700 bytes of garbage. Its bytes are canonicalJson's text.

/** JSON with object keys sorted at every depth, so equal events give equal text whatever the key order. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const obj = v as Record<string, unknown>;
  return `{${Object.keys(obj).sort().filter((k) => obj[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

/** Views of the buffer's first n bytes are kept for n below this (a key's bytes are hashed, never held). */
const VIEWS_UP_TO = 4096;

export class CanonicalWriter {
  private buf = Buffer.allocUnsafe(1024);
  private pos = 0;
  private views: Buffer[] = [];

  reset(): void {
    this.pos = 0;
  }

  /** The bytes written since the last reset (a view, valid until the next write). */
  bytes(): Buffer {
    const n = this.pos;
    if (n >= VIEWS_UP_TO) return this.buf.subarray(0, n);
    return (this.views[n] ??= this.buf.subarray(0, n));
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

  /** One value as canonicalJson writes it: strings and numbers directly, anything else through canonicalJson. */
  value(v: unknown): void {
    if (typeof v === 'string') this.string(v);
    else if (typeof v === 'number') this.ascii(Number.isFinite(v) ? String(v) : 'null');
    else this.text(canonicalJson(v));
  }

  /** A string in quotes: printable ASCII byte by byte, anything else (escapes, other characters) as JSON.stringify writes it. */
  private string(v: string): void {
    const n = v.length;
    this.ensure(n + 2);
    const buf = this.buf;
    let p = this.pos;
    buf[p++] = 34; // "
    for (let i = 0; i < n; i++) {
      const c = v.charCodeAt(i);
      if (c < 0x20 || c === 34 || c === 92 || c >= 0x80) { this.text(JSON.stringify(v)); return; }
      buf[p++] = c;
    }
    buf[p++] = 34;
    this.pos = p;
  }

  /** ASCII text (a number's), byte by byte. */
  private ascii(s: string): void {
    this.ensure(s.length);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < s.length; i++) buf[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** Any text, as UTF-8 (at most 3 bytes per UTF-16 unit). */
  private text(s: string): void {
    this.ensure(3 * s.length);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  private ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(2 * this.buf.length, this.pos + extra));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
    this.views = [];
  }
}
