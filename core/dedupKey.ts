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
import type { DecodedEvent } from './event';

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

/** Builds the function that turns a decoded event into its hashed key. */
export function keyFunction(dedup: DedupSpec, hash: (text: string) => string = hashKey): (e: DecodedEvent) => string {
  const { key } = dedup;
  if (typeof key === 'string') return (e) => hash(canonicalJson(e.values.get(key)));
  if (Array.isArray(key)) return (e) => hash(canonicalJson(key.map((k) => e.values.get(k))));
  const ignored = (field: string) => key.ignore.some((p) => field === p || field.startsWith(`${p}.`));
  return (e) => {
    // the whole event: every declared field but the ignored ones ("meta" ignores "meta.received" too)
    const kept: Record<string, unknown> = Object.create(null);
    for (const [field, v] of e.values) if (!ignored(field)) kept[field] = v;
    return hash(canonicalJson(kept));
  };
}
