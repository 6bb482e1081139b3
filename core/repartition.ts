// A change of a running pipeline's parallelism (docs/scaling.md): the drained state of the old
// shards is split by the new routing into each new shard's first state. A dedup key is held as
// its 64-bit hash, and the router sends a record to the shard of that hash's low 32 bits mod N
// (core/shards.ts shardOfHash), so every held key can be routed anew without the event it came
// from. The counters go to new shard 0 (so the pipeline's sum is unchanged); every new shard
// gets the union of the old high-water marks (every record up to them was routed and counted,
// by whichever old shard it went to). Pure: activities/repartition.ts reads and writes the state.
import type { DedupSnapshot } from './dedupSnapshot';
import type { DedupWindowDump } from './dedupWindow';
import { zeroCounters, type Counters, type JournalEntry } from './sinkState';

export interface DrainedShard {
  /** its dedup state after its last batch (dedupSnapshot()) */
  dedup: DedupSnapshot;
  counters: Counters;
  hw: Record<string, number>;
}

export interface NewShard {
  /** the dedup snapshot of batch 1, which the shard's recovery loads */
  dedup: DedupSnapshot;
  /** its first journal entry (batch 1, no rows): counters, high-water marks, where it starts reading */
  entry: JournalEntry;
}

/** The batch the new shards' first state is: journal entry 1 (no rows) and the dedup snapshot of batch 1. */
export const FIRST_BATCH = 1;

function addCounters(a: Counters, b: Counters): Counters {
  return { read: a.read + b.read, duplicates: a.duplicates + b.duplicates, dlq: a.dlq + b.dlq, inserted: a.inserted + b.inserted, late: a.late + b.late };
}

/** Splits the windows of one dedup source over `count` shards by the low half of each key's hash. */
function splitWindow(parts: DedupWindowDump[], count: number): DedupWindowDump[] {
  const n = parts.reduce((a, d) => a + d.store.timeLo.length, 0);
  const shardOf = new Uint8Array(n);
  const sizes = new Array<number>(count).fill(0);
  let j = 0;
  for (const d of parts) {
    for (let i = 0; i < d.store.timeLo.length; i++, j++) sizes[(shardOf[j] = d.store.keys[2 * i + 1] % count)]++;
  }
  const out = sizes.map((size) => ({ keys: new Uint32Array(2 * size), timeLo: new Uint32Array(size), timeHi: new Uint16Array(size) }));
  const at = new Array<number>(count).fill(0);
  j = 0;
  for (const d of parts) {
    for (let i = 0; i < d.store.timeLo.length; i++, j++) {
      const k = shardOf[j], p = at[k]++;
      out[k].keys[2 * p] = d.store.keys[2 * i];
      out[k].keys[2 * p + 1] = d.store.keys[2 * i + 1];
      out[k].timeLo[p] = d.store.timeLo[i];
      out[k].timeHi[p] = d.store.timeHi[i];
    }
  }
  // the largest time any old shard saw: keys are then freed as an unsharded window would free them
  const watermark = Math.max(...parts.map((d) => d.watermark));
  const lastSweep = Math.min(...parts.map((d) => d.lastSweep));
  return out.map((store) => ({ watermark, lastSweep, store }));
}

/**
 * The first state of each of `count` new shards. `rawSeq`: the raw stream's last sequence when
 * the old shards were drained (the new shards read from after it). Throws for state that cannot
 * be split (keys of a journal from before xxHash64, which the router never saw).
 */
export function repartition(old: DrainedShard[], count: number, rawSeq: number, at: number): NewShard[] {
  if (!(Number.isInteger(count) && count >= 1 && count <= 255)) throw new Error(`repartition: ${count} shards`);
  if (old.some((o) => o.dedup.sources.some((s) => s.legacyUntil !== undefined))) {
    throw new Error('the dedup state still holds keys of a journal from before xxHash64 (MD5 keys): they cannot be routed; change the parallelism once they have expired (one window)');
  }
  const counters = old.reduce((a, o) => addCounters(a, o.counters), zeroCounters());
  const hw: Record<string, number> = {};
  for (const o of old) for (const [k, v] of Object.entries(o.hw)) hw[k] = Math.max(hw[k] ?? -1, v);
  const sources = [...new Set(old.flatMap((o) => o.dedup.sources.map((s) => s.s)))].sort((a, b) => a - b);
  const windows = new Map(sources.map((s) => [s, splitWindow(old.flatMap((o) => o.dedup.sources.filter((x) => x.s === s).map((x) => x.window)), count)]));
  return Array.from({ length: count }, (_, k): NewShard => ({
    dedup: { batch: FIRST_BATCH, sources: sources.map((s) => ({ s, window: windows.get(s)![k] })) },
    entry: { v: 2, batch: FIRST_BATCH, rawSeq, at, rows: 0, counters: k === 0 ? counters : zeroCounters(), hw: { ...hw }, keys: [] },
  }));
}
