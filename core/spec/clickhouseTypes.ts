// ClickHouse column types: parsed from the text a spec gives or DESCRIBE TABLE answers, and
// printed back the way the server prints them (DESCRIBE's form), so two spellings of one type
// ("Decimal64(4)" and "Decimal(18, 4)", "DateTime64(3,'UTC')" and "DateTime64(3, 'UTC')")
// compare equal. Only the types Sluice writes are parsed; anything else is an error naming it.
// Pure: no I/O.
import { escapeQuoted } from './sqlText';

const PLAIN = [
  'String', 'UUID', 'IPv4', 'IPv6', 'Bool', 'Date', 'Date32', 'JSON',
  'UInt8', 'UInt16', 'UInt32', 'UInt64', 'Int8', 'Int16', 'Int32', 'Int64', 'Float32', 'Float64',
] as const;
export type PlainType = (typeof PLAIN)[number];

export type ChType =
  | { kind: PlainType }
  | { kind: 'DateTime'; tz?: string }
  | { kind: 'DateTime64'; precision: number; tz?: string }
  | { kind: 'Decimal'; precision: number; scale: number }
  | { kind: 'Enum8' | 'Enum16'; values: Array<[string, number]> }
  | { kind: 'Nullable' | 'LowCardinality' | 'Array'; of: ChType }
  | { kind: 'Map'; key: ChType; value: ChType };

type Token = { t: 'word' | 'num' | 'str' | 'sym'; v: string };

function tokens(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) { i++; continue; }
    if ('(),='.includes(c)) { out.push({ t: 'sym', v: c }); i++; continue; }
    if (c === "'") {
      let v = '';
      for (i++; ; i++) {
        if (i >= text.length) throw new Error('a quoted name is not closed');
        if (text[i] === '\\' && i + 1 < text.length) { v += text[++i]; continue; }
        if (text[i] === "'" && text[i + 1] === "'") { v += "'"; i++; continue; }
        if (text[i] === "'") { i++; break; }
        v += text[i];
      }
      out.push({ t: 'str', v });
      continue;
    }
    const m = /^(-?\d+|[A-Za-z_][A-Za-z0-9_]*)/.exec(text.slice(i));
    if (!m) throw new Error(`unexpected "${c}"`);
    out.push({ t: /^-?\d/.test(m[1]) ? 'num' : 'word', v: m[1] });
    i += m[1].length;
  }
  return out;
}

const DECIMAL_WIDTH: Record<string, number> = { Decimal32: 9, Decimal64: 18, Decimal128: 38, Decimal256: 76 };
const ENUM_RANGE = { Enum8: [-128, 127], Enum16: [-32768, 32767] } as const;
/** What LowCardinality wraps here: strings and numbers (ClickHouse refuses it over most other types by default). */
const LOW_CARDINALITY_OF = new Set(['String', 'UInt8', 'UInt16', 'UInt32', 'UInt64', 'Int8', 'Int16', 'Int32', 'Int64', 'Float32', 'Float64', 'Date', 'DateTime']);

class Parser {
  private at = 0;
  constructor(private readonly toks: Token[]) {}
  done(): boolean { return this.at >= this.toks.length; }
  private next(): Token {
    const t = this.toks[this.at++];
    if (!t) throw new Error('the type ends too early');
    return t;
  }
  private peek(v: string): boolean { return this.toks[this.at]?.v === v && this.toks[this.at].t === 'sym'; }
  private expect(v: string): void {
    const t = this.next();
    if (t.t !== 'sym' || t.v !== v) throw new Error(`expected "${v}", found "${t.v}"`);
  }
  private int(what: string, lo: number, hi: number): number {
    const t = this.next();
    const n = Number(t.v);
    if (t.t !== 'num' || n < lo || n > hi) throw new Error(`${what} must be a whole number from ${lo} to ${hi}, found "${t.v}"`);
    return n;
  }
  private str(what: string): string {
    const t = this.next();
    if (t.t !== 'str') throw new Error(`${what} must be a quoted name, found "${t.v}"`);
    return t.v;
  }

