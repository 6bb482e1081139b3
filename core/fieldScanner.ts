// The decoder's fast path for the usual event: one flat JSON object whose values are strings
// without escapes, numbers, true, false or null. FieldScanner reads the declared fields' values
// straight from the event's UTF-8 bytes, without the event's text and without the object
// JSON.parse builds (JSON.parse was about 1.3 µs of the decoder's 2.3 µs per event, the text
// another 0.1–0.2 µs). It gives up on anything else — an escape, a nested value, any syntax
// error — and the decoder then takes JSON.parse's path, so every result and every error message
// is still JSON.parse's. The bytes are valid UTF-8 (ingest marks any other value), so no byte of
// a multi-byte character is ever taken for a quote, a brace or a digit. Pure.
import { ByteSpan } from './byteSpan';

const enum C { Tab = 9, Lf = 10, Cr = 13, Space = 32, Quote = 34, Plus = 43, Comma = 44, Minus = 45, Dot = 46, Zero = 48, Nine = 57, Colon = 58, E = 69, Backslash = 92, LowerE = 101, OpenBrace = 123, CloseBrace = 125 }

const isDigit = (c: number) => c >= C.Zero && c <= C.Nine;

/** 10^d for d = 0..22: exact doubles */
const POW10 = Array.from({ length: 23 }, (_, d) => 10 ** d);

const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');
const NULL = Buffer.from('null');

/** Set by numberEnd: the number's value when it has no exponent and at most 15 digits (NaN otherwise). */
let numberValue = Number.NaN;
/** Set by stringEnd: whether the string had a byte of a multi-byte character. */
let nonAscii = false;

export class FieldScanner {
  private readonly names: Buffer[];
  /** per field, the span its ASCII string value is given as (core/byteSpan.ts; reused by every event), or none: a string */
  private readonly spans: Array<ByteSpan | undefined>;
  /** `asSpans`: the fields whose ASCII string values are given as ByteSpans */
  constructor(names: readonly string[], asSpans: ReadonlySet<string> = new Set()) {
    this.names = names.map((f) => Buffer.from(f));
    this.spans = names.map((f) => (asSpans.has(f) ? new ByteSpan() : undefined));
  }

  /** The field whose name is bytes [k, k + len), trying `guess` first (events mostly keep one order); -1: none. */
  private fieldAt(b: Buffer, k: number, len: number, guess: number): number {
    const names = this.names;
    const m = names.length;
    for (let j = 0, f = guess; j < m; j++, f = f + 1 === m ? 0 : f + 1) {
      const name = names[f];
      if (name.length !== len) continue;
      let i = 0;
      while (i < len && name[i] === b[k + i]) i++;
      if (i === len) return f;
    }
    return -1;
  }

