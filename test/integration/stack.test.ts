// The local stack is real: each service is exercised with the client library Sluice uses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, StorageType } from 'nats';
import { Worker, NativeConnection } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import { settings } from '../../runtime/settings';
import { kafkaClient, recreateTopic } from '../../loadtest/kafka';
import { clickhouse, scalar } from '../../loadtest/clickhouse';
import { repoRoot, stackDir } from '../../loadtest/localWorker';

const id = randomBytes(4).toString('hex');

test('Kafka: produce and consume a message with kafkajs', async () => {
  const kafka = kafkaClient(settings.kafkaBrokers);
  const topic = `stack-test-${id}`;
  await recreateTopic(kafka, topic, 1);
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: [{ key: 'k', value: `hello ${id}` }] });
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: `stack-test-${id}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const got = await new Promise<string>((resolve) => {
    void consumer.run({ eachMessage: async ({ message }) => resolve(message.value!.toString()) });
  });
  await consumer.disconnect();
  assert.equal(got, `hello ${id}`);
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] });
  await admin.disconnect();
});

test('NATS JetStream: publish with an id, read it back, and see a repeat dropped', async () => {
  const nc = await connect({ servers: settings.natsUrl });
  const jsm = await nc.jetstreamManager();
  const stream = `STACK_TEST_${id}`;
  await jsm.streams.add({ name: stream, subjects: [`stack.${id}`], storage: StorageType.File });
  const js = nc.jetstream();
  const first = await js.publish(`stack.${id}`, new TextEncoder().encode('payload'), { msgID: 'm1' });
  const again = await js.publish(`stack.${id}`, new TextEncoder().encode('payload'), { msgID: 'm1' });
  assert.equal(first.duplicate, false);
  assert.equal(again.duplicate, true);
  const msg = await (await js.consumers.get(stream)).next({ expires: 2000 });
  assert.equal(new TextDecoder().decode(msg!.data), 'payload');
  await jsm.streams.delete(stream);
  await nc.drain();
});

test('ClickHouse: create a table and round-trip rows', async () => {
  const ch = clickhouse(settings.clickhouseUrl);
  const table = `default.stack_test_${id}`;
  await ch.command({ query: `CREATE TABLE ${table} (id UInt32, name String, at DateTime) ENGINE = MergeTree() ORDER BY id` });
  await ch.insert({ table, format: 'JSONEachRow', values: [{ id: 2, name: 'b', at: '2026-11-29 12:00:00' }, { id: 1, name: 'a', at: '2026-11-29 12:00:01' }] });
  const rs = await ch.query({ query: `SELECT id, name, toString(at) AS at FROM ${table} ORDER BY id`, format: 'JSONEachRow' });
  assert.deepEqual(await rs.json(), [{ id: 1, name: 'a', at: '2026-11-29 12:00:01' }, { id: 2, name: 'b', at: '2026-11-29 12:00:00' }]);
  await ch.command({ query: `DROP TABLE ${table}` });
  await ch.close();
});

const stackScript = join(repoRoot, 'stack', 'stack.sh');
const stack = (env: NodeJS.ProcessEnv, ...args: string[]) => execFileSync('bash', [stackScript, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', stdio: 'pipe' });

test('ClickHouse: the server the tests use is the engine the stack was asked for (SLUICE_CLICKHOUSE)', async () => {
  const line = stack({}, 'status', 'clickhouse');
  const wanted = /\(wanted: ([\d.]+)\)/.exec(line)?.[1];
  assert.ok(wanted, line);
  const ch = clickhouse(settings.clickhouseUrl);
  const version = (await (await ch.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' })).json<{ v: string }>())[0].v;
  await ch.close();
  assert.ok(version.startsWith(`${wanted}.`), `${settings.clickhouseUrl} serves ${version}, the stack wants ${wanted}`);
  assert.match(line, /^clickhouse\s+healthy/);
});

const freePort = () => new Promise<number>((resolve) => {
  const srv = createServer().listen(0, '127.0.0.1', () => {
    const { port } = srv.address() as { port: number };
    srv.close(() => resolve(port));
  });
});

test('current ClickHouse (chdb-core): the launcher refuses to start without a config.xml naming its ports (else 8123/9000)', () => {
  stack({ SLUICE_CLICKHOUSE: '26.9' }, 'install', 'clickhouse');
  const work = mkdtempSync(join(tmpdir(), 'sluice-ch-'));
  const chdb = join(stackDir, 'cache', `chdb-core-${/^CHDB_VERSION=(.+)$/m.exec(readFileSync(stackScript, 'utf8'))![1]}`);
  const launch = () => spawnSync('python3', [join(repoRoot, 'stack', 'clickhouse-current.py'), chdb, work], { encoding: 'utf8', timeout: 30_000 });
  try {
    const none = launch();
    assert.equal(none.status, 2, none.stderr);
    assert.match(none.stderr, /no config\.xml in .*refusing to start/);
    writeFileSync(join(work, 'config.xml'), `<clickhouse><listen_host>127.0.0.1</listen_host><http_port>1</http_port><path>${work}/data/</path></clickhouse>`);
    const noTcp = launch();
    assert.equal(noTcp.status, 2, noTcp.stderr);
    assert.match(noTcp.stderr, /config\.xml lacks <tcp_port>: refusing to start/);
  } finally {
    rmSync(work, { recursive: true });
  }
});

test('current ClickHouse (chdb-core): a table\'s rows survive a SIGKILL and a restart by the stack script', async () => {
  // a second server of its own: its own stack directory (sharing the download cache) and free ports
  const dir = mkdtempSync(join(tmpdir(), 'sluice-stack-'));
  mkdirSync(join(stackDir, 'cache'), { recursive: true });
  symlinkSync(join(stackDir, 'cache'), join(dir, 'cache'));
  const port = await freePort();
  const env = { SLUICE_CLICKHOUSE: '26.9', SLUICE_STACK_DIR: dir, SLUICE_CLICKHOUSE_PORT: String(port), SLUICE_CLICKHOUSE_TCP_PORT: String(await freePort()) };
  const ch = clickhouse(`http://127.0.0.1:${port}`);
  try {
    stack(env, 'up', 'clickhouse');
    await ch.command({ query: 'CREATE DATABASE IF NOT EXISTS sluice_stack' });
    await ch.command({ query: 'CREATE TABLE sluice_stack.t (id UInt32) ENGINE = MergeTree ORDER BY id' });
    await ch.insert({ table: 'sluice_stack.t', values: [{ id: 1 }, { id: 2 }, { id: 3 }], format: 'JSONEachRow', clickhouse_settings: { async_insert: 0 } });
    process.kill(-Number(readFileSync(join(dir, 'run', 'clickhouse.pid'), 'utf8')), 'SIGKILL');
    stack(env, 'up', 'clickhouse');
    // a new client: the old one's kept-alive socket went with the killed server (reusing it: "socket hang up")
    const after = clickhouse(`http://127.0.0.1:${port}`);
    try {
      assert.equal(await scalar(after, 'SELECT count() FROM sluice_stack.t'), 3);
      assert.equal(await scalar(after, "SELECT count() FROM system.databases WHERE name = 'sluice_stack' AND engine = 'Atomic'"), 1);
    } finally {
      await after.close();
    }
  } finally {
    await ch.close();
    stack(env, 'down', 'clickhouse');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Temporal: a worker runs a workflow and its activity on the dev server', async () => {
  const taskQueue = `stack-test-${id}`;
  const connection = await NativeConnection.connect({ address: settings.temporalAddress });
  const worker = await Worker.create({
    connection, taskQueue,
    workflowsPath: require.resolve('./fixtures/hello'),
    activities: { greet: async (name: string) => `hello, ${name}` },
  });
  const client = new Client({ connection: await Connection.connect({ address: settings.temporalAddress }) });
  const result = await worker.runUntil(client.workflow.execute('helloWorkflow', { taskQueue, workflowId: `hello-${id}`, args: ['sluice'] }));
  assert.equal(result, 'hello, sluice');
  await client.connection.close();
  await connection.close();
});
