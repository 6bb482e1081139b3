// Executors as arrival schedules (pure): when iteration i is due, and how many are due at time t.
// The rate-based ones are piecewise-linear rate curves; iteration i is due when the integral of
// the rate reaches i, so a schedule is exact for any tick length and never drifts.
import { parseDuration } from '../core/duration';

interface Common {
  /** the script's exported function that builds this scenario's events (default: the default export) */
  exec?: string;
  /** delay from the start of the test, like "30s" */
  startTime?: string;
  /** events waiting to be sent or acknowledged at once; an arrival due beyond this is dropped (as k6 drops an iteration with no free VU) */
  maxVUs?: number;
  /** accepted for k6 scripts; used as maxVUs when that is absent */
  preAllocatedVUs?: number;
}

export interface ConstantArrivalRate extends Common {
  executor: 'constant-arrival-rate';
  rate: number;
  timeUnit?: string;
  duration?: string;
  /** Sluice extension: exactly this many iterations at `rate` (instead of a duration) */
  iterations?: number;
}

export interface RampingArrivalRate extends Common {
  executor: 'ramping-arrival-rate';
  startRate?: number;
  timeUnit?: string;
  stages: Array<{ duration: string; target: number }>;
}

export interface SharedIterations extends Common {
  executor: 'shared-iterations';
  iterations: number;
  /** events in flight at once (k6: VUs sharing the iterations) */
  vus?: number;
  maxDuration?: string;
}

export type ExecutorConfig = ConstantArrivalRate | RampingArrivalRate | SharedIterations;

export interface Schedule {
  /** iterations the scenario starts or drops in all */
  total: number;
  /** when the last iteration is due, ms after the scenario's start */
  durationMs: number;
  /** the scenario stops starting iterations after this */
  maxDurationMs: number;
  /** iterations due by elapsed time t (ms) */
  due(t: number): number;
  /** when iteration i is due (ms) */
  timeOf(i: number): number;
  /** true: a due arrival with no free VU is dropped; false: it waits (shared-iterations) */
  dropsWhenBusy: boolean;
  /** events in flight at once */
  maxVUs: number;
  /** for the summary, e.g. "300000 iterations at 3000/s over 1m40s" */
  describe: string;
}

/** One stretch of the rate curve, rates in events per ms. */
interface Segment { startMs: number; durMs: number; from: number; to: number; before: number }

const EPS = 1e-6;
const ms = (text: string, what: string): number => {
  const v = parseDuration(text);
  if (v === undefined) throw new Error(`${what}: expected a duration like 30s, got "${text}"`);
  return v;
};

function segmentsOf(startRate: number, stages: Array<{ durMs: number; target: number }>): Segment[] {
  const out: Segment[] = [];
  let at = 0, rate = startRate, before = 0;
  for (const s of stages) {
    if (s.durMs <= 0) { rate = s.target; continue; } // a jump in rate
    out.push({ startMs: at, durMs: s.durMs, from: rate, to: s.target, before });
    before += ((rate + s.target) / 2) * s.durMs;
    at += s.durMs;
    rate = s.target;
  }
  return out;
}

function lastWhere<T>(xs: T[], ok: (x: T) => boolean): T | undefined {
  for (let i = xs.length - 1; i >= 0; i--) if (ok(xs[i])) return xs[i];
  return undefined;
}

/** iterations accumulated within a segment after dt ms */
const areaAt = (s: Segment, dt: number) => s.from * dt + ((s.to - s.from) * dt * dt) / (2 * s.durMs);

/** dt at which a segment's area reaches x (inverse of areaAt) */
function timeForArea(s: Segment, x: number): number {
  const slope = (s.to - s.from) / s.durMs;
  if (Math.abs(slope) < 1e-15) return s.from > 0 ? x / s.from : 0;
  return (-s.from + Math.sqrt(Math.max(0, s.from * s.from + 2 * slope * x))) / slope;
}

