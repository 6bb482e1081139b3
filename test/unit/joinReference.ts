// A reference implementation of the join rules in docs/joins.md, written for clarity, not
// speed: it keeps every input and decides each left event's matches from the whole history.
// The property test compares it with core/join/joinState.ts on random streams.
import type { JoinPlan } from '../../core/join/plan';
import type { Vals } from '../../core/join/joinState';

export type RefInput = { side: number; lane?: number; t: number; vals: Vals } | { tick: number } | { open: number; lane: number } | { idle: number; lane: number };
/** rows emitted at each input index, each row as JSON of [left vals, right vals or null...] */
export type Emissions = Map<number, string[]>;

export function referenceJoin(plan: JoinPlan, inputs: RefInput[]): { rows: Emissions; matched: number; unmatched: number } {
  const WL = plan.left.windowMs;
  const ev = (n: number) => inputs[n] as { side: number; lane?: number; t: number; vals: Vals };
  // watermarks after input n: a side's is the smallest of its partitions' largest times (raised by ticks);
  // windows close by the left side's and every non-latest right side's; right events leave by the left side's.
  // a partition declared idle does not count until its next event; a side whose partitions are all idle holds nothing back
  const sideWm = (side: number, n: number): number | undefined => {
    const lanes = new Map<number, number>();
    const idle = new Set<number>();
    let floor = Number.NEGATIVE_INFINITY;
    for (let m = 0; m <= n; m++) {
      const x = inputs[m];
      if ('tick' in x) floor = Math.max(floor, x.tick);
      else if ('open' in x) { if (x.open === side && !lanes.has(x.lane)) lanes.set(x.lane, Number.NEGATIVE_INFINITY); }
      else if ('idle' in x) { if (x.idle === side) idle.add(x.lane); }
      else if (x.side === side) {
        idle.delete(x.lane ?? 0);
        lanes.set(x.lane ?? 0, Math.max(lanes.get(x.lane ?? 0) ?? Number.NEGATIVE_INFINITY, x.t));
      }
    }
    if (!lanes.size) return floor;
    const active = [...lanes].filter(([l]) => !idle.has(l)).map(([, t]) => t);
    return active.length ? Math.max(Math.min(...active), floor) : undefined;
  };
  const closeWm: number[] = [], wm: number[] = [];
  inputs.forEach((_, n) => {
    const gating = [sideWm(-1, n), ...plan.right.flatMap((r, i) => (r.latest ? [] : [sideWm(i, n)]))].filter((x): x is number => x !== undefined);
    const prevClose = n ? closeWm[n - 1] : Number.NEGATIVE_INFINITY;
    const prevWm = n ? wm[n - 1] : Number.NEGATIVE_INFINITY;
    closeWm.push(gating.length ? Math.max(prevClose, Math.min(...gating)) : prevClose); // watermarks never go back
    wm.push(Math.max(prevWm, sideWm(-1, n) ?? prevWm));
  });
  const isEvent = (n: number) => 'vals' in inputs[n];
  const keyR = (i: number, n: number) => JSON.stringify(plan.right[i].keyIdx.map((k) => ev(n).vals[k]));
  const keyL = (i: number, n: number) => JSON.stringify(plan.right[i].leftKeyIdx.map((k) => ev(n).vals[k]));
  const expires = (i: number, n: number) => ev(n).t + plan.right[i].windowMs + WL;
  const fits = (i: number, l: number, r: number) => ev(l).t - ev(r).t < plan.right[i].windowMs && (plan.right[i].latest || ev(r).t - ev(l).t < WL);

  // right events in order; a latest side's version is accepted unless a newer one is held
  const accepted = new Set<number>();
  const heldLatestAt = (i: number, key: string, n: number): number | undefined => {
    let last: number | undefined;
    for (let b = 0; b < n; b++) if (isEvent(b) && ev(b).side === i && accepted.has(b) && keyR(i, b) === key) last = b;
    return last !== undefined && expires(i, last) > wm[n] ? last : undefined;
  };
  inputs.forEach((x, n) => {
    if (!isEvent(n) || ev(n).side < 0) return;
    const i = ev(n).side;
    if (plan.right[i].latest) {
      const cur = heldLatestAt(i, keyR(i, n), n);
      if (cur !== undefined && ev(cur).t > ev(n).t) return;
    }
    accepted.add(n);
  });

  const rows: Emissions = new Map();
  const emit = (at: number, text: string) => rows.set(at, [...(rows.get(at) ?? []), text]);
  let matched = 0, unmatched = 0;
  inputs.forEach((x, a) => {
    if (!isEvent(a) || ev(a).side >= 0) return;
    const tL = ev(a).t;
    let close = Number.POSITIVE_INFINITY;
    for (let n = a; n < inputs.length; n++) if (tL + WL <= closeWm[n]) { close = n; break; }
    const lists = plan.right.map((side, i) => {
      const key = keyL(i, a);
      const list: number[] = [];
      // held before it arrived
      if (side.latest) {
        const h = heldLatestAt(i, key, a);
        if (h !== undefined && fits(i, a, h)) list.push(h);
      } else {
        for (let b = 0; b < a; b++) if (isEvent(b) && ev(b).side === i && accepted.has(b) && keyR(i, b) === key && expires(i, b) > wm[a] && fits(i, a, b)) list.push(b);
      }
      // arrived while it was open
      for (let b = a + 1; b < Math.min(close, inputs.length); b++) {
        if (!isEvent(b) || ev(b).side !== i || !accepted.has(b) || keyR(i, b) !== key || !fits(i, a, b)) continue;
        if (side.latest && list.length > 0) break;
        list.push(b);
      }
      return list;
    });
    const text = (combo: Array<number | null>) => JSON.stringify([ev(a).vals, ...combo.map((b) => (b === null ? null : ev(b).vals))]);
    const product = (ls: Array<Array<number | null>>): Array<Array<number | null>> =>
      ls.reduce<Array<Array<number | null>>>((acc, l) => acc.flatMap((c) => l.map((b) => [...c, b])), [[]]);
    let count = 0;
    if (lists.every((l) => l.length > 0)) {
      for (const combo of product(lists)) { emit(Math.max(a, ...(combo as number[])), text(combo)); count++; }
    } else if (close !== Number.POSITIVE_INFINITY && lists.every((l, i) => l.length > 0 || plan.right[i].kind === 'left')) {
      for (const combo of product(lists.map((l) => (l.length ? l : [null])))) { emit(close, text(combo)); count++; }
    }
    if (close !== Number.POSITIVE_INFINITY) { if (count > 0) matched++; else unmatched++; }
  });
  return { rows, matched, unmatched };
}
