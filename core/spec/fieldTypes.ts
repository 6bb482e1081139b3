// Field types of the source schema and the ClickHouse types they map to.
export const SCALAR_TYPES = [
  'string', 'bool', 'datetime', 'datetime64', 'json', 'float32', 'float64',
  'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64',
] as const;
export type ScalarType = (typeof SCALAR_TYPES)[number];

/** A scalar type, then "[]" (an array of it) or "{}" (an object of it: a map), then "?" (nullable). */
export const FIELD_TYPE_PATTERN = new RegExp(`^(${SCALAR_TYPES.join('|')})(\\[\\]|\\{\\})?(\\?)?$`);

/**
 * How an event's JSON value becomes a field's value, per type: the one rule the decoder applies
 * (core/event.ts), so keys, rows and the JSON Schema's description (and README) say the same.
 * A value converts only where it has exactly one meaning: number text has one number, but a
 * number has many texts (1, 1.0, 1e0), so text fields take text only.
 */
export const VALUE_RULES: Record<'string' | 'bool' | 'integer' | 'float' | 'datetime' | 'datetime64' | 'json' | 'nullable' | 'array' | 'map', string> = {
  string: 'string: a JSON string, kept as it is; anything else (a number, a boolean, an object) is refused',
  bool: 'bool: JSON true or false, written as 1 or 0; anything else (0, 1, "true") is refused',
  integer: 'int8..int64, uint8..uint64: a JSON number that is a whole number in the type\'s range, or a string of plain decimal digits with an optional "-" and no leading zero ("123" is 123; "0123", "+1", "1e3", " 1" are refused); int64 and uint64 up to 2^53-1',
  float: 'float32, float64: a finite JSON number, or a string in JSON number syntax ("12.5", "-1e3"); "NaN", "Infinity" and other text are refused',
  datetime: 'datetime: ISO-8601 text (without a zone: UTC) or a JSON number of epoch seconds (below 1e11) or milliseconds; written as "YYYY-MM-DD hh:mm:ss" UTC, so milliseconds are dropped',
  datetime64: 'datetime64: the same input as datetime, kept to the millisecond ("YYYY-MM-DD hh:mm:ss.mmm" UTC; keys see the milliseconds); written to a DateTime64 column as epoch seconds, so the column\'s time zone does not shift it',
  json: 'json: a JSON object, kept as it is (for a JSON column, or a String column as its JSON text); anything else is refused',
  nullable: 'type?: null and a missing field are the same value, null; without "?" both are refused (missing_field)',
  array: 'type[]: a JSON array whose every element follows the rule of the type (no null elements)',
  map: 'type{}: a JSON object whose every value follows the rule of the type (no null values), for a Map(String, ...) column',
};

/** The declared type of a field, read as an own member only (a field named "constructor" is not Object's). */
export const declaredType = (fields: Readonly<Record<string, string>>, name: string): string | undefined =>
  Object.hasOwn(fields, name) ? fields[name] : undefined;

/** Key fields are never nullable: a null key has no meaning, and an event without its key goes to the DLQ. */
export const nullableKeyMessage = (field: string, type: string) =>
  `field "${field}" is nullable (${type}): a key field must not be nullable (an event without it goes to the DLQ as missing_key_field); declare it ${type.replace(/\?$/, '')}`;

export interface FieldType {
  base: ScalarType;
  array: boolean;
  /** "type{}": a JSON object of values of the type */
  map: boolean;
  nullable: boolean;
}

/** "int32[]?" -> { base: int32, array: true, nullable: true }; the spec schema has checked the shape. */
export function parseFieldType(text: string): FieldType {
  const m = FIELD_TYPE_PATTERN.exec(text);
  if (!m) throw new Error(`not a field type: ${text}`);
  return { base: m[1] as ScalarType, array: m[2] === '[]', map: m[2] === '{}', nullable: m[3] === '?' };
}

const CH_SCALAR: Record<ScalarType, string> = {
  string: 'String', bool: 'UInt8', datetime: 'DateTime', datetime64: 'DateTime64(3)', json: 'JSON', float32: 'Float32', float64: 'Float64',
  int8: 'Int8', int16: 'Int16', int32: 'Int32', int64: 'Int64',
  uint8: 'UInt8', uint16: 'UInt16', uint32: 'UInt32', uint64: 'UInt64',
};

/** The ClickHouse column type for a field type (Bool is UInt8: ClickHouse 18.16 has no Bool). */
export function clickhouseTypeOf(t: FieldType): string {
  let ch = CH_SCALAR[t.base];
  if (t.array) ch = `Array(${ch})`;
  if (t.map) ch = `Map(String, ${ch})`;
  // ClickHouse has no Nullable(Array), Nullable(Map) or Nullable(JSON): null is written as the empty value
  if (t.nullable && !t.array && !t.map && t.base !== 'json') ch = `Nullable(${ch})`;
  return ch;
}
