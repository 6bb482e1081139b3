import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JoinState, type JoinSnapshot, type Tag, type Vals } from '../../core/join/joinState';
import type { JoinPlan } from '../../core/join/plan';
import { prng } from '../../loadtest/seedEvents';
import { referenceJoin, type Emissions, type RefInput } from './joinReference';

/** left: [key, id]; right sides: [key, id]; output is not used by JoinState */
function planOf(o: { wl: number; sides: Array<{ w: number; kind: 'inner' | 'left'; latest: boolean }> }): JoinPlan {
  return {
    time: 'event',
    idleAfterMs: 30_000,
    left: { source: 0, name: 'l', fields: ['k', 'id'], windowMs: o.wl },
    right: o.sides.map((s, i) => ({ source: i + 1, name: `r${i}`, fields: ['k', 'id'], windowMs: s.w, keyIdx: [0], leftKeyIdx: [0], kind: s.kind, latest: s.latest })),
    output: [],
    sideOfSource: new Map(),
  };
}

function run(plan: JoinPlan, inputs: RefInput[], from?: { at: number }) {
  const rows: Emissions = new Map();
  const tags: Tag[] = [];
  let n = 0, matched = 0, unmatched = 0;
  const events = {
    row: (l: Vals, r: Array<Vals | null>, tag: Tag) => { tags.push(tag); rows.set(n, [...(rows.get(n) ?? []), JSON.stringify([l, ...r])]); },
    closed: (count: number) => { if (count > 0) matched++; else unmatched++; },
  };
  let j = new JoinState(plan, events);
  for (n = 0; n < inputs.length; n++) {
    if (from && n === from.at) {
      // a crash here: the state goes through its snapshot (as JSON) into a new instance
      const snap = JSON.parse(JSON.stringify(j.snapshot()));
      j = new JoinState(plan, events);
      j.restore(snap);
    }
    const x = inputs[n];
    if ('tick' in x) j.advance(x.tick);
    else if ('open' in x) j.openLane(x.open, x.lane);
    else if ('idle' in x) j.idleLane(x.idle, x.lane);
    else j.push(x.side, x.lane ?? 0, x.t, x.vals, [x.lane ?? 0, n, x.t]);
  }
  return { rows, tags, matched, unmatched, stats: j.stats() };
}

const sorted = (m: Emissions) => [...m].filter(([, r]) => r.length).map(([n, r]) => [n, [...r].sort()] as const).sort((a, b) => a[0] - b[0]);

