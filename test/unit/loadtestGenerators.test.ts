// Event generators: shares within tolerance, delays between copies, what each event must become,
// and the same events for the same seed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { purchases, type PurchaseOptions } from '../../loadtest/generators/purchases';
import { joinStreams } from '../../loadtest/generators/joinStreams';
import { DelayQueue } from '../../loadtest/generators/delayQueue';
import { prng } from '../../loadtest/seedEvents';
import type { Iteration, LoadEvent } from '../../loadtest/iteration';

/** n iterations at `rate` per second, as a constant-arrival-rate scenario calls the generator */
function run(next: (it: Iteration) => LoadEvent, n: number, rate = 1000): Array<LoadEvent & { at: number }> {
  return Array.from({ length: n }, (_, i) => ({ ...next({ scenario: 's', iteration: i, iterations: n, timeMs: (i * 1000) / rate }), at: (i * 1000) / rate }));
}

const share = (evs: LoadEvent[], expect: string) => evs.filter((e) => e.expect === expect).length / evs.length;
const base: PurchaseOptions = { runId: 't', seed: 1 };

test('purchases: duplicate, resend and malformed shares within tolerance of the rates asked', () => {
  for (const [d, r, m] of [[0.3, 0, 0.005], [0.2, 0, 0.01], [0.1, 0.1, 0.05], [0, 0.3, 0]]) {
    const evs = run(purchases({ ...base, duplicationRate: d, retryRate: r, malformedRate: m }), 100_000);
    assert.ok(Math.abs(share(evs, 'duplicate') - (d + r)) < 0.005, `copies ${share(evs, 'duplicate')} for ${d}+${r}`);
    assert.ok(Math.abs(share(evs, 'dlq') - m) < 0.002, `malformed ${share(evs, 'dlq')} for ${m}`);
  }
});

test('purchases: a short run still holds its share of copies (copies due after the end are sent early)', () => {
  const evs = run(purchases({ ...base, duplicationRate: 0.3, copyDelayMs: [1000, 1000] }), 2000);
  assert.ok(Math.abs(share(evs, 'duplicate') - 0.3) < 0.03, `${share(evs, 'duplicate')}`);
});

test('purchases: each copy follows its purchase by the delay asked; backend copies differ only in source, resends not at all', () => {
  const evs = run(purchases({ ...base, duplicationRate: 0.2, retryRate: 0.1, copyDelayMs: [200, 800], retryDelayMs: [0, 100] }), 50_000);
  const first = new Map<string, LoadEvent & { at: number }>();
  let backend = 0, resends = 0;
  const flushFrom = evs[evs.length - 1000].at; // at the end, copies not yet due are sent early
  for (const e of evs) {
    if (e.expect === 'row') { assert.ok(!first.has(e.key!), `one row per key (${e.key})`); first.set(e.key!, e); continue; }
    if (e.expect !== 'duplicate') continue;
    const orig = first.get(e.key!);
    assert.ok(orig, `a copy follows its purchase (${e.key})`);
    const delay = e.at - orig.at;
    if (e.value === orig.value) {
      resends++;
      // a copy goes in the first free iteration once due: a few ms late when several fall due at once
      assert.ok(delay <= 110 || e.at >= flushFrom, `resend after ${delay} ms`);
    } else {
      backend++;
      assert.deepEqual({ ...JSON.parse(e.value as string), _event_source_: 'x' }, { ...JSON.parse(orig.value as string), _event_source_: 'x' });
      assert.equal(JSON.parse(e.value as string)._event_source_, 'backend-payments');
      assert.ok((delay >= 200 && delay <= 810) || e.at >= flushFrom, `copy after ${delay} ms`);
    }
  }
  assert.ok(Math.abs(backend / evs.length - 0.2) < 0.01 && Math.abs(resends / evs.length - 0.1) < 0.01, `${backend} backend copies, ${resends} resends`);
});

