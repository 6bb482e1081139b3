import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DedupWindow, keyHalves } from '../../core/dedupWindow';
import { hashKey as h } from '../../core/dedupKey';

test('first occurrence wins; a repeat inside the window is dropped', () => {
  const w = new DedupWindow(10_000);
  assert.equal(w.admit(h('k'), 1_000), true);
  assert.equal(w.admit(h('k'), 5_000), false);
  assert.equal(w.admit(h('k'), 10_999), false);
  assert.equal(w.admit(h('other'), 5_000), true);
});

test('after the window the key passes again and opens a new window', () => {
  const w = new DedupWindow(10_000);
  assert.equal(w.admit(h('k'), 0), true);
  assert.equal(w.admit(h('k'), 10_000), true);
  assert.equal(w.admit(h('k'), 15_000), false);
  assert.equal(w.admit(h('k'), 20_000), true);
});

test('a repeat with an earlier event time inside the window is still a duplicate', () => {
  const w = new DedupWindow(10_000);
  assert.equal(w.admit(h('k'), 50_000), true);
  assert.equal(w.admit(h('k'), 45_000), false);
});

test('eviction frees keys whose window closed before the watermark', () => {
  const w = new DedupWindow(10_000);
  for (let i = 0; i < 100; i++) w.admit(h(`k${i}`), i * 100);
  assert.equal(w.size, 100);
  w.admit(h('late-marker'), 25_000);
  assert.equal(w.evict(true), 100);
  assert.equal(w.size, 1);
});

test('late events: more than a window behind the watermark', () => {
  const w = new DedupWindow(10_000);
  w.admit(h('a'), 100_000);
  assert.equal(w.isLate(95_000), false);
  assert.equal(w.isLate(89_999), true);
});

test('memory stays bounded under a steady stream of new keys', () => {
  const w = new DedupWindow(1_000);
  for (let t = 0; t < 100_000; t += 1) {
    w.admit(h(`k${t}`), t);
    w.evict();
  }
  assert.ok(w.size <= 1_000 + 1_000, `held ${w.size} keys`);
});

test('a key is 16 lower-case hex characters, read as two 32-bit halves', () => {
  assert.deepEqual(keyHalves('ffffffff00000001'), [0xffffffff, 1]);
  assert.deepEqual(keyHalves('0123456789abcdef'), [0x01234567, 0x89abcdef]);
  for (const bad of ['0123456789ABCDEF', '0123456789abcde', '0123456789abcdef0', '0123456789abcdeg', 'g123456789abcdef', ' 123456789abcdef', '']) {
    assert.throws(() => keyHalves(bad), /16 hex characters/, JSON.stringify(bad));
  }
});
