import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runIsExact, type RunCounts } from '../../loadtest/verdict';

// a bench run of 2026-12-03: 1,000,000 events sent, 1,015,000 records in Kafka (kafkajs retried
// sends the broker acknowledged late); the pipeline got every record right, and the verdict
// before loadtest/verdict.ts (read === sent) called it a MISMATCH
const retried: RunCounts = {
  sent: 1_000_000, held: 1_015_000, unique: 698_627, malformedExpected: 982, rows: 698_627, distinct: 698_627,
  counters: { read: 1_015_000, inserted: 698_627, duplicates: 315_379, dlq: 994 },
};
const plain: RunCounts = {
  sent: 1_000_000, held: 1_000_000, unique: 698_627, malformedExpected: 982, rows: 698_627, distinct: 698_627,
  counters: { read: 1_000_000, inserted: 698_627, duplicates: 300_391, dlq: 982 },
};
const withCounters = (r: RunCounts, c: Record<string, number>): RunCounts => ({ ...r, counters: { ...r.counters, ...c } });

test('an exact run is exact, also when the producer wrote some sends twice', () => {
  assert.equal(runIsExact(plain), true);
  assert.equal(runIsExact(retried), true);
});

test('a doubled or missing row, a record not read, or counters that do not add up is a mismatch', () => {
  assert.equal(runIsExact({ ...plain, rows: plain.rows + 1 }), false, 'a row twice');
  assert.equal(runIsExact({ ...plain, distinct: plain.distinct - 1, rows: plain.rows - 1 }), false, 'a row missing');
  assert.equal(runIsExact(withCounters(retried, { read: 1_000_000, duplicates: 300_379 })), false, 'the copies not read');
  assert.equal(runIsExact(withCounters(plain, { duplicates: 300_390 })), false, 'read ≠ inserted + duplicates + dlq');
  assert.equal(runIsExact({ ...plain, held: 999_999, counters: { ...plain.counters, read: 999_999, duplicates: 300_390 } }), false, 'fewer records in Kafka than sent');
});

test('the DLQ holds the malformed events sent, plus at most the copies', () => {
  assert.equal(runIsExact(withCounters(plain, { dlq: 983, duplicates: 300_390 })), false, 'one more DLQ entry than malformed events, no copies');
  assert.equal(runIsExact(withCounters(plain, { dlq: 981, duplicates: 300_392 })), false, 'a malformed event not dead-lettered');
  assert.equal(runIsExact(withCounters(retried, { dlq: 982 + 15_001, duplicates: 315_379 + 994 - 982 - 15_001 })), false, 'more DLQ entries than malformed events and copies');
});
