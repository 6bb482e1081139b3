// The dedup key of an event: one field, several fields, or the whole event minus ignored fields.
// Every mode reads the decoded, typed values (core/event.ts), never the raw JSON: two events that
// become the same row ({"n": 123} and {"n": "123"} for an int64 n; null and a missing nullable
// field) have the same key. Keys are hashed to 16 hex characters (64 bits) so state per key
// stays small and fixed in size: xxHash64 (@node-rs/xxhash: native, synchronous, about 4x faster
// than MD5 here). Journals written before it (entry version 1) hold MD5 keys (legacyHashKey):
// core/sinkState.ts keeps checking those until they have expired.
import { createHash } from 'node:crypto';
import { xxh64 } from '@node-rs/xxhash';
import type { DedupSpec } from './spec/schema';
import type { DecodedEvent, EventFields } from './event';

/** JSON with object keys sorted at every depth, so equal events give equal text whatever the key order. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const obj = v as Record<string, unknown>;
  return `{${Object.keys(obj).sort().filter((k) => obj[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

export const hashKey = (text: string): string => xxh64(text).toString(16).padStart(16, '0');

/** The key hash of journal entries of version 1: the first 64 bits of MD5. */
export const legacyHashKey = (text: string): string => createHash('md5').update(text).digest('hex').slice(0, 16);

/** The fields a dedup spec reads (so the decoder can report a missing key field by name). */
export function keyFieldsOf(dedup: DedupSpec | undefined): string[] {
  if (!dedup) return [];
  return typeof dedup.key === 'string' ? [dedup.key] : Array.isArray(dedup.key) ? dedup.key : [];
}

/** A character JSON.stringify writes otherwise than as itself: a quote, a backslash, a control character, a surrogate (lone ones are escaped). */
const ESCAPED = /["\\\u0000-\u001f\ud800-\udfff]/;

/** The text of one value in canonical JSON (what canonicalJson gives), with strings and numbers the short way. */
function valueJson(v: unknown): string {
  if (typeof v === 'string') return ESCAPED.test(v) ? JSON.stringify(v) : `"${v}"`;
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null';
  return canonicalJson(v);
}

/**
 * The canonical JSON of the fields a key reads, for events with `fields`: the whole-event text is
 * built from the kept fields sorted once (the same text canonicalJson gives of an object of them).
 */
function keyText(key: DedupSpec['key'], fields: EventFields): (values: unknown[]) => string {
  const at = (f: string) => fields.index.get(f) ?? -1;
  const get = (values: unknown[], i: number) => (i < 0 ? undefined : values[i]);
  if (typeof key === 'string') {
    const i = at(key);
    return (values) => valueJson(get(values, i));
  }
  if (Array.isArray(key)) {
    const idx = key.map(at);
    return (values) => {
      let text = '[';
      for (let j = 0; j < idx.length; j++) text += (j ? ',' : '') + valueJson(get(values, idx[j]) ?? null);
      return `${text}]`;
    };
  }
  // the whole event: every declared field but the ignored ones ("meta" ignores "meta.received" too)
  const ignored = (field: string) => key.ignore.some((p) => field === p || field.startsWith(`${p}.`));
  const kept = fields.names.filter((f) => !ignored(f)).sort();
  const idx = kept.map(at);
  const names = kept.map((f) => `${JSON.stringify(f)}:`);
  return (values) => {
    let text = '';
    for (let j = 0; j < idx.length; j++) {
      const v = values[idx[j]];
      if (v !== undefined) text += (text ? ',' : '') + names[j] + valueJson(v);
    }
    return `{${text}}`;
  };
}

/** Builds the function that turns a decoded event into its hashed key. */
export function keyFunction(dedup: DedupSpec, hash: (text: string) => string = hashKey): (e: DecodedEvent) => string {
  // built for the fields of the events it is given (one decoder's: built once)
  let fields: EventFields | undefined;
  let text: (values: unknown[]) => string = () => '';
  return (e) => {
    if (e.fields !== fields) { fields = e.fields; text = keyText(dedup.key, fields); }
    return hash(text(e.values));
  };
}
