// Decoding one raw Kafka value against a source's field schema. Pure: no I/O.
// A value that cannot be decoded gets a reason; the sink sends it to the DLQ with that reason.
import { getPath } from './paths';
import { FieldScanner } from './fieldScanner';
import { ByteSpan, plainValue } from './byteSpan';
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
  if (!t.array && !t.map) return checkScalar(t, v, field);
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
  if (!Array.isArray(v)) throw new EventError('type_mismatch', `field "${field}": expected an array`);
  return v.map((x, i) => checkScalar(inner, x, `${field}[${i}]`));
}

/**
 * checkValue for one field, with the common cases first (a string, a finite number, an integer
 * in range, a boolean present as such); every other value goes through checkValue, which gives
 * the same result or error.
 */
function fieldChecker(t: FieldType, field: string): (v: unknown) => unknown {
  const general = (v: unknown) => checkValue(t, v, field);
  if (t.array || t.map) return general;
  switch (t.base) {
    case 'string': return (v) => (typeof v === 'string' || v instanceof ByteSpan ? v : general(v));
    case 'bool': return (v) => (v === true ? 1 : v === false ? 0 : general(v));
    case 'float32': case 'float64': return (v) => (typeof v === 'number' && Number.isFinite(v) ? v : general(v));
    case 'datetime': case 'datetime64': case 'json': return general;
    default: {
      const [lo, hi] = INT_RANGE[t.base];
      return (v) => (typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi ? v : general(v));
    }
  }
}

/** The declared fields of a source in the decoder's order, and the index of each (shared by every event one decoder gives). */
export interface EventFields {
  readonly names: readonly string[];
  readonly index: ReadonlyMap<string, number>;
}

export const eventFields = (names: readonly string[]): EventFields => ({ names, index: new Map(names.map((n, i) => [n, i])) });

export interface DecodedEvent {
  /** the declared fields (dot paths), in the order of `values` */
  fields: EventFields;
  /** every declared field's value, checked and converted (what rows and keys are made of) */
  values: unknown[];
  /** event time in ms when the source names an event-time field */
  eventTimeMs?: number;
}

/** The value of a field of a decoded event (undefined: the source does not declare it). */
export function valueOf(e: DecodedEvent, field: string): unknown {
  const i = e.fields.index.get(field);
  return i === undefined ? undefined : e.values[i];
}

/** Seconds DateTimeMemo holds at most (a copy sent minutes after its event still finds its second, mostly). */
const MEMO_SECONDS = 512;

/**
 * Datetime text as most producers send it ("2026-11-29T12:00:00Z", or with ".123" before the Z),
 * remembered by its whole second (up to MEMO_SECONDS of them): the events of one second differ
 * only in their milliseconds, so they skip Date.parse and toISOString. Gives exactly toEpochMs and clickhouseDateTime's results.
 */
class DateTimeMemo {
  /** by second (isoSecond), direct-mapped: slot second % MEMO_SECONDS holds the last second seen that maps to it */
  private readonly seconds = new Float64Array(MEMO_SECONDS).fill(-1);
  private readonly secondMs = new Float64Array(MEMO_SECONDS);
  private readonly secondTexts = new Array<string>(MEMO_SECONDS).fill('');
  /** the ClickHouse text of the last value converted */
  text = '';

  /** Milliseconds since the epoch of v (a string or a ByteSpan: sets `text`), or undefined when v holds no datetime. */
  convert(v: unknown): number | undefined {
    const frac = typeof v === 'string' ? isoFraction(v, 0, v.length) : v instanceof ByteSpan ? isoFraction(v.buf, v.start, v.end - v.start) : -1;
    const second = isoSecond;
    const slot = second % MEMO_SECONDS;
    if (frac >= 0 && this.seconds[slot] === second) {
      this.text = this.secondTexts[slot];
      return this.secondMs[slot] + frac;
    }
    const ms = toEpochMs(plainValue(v));
    if (ms === undefined) return undefined;
    this.text = clickhouseDateTime(ms);
    // hour 24 ("T24:00:00Z", the end of a day) is left to Date.parse every time
    if (frac >= 0 && isoHour !== 24) {
      this.seconds[slot] = second;
      this.secondMs[slot] = ms - frac;
      this.secondTexts[slot] = this.text;
    }
    return ms;
  }
}

