import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shutdownGraceMs, shutdownPlan } from '../../worker/shutdown';

test('the worker\'s grace time: 20 s by default, from SLUICE_WORKER_SHUTDOWN_GRACE, a bad value named', () => {
  assert.equal(shutdownGraceMs({}), 20_000);
  assert.equal(shutdownGraceMs({ SLUICE_WORKER_SHUTDOWN_GRACE: '1m' }), 60_000);
  assert.throws(() => shutdownGraceMs({ SLUICE_WORKER_SHUTDOWN_GRACE: 'soon' }), /SLUICE_WORKER_SHUTDOWN_GRACE: expected a duration/);
  assert.throws(() => shutdownGraceMs({ SLUICE_WORKER_SHUTDOWN_GRACE: '500ms' }), /at least 2s/);
});

test('stages are cancelled at once, stragglers abandoned before the grace time, the process gone by it', () => {
  const plan = shutdownPlan(8_000);
  assert.equal(plan.shutdownGraceTime, 0);
  assert.ok(plan.shutdownForceTime < plan.exitByMs);
  assert.equal(plan.exitByMs, 8_000);
});
