import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchIdOf, BATCH_SPAN, chooseIncarnation, incarnationFromMetadata, incarnationOfBatchId, INCARNATION_METADATA, MAX_INCARNATION } from '../../core/incarnation';
import { SinkState } from '../../core/sinkState';
import { validateSpec } from '../../core/spec/validate';
import { prng } from '../../loadtest/seedEvents';
import { purchaseSpec } from './fixtures';

test('batch ids of two incarnations never meet, and stay exact integers', () => {
  assert.equal(batchIdOf(0, 7), 7, 'incarnation 0 keeps the batch ids pipelines always had');
  assert.equal(batchIdOf(3, 1), 3 * BATCH_SPAN + 1);
  assert.equal(incarnationOfBatchId(batchIdOf(3, BATCH_SPAN - 1)), 3);
  assert.equal(incarnationOfBatchId(batchIdOf(4, 1)), 4);
  const top = batchIdOf(MAX_INCARNATION, BATCH_SPAN - 1);
  assert.ok(Number.isSafeInteger(top), `${top} is exact`);
});

test('a new incarnation is never one the table already has', () => {
  const rand = prng(5);
  const used = new Set([1, 2, 3]);
  // a random source that first offers used ones
  const offers = [0 / MAX_INCARNATION, 1 / MAX_INCARNATION, 2 / MAX_INCARNATION, 0.5];
  assert.equal(chooseIncarnation(used, () => offers.shift()!), 1 + Math.floor(0.5 * MAX_INCARNATION));
  for (let i = 0; i < 1000; i++) {
    const n = chooseIncarnation(used, rand);
    assert.ok(n >= 1 && n <= MAX_INCARNATION && !used.has(n));
  }
});

test('the incarnation comes from the journal stream metadata; none means 0', () => {
  assert.equal(incarnationFromMetadata(undefined), 0);
  assert.equal(incarnationFromMetadata({ other: 'x' }), 0);
  assert.equal(incarnationFromMetadata({ [INCARNATION_METADATA]: '42' }), 42);
  assert.throws(() => incarnationFromMetadata({ [INCARNATION_METADATA]: '-1' }), /is not an incarnation/);
});

test('rows carry the batch id of their incarnation', () => {
  const r = validateSpec(purchaseSpec());
  if (!r.ok) throw new Error('fixture invalid');
  const st = new SinkState(r.spec, { incarnation: 9 });
  st.process(1, { s: 0, t: 'purchases', p: 0, o: [0], a: 1, v: [JSON.stringify({ event_id: 'a', user_id: 'u', amount: 1, ts: '2026-11-29T12:00:00Z', _event_source_: 'web' })] });
  const { entry, rows: taken } = st.takeBatch(2);
  const rows = taken.objects();
  assert.equal(entry.batch, 1, 'the journal numbers batches within the incarnation');
  assert.equal(rows[0]._sluice_batch, 9 * BATCH_SPAN + 1);
});