  type(): ChType {
    const w = this.next();
    if (w.t !== 'word') throw new Error(`expected a type name, found "${w.v}"`);
    const name = w.v;
    if ((PLAIN as readonly string[]).includes(name)) return { kind: name as PlainType };
    switch (name) {
      case 'DateTime': {
        if (!this.peek('(')) return { kind: 'DateTime' };
        this.expect('(');
        const tz = this.str('a DateTime time zone');
        this.expect(')');
        return { kind: 'DateTime', tz };
      }
      case 'DateTime64': {
        this.expect('(');
        const precision = this.int('DateTime64 precision', 0, 9);
        let tz: string | undefined;
        if (this.peek(',')) { this.expect(','); tz = this.str('a DateTime64 time zone'); }
        this.expect(')');
        return tz === undefined ? { kind: 'DateTime64', precision } : { kind: 'DateTime64', precision, tz };
      }
      case 'Decimal': {
        this.expect('(');
        const precision = this.int('Decimal precision', 1, 76);
        let scale = 0;
        if (this.peek(',')) { this.expect(','); scale = this.int('Decimal scale', 0, precision); }
        this.expect(')');
        return { kind: 'Decimal', precision, scale };
      }
      case 'Decimal32': case 'Decimal64': case 'Decimal128': case 'Decimal256': {
        this.expect('(');
        const scale = this.int(`${name} scale`, 0, DECIMAL_WIDTH[name]);
        this.expect(')');
        return { kind: 'Decimal', precision: DECIMAL_WIDTH[name], scale };
      }
      case 'Enum8': case 'Enum16': {
        const [lo, hi] = ENUM_RANGE[name];
        this.expect('(');
        const values: Array<[string, number]> = [];
        for (;;) {
          const label = this.str(`an ${name} value`);
          this.expect('=');
          values.push([label, this.int(`${name} value '${label}'`, lo, hi)]);
          if (!this.peek(',')) break;
          this.expect(',');
        }
        this.expect(')');
        if (new Set(values.map(([l]) => l)).size !== values.length) throw new Error(`${name} names a value twice`);
        if (new Set(values.map(([, n]) => n)).size !== values.length) throw new Error(`${name} gives two values one number`);
        return { kind: name, values };
      }
      case 'Nullable': case 'LowCardinality': case 'Array': {
        this.expect('(');
        const of = this.type();
        this.expect(')');
        if (name === 'Nullable' && ['Nullable', 'Array', 'Map', 'LowCardinality', 'JSON'].includes(of.kind)) throw new Error(`Nullable cannot hold ${of.kind}`);
        const inner = of.kind === 'Nullable' ? of.of : of;
        if (name === 'LowCardinality' && !LOW_CARDINALITY_OF.has(inner.kind)) throw new Error(`LowCardinality of ${inner.kind} is not supported (strings and numbers are)`);
        return { kind: name, of };
      }
      case 'Map': {
        this.expect('(');
        const key = this.type();
        this.expect(',');
        const value = this.type();
        this.expect(')');
        if (key.kind !== 'String') throw new Error('a Map key must be String');
        return { kind: 'Map', key, value };
      }
      default:
        throw new Error(`unsupported type ${name}`);
    }
  }
}

/** The type `text` names, or the reason it is not one Sluice writes. */
export function parseClickhouseType(text: string): ChType | string {
  try {
    const p = new Parser(tokens(text));
    const t = p.type();
    if (!p.done()) return `unexpected text after the type in "${text}"`;
    return t;
  } catch (e) {
    return `${(e as Error).message} in "${text}"`;
  }
}

const quote = (s: string) => escapeQuoted(s, "'");

/** The type as DESCRIBE TABLE prints it. */
export function printClickhouseType(t: ChType): string {
  switch (t.kind) {
    case 'DateTime': return t.tz === undefined ? 'DateTime' : `DateTime(${quote(t.tz)})`;
    case 'DateTime64': return t.tz === undefined ? `DateTime64(${t.precision})` : `DateTime64(${t.precision}, ${quote(t.tz)})`;
    case 'Decimal': return `Decimal(${t.precision}, ${t.scale})`;
    case 'Enum8': case 'Enum16': return `${t.kind}(${t.values.map(([l, n]) => `${quote(l)} = ${n}`).join(', ')})`;
    case 'Nullable': case 'LowCardinality': case 'Array': return `${t.kind}(${printClickhouseType(t.of)})`;
    case 'Map': return `Map(${printClickhouseType(t.key)}, ${printClickhouseType(t.value)})`;
    default: return t.kind;
  }
}

/** `text` in DESCRIBE's form, or undefined when it is not a type Sluice writes. */
export function canonicalClickhouseType(text: string): string | undefined {
  const t = parseClickhouseType(text);
  return typeof t === 'string' ? undefined : printClickhouseType(t);
}

/** The type families a type uses ("Map", "DateTime64", ...), to check against the server's. */
export function typeFamilies(t: ChType, into = new Set<string>()): Set<string> {
  into.add(t.kind);
  if ('of' in t) typeFamilies(t.of, into);
  if (t.kind === 'Map') { typeFamilies(t.key, into); typeFamilies(t.value, into); }
  return into;
}

/** The families of the type `text` names (none when it is not a type Sluice writes: validation names it). */
export function familiesOf(text: string): Set<string> {
  const t = parseClickhouseType(text);
  return typeof t === 'string' ? new Set() : typeFamilies(t);
}
