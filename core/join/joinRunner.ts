// The join as a part of the sink state: decoded events in, joined rows out, and the journal
// records that make the join durable. Every input (an event's join vals, or an arrival-time
// tick) is recorded in the batch's journal entry; replaying the records through a JoinState
// restored from the newest snapshot gives back the exact state (JoinState is deterministic).
import type { PipelineSpec } from '../spec/schema';
import { valueOf, type DecodedEvent } from '../event';
import { JoinState, type JoinSnapshot, type Tag, type Vals } from './joinState';
import { joinPlan, type JoinPlan } from './plan';

/**
 * [side, time, partition, vals, tag] for an event (tag [partition, offset, arrival] on left events),
 * [TICK, time] for an arrival-time tick, [LANE, side, partition] for a partition declared, [IDLE, side, partition] for one declared idle.
 */
export type JoinRecord = [number, number, number?, Vals?, LeftTag?];
export type LeftTag = Tag;
export const TICK = -2;
export const LANE = -3;
export const IDLE = -4;

export interface JoinCounters {
  /** left events whose window closed with at least one row */
  matched: number;
  /** left events dropped when their window closed: an inner side never matched */
  unmatched: number;
  /** left events waiting for matches now */
  waiting: number;
  /** right-side events taken into the join state */
  side: number;
  /** joined rows ClickHouse refused (in the DLQ; also counted in dlq) */
  rejectedRows: number;
}
export const zeroJoinCounters = (): JoinCounters => ({ matched: 0, unmatched: 0, waiting: 0, side: 0, rejectedRows: 0 });

export interface JoinOutput {
  row(values: ReadonlyMap<string, unknown>, tag: LeftTag): void;
}

/** A snapshot is taken once this many inputs were journaled since the last one (or more, when the state is larger); SLUICE_JOIN_SNAPSHOT_MIN_INPUTS sets it. */
export const DEFAULT_SNAPSHOT_MIN_INPUTS = 20_000;

export class JoinRunner {
  readonly plan: JoinPlan;
  private state: JoinState;
  private records: JoinRecord[] = [];
  private replaying = false;
  private inputsSinceSnapshot = 0;
  /** when each partition ("side:partition") last sent an event, by the clock (not durable: only the idle decisions are) */
  private readonly lastSeen = new Map<string, number>();
  counters: JoinCounters = zeroJoinCounters();

  constructor(spec: PipelineSpec, private readonly out: JoinOutput, private readonly snapshotMinInputs = DEFAULT_SNAPSHOT_MIN_INPUTS) {
    this.plan = joinPlan(spec)!;
    this.state = this.newState();
  }

  private newState(): JoinState {
    const names = this.plan.output;
    return new JoinState(this.plan, {
      row: (left, right, tag) => {
        if (this.replaying) return;
        const values = new Map<string, unknown>();
        for (const o of names) values.set(o.name, o.side < 0 ? left[o.idx] : right[o.side]?.[o.idx] ?? null);
        this.out.row(values, tag);
      },
      closed: (rows) => {
        if (this.replaying) return;
        if (rows > 0) this.counters.matched++;
        else this.counters.unmatched++;
      },
    });
  }

  /** The join side of a spec source index (-1 left), or undefined when the source is not joined. */
  sideOf(source: number): number | undefined {
    return this.plan.sideOfSource.get(source);
  }

  /** The fields the decoder must treat as key fields (missing -> DLQ missing_key_field). */
  keyFieldsOf(source: number): string[] {
    const side = this.sideOf(source);
    if (side === undefined) return [];
    if (side >= 0) return this.plan.right[side].keyIdx.map((i) => this.plan.right[side].fields[i]);
    return [...new Set(this.plan.right.flatMap((r) => r.leftKeyIdx.map((i) => this.plan.left.fields[i])))];
  }

