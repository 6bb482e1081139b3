// The temporal join engine: pure and deterministic. The same inputs in the same order give the
// same rows at the same inputs, which is what makes join state durable: the sink journals the
// inputs and snapshots this state, and recovery replays them (core/sinkState.ts).
//
// The rules (docs/joins.md has them with examples):
// - Time is event time or arrival time. Each side's watermark is the smallest, over the Kafka
//   partitions it has seen, of the largest time seen in that partition (partitions and topics
//   are read in parallel, so one running ahead must not close windows the others still need);
//   an arrival-time tick raises every watermark to the clock. A known partition that has sent
//   nothing yet holds its side back; one declared idle does not, until its next event. A left event L at tL and a right
//   event R at tR of side i match when their keys are equal and  tL - tR < W_i  and  tR - tL < W_L
//   (on a latest side only the first: the newest version is taken even if it is newer than L).
// - L is open until the watermarks of the left side and of every non-latest right side reach
//   tL + W_L; R is held until the left side's watermark reaches tR + W_i + W_L (so every left
//   event that is not late finds every right event it may match). A left event that arrives
//   with its window already closed is late: it is joined with what is held and closed at once.
// - On arrival, L takes every held match of each side; R takes every open L of its key. A row
//   is emitted as soon as each side has a match: one row per combination (1:N gives N rows).
// - A "latest" side holds one version per key: a version with a time >= the held one replaces
//   it, an older one is ignored (superseded). A left event binds the version held when it
//   arrives, or the first version that arrives while it waits; later versions apply to later
//   left events.
// - When L closes with no row: if every inner side matched, it is emitted with nulls for the
//   unmatched left-join sides; otherwise it is dropped as unmatched.
import { MinHeap } from './heap';
import type { JoinPlan, RightSidePlan } from './plan';
import { MAX_JOIN_RIGHT_SIDES } from '../spec/schema';

export type Vals = unknown[];

/** A left event's Kafka coordinates, carried back with its rows: [partition, offset, arrival time]. */
export type Tag = [number, number, number];

export interface JoinEvents {
  /** a joined row: the left event's vals and each right side's vals (null: no match on a left-join side) */
  row(left: Vals, right: Array<Vals | null>, tag: Tag): void;
  /** a left event's window closed (or it was late): `rows` is how many rows it produced in all */
  closed(rows: number): void;
}

/** More right sides than a spec may have. */
const SIDES = MAX_JOIN_RIGHT_SIDES + 1;

/** A right event (a class, not a literal: V8 then sizes its objects exactly). */
class Held {
  /** its side and arrival number in one number (one field less per event) */
  private readonly sideSeq: number;
  /** dt: the event's time minus the state's base (see JoinState.rel) */
  constructor(side: number, seq: number, public dt: number, readonly vals: Vals) {
    this.sideSeq = seq * SIDES + side;
  }
  get side(): number { return this.sideSeq % SIDES; }
  get seq(): number { return Math.floor(this.sideSeq / SIDES); }
}

// Memory per buffered event matters (README "Benchmark"): lists are allocated at their size (a
// push onto an empty array reserves 16 slots) and empty ones are one shared array; a key with one
// event maps to the event itself, not to a list of one (`Some`); window ends and expiry times
// are computed from the event's time (not stored); open events are counted rather than kept in
// a map (the close queue holds exactly them); times are held relative to a base (a small
// integer, not a 16-byte number box, while within ±24 days of it); a left event with no match yet shares one list of
// empty lists (copied on its first match); a right event's key is computed from its vals when
// needed (a one-field text key is the value itself), not stored.
class Open {
  rows = 0;
  /**
   * dt: the event's time minus the state's base (see JoinState.rel); its tag as three small numbers (an
   * array, or a string, of three numbers costs 40-80 bytes more): partition, offset, and arrival minus the base.
   */
  constructor(readonly id: number, public dt: number, readonly vals: Vals, readonly lane: number, readonly offset: number, public dat: number, public matches: Held[][]) {}
}

/** The empty list (shared: never pushed onto, see withMatch). */
const NONE: Held[] = [];

/** Adds `h` to a list: a new one-element array for an empty list (no spare capacity), else a push. */
const withMatch = <T>(list: T[], h: T): T[] => {
  if (list.length === 0) return [h];
  list.push(h);
  return list;
};

