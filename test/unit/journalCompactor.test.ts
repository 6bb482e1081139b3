import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JournalCompactor } from '../../core/journalCompactor';
import { zeroCounters, type JournalEntry } from '../../core/sinkState';

const entry = (keys: JournalEntry['keys']): JournalEntry => ({ v: 1, batch: 0, rawSeq: 0, at: 0, rows: 0, counters: zeroCounters(), hw: {}, keys });

test('entries go once every key they added is a window behind the watermark; the newest stays', () => {
  const c = new JournalCompactor([1000]);
  c.add(1, entry([{ s: 0, k: 'a'.repeat(16), t: [100] }]));
  c.add(2, entry([{ s: 0, k: 'b'.repeat(16), t: [900] }]));
  c.add(3, entry([]));
  c.add(4, entry([{ s: 0, k: 'c'.repeat(16), t: [1500] }]));
  assert.equal(c.purgeBelow([1050]), undefined, 'key at 100 is still in its window at 1050');
  assert.equal(c.purgeBelow([1100]), 2, 'entry 1 can go');
  assert.equal(c.purgeBelow([5000]), 4, 'entries 2 and 3 go; 4 is the newest and stays');
  assert.equal(c.size, 1);
});

test('entries of sources without dedup are never kept for keys', () => {
  const c = new JournalCompactor([undefined]);
  c.add(1, entry([]));
  c.add(2, entry([]));
  assert.equal(c.purgeBelow([Number.NEGATIVE_INFINITY]), 2);
});

test('entries before the dedup snapshot\'s batch go whatever their keys; the snapshot\'s own entry stays', () => {
  const c = new JournalCompactor([1000]);
  for (let b = 1; b <= 5; b++) c.add(b, { ...entry([{ s: 0, k: 'a'.repeat(16), t: [b * 100] }]), batch: b });
  assert.equal(c.purgeBelow([600]), undefined, 'every key is still in its window');
  assert.equal(c.purgeBelow([600], undefined, 3), 3, 'a dedup snapshot of batch 3: entries 1 and 2 go');
  assert.equal(c.purgeBelow([600], 3, 5), 4, 'a join snapshot of batch 3 keeps entry 4 for its join inputs');
});
