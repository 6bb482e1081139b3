// Canonical JSON: object keys sorted at every depth, so equal values give equal text whatever the
// key order (what dedup keys are hashes of, core/dedupKey.ts). CanonicalWriter writes it as UTF-8
// into one reused buffer (core/jsonBytes.ts) instead of building a string: per event, the string, its pieces and the
// UTF-8 copy made for the hash were about 700 bytes of garbage. Its bytes are canonicalJson's text.
import { JsonBytes } from './jsonBytes';
import { ByteSpan } from './byteSpan';

/** JSON with object keys sorted at every depth, so equal events give equal text whatever the key order. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const obj = v as Record<string, unknown>;
  return `{${Object.keys(obj).sort().filter((k) => obj[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

/** Views of the buffer's first n bytes are kept for n below this (a key's bytes are hashed, never held). */
const VIEWS_UP_TO = 4096;

export class CanonicalWriter extends JsonBytes {
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

  /** One value as canonicalJson writes it: an object or array with its keys sorted, anything else as JSON.stringify writes it. */
  value(v: unknown): void {
    if (v !== null && typeof v === 'object' && !(v instanceof ByteSpan)) this.utf8(canonicalJson(v));
    else this.json(v);
  }

  protected override grown(): void {
    this.views = [];
  }
}