/** The positions of the digits of "YYYY-MM-DDThh:mm:ss". */
const SECOND_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];

/** Set by isoFraction when it accepts a text: the digits of its whole second (YYYYMMDDhhmmss) as one number, and its hour. */
let isoSecond = 0;
let isoHour = 0;

/** Character i of a text given as a string, or as bytes from `at`. */
const charAt = (v: string | Uint8Array, at: number, i: number): number => (typeof v === 'string' ? v.charCodeAt(i) : v[at + i]);

/**
 * The milliseconds of "YYYY-MM-DDThh:mm:ssZ" (0) or "YYYY-MM-DDThh:mm:ss.mmmZ" (and sets isoSecond),
 * the n characters of v (a string, or ASCII bytes from `at`); -1 for any other text.
 */
function isoFraction(v: string | Uint8Array, at: number, n: number): number {
  if ((n !== 20 && n !== 24) || charAt(v, at, n - 1) !== 90 /* Z */ || charAt(v, at, 10) !== 84 /* T */) return -1;
  if (charAt(v, at, 4) !== 45 || charAt(v, at, 7) !== 45 || charAt(v, at, 13) !== 58 || charAt(v, at, 16) !== 58) return -1;
  let second = 0;
  for (let j = 0; j < SECOND_DIGITS.length; j++) {
    const d = charAt(v, at, SECOND_DIGITS[j]) - 48;
    if (d < 0 || d > 9) return -1;
    second = second * 10 + d;
  }
  let frac = 0;
  if (n === 24) {
    if (charAt(v, at, 19) !== 46 /* . */) return -1;
    for (let j = 20; j < 23; j++) {
      const d = charAt(v, at, j) - 48;
      if (d < 0 || d > 9) return -1;
      frac = frac * 10 + d;
    }
  }
  isoSecond = second;
  isoHour = Math.floor(second / 10_000) % 100;
  return frac;
}

interface FieldPlan {
  field: string;
  type: FieldType;
  /** the path's steps when it is dotted */
  steps?: string[];
  /** a name Object.prototype has ("constructor"): read as an own member only */
  shadowed: boolean;
  isKey: boolean;
  /** a scalar datetime field: converted through the memo */
  datetime: boolean;
  check: (v: unknown) => unknown;
}

/** A source's field schema, parsed once. */
export class EventDecoder {
  readonly fields: EventFields;
  private readonly plans: FieldPlan[];
  private readonly dates = new DateTimeMemo();
  /** the event-time field's index when it is a datetime field the memo converts (else read apart) */
  private readonly eventTimeAt: number;
  /** the event-time field's index among the fields (-1: none, or not a declared field) */
  private readonly eventTimeField: number;
  /** the fast path (core/fieldScanner.ts): none when a field is a dotted path (its events are nested) */
  private readonly scanner?: FieldScanner;
  /** each field's value as the event gives it, before it is checked (reused) */
  private readonly found: unknown[];
  /** the one event every decode returns when the decoder was made with `reuse` (else undefined) */
  private readonly reused?: DecodedEvent;
  /**
   * `reuse`: every decode returns the same DecodedEvent and values array, overwritten by the next
   * decode (no object per event), for a caller that keeps neither past its next call (the sink
   * and the shard router; a join copies the values it holds).
   * `spans` (with `reuse`): a `string` field's plain ASCII value is a ByteSpan of the event's bytes
   * (core/byteSpan.ts), for a caller that only writes values (JsonBytes and CanonicalWriter write
   * spans; plainValue makes one a string); a `datetime` field's is read from its bytes too.
   */
  constructor(private readonly source: SourceSpec, keyFields: ReadonlySet<string>, opts: { reuse?: boolean; spans?: boolean } = {}) {
    this.plans = Object.entries(source.schema.fields).map(([field, t]) => {
      const type = parseFieldType(t);
      return {
        field, type, steps: field.includes('.') ? field.split('.') : undefined, shadowed: field in Object.prototype,
        isKey: keyFields.has(field), datetime: type.base === 'datetime' && !type.array && !type.map, check: fieldChecker(type, field),
      };
    });
    this.fields = eventFields(this.plans.map((f) => f.field));
    const et = source.schema.eventTime;
    this.eventTimeField = this.plans.findIndex((f) => f.field === et);
    this.eventTimeAt = this.plans[this.eventTimeField]?.datetime ? this.eventTimeField : -1;
    this.found = new Array<unknown>(this.plans.length);
    // a span is reused by the next event: only with `reuse`. The plain string fields but an event-time one (read as a
    // string), and the datetime fields the memo converts.
    const spanFields = opts.spans && opts.reuse
      ? new Set(this.plans.filter((f) => f.datetime || (f.type.base === 'string' && !f.type.array && !f.type.map && f.field !== et)).map((f) => f.field)) : undefined;
    if (!this.plans.some((f) => f.steps) && (et === undefined || this.eventTimeField >= 0)) this.scanner = new FieldScanner(this.plans.map((f) => f.field), spanFields);
    if (opts.reuse) this.reused = { fields: this.fields, values: new Array<unknown>(this.plans.length), eventTimeMs: undefined };
  }

