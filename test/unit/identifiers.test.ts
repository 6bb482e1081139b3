// No SQL from a spec: names are checked against one rule and quoted by one function; table keys
// and engines are parsed, and the DDL is written from the parsed form.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prng } from '../../loadtest/seedEvents';
import { createTableSql, quoteIdent, quoteString } from '../../core/ddl';
import { validateSpec } from '../../core/spec/validate';
import { formatProblem } from '../../core/spec/problem';
import { parseEngine, parseKeyExpression } from '../../core/spec/identifiers';
import { purchaseSpec } from './fixtures';

/**
 * How ClickHouse reads a quoted token (its lexer: backslash escapes \\xHH, \\n, \\t, \\r, \\0, \\b,
 * \\f, \\a, \\v, \\e, any other escaped character stands for itself; the first unescaped quote ends
 * the token). Returns the text and where the token ended.
 */
function readQuoted(sql: string, quote: string): { text: string; end: number } {
  assert.equal(sql[0], quote);
  const named: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', b: '\b', f: '\f', a: '\x07', v: '\v', e: '\x1b' };
  let text = '';
  for (let i = 1; i < sql.length; i++) {
    const c = sql[i];
    if (c === quote) return { text, end: i + 1 };
    if (c !== '\\') { text += c; continue; }
    const n = sql[++i];
    if (n === 'x') { text += String.fromCharCode(parseInt(sql.slice(i + 1, i + 3), 16)); i += 2; } else text += named[n] ?? n;
  }
  throw new Error(`unterminated: ${sql}`);
}

const CLASSES = ['\\', '`', "'", '"', '\0', '\n', '\r', '\t', '\x7f', '\x1b', 'é', '中', '😀', ' ', ';', '--', '/*', '*/', ')', '(', ',', 'a', 'Z', '9', '_', '.'];

test('quoteIdent keeps every character class inside one identifier, and ClickHouse reads back the same name', () => {
  for (const c of CLASSES) {
    for (const name of [c, `a${c}`, `${c}b`, `a${c}b`, c.repeat(3)]) {
      for (const [quote, fn] of [['`', quoteIdent], ["'", quoteString]] as const) {
        const sql = fn(name);
        const { text, end } = readQuoted(sql, quote);
        assert.equal(end, sql.length, `${JSON.stringify(name)} -> ${sql}: the token ends before the end`);
        assert.equal(text, name, `${JSON.stringify(name)} -> ${sql}`);
        assert.doesNotMatch(sql, /[\u0000-\u001f\u007f]/, 'no raw control character reaches SQL');
      }
    }
  }
  // random names from all the classes, fixed seed
  const random = prng(13);
  const rand = (n: number) => Math.floor(random() * n);
  for (let i = 0; i < 3000; i++) {
    const name = Array.from({ length: 1 + rand(12) }, () => CLASSES[rand(CLASSES.length)]).join('');
    const sql = quoteIdent(name);
    assert.deepEqual(readQuoted(sql, '`'), { text: name, end: sql.length }, JSON.stringify(name));
  }
  assert.equal(quoteIdent('a\\'), '`a\\\\`', 'a trailing backslash cannot escape the closing quote');
});

test('the injection of the issue is refused, each problem with its path', () => {
  const spec = purchaseSpec();
  const evil = 'a\\` UInt8, injected_col String, b String) ENGINE = Memory /*';
  spec.sources[0].schema.fields = { ...spec.sources[0].schema.fields, [evil]: 'string' };
  spec.sink.createTable = { engine: 'MergeTree', orderBy: ['*/ --'] };
  const r = validateSpec(spec);
  assert.equal(r.ok, false);
  const problems = r.ok ? [] : r.problems.map(formatProblem);
  assert.ok(problems.some((p) => p.startsWith(`sources[0].schema.fields.${evil}: field "a\\\\\` UInt8`)), problems.join('\n'));
  assert.ok(problems.some((p) => p.startsWith('sink.createTable.orderBy[0]: expected a column name or one of toDate')), problems.join('\n'));
});

