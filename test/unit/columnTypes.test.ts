// ClickHouse column types: parsing and DESCRIBE's form, which columns take which fields, how values
// are written, and what a server lacks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalClickhouseType, familiesOf, parseClickhouseType } from '../../core/spec/clickhouseTypes';
import { columnTypeProblem, columnWriter, emptyValueOf, fitProblem } from '../../core/spec/columnFit';
import { parseFieldType } from '../../core/spec/fieldTypes';
import { EventDecoder, EventError, valueOf } from '../../core/event';
import { missingTypeProblems, parseServerVersion } from '../../core/serverVersion';

// what DESCRIBE TABLE printed on 26.9.2.1 (and 18.16.1 for the types it has) for these columns
const DESCRIBED = [
  "DateTime64(3, 'Europe/Berlin')", 'DateTime64(3)', 'Decimal(10, 2)', 'Map(String, UInt64)', 'JSON', "Enum8('x' = 1, 'y' = 2)",
  'IPv4', 'IPv6', 'UUID', 'LowCardinality(Nullable(String))', 'Decimal(18, 4)', 'Bool', 'Array(Nullable(Int32))', 'Nullable(Decimal(9, 3))',
  'LowCardinality(String)', "Enum16('a b' = -300, 'c\\'d' = 7)", "DateTime('UTC')", 'Array(Array(String))',
];

test('every type DESCRIBE printed parses and prints back exactly', () => {
  for (const t of DESCRIBED) assert.equal(canonicalClickhouseType(t), t, t);
});

test('other spellings of one type print as DESCRIBE does', () => {
  assert.equal(canonicalClickhouseType('Decimal64(4)'), 'Decimal(18, 4)');
  assert.equal(canonicalClickhouseType('Decimal32(2)'), 'Decimal(9, 2)');
  assert.equal(canonicalClickhouseType("DateTime64(6,'UTC')"), "DateTime64(6, 'UTC')");
  assert.equal(canonicalClickhouseType("Enum8('x'=1,'y'=2)"), "Enum8('x' = 1, 'y' = 2)");
  assert.equal(canonicalClickhouseType('Map( String ,Array(UInt8) )'), 'Map(String, Array(UInt8))');
  assert.equal(canonicalClickhouseType('Decimal(5)'), 'Decimal(5, 0)');
});

test('what is not a type Sluice writes is an error naming it, and no text gets past the parser', () => {
  const bad: Array<[string, RegExp]> = [
    ['Strin', /unsupported type Strin/],
    ['String) ENGINE = Log; DROP TABLE x --', /unexpected ";"/],
    ["Enum8('a' = 1, 'a' = 2)", /names a value twice/],
    ["Enum8('a' = 1, 'b' = 1)", /two values one number/],
    ["Enum8('a' = 200)", /from -128 to 127/],
    ['Nullable(Array(String))', /Nullable cannot hold Array/],
    ['Map(UInt8, String)', /Map key must be String/],
    ['DateTime64(10)', /precision must be a whole number from 0 to 9/],
    ['Decimal(10, 11)', /scale must be a whole number from 0 to 10/],
    ['LowCardinality(UUID)', /LowCardinality of UUID is not supported/],
    ["DateTime64(3, 'UTC'", /ends too early/],
    ["Enum8('a", /not closed/],
  ];
  for (const [text, why] of bad) {
    const r = parseClickhouseType(text);
    assert.equal(typeof r, 'string', text);
    assert.match(r as string, why, text);
  }
  // an enum name with quotes and backslashes is printed escaped: one literal, whatever it holds
  assert.equal(canonicalClickhouseType("Enum8('it\\'s \\\\ ok' = 1)"), "Enum8('it\\'s \\\\ ok' = 1)");
});