  /** JSON.parse's path: the object, and each field's value in it (`found`). */
  private parse(text: string): unknown {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (e) {
      throw new EventError('malformed_json', `malformed JSON: ${(e as Error).message}`);
    }
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new EventError('not_an_object', 'expected a JSON object');
    const obj = raw as Record<string, unknown>;
    const plans = this.plans;
    for (let i = 0; i < plans.length; i++) {
      const f = plans[i];
      this.found[i] = f.steps ? getPath(raw, f.field) : !f.shadowed || Object.hasOwn(obj, f.field) ? obj[f.field] : undefined;
    }
    return raw;
  }

  /** An event from its UTF-8 bytes b[start, start + len) (a raw batch's; len -1: a tombstone): the fast path when it reads them, else decode() of their text. */
  decodeAt(b: Buffer, start: number, len: number): DecodedEvent {
    if (len > 0 && this.scanner?.scan(b, start, start + len, this.found)) return this.checked(undefined);
    return this.decode(len < 0 ? null : b.toString('utf8', start, start + len));
  }

  decode(text: string | null): DecodedEvent {
    if (text === null || text.length === 0) throw new EventError('empty_message', 'empty Kafka message (tombstone)');
    return this.checked(this.parse(text));
  }

  /** The event from the fields' values in `found` (`raw`: the object JSON.parse made, when it did). */
  private checked(raw: unknown): DecodedEvent {
    const found = this.found;
    const plans = this.plans;
    const reused = this.reused;
    const values = reused ? reused.values : new Array<unknown>(plans.length);
    let eventTimeMs: number | undefined;
    for (let i = 0; i < plans.length; i++) {
      const f = plans[i];
      const v = found[i];
      if (v === undefined || v === null) {
        if (f.isKey) throw new EventError('missing_key_field', `missing key field "${f.field}"`);
        values[i] = checkValue(f.type, v, f.field);
      } else if (!f.datetime) {
        values[i] = f.check(v);
      } else {
        const ms = this.dates.convert(v);
        if (ms === undefined) checkScalar(f.type, plainValue(v), f.field); // throws the field's type_mismatch
        values[i] = this.dates.text;
        if (i === this.eventTimeAt) eventTimeMs = ms;
      }
    }
    const et = this.source.schema.eventTime;
    if (et !== undefined) {
      if (this.eventTimeAt < 0 || values[this.eventTimeAt] === null) eventTimeMs = toEpochMs(this.eventTimeField >= 0 ? found[this.eventTimeField] : getPath(raw, et));
      if (eventTimeMs === undefined) throw new EventError('invalid_event_time', `field "${et}" holds no valid event time`);
    }
    if (!reused) return { fields: this.fields, values, eventTimeMs };
    reused.eventTimeMs = eventTimeMs;
    return reused;
  }
}
