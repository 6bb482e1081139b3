// publishAcked (runtime/jetstreamPublish.ts) against a fake connection: what it does when the
// connection reconnects while acks are awaited, when a publish fails, and while it waits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Events, type JetStreamClient, type NatsConnection, type PubAck, type Status } from 'nats';
import { publishAcked } from '../../runtime/jetstreamPublish';

interface Call { subject: string; msgID: string; resolve: (a: PubAck) => void; reject: (e: Error) => void }

function fake(): { nc: NatsConnection; js: JetStreamClient; calls: Call[]; reconnect: () => void } {
  const calls: Call[] = [];
  const waiting: Array<(s: IteratorResult<Status>) => void> = [];
  const queued: Status[] = [];
  const nc = {
    status: () => ({
      [Symbol.asyncIterator]: () => ({
        next: () => new Promise<IteratorResult<Status>>((r) => { const s = queued.shift(); if (s) r({ value: s, done: false }); else waiting.push(r); }),
      }),
    }),
  } as unknown as NatsConnection;
  const js = {
    publish: (subject: string, _data: Uint8Array, o: { msgID: string }) => new Promise<PubAck>((resolve, reject) => calls.push({ subject, msgID: o.msgID, resolve, reject })),
  } as unknown as JetStreamClient;
  const reconnect = () => {
    const s = { type: Events.Reconnect, data: '' } as Status;
    const w = waiting.shift();
    if (w) w({ value: s, done: false }); else queued.push(s);
  };
  return { nc, js, calls, reconnect };
}

const msgs = ['a', 'b', 'c'].map((id) => ({ subject: `s.${id}`, data: new Uint8Array(), msgID: id }));
const ack = (seq: number, duplicate = false) => ({ stream: 'S', seq, duplicate }) as PubAck;
const tick = (ms = 30) => new Promise((r) => setTimeout(r, ms));

test('a reconnect while acks are awaited publishes the whole batch again, in order, with the same msgIDs', async () => {
  const f = fake();
  const done = publishAcked(f.nc, f.js, msgs, { tickMs: 10 });
  await tick();
  assert.deepEqual(f.calls.map((c) => c.msgID), ['a', 'b', 'c']);
  f.calls[0].resolve(ack(1)); // the first reached the old server; the others were lost
  f.reconnect();
  await tick();
  assert.deepEqual(f.calls.map((c) => c.msgID), ['a', 'b', 'c', 'a', 'b', 'c']);
  f.calls.slice(3).forEach((c, i) => c.resolve(ack(i + 1, i === 0)));
  const acks = await done;
  assert.deepEqual(acks?.map((a) => a.seq), [1, 2, 3]);
  // the abandoned attempt's late failures change nothing (and reject nothing unhandled)
  f.calls[1].reject(new Error('TIMEOUT'));
  f.calls[2].reject(new Error('TIMEOUT'));
  await tick();
});

test('a publish that fails with no reconnect since the attempt began: rejected with its error, not published again', async () => {
  const f = fake();
  const done = publishAcked(f.nc, f.js, msgs, { tickMs: 10 });
  await tick();
  f.calls[1].reject(new Error('maximum bytes exceeded'));
  await assert.rejects(done, /maximum bytes exceeded/);
  assert.equal(f.calls.length, 3);
});

test('a timeout after a reconnect (noticed late): published again rather than failed', async () => {
  const f = fake();
  const done = publishAcked(f.nc, f.js, msgs.slice(0, 1), { tickMs: 1000 });
  await tick();
  f.reconnect();
  f.calls[0].reject(new Error('TIMEOUT'));
  await tick();
  assert.equal(f.calls.length, 2);
  f.calls[1].resolve(ack(7));
  assert.deepEqual((await done)?.map((a) => a.seq), [7]);
});

test('while acks are awaited whileWaiting runs every tick; stop() ends the wait with undefined', async () => {
  const f = fake();
  let beats = 0;
  let stopped = false;
  const done = publishAcked(f.nc, f.js, msgs, { tickMs: 10, whileWaiting: async () => { beats++; }, stop: () => stopped });
  await tick(80);
  assert.ok(beats >= 3, `${beats} heartbeats`);
  stopped = true;
  assert.equal(await done, undefined);
});