  /**
   * Sets out[i] to the value of field names[i] (undefined when the object lacks it; a ByteSpan for
   * an ASCII string of a field of `asSpans`) from the JSON in b[start, end); false when it is not a flat object of plain values (out is then unspecified:
   * the caller parses the text).
   */
  scan(b: Buffer, start: number, end: number, out: unknown[]): boolean {
    const names = this.names;
    for (let i = 0; i < names.length; i++) out[i] = undefined;
    let p = ws(b, start, end);
    if (p >= end || b[p] !== C.OpenBrace) return false;
    p = ws(b, p + 1, end);
    if (p < end && b[p] === C.CloseBrace) return ws(b, p + 1, end) === end;
    let guess = 0;
    let text: string | undefined;
    for (;;) {
      // a key
      if (p >= end || b[p] !== C.Quote) return false;
      const k = p + 1;
      const kEnd = stringEnd(b, k, end);
      if (kEnd < 0) return false;
      const field = this.fieldAt(b, k, kEnd - k, guess);
      // (a key given twice: the last value stays, as with JSON.parse)
      if (field >= 0) guess = field + 1 === names.length ? 0 : field + 1;
      p = ws(b, kEnd + 1, end);
      if (p >= end || b[p] !== C.Colon) return false;
      p = ws(b, p + 1, end);
      if (p >= end) return false;
      // its value
      const c = b[p];
      let next: number;
      let value: unknown;
      if (c === C.Quote) {
        next = stringEnd(b, p + 1, end);
        if (next < 0) return false;
        if (field >= 0) {
          const span = this.spans[field];
          if (nonAscii) value = b.toString('utf8', p + 1, next);
          else if (span) { span.buf = b; span.start = p + 1; span.end = next; value = span; }
          // ASCII: a piece of the whole value's one-byte text (one string made per event, not one per field)
          else value = (text ??= b.toString('latin1', start, end)).slice(p + 1 - start, next - start);
        }
        next++;
      } else if (c === C.Minus || isDigit(c)) {
        next = numberEnd(b, p, end);
        if (next < 0) return false;
        // a short decimal is exactly m / 10^d, correctly rounded as JSON.parse rounds it (both are exact doubles)
        if (field >= 0) value = Number.isNaN(numberValue) ? Number(b.toString('latin1', p, next)) : numberValue;
      } else if (word(b, p, end, TRUE)) { next = p + 4; value = true; }
      else if (word(b, p, end, FALSE)) { next = p + 5; value = false; }
      else if (word(b, p, end, NULL)) { next = p + 4; value = null; }
      else return false; // a nested object or array, or not JSON
      if (field >= 0) out[field] = value;
      p = ws(b, next, end);
      if (p >= end) return false;
      const sep = b[p];
      if (sep === C.Comma) { p = ws(b, p + 1, end); continue; }
      if (sep === C.CloseBrace) return ws(b, p + 1, end) === end;
      return false;
    }
  }
}

/** The position after JSON whitespace from p (end at most). */
function ws(b: Buffer, p: number, end: number): number {
  for (; p < end; p++) {
    const c = b[p];
    if (c !== C.Space && c !== C.Lf && c !== C.Cr && c !== C.Tab) return p;
  }
  return end;
}

const word = (b: Buffer, p: number, end: number, w: Buffer): boolean => {
  if (p + w.length > end) return false;
  for (let i = 0; i < w.length; i++) if (b[p + i] !== w[i]) return false;
  return true;
};

/** The closing quote of a string whose bytes start at p; -1 for an escape, a control character or no end. Sets nonAscii. */
function stringEnd(b: Buffer, p: number, end: number): number {
  let high = false;
  for (; p < end; p++) {
    const c = b[p];
    if (c === C.Quote) { nonAscii = high; return p; }
    if (c === C.Backslash || c < 0x20) return -1;
    if (c >= 0x80) high = true;
  }
  return -1;
}

/**
 * The end of a JSON number starting at p (-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?), -1 when there is
 * none; sets numberValue.
 */
function numberEnd(b: Buffer, p: number, end: number): number {
  const at = (i: number) => (i < end ? b[i] : -1);
  const neg = at(p) === C.Minus;
  if (neg) p++;
  const start = p;
  let m = 0;
  const first = at(p);
  if (first === C.Zero) p++;
  else if (isDigit(first)) { for (let c = first; isDigit(c); c = at(++p)) m = m * 10 + (c - C.Zero); }
  else return -1;
  let digits = p - start;
  let scale = 0;
  if (at(p) === C.Dot) {
    p++;
    if (!isDigit(at(p))) return -1;
    for (let c = at(p); isDigit(c); c = at(++p)) { m = m * 10 + (c - C.Zero); scale++; }
    digits += scale;
  }
  numberValue = digits <= 15 ? (neg ? -m : m) / POW10[scale] : Number.NaN;
  const e = at(p);
  if (e === C.E || e === C.LowerE) {
    numberValue = Number.NaN;
    p++;
    const s = at(p);
    if (s === C.Plus || s === C.Minus) p++;
    if (!isDigit(at(p))) return -1;
    while (isDigit(at(p))) p++;
  }
  return p;
}
