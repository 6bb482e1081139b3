// No spec can make Sluice run SQL it did not intend: random field names, columns, table keys and
// engines (hostile ones among them) go through validate -> DDL -> the real ClickHouse, with a
// fixed seed. A spec is either refused, every problem with its path, or its table is created
// with exactly the columns, engine and keys the spec says — nothing more.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { prng } from '../../loadtest/seedEvents';
import { randomBytes } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { settings } from '../../runtime/settings';
import { clickhouse } from '../../loadtest/clickhouse';
import { createTableSql, expectedColumns, quoteIdent, quoteString } from '../../core/ddl';
import { validateSpec } from '../../core/spec/validate';
import { formatProblem } from '../../core/spec/problem';
import { parseEngine } from '../../core/spec/identifiers';
import type { PipelineSpecInput } from '../../core/spec/schema';

const DB = `sluice_fuzz_${randomBytes(3).toString('hex')}`;
let ch: ClickHouseClient;

before(async () => {
  ch = clickhouse(settings.clickhouseUrl);
  await ch.command({ query: `CREATE DATABASE ${quoteIdent(DB)}` });
});
after(async () => {
  await ch?.command({ query: `DROP DATABASE IF EXISTS ${quoteIdent(DB)}` });
  await ch?.close();
});

const json = async <T>(query: string) => (await ch.query({ query, format: 'JSONEachRow' })).json<T>();

const CLASSES = ['\0', '\\', '`', "'", '"', '\n', '\r', '\t', '\x1b', 'é', '中', '😀', ' ', ';', '--', '/*', '*/', '(', ')', ',', '.', '-', '$', '@'];

test('quoteIdent and quoteString: ClickHouse reads back exactly the text, for every character class', async () => {
  const names = [...CLASSES.flatMap((c) => [c, `a${c}`, `${c}b`]), 'a\\', 'x` UInt8, injected String) ENGINE = Memory /*'];
  for (const name of names) {
    const [row] = await json<Record<string, string>>(`SELECT ${quoteString(name)} AS ${quoteIdent(name)}`);
    assert.deepEqual(Object.entries(row), [[name, name]], JSON.stringify(name));
  }
});

const random = prng(20261202);
const rand = (n: number) => Math.floor(random() * n);
const pick = <T>(xs: readonly T[]): T => xs[rand(xs.length)];
const word = () => Array.from({ length: 1 + rand(6) }, () => pick('abcxyzAZ_09'.split(''))).join('');

const cleanName = () => `${pick(['a', 'b', '_', 'Z'])}${word()}`;
const cleanField = () => pick([cleanName, cleanName, cleanName, () => `${cleanName()}.${word()}`, () => pick(['constructor', 'toString', 'valueOf', 'hasOwnProperty'])])();
/** a name that may break a rule: injections, prototype names, any character class */
function wildName(): string {
  switch (rand(3)) {
    case 0: return pick(['a\\` UInt8, injected_col String, b String) ENGINE = Memory /*', 'x\\', 'x`', "x'", 'x\n', 'a; DROP DATABASE default', '', '__proto__', 'a.__proto__', 'a..b', '1a']);
    default: return Array.from({ length: 1 + rand(5) }, () => pick([...CLASSES, 'a', 'b', '1'])).join('');
  }
}
const FUNCTIONS = ['toDate', 'toStartOfHour', 'toStartOfDay', 'toStartOfMonth', 'toYYYYMM', 'toYYYYMMDD', 'toMonday', 'intHash32', 'intHash64', 'cityHash64', 'sipHash64'];
const cleanKey = (columns: string[]) => (rand(2) ? pick(columns) : `${pick(FUNCTIONS)}(${pick(columns)})`);
const wildKey = (columns: string[]) => pick([
  '*/ --', `${pick(columns)}); DROP TABLE x; --`, 'sleep(3)', `(${pick(columns)})`, `\`${pick(columns)}\``, `${pick(columns)}, ${pick(columns)}`,
  `toDate(toDate(${pick(columns)}))`, `${pick(columns)} DESC`, `lower(${pick(columns)})`, `cityHash64(${wildName()})`, wildName(),
]);
const CLEAN_ENGINES = ['MergeTree', 'MergeTree()', 'ReplacingMergeTree', 'SummingMergeTree()', 'AggregatingMergeTree', 'ReplacingMergeTree(ts)', ' MergeTree ( ) '];
const WILD_ENGINES = ['Memory', 'Log', 'MergeTree() SETTINGS index_granularity = 1', 'ReplacingMergeTree(`ts`)', "File(TSV, '/etc/passwd')", 'MergeTree(ts', 'MergeTree; DROP TABLE x'];

