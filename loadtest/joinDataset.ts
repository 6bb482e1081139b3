// A join dataset with its exact expected output: user profiles (latest value), purchases
// (with exact copies and malformed ones) and their payments (some missing, some before the
// purchase), in phases, in event time. The end-to-end test and `npm run bench` (join scenario)
// both send it and check ClickHouse against `expected`.
//
//   A  a profile for every user
//   B  purchases, each paid with probability `paidRate`, the payment -1 s..+3 s from the purchase
//   C  a newer profile for half of the users ("latest wins": the purchases of phase D carry the
//      new country; each phase is read by the sink before the next is sent, so this is exact)
//   D  more purchases of those users, with payments
//   E  one far-future purchase and payment per partition: moves event time past every window
import { prng } from './seedEvents';
import { clickhouseDateTime } from '../core/event';
import type { OutMessage } from './kafka';
import type { PipelineSpecInput } from '../core/spec/schema';

export interface JoinScenarioOptions {
  runId: string;
  topics: { users: string; purchases: string; payments: string };
  partitions: { purchases: number; payments: number };
  users?: number;
  purchasesB?: number;
  purchasesD?: number;
  paidRate?: number;
  copyRate?: number;
  malformed?: number;
  seed?: number;
  /** event time between two purchases (default 20 ms); the benchmark matches it to its send rate */
  stepMs?: number;
}

export interface ExpectedRow {
  event_id: string; user_id: string; amount: number; ts: string; country: string; tier: string;
  payment_id: string | null; payment_status: string | null; paid_amount: number | null;
}

export interface JoinPhase {
  name: string;
  messages: OutMessage[];
  /** wait until the sink has read this phase before sending the next (the order of phases matters) */
  settle: boolean;
}

export interface JoinScenario {
  phases: JoinPhase[];
  expected: Map<string, ExpectedRow>;
  total: number;
  copies: number;
  malformed: number;
  /** purchases that stay open at the end (the phase E ones) */
  waiting: number;
  /** right-side events (profiles and payments) */
  side: number;
}

const COUNTRIES = ['DE', 'FR', 'NL', 'US', 'GB', 'PL'];

export function joinScenario(o: JoinScenarioOptions): JoinScenario {
  const rand = prng(o.seed ?? 11);
  const U = o.users ?? 1000;
  const step = o.stepMs ?? 20;
  const paidRate = o.paidRate ?? 0.9;
  const copyRate = o.copyRate ?? 0.05;
  const base = Date.UTC(2026, 10, 29);
  const iso = (ms: number) => new Date(base + ms).toISOString();
  const msg = (topic: string, key: string, value: unknown, partition?: number): OutMessage => ({ topic, key, value: typeof value === 'string' ? value : JSON.stringify(value), partition });
  const profile = new Map<string, { country: string; tier: string }>();
  const expected = new Map<string, ExpectedRow>();
  const phases: JoinPhase[] = [];
  let side = 0, copies = 0, malformed = 0, purchaseN = 0;

  const profiles = (name: string, users: number[], at: number) => {
    const messages = users.map((u, i) => {
      const p = { country: COUNTRIES[Math.floor(rand() * COUNTRIES.length)], tier: rand() < 0.1 ? 'gold' : 'standard' };
      profile.set(`${o.runId}-u${u}`, p);
      return msg(o.topics.users, `${o.runId}-u${u}`, { user_id: `${o.runId}-u${u}`, ...p, updated_at: iso(at + i) });
    });
    side += messages.length;
    phases.push({ name, messages, settle: true });
  };
  const purchases = (name: string, n: number, users: number[], start: number): number => {
    const timed: Array<{ t: number; m: OutMessage }> = [];
    let badLeft = name === 'B' ? o.malformed ?? 20 : 0;
    for (let i = 0; i < n; i++) {
      const t = start + i * step;
      const id = `${o.runId}-p${purchaseN++}`;
      const userId = `${o.runId}-u${users[Math.floor(rand() * users.length)]}`;
      const amount = Math.round(rand() * 20000) / 100;
      const value = { event_id: id, user_id: userId, amount, ts: iso(t) };
      timed.push({ t, m: msg(o.topics.purchases, id, value) });
      if (rand() < copyRate) { timed.push({ t: t + 1, m: msg(o.topics.purchases, id, value) }); copies++; }
      if (badLeft > 0 && rand() < 0.01) { timed.push({ t: t + 2, m: msg(o.topics.purchases, `${id}-bad`, `{"event_id": "${id}-bad", "amount": `) }); badLeft--; malformed++; }
      const row: ExpectedRow = { event_id: id, user_id: userId, amount, ts: clickhouseDateTime(base + t), ...profile.get(userId)!, payment_id: null, payment_status: null, paid_amount: null };
      if (rand() < paidRate) {
        const pt = t - 1000 + Math.floor(rand() * 4000);
        const payment = { payment_id: `${id}-pay`, event_id: id, amount, status: rand() < 0.95 ? 'captured' : 'refused', ts: iso(pt) };
        timed.push({ t: pt, m: msg(o.topics.payments, id, payment) });
        Object.assign(row, { payment_id: payment.payment_id, payment_status: payment.status, paid_amount: amount });
        side++;
      }
      expected.set(id, row);
    }
    timed.sort((a, b) => a.t - b.t);
    phases.push({ name, messages: timed.map((x) => x.m), settle: true });
    return start + n * step;
  };

  const all = Array.from({ length: U }, (_, u) => u);
  profiles('A', all, 0);
  const endB = purchases('B', o.purchasesB ?? 21_000, all, 60_000);
  const half = all.filter((u) => u % 2 === 0);
  profiles('C', half, endB + 20_000);
  const endD = purchases('D', o.purchasesD ?? 4_500, half, endB + 40_000);
  // phase E: every partition of both joined topics moves past every window (the purchases stay open)
  const far = endD + 3_600_000;
  const sentinels: OutMessage[] = [];
  for (let p = 0; p < o.partitions.purchases; p++) sentinels.push(msg(o.topics.purchases, null as never, { event_id: `${o.runId}-end-${p}`, user_id: `${o.runId}-u0`, amount: 0, ts: iso(far) }, p));
  for (let p = 0; p < o.partitions.payments; p++) sentinels.push(msg(o.topics.payments, null as never, { payment_id: `${o.runId}-end-${p}`, event_id: `${o.runId}-none`, amount: 0, status: 'none', ts: iso(far) }, p));
  side += o.partitions.payments;
  phases.push({ name: 'E', messages: sentinels, settle: false });

  const total = phases.reduce((n, p) => n + p.messages.length, 0);
  return { phases, expected, total, copies, malformed, waiting: o.partitions.purchases, side };
}

