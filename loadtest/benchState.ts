// The state figures of `npm run bench -- memory` and `npm run bench -- recovery`:
//   memory    bytes of dedup state per key held, heap and off-heap (typed arrays), for 10 million keys
//   recovery  a sink's recovery time with 1 and 10 million keys held: a dedup snapshot and a journal
//             tail of 100,000 keys are written to the real JetStream, then a fresh process
//             (loadtest/benchRecoveryChild.ts) recovers from them, processes a new raw batch and
//             inserts its rows into ClickHouse; printed: process start -> first new row inserted.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { LmdbSpill } from '../activities/dedupSpill';
import type { PipelineSpec } from '../core/spec/schema';
import { DedupWindow } from '../core/dedupWindow';
import { hashKey } from '../core/dedupKey';
import { SinkState, zeroCounters, type JournalEntry } from '../core/sinkState';
import { createTableSql, tableRef } from '../core/ddl';
import { streamsOf } from '../core/names';
import { natsConnection, closeNats, clickhouseFor } from '../runtime/connections';
import { provisionStreams } from '../activities/provision';
import { DedupSnapshots } from '../activities/dedupSnapshots';

const gc = () => (globalThis as { gc?: () => void }).gc?.();
const memory = () => { const m = process.memoryUsage(); return m.heapUsed + m.arrayBuffers; };

/** Bytes per key of a dedup window holding `n` keys (heap and typed arrays), and the window's own figure. */
export function dedupBytesPerKey(n = 10_000_000): { bytesPerKey: number; storeBytesPerKey: number; nsPerAdmit: number } {
  gc();
  const before = memory();
  const w = new DedupWindow(3_600_000);
  const t0 = Date.UTC(2026, 10, 29);
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) w.admit(hashKey(`{"event_id":"e${i}"}`), t0 + Math.floor(i / 1000));
  const ns = Number(process.hrtime.bigint() - start);
  gc();
  const bytes = memory() - before;
  if (w.size !== n) throw new Error(`expected ${n} keys held, got ${w.size}`);
  return { bytesPerKey: bytes / n, storeBytesPerKey: w.bytes / n, nsPerAdmit: ns / n };
}

/**
 * Cost per event of a window at its memory cap: `cap` keys in memory, `total` new keys in all (the
 * rest on disk in LMDB generations), then `cap` new keys (one spill included) and `probe` repeats of keys on disk, timed apart.
 */
export function spillCost(cap = 1_000_000, total = 5_000_000, probe = 200_000): { gens: number; memoryBytesPerKey: number; newNs: number; repeatNs: number; inMemoryNs: number; diskReadsPerNew: number; diskReadsPerRepeat: number } {
  const dir = join(tmpdir(), `sluice-bench-spill-${process.pid}`);
  const store = new LmdbSpill(dir);
  try {
    const w = new DedupWindow(3_600_000, { store, maxKeysInMemory: cap });
    const t0 = Date.UTC(2026, 10, 29);
    const key = (i: number) => hashKey(`{"event_id":"e${i}"}`);
    for (let i = 0; i < total; i++) w.admit(key(i), t0 + Math.floor(i / 1000));
    const time = (f: (i: number) => void, probe: number) => {
      const reads = w.diskReads;
      const start = process.hrtime.bigint();
      for (let i = 0; i < probe; i++) f(i);
      return { ns: Number(process.hrtime.bigint() - start) / probe, reads: (w.diskReads - reads) / probe };
    };
    const t = t0 + total / 1000;
    // new keys over a whole memory store's worth: one spill of `cap` keys to LMDB included (its amortized cost)
    const fresh = time((i) => { if (!w.admit(key(total + i), t)) throw new Error('a new key was taken for a repeat'); }, cap);
    // repeats of keys spread over every generation on disk
    const repeat = time((i) => { if (w.admit(key((i * 7919) % (total - 2 * cap)), t)) throw new Error('a repeat passed'); }, probe);
    const mem = new DedupWindow(3_600_000);
    for (let i = 0; i < cap; i++) mem.admit(key(i), t0);
    const inMemory = time((i) => mem.admit(key(cap + i), t0), probe);
    return { gens: Math.floor((total + cap) / cap) - 1, memoryBytesPerKey: w.bytes / w.size, newNs: fresh.ns, repeatNs: repeat.ns, inMemoryNs: inMemory.ns, diskReadsPerNew: fresh.reads, diskReadsPerRepeat: repeat.reads };
  } finally {
    store.close();
  }
}

/** A purchase event as the bench pipeline reads it. */
export const benchPurchase = (id: string) => JSON.stringify({ event_id: id, user_id: 'u', amount: 1, currency: 'EUR', ts: '2026-11-29T12:00:00Z', _event_source_: 'web' });

const SNAPSHOT_BATCH = 100;
const TAIL_BATCHES = 20;
const TAIL_KEYS = 5_000;

