// Decoding one raw Kafka value against a source's field schema. Pure: no I/O.
// A value that cannot be decoded gets a reason; the sink sends it to the DLQ with that reason.
import { getPath } from './paths';
import { parseFieldType, type FieldType } from './spec/fieldTypes';
import type { SourceSpec } from './spec/schema';

export type DlqReason =
  | 'malformed_json' | 'not_an_object' | 'missing_field' | 'missing_key_field' | 'type_mismatch' | 'invalid_event_time'
  | 'empty_message' | 'invalid_utf8' | 'oversized' | 'rejected_by_clickhouse';

export class EventError extends Error {
  constructor(readonly reason: DlqReason, message: string) {
    super(message);
  }
}

const INT_RANGE: Record<string, [number, number]> = {
  int8: [-128, 127], int16: [-32768, 32767], int32: [-2147483648, 2147483647], int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  uint8: [0, 255], uint16: [0, 65535], uint32: [0, 4294967295], uint64: [0, Number.MAX_SAFE_INTEGER],
};

// the text forms numbers may take (VALUE_RULES in core/spec/fieldTypes.ts)
const INTEGER_TEXT = /^-?(0|[1-9]\d*)$/;
const FLOAT_TEXT = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

/** Milliseconds since the epoch from an ISO-8601 string or a number of seconds (< 1e11) or milliseconds. */
export function toEpochMs(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v < 1e11 ? v * 1000 : v;
  if (typeof v === 'string' && v.length > 0) {
    const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(v) || !/\d\d:\d\d/.test(v) ? v : `${v.replace(' ', 'T')}Z`);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

/** ClickHouse DateTime text ("YYYY-MM-DD hh:mm:ss", UTC), accepted by every version. */
export function clickhouseDateTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

function checkScalar(t: FieldType, v: unknown, field: string): unknown {
  const bad = (what: string) => new EventError('type_mismatch', `field "${field}": expected ${what}, got ${JSON.stringify(v)?.slice(0, 60)}`);
  switch (t.base) {
    case 'string':
      if (typeof v !== 'string') throw bad('a string');
      return v;
    case 'bool':
      if (typeof v !== 'boolean') throw bad('a boolean');
      return v ? 1 : 0;
    case 'float32':
    case 'float64': {
      const n = typeof v === 'string' && FLOAT_TEXT.test(v) ? Number(v) : v;
      if (typeof n !== 'number' || !Number.isFinite(n)) throw bad('a number (or number text like "12.5")');
      return n;
    }
    case 'datetime': {
      const ms = toEpochMs(v);
      if (ms === undefined) throw bad('a datetime (ISO-8601 text or epoch seconds/milliseconds)');
      return clickhouseDateTime(ms);
    }
    default: {
      const n = typeof v === 'string' && INTEGER_TEXT.test(v) ? Number(v) : v;
      const [lo, hi] = INT_RANGE[t.base];
      if (typeof n !== 'number' || !Number.isInteger(n) || n < lo || n > hi) throw bad(`an integer of type ${t.base}`);
      return n;
    }
  }
}

/** Checks one field's value and converts it to what ClickHouse's JSONEachRow expects (the rules: VALUE_RULES). */
export function checkValue(t: FieldType, v: unknown, field: string): unknown {
  if (v === undefined || v === null) {
    if (t.nullable) return null;
    throw new EventError('missing_field', `missing field "${field}"`);
  }
  if (!t.array) return checkScalar(t, v, field);
  if (!Array.isArray(v)) throw new EventError('type_mismatch', `field "${field}": expected an array`);
  const inner: FieldType = { base: t.base, array: false, nullable: false };
  return v.map((x, i) => checkScalar(inner, x, `${field}[${i}]`));
}

export interface DecodedEvent {
  /** every declared field, checked and converted, by dot path (what rows and keys are made of) */
  values: Map<string, unknown>;
  /** event time in ms when the source names an event-time field */
  eventTimeMs?: number;
}

/** A source's field schema, parsed once. */
export class EventDecoder {
  private readonly fields: Array<[string, FieldType]>;
  constructor(private readonly source: SourceSpec, private readonly keyFields: ReadonlySet<string>) {
    this.fields = Object.entries(source.schema.fields).map(([f, t]) => [f, parseFieldType(t)]);
  }

  decode(text: string | null): DecodedEvent {
    if (text === null || text.length === 0) throw new EventError('empty_message', 'empty Kafka message (tombstone)');
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (e) {
      throw new EventError('malformed_json', `malformed JSON: ${(e as Error).message}`);
    }
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new EventError('not_an_object', 'expected a JSON object');
    const values = new Map<string, unknown>();
    for (const [field, t] of this.fields) {
      const v = getPath(raw, field);
      if ((v === undefined || v === null) && this.keyFields.has(field)) throw new EventError('missing_key_field', `missing key field "${field}"`);
      values.set(field, checkValue(t, v, field));
    }
    const et = this.source.schema.eventTime;
    let eventTimeMs: number | undefined;
    if (et !== undefined) {
      eventTimeMs = toEpochMs(getPath(raw, et));
      if (eventTimeMs === undefined) throw new EventError('invalid_event_time', `field "${et}" holds no valid event time`);
    }
    return { values, eventTimeMs };
  }
}