function randomCase(seed: number) {
  const rand = prng(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  const sides = Array.from({ length: 1 + Math.floor(rand() * 2) }, () => ({
    w: pick([5, 10, 20, 40]), kind: pick(['inner', 'left'] as const), latest: rand() < 0.4,
  }));
  const plan = planOf({ wl: pick([5, 10, 20, 40]), sides });
  const keys = 1 + Math.floor(rand() * 6);
  const lanes = 1 + Math.floor(rand() * 3);
  const skew = Math.floor(rand() * 15);
  const inputs: RefInput[] = [];
  let clock = 0;
  for (let n = 0; n < 120; n++) {
    clock += rand() < 0.1 ? Math.floor(rand() * 30) : Math.floor(rand() * 3);
    if (rand() < 0.05) { inputs.push({ tick: clock + Math.floor(rand() * 10) }); continue; }
    if (rand() < 0.04) { inputs.push({ open: Math.floor(rand() * (sides.length + 1)) - 1, lane: Math.floor(rand() * (lanes + 1)) }); continue; }
    if (rand() < 0.04) { inputs.push({ idle: Math.floor(rand() * (sides.length + 1)) - 1, lane: Math.floor(rand() * lanes) }); continue; }
    const side = rand() < 0.45 ? -1 : Math.floor(rand() * sides.length);
    // partitions run ahead of each other, and some events are delayed by up to 50 time units (late ones included)
    const lane = Math.floor(rand() * lanes);
    const t = clock - lane * skew - (rand() < 0.3 ? Math.floor(rand() * 50) : 0);
    inputs.push({ side, lane, t, vals: [`k${Math.floor(rand() * keys)}`, `${side}:${n}`] });
  }
  return { plan, inputs };
}

test('property: the join engine emits what the reference implementation of the rules emits, at the same inputs', () => {
  for (let seed = 1; seed <= 400; seed++) {
    const { plan, inputs } = randomCase(seed);
    const got = run(plan, inputs);
    const want = referenceJoin(plan, inputs);
    assert.deepEqual(sorted(got.rows), sorted(want.rows), `seed ${seed}`);
    assert.equal(got.matched, want.matched, `seed ${seed}: matched`);
    assert.equal(got.unmatched, want.unmatched, `seed ${seed}: unmatched`);
  }
});

test('property: a snapshot taken anywhere and restored gives the same rows as no interruption', () => {
  for (let seed = 1; seed <= 200; seed++) {
    const { plan, inputs } = randomCase(seed);
    const straight = run(plan, inputs);
    const at = 1 + (seed * 37) % (inputs.length - 1);
    const resumed = run(plan, inputs, { at });
    assert.deepEqual(sorted(resumed.rows), sorted(straight.rows), `seed ${seed}, snapshot at ${at}`);
    assert.deepEqual(resumed.stats.open, straight.stats.open);
    assert.deepEqual(resumed.stats.held, straight.stats.held);
  }
});

test('property: times held relative to a base decide as absolute times do, also at 2026 dates, with fractions, and a fraction far from the base; tags come back whole', () => {
  for (let seed = 1; seed <= 200; seed++) {
    const { plan, inputs } = randomCase(seed);
    // 2026 dates with quarter milliseconds; from seed 100 on, one event at a tiny fractional time (t - base is not exact: the state goes back to absolute times)
    const shifted = inputs.map((x, n): RefInput => ('t' in x ? { ...x, t: seed > 100 && n === 60 ? 0.1 : 1_795_910_400_000 + x.t + (n % 4) / 4 } : 'tick' in x ? { tick: 1_795_910_400_000 + x.tick } : x));
    const got = run(plan, shifted);
    const want = referenceJoin(plan, shifted);
    assert.deepEqual(sorted(got.rows), sorted(want.rows), `seed ${seed}`);
    assert.equal(got.matched, want.matched, `seed ${seed}: matched`);
    const resumed = run(plan, shifted, { at: 1 + (seed * 37) % (inputs.length - 1) });
    assert.deepEqual(sorted(resumed.rows), sorted(want.rows), `seed ${seed}: restored`);
    for (const tags of [got.tags, resumed.tags]) {
      for (const [lane, n, at] of tags) {
        const x = shifted[n] as { side: number; lane?: number; t: number };
        assert.deepEqual([x.side, lane, at], [-1, x.lane ?? 0, x.t], `seed ${seed}: tag of input ${n}`);
      }
    }
  }
});

test('a join snapshot written before tags were held as numbers (tag "partition:offset:arrival") restores with its tags', () => {
  const plan = planOf({ wl: 10, sides: [{ w: 10, kind: 'inner', latest: false }] });
  const old: JoinSnapshot = { v: 1, lanes: [[[0, 5, 0]], []], floor: null, close: null, evict: null, seq: 1, r: [], l: [[1, 5, ['a', 'p1'], '2:123456:1795910400000', 0, [[]]]] };
  const tags: Tag[] = [];
  const j = new JoinState(plan, { row: (_l, _r, tag) => tags.push(tag), closed: () => undefined });
  j.restore(old);
  j.push(0, 0, 6, ['a', 'pay']);
  assert.deepEqual(tags, [[2, 123_456, 1_795_910_400_000]]);
});

// The documented rules, one by one (W = windows; times in ms)
const L = (t: number, k: string, id: string): RefInput => ({ side: -1, t, vals: [k, id] });
const R = (side: number, t: number, k: string, id: string): RefInput => ({ side, t, vals: [k, id] });
const rowsOf = (plan: JoinPlan, inputs: RefInput[]) => [...run(plan, inputs).rows].map(([n, r]) => [n, r.map((x) => JSON.parse(x) as unknown[]).map((c) => c.map((v) => (v === null ? null : (v as string[])[1])))]);

test('one-to-one, either order: the row appears when the second of the pair arrives', () => {
  const plan = planOf({ wl: 10, sides: [{ w: 10, kind: 'inner', latest: false }] });
  assert.deepEqual(rowsOf(plan, [L(0, 'a', 'p1'), R(0, 1, 'a', 'pay1')]), [[1, [['p1', 'pay1']]]]);
  assert.deepEqual(rowsOf(plan, [R(0, 0, 'a', 'pay1'), L(1, 'a', 'p1')]), [[1, [['p1', 'pay1']]]]);
});

test('one-to-many: a left event joins every right event of its key in the window (a row each)', () => {
  const plan = planOf({ wl: 10, sides: [{ w: 10, kind: 'inner', latest: false }] });
  assert.deepEqual(rowsOf(plan, [R(0, 0, 'a', 'x1'), L(1, 'a', 'p1'), R(0, 2, 'a', 'x2')]), [[1, [['p1', 'x1']]], [2, [['p1', 'x2']]]]);
});

test('many-to-one with a latest side: each left event takes the newest version held; an older version is ignored', () => {
  const plan = planOf({ wl: 10, sides: [{ w: 100, kind: 'inner', latest: true }] });
  const got = rowsOf(plan, [R(0, 0, 'u', 'v1'), L(1, 'u', 'p1'), R(0, 5, 'u', 'v2'), L(6, 'u', 'p2'), R(0, 3, 'u', 'old'), L(7, 'u', 'p3')]);
  assert.deepEqual(got, [[1, [['p1', 'v1']]], [3, [['p2', 'v2']]], [5, [['p3', 'v2']]]]);
});

test('many-to-one, left events first: waiting left events all take the right event when it comes (latest or not)', () => {
  for (const latest of [true, false]) {
    const plan = planOf({ wl: 10, sides: [{ w: 100, kind: 'inner', latest }] });
    assert.deepEqual(rowsOf(plan, [L(0, 'u', 'p1'), L(1, 'u', 'p2'), R(0, 2, 'u', 'v1')]), [[2, [['p1', 'v1'], ['p2', 'v1']]]], `latest: ${latest}`);
  }
});

test('repeats: a repeated left key is joined again; a repeated right key is another match, or on a latest side a new version', () => {
  const events = planOf({ wl: 10, sides: [{ w: 10, kind: 'inner', latest: false }] });
  const latest = planOf({ wl: 10, sides: [{ w: 10, kind: 'inner', latest: true }] });
  const inputs = [R(0, 0, 'k', 'r1'), L(1, 'k', 'a'), L(2, 'k', 'b'), R(0, 3, 'k', 'r2')];
  // ordinary side: both left events take both right events (deduplicate a source to drop copies first)
  assert.deepEqual(rowsOf(events, inputs), [[1, [['a', 'r1']]], [2, [['b', 'r1']]], [3, [['a', 'r2'], ['b', 'r2']]]]);
  // latest side: both are bound to r1 when they arrive; r2 replaces r1 for left events after it
  assert.deepEqual(rowsOf(latest, [...inputs, L(4, 'k', 'c')]), [[1, [['a', 'r1']]], [2, [['b', 'r1']]], [4, [['c', 'r2']]]]);
});

test('left join: no match by the window end gives nulls, emitted when the watermark passes it; inner drops it', () => {
  const left = planOf({ wl: 10, sides: [{ w: 10, kind: 'left', latest: false }] });
  const inner = planOf({ wl: 10, sides: [{ w: 10, kind: 'inner', latest: false }] });
  const inputs = [L(0, 'a', 'p1'), R(0, 5, 'b', 'other'), { tick: 10 }];
  assert.deepEqual(rowsOf(left, inputs), [[2, [['p1', null]]]]);
  assert.deepEqual(rowsOf(inner, inputs), []);
  assert.equal(run(inner, inputs).unmatched, 1);
});

test('windows close when every side that can still match has passed them; a late left event joins what is held, at once', () => {
  const plan = planOf({ wl: 10, sides: [{ w: 10, kind: 'left', latest: false }] });
  // the payment 12 after the purchase is outside its window of 10; the purchase gets nulls once both sides passed 10
  assert.deepEqual(rowsOf(plan, [L(0, 'a', 'p1'), R(0, 12, 'a', 'pay'), L(13, 'b', 'p2')]), [[2, [['p1', null]]]]);
  // both sides at 30: a left event at 19 is late (19 + 10 <= 30); it joins what is held (the payment at 24), at once
  const late = [L(30, 'x', 'o'), R(0, 30, 'x', 'z'), R(0, 24, 'a', 'pay'), L(19, 'a', 'late')];
  assert.deepEqual(rowsOf(plan, late), [[1, [['o', 'z']]], [3, [['late', 'pay']]]]);
  assert.deepEqual(rowsOf(plan, [...late.slice(0, 3), L(12, 'a', 'later')]), [[1, [['o', 'z']]], [3, [['later', null]]]]);
});

test('state is freed by the watermark: open left events close, right events leave after their window plus the left window', () => {
  const plan = planOf({ wl: 10, sides: [{ w: 20, kind: 'left', latest: false }] });
  const j = new JoinState(plan, { row: () => undefined, closed: () => undefined });
  for (let i = 0; i < 100; i++) { j.push(-1, 0, i, ['k' + i, 'l']); j.push(0, 0, i, ['k' + i, 'r']); }
  const s = j.stats();
  assert.equal(s.open, 10); // left events of the last 10 time units
  assert.equal(s.held, 30); // right events of the last 20 + 10
  j.advance(1_000);
  assert.deepEqual({ ...j.stats(), late: 0, superseded: 0 }, { open: 0, held: 0, late: 0, superseded: 0 });
});

test('partitions read at different speeds: one running ahead does not close windows the others still need', () => {
  const plan = planOf({ wl: 10, sides: [{ w: 10, kind: 'left', latest: false }] });
  const P = (lane: number, t: number, k: string, id: string): RefInput => ({ side: -1, lane, t, vals: [k, id] });
  const Q = (lane: number, t: number, k: string, id: string): RefInput => ({ side: 0, lane, t, vals: [k, id] });
  // partition 1 of both topics is 100 ahead; the purchase in partition 0 still finds its payment
  const rows = rowsOf(plan, [P(0, 0, 'a', 'p1'), P(1, 100, 'b', 'p2'), Q(1, 100, 'b', 'pay2'), Q(0, 5, 'a', 'pay1')]);
  assert.deepEqual(rows, [[2, [['p2', 'pay2']]], [3, [['p1', 'pay1']]]]);
});

test('a known partition that sent nothing holds windows open; declared idle, it stops holding them', () => {
  const plan = planOf({ wl: 10, sides: [{ w: 10, kind: 'left', latest: false }] });
  const inputs: RefInput[] = [{ open: 0, lane: 1 }, L(0, 'a', 'p1'), R(0, 50, 'x', 'pay'), L(50, 'x', 'p2')];
  assert.deepEqual(rowsOf(plan, inputs), [[3, [['p2', 'pay']]]]);
  assert.deepEqual(rowsOf(plan, [...inputs, { idle: 0, lane: 1 }]), [[3, [['p2', 'pay']]], [4, [['p1', null]]]]);
});
