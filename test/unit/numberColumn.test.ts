import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NumberColumn } from '../../core/numberColumn';
import { RowOrigins } from '../../core/rowOrigins';
import { keyText } from '../../core/dedupWindow';
import type { RawOrigin } from '../../core/envelope';

test('a number column keeps every value across its growths, exactly (key halves, ms times, NaN)', () => {
  const c = new NumberColumn(3);
  const values = Array.from({ length: 5_000 }, (_, i) => (i % 7 === 0 ? Number.NaN : i % 3 === 0 ? 0xffffffff - i : 1.7e12 + i));
  for (const v of values) c.push(v);
  assert.equal(c.length, values.length);
  assert.deepEqual(c.toArray(), values);
  assert.deepEqual(Array.from(c.view()), values);
  assert.ok(values.every((v, i) => Object.is(c.at(i), v)));
});

test('an empty column gives no values', () => {
  const c = new NumberColumn(0);
  assert.equal(c.length, 0);
  assert.deepEqual(c.toArray(), []);
  assert.equal(c.view().length, 0);
});

test('row origins past their first capacity give back each row: offset, value, key and time, or no key', () => {
  const from: RawOrigin = { s: 1, t: 'purchases', p: 2, a: 1_700_000_000_000, o: Array.from({ length: 3_000 }, (_, i) => 100 + i), value: (i) => `v${i}` };
  const origins = new RowOrigins(2);
  for (let i = 0; i < 3_000; i++) {
    if (i % 2) origins.push(from, i);
    else origins.pushKeyed(from, i, 0xfffffff0 - i, i, 1_700_000_000_000 + i);
  }
  const copy = new RowOrigins();
  for (let j = 0; j < origins.length; j += 3) copy.pushFrom(origins, j);
  assert.equal(origins.length, 3_000);
  for (let j = 0; j < 3_000; j++) {
    const o = origins.at(j);
    assert.equal(o.offset, 100 + j);
    assert.equal(o.value, `v${j}`);
    assert.equal(o.key, j % 2 ? undefined : keyText(0xfffffff0 - j, j));
    assert.equal(o.t, j % 2 ? undefined : 1_700_000_000_000 + j);
  }
  assert.deepEqual(copy.list(), origins.list().filter((_, j) => j % 3 === 0));
});
