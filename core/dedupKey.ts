// The dedup key of an event: one field, several fields, or the whole event minus ignored fields.
// Every mode reads the decoded, typed values (core/event.ts), never the raw JSON: two events that
// become the same row ({"n": 123} and {"n": "123"} for an int64 n; null and a missing nullable
// field) have the same key. Keys are hashed to 16 hex characters (64 bits) so state per key
// stays small and fixed in size: xxHash64 (@node-rs/xxhash: native, synchronous, about 4x faster
// than MD5 here). Journals written before it (entry version 1) hold MD5 keys (legacyHashKey):
// core/sinkState.ts keeps checking those until they have expired.
import { createHash } from 'node:crypto';
import { endianness } from 'node:os';
import { xxh64 } from '@node-rs/xxhash';
import type { DedupSpec } from './spec/schema';
import type { DecodedEvent, EventFields } from './event';
import { CanonicalWriter } from './canonicalJson';

export { canonicalJson } from './canonicalJson';

/** The key hash of a text, or of its UTF-8 (the same hash). */
export const hashKey = (text: string | Uint8Array): string => xxh64(text).toString(16).padStart(16, '0');

/** The key hash of journal entries of version 1: the first 64 bits of MD5. */
export const legacyHashKey = (text: string | Uint8Array): string => createHash('md5').update(text).digest('hex').slice(0, 16);

/** The fields a dedup spec reads (so the decoder can report a missing key field by name). */
export function keyFieldsOf(dedup: DedupSpec | undefined): string[] {
  if (!dedup) return [];
  return typeof dedup.key === 'string' ? [dedup.key] : Array.isArray(dedup.key) ? dedup.key : [];
}

/**
 * Writes the canonical JSON of the fields a key reads, for events with `fields`: the whole-event
 * text from the kept fields sorted once (the same text canonicalJson gives of an object of them).
 */
function keyWriter(key: DedupSpec['key'], fields: EventFields): (values: unknown[], w: CanonicalWriter) => void {
  const at = (f: string) => fields.index.get(f) ?? -1;
  const get = (values: unknown[], i: number) => (i < 0 ? undefined : values[i]);
  if (typeof key === 'string') {
    const i = at(key);
    return (values, w) => w.value(get(values, i));
  }
  if (Array.isArray(key)) {
    const idx = key.map(at);
    return (values, w) => {
      w.byte(0x5b); // [
      for (let j = 0; j < idx.length; j++) {
        if (j) w.byte(0x2c); // ,
        w.value(get(values, idx[j]) ?? null);
      }
      w.byte(0x5d); // ]
    };
  }
  // the whole event: every declared field but the ignored ones ("meta" ignores "meta.received" too)
  const ignored = (field: string) => key.ignore.some((p) => field === p || field.startsWith(`${p}.`));
  const kept = fields.names.filter((f) => !ignored(f)).sort();
  const idx = kept.map(at);
  const names = kept.map((f) => Buffer.from(`${JSON.stringify(f)}:`));
  return (values, w) => {
    w.byte(0x7b); // {
    let first = true;
    for (let j = 0; j < idx.length; j++) {
      const v = values[idx[j]];
      if (v === undefined) continue;
      if (!first) w.byte(0x2c);
      first = false;
      w.raw(names[j]);
      w.value(v);
    }
    w.byte(0x7d); // }
  };
}

/** Builds the function that gives the UTF-8 of a decoded event's key's canonical JSON (a view, valid until its next call). */
function keyBytesFunction(dedup: DedupSpec): (e: DecodedEvent) => Buffer {
  // built for the fields of the events it is given (one decoder's: built once)
  let fields: EventFields | undefined;
  let write: (values: unknown[], w: CanonicalWriter) => void = () => undefined;
  const w = new CanonicalWriter();
  return (e) => {
    if (e.fields !== fields) { fields = e.fields; write = keyWriter(dedup.key, fields); }
    w.reset();
    write(e.values, w);
    return w.bytes();
  };
}

/** Builds the function that turns a decoded event into its hashed key: `hash` of the UTF-8 of the key's canonical JSON. */
export function keyFunction(dedup: DedupSpec, hash: (utf8: Uint8Array) => string = hashKey): (e: DecodedEvent) => string {
  const bytes = keyBytesFunction(dedup);
  return (e) => hash(bytes(e));
}

/**
 * The last key keyHalvesFunction hashed, as its two 32-bit halves (overwritten by the next): the
 * xxHash64 BigInt stored in a 64-bit typed array and read back as two 32-bit words. The sink's
 * key store takes the halves; making the 16-hex text and parsing it back cost about as much as the
 * hash (500 ns per key), so the text is made only for what keeps it (journal entries, core/sinkState.ts).
 */
const wide = new BigUint64Array(1);
const words = new Uint32Array(wide.buffer);
const [HI, LO] = endianness() === 'LE' ? [1, 0] : [0, 1];
export const lastKeyHi = (): number => words[HI];
export const lastKeyLo = (): number => words[LO];

/** keyFunction's key, as halves: after a call, lastKeyHi() and lastKeyLo() are keyHalves(keyFunction(dedup)(e)). */
export function keyHalvesFunction(dedup: DedupSpec): (e: DecodedEvent) => void {
  const bytes = keyBytesFunction(dedup);
  return (e) => { wide[0] = xxh64(bytes(e)); };
}
