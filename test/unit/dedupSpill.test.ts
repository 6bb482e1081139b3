import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { DedupWindow } from '../../core/dedupWindow';
import { hashKey } from '../../core/dedupKey';
import { LmdbSpill, maxKeysWithin, removeStaleStores } from '../../activities/dedupSpill';
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