/** The pipeline of the join scenario: purchases deduplicated, enriched with the latest profile (inner) and the payment (left join). */
export function joinScenarioSpec(name: string, o: { brokers: string[]; topics: JoinScenarioOptions['topics']; clickhouseUrl: string; database: string; table: string; batch?: { maxRows: number; maxDelay: string } }): PipelineSpecInput {
  const kafka = (topic: string) => ({ brokers: o.brokers, topic, startFrom: 'earliest' as const });
  return {
    version: 1,
    name,
    sources: [
      { name: 'users', kafka: kafka(o.topics.users), schema: { fields: { user_id: 'string', country: 'string', tier: 'string', updated_at: 'datetime' }, eventTime: 'updated_at' } },
      {
        name: 'purchases', kafka: kafka(o.topics.purchases),
        schema: { fields: { event_id: 'string', user_id: 'string', amount: 'float64', ts: 'datetime' }, eventTime: 'ts' },
        dedup: { key: 'event_id', window: '1h', time: 'event' },
      },
      { name: 'payments', kafka: kafka(o.topics.payments), schema: { fields: { payment_id: 'string', event_id: 'string', amount: 'float64', status: 'string', ts: 'datetime' }, eventTime: 'ts' } },
    ],
    join: {
      time: 'event',
      idleAfter: '10m',
      left: { source: 'purchases', window: '10s' },
      right: [
        { source: 'users', key: 'user_id', window: '30d', latest: true },
        { source: 'payments', key: 'event_id', window: '10s', kind: 'left' },
      ],
      output: [
        'purchases.event_id', 'purchases.user_id', 'purchases.amount', 'purchases.ts', 'users.country', 'users.tier',
        'payments.payment_id', { field: 'payments.status', as: 'payment_status' }, { field: 'payments.amount', as: 'paid_amount' },
      ],
    },
    sink: {
      clickhouse: { url: o.clickhouseUrl, database: o.database, table: o.table },
      createTable: { engine: 'MergeTree', orderBy: ['event_id'] },
      batch: o.batch ?? { maxRows: 5000, maxDelay: '200ms' },
    },
  };
}

/** The rows that differ from the expected ones (missing, doubled or with other values), as [id, got, want]. */
export function diffJoined(got: ExpectedRow[], expected: Map<string, ExpectedRow>): Array<[string, ExpectedRow | undefined, ExpectedRow | undefined]> {
  // ClickHouse 18.16 prints Float64 with 17 digits: amounts are compared in cents
  const cents = (x: number | string | null) => (x === null ? null : Math.round(Number(x) * 100));
  const norm = (r: ExpectedRow) => JSON.stringify({ ...r, amount: cents(r.amount), paid_amount: cents(r.paid_amount) });
  const out: Array<[string, ExpectedRow | undefined, ExpectedRow | undefined]> = [];
  const seen = new Map<string, ExpectedRow>();
  for (const r of got) {
    if (seen.has(r.event_id) || !expected.has(r.event_id)) out.push([r.event_id, r, expected.get(r.event_id)]);
    seen.set(r.event_id, r);
  }
  for (const [id, want] of expected) {
    const r = seen.get(id);
    if (!r || norm(r) !== norm(want)) out.push([id, r, want]);
  }
  return out;
}

/** The join scenario's rows as ClickHouse holds them. */
export const JOINED_ROWS_SQL = (table: string) =>
  `SELECT event_id, user_id, amount, toString(ts) AS ts, country, tier, payment_id, payment_status, paid_amount FROM ${table}`;
