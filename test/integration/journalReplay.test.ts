// The sink's journal replay (activities/sink/recovery.ts) against the real NATS JetStream: it reads
// every entry up to the last sequence of the stream info it was given, also when a fetch brings
// nothing because this process's event loop was blocked while the fetch was out (a big dedup
// state's spill to disk blocks it for seconds). Found by the chaos suite with 5 million keys held:
// the replay ended 1 batch early, the sink took the next batch number again and doubled its rows.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { JetStreamClient, JetStreamManager, NatsConnection } from 'nats';
import { closeNats, natsConnection } from '../../runtime/connections';
import { entriesUpTo } from '../../activities/sink/recovery';

let nc: NatsConnection;
let jsm: JetStreamManager;
let js: JetStreamClient;
before(async () => { nc = await natsConnection(); jsm = await nc.jetstreamManager(); js = nc.jetstream(); });
after(async () => { await closeNats(); });

async function journalOf(n: number): Promise<string> {
  const name = `TEST_REPLAY_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
  await jsm.streams.add({ name, subjects: [name] });
  for (let i = 1; i <= n; i++) await js.publish(name, JSON.stringify({ batch: i }));
  return name;
}

const blockEventLoop = (ms: number) => { const end = Date.now() + ms; while (Date.now() < end); };

test('the replay reads every entry although the event loop was blocked while a fetch was out', async () => {
  const name = await journalOf(2000);
  const info = await jsm.streams.info(name);
  const batches: number[] = [];
  for await (const { entry } of entriesUpTo(js, name, info)) {
    batches.push(entry.batch);
    if (batches.length === 256) setImmediate(() => blockEventLoop(3000)); // right after the next fetch went out
  }
  assert.deepEqual(batches, Array.from({ length: 2000 }, (_, i) => i + 1));
  await jsm.streams.delete(name);
});

test('the replay ends at the info it was given: entries appended later and deleted last entries', async () => {
  const name = await journalOf(300);
  const info = await jsm.streams.info(name);
  for (let i = 301; i <= 310; i++) await js.publish(name, JSON.stringify({ batch: i }));
  const seen: number[] = [];
  for await (const { entry } of entriesUpTo(js, name, info)) seen.push(entry.batch);
  assert.equal(seen.length, 300);
  assert.equal(seen.at(-1), 300);
  // the last entries deleted (as recovery deletes an entry whose rows never reached ClickHouse): ends without waiting
  const trimmed = await journalOf(300);
  for (const seq of [299, 300]) await jsm.streams.deleteMessage(trimmed, seq, false);
  const started = Date.now();
  const left: number[] = [];
  for await (const { entry } of entriesUpTo(js, trimmed, await jsm.streams.info(trimmed))) left.push(entry.batch);
  assert.equal(left.length, 298);
  assert.ok(Date.now() - started < 15_000, 'ends once nothing is left');
  await jsm.streams.delete(name);
  await jsm.streams.delete(trimmed);
});
