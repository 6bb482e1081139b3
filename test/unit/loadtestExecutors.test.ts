// Executors' arrival schedules and the pacer, on a fake clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scheduleOf } from '../../loadtest/executors';
import { PacedRun, Pacer, type Clock } from '../../loadtest/pacer';
import { pacing } from '../../loadtest/metrics';
import { prng } from '../../loadtest/seedEvents';

/** Virtual time: sleep() advances it (plus jitter, like a busy event loop) and fires due timers. */
class FakeClock implements Clock {
  t = 1_700_000_000_000;
  private timers: Array<{ at: number; fire: () => void }> = [];
  constructor(private readonly jitter: () => number = () => 0) {}
  now() { return this.t; }
  async sleep(ms: number) {
    this.t += ms + this.jitter();
    const due = this.timers.filter((x) => x.at <= this.t);
    this.timers = this.timers.filter((x) => x.at > this.t);
    for (const x of due) x.fire();
    await new Promise((r) => setImmediate(r));
  }
  after(ms: number): Promise<void> {
    return new Promise((fire) => this.timers.push({ at: this.t + ms, fire }));
  }
}

test('constant-arrival-rate: iteration i is due at i/rate, exactly `iterations` in all', () => {
  const s = scheduleOf('x', { executor: 'constant-arrival-rate', rate: 10_000, iterations: 300_000 });
  assert.equal(s.total, 300_000);
  assert.equal(s.durationMs, 30_000);
  assert.equal(s.timeOf(25_000), 2500);
  for (const t of [0, 0.05, 1, 999.99, 12_345.6, 29_999.9]) assert.equal(s.due(t), Math.floor(t * 10) + 1, `due at ${t} ms`);
  assert.equal(s.due(40_000), 300_000);
  const d = scheduleOf('x', { executor: 'constant-arrival-rate', rate: 50, timeUnit: '100ms', duration: '1m' });
  assert.equal(d.total, 30_000, '50 per 100 ms for a minute');
  assert.ok(d.describe.includes('500/s'));
});

test('ramping-arrival-rate: the count due follows the integral of the rate', () => {
  const s = scheduleOf('r', { executor: 'ramping-arrival-rate', startRate: 0, stages: [{ duration: '10s', target: 1000 }, { duration: '5s', target: 1000 }, { duration: '0s', target: 200 }, { duration: '5s', target: 200 }] });
  assert.equal(s.total, 5000 + 5000 + 1000);
  assert.equal(s.due(5000), 1251, 'half way up the ramp: 1000/s * 5 s / 2');
  assert.equal(s.due(12_000), 7001);
  assert.equal(s.due(17_500), 10_501, 'after the jump to 200/s');
  for (const i of [0, 1, 100, 4999, 5000, 7777, 10_000, 10_999]) {
    const t = s.timeOf(i);
    assert.ok(s.due(t) >= i + 1 && s.due(t - 0.01) <= i + 1, `iteration ${i} due at ${t}`);
  }
});

test('shared-iterations: everything due at once; busy VUs make iterations wait, not drop', () => {
  const p = new Pacer(scheduleOf('s', { executor: 'shared-iterations', iterations: 1000, vus: 100 }));
  assert.equal(p.step(0, 0), 100);
  assert.equal(p.step(1, 100), 0);
  assert.equal(p.step(2, 40), 60, '60 of 100 VUs free');
  assert.equal(p.dropped, 0);
});

test('arrival-rate: a due iteration with no free VU is dropped, as in k6', () => {
  const p = new Pacer(scheduleOf('c', { executor: 'constant-arrival-rate', rate: 1000, iterations: 10_000, maxVUs: 50 }));
  assert.equal(p.step(99.5, 0), 50, '100 due, 50 VUs free');
  assert.equal(p.dropped, 50);
  assert.equal(p.step(200, 45), 5);
  assert.equal(p.dropped, 146, '201 due by 200 ms: 55 started');
});