test('which columns take which fields', () => {
  const fits = (field: string, col: string) => fitProblem(parseFieldType(field), parseClickhouseType(col) as never) === null;
  const yes: Array<[string, string]> = [
    ['string', 'String'], ['string', 'LowCardinality(String)'], ['string?', 'LowCardinality(Nullable(String))'], ['string', 'UUID'],
    ['string', 'IPv4'], ['string', 'IPv6'], ['string', "Enum8('a' = 1)"], ['string', 'Nullable(String)'],
    ['datetime', 'DateTime'], ['datetime', "DateTime64(3, 'Europe/Berlin')"], ['datetime64', 'DateTime64(6)'],
    ['float64', 'Decimal(10, 2)'], ['int32', 'Int64'], ['uint32', 'Int64'], ['int16', 'Decimal(9, 2)'], ['bool', 'Bool'], ['bool', 'UInt8'],
    ['json', 'JSON'], ['json', 'String'], ['uint64{}', 'Map(String, UInt64)'], ['string{}', 'Map(String, LowCardinality(String))'],
    ['int32[]', 'Array(Int32)'], ['int32[]', 'Array(Nullable(Int64))'], ['string[]?', 'Array(String)'],
  ];
  const no: Array<[string, string]> = [
    ['string', 'UInt32'], ['float64', 'String'], ['int64', 'Int32'], ['int32', 'UInt64'], ['string?', 'String'], ['datetime64', 'DateTime'],
    ['datetime64', 'DateTime64(0)'], ['int64', 'Decimal(10, 2)'], ['json', 'Map(String, String)'], ['uint64{}', 'Array(UInt64)'],
    ['int32[]', 'Int32'], ['float64', 'Float32'],
  ];
  for (const [f, c] of yes) assert.equal(fits(f, c), true, `${f} into ${c}`);
  for (const [f, c] of no) assert.equal(fits(f, c), false, `${f} into ${c}`);
  assert.equal(columnTypeProblem(parseFieldType('float64'), 'String'), 'the column is String; a float64 field needs Float64');
  assert.match(columnTypeProblem(parseFieldType('int32'), 'Int33')!, /unsupported ClickHouse type: unsupported type Int33/);
});

test('values are written as each column reads them', () => {
  const w = (field: string, col: string) => columnWriter(parseFieldType(field), parseClickhouseType(col) as never, 'f');
  // DateTime64 reads epoch seconds in no time zone: a Berlin column is not shifted
  assert.equal(w('datetime', "DateTime64(3, 'Europe/Berlin')")!('2023-11-14 22:13:20'), '1700000000');
  assert.equal(w('datetime64', 'DateTime64(3)')!('2023-11-14 22:13:20.045'), '1700000000.045');
  assert.equal(w('datetime64', 'Nullable(DateTime64(3))')!(null), null);
  assert.equal(w('datetime', 'DateTime'), undefined);
  // Decimal: what fits goes as a number (18.16 reads no quoted Decimal); what the column would cut is refused
  const dec = w('float64', 'Decimal(10, 2)')!;
  assert.equal(dec(12.34), 12.34);
  assert.equal(dec(-0.5), -0.5);
  assert.throws(() => dec(12.345), (e: unknown) => e instanceof EventError && e.reason === 'type_mismatch' && /12\.345 does not fit Decimal\(10, 2\)/.test(e.message));
  assert.throws(() => dec(123456789), /does not fit/);
  assert.equal(w('float64', 'Decimal(30, 10)')!(1e-7), '0.0000001');
  assert.deepEqual(w('float64[]', 'Array(Decimal(5, 1))')!([1.5, 2]), [1.5, 2]);
  assert.equal(w('json', 'String')!({ a: [1, { b: null }] }), '{"a":[1,{"b":null}]}');
  assert.deepEqual(w('datetime{}', 'Map(String, DateTime64(3))')!({ a: '2023-11-14 22:13:20' }), { a: '1700000000' });
  assert.deepEqual(emptyValueOf(parseClickhouseType('Array(String)') as never), []);
  assert.deepEqual(emptyValueOf(parseClickhouseType('Map(String, UInt8)') as never), {});
  assert.equal(emptyValueOf(parseClickhouseType('Nullable(String)') as never), undefined);
});