/** A spec that follows the rules (but for its types, which may not fit its key functions), or one with a wild value in one place. */
function randomSpec(i: number): PipelineSpecInput {
  const wild = rand(5) < 2 ? pick(['field', 'column', 'table', 'orderBy', 'partitionBy', 'engine']) : undefined;
  const fields: Record<string, string> = { ts: 'datetime', n: pick(['int64', 'uint32', 'int64?']) };
  for (let k = rand(4); k >= 0; k--) fields[cleanField()] = pick(['string', 'int32', 'float64', 'bool', 'datetime', 'string?', 'int64[]']);
  if (wild === 'field') fields[wildName()] = 'string';
  const named = rand(4) === 0 || wild === 'column';
  const columns = named ? Object.keys(fields).map((f, k) => ({ name: `c${k}`, field: f })) : undefined;
  if (wild === 'column') columns![rand(columns!.length)].name = wildName();
  const names = named ? columns!.map((c) => c.name) : Object.keys(fields).map((f) => f.replace(/\./g, '_'));
  // keys on the always-there columns mostly, so that more specs pass the type checks
  const keyColumns = named ? names.slice(0, 2) : ['ts', 'n', ...names];
  const orderBy = Array.from({ length: 1 + rand(3) }, () => cleanKey(keyColumns));
  if (wild === 'orderBy') orderBy[rand(orderBy.length)] = wildKey(names);
  return {
    version: 1,
    name: `fuzz-${i}`,
    sources: [{ name: 'events', kafka: { brokers: ['127.0.0.1:9092'], topic: 'fuzz' }, schema: { fields, eventTime: 'ts' } }],
    sink: {
      clickhouse: { url: settings.clickhouseUrl, database: DB, table: wild === 'table' ? `${wildName()}_${i}` : `t${i}` },
      columns,
      createTable: {
        engine: wild === 'engine' ? pick(WILD_ENGINES) : pick(CLEAN_ENGINES),
        orderBy,
        partitionBy: wild === 'partitionBy' ? wildKey(names) : rand(3) === 0 ? cleanKey(keyColumns) : undefined,
      },
    },
  };
}

test('fuzz (fixed seed): random names, keys and engines through validate -> DDL -> ClickHouse', async (t) => {
  const created = new Set<string>();
  let refused = 0;
  for (let i = 0; i < 300; i++) {
    const input = randomSpec(i);
    const r = validateSpec(input);
    if (!r.ok) {
      refused++;
      for (const p of r.problems) assert.ok(p.path.length > 0, `spec ${i}: a problem without a path: ${formatProblem(p)}`);
      continue;
    }
    const spec = r.spec;
    const sql = createTableSql(spec);
    await ch.command({ query: sql }).catch((e: Error) => assert.fail(`spec ${i} was accepted, but ClickHouse refused its DDL:\n${sql}\n${e.message}`));
    const table = spec.sink.clickhouse.table;
    created.add(table);
    const cols = await json<{ name: string; type: string }>(`DESCRIBE TABLE ${quoteIdent(DB)}.${quoteIdent(table)}`);
    assert.deepEqual(cols.map((c) => ({ name: c.name, type: c.type })), expectedColumns(spec), `spec ${i}: the table has exactly the spec's columns\n${sql}`);
    const [t] = await json<{ engine: string }>(`SELECT engine FROM system.tables WHERE database = ${quoteString(DB)} AND name = ${quoteString(table)}`);
    const engine = parseEngine(spec.sink.createTable!.engine);
    assert.equal(t.engine, typeof engine === 'string' ? '?' : engine.name, `spec ${i}: the engine the spec names`);
  }
  const tables = await json<{ name: string }>(`SELECT name FROM system.tables WHERE database = ${quoteString(DB)} ORDER BY name`);
  assert.deepEqual(tables.map((t) => t.name).sort(), [...created].sort(), 'no table but the accepted specs\' ones');
  t.diagnostic(`${created.size} specs accepted and created as specified, ${refused} refused with paths`);
  // the fuzz must exercise both outcomes
  assert.ok(created.size >= 30, `accepted specs: ${created.size}`);
  assert.ok(refused >= 30, `refused specs: ${refused}`);
});
