// The join state of a pipeline's old shards split over its new shards (core/repartition.ts): every
// right event (held, or only an open left event's match) and every open left event goes to the
// shard of its join key, which its vals hold, so later events of that key meet it there. Arrival
// numbers (right events' seqs, left events' ids) are renumbered per old shard so they stay unique
// in the merged state. Per partition, a new shard starts from the largest time any old shard saw
// in it (the partition's progress, as one unsharded state would have it); the windows' own
// watermarks start from the lowest of the old shards', so no open window is closed before its
// time (they rise again with the next event or tick). Pure.
import type { JoinSnapshot, Vals } from './joinState';
import type { JoinPlan } from './plan';
import { shardOfJoinKey } from '../shards';

const lowest = (xs: Array<number | null>): number | null => {
  const finite = xs.filter((x): x is number => x !== null);
  return finite.length ? Math.min(...finite) : null;
};

/** Per side, each partition's largest time and whether every old shard that has it declared it idle. */
function mergeLanes(snaps: JoinSnapshot[]): JoinSnapshot['lanes'] {
  const sides = Math.max(0, ...snaps.map((s) => s.lanes.length));
  return Array.from({ length: sides }, (_, i) => {
    const lanes = new Map<number, { t: number | null; idle: boolean }>();
    for (const s of snaps) {
      for (const [lane, t, idle] of s.lanes[i] ?? []) {
        const had = lanes.get(lane);
        lanes.set(lane, { t: had?.t == null ? t : t == null ? had.t : Math.max(had.t, t), idle: (had?.idle ?? true) && idle === 1 });
      }
    }
    return [...lanes].sort((a, b) => a[0] - b[0]).map(([lane, { t, idle }]): [number, number | null, 0 | 1] => [lane, t, idle ? 1 : 0]);
  });
}

export function splitJoin(old: Array<JoinSnapshot | undefined>, plan: JoinPlan, count: number): JoinSnapshot[] {
  const snaps = old.filter((s): s is JoinSnapshot => s !== undefined);
  // with more than one shard every right side matches the same left fields (core/shards.ts parallelismProblems)
  const leftKey = plan.right[0].leftKeyIdx;
  const shardOf = (vals: Vals, idx: number[]) => (count === 1 ? 0 : shardOfJoinKey(idx.map((i) => vals[i]), count));
  const lanes = mergeLanes(snaps);
  const base = {
    v: 1 as const, floor: lowest(snaps.map((s) => s.floor)), close: lowest(snaps.map((s) => s.close)), evict: lowest(snaps.map((s) => s.evict)),
    seq: snaps.reduce((a, s) => a + s.seq, 0),
  };
  const out: JoinSnapshot[] = Array.from({ length: count }, () => ({ ...base, lanes: lanes.map((l) => l.map((x) => [...x] as typeof x)), r: [], l: [] }));
  let off = 0;
  for (const s of snaps) {
    for (const [side, seq, t, vals, held] of s.r) out[shardOf(vals, plan.right[side].keyIdx)].r.push([side, seq + off, t, vals, held]);
    for (const [id, t, vals, tag, rows, matches] of s.l) {
      out[shardOf(vals, leftKey)].l.push([id + off, t, vals, tag, rows, matches.map((seqs) => seqs.map((q) => q + off))]);
    }
    off += s.seq;
  }
  return out;
}
