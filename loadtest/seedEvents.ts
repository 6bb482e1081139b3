// The seed scenario's events: purchases, some tracked twice (front end and payment backend),
// a few malformed. Deterministic for a given seed, so every run knows its exact expectations.
export interface GeneratedEvent {
  key: string;
  value: string;
  /** true for the first copy of a purchase (the one that must become a row) */
  unique: boolean;
  /** true for a malformed event (it must reach the DLQ) */
  malformed: boolean;
}

export interface ScenarioOptions {
  events: number;
  /** share of events that are a second copy of an earlier purchase */
  duplicateRatio: number;
  /** share of events that are malformed */
  malformedRatio: number;
  seed: number;
  /** how far back (in events) a duplicate's original may be */
  maxDuplicateDistance: number;
}

export const seedScenario: ScenarioOptions = { events: 10_000, duplicateRatio: 0.3, malformedRatio: 0.005, seed: 42, maxDuplicateDistance: 500 };

/** mulberry32: a small seeded PRNG */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FRONTENDS = ['frontend-web', 'frontend-ios', 'frontend-android'];

export function* purchaseEvents(o: ScenarioOptions, runId = 'r'): Generator<GeneratedEvent> {
  const rand = prng(o.seed);
  const recent: Array<Record<string, unknown>> = [];
  const base = Date.UTC(2026, 10, 29, 12, 0, 0);
  let n = 0;
  for (let i = 0; i < o.events; i++) {
    const r = rand();
    if (r < o.malformedRatio) {
      yield { key: `bad-${i}`, value: i % 2 ? `{"event_id": "bad-${i}", "amount": ` : JSON.stringify({ event_id: `bad-${i}`, user_id: 'u', amount: 'twelve', currency: 'EUR', ts: new Date(base).toISOString(), _event_source_: 'frontend-web' }), unique: false, malformed: true };
      continue;
    }
    if (r < o.malformedRatio + o.duplicateRatio && recent.length > 0) {
      const orig = recent[Math.floor(rand() * recent.length)];
      yield { key: String(orig.event_id), value: JSON.stringify({ ...orig, _event_source_: 'backend-payments' }), unique: false, malformed: false };
      continue;
    }
    const ev = {
      event_id: `${runId}-${n++}`,
      user_id: `user-${Math.floor(rand() * 5000)}`,
      amount: Math.round(rand() * 20000) / 100,
      currency: rand() < 0.7 ? 'EUR' : 'USD',
      ts: new Date(base + i * 10).toISOString(),
      _event_source_: FRONTENDS[Math.floor(rand() * FRONTENDS.length)],
    };
    recent.push(ev);
    if (recent.length > o.maxDuplicateDistance) recent.shift();
    yield { key: ev.event_id, value: JSON.stringify(ev), unique: true, malformed: false };
  }
}
