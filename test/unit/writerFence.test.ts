import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFenceSql, dropFenceSql, dropOrder, fenceOf, isFenceOf, listFencesSql } from '../../core/fence';
import { parseServerVersion } from '../../core/serverVersion';
import { validateSpec } from '../../core/spec/validate';
import type { PipelineSpec } from '../../core/spec/schema';
import { purchaseSpec } from './fixtures';

const specNamed = (name: string): PipelineSpec => {
  const r = validateSpec(purchaseSpec({ name }));
  if (!r.ok) throw new Error('fixture invalid');
  return r.spec;
};

test('a fence is a Null-engine copy of the sink table and a view from it TO the sink table', () => {
  const spec = specNamed('shop-orders');
  const f = fenceOf(spec, 'abc123');
  assert.deepEqual(f, { input: '_sluice_w_shop_orders_abc123', view: '_sluice_v_shop_orders_abc123' });
  assert.deepEqual(createFenceSql(spec, f), [
    'CREATE TABLE `default`.`_sluice_w_shop_orders_abc123` AS `default`.`purchases` ENGINE = Null',
    'CREATE MATERIALIZED VIEW `default`.`_sluice_v_shop_orders_abc123` TO `default`.`purchases` AS SELECT * FROM `default`.`_sluice_w_shop_orders_abc123`',
  ]);
  assert.throws(() => fenceOf(spec, 'a`b'), /lowercase letters and digits/);
});

test('a takeover drops the fences of its own pipeline only, inputs before views, SYNC where the server has it', () => {
  const spec = specNamed('shop');
  // "shop-orders" is another pipeline whose token starts like this one's
  const names = ['_sluice_v_shop_x1', '_sluice_w_shop_x1', '_sluice_w_shop_orders_x2', '_sluice_w_shop_', 'purchases', '_sluice_probe_purchases', '_sluice_w_shop_y2'];
  const mine = names.filter((n) => isFenceOf(spec, n));
  assert.deepEqual(mine, ['_sluice_v_shop_x1', '_sluice_w_shop_x1', '_sluice_w_shop_y2']);
  assert.ok(!isFenceOf(specNamed('shop-orders'), '_sluice_w_shop_x1'));
  assert.ok(isFenceOf(specNamed('shop-orders'), '_sluice_w_shop_orders_x2'));
  assert.deepEqual(dropOrder(mine), ['_sluice_w_shop_x1', '_sluice_w_shop_y2', '_sluice_v_shop_x1']);
  assert.equal(dropFenceSql(spec, '_sluice_w_shop_x1', true), 'DROP TABLE IF EXISTS `default`.`_sluice_w_shop_x1` SYNC');
  assert.equal(dropFenceSql(spec, '_sluice_w_shop_x1', false), 'DROP TABLE IF EXISTS `default`.`_sluice_w_shop_x1`');
  assert.match(listFencesSql(spec), /WHERE database = 'default' AND/);
});

test('server versions: SYNC from 20.1, async_insert from 21.11', () => {
  assert.equal(parseServerVersion('18.16.1').atLeast(20, 1), false);
  assert.equal(parseServerVersion('26.9.2.1').atLeast(20, 1), true);
  assert.equal(parseServerVersion('21.10.1').atLeast(21, 11), false);
  assert.equal(parseServerVersion('21.11.3').atLeast(21, 11), true);
});