test('purchases: copies beyond the window come after it and must be inserted again', () => {
  const windowMs = 10_000;
  const evs = run(purchases({ ...base, duplicationRate: 0.3, beyondWindowRate: 0.5, dedup: { windowMs, time: 'arrival' } }), 60_000);
  const rowAt = new Map(evs.filter((e) => e.expect === 'row').map((e) => [e.key, e.at]));
  const again = evs.filter((e) => e.expect === 'repeat-row');
  assert.ok(again.length > 0.1 * evs.length, `${again.length} late copies`);
  for (const e of again) assert.ok(e.at - rowAt.get(e.key)! >= windowMs + 2000, `late by ${e.at - rowAt.get(e.key)!}`);
  assert.throws(() => purchases({ ...base, beyondWindowRate: 0.1, dedup: { windowMs, time: 'event' } }), /needs dedup time "arrival"/);
  assert.throws(() => purchases({ ...base, copyDelayMs: [0, 6000], dedup: { windowMs, time: 'arrival' } }), /below half the dedup window/);
  assert.throws(() => purchases({ ...base, duplicationRate: 0.6 }), /too few purchases/);
  assert.throws(() => purchases({ ...base, malformedRate: 1 }), /malformedRate: expected a share/);
});

test('purchases: malformed events are of several kinds, none of them a JSON object', () => {
  const bad = run(purchases({ ...base, malformedRate: 0.5, duplicationRate: 0 }), 1000).filter((e) => e.expect === 'dlq');
  const kinds = new Set(bad.map((e) => {
    const v = e.value as string;
    if (v === '') return 'empty';
    try { const j = JSON.parse(v); return Array.isArray(j) ? 'array' : typeof j.amount === 'string' ? 'type' : 'object'; } catch { return 'truncated'; }
  }));
  assert.deepEqual([...kinds].sort(), ['array', 'empty', 'truncated', 'type']);
});

test('purchases: the same seed makes the same events, another seed others', () => {
  const a = run(purchases({ ...base, seed: 9 }), 5000).map((e) => e.value);
  assert.deepEqual(run(purchases({ ...base, seed: 9 }), 5000).map((e) => e.value), a);
  assert.notDeepEqual(run(purchases({ ...base, seed: 10 }), 5000).map((e) => e.value), a);
});

test('join streams: every purchase names a user already sent, every payment a purchase already sent', () => {
  const evs = run(joinStreams({ runId: 'j', seed: 3, malformedRate: 0.01 }), 30_000);
  const users = new Set<string>(), bought = new Set<string>();
  const count = { users: 0, purchases: 0, payments: 0, dlq: 0 };
  for (const e of evs) {
    if (e.expect === 'dlq') { count.dlq++; continue; }
    const v = e.value as Record<string, string>;
    if (e.source === 'users') { users.add(v.user_id); count.users++; }
    if (e.source === 'purchases') { assert.ok(users.has(v.user_id), `purchase by a known user ${v.user_id}`); bought.add(v.event_id); count.purchases++; }
    if (e.source === 'payments') { assert.ok(bought.has(v.event_id), `payment of a known purchase ${v.event_id}`); count.payments++; }
  }
  assert.ok(count.users > 0 && count.purchases > count.users && count.payments > 0.8 * count.purchases, JSON.stringify(count));
  assert.ok(Math.abs(count.dlq / evs.length - 0.01) < 0.003);
});

test('the delay queue pops in order of due time', () => {
  const q = new DelayQueue<{ due: number }>();
  const rand = prng(4);
  const dues = Array.from({ length: 1000 }, () => Math.floor(rand() * 500));
  for (const due of dues) q.push({ due });
  assert.equal(q.popDue(-1), undefined);
  const out: number[] = [];
  for (let x = q.pop(); x; x = q.pop()) out.push(x.due);
  assert.deepEqual(out, [...dues].sort((a, b) => a - b));
});