function rateSchedule(segs: Segment[], maxVUs: number, describe: (total: number, durMs: number) => string): Schedule {
  const last = segs[segs.length - 1];
  const durationMs = last ? last.startMs + last.durMs : 0;
  const area = last ? last.before + areaAt(last, last.durMs) : 0;
  const total = Math.floor(area + EPS);
  const integral = (t: number) => {
    const s = lastWhere(segs, (g) => g.startMs <= t);
    return s ? s.before + areaAt(s, Math.min(t - s.startMs, s.durMs)) : 0;
  };
  return {
    total,
    durationMs,
    maxDurationMs: durationMs,
    dropsWhenBusy: true,
    maxVUs,
    due: (t) => (t < 0 ? 0 : Math.min(total, Math.floor(integral(t) + EPS) + 1)),
    timeOf: (i) => {
      const s = lastWhere(segs, (g) => g.before <= i + EPS) ?? segs[0];
      return s.startMs + Math.min(s.durMs, timeForArea(s, i - s.before));
    },
    describe: describe(total, durationMs),
  };
}

const perSecond = (rate: number, unitMs: number) => +(rate * (1000 / unitMs)).toFixed(3);

export function scheduleOf(name: string, c: ExecutorConfig): Schedule {
  const at = `scenarios.${name}`;
  const vus = (fallback: number) => Math.max(1, c.maxVUs ?? c.preAllocatedVUs ?? fallback);
  switch (c.executor) {
    case 'constant-arrival-rate': {
      const unit = ms(c.timeUnit ?? '1s', `${at}.timeUnit`);
      if (!(c.rate > 0)) throw new Error(`${at}.rate: expected a number above 0`);
      const perMs = c.rate / unit;
      let durMs: number;
      if (c.iterations !== undefined) durMs = c.iterations / perMs;
      else if (c.duration !== undefined) durMs = ms(c.duration, `${at}.duration`);
      else throw new Error(`${at}: give a duration (or iterations)`);
      const sec = perSecond(c.rate, unit);
      return rateSchedule([{ startMs: 0, durMs, from: perMs, to: perMs, before: 0 }], vus(Math.max(100, Math.ceil(sec))),
        (total, d) => `${total} iterations at ${sec}/s over ${formatMs(d)}`);
    }
    case 'ramping-arrival-rate': {
      const unit = ms(c.timeUnit ?? '1s', `${at}.timeUnit`);
      if (!c.stages?.length) throw new Error(`${at}.stages: expected at least one stage`);
      const stages = c.stages.map((s, i) => ({ durMs: ms(s.duration, `${at}.stages[${i}].duration`), target: s.target / unit }));
      const peak = Math.max(c.startRate ?? 0, ...c.stages.map((s) => s.target));
      return rateSchedule(segmentsOf((c.startRate ?? 0) / unit, stages), vus(Math.max(100, Math.ceil(perSecond(peak, unit)))),
        (total, d) => `${total} iterations, ramping ${perSecond(c.startRate ?? 0, unit)}/s → ${c.stages.map((s) => `${perSecond(s.target, unit)}/s`).join(' → ')} over ${formatMs(d)}`);
    }
    case 'shared-iterations': {
      if (!(c.iterations > 0)) throw new Error(`${at}.iterations: expected a number above 0`);
      const total = Math.floor(c.iterations);
      const max = c.maxDuration ? ms(c.maxDuration, `${at}.maxDuration`) : 30 * 60_000;
      const inFlight = Math.max(1, c.vus ?? c.maxVUs ?? 10_000);
      return {
        total, durationMs: 0, maxDurationMs: max, dropsWhenBusy: false, maxVUs: inFlight,
        due: (t) => (t < 0 ? 0 : total), timeOf: () => 0,
        describe: `${total} iterations as fast as possible, ${inFlight} in flight (max ${formatMs(max)})`,
      };
    }
    default:
      throw new Error(`${at}.executor: expected constant-arrival-rate, ramping-arrival-rate or shared-iterations, got "${(c as { executor: string }).executor}"`);
  }
}

/** k6-style duration text: 1m40s, 3.3s, 250ms */
export function formatMs(msValue: number): string {
  if (msValue < 1000) return `${Math.round(msValue)}ms`;
  const s = msValue / 1000;
  if (s < 60) return `${+s.toFixed(1)}s`;
  const m = Math.floor(s / 60), rest = s - m * 60;
  return `${m}m${rest >= 0.05 ? `${+rest.toFixed(1)}s` : ''}`;
}

export const startDelayMs = (name: string, c: ExecutorConfig) => (c.startTime ? ms(c.startTime, `scenarios.${name}.startTime`) : 0);
