// A JetStream publish made while NATS is down (the client discards what it buffered when it
// dials again) must be acknowledged soon after NATS is back, not only after its ack timeout,
// and the stream must then hold each message once, in order.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { connect, type NatsConnection } from 'nats';
import { repoRoot } from '../../loadtest/localWorker';
import { settings } from '../../runtime/settings';
import { publishAcked } from '../../runtime/jetstreamPublish';

const stack = (...args: string[]) => execFileSync('bash', [join(repoRoot, 'stack', 'stack.sh'), ...args], { stdio: 'pipe' });
let nc: NatsConnection;
// the options of the workers' connection (runtime/connections.ts)
before(async () => { nc = await connect({ servers: settings.natsUrl, name: 'it-nats-restart', maxReconnectAttempts: -1, reconnectTimeWait: 1000 }); });
after(async () => { await nc?.close(); });

test('NATS restarted while a batch waits for its acks: published again after the reconnect, each message stored once, in order', async () => {
  const stream = `IT_NATS_RESTART_${randomBytes(3).toString('hex').toUpperCase()}`;
  const subject = `it.natsrestart.${stream}`;
  const jsm = await nc.jetstreamManager();
  await jsm.streams.add({ name: stream, subjects: [subject], duplicate_window: 120e9 });
  try {
    const js = nc.jetstream();
    const message = (i: number) => ({ subject, data: new TextEncoder().encode(`m${i}`), msgID: `m${i}` });
    await publishAcked(nc, js, [0, 1].map(message));

    stack('down', 'nats');
    // published while NATS is down, as an ingest batch would be
    const pending = publishAcked(nc, js, [2, 3, 4].map(message), { timeoutMs: 30_000 });
    const outcome = pending.then(() => 'acked', (e: Error) => `failed: ${e.message}`);
    await new Promise((r) => setTimeout(r, 2000));
    stack('up', 'nats');
    const backAt = Date.now();
    const result = await outcome;
    const afterS = (Date.now() - backAt) / 1000;
    assert.equal(result, 'acked');
    assert.ok(afterS < 10, `acked ${afterS.toFixed(1)} s after NATS was back (the ack timeout is 30 s)`);

    // each message once, in order (a message published again has the same msgID)
    const info = await jsm.streams.info(stream);
    assert.equal(info.state.messages, 5);
    const got: string[] = [];
    for (let seq = 1; seq <= 5; seq++) got.push(new TextDecoder().decode((await jsm.streams.getMessage(stream, { seq })).data));
    assert.deepEqual(got, ['m0', 'm1', 'm2', 'm3', 'm4']);
  } finally {
    await jsm.streams.delete(stream).catch(() => undefined);
  }
});
