// The dedup state of issue 18 in the real sink: snapshots of it in the object store, the journal
// before them purged, keys past a (tiny) memory cap in LMDB, and a SIGKILL mid-run recovered from
// the newest snapshot + the journal after it: exact rows, counters reconcile.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { streamsOf } from '../../core/names';
import { scalar } from '../../loadtest/clickhouse';
import { purchaseEvents } from '../../loadtest/seedEvents';
import { createRunning, killWorkers, sinkStarts, until, untilRows, newTopic, openHarness, purchaseSpec, rows, send, tableOf, uniqueName, untilRead, type Harness } from './harness';

let h: Harness;
// a snapshot every 1,500 new keys; 0.05 MiB of keys in memory (1,536), the rest in LMDB
before(async () => { h = await openHarness({ SLUICE_DEDUP_SNAPSHOT_EVERY_KEYS: '1500', SLUICE_DEDUP_MEMORY_MAX_MB: '0.05' }); });
after(async () => { await h?.close(); });

test('dedup snapshots + purged journal + keys on disk: a SIGKILLed sink recovers from the newest snapshot, exact rows', async () => {
  const name = uniqueName('it-dedup-state');
  await newTopic(h, name, 3);
  await createRunning(h, purchaseSpec(name, name, { batch: { maxRows: 1000, maxDelay: '100ms' } }));
  const events = [...purchaseEvents({ events: 20_000, duplicateRatio: 0.3, malformedRatio: 0.01, seed: 18, maxDuplicateDistance: 4000 }, name)];
  const unique = events.filter((e) => e.unique).length;
  const malformed = events.filter((e) => e.malformed).length;
  let sent = false;
  const sending = send(h, name, events.map((e) => e.value), { chunk: 400, pauseMs: 300 }).then(() => { sent = true; });
  const os = await h.nc.jetstream().views.os(streamsOf(name).joinBucket);
  const dedupSnapshots = async () => (await os.list()).filter((o) => !o.deleted && o.name.startsWith('dedup-')).length;
  await until('a dedup snapshot in the object store', async () => (await dedupSnapshots()) > 0, 120_000);
  const seen = await untilRows(h, name, Math.floor(unique * 0.4));
  assert.ok(!sent && seen < unique, `the kill came before the end (${seen} of ${unique} rows)`);
  await killWorkers(h);
  h.startWorker();
  await until('the sink to start again', () => sinkStarts(name).length >= 2, 120_000);
  const restart = sinkStarts(name)[1] as { dedupSnapshotBatch?: number; batch: number };
  assert.ok((restart.dedupSnapshotBatch ?? 0) > 0, `recovered from a dedup snapshot (${JSON.stringify(restart)})`);
  await sending;
  const s = await untilRead(h, name, events.length, 180_000);
  await untilRows(h, name, unique);
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(await rows(h, name), unique, 'one row per unique purchase');
  assert.equal(await scalar(h.ch, `SELECT uniqExact(event_id) FROM ${tableOf(name)}`), unique, 'no purchase twice');
  const c = s.sink;
  assert.equal(c.read, events.length);
  assert.equal(c.dlq, malformed);
  assert.equal(c.duplicates, events.length - unique - malformed);
  assert.equal(c.read, c.inserted + c.duplicates + c.dlq);
  const journal = await (await h.nc.jetstreamManager()).streams.info(streamsOf(name).journal);
  assert.ok(journal.state.first_seq > 1, `journal entries before the snapshot were purged (first sequence ${journal.state.first_seq})`);
  assert.ok(await dedupSnapshots() <= 2, 'the newest two snapshots are kept');
  await h.svc.delete(name);
});
