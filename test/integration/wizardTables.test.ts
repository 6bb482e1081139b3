// The wizard's ClickHouse listing against the stack's real server, whichever version it is (26.9,
// or 18.16 with SLUICE_CLICKHOUSE=18.16): 18.16 has no query parameters and no system.columns.position,
// and the listing used both, so it failed there.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { settings } from '../../runtime/settings';
import { clickhouse } from '../../loadtest/clickhouse';
import { describeTable, listTables } from '../../api/wizard/clickhouse';

const DB = `sluice_wiz_${randomBytes(3).toString('hex')}`;
let ch: ClickHouseClient;

before(async () => {
  ch = clickhouse(settings.clickhouseUrl);
  await ch.command({ query: `CREATE DATABASE ${DB}` });
  await ch.command({ query: `CREATE TABLE ${DB}.orders (zeta String, amount Float64, alpha DateTime, n Nullable(Int32)) ENGINE = MergeTree ORDER BY zeta` });
  await ch.command({ query: `CREATE TABLE ${DB}._sluice_w_orders_1 (zeta String) ENGINE = Null` });
});
after(async () => {
  await ch.command({ query: `DROP DATABASE IF EXISTS ${DB}` });
  await ch.close();
});

test('tables are listed without Sluice\'s own, columns come in their order, and each mapping is checked', async () => {
  const c = { url: settings.clickhouseUrl, database: DB };
  assert.deepEqual(await listTables(c), ['orders']);
  const t = await describeTable(c, 'orders', [
    { column: 'amount', field: 'amount', fieldType: 'float64' },
    { column: 'zeta', field: 'id', fieldType: 'int64' },
    { column: 'missing', field: 'x', fieldType: 'string' },
  ]);
  assert.equal(t.exists, true);
  assert.deepEqual(t.columns, [{ name: 'zeta', type: 'String' }, { name: 'amount', type: 'Float64' }, { name: 'alpha', type: 'DateTime' }, { name: 'n', type: 'Nullable(Int32)' }]);
  assert.deepEqual(t.mapping.map((m) => [m.column, m.problem === null]), [['amount', true], ['zeta', false], ['missing', false]]);
  assert.equal((await describeTable(c, 'nope', [])).exists, false);
  // a name with a quote is a value, not SQL
  assert.deepEqual(await listTables({ url: settings.clickhouseUrl, database: 'no_such_db' }), []);
  assert.equal((await describeTable(c, "x' OR '1'='1", [])).exists, false);
});
