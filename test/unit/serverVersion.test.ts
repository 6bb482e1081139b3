import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchCountQuery, createTableSettings, insertSettingsFor, optionalSettingsQuery, parseServerVersion } from '../../core/serverVersion';

const v1816 = parseServerVersion('18.16.1', []);
const v269 = parseServerVersion('26.9.2.1', ['async_insert', 'insert_deduplication_token', 'deduplicate_blocks_in_dependent_materialized_views', 'non_replicated_deduplication_window']);

test('versions compare by major.minor; settings are known by name', () => {
  assert.ok(v269.atLeast(21, 11) && v269.atLeast(26, 9) && !v269.atLeast(26, 10) && !v1816.atLeast(20, 1));
  assert.ok(v269.has('insert_deduplication_token') && !v1816.has('async_insert'));
  assert.match(optionalSettingsQuery(), /^SELECT name FROM system\.settings WHERE name IN \('async_insert', 'insert_deduplication_token', 'deduplicate_blocks_in_dependent_materialized_views'\) UNION ALL SELECT concat\(name, '=', value\) FROM system\.settings WHERE name IN \('allow_experimental_low_cardinality_type', 'allow_experimental_json_type', 'allow_experimental_map_type'\) UNION ALL SELECT name FROM system\.merge_tree_settings WHERE name IN \('non_replicated_deduplication_window'\)$/);
});

test('INSERT settings: only what the server has; the batch id as deduplication token; a quorum only into replicated tables', () => {
  assert.deepEqual(insertSettingsFor(v1816, 42, false), {});
  assert.deepEqual(insertSettingsFor(v269, 42, false), { async_insert: 0, insert_deduplication_token: 'sluice-42', deduplicate_blocks_in_dependent_materialized_views: 1 });
  assert.deepEqual(insertSettingsFor(v269, undefined, false), { async_insert: 0 }); // the probe of rejected rows: no token
  assert.deepEqual(insertSettingsFor(v269, 42, false, '2'), { async_insert: 0, insert_deduplication_token: 'sluice-42', deduplicate_blocks_in_dependent_materialized_views: 1 });
  assert.deepEqual(insertSettingsFor(v269, 42, true, 'auto'), { async_insert: 0, insert_deduplication_token: 'sluice-42', deduplicate_blocks_in_dependent_materialized_views: 1, insert_quorum: 'auto', insert_quorum_parallel: 0 });
  assert.deepEqual(insertSettingsFor(v1816, 42, true, '2'), { insert_quorum: '2', insert_quorum_parallel: 0 });
});

test('created tables: a deduplication window on non-replicated MergeTree engines where the server has the setting', () => {
  assert.equal(createTableSettings(v269, 'MergeTree'), 'SETTINGS non_replicated_deduplication_window = 1000');
  assert.equal(createTableSettings(v269, 'ReplacingMergeTree'), 'SETTINGS non_replicated_deduplication_window = 1000');
  assert.equal(createTableSettings(v269, 'ReplicatedMergeTree'), ''); // Keeper keeps its insert log (replicated_deduplication_window)
  assert.equal(createTableSettings(v1816, 'MergeTree'), '');
});

test('recovery\'s count of a batch: sequentially consistent on replicated tables', () => {
  assert.deepEqual(batchCountQuery('`d`.`t`', '_sluice_batch', 5 * 2 ** 32 + 7, true),
    { query: 'SELECT count() AS n FROM `d`.`t` WHERE _sluice_batch = 21474836487', settings: { select_sequential_consistency: 1 } });
  assert.deepEqual(batchCountQuery('`d`.`t`', '_sluice_batch', 7, false).settings, {});
  assert.throws(() => batchCountQuery('`d`.`t`', '_sluice_batch', 1.5, false), /not a whole number/);
});
