// A change of a running pipeline's parallelism (docs/scaling.md "Changing N while running"): the
// drained state of the old shards becomes each new shard's first state. Pure:
// activities/repartition.ts reads the old state and writes the new.
//
// - Dedup keys. A key is held as its 64-bit hash. In a dedup pipeline the router sends a record
//   to the shard of its key hash's low 32 bits mod N (core/shards.ts shardOfHash), so every held
//   key goes to the one new shard its later copies will go to ("split"). In a join pipeline the
//   router goes by the join key, which a dedup key's hash does not reveal, and keys of a journal
//   from before xxHash64 (MD5) were never routed: then every new shard gets every key ("copy"),
//   the one its copies go to among them; the others hold keys they never see again, until they
//   leave the window (memory: N× the keys for one window).
// - Join state: every held or open event goes to the shard of its join key (the vals hold it).
// - Counters: their sum is unchanged. A join shard's open left events are its `waiting`, so each
//   new shard gets as many `read` as it gets open left events; shard 0 takes the rest.
// - High-water marks: every new shard gets the union (every record up to them was routed and
//   counted, by whichever old shard it went to, so a record republished later is dropped).
import type { DedupSnapshot } from './dedupSnapshot';
import type { DedupWindowDump } from './dedupWindow';
import { KeyStore, dumpTime } from './keyStore';
import { zeroCounters, type Counters, type JournalEntry } from './sinkState';
import type { JoinSnapshot } from './join/joinState';
import type { JoinPlan } from './join/plan';
import { zeroJoinCounters, type JoinCounters } from './join/joinRunner';
import { splitJoin } from './join/repartitionJoin';

export interface DrainedShard {
  /** its dedup state after its last batch (SinkState.dedupSnapshot()) */
  dedup: DedupSnapshot;
  counters: Counters;
  hw: Record<string, number>;
  /** join pipelines: its join state after its last batch */
  join?: JoinSnapshot;
}

export interface NewShard {
  /** the dedup snapshot of batch 1, which the shard's recovery loads */
  dedup: DedupSnapshot;
  /** its first journal entry (batch 1, no rows): counters, high-water marks, where it starts reading */
  entry: JournalEntry;
  /** join pipelines: the join snapshot of batch 1 */
  join?: JoinSnapshot;
}

/** The batch the new shards' first state is: journal entry 1 (no rows) and the snapshots of batch 1. */
export const FIRST_BATCH = 1;

/** The keys of one dedup source's old windows in `count` new windows: each key in its shard, or (`copy`) in all. */
function splitWindow(parts: DedupWindowDump[], count: number, copy: boolean): DedupWindowDump[] {
  const total = parts.reduce((a, d) => a + d.store.timeLo.length, 0);
  const stores = Array.from({ length: count }, () => new KeyStore(copy ? total : Math.ceil(total / count)));
  for (const { store: d } of parts) {
    for (let i = 0; i < d.timeLo.length; i++) {
      const hi = d.keys[2 * i], lo = d.keys[2 * i + 1], t = dumpTime(d, i);
      // a key held by two old shards (copied there by an earlier change): its first-seen time
      for (const s of copy ? stores : [stores[lo % count]]) {
        const had = s.get(hi, lo);
        if (had === undefined || t < had) s.set(hi, lo, t);
      }
    }
  }
  // the largest time any old shard saw: keys are then freed as an unsharded window would free them
  const watermark = Math.max(...parts.map((d) => d.watermark));
  const lastSweep = Math.min(...parts.map((d) => d.lastSweep));
  return stores.map((s) => ({ watermark, lastSweep, store: s.dump() }));
}

/**
 * The first state of each of `count` new shards. `rawSeq`: the raw stream's last sequence when
 * the old shards were drained (the new shards read from after it). `join`: the pipeline's join
 * plan (its held events are routed by their join key).
 */
export function repartition(old: DrainedShard[], count: number, rawSeq: number, at: number, join?: JoinPlan): NewShard[] {
  if (!(Number.isInteger(count) && count >= 1 && count <= 255)) throw new Error(`repartition: ${count} shards`);
  if (old.length === 0) throw new Error('repartition: no old shards');
  const copy = join !== undefined || old.some((o) => o.dedup.sources.some((s) => s.legacyUntil !== undefined));
  const hw: Record<string, number> = {};
  for (const o of old) for (const [k, v] of Object.entries(o.hw)) hw[k] = Math.max(hw[k] ?? -1, v);
  const sources = [...new Set(old.flatMap((o) => o.dedup.sources.map((s) => s.s)))].sort((a, b) => a - b);
  const windows = new Map(sources.map((s) => {
    const of = old.flatMap((o) => o.dedup.sources.filter((x) => x.s === s));
    const legacy = of.map((x) => x.legacyUntil).filter((t): t is number => t !== undefined);
    return [s, { parts: splitWindow(of.map((x) => x.window), count, copy), legacyUntil: legacy.length ? Math.max(...legacy) : undefined }];
  }));
  const joins = join ? splitJoin(old.map((o) => o.join), join, count) : undefined;
  const counters = splitCounters(old.map((o) => o.counters), count, joins?.map((j) => j.l.length));
  return Array.from({ length: count }, (_, k): NewShard => {
    const dedup: DedupSnapshot = {
      batch: FIRST_BATCH,
      sources: sources.map((s) => {
        const w = windows.get(s)!;
        return w.legacyUntil === undefined ? { s, window: w.parts[k] } : { s, window: w.parts[k], legacyUntil: w.legacyUntil };
      }),
    };
    const entry: JournalEntry = { v: 2, batch: FIRST_BATCH, rawSeq, at, rows: 0, counters: counters[k], hw: { ...hw }, keys: [] };
    return joins ? { dedup, entry, join: joins[k] } : { dedup, entry };
  });
}

const addJoin = (a: JoinCounters | undefined, b: JoinCounters | undefined): JoinCounters | undefined => {
  if (!a || !b) return a ?? b;
  return { matched: a.matched + b.matched, unmatched: a.unmatched + b.unmatched, waiting: a.waiting + b.waiting, side: a.side + b.side, rejectedRows: a.rejectedRows + b.rejectedRows };
};
const addCounters = (a: Counters, b: Counters): Counters => {
  const sum: Counters = { read: a.read + b.read, duplicates: a.duplicates + b.duplicates, dlq: a.dlq + b.dlq, inserted: a.inserted + b.inserted, late: a.late + b.late };
  const join = addJoin(a.join, b.join);
  return join ? { ...sum, join } : sum;
};

/**
 * The old shards' counters over `count` new shards: all on shard 0, except that a join shard's
 * open left events (`opens[k]`) are its own `read` and `waiting` (so each shard reconciles alone).
 */
function splitCounters(old: Counters[], count: number, opens: number[] | undefined): Counters[] {
  const total = old.reduce(addCounters);
  if (!opens) return Array.from({ length: count }, (_, k) => (k === 0 ? total : zeroCounters()));
  const elsewhere = opens.reduce((a, n, k) => (k === 0 ? a : a + n), 0);
  const join = total.join ?? zeroJoinCounters();
  return opens.map((n, k) => (k === 0
    ? { ...total, read: total.read - elsewhere, join: { ...join, waiting: join.waiting - elsewhere } }
    : { ...zeroCounters(), read: n, join: { ...zeroJoinCounters(), waiting: n } }));
}
