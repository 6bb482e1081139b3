import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson, keyFunction } from '../../core/dedupKey';
import type { DecodedEvent } from '../../core/event';

const ev = (values: Record<string, unknown>): DecodedEvent => ({ values: new Map(Object.entries(values)) });

test('canonical JSON ignores key order at every depth', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } }), '{"a":{"c":null,"d":[1,{"x":1,"y":2}]},"b":1}');
});

test('one-field key', () => {
  const k = keyFunction({ key: 'id', window: '1h', time: 'arrival' });
  assert.equal(k(ev({ id: 'a', x: 1 })), k(ev({ id: 'a', x: 2 })));
  assert.notEqual(k(ev({ id: 'a' })), k(ev({ id: 'b' })));
  assert.match(k(ev({ id: 'a' })), /^[0-9a-f]{16}$/);
});

test('composite key uses every listed field, in order', () => {
  const k = keyFunction({ key: ['user', 'order'], window: '1h', time: 'arrival' });
  assert.equal(k(ev({ user: 'u', order: 1, other: 'x' })), k(ev({ order: 1, user: 'u', other: 'y' })));
  assert.notEqual(k(ev({ user: 'u', order: 1 })), k(ev({ user: 'u', order: 2 })));
  assert.notEqual(k(ev({ user: 'a', order: 'b' })), k(ev({ user: 'b', order: 'a' })));
});

test('whole-event key ignores the listed fields, including nested ones', () => {
  const k = keyFunction({ key: { ignore: ['_event_source_', 'meta.received'] }, window: '1h', time: 'arrival' });
  const a = { id: 1, amount: 5, _event_source_: 'frontend-web', 'meta.received': 1, 'meta.tz': 'UTC' };
  const b = { amount: 5, id: 1, _event_source_: 'backend-payments', 'meta.tz': 'UTC', 'meta.received': 2 };
  assert.equal(k(ev(a)), k(ev(b)));
  assert.notEqual(k(ev(a)), k(ev({ ...b, amount: 6 })));
  const whole = keyFunction({ key: { ignore: ['meta'] }, window: '1h', time: 'arrival' });
  assert.equal(whole(ev(a)), whole(ev({ ...a, 'meta.tz': 'CET' })), 'ignoring "meta" ignores every field under it');
});
