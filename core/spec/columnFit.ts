// Which ClickHouse column types take a field's values, and how a value is written to each.
// The one rule behind the spec check of sink.columns[].type, the existing-table check and the
// wizard's mapping check. Pure: no I/O.
import type { ChType } from './clickhouseTypes';
import { parseClickhouseType, printClickhouseType } from './clickhouseTypes';
import { clickhouseTypeOf, type FieldType, type ScalarType } from './fieldTypes';
import { EventError } from '../event';

const INT_BITS: Record<string, [signed: boolean, bits: number]> = {
  int8: [true, 8], int16: [true, 16], int32: [true, 32], int64: [true, 64],
  uint8: [false, 8], uint16: [false, 16], uint32: [false, 32], uint64: [false, 64],
  Int8: [true, 8], Int16: [true, 16], Int32: [true, 32], Int64: [true, 64],
  UInt8: [false, 8], UInt16: [false, 16], UInt32: [false, 32], UInt64: [false, 64],
};
/** decimal digits of the largest value of a field's integer type (int64/uint64 hold up to 2^53-1) */
const INT_DIGITS: Record<string, number> = { int8: 3, int16: 5, int32: 10, int64: 16, uint8: 3, uint16: 5, uint32: 10, uint64: 16 };

/** Does an integer column hold every value of the integer field type `f`? */
function intHolds(f: string, col: string): boolean {
  const [fs, fb] = INT_BITS[f];
  const [cs, cb] = INT_BITS[col];
  if (fs && !cs) return false;
  return cs && !fs ? cb > fb : cb >= fb;
}

/** Does the scalar column `c` take values of the scalar field type `base`? */
function scalarFits(base: ScalarType, c: ChType): boolean {
  const k = c.kind;
  switch (base) {
    case 'string': return ['String', 'UUID', 'IPv4', 'IPv6', 'Enum8', 'Enum16'].includes(k);
    case 'bool': return k === 'UInt8' || k === 'Bool';
    case 'datetime': return k === 'DateTime' || k === 'DateTime64';
    case 'datetime64': return k === 'DateTime64' && c.precision >= 3; // fewer digits would cut the milliseconds
    case 'json': return k === 'JSON' || k === 'String';
    case 'float32': return k === 'Float32' || k === 'Float64' || k === 'Decimal';
    case 'float64': return k === 'Float64' || k === 'Decimal';
    default: return (k in INT_BITS && intHolds(base, k)) || (k === 'Decimal' && c.precision - c.scale >= INT_DIGITS[base]);
  }
}

const unwrapLow = (c: ChType): ChType => (c.kind === 'LowCardinality' ? c.of : c);
/** The type without its LowCardinality and Nullable wrappers (LowCardinality(Nullable(String)) → String). */
function bare(c: ChType): ChType {
  const t = unwrapLow(c);
  return t.kind === 'Nullable' ? unwrapLow(t.of) : t;
}

/** null when a column of type `col` takes every value of the field type, else why not. */
export function fitProblem(f: FieldType, col: ChType): string | null {
  let c = unwrapLow(col);
  const want = () => `a ${f.base}${f.array ? '[]' : f.map ? '{}' : ''}${f.nullable ? '?' : ''} field needs ${clickhouseTypeOf(f)}`;
  if (c.kind === 'Nullable') c = unwrapLow(c.of);
  else if (f.nullable && !f.array && !f.map && f.base !== 'json') return `${want()} (the field may be null; the column is not Nullable)`;
  if (f.array) {
    if (c.kind !== 'Array') return want();
    c = bare(c.of);
  } else if (f.map) {
    if (c.kind !== 'Map') return want();
    c = bare(c.value);
  }
  return scalarFits(f.base, c) ? null : want();
}

/** The column type text's problem for the field: not a type Sluice writes, or one that does not take the field. */
export function columnTypeProblem(f: FieldType | undefined, text: string): string | null {
  const col = parseClickhouseType(text);
  if (typeof col === 'string') return `unsupported ClickHouse type: ${col}`;
  const p = f ? fitProblem(f, col) : null;
  return p && `the column is ${printClickhouseType(col)}; ${p}`;
}

/** What a null is written as where the column cannot be Nullable (Array, Map, JSON): the type's empty value. */
export function emptyValueOf(col: ChType): unknown {
  const c = unwrapLow(col);
  if (c.kind === 'Array') return [];
  if (c.kind === 'Map' || c.kind === 'JSON') return {};
  return undefined;
}

/** "2026-11-29 12:00:00[.123]" (UTC) → epoch seconds text "1764417600[.123]": a DateTime64 reads it in no time zone. */
function epochSecondsText(text: string): string {
  const ms = Date.parse(`${text.replace(' ', 'T')}Z`);
  const s = Math.floor(ms / 1000);
  const frac = ms - s * 1000;
  return frac === 0 ? String(s) : `${s}.${String(frac).padStart(3, '0')}`;
}

/** A number's plain decimal text (no exponent). */
function plainDecimal(n: number): string {
  if (Number.isInteger(n)) return BigInt(n).toString();
  const s = String(n);
  if (!/e/i.test(s)) return s;
  return n.toFixed(20).replace(/0+$/, '');
}

function decimalWriter(precision: number, scale: number, field: string): (v: unknown) => unknown {
  return (v) => {
    const text = plainDecimal(v as number);
    const [whole, frac = ''] = text.replace('-', '').split('.');
    if (frac.length > scale || (whole === '0' ? 0 : whole.length) > precision - scale) {
      throw new EventError('type_mismatch', `field "${field}": ${text} does not fit Decimal(${precision}, ${scale}) (ClickHouse would cut it)`);
    }
    // as a JSON number where its shortest text is plain (18.16 reads no quoted Decimal), else as text (current servers read it)
    return /e/i.test(String(v)) ? text : v;
  };
}

/**
 * How the field's checked value (core/event.ts) is written to the column, when not as it is:
 * datetimes to DateTime64 as epoch seconds, numbers to Decimal checked to fit (refused, as a
 * type_mismatch, when the column would cut digits), JSON objects to String as their text.
 */
export function columnWriter(f: FieldType, col: ChType, field: string): ((v: unknown) => unknown) | undefined {
  const c = bare(col);
  const scalar = c.kind === 'Array' ? bare(c.of) : c.kind === 'Map' ? bare(c.value) : c;
  let one: ((v: unknown) => unknown) | undefined;
  if (scalar.kind === 'DateTime64' && (f.base === 'datetime' || f.base === 'datetime64')) one = (v) => epochSecondsText(v as string);
  else if (scalar.kind === 'Decimal') one = decimalWriter(scalar.precision, scalar.scale, field);
  else if (scalar.kind === 'String' && f.base === 'json') one = (v) => JSON.stringify(v);
  if (!one) return undefined;
  const each = one;
  if (f.array) return (v) => (v === null ? v : (v as unknown[]).map(each));
  if (f.map) return (v) => (v === null ? v : Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, each(x)])));
  return (v) => (v === null ? v : each(v));
}
