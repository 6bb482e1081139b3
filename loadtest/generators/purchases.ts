// Purchases as real tracking sends them: most once, some also by the payment backend a little
// later (same purchase, other _event_source_), some resent as exact copies by a retrying
// producer, some copies only after the dedup window (they must become rows again), and a share
// of malformed events. Seeded: the same options make the same events.
import { prng } from '../seedEvents';
import type { Iteration, LoadEvent, Expect } from '../iteration';
import { DelayQueue } from './delayQueue';
import { malformedEvent, share } from './malformed';

export interface PurchaseOptions {
  /** prefix of every event_id, so runs never share keys */
  runId: string;
  seed?: number;
  /** share of all events that are a second copy of a purchase (default 0.3) */
  duplicationRate?: number;
  /** delay between a purchase and its copy, [min, max] ms (default [0, 1000]); below half the dedup window */
  copyDelayMs?: [number, number];
  /** share of all events that are exact resends of a purchase (default 0) */
  retryRate?: number;
  /** delay of a resend, [min, max] ms (default [0, 200]) */
  retryDelayMs?: [number, number];
  /** share of copies sent only after the dedup window has passed, which the pipeline inserts again (default 0) */
  beyondWindowRate?: number;
  /** share of all events that are malformed (default 0.005) */
  malformedRate?: number;
  /** distinct user_id values (default 5000) */
  users?: number;
  /** the pipeline's dedup window and its time (default 1h, arrival) */
  dedup?: { windowMs: number; time: 'arrival' | 'event' };
  /** event time of the first purchase (ms, default 2026-11-29T12:00:00Z) */
  eventTimeBase?: number;
}

interface Held { due: number; key: string; value: string; expect: Expect }

const FRONTENDS = ['frontend-web', 'frontend-ios', 'frontend-android'];
/** how far past the window a late copy is sent: ingest stamps arrival time a little after the send */
const beyondMargin = (windowMs: number) => Math.max(2000, windowMs * 0.1);

export function purchases(o: PurchaseOptions): (it: Iteration) => LoadEvent {
  const d = share('duplicationRate', o.duplicationRate ?? 0.3);
  const r = share('retryRate', o.retryRate ?? 0);
  const m = share('malformedRate', o.malformedRate ?? 0.005);
  const late = share('beyondWindowRate', o.beyondWindowRate ?? 0);
  const dedup = o.dedup ?? { windowMs: 3_600_000, time: 'arrival' };
  const [copyMin, copyMax] = o.copyDelayMs ?? [0, 1000];
  const [retryMin, retryMax] = o.retryDelayMs ?? [0, 200];
  if (Math.max(copyMax, retryMax) >= dedup.windowMs / 2) throw new Error(`copy and retry delays must stay below half the dedup window (${dedup.windowMs / 2} ms)`);
  if (late > 0 && dedup.time !== 'arrival') throw new Error('beyondWindowRate needs dedup time "arrival": with event time, whether a late copy is inserted depends on when its key is freed');
  // A share of the events are originals; each spawns a copy or a resend with the probability
  // that makes copies d and resends r of all events; malformed events fill m of the rest.
  const originals = 1 - m - d - r;
  if (originals <= 0 || d / originals > 1 || r / originals > 1) throw new Error('duplicationRate + retryRate + malformedRate leave too few purchases to copy (each purchase has at most one copy and one resend)');
  const pCopy = d / originals, pRetry = r / originals, pMalformed = m / (1 - d - r);

  const rand = prng(o.seed ?? 42);
  const between = ([lo, hi]: [number, number]) => lo + rand() * (hi - lo);
  const base = o.eventTimeBase ?? Date.UTC(2026, 10, 29, 12, 0, 0);
  const users = o.users ?? 5000;
  // copies that may be sent early at the end of the run (so the run still holds its share of
  // copies), and late copies, which never may
  const copies = new DelayQueue<Held>();
  const lateCopies = new DelayQueue<Held>();
  let n = 0, bad = 0;

  return (it) => {
    const now = it.timeMs;
    const left = it.iterations - it.iteration;
    const held = lateCopies.popDue(now) ?? copies.popDue(now) ?? (copies.size >= left ? copies.pop() : undefined);
    if (held) return { key: held.key, value: held.value, expect: held.expect };
    if (rand() < pMalformed) return malformedEvent(`bad-${o.runId}-${bad}`, bad++, [(id) => JSON.stringify({ event_id: id, user_id: 'u', amount: 'twelve', currency: 'EUR', ts: new Date(base).toISOString(), _event_source_: 'frontend-web' })]);
    const ev = {
      event_id: `${o.runId}-${n++}`,
      user_id: `user-${Math.floor(rand() * users)}`,
      amount: Math.round(rand() * 20000) / 100,
      currency: rand() < 0.7 ? 'EUR' : 'USD',
      ts: new Date(base + now).toISOString(),
      _event_source_: FRONTENDS[Math.floor(rand() * FRONTENDS.length)],
    };
    const value = JSON.stringify(ev);
    if (rand() < pCopy) {
      const copy = JSON.stringify({ ...ev, _event_source_: 'backend-payments' });
      if (rand() < late) lateCopies.push({ due: now + dedup.windowMs + beyondMargin(dedup.windowMs), key: ev.event_id, value: copy, expect: 'repeat-row' });
      else copies.push({ due: now + between([copyMin, copyMax]), key: ev.event_id, value: copy, expect: 'duplicate' });
    }
    if (rand() < pRetry) copies.push({ due: now + between([retryMin, retryMax]), key: ev.event_id, value, expect: 'duplicate' });
    return { key: ev.event_id, value, expect: 'row' };
  };
}