  /** One decoded event of spec source `source`; `arrival` is the raw batch's arrival time. */
  accept(source: number, e: DecodedEvent, arrival: number, tag: LeftTag): void {
    const side = this.sideOf(source)!;
    const t = this.plan.time === 'event' ? e.eventTimeMs! : arrival;
    const fields = side < 0 ? this.plan.left.fields : this.plan.right[side].fields;
    const vals = fields.map((f) => valueOf(e, f) ?? null);
    const partition = tag[0];
    this.lastSeen.set(`${side}:${partition}`, arrival);
    this.records.push(side < 0 ? [side, t, partition, vals, tag] : [side, t, partition, vals]);
    if (side >= 0) this.counters.side++;
    this.state.push(side, partition, t, vals, side < 0 ? tag : undefined);
  }

  /** Arrival-time joins: when the next open window is due to close (undefined: none, or event time). */
  tickDueAt(): number | undefined {
    return this.plan.time === 'arrival' ? this.state.nextCloseAt() : undefined;
  }

  /**
   * Arrival-time joins close windows by the clock when no event moves time on: when a window
   * is due by `now`, the tick is recorded (so a replay closes it at the same point) and applied.
   */
  tick(now: number): boolean {
    const due = this.tickDueAt();
    if (due === undefined || due > now) return false;
    this.records.push([TICK, now]);
    this.state.advance(now);
    return true;
  }

  /** Declares the Kafka partitions of the joined sources, so windows wait for each (spec source index, partition). */
  openLanes(lanes: Array<[number, number]>): void {
    for (const [source, partition] of lanes) {
      const side = this.sideOf(source);
      if (side !== undefined && this.state.openLane(side, partition)) this.records.push([LANE, side, partition]);
    }
  }

  /** Event-time joins: the partitions silent for the idle time as of `now` (the first look at a partition starts its clock). */
  idleCandidates(now: number): Array<[number, number]> {
    if (this.plan.time !== 'event') return [];
    return this.state.activeLanes().filter(([side, lane]) => {
      const key = `${side}:${lane}`;
      const seen = this.lastSeen.get(key);
      if (seen === undefined) this.lastSeen.set(key, now);
      return seen !== undefined && now - seen >= this.plan.idleAfterMs;
    });
  }

  /** Declares silent partitions idle (recorded, so a replay declares them at the same point); true when any was. */
  markIdle(now: number): boolean {
    const lanes = this.idleCandidates(now);
    for (const [side, lane] of lanes) {
      this.records.push([IDLE, side, lane]);
      this.state.idleLane(side, lane);
    }
    return lanes.length > 0;
  }

  get pendingRecords(): number {
    return this.records.length;
  }

  /** The inputs since the last call, for the batch's journal entry; counts them towards the next snapshot. */
  takeRecords(): JoinRecord[] {
    const r = this.records;
    this.records = [];
    this.inputsSinceSnapshot += r.length;
    this.counters.waiting = this.state.stats().open;
    return r;
  }

  /** A snapshot when enough inputs were journaled since the last one that replaying them would cost more than writing it. */
  snapshotIfDue(): JoinSnapshot | undefined {
    const { open, held } = this.state.stats();
    if (this.inputsSinceSnapshot < Math.max(this.snapshotMinInputs, open + held)) return undefined;
    this.inputsSinceSnapshot = 0;
    return this.state.snapshot();
  }

  /** The state now (a parallelism change moves it to the new shards: core/repartition.ts). */
  snapshot(): JoinSnapshot {
    return this.state.snapshot();
  }

  /** Recovery: starts from a snapshot. */
  restore(s: JoinSnapshot): void {
    this.state = this.newState();
    this.state.restore(s);
  }

  /** Recovery: replays journaled inputs (rows they produced are already in ClickHouse). */
  replay(records: JoinRecord[]): void {
    this.replaying = true;
    try {
      for (const [side, t, partition, vals, tag] of records) {
        if (side === TICK) this.state.advance(t);
        else if (side === LANE) this.state.openLane(t, partition!);
        else if (side === IDLE) this.state.idleLane(t, partition!);
        else this.state.push(side, partition!, t, vals!, side < 0 ? tag : undefined);
      }
    } finally {
      this.replaying = false;
    }
    this.inputsSinceSnapshot += records.length;
  }

  stats() {
    return this.state.stats();
  }

  get watermark(): number {
    return this.state.watermark;
  }
}
