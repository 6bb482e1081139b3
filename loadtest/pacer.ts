// Starting iterations on schedule and sending their events in batches. No I/O of its own: the
// clock and the sender are passed in, so unit tests run it on a fake clock.
import type { Schedule } from './executors';

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = { now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

/** Decides how many iterations start at each tick; like k6, a due arrival with no free VU is dropped. */
export class Pacer {
  started = 0;
  dropped = 0;
  constructor(readonly schedule: Schedule) {}

  get finished(): boolean {
    return this.started + this.dropped >= this.schedule.total;
  }

  /** iterations to start at elapsed time t (ms), with `busy` events of this scenario still in flight */
  step(t: number, busy: number): number {
    const s = this.schedule;
    if (this.finished || t < 0) return 0;
    if (!s.dropsWhenBusy && t > s.maxDurationMs) {
      this.dropped = s.total - this.started; // out of time: what is left never runs
      return 0;
    }
    const pending = s.due(t) - this.started - this.dropped;
    if (pending <= 0) return 0;
    const start = Math.min(pending, Math.max(0, s.maxVUs - busy));
    if (s.dropsWhenBusy) this.dropped += pending - start;
    this.started += start;
    return start;
  }
}

export interface PacedScenario<T> {
  name: string;
  schedule: Schedule;
  /** delay from the start of the test (ms) */
  startMs: number;
  /** the event of iteration i, or undefined when the script sends nothing for it */
  build(i: number, seq: number): T | undefined;
}

export interface PacedOptions<T> {
  clock: Clock;
  send(batch: T[]): Promise<void>;
  /** messages per request */
  maxBatch: number;
  /** requests awaiting their acknowledgement at once */
  maxInFlight: number;
  /** how long a message may wait for others to share its request (like Kafka's linger.ms) */
  lingerMs: number;
  tickMs: number;
  /** called once per tick, for the progress line */
  onTick?(): void;
}

export interface ScenarioCounts {
  name: string;
  started: number;
  dropped: number;
  /** iterations whose function returned no event */
  skipped: number;
}

/** Per event, by send sequence number. */
export interface PacedResult {
  startedAt: number;
  count: number;
  scenarioOf: Uint16Array;
  /** when the schedule wanted the iteration to start (absolute ms) */
  dueAt: Float64Array;
  /** when it started, i.e. its event was built and queued */
  builtAt: Float64Array;
  /** when Kafka acknowledged it; NaN when the send failed */
  ackedAt: Float64Array;
  scenarios: ScenarioCounts[];
  errors: number;
  lastError?: string;
}

export class PacedRun<T> {
  readonly pacers: Pacer[];
  readonly result: PacedResult;
  private readonly busy: number[];
  private queue: Array<{ seq: number; item: T }> = [];
  private inFlight = 0;

  constructor(private readonly scenarios: Array<PacedScenario<T>>, private readonly o: PacedOptions<T>) {
    this.pacers = scenarios.map((s) => new Pacer(s.schedule));
    this.busy = scenarios.map(() => 0);
    const capacity = scenarios.reduce((n, s) => n + s.schedule.total, 0);
    this.result = {
      startedAt: NaN, count: 0, errors: 0,
      scenarioOf: new Uint16Array(capacity), dueAt: new Float64Array(capacity), builtAt: new Float64Array(capacity), ackedAt: new Float64Array(capacity).fill(NaN),
      scenarios: scenarios.map((s) => ({ name: s.name, started: 0, dropped: 0, skipped: 0 })),
    };
  }

  get finished(): boolean {
    return this.pacers.every((p) => p.finished);
  }

  /** events queued or awaiting acknowledgement */
  get pending(): number {
    return this.busy.reduce((a, b) => a + b, 0);
  }

  async run(): Promise<PacedResult> {
    const { clock } = this.o;
    const r = this.result;
    r.startedAt = clock.now();
    while (!this.finished) {
      this.startDue(clock.now());
      this.flush(false);
      this.o.onTick?.();
      await clock.sleep(this.o.tickMs);
    }
    while (this.queue.length > 0 || this.inFlight > 0) {
      this.flush(true);
      this.o.onTick?.();
      await clock.sleep(this.o.tickMs);
    }
    this.scenarios.forEach((_, k) => Object.assign(r.scenarios[k], { started: this.pacers[k].started, dropped: this.pacers[k].dropped }));
    return r;
  }

  private startDue(now: number): void {
    const r = this.result;
    this.scenarios.forEach((s, k) => {
      const p = this.pacers[k];
      const n = p.step(now - r.startedAt - s.startMs, this.busy[k]);
      for (let i = p.started - n; i < p.started; i++) {
        const seq = r.count;
        const item = s.build(i, seq);
        if (item === undefined) { r.scenarios[k].skipped++; continue; }
        r.count++;
        r.scenarioOf[seq] = k;
        r.dueAt[seq] = r.startedAt + s.startMs + s.schedule.timeOf(i);
        r.builtAt[seq] = now;
        this.busy[k]++;
        this.queue.push({ seq, item });
      }
    });
  }

  /** sends what is queued, many messages per request and several requests in flight */
  private flush(force: boolean): void {
    const { clock, maxBatch, maxInFlight, lingerMs } = this.o;
    const r = this.result;
    while (this.queue.length > 0 && this.inFlight < maxInFlight) {
      const waited = clock.now() - r.builtAt[this.queue[0].seq];
      if (!force && this.queue.length < maxBatch && waited < lingerMs && !this.finished) return;
      const part = this.queue.splice(0, maxBatch);
      this.inFlight++;
      this.o.send(part.map((p) => p.item)).then(
        () => { const t = clock.now(); for (const p of part) r.ackedAt[p.seq] = t; },
        (e: unknown) => { r.errors += part.length; r.lastError = e instanceof Error ? e.message : String(e); },
      ).finally(() => {
        this.inFlight--;
        for (const p of part) this.busy[r.scenarioOf[p.seq]]--;
      });
    }
  }
}
