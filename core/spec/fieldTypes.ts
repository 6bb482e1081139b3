// Field types of the source schema and the ClickHouse types they map to.
export const SCALAR_TYPES = [
  'string', 'bool', 'datetime', 'float32', 'float64',
  'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64',
] as const;
export type ScalarType = (typeof SCALAR_TYPES)[number];

export const FIELD_TYPE_PATTERN = new RegExp(`^(${SCALAR_TYPES.join('|')})(\\[\\])?(\\?)?$`);

export interface FieldType {
  base: ScalarType;
  array: boolean;
  nullable: boolean;
}

/** "int32[]?" -> { base: int32, array: true, nullable: true }; the spec schema has checked the shape. */
export function parseFieldType(text: string): FieldType {
  const m = FIELD_TYPE_PATTERN.exec(text);
  if (!m) throw new Error(`not a field type: ${text}`);
  return { base: m[1] as ScalarType, array: m[2] === '[]', nullable: m[3] === '?' };
}

const CH_SCALAR: Record<ScalarType, string> = {
  string: 'String', bool: 'UInt8', datetime: 'DateTime', float32: 'Float32', float64: 'Float64',
  int8: 'Int8', int16: 'Int16', int32: 'Int32', int64: 'Int64',
  uint8: 'UInt8', uint16: 'UInt16', uint32: 'UInt32', uint64: 'UInt64',
};

/** The ClickHouse column type for a field type (Bool is UInt8: ClickHouse 18.16 has no Bool). */
export function clickhouseTypeOf(t: FieldType): string {
  let ch = CH_SCALAR[t.base];
  if (t.array) ch = `Array(${ch})`;
  if (t.nullable) ch = `Nullable(${ch})`;
  return ch;
}

const CH_TYPE = /^(Nullable\()?(Array\()?(String|UInt8|UInt16|UInt32|UInt64|Int8|Int16|Int32|Int64|Float32|Float64|DateTime|Date|LowCardinality\(String\))\)?\)?$/;
/** Column types Sluice knows how to write (a subset every ClickHouse since 18.16 accepts). */
export function isSupportedClickhouseType(t: string): boolean {
  const m = CH_TYPE.exec(t);
  if (!m) return false;
  const opened = (m[1] ? 1 : 0) + (m[2] ? 1 : 0);
  const closed = (t.match(/\)/g) ?? []).length - (m[3].includes('(') ? 1 : 0);
  return opened === closed;
}
