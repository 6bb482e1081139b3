import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchPolicy } from '../../core/batchPolicy';

test('a batch is taken when full by rows or by join inputs, or when its first input waited maxDelay', () => {
  const p = new BatchPolicy({ maxRows: 100, maxDelayMs: 500, maxJoinRecords: 1000 });
  assert.equal(p.full(99, 0), false);
  assert.equal(p.full(100, 0), true);
  assert.equal(p.full(0, 1000), true);
  p.beforeInput(false, 1_000); // the first input of a new batch
  p.beforeInput(true, 1_400); // more input: the age still counts from the first
  assert.equal(p.due(true, 1_499), false);
  assert.equal(p.due(true, 1_500), true);
  assert.equal(p.due(false, 9_999), false, 'nothing pending: nothing due');
  p.beforeInput(false, 2_000);
  assert.equal(p.due(true, 2_100), false, 'a new batch counts from its own first input');
});

test('the clock turns at a quarter of maxDelay, between 10 and 100 ms', () => {
  assert.equal(new BatchPolicy({ maxRows: 1, maxDelayMs: 10, maxJoinRecords: 1 }).clockMs, 10);
  assert.equal(new BatchPolicy({ maxRows: 1, maxDelayMs: 200, maxJoinRecords: 1 }).clockMs, 50);
  assert.equal(new BatchPolicy({ maxRows: 1, maxDelayMs: 60_000, maxJoinRecords: 1 }).clockMs, 100);
});