test('the decoder: datetime64 keeps milliseconds, json keeps an object, a map checks each value', () => {
  const d = new EventDecoder({ name: 's', kafka: {} as never, schema: { fields: { at: 'datetime64', doc: 'json?', m: 'uint8{}', ts: 'datetime' } } } as never, new Set());
  const e = d.decode(JSON.stringify({ at: '2026-11-29T12:00:00.123Z', doc: { x: [1] }, m: { a: 1, b: '2' }, ts: 1 }));
  assert.equal(valueOf(e, 'at'), '2026-11-29 12:00:00.123');
  assert.deepEqual(valueOf(e, 'doc'), { x: [1] });
  assert.deepEqual(valueOf(e, 'm'), { a: 1, b: 2 });
  const reason = (v: object) => { try { d.decode(JSON.stringify({ at: 1, m: {}, ts: 1, ...v })); return 'ok'; } catch (x) { return (x as EventError).reason; } };
  assert.equal(reason({ doc: [1] }), 'type_mismatch');
  assert.equal(reason({ m: { a: 300 } }), 'type_mismatch');
  assert.equal(reason({ m: { a: null } }), 'type_mismatch');
  assert.equal(reason({ m: [1] }), 'type_mismatch');
  assert.equal(reason({ doc: null }), 'ok');
});

test('a map of datetimes converts each value (every such event went to the DLQ: the decoder took the map for one datetime)', () => {
  const d = new EventDecoder({ name: 's', kafka: {} as never, schema: { fields: { m: 'datetime{}', ts: 'datetime' } } } as never, new Set());
  const e = d.decode(JSON.stringify({ m: { a: '2026-11-29T12:00:00Z', b: 1_795_953_600 }, ts: '2026-11-29T12:00:00Z' }));
  assert.deepEqual(valueOf(e, 'm'), { a: '2026-11-29 12:00:00', b: '2026-11-29 12:00:00' });
  assert.throws(() => d.decode(JSON.stringify({ m: { a: 'soon' }, ts: 1 })), (x: unknown) => x instanceof EventError && x.reason === 'type_mismatch');
});

test('a datetime beyond what a Date holds goes to the DLQ as a type_mismatch (it crashed the sink with a RangeError)', () => {
  const d = new EventDecoder({ name: 's', kafka: {} as never, schema: { fields: { id: 'string', ts: 'datetime', t64: 'datetime64?' } } } as never, new Set(['id']));
  for (const v of [{ ts: 1e20 }, { ts: -1e17 }, { ts: 0, t64: 9e15 }]) {
    assert.throws(() => d.decode(JSON.stringify({ id: 'a', ...v })), (e: unknown) => e instanceof EventError && e.reason === 'type_mismatch', JSON.stringify(v));
  }
});

test('types a server lacks, or keeps experimental and off, are named per column', () => {
  const old = parseServerVersion('18.16.1', ['allow_experimental_low_cardinality_type=0'], ['String', 'UInt64', 'DateTime', 'Decimal', 'LowCardinality', 'Nullable', 'Array', 'UUID', 'Enum8']);
  const current = parseServerVersion('26.9.2.1', ['allow_experimental_json_type=1'], ['String', 'UInt64', 'DateTime64', 'Map', 'JSON', 'LowCardinality', 'Nullable', 'IPv4']);
  const cols = (list: Array<[string, string]>) => list.map(([name, type]) => ({ name, type, families: familiesOf(type) }));
  const asked = cols([['at', 'DateTime64(3)'], ['tags', 'Map(String, UInt64)'], ['city', 'LowCardinality(String)'], ['n', 'Nullable(Decimal(9, 2))'], ['id', 'UUID']]);
  assert.deepEqual(missingTypeProblems(old, asked), [
    'column "at" is DateTime64(3): ClickHouse 18.16.1 has no DateTime64 type',
    'column "tags" is Map(String, UInt64): ClickHouse 18.16.1 has no Map type',
    'column "city" is LowCardinality(String): ClickHouse 18.16.1 has no LowCardinality type (LowCardinality: experimental there, off by default)',
  ]);
  assert.deepEqual(missingTypeProblems(current, cols([['at', 'DateTime64(3)'], ['doc', 'JSON'], ['ip', 'IPv4']])), []);
  assert.equal(parseServerVersion('24.8.1', ['allow_experimental_json_type=0'], ['JSON']).hasType('JSON'), false);
});
