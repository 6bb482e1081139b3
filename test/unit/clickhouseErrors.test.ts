import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clickhouseErrorCode, isDeterministicClickHouseError } from '../../core/clickhouseErrors';

test('the code of a ClickHouse error, old and current formats; none without an answer', () => {
  assert.equal(clickhouseErrorCode('Code: 62, e.displayText() = DB::Exception: Syntax error: failed at position 110'), 62);
  assert.equal(clickhouseErrorCode('Code: 44. DB::Exception: Sorting key cannot contain nullable columns. (ILLEGAL_COLUMN)'), 44);
  assert.equal(clickhouseErrorCode('connect ECONNREFUSED 127.0.0.1:8123'), undefined);
});

test('statement errors are deterministic; overload, timeouts and no answer are not', () => {
  assert.equal(isDeterministicClickHouseError(62), true); // syntax error
  assert.equal(isDeterministicClickHouseError(44), true); // nullable sorting key
  assert.equal(isDeterministicClickHouseError(516), true); // authentication failed
  assert.equal(isDeterministicClickHouseError(202), false); // too many simultaneous queries
  assert.equal(isDeterministicClickHouseError(252), false); // too many parts
  assert.equal(isDeterministicClickHouseError(undefined), false); // no answer
});
