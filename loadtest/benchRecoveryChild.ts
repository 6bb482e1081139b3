// The process `npm run bench -- recovery` times (loadtest/benchState.ts): recovers a sink's state
// like activities/dedupSink.ts does (newest dedup snapshot, then the journal's keys after it),
// processes the next raw batch and inserts its rows. Prints one JSON line of figures (ms from process start).
import { performance } from 'node:perf_hooks';
import { insertLines } from '../activities/sink/clickhouseWriter';
import { DeliverPolicy } from 'nats';
import type { PipelineSpec } from '../core/spec/schema';
import { SinkState } from '../core/sinkState';
import { decodeRawBatch } from '../core/envelope';
import { streamsOf } from '../core/names';
import { tableRef } from '../core/ddl';
import { natsConnection, closeNats, clickhouseFor } from '../runtime/connections';
import { DedupSnapshots } from '../activities/dedupSnapshots';
import { entriesUpTo } from '../activities/sink/recovery';

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2]) as PipelineSpec;
  const s = streamsOf(spec.name);
  const nc = await natsConnection();
  const js = nc.jetstream();
  const jsm = await nc.jetstreamManager();
  const state = new SinkState(spec);
  const connected = performance.now();
  const keysFrom = await (await DedupSnapshots.open(js, spec))!.restore(state);
  const snapshotLoaded = performance.now();
  const info = await jsm.streams.info(s.journal);
  for await (const { entry } of entriesUpTo(js, s.journal, info)) state.apply(entry, true, entry.batch > keysFrom);
  state.evictAll();
  const journalReplayed = performance.now();
  const raw = await js.consumers.get(s.raw, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: 1 });
  const m = await raw.next({ expires: 5000 });
  if (!m) throw new Error('no raw batch to process');
  state.process(m.seq, decodeRawBatch(m.data));
  const { rows } = state.takeBatch(Date.now());
  const ch = clickhouseFor(spec);
  await insertLines(ch, tableRef(spec), rows.bytes(), {});
  const inserted = performance.now();
  await ch.close();
  await closeNats();
  console.log(JSON.stringify({ keys: state.heldKeys(), rows: rows.count, connectedMs: connected, snapshotLoadedMs: snapshotLoaded, journalReplayedMs: journalReplayed, firstRowInsertedMs: inserted }));
}

main().catch((e) => { console.error(e); process.exit(1); });