async function paced(rate: number, events: number, clock: FakeClock, ackAfterMs: number, maxVUs?: number) {
  let requests = 0, inFlight = 0, maxInFlightSeen = 0, maxBusy = 0;
  const run = new PacedRun([{ name: 'c', schedule: scheduleOf('c', { executor: 'constant-arrival-rate', rate, iterations: events, maxVUs }), startMs: 0, build: (i) => i }], {
    clock, maxBatch: 2000, maxInFlight: 8, lingerMs: 5, tickMs: 2,
    send: async () => {
      requests++;
      maxInFlightSeen = Math.max(maxInFlightSeen, ++inFlight);
      await clock.after(ackAfterMs);
      inFlight--;
    },
    onTick: () => { maxBusy = Math.max(maxBusy, run.pending); },
  });
  const r = await run.run();
  return { r, requests, maxInFlightSeen, maxBusy };
}

test('10,000 events/s on a jittery event loop: every whole second within 2% of the schedule', async () => {
  const rand = prng(1);
  const clock = new FakeClock(() => (rand() < 0.02 ? 20 : rand() * 3)); // 2 ms ticks, late by up to 3 ms, sometimes a 20 ms stall
  const { r, requests, maxInFlightSeen } = await paced(10_000, 100_000, clock, 15);
  assert.equal(r.count, 100_000);
  assert.equal(r.scenarios[0].dropped, 0);
  const p = pacing(r.builtAt.subarray(0, r.count), r.dueAt.subarray(0, r.count));
  assert.ok(Math.abs(p.achievedRate / 10_000 - 1) < 0.02, `achieved ${p.achievedRate}/s`);
  assert.ok(p.worstSecond < 0.02, `worst second ${(p.worstSecond * 100).toFixed(2)}% off`);
  assert.ok(requests < 100_000 / 20, `batched: ${requests} requests for 100,000 events`);
  assert.ok(maxInFlightSeen <= 8 && maxInFlightSeen >= 2, `several requests in flight (${maxInFlightSeen})`);
  for (let i = 0; i < r.count; i++) assert.ok(r.builtAt[i] - r.dueAt[i] < 25 && r.builtAt[i] >= r.dueAt[i], `event ${i} started on time`);
  assert.ok(!r.ackedAt.subarray(0, r.count).some(Number.isNaN), 'every event acknowledged');
});

test('a Kafka that cannot keep up: VUs run out, the excess is dropped and counted', async () => {
  const clock = new FakeClock();
  const { r, maxBusy } = await paced(10_000, 20_000, clock, 1000, 2000); // one second per request
  const s = r.scenarios[0];
  assert.ok(s.dropped > 0, 'some dropped');
  assert.equal(s.started + s.dropped, 20_000);
  assert.equal(r.count, s.started);
  assert.ok(maxBusy <= 2000, `never more than maxVUs in flight (${maxBusy})`);
});

test('a failed send is counted and its events carry no acknowledgement', async () => {
  const clock = new FakeClock();
  let n = 0;
  const run = new PacedRun([{ name: 'c', schedule: scheduleOf('c', { executor: 'constant-arrival-rate', rate: 1000, iterations: 100 }), startMs: 0, build: (i) => i }], {
    clock, maxBatch: 10, maxInFlight: 2, lingerMs: 0, tickMs: 1,
    send: async (b) => { if (n++ === 0) throw new Error(`broker gone (${b.length})`); },
  });
  const r = await run.run();
  assert.ok(r.errors > 0 && r.lastError?.startsWith('broker gone'));
  assert.equal([...r.ackedAt.subarray(0, r.count)].filter(Number.isNaN).length, r.errors);
});

test('startTime delays a scenario; skipped iterations send nothing', async () => {
  const clock = new FakeClock();
  const schedule = scheduleOf('c', { executor: 'constant-arrival-rate', rate: 1000, iterations: 100 });
  const run = new PacedRun([
    { name: 'a', schedule, startMs: 0, build: (i) => (i % 2 ? undefined : i) },
    { name: 'b', schedule, startMs: 500, build: (i) => i },
  ], { clock, maxBatch: 100, maxInFlight: 2, lingerMs: 0, tickMs: 1, send: async () => undefined });
  const r = await run.run();
  assert.equal(r.count, 150);
  assert.equal(r.scenarios[0].skipped, 50);
  let firstB = Infinity;
  for (let i = 0; i < r.count; i++) if (r.scenarioOf[i] === 1) firstB = Math.min(firstB, r.dueAt[i] - r.startedAt);
  assert.equal(firstB, 500);
});
