import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonLine } from '../../worker/logging';

test('log lines are JSON with the pipeline id taken from the workflow id', () => {
  const line = JSON.parse(jsonLine({ level: 'WARN', message: 'sink recovered', timestampNanos: 1_795_000_000_000_000_000n, meta: { workflowId: 'sluice-pipeline-checkout-purchases', taskToken: 'secret-ish', batch: 3, error: new Error('boom') } }));
  assert.equal(line.level, 'warn');
  assert.equal(line.msg, 'sink recovered');
  assert.equal(line.pipeline, 'checkout-purchases');
  assert.equal(line.batch, 3);
  assert.equal(line.error, 'boom');
  assert.equal(line.taskToken, undefined);
  assert.match(line.ts, /^2026-/);
});
