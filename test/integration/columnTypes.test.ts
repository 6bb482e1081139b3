// Column types people use today, end to end: Kafka → worker → a table Sluice creates, read back.
// On the current engine every type; on 18.16 the types it has, and a clear error naming each
// column whose type it lacks.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DB, createRunning, newTopic, openHarness, send, tableOf, uniqueName, untilRead, type Harness } from './harness';
import { settings } from '../../runtime/settings';
import type { PipelineSpecInput } from '../../core/spec/schema';

let h: Harness;
let version = '';
before(async () => {
  h = await openHarness();
  version = (await (await h.ch.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' })).json<{ v: string }>())[0].v;
});
after(async () => { await h?.close(); });
const current = () => !version.startsWith('18.');

/** field name → [field type, column type, a good value, what SELECT gives for it (JSONEachRow, 64-bit integers unquoted)] */
type Case = [string, string, unknown, unknown];
const EVERYWHERE: Array<[string, ...Case]> = [
  ['price', 'float64', 'Decimal(10, 2)', 12.34, 12.34],
  ['qty', 'int32', 'Decimal(18, 4)', -7, -7],
  ['ref', 'string', 'UUID', '6f1b1c8e-0f5e-4d3a-9d2b-1c2d3e4f5a6b', '6f1b1c8e-0f5e-4d3a-9d2b-1c2d3e4f5a6b'],
  ['kind', 'string', "Enum8('click' = 1, 'buy' = 2)", 'buy', 'buy'],
  ['note', 'string?', 'Nullable(String)', null, null],
  ['tags', 'string[]', 'Array(String)', ['a', 'b'], ['a', 'b']],
  ['scores', 'int32[]', 'Array(Nullable(Int64))', [1, 2], [1, 2]],
  ['n', 'uint16', 'UInt32', 65535, 65535],
];
const CURRENT_ONLY: Array<[string, ...Case]> = [
  // a Berlin column shows Berlin time: the instant is the event's, not shifted by the zone
  ['at', 'datetime64', "DateTime64(3, 'Europe/Berlin')", '2026-11-29T12:00:00.123Z', '2026-11-29 13:00:00.123'],
  ['seen', 'datetime', "DateTime64(0, 'UTC')", '2026-11-29T12:00:00Z', '2026-11-29 12:00:00'],
  ['city', 'string', 'LowCardinality(String)', 'Lyon', 'Lyon'],
  ['ip', 'string', 'IPv4', '10.0.0.1', '10.0.0.1'],
  ['ip6', 'string', 'IPv6', '2001:db8::1', '2001:db8::1'],
  ['counts', 'uint64{}', 'Map(String, UInt64)', { a: 1, b: 2 }, { a: 1, b: 2 }],
  ['doc', 'json', 'JSON', { user: { plan: 'pro' }, n: 3 }, { n: 3, user: { plan: 'pro' } }],
  ['paid', 'bool', 'Bool', true, true],
];

function typesSpec(name: string, cases: Array<[string, ...Case]>): PipelineSpecInput {
  return {
    version: 1,
    name,
    sources: [{
      name: 'events',
      kafka: { brokers: settings.kafkaBrokers, topic: name, startFrom: 'earliest' },
      schema: { fields: { id: 'string', ...Object.fromEntries(cases.map(([f, t]) => [f, t])) } },
      dedup: { key: 'id', window: '1h', time: 'arrival' },
    }],
    sink: {
      clickhouse: { url: settings.clickhouseUrl, database: DB, table: name.replace(/-/g, '_') },
      columns: [{ name: 'id' }, ...cases.map(([f, , type]) => ({ name: f, type }))],
      createTable: { engine: 'MergeTree', orderBy: ['id'] },
      batch: { maxRows: 1000, maxDelay: '200ms' },
    },
  } as PipelineSpecInput;
}

async function roundTrip(cases: Array<[string, ...Case]>, bad: Record<string, unknown>): Promise<void> {
  const name = uniqueName('it-types');
  await newTopic(h, name);
  const spec = typesSpec(name, cases);
  await createRunning(h, spec);
  const good = Object.fromEntries(cases.map(([f, , , v]) => [f, v]));
  // a copy (a counted duplicate), and a value that must not become a row (the DLQ)
  await send(h, name, [{ id: 'e1', ...good }, { id: 'e1', ...good }, { id: 'e2', ...good, ...bad }]);
  const s = await untilRead(h, name, 3);
  await h.svc.waitFor(name, (st) => st.sink.inserted + st.sink.duplicates + st.sink.dlq === 3);
  const final = await h.svc.status(name);
  assert.deepEqual({ inserted: final.sink.inserted, duplicates: final.sink.duplicates, dlq: final.sink.dlq }, { inserted: 1, duplicates: 1, dlq: 1 }, JSON.stringify(s.sink));
  const described = await (await h.ch.query({ query: `DESCRIBE TABLE ${tableOf(name)}`, format: 'JSONEachRow' })).json<{ name: string; type: string }>();
  assert.deepEqual(described.filter((c) => c.name !== 'id' && c.name !== '_sluice_batch').map((c) => [c.name, c.type]), cases.map(([f, , t]) => [f, t]));
  const [row] = await (await h.ch.query({ query: `SELECT * FROM ${tableOf(name)}`, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } })).json<Record<string, unknown>>();
  for (const [f, , t, , shown] of cases) assert.deepEqual(row[f], shown, `${f} ${t}`);
  await h.svc.delete(name);
}

test('types every supported server has: Decimal, UUID, Enum8, Nullable, Array, wider integers — rows exact, a Decimal that would be cut goes to the DLQ', async () => {
  // a price ClickHouse would cut to 12.34: type_mismatch in the DLQ, not a silently changed row
  await roundTrip(EVERYWHERE, { price: 12.345 });
});

test('types of current servers: DateTime64 with a time zone, LowCardinality, IPv4/IPv6, Map, JSON, Bool (on 18.16: an error naming each column it lacks)', async () => {
  if (current()) {
    // an address IPv4 cannot hold: ClickHouse refuses the row, which goes to the DLQ
    await roundTrip(CURRENT_ONLY, { ip: '10.0.0.300' });
    return;
  }
  const name = uniqueName('it-types-old');
  await newTopic(h, name);
  await h.svc.create(typesSpec(name, CURRENT_ONLY));
  const s = await h.svc.waitFor(name, (st) => st.status === 'FAILED', 60_000);
  for (const col of ['at', 'seen', 'ip', 'ip6', 'counts', 'doc', 'paid']) assert.match(s.error ?? '', new RegExp(`column "${col}" is `), s.error ?? 'no error');
  assert.match(s.error ?? '', /column "city" is LowCardinality\(String\): ClickHouse 18\.16\.\d+ has no LowCardinality type \(LowCardinality: experimental there, off by default\)/);
  assert.match(s.error ?? '', /column "at" is DateTime64\(3, 'Europe\/Berlin'\): ClickHouse 18\.16\.\d+ has no DateTime64 type/);
  const tables = await (await h.ch.query({ query: `SELECT count() AS n FROM system.tables WHERE database = '${DB}' AND name = '${name.replace(/-/g, '_')}'`, format: 'JSONEachRow' })).json<{ n: string }>();
  assert.equal(Number(tables[0].n), 0, 'no table was created');
  await h.svc.delete(name);
});
