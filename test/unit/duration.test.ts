import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, parseDuration } from '../../core/duration';

test('parses durations with units and combinations', () => {
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('10s'), 10_000);
  assert.equal(parseDuration('10m'), 600_000);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('30d'), 30 * 86_400_000);
});

test('rejects text that is not a duration', () => {
  for (const bad of ['', '10', 'ten minutes', '10 m', '-5s', '1w', 'm10']) assert.equal(parseDuration(bad), undefined, bad);
});

test('formats back to the shortest exact spelling', () => {
  assert.equal(formatDuration(90_000), '1m30s');
  assert.equal(formatDuration(3_600_000), '1h');
  assert.equal(formatDuration(1_500), '1s500ms');
});
