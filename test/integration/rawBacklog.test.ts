// A sink behind a backlog holds a bounded number of raw messages: its raw stream consumer
// (activities/sink/rawStream.ts readRaw) pulls more only as the sink's loop takes them
// (patches/nats+2.29.3.patch), and still gives every message once, in order.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, type ConsumerMessages, type NatsConnection } from 'nats';
import { settings } from '../../runtime/settings';
import { shardOf, streamsOf } from '../../core/names';
import { RAW_AHEAD_MESSAGES, readRaw } from '../../activities/sink/rawStream';

let nc: NatsConnection;
before(async () => { nc = await connect({ servers: settings.natsUrl, name: 'it-raw-backlog' }); });
after(async () => { await nc?.close(); });

test('a sink behind a backlog: its raw consumer takes at most about RAW_AHEAD_MESSAGES more while the loop is busy, then gives every message once, in order', async (t) => {
  const pipeline = `it-raw-backlog-${randomBytes(3).toString('hex')}`;
  const s = streamsOf(pipeline);
  const jsm = await nc.jetstreamManager();
  await jsm.streams.add({ name: s.raw, subjects: [s.rawSubjects] });
  let messages: ConsumerMessages | undefined;
  try {
    const js = nc.jetstream();
    const total = 20 * RAW_AHEAD_MESSAGES;
    const body = Buffer.alloc(4096, 'x');
    for (let i = 0; i < total; i += 100) {
      await Promise.all(Array.from({ length: Math.min(100, total - i) }, (_, j) => js.publish(s.rawSubject(0), body)));
    }
    messages = await readRaw(js, s.raw, shardOf(pipeline, 0, 1), 1);
    const it = messages[Symbol.asyncIterator]();
    const seqs = [(await it.next()).value.seq];
    // the loop holds its first message (a commit under way): what the client takes meanwhile stays in memory
    await sleep(1500);
    const [consumer] = await jsm.consumers.list(s.raw).next();
    const delivered = consumer.delivered.stream_seq;
    t.diagnostic(`NATS delivered ${delivered} of ${total} messages while the loop held its first`);
    assert.ok(delivered <= 2 * RAW_AHEAD_MESSAGES, `the consumer took ${delivered} of ${total} messages while the loop held its first`);
    while (seqs.length < total) seqs.push((await it.next()).value.seq);
    assert.deepEqual(seqs, Array.from({ length: total }, (_, i) => i + 1));
  } finally {
    messages?.stop();
    await jsm.streams.delete(s.raw);
  }
});
