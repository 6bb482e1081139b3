import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateSpec, validateSpecText } from '../../core/spec/validate';
import { formatProblem } from '../../core/spec/problem';
import { pipelineJsonSchema } from '../../core/spec/schema';
import { resolveColumns } from '../../core/spec/columns';
import { createTableSql } from '../../core/ddl';
import { purchaseSpec } from './fixtures';

const problemsOf = (input: unknown) => {
  const r = validateSpec(input);
  assert.equal(r.ok, false, 'expected the spec to be rejected');
  return r.ok ? [] : r.problems.map(formatProblem);
};

test('the demo pipeline file in the repo is valid', () => {
  const text = readFileSync(join(__dirname, '..', '..', '..', 'pipelines', 'checkout-purchases.yaml'), 'utf8');
  const r = validateSpecText(text);
  assert.ok(r.ok, r.ok ? '' : r.problems.map(formatProblem).join('\n'));
  assert.equal(r.spec.sink.batch.maxRows, 10_000);
});

test('the join pipeline file in the repo is valid', () => {
  const text = readFileSync(join(__dirname, '..', '..', '..', 'pipelines', 'purchases-enriched.yaml'), 'utf8');
  const r = validateSpecText(text);
  assert.ok(r.ok, r.ok ? '' : r.problems.map(formatProblem).join('\n'));
  assert.deepEqual(resolveColumns(r.spec).map((c) => c.name), ['event_id', 'user_id', 'amount', 'ts', 'country', 'tier', 'payment_id', 'payment_status', 'paid_amount']);
});

test('defaults are filled in', () => {
  const r = validateSpec(purchaseSpec());
  assert.ok(r.ok);
  assert.equal(r.spec.sources[0].kafka.startFrom, 'earliest');
  assert.equal(r.spec.sink.clickhouse.database, 'default');
  assert.deepEqual(r.spec.sink.batch, { maxRows: 10_000, maxDelay: '1s' });
});

test('every problem is listed with its path', () => {
  const spec = purchaseSpec();
  spec.name = 'Bad_Name';
  spec.sources[0].dedup = { key: 'event_id', window: 'ten minutes' };
  spec.sink.batch = { maxRows: 0 };
  const problems = problemsOf(spec);
  assert.ok(problems.some((p) => p.startsWith('name: expected a DNS-safe name')), problems.join('\n'));
  assert.ok(problems.includes('sources[0].dedup.window: expected a duration like 10m, from 1s to 30d'), problems.join('\n'));
  assert.ok(problems.some((p) => p.startsWith('sink.batch.maxRows:')), problems.join('\n'));
});

test('windows outside 1s..30d are rejected', () => {
  for (const window of ['500ms', '31d']) {
    const spec = purchaseSpec();
    spec.sources[0].dedup = { key: 'event_id', window };
    assert.deepEqual(problemsOf(spec), ['sources[0].dedup.window: expected a duration like 10m, from 1s to 30d']);
  }
});

test('cross-field rules: unknown key fields, event time without eventTime, bad columns', () => {
  const spec = purchaseSpec();
  spec.sources[0].schema.eventTime = undefined;
  spec.sources[0].dedup = { key: ['event_id', 'nope'], window: '10m', time: 'event' };
  spec.sink.columns = [{ name: 'event_id' }, { name: 'x', field: 'missing' }, { name: 'amount', type: 'FixedString(9)' }];
  spec.sink.createTable = { engine: 'MergeTree', orderBy: ['ghost'] };
  const problems = problemsOf(spec);
  assert.deepEqual(problems.sort(), [
    'sink.columns[1].field: unknown field "missing" (not in any source schema)',
    'sink.columns[2].type: unsupported ClickHouse type: unsupported type FixedString in "FixedString(9)"',
    'sink.createTable.orderBy[0]: unknown column "ghost"',
    'sources[0].dedup.key[1]: unknown field "nope" (declare it in schema.fields)',
    'sources[0].dedup.time: event-time windows need schema.eventTime to name the event-time field',
  ]);
});

test('unknown fields and bad YAML are reported', () => {
  assert.deepEqual(problemsOf({ ...purchaseSpec(), colour: 'blue' }), ['unknown field(s): colour']);
  const r = validateSpecText('name: [unclosed');
  assert.equal(r.ok, false);
  assert.match(r.ok ? '' : r.problems[0].message, /not valid YAML or JSON/);
});

test('secrets may reference environment variables', () => {
  const spec = purchaseSpec();
  spec.sink.clickhouse.password = { env: 'CH_PASSWORD' };
  assert.ok(validateSpec(spec).ok);
  spec.sink.clickhouse.password = { env: 'not valid!' };
  assert.equal(validateSpec(spec).ok, false);
});

test('default columns follow the fields, with nested paths flattened', () => {
  const r = validateSpec(purchaseSpec());
  assert.ok(r.ok);
  const cols = resolveColumns(r.spec).map((c) => `${c.name} ${c.type}`);
  assert.deepEqual(cols, ['event_id String', 'user_id String', 'amount Float64', 'ts DateTime', '_event_source_ String', 'meta_country Nullable(String)']);
  const ddl = createTableSql(r.spec);
  assert.match(ddl, /`_sluice_batch` UInt64/);
  assert.match(ddl, /ENGINE = MergeTree\(\)\nORDER BY \(`event_id`\)/);
});

test('the schema is exported as JSON Schema', () => {
  const js = pipelineJsonSchema() as { properties: Record<string, unknown>; required: string[] };
  assert.ok(js.properties.sources && js.properties.sink);
  assert.ok(js.required.includes('name'));
});

test('a join has at most 15 right sides (the join state packs the side into 4 bits)', () => {
  const text = readFileSync(join(__dirname, '..', '..', '..', 'pipelines', 'purchases-enriched.yaml'), 'utf8');
  const r = validateSpecText(text);
  assert.ok(r.ok);
  const spec = JSON.parse(JSON.stringify(r.spec));
  spec.join.right = Array.from({ length: 16 }, () => spec.join.right[0]);
  assert.ok(problemsOf(spec).some((p) => p.startsWith('join.right:')), problemsOf(spec).join('\n'));
});
