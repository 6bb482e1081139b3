import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyStore, storableTime } from '../../core/keyStore';
import { prng } from '../../loadtest/seedEvents';

test('the key store agrees with a Map through inserts, overwrites, deletes, sweeps, growth and shrinking', () => {
  const rand = prng(3);
  const s = new KeyStore();
  const ref = new Map<string, number>();
  // few distinct low halves: long probe runs, runs that wrap around the table's end, many shifts
  const key = () => [Math.floor(rand() * 50), Math.floor(rand() * 4000) | (rand() < 0.3 ? 1023 : 0)] as const;
  let horizon = -1e6;
  for (let step = 0; step < 60_000; step++) {
    const [hi, lo] = key();
    const id = `${hi}:${lo}`;
    const r = rand();
    if (r < 0.6) {
      const t = Math.floor(rand() * 2e6) - 1e6;
      s.set(hi, lo, t);
      ref.set(id, t);
    } else if (r < 0.8) {
      assert.equal(s.delete(hi, lo), ref.delete(id));
    } else if (r < 0.9) {
      const t = ref.get(id);
      assert.equal(s.delete(hi, lo, t === undefined ? 0 : t + 1), false, 'a delete with another time keeps the key');
    } else if (r < 0.902) {
      horizon += 50_000;
      let freed = 0;
      for (const [k, t] of ref) if (t <= horizon) { ref.delete(k); freed++; }
      assert.equal(s.deleteUpTo(horizon), freed);
    }
    assert.equal(s.get(hi, lo), ref.get(id));
    assert.equal(s.size, ref.size);
  }
  for (const [id, t] of ref) {
    const [hi, lo] = id.split(':').map(Number);
    assert.equal(s.get(hi, lo), t, id);
  }
});

test('times: negative, 0 and large ones round-trip; fractions and out-of-range ones are refused', () => {
  const s = new KeyStore();
  for (const [i, t] of [-(2 ** 47) + 1, -1, 0, 1, 1_764_000_000_000, 2 ** 47 - 1].entries()) {
    s.set(0, i, t);
    assert.equal(s.get(0, i), t);
  }
  assert.equal(storableTime(1.5), false);
  assert.equal(storableTime(2 ** 47), false);
  assert.throws(() => s.set(1, 1, 0.5), /whole number of ms/);
  assert.equal(s.get(0xffffffff, 0xffffffff), undefined);
});

test('a dump loads into an equal store; 14 bytes per slot, off the heap', () => {
  const s = new KeyStore();
  for (let i = 0; i < 5000; i++) s.set(i * 7919 >>> 0, (i * 2654435761) >>> 0, i);
  const d = s.dump();
  assert.equal(d.timeLo.length, 5000);
  const l = KeyStore.load(d);
  assert.equal(l.size, 5000);
  for (let i = 0; i < 5000; i++) assert.equal(l.get(i * 7919 >>> 0, (i * 2654435761) >>> 0), i);
  assert.equal(s.bytes, 8192 * 14, '5000 keys need 8192 slots at 3/4 load');
});
