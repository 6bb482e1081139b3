// Field types inferred from a sample of Kafka values: what the wizard proposes as the source
// schema (each type editable). Pure: no I/O. Values that are not JSON objects are set apart with
// the DLQ reason the decoder (core/event.ts) would give them.
import { EventDecoder, EventError, toEpochMs, type DlqReason } from '../event';
import type { SourceSpec } from '../spec/schema';
import type { ScalarType } from '../spec/fieldTypes';

export interface InferredField {
  /** dot path of the field (nested objects are flattened) */
  name: string;
  /** a spec field type: string, int32, float64, datetime, ...; "[]" array, "?" nullable */
  type: string;
  /** how many sampled objects hold a non-null value */
  present: number;
  /** a few sampled values, as JSON text */
  examples: string[];
}
export interface Rejected { index: number; reason: DlqReason; error: string; value: string | null }
export interface InferredSchema {
  fields: InferredField[];
  /** fields whose every value is a datetime: candidates for the event time */
  eventTimeCandidates: string[];
  /** the sampled values that are JSON objects, parsed, with their index in the sample */
  objects: Array<{ index: number; value: Record<string, unknown> }>;
  rejected: Rejected[];
}

// the decoder with no declared field: it only checks the value is a JSON object (the same reasons)
const objectCheck = new EventDecoder({ schema: { fields: {} } } as unknown as SourceSpec, new Set());

/** Parses each value the way the decoder does: a JSON object, or a DLQ reason. */
export function parseSample(values: ReadonlyArray<string | null>): Pick<InferredSchema, 'objects' | 'rejected'> {
  const objects: InferredSchema['objects'] = [];
  const rejected: Rejected[] = [];
  values.forEach((value, index) => {
    try {
      objectCheck.decode(value);
      objects.push({ index, value: JSON.parse(value!) as Record<string, unknown> });
    } catch (e) {
      if (!(e instanceof EventError)) throw e;
      rejected.push({ index, reason: e.reason, error: e.message, value });
    }
  });
  return { objects, rejected };
}

type Kind = 'string' | 'datetime' | 'bool' | 'float' | 'int' | 'uint';
interface Acc { kinds: Set<Kind>; array: boolean; scalar: boolean; nulls: number; present: number; min: number; max: number; examples: string[] }

// text that looks like a date (ISO-8601 or "YYYY-MM-DD hh:mm:ss"), not any text Date.parse accepts
const DATE_TEXT = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?([zZ]|[+-]\d{2}:?\d{2})?$/;

function kindOf(v: unknown, acc: Acc): Kind | undefined {
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) return 'float';
    acc.min = Math.min(acc.min, v);
    acc.max = Math.max(acc.max, v);
    return v < 0 ? 'int' : 'uint';
  }
  if (typeof v === 'string') return DATE_TEXT.test(v) && toEpochMs(v) !== undefined ? 'datetime' : 'string';
  return undefined;
}

function walk(obj: Record<string, unknown>, prefix: string, seen: Map<string, Acc>, here: Set<string>): void {
  for (const [k, v] of Object.entries(obj)) {
    const name = prefix + k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) { walk(v as Record<string, unknown>, `${name}.`, seen, here); continue; }
    let acc = seen.get(name);
    if (!acc) seen.set(name, (acc = { kinds: new Set(), array: false, scalar: false, nulls: 0, present: 0, min: Infinity, max: -Infinity, examples: [] }));
    here.add(name);
    if (v === null) { acc.nulls++; continue; }
    acc.present++;
    if (acc.examples.length < 3) acc.examples.push(JSON.stringify(v).slice(0, 80));
    const items = Array.isArray(v) ? v : [v];
    if (Array.isArray(v)) acc.array = true; else acc.scalar = true;
    for (const x of items) { const kind = kindOf(x, acc); acc.kinds.add(kind ?? 'string'); }
  }
}

function scalarOf(acc: Acc): ScalarType {
  const k = acc.kinds;
  if (k.size === 0) return 'string';
  if (k.size === 1 && k.has('bool')) return 'bool';
  if (k.size === 1 && k.has('datetime')) return 'datetime';
  if ([...k].every((x) => x === 'int' || x === 'uint' || x === 'float')) {
    if (k.has('float')) return 'float64';
    if (!k.has('int')) return acc.max <= 4294967295 ? 'uint32' : 'uint64';
    return acc.min >= -2147483648 && acc.max <= 2147483647 ? 'int32' : 'int64';
  }
  return 'string';
}

/** The schema of a sample: one field per dot path seen in any object, nullable when some object lacks it or holds null. */
export function inferSchema(values: ReadonlyArray<string | null>): InferredSchema {
  const { objects, rejected } = parseSample(values);
  const seen = new Map<string, Acc>();
  const counts = new Map<string, number>();
  for (const { value } of objects) {
    const here = new Set<string>();
    walk(value, '', seen, here);
    for (const f of here) counts.set(f, (counts.get(f) ?? 0) + 1);
  }
  const fields: InferredField[] = [...seen].map(([name, acc]) => {
    const nullable = acc.nulls > 0 || (counts.get(name) ?? 0) < objects.length;
    const type = `${scalarOf(acc)}${acc.array && !acc.scalar ? '[]' : ''}${nullable ? '?' : ''}`;
    return { name, type, present: acc.present, examples: acc.examples };
  });
  const eventTimeCandidates = fields.filter((f) => f.type === 'datetime').map((f) => f.name);
  return { fields, eventTimeCandidates, objects, rejected };
}
