// Three related streams for join pipelines: user profiles, purchases by those users, and the
// payment of each purchase a little later. Every payment names a purchase sent before it, and
// every purchase a user whose profile was sent before it, so a join always finds its match.
import { prng } from '../seedEvents';
import type { Iteration, LoadEvent } from '../iteration';
import { DelayQueue } from './delayQueue';
import { malformedEvent, share } from './malformed';

export interface JoinStreamOptions {
  runId: string;
  seed?: number;
  /** source names in the pipeline (default users, purchases, payments) */
  sources?: { users?: string; purchases?: string; payments?: string };
  /** share of events that are profile updates of a known user (new users come as needed; default 0.1) */
  profileUpdateRate?: number;
  /** share of purchases that are ever paid (default 0.95) */
  paidRate?: number;
  /** delay from purchase to payment, [min, max] ms (default [100, 5000]) */
  paymentDelayMs?: [number, number];
  /** share of all events that are malformed (default 0) */
  malformedRate?: number;
  /** a new purchase comes from a new user with this probability (default 0.2) */
  newUserRate?: number;
  eventTimeBase?: number;
}

interface Payment { due: number; purchaseId: string; userId: string; amount: number }

const COUNTRIES = ['DE', 'FR', 'NL', 'US', 'GB', 'PL'];

export function joinStreams(o: JoinStreamOptions): (it: Iteration) => LoadEvent {
  const rand = prng(o.seed ?? 7);
  const src = { users: 'users', purchases: 'purchases', payments: 'payments', ...o.sources };
  const updates = share('profileUpdateRate', o.profileUpdateRate ?? 0.1);
  const paid = o.paidRate ?? 0.95;
  const [payMin, payMax] = o.paymentDelayMs ?? [100, 5000];
  const malformed = share('malformedRate', o.malformedRate ?? 0);
  const newUser = o.newUserRate ?? 0.2;
  const base = o.eventTimeBase ?? Date.UTC(2026, 10, 29, 12, 0, 0);
  const payments = new DelayQueue<Payment>();
  let users = 0, purchases = 0, bad = 0;
  const at = (ms: number) => new Date(base + ms).toISOString();
  const profile = (n: number, now: number): LoadEvent => ({
    source: src.users, key: `${o.runId}-u${n}`,
    value: { user_id: `${o.runId}-u${n}`, country: COUNTRIES[Math.floor(rand() * COUNTRIES.length)], tier: rand() < 0.1 ? 'gold' : 'standard', updated_at: at(now) },
  });

  return (it) => {
    const now = it.timeMs;
    if (rand() < malformed) return { ...malformedEvent(`bad-${o.runId}-${bad}`, bad++), source: src.purchases };
    const due = payments.popDue(now);
    if (due) return { source: src.payments, key: due.purchaseId, value: { payment_id: `${due.purchaseId}-pay`, event_id: due.purchaseId, user_id: due.userId, amount: due.amount, status: 'captured', ts: at(now) } };
    if (users > 0 && rand() < updates) return profile(Math.floor(rand() * users), now);
    // a purchase needs its user's profile first: a new user's profile takes this slot
    if (users === 0 || rand() < newUser) return profile(users++, now);
    const userId = `${o.runId}-u${Math.floor(rand() * users)}`;
    const id = `${o.runId}-p${purchases++}`;
    const amount = Math.round(rand() * 20000) / 100;
    if (rand() < paid) payments.push({ due: now + payMin + rand() * (payMax - payMin), purchaseId: id, userId, amount });
    return { source: src.purchases, key: id, value: { event_id: id, user_id: userId, amount, currency: 'EUR', ts: at(now) } };
  };
}