/** Writes a dedup snapshot of `n` keys and a journal tail for `spec`'s pipeline (streams recreated). */
async function prepareRecovery(spec: PipelineSpec, n: number): Promise<{ writeSeconds: number; snapshotBytes: number }> {
  const log = (what: string) => console.log(`[bench] recovery ${n.toLocaleString('en')} keys: ${what} (${((Date.now() - began) / 1000).toFixed(1)} s)`);
  const began = Date.now();
  const nc = await natsConnection();
  const jsm = await nc.jetstreamManager();
  const s = streamsOf(spec.name);
  for (const name of [s.raw, s.journal, s.dlq, s.joinBucketStream]) await jsm.streams.delete(name).catch(() => undefined);
  await provisionStreams(spec);
  const ch = clickhouseFor(spec);
  await ch.command({ query: `CREATE DATABASE IF NOT EXISTS ${spec.sink.clickhouse.database}` });
  await ch.command({ query: `DROP TABLE IF EXISTS ${tableRef(spec)}` });
  await ch.command({ query: createTableSql(spec) });
  await ch.close();
  log('streams and table ready');
  // the state: n keys seen over the last half hour of a one-hour window
  const now = Date.now();
  const state = new SinkState(spec);
  const halves = new Uint32Array(2 * n);
  const timeLo = new Uint32Array(n);
  const timeHi = new Uint16Array(n);
  let x = 0x9e3779b9;
  for (let i = 0; i < 2 * n; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; halves[i] = x >>> 0; }
  for (let i = 0; i < n; i++) {
    const e = now - 1_800_000 + Math.floor((i * 1_800_000) / n) + 2 ** 47;
    timeHi[i] = Math.floor(e / 2 ** 32);
    timeLo[i] = e - timeHi[i] * 2 ** 32;
  }
  state.restoreDedup({ batch: SNAPSHOT_BATCH, sources: [{ s: 0, window: { watermark: now, lastSweep: now, store: { keys: halves, timeLo, timeHi } } }] });
  const snap = { ...state.dedupSnapshot(), batch: SNAPSHOT_BATCH };
  const js = nc.jetstream();
  const started = Date.now();
  await (await DedupSnapshots.open(js, spec))!.write(snap);
  const writeSeconds = (Date.now() - started) / 1000;
  log('snapshot written');
  // the journal: the snapshot's own entry, then TAIL_BATCHES entries of new keys
  for (let b = SNAPSHOT_BATCH; b <= SNAPSHOT_BATCH + TAIL_BATCHES; b++) {
    const ids = b === SNAPSHOT_BATCH ? [] : Array.from({ length: TAIL_KEYS }, (_, i) => hashKey(`{"event_id":"tail-${b}-${i}"}`));
    const entry: JournalEntry = {
      v: 2, batch: b, rawSeq: 0, at: now, rows: 0, counters: { ...zeroCounters(), read: b * TAIL_KEYS, inserted: b * TAIL_KEYS }, hw: {},
      keys: ids.length ? [{ s: 0, k: ids.join(''), t: ids.map(() => now) }] : [],
    };
    await js.publish(s.journalSubject, new TextEncoder().encode(JSON.stringify(entry)));
  }
  // a new raw batch to process after the recovery
  const v = Array.from({ length: 500 }, (_, i) => benchPurchase(`new-${i}`));
  await js.publish(s.rawSubject(0), new TextEncoder().encode(JSON.stringify({ s: 0, t: spec.sources[0].kafka.topic, p: 0, o: v.map((_, i) => i), a: now, v })));
  const snapshotBytes = (await jsm.streams.info(s.joinBucketStream)).state.bytes;
  return { writeSeconds, snapshotBytes };
}

export interface RecoveryFigures { keys: number; snapshotMiB: number; writeSeconds: number; child: Record<string, number> }

/** Prepares the state, then times a fresh process recovering from it. */
export async function recoveryBench(spec: PipelineSpec, n: number): Promise<RecoveryFigures> {
  const { writeSeconds, snapshotBytes } = await prepareRecovery(spec, n);
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, ['dist/loadtest/benchRecoveryChild.js', JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.on('data', (d: Buffer) => { text += d.toString(); });
    child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`recovery process exited with ${code}`))));
  });
  const child = JSON.parse(out.trim().split('\n').pop()!) as Record<string, number>;
  const expected = n + TAIL_BATCHES * TAIL_KEYS + child.rows;
  if (child.rows !== 500 || child.keys !== expected) throw new Error(`recovered and processed ${child.keys} keys (${child.rows} new rows), expected ${expected}`);
  const jsm = await (await natsConnection()).jetstreamManager();
  const s = streamsOf(spec.name);
  for (const name of [s.raw, s.journal, s.dlq, s.joinBucketStream]) await jsm.streams.delete(name).catch(() => undefined);
  return { keys: n, snapshotMiB: snapshotBytes / 2 ** 20, writeSeconds, child };
}

export { closeNats };
