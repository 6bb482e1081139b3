import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lineDiff } from '../../cli/diff';

test('line diff shows removed and added lines only', () => {
  assert.deepEqual(lineDiff('a\nb\nc', 'a\nB\nc\nd'), ['- b', '+ B', '+ d']);
  assert.deepEqual(lineDiff('same', 'same'), []);
});