test('a field name ending in a backslash, with a control character or an empty step is refused; mapped to a column it is fine', () => {
  const problemsFor = (field: string, columns?: Array<{ name: string; field: string }>) => {
    const spec = purchaseSpec();
    spec.sources[0].schema.fields = { ...spec.sources[0].schema.fields, [field]: 'string' };
    if (columns) spec.sink.columns = [{ name: 'event_id' }, ...columns];
    const r = validateSpec(spec);
    return r.ok ? [] : r.problems.map(formatProblem);
  };
  assert.match(problemsFor('ends\\')[0], /^sources\[0\]\.schema\.fields\.ends\\: field "ends\\\\" gives the column name "ends\\\\", which is not one \(letters, digits and _/);
  assert.match(problemsFor('line\nbreak').join(), /must not contain control characters/);
  assert.match(problemsFor('a..b').join(), /no empty step/);
  assert.deepEqual(problemsFor('user-agent', [{ name: 'user_agent', field: 'user-agent' }]), [], 'any JSON key can be read when its column is named');
});

test('database, table and column names follow the documented rule', () => {
  const spec = purchaseSpec();
  spec.sink.clickhouse = { ...spec.sink.clickhouse, database: 'db`; DROP', table: 't\\' };
  spec.sink.columns = [{ name: 'event id' }];
  const r = validateSpec(spec);
  const problems = r.ok ? [] : r.problems.map(formatProblem);
  assert.deepEqual(problems.sort(), [
    'sink.clickhouse.database: expected a database name (letters, digits and _, not starting with a digit, at most 128 characters)',
    'sink.clickhouse.table: expected a table name (letters, digits and _, not starting with a digit, at most 128 characters)',
    'sink.columns[0].name: expected a column name (letters, digits and _, not starting with a digit, at most 128 characters)',
  ]);
});

test('orderBy / partitionBy: a column or a documented function of one, with a type it takes', () => {
  assert.deepEqual(parseKeyExpression('toYYYYMM(ts)'), { fn: 'toYYYYMM', column: 'ts' });
  assert.deepEqual(parseKeyExpression(' event_id '), { column: 'event_id' });
  for (const bad of ['ts, 1', 'toYYYYMM(ts) -- x', 'sleep(3)', 'toDate(toStartOfHour(ts))', 'ts)', '1', '`ts`', 'toYYYYMM(ts, 1)'])
    assert.equal(typeof parseKeyExpression(bad), 'string', bad);
  const started = Date.now();
  for (const long of [`${' '.repeat(50_000)}x(${' '.repeat(50_000)}y`, `${'a'.repeat(100_000)}(`]) assert.equal(typeof parseKeyExpression(long), 'string');
  assert.equal(typeof parseEngine(`MergeTree(${' '.repeat(100_000)}`), 'string');
  assert.ok(Date.now() - started < 500, 'parsing is linear in the text (no backtracking)');
  const problemsFor = (orderBy: string[], partitionBy?: string) => {
    const spec = purchaseSpec();
    spec.sink.createTable = { engine: 'MergeTree', orderBy, partitionBy };
    const r = validateSpec(spec);
    return r.ok ? [] : r.problems.map(formatProblem);
  };
  assert.deepEqual(problemsFor(['event_id', 'cityHash64(user_id)'], 'toYYYYMM(ts)'), []);
  assert.deepEqual(problemsFor(['toDate(amount)', 'meta_country', 'intHash64(event_id)', 'nope(ts)'], 'ghost'), [
    'sink.createTable.orderBy[0]: toDate takes a DateTime or Date column; "amount" is Float64',
    'sink.createTable.orderBy[1]: column "meta_country" is Nullable(String): a table key needs a column that is neither Nullable nor Array',
    'sink.createTable.orderBy[2]: intHash64 takes an integer column; "event_id" is String',
    'sink.createTable.orderBy[3]: unknown function "nope": expected a column name or one of toDate, toStartOfHour, toStartOfDay, toMonday, toStartOfMonth, toYYYYMM, toYYYYMMDD, intHash32, intHash64, cityHash64, sipHash64 applied to one column, e.g. toYYYYMM(ts)',
    'sink.createTable.partitionBy: unknown column "ghost"',
  ]);
  // ClickHouse 26.x refuses a sorting key with a repeated expression (the DDL fuzz found it)
  assert.deepEqual(problemsFor(['ts', 'event_id', ' event_id']), ['sink.createTable.orderBy[2]: " event_id" is already in orderBy']);
  assert.deepEqual(problemsFor(['event_id', 'cityHash64(event_id)']), [], 'a function of a column is another expression');
  // and a floating-point partition key
  assert.deepEqual(problemsFor(['event_id'], 'amount'), ['sink.createTable.partitionBy: "amount" is Float64: a partition key cannot be a floating-point number']);
});

test('engines: the MergeTree family, arguments only columns or plain text', () => {
  assert.deepEqual(parseEngine('MergeTree'), { name: 'MergeTree', args: [] });
  assert.deepEqual(parseEngine("ReplicatedMergeTree('/clickhouse/{shard}/t', '{replica}')"), { name: 'ReplicatedMergeTree', args: [{ text: '/clickhouse/{shard}/t' }, { text: '{replica}' }] });
  assert.deepEqual(parseEngine('ReplacingMergeTree(ts)'), { name: 'ReplacingMergeTree', args: [{ column: 'ts' }] });
  for (const bad of ['Memory', 'MergeTree() SETTINGS index_granularity=1', "MergeTree('a\\'b')", 'MergeTree(a b)', 'MergeTree(a,)', 'File(TSV, \'/etc/passwd\')', 'MergeTree(1)'])
    assert.equal(typeof parseEngine(bad), 'string', bad);
  const spec = purchaseSpec();
  spec.sink.createTable = { engine: 'Memory', orderBy: ['event_id'] };
  const r = validateSpec(spec);
  assert.match(r.ok ? '' : formatProblem(r.problems[0]), /^sink\.createTable\.engine: expected one of MergeTree, ReplicatedMergeTree, ReplacingMergeTree/);
});

test('the DDL is written from the parsed spec: every name quoted, keys and engine rebuilt', () => {
  const spec = purchaseSpec();
  spec.sink.createTable = { engine: 'ReplacingMergeTree ( ts )', orderBy: [' event_id', 'toStartOfHour( ts )'], partitionBy: 'toYYYYMM(ts)' };
  const r = validateSpec(spec);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  assert.equal(createTableSql(r.spec), [
    'CREATE TABLE IF NOT EXISTS `default`.`purchases` (',
    '  `event_id` String,\n  `user_id` String,\n  `amount` Float64,\n  `ts` DateTime,\n  `_event_source_` String,\n  `meta_country` Nullable(String),\n  `_sluice_batch` UInt64',
    ') ENGINE = ReplacingMergeTree(`ts`)',
    'PARTITION BY toYYYYMM(`ts`)',
    'ORDER BY (`event_id`, toStartOfHour(`ts`))',
  ].join('\n'));
});
