import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { DedupWindow } from '../../core/dedupWindow';
import { hashKey } from '../../core/dedupKey';
import { LmdbSpill, maxKeysWithin } from '../../activities/dedupSpill';
import { removeStaleStores } from '../../activities/staleStores';
import { keyOrder } from '../../core/keyOrder';
import { prng } from '../../loadtest/seedEvents';

test('a window spilling to LMDB past its memory cap decides like one in memory: repeats, late events, forgets, sweeps, snapshots', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-spill-test-'));
  const store = new LmdbSpill(join(dir, 'db'));
  try {
    const rand = prng(5);
    const mem = new DedupWindow(5_000);
    const disk = new DedupWindow(5_000, { store, maxKeysInMemory: 60 });
    let t = 0;
    for (let step = 0; step < 8_000; step++) {
      t += Math.floor(rand() * 6);
      const key = hashKey(`k${Math.floor(rand() * 900)}`);
      const r = rand();
      // a late event now and then: far behind the watermark
      const at = r < 0.05 ? Math.max(0, t - 5_000 - Math.floor(rand() * 3_000)) : t;
      if (r < 0.97) assert.equal(disk.admit(key, at), mem.admit(key, at), `step ${step}: admit at ${at}`);
      else {
        const ft = rand() < 0.5 ? undefined : at;
        assert.equal(disk.forget(key, ft), mem.forget(key, ft), `step ${step}: forget`);
      }
      if (step % 50 === 0) { mem.evict(); disk.evict(); }
      if (step === 4_000) {
        // a snapshot of the spilled window holds the same keys and loads into another spilled window
        const a = mem.dump();
        const b = disk.dump();
        const entries = (d: typeof a) => [...Array(d.store.timeLo.length).keys()].map((j) => `${d.store.keys[2 * j]}:${d.store.keys[2 * j + 1]}:${d.store.timeHi[j]}:${d.store.timeLo[j]}`).sort();
        assert.deepEqual(entries(b), entries(a));
        disk.load(b);
      }
    }
    assert.ok(disk.diskReads > 100, `the disk was read (${disk.diskReads} reads)`);
    assert.ok(disk.sizeInMemory <= 60);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the memory cap in keys: 3/4 of the slots that fit', () => {
  assert.equal(maxKeysWithin(64 * 2 ** 20), Math.floor(2 ** 22 * 0.75), '64 MiB hold 4M slots of 14 bytes');
});

test('stores left by processes that are gone are removed; a live process\'s store stays', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-spill-stale-'));
  try {
    const gone = spawnSync(process.execPath, ['-e', '0']).pid!; // exited: its pid is free
    for (const n of [`p-0-${gone}`, `p-0-${process.pid}`, 'other-0-1']) mkdirSync(join(dir, n));
    removeStaleStores(dir, 'p-0-');
    assert.deepEqual(readdirSync(dir).sort(), ['other-0-1', `p-0-${process.pid}`]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('keyOrder sorts a dump by its 64-bit keys (hi, then lo, unsigned), like a comparison sort', () => {
  const rand = prng(11);
  const n = 20_000;
  const keys = new Uint32Array(2 * n);
  for (let j = 0; j < n; j++) {
    keys[2 * j] = rand() < 0.2 ? 7 : Math.floor(rand() * 2 ** 32); // many equal his: lo decides
    keys[2 * j + 1] = Math.floor(rand() * 2 ** 32);
  }
  const want = Array.from({ length: n }, (_, j) => j).sort((a, b) => keys[2 * a] - keys[2 * b] || keys[2 * a + 1] - keys[2 * b + 1]);
  assert.deepEqual([...keyOrder(keys)], want);
});

test('a generation on disk in sorted blocks: every key found with its time, absent ones not, deletes (also of a block\'s first key), read back whole', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-spill-blocks-'));
  const store = new LmdbSpill(join(dir, 'db'));
  try {
    const rand = prng(12);
    const n = 5_000; // 20 blocks
    const d = { keys: new Uint32Array(2 * n), timeLo: new Uint32Array(n), timeHi: new Uint16Array(n) };
    const held = new Map<string, number>();
    for (let j = 0; j < n; j++) {
      const hi = Math.floor(rand() * 2 ** 32), lo = Math.floor(rand() * 2 ** 32), t = 1_795_910_400_000 + j;
      d.keys[2 * j] = hi; d.keys[2 * j + 1] = lo;
      const at = t + 2 ** 47; // the dump's time encoding (keyStore.ts dumpTime)
      d.timeHi[j] = Math.floor(at / 2 ** 32); d.timeLo[j] = at % 2 ** 32;
      held.set(`${hi}:${lo}`, t);
    }
    store.write(3, d);
    for (const [k, t] of held) { const [hi, lo] = k.split(':').map(Number); assert.equal(store.get(3, hi, lo), t, k); }
    for (const [hi, lo] of [[0, 0], [2 ** 32 - 1, 2 ** 32 - 1], [d.keys[0], d.keys[1] ^ 1]]) if (!held.has(`${hi}:${lo}`)) assert.equal(store.get(3, hi, lo), undefined);
    // delete every third key and the smallest one (the first key of the first block)
    const order = keyOrder(d.keys);
    const gone = new Set([order[0], order[256], ...Array.from({ length: n }, (_, j) => j).filter((j) => j % 3 === 0)]);
    for (const j of gone) { store.delete(3, d.keys[2 * j], d.keys[2 * j + 1]); held.delete(`${d.keys[2 * j]}:${d.keys[2 * j + 1]}`); }
    for (const j of gone) assert.equal(store.get(3, d.keys[2 * j], d.keys[2 * j + 1]), undefined);
    for (const [k, t] of held) { const [hi, lo] = k.split(':').map(Number); assert.equal(store.get(3, hi, lo), t, k); }
    const back = store.read(3);
    assert.equal(back.timeLo.length, held.size);
    const got = new Map(Array.from({ length: back.timeLo.length }, (_, j) => [`${back.keys[2 * j]}:${back.keys[2 * j + 1]}`, back.timeHi[j] * 2 ** 32 + back.timeLo[j] - 2 ** 47]));
    assert.deepEqual(got, held);
    store.drop(3);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
