// The local stack is real: each service is exercised with the client library Sluice uses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect, StorageType } from 'nats';
import { Worker, NativeConnection } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import { settings } from '../../runtime/settings';
import { kafkaClient, recreateTopic } from '../../loadtest/kafka';
import { clickhouse } from '../../loadtest/clickhouse';

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
