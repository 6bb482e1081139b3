import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findRejected } from '../../core/bisect';

test('finds exactly the rejected rows, with the server message, in few trials', async () => {
  const rows = Array.from({ length: 1000 }, (_, i) => i);
  const badSet = new Set([3, 500, 999]);
  let trials = 0;
  const found = await findRejected(rows, async (part) => {
    trials++;
    const b = part.find((r) => badSet.has(r));
    return b === undefined ? undefined : `cannot parse row ${b}`;
  });
  assert.deepEqual([...found.keys()].sort((a, b) => a - b), [3, 500, 999]);
  assert.equal(found.get(500), 'cannot parse row 500');
  assert.ok(trials < 3 * 2 * 11, `${trials} trials`);
});

test('no rejected rows: one trial', async () => {
  let trials = 0;
  const found = await findRejected([1, 2, 3], async () => { trials++; return undefined; });
  assert.equal(found.size, 0);
  assert.equal(trials, 1);
});
