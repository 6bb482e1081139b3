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

const inDateRange = (ms: number): number | undefined => (Math.abs(ms) <= 8.64e15 ? ms : undefined);

/** Milliseconds since the epoch from an ISO-8601 string or a number of seconds (< 1e11) or milliseconds. */
export function toEpochMs(v: unknown): number | undefined {
  // beyond ±8.64e15 ms a JavaScript Date is invalid (and toISOString throws): no datetime
  if (typeof v === 'number' && Number.isFinite(v)) return inDateRange(v < 1e11 ? v * 1000 : v);
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

/** The same to the millisecond ("YYYY-MM-DD hh:mm:ss.mmm", UTC): a datetime64 field's value. */
export function clickhouseDateTime64(ms: number): string {
  return new Date(ms).toISOString().slice(0, 23).replace('T', ' ');
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
    case 'datetime':
    case 'datetime64': {
      const ms = toEpochMs(v);
      if (ms === undefined) throw bad('a datetime (ISO-8601 text or epoch seconds/milliseconds)');
      return t.base === 'datetime' ? clickhouseDateTime(ms) : clickhouseDateTime64(ms);
    }
    case 'json':
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw bad('a JSON object');
      return v;
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
  const inner: FieldType = { base: t.base, array: false, map: false, nullable: false };
  if (t.map) {
    if (typeof v !== 'object' || Array.isArray(v)) throw new EventError('type_mismatch', `field "${field}": expected a JSON object (a map)`);
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (x === null || x === undefined) throw new EventError('type_mismatch', `field "${field}": value of "${k}" is null (a map holds no nulls)`);
      out[k] = checkScalar(inner, x, `${field}.${k}`);
    }
    return out;
  }
  if (!t.array) return checkScalar(t, v, field);
  if (!Array.isArray(v)) throw new EventError('type_mismatch', `field "${field}": expected an array`);
  return v.map((x, i) => checkScalar(inner, x, `${field}[${i}]`));
}

export interface DecodedEvent {
  /** every declared field, checked and converted, by dot path (what rows and keys are made of) */
  values: Map<string, unknown>;
  /** event time in ms when the source names an event-time field */
  eventTimeMs?: number;
}

/**
 * Datetime text as most producers send it ("2026-11-29T12:00:00Z", or with ".123" before the Z),
 * remembered by its whole second: the events of one second differ only in their milliseconds, so
 * they skip Date.parse and toISOString. Gives exactly toEpochMs and clickhouseDateTime's results.
 */
class DateTimeMemo {
  private second = '';
  private secondMs = 0;
  private secondText = '';
  /** the ClickHouse text of the last value converted */
  text = '';

  /** Milliseconds since the epoch of v (sets `text`), or undefined when v holds no datetime. */
  convert(v: unknown): number | undefined {
    const frac = typeof v === 'string' ? isoFraction(v) : -1;
    if (frac >= 0 && this.second !== '' && (v as string).startsWith(this.second)) {
      this.text = this.secondText;
      return this.secondMs + frac;
    }
    const ms = toEpochMs(v);
    if (ms === undefined) return undefined;
    this.text = clickhouseDateTime(ms);
    // hour 24 ("T24:00:00Z", the end of a day) is left to Date.parse every time
    if (frac >= 0 && !(v as string).startsWith('24', 11)) {
      this.second = (v as string).slice(0, 19);
      this.secondMs = ms - frac;
      this.secondText = this.text;
    }
    return ms;
  }
}

const isDigit = (c: number) => c >= 48 && c <= 57;

/** The milliseconds of "YYYY-MM-DDThh:mm:ssZ" (0) or "YYYY-MM-DDThh:mm:ss.mmmZ"; -1 for any other text. */
function isoFraction(v: string): number {
  const n = v.length;
  if ((n !== 20 && n !== 24) || v.charCodeAt(n - 1) !== 90 /* Z */ || v.charCodeAt(10) !== 84 /* T */) return -1;
  for (const i of [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]) if (!isDigit(v.charCodeAt(i))) return -1;
  if (v.charCodeAt(4) !== 45 || v.charCodeAt(7) !== 45 || v.charCodeAt(13) !== 58 || v.charCodeAt(16) !== 58) return -1;
  if (n === 20) return 0;
  const a = v.charCodeAt(20) - 48, b = v.charCodeAt(21) - 48, c = v.charCodeAt(22) - 48;
  if (v.charCodeAt(19) !== 46 /* . */ || !isDigit(a + 48) || !isDigit(b + 48) || !isDigit(c + 48)) return -1;
  return a * 100 + b * 10 + c;
}

interface FieldPlan {
  field: string;
  type: FieldType;
  /** the path's steps when it is dotted */
  steps?: string[];
  isKey: boolean;
  /** a scalar datetime field: converted through the memo */
  datetime: boolean;
}

/** A source's field schema, parsed once. */
export class EventDecoder {
  private readonly fields: FieldPlan[];
  private readonly dates = new DateTimeMemo();
  constructor(private readonly source: SourceSpec, keyFields: ReadonlySet<string>) {
    this.fields = Object.entries(source.schema.fields).map(([field, t]) => {
      const type = parseFieldType(t);
      return { field, type, steps: field.includes('.') ? field.split('.') : undefined, isKey: keyFields.has(field), datetime: type.base === 'datetime' && !type.array };
    });
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
    const et = this.source.schema.eventTime;
    let eventTimeMs: number | undefined;
    let eventTimeSeen = false;
    for (const f of this.fields) {
      const v = f.steps ? getPath(raw, f.field) : Object.hasOwn(raw, f.field) ? (raw as Record<string, unknown>)[f.field] : undefined;
      if (v === undefined || v === null) {
        if (f.isKey) throw new EventError('missing_key_field', `missing key field "${f.field}"`);
        values.set(f.field, checkValue(f.type, v, f.field));
        continue;
      }
      if (!f.datetime) { values.set(f.field, checkValue(f.type, v, f.field)); continue; }
      const ms = this.dates.convert(v);
      if (ms === undefined) checkScalar(f.type, v, f.field); // throws the field's type_mismatch
      values.set(f.field, this.dates.text);
      if (f.field === et) { eventTimeMs = ms; eventTimeSeen = true; }
    }
    if (et !== undefined) {
      if (!eventTimeSeen) eventTimeMs = toEpochMs(getPath(raw, et));
      if (eventTimeMs === undefined) throw new EventError('invalid_event_time', `field "${et}" holds no valid event time`);
    }
    return { values, eventTimeMs };
  }
}
