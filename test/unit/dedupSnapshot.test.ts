import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DedupWindow } from '../../core/dedupWindow';
import { decodeDedupSnapshot, encodeDedupSnapshot } from '../../core/dedupSnapshot';
import { hashKey } from '../../core/dedupKey';

test('a dedup snapshot decodes to windows that decide like the originals', () => {
  const a = new DedupWindow(10_000);
  const empty = new DedupWindow(5_000);
  for (let i = 0; i < 3000; i++) a.admit(hashKey(`k${i}`), i * 3);
  a.evict(true);
  const bytes = encodeDedupSnapshot({ batch: 42, sources: [{ s: 0, window: a.dump(), legacyUntil: 7 }, { s: 2, window: empty.dump() }] });
  // at an odd offset, as a blob may come
  const shifted = new Uint8Array(bytes.length + 1);
  shifted.set(bytes, 1);
  const snap = decodeDedupSnapshot(shifted.subarray(1));
  assert.equal(snap.batch, 42);
  assert.deepEqual(snap.sources.map((s) => [s.s, s.legacyUntil]), [[0, 7], [2, undefined]]);
  const b = new DedupWindow(10_000);
  b.load(snap.sources[0].window);
  assert.equal(b.size, a.size);
  assert.equal(b.currentWatermark, a.currentWatermark);
  for (let i = 0; i < 3100; i++) assert.equal(b.admit(hashKey(`k${i}`), 9_000), a.admit(hashKey(`k${i}`), 9_000), `k${i}`);
  assert.equal(snap.sources[1].window.watermark, Number.NEGATIVE_INFINITY);
  assert.throws(() => decodeDedupSnapshot(bytes.subarray(0, bytes.length - 4)), /truncated/);
});

test('dedup window keys must be 64-bit hashes in hex', () => {
  assert.throws(() => new DedupWindow(1000).admit('k', 0), /16 hex characters/);
});

test('a dedup snapshot in a Node Buffer (a blob of one object-store chunk is the message payload, a view of a larger buffer) decodes', () => {
  const w = new DedupWindow(10_000);
  for (let i = 0; i < 1000; i++) w.admit(hashKey(`k${i}`), i);
  const bytes = encodeDedupSnapshot({ batch: 1, sources: [{ s: 0, window: w.dump() }] });
  // a Buffer's slice() is a view, not a copy: its .buffer is the whole underlying memory
  const big = Buffer.alloc(bytes.length + 4099);
  big.set(bytes, 3);
  const snap = decodeDedupSnapshot(big.subarray(3, 3 + bytes.length));
  const back = new DedupWindow(10_000);
  back.load(snap.sources[0].window);
  assert.equal(back.size, 1000);
  for (let i = 0; i < 1000; i++) assert.equal(back.admit(hashKey(`k${i}`), i + 1), false, `k${i} is held`);
});
