// A raw stream JetStream has no room to reserve (its max_bytes over what the server's
// max_file_store has left): the pipeline waits in PROVISIONING with an error that names the
// setting and the ways out, not the server's bare words, and starts once there is room.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker } from '../../loadtest/localWorker';
import { streamsOf } from '../../core/names';
import { killWorkers, newTopic, openHarness, purchase, purchaseSpec, rows, send, uniqueName, until, untilRows, type Harness } from './harness';

// stack/nats.conf.tmpl gives JetStream a max_file_store of 64 GB: one stream cannot reserve 65 GiB
const TOO_MUCH = 65 * 2 ** 30;
let h: Harness;
before(async () => { h = await openHarness({ SLUICE_RAW_STREAM_MAX_BYTES: String(TOO_MUCH) }); });
after(async () => { await h?.close(); });

test('a raw stream over the store JetStream has left: PROVISIONING with the setting named, RUNNING with exact rows once it fits', async () => {
  const name = uniqueName('it-storage');
  await newTopic(h, name);
  await h.svc.create(purchaseSpec(name, name));
  const s = await until('the refusal in the status', async () => {
    const st = await h.svc.status(name);
    return st.status === 'PROVISIONING' && st.error ? st : undefined;
  }, 60_000);
  assert.match(s.error!, new RegExp(`no room to reserve 65 GiB for stream ${streamsOf(name).raw} \\(SLUICE_RAW_STREAM_MAX_BYTES\\)`));
  assert.match(s.error!, /lower SLUICE_RAW_STREAM_MAX_BYTES, or raise the server's jetstream max_file_store/);
  await send(h, name, [purchase('a'), purchase('a'), purchase('b')]);
  // a worker with the default (1 GiB) takes over: the workflow's retry provisions, nothing sent is lost
  await killWorkers(h);
  h.workers.push(startWorker('test-worker', { SLUICE_TASK_QUEUE: h.taskQueue }));
  await until('RUNNING', async () => ((await h.svc.status(name)).status === 'RUNNING' ? true : undefined), 120_000);
  await untilRows(h, name, 2);
  assert.equal(await rows(h, name), 2);
  await h.svc.delete(name);
});
