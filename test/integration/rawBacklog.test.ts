// A sink behind a backlog holds a bounded number of raw messages: its raw stream consumer
// (activities/sink/rawStream.ts readRaw) pulls more only as the sink's loop takes them
// (patches/nats+2.29.3.patch), also after a long stall or the loss of its consumer, and still
// gives every message once, in order.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, type ConsumerMessages, type JetStreamManager, type NatsConnection } from 'nats';
import { settings } from '../../runtime/settings';
import { shardOf, streamsOf } from '../../core/names';
import { RAW_AHEAD_MESSAGES, readRaw } from '../../activities/sink/rawStream';

let nc: NatsConnection;
before(async () => { nc = await connect({ servers: settings.natsUrl, name: 'it-raw-backlog' }); });
after(async () => { await nc?.close(); });

const TOTAL = 20 * RAW_AHEAD_MESSAGES;

/** A raw stream of TOTAL messages of 4 KiB, read by `body` with readRaw from its first message; removed afterwards. */
async function withBacklog(body: (next: () => Promise<number>, delivered: () => Promise<number>, jsm: JetStreamManager, stream: string) => Promise<void>, expiresMs?: number): Promise<void> {
  const pipeline = `it-raw-backlog-${randomBytes(3).toString('hex')}`;
  const s = streamsOf(pipeline);
  const jsm = await nc.jetstreamManager();
  await jsm.streams.add({ name: s.raw, subjects: [s.rawSubjects] });
  let messages: ConsumerMessages | undefined;
  try {
    const js = nc.jetstream();
    const data = Buffer.alloc(4096, 'x');
    for (let i = 0; i < TOTAL; i += 100) await Promise.all(Array.from({ length: Math.min(100, TOTAL - i) }, () => js.publish(s.rawSubject(0), data)));
    messages = await readRaw(js, s.raw, shardOf(pipeline, 0, 1), 1, { expiresMs });
    const it = messages[Symbol.asyncIterator]();
    // how far NATS has delivered: the stream sequence of the consumer's last delivery
    const delivered = async () => (await jsm.consumers.list(s.raw).next())[0].delivered.stream_seq;
    await body(async () => (await it.next()).value.seq, delivered, jsm, s.raw);
  } finally {
    messages?.stop();
    await jsm.streams.delete(s.raw);
  }
}

/** Takes messages until `seqs` holds `n`. */
async function take(seqs: number[], next: () => Promise<number>, n = TOTAL): Promise<void> {
  while (seqs.length < n) seqs.push(await next());
}
const all = () => Array.from({ length: TOTAL }, (_, i) => i + 1);

test('a sink behind a backlog: its raw consumer takes at most about RAW_AHEAD_MESSAGES more while the loop is busy, then gives every message once, in order', async (t) => {
  await withBacklog(async (next, delivered) => {
    const seqs = [await next()];
    // the loop holds its first message (a commit under way): what the client takes meanwhile stays in memory
    await sleep(1500);
    const n = await delivered();
    t.diagnostic(`NATS delivered ${n} of ${TOTAL} messages while the loop held its first`);
    assert.ok(n <= 2 * RAW_AHEAD_MESSAGES, `the consumer took ${n} of ${TOTAL} messages while the loop held its first`);
    await take(seqs, next);
    assert.deepEqual(seqs, all());
  });
});

test('a loop busy for many missed heartbeats: one pull follows, not one per heartbeat missed', async (t) => {
  // heartbeats every second: each 2 s without one resets the pending counts and pulls again
  await withBacklog(async (next, delivered) => {
    const seqs = [await next()];
    await sleep(9000);
    // what was delivered before the stall, then what the pulls queued behind it asked for
    await take(seqs, next, RAW_AHEAD_MESSAGES + 1);
    await sleep(1500);
    const n = await delivered();
    t.diagnostic(`NATS delivered ${n} of ${TOTAL} messages after a 9 s stall, with ${seqs.length} taken`);
    assert.ok(n <= seqs.length + 2 * RAW_AHEAD_MESSAGES, `the consumer took ${n} of ${TOTAL} messages with ${seqs.length} taken`);
    await take(seqs, next);
    assert.deepEqual(seqs, all());
  }, 2000);
});

test('the consumer deleted while the loop is busy (the server drops one idle for 5 min): the ordered consumer starts again after its last delivery, every message once, in order', async () => {
  await withBacklog(async (next, _delivered, jsm, stream) => {
    const seqs = [await next()];
    const [consumer] = await jsm.consumers.list(stream).next();
    await jsm.consumers.delete(stream, consumer.name);
    // missed heartbeats find it gone and make a new one
    await sleep(6000);
    await take(seqs, next);
    assert.deepEqual(seqs, all());
  }, 2000);
});