/** A map value: one item, or a list of two or more. */
type Some<T> = T | T[];
const listOf = <T extends object>(v: Some<T> | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
/** `v` with `x` added. */
const plus = <T extends object>(v: Some<T> | undefined, x: T): Some<T> => (v === undefined ? x : Array.isArray(v) ? (v.push(x), v) : [v, x]);
/** `v` without `x` (undefined: nothing left). */
function minus<T extends object>(v: Some<T> | undefined, x: T): Some<T> | undefined {
  if (v === undefined || v === x) return undefined;
  if (!Array.isArray(v)) return v;
  const at = v[0] === x ? 0 : v.indexOf(x);
  if (at >= 0) v.splice(at, 1);
  return v.length === 1 ? v[0] : v.length === 0 ? undefined : v;
}

/** The join state as plain JSON: right events (held, or only referenced by an open left event) and open left events. */
export interface JoinSnapshot {
  v: 1;
  /** per side (side + 1): [partition, largest time (null: none yet), idle] */
  lanes: Array<Array<[number, number | null, 0 | 1]>>;
  floor: number | null;
  /** the watermarks windows close by and right events leave by (they never go back) */
  close: number | null;
  evict: number | null;
  seq: number;
  /** [side, seq, t, vals, held] */
  r: Array<[number, number, number, Vals, 0 | 1]>;
  /** [id, t, vals, tag, rows, matched seqs per side] (tag: written before 2026-12 as "partition:offset:arrival") */
  l: Array<[number, number, Vals, Tag | string, number, number[][]]>;
}

export interface JoinStats {
  /** left events waiting for matches */
  open: number;
  /** right events held for left events to come */
  held: number;
  superseded: number;
  late: number;
}

const finite = (t: number) => (Number.isFinite(t) ? t : null);
/** A snapshot's tag (snapshots written before 2026-12 hold "partition:offset:arrival"). */
const unpackTag = (tag: Tag | string): Tag => (typeof tag === 'string' ? tag.split(':').map(Number) as Tag : tag);
/** A join key as text: a one-field text key is the value itself (no copy); key types are equal on both sides (validated). */
const keyOf = (vals: Vals, idx: number[]): string => {
  if (idx.length > 1) return JSON.stringify(idx.map((i) => vals[i]));
  const v = vals[idx[0]];
  return typeof v === 'string' ? v : JSON.stringify(v);
};

/** The time condition of a match between a left event at tL and a right event at tR of `side` (docs/joins.md, rule 1). */
const inWindows = (side: RightSidePlan, leftWindowMs: number, tL: number, tR: number) =>
  tL - tR < side.windowMs && (side.latest || tR - tL < leftWindowMs);

export class JoinState {
  /** per side (index side + 1): partition -> largest time seen */
  private readonly lanes: Array<Map<number, number>>;
  /** per side: partitions declared idle */
  private readonly idleLanes: Array<Set<number>>;
  /** the latest arrival-time tick */
  private floor = Number.NEGATIVE_INFINITY;
  private closeWm = Number.NEGATIVE_INFINITY;
  private evictWm = Number.NEGATIVE_INFINITY;
  private seq = 0;
  private readonly heldEvents: Array<Map<string, Some<Held>>>;
  private readonly heldLatest: Array<Map<string, Held>>;
  /** per right side: open left events by their key for that side that can still take a match there, in arrival order */
  private readonly waiting: Array<Map<string, Some<Open>>>;
  private openCount = 0;
  /** the matches of a left event that has none yet (shared; never written to) */
  private readonly noMatches: Held[][];
  /** open left events by window end (time + left window), then arrival */
  private readonly closing = new MinHeap<Open>((a, b) => a.dt < b.dt || (a.dt === b.dt && a.id < b.id));
  private readonly expiring = new MinHeap<Held>((a, b) => {
    const ea = this.expiresAt(a);
    const eb = this.expiresAt(b);
    return ea < eb || (ea === eb && a.seq < b.seq);
  });
  private held = 0;
  /** events hold their time as t - base; set by the first event (0 until then, and after a rebase) */
  private base = 0;
  private based = false;
  superseded = 0;
  late = 0;

  constructor(private readonly plan: JoinPlan, private readonly on: JoinEvents) {
    this.heldEvents = plan.right.map(() => new Map());
    this.noMatches = plan.right.map(() => NONE);
    this.heldLatest = plan.right.map(() => new Map());
    this.waiting = plan.right.map(() => new Map());
    this.lanes = [new Map(), ...plan.right.map(() => new Map<number, number>())];
    this.idleLanes = this.lanes.map(() => new Set<number>());
  }

  /** Declares a Kafka partition of a side: until it sends an event (or is idle) it holds the side's watermark back. */
  openLane(side: number, lane: number): boolean {
    if (this.lanes[side + 1].has(lane)) return false;
    this.lanes[side + 1].set(lane, Number.NEGATIVE_INFINITY);
    return true;
  }

  /** Declares a partition idle: it no longer holds windows open, until its next event. */
  idleLane(side: number, lane: number): void {
    this.idleLanes[side + 1].add(lane);
    this.moveWatermarks();
  }

  /** [side, partition] of every partition not declared idle. */
  activeLanes(): Array<[number, number]> {
    return this.lanes.flatMap((m, i) => [...m.keys()].filter((l) => !this.idleLanes[i].has(l)).map((l): [number, number] => [i - 1, l]));
  }

  /** The watermark windows close by. */
  get watermark(): number {
    return this.closeWm;
  }

  /** A side's watermark; undefined when every partition it has is idle (it holds nothing back). */
  private sideWm(side: number): number | undefined {
    const lanes = this.lanes[side + 1];
    const idle = this.idleLanes[side + 1];
    if (lanes.size === 0) return this.floor;
    let m = Number.POSITIVE_INFINITY;
    for (const [lane, t] of lanes) if (t < m && !idle.has(lane)) m = t;
    return m === Number.POSITIVE_INFINITY ? undefined : Math.max(m, this.floor);
  }

  stats(): JoinStats {
    return { open: this.openCount, held: this.held, superseded: this.superseded, late: this.late };
  }

  /** The time the next open window closes (for arrival-time ticks), or undefined. */
  nextCloseAt(): number | undefined {
    const o = this.closing.peek();
    return o && this.closesAt(o);
  }

  private closesAt(o: Open): number {
    return this.base + o.dt + this.plan.left.windowMs;
  }

  /** An arrival-time tick: every source has been read up to `t`. Closes windows and frees state. */
  advance(t: number): void {
    if (!(t > this.floor)) return;
    this.floor = t;
    this.moveWatermarks();
  }

  private moveWatermarks(): void {
    const left = this.sideWm(-1);
    let close = left ?? Number.POSITIVE_INFINITY;
    this.plan.right.forEach((r, i) => { if (!r.latest) close = Math.min(close, this.sideWm(i) ?? Number.POSITIVE_INFINITY); });
    if (close !== Number.POSITIVE_INFINITY && close > this.closeWm) {
      this.closeWm = close;
      for (let o = this.closing.peek(); o && this.closesAt(o) <= close; o = this.closing.peek()) {
        this.closing.pop();
        this.close(o, true);
      }
    }
    if (left !== undefined && left > this.evictWm) {
      this.evictWm = left;
      for (let h = this.expiring.peek(); h && this.expiresAt(h) <= left; h = this.expiring.peek()) {
        this.expiring.pop();
        this.unhold(h);
      }
    }
  }

  /** One event of join side `side` (-1: left) from Kafka partition `lane` at time `t`, with the side's vals (plan.*.fields). */
  push(side: number, lane: number, t: number, vals: Vals, tag?: Tag): void {
    const lanes = this.lanes[side + 1];
    const wasIdle = this.idleLanes[side + 1].delete(lane);
    const before = lanes.get(lane) ?? Number.NEGATIVE_INFINITY;
    if (t > before) lanes.set(lane, t);
    if (wasIdle || t > before) this.moveWatermarks();
    const seq = ++this.seq;
    if (side < 0) {
      const at = tag ? tag[2] : t;
      this.keepExact(at);
      this.pushLeft(seq, this.rel(t), vals, tag ?? [lane, seq, t]);
    } else this.pushRight(side, seq, this.rel(t), vals);
  }

  /**
   * A time as events hold it: t - base, which is exact (base + dt === t, so every comparison and
   * window end is the one absolute times give). Where it would not be (a fractional time far from
   * the base), every held time is made absolute again (base 0) first.
   */
  private rel(t: number): number {
    this.keepExact(t);
    return t - this.base;
  }

  /** Makes the base one that gives `t` exactly (the first time seen, else 0: every held time made absolute again). */
  private keepExact(t: number): void {
    if (!this.based) {
      this.based = true;
      this.base = Number.isFinite(t) ? Math.trunc(t) : 0;
    }
    if (this.base + (t - this.base) === t) return;
    for (const o of this.closing.values()) { o.dt += this.base; o.dat += this.base; }
    for (const h of this.heldObjects().keys()) h.dt += this.base;
    this.base = 0;
  }

  /** A left event's tag. */
  private tagOf(o: Open): Tag {
    return [o.lane, o.offset, this.abs(o.dat)];
  }

  /** A base for restored times: one that is exact for all of them (else 0), so no rebase happens halfway through a restore. */
  private chooseBase(times: number[]): void {
    if (this.based || times.length === 0) return;
    const b = Number.isFinite(times[0]) ? Math.trunc(times[0]) : 0;
    this.based = true;
    this.base = times.every((t) => b + (t - b) === t) ? b : 0;
  }

  private abs(dt: number): number {
    return this.base + dt;
  }

  private pushLeft(id: number, t: number, vals: Vals, [lane, offset, at]: Tag): void {
    const { right, left } = this.plan;
    const matches = right.map((side, i) => {
      const key = keyOf(vals, side.leftKeyIdx);
      const fits = (h: Held) => inWindows(side, left.windowMs, t, h.dt);
      if (side.latest) {
        const h = this.heldLatest[i].get(key);
        return h && fits(h) ? [h] : NONE;
      }
      let list = NONE;
      for (const h of listOf(this.heldEvents[i].get(key))) if (fits(h)) list = withMatch(list, h);
      return list;
    });
    const o = new Open(id, t, vals, lane, offset, this.rel(at), matches.every((m) => m === NONE) ? this.noMatches : matches);
    if (o.matches.every((m) => m.length > 0)) this.emitProduct(o, o.matches);
    if (this.closesAt(o) <= this.closeWm) {
      this.late++;
      this.close(o, false);
      return;
    }
    this.addOpen(o);
  }

  private addOpen(o: Open): void {
    this.openCount++;
    this.closing.push(o);
    this.plan.right.forEach((side, i) => {
      if (side.latest && o.matches[i].length > 0) return; // bound: takes no other version
      const key = keyOf(o.vals, side.leftKeyIdx);
      this.waiting[i].set(key, plus(this.waiting[i].get(key), o));
    });
  }

  private unwait(i: number, key: string, o: Open): void {
    const rest = minus(this.waiting[i].get(key), o);
    if (rest === undefined) this.waiting[i].delete(key);
    else this.waiting[i].set(key, rest);
  }

  private pushRight(i: number, seq: number, t: number, vals: Vals): void {
    const side = this.plan.right[i];
    const h = new Held(i, seq, t, vals);
    const key = keyOf(vals, side.keyIdx);
    if (side.latest) {
      const cur = this.heldLatest[i].get(key);
      if (cur && cur.dt > t) { this.superseded++; return; }
      if (cur) this.held--;
    }
    const waiting = listOf(this.waiting[i].get(key));
    for (const o of waiting) {
      if (!inWindows(side, this.plan.left.windowMs, o.dt, t)) continue;
      if (o.matches === this.noMatches) o.matches = o.matches.slice();
      o.matches[i] = withMatch(o.matches[i], h);
      if (o.matches.every((m) => m.length > 0)) this.emitProduct(o, o.matches.map((m, j) => (j === i ? [h] : m)));
    }
    if (side.latest && waiting.length) {
      // a left event that took this version waits no more on this side
      const rest = waiting.filter((o) => o.matches[i].length === 0);
      if (rest.length) this.waiting[i].set(key, rest.length === 1 ? rest[0] : rest);
      else this.waiting[i].delete(key);
    }
    if (this.expiresAt(h) <= this.evictWm) { this.late++; return; } // too old to wait for later left events
    this.hold(h, key);
  }

  /** A held right event's join key. */
  private keyOfHeld(h: Held): string {
    return keyOf(h.vals, this.plan.right[h.side].keyIdx);
  }

  /** When a held right event leaves: once the left watermark passes t + its window + the left window. */
  private expiresAt(h: Held): number {
    return this.base + h.dt + this.plan.right[h.side].windowMs + this.plan.left.windowMs;
  }

  /** Holds a right event (kept until the left watermark passes t + its window + the left window). */
  private hold(h: Held, key: string): void {
    if (this.plan.right[h.side].latest) this.heldLatest[h.side].set(key, h);
    else {
      this.heldEvents[h.side].set(key, plus(this.heldEvents[h.side].get(key), h));
    }
    this.held++;
    this.expiring.push(h);
  }

  private unhold(h: Held): void {
    const key = this.keyOfHeld(h);
    if (this.plan.right[h.side].latest) {
      if (this.heldLatest[h.side].get(key) !== h) return; // replaced earlier
      this.heldLatest[h.side].delete(key);
    } else {
      const rest = minus(this.heldEvents[h.side].get(key), h);
      if (rest === undefined) this.heldEvents[h.side].delete(key);
      else this.heldEvents[h.side].set(key, rest);
    }
    this.held--;
  }

  /** Emits every combination of the given per-side lists (each non-empty, or [null] on a left-join side). */
  private emitProduct(o: Open, lists: Array<Array<Held | null>>): void {
    const pick: Array<Vals | null> = new Array(lists.length);
    const walk = (i: number) => {
      if (i === lists.length) { o.rows++; this.on.row(o.vals, pick.slice(), this.tagOf(o)); return; }
      for (const h of lists[i]) { pick[i] = h ? h.vals : null; walk(i + 1); }
    };
    walk(0);
  }

  /** Closes `o`: `wasOpen` when it was in the close queue (a late event never was). */
  private close(o: Open, wasOpen: boolean): void {
    if (wasOpen) {
      this.openCount--;
      this.plan.right.forEach((side, i) => this.unwait(i, keyOf(o.vals, side.leftKeyIdx), o));
    }
    if (o.rows === 0) {
      const sides = this.plan.right;
      const complete = o.matches.every((m, i) => m.length > 0 || sides[i].kind === 'left');
      if (complete) this.emitProduct(o, o.matches.map((m) => (m.length ? m : [null])));
    }
    this.on.closed(o.rows);
  }

  /** Every right event in the state: 1 when held, 0 when only an open left event's match. */
  private heldObjects(): Map<Held, 0 | 1> {
    const refs = new Map<Held, 0 | 1>();
    for (const m of this.heldLatest) for (const h of m.values()) refs.set(h, 1);
    for (const m of this.heldEvents) for (const v of m.values()) for (const h of listOf(v)) refs.set(h, 1);
    for (const o of this.closing.values()) for (const list of o.matches) for (const h of list) if (!refs.has(h)) refs.set(h, 0);
    return refs;
  }

  snapshot(): JoinSnapshot {
    const refs = this.heldObjects();
    const open = this.closing.values();
    return {
      v: 1,
      lanes: this.lanes.map((m, i) => [...m].map(([lane, t]): [number, number | null, 0 | 1] => [lane, Number.isFinite(t) ? t : null, this.idleLanes[i].has(lane) ? 1 : 0])),
      floor: finite(this.floor),
      close: finite(this.closeWm),
      evict: finite(this.evictWm),
      seq: this.seq,
      r: [...refs].map(([h, held]) => [h.side, h.seq, this.abs(h.dt), h.vals, held]),
      l: [...open].sort((a, b) => a.id - b.id).map((o) => [o.id, this.abs(o.dt), o.vals, this.tagOf(o), o.rows, o.matches.map((list) => list.map((h) => h.seq))]),
    };
  }

  /** Replaces the state with a snapshot (into a fresh JoinState). */
  restore(s: JoinSnapshot): void {
    s.lanes.forEach((lanes, i) => {
      for (const [lane, t, idle] of lanes) {
        this.lanes[i].set(lane, t ?? Number.NEGATIVE_INFINITY);
        if (idle) this.idleLanes[i].add(lane);
      }
    });
    this.floor = s.floor ?? Number.NEGATIVE_INFINITY;
    this.closeWm = s.close ?? Number.NEGATIVE_INFINITY;
    this.evictWm = s.evict ?? Number.NEGATIVE_INFINITY;
    this.seq = s.seq;
    const left = [...s.l].sort((a, b) => a[0] - b[0]).map(([id, t, vals, tag, rows, matches]) => ({ id, t, vals, tag: unpackTag(tag), rows, matches }));
    this.chooseBase([...s.r.map((r) => r[2]), ...left.flatMap((l) => [l.t, l.tag[2]])]);
    const bySeq = new Map<number, Held>();
    for (const [side, seq, t, vals, held] of [...s.r].sort((a, b) => a[1] - b[1])) {
      const h = new Held(side, seq, this.rel(t), vals);
      bySeq.set(seq, h);
      if (held) this.hold(h, this.keyOfHeld(h));
    }
    for (const { id, t, vals, tag: [lane, offset, at], rows, matches } of left) {
      const o = new Open(id, this.rel(t), vals, lane, offset, this.rel(at), matches.every((q) => q.length === 0) ? this.noMatches : matches.map((seqs) => (seqs.length ? seqs.map((q) => bySeq.get(q)!) : NONE)));
      o.rows = rows;
      this.addOpen(o);
    }
  }
}
