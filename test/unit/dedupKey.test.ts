import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson, hashKey, keyFunction, keyHalvesFunction, lastKeyHi, lastKeyLo, legacyHashKey } from '../../core/dedupKey';
import { keyHalves, keysText, keyText } from '../../core/dedupWindow';
import { prng } from '../../loadtest/seedEvents';
import { eventFields, type DecodedEvent } from '../../core/event';
import type { DedupSpec } from '../../core/spec/schema';

const ev = (values: Record<string, unknown>): DecodedEvent => ({ fields: eventFields(Object.keys(values)), values: Object.values(values) });

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

test('keys are the same hashes as before the keys were built per field list (journals and snapshots hold them)', () => {
  // expected: the hashes of canonicalJson of the values (one field, a list, an object of the kept fields), as journaled before
  const entries: Array<[string, unknown]> = [
    ['id', 'a'], ['n', 123], ['x', 1.5], ['neg', -0], ['big', 1e21], ['s', null], ['flag', 1], ['ts', '2026-11-29 12:00:00'],
    ['meta.source', 'web'], ['doc', { b: [1, { z: null, y: 'é' }], a: 'x\u2028"' }], ['tags', ['b', 'a']], ['m', { k2: 2, k1: 1 }],
    ['10', 'ten'], ['9', 'nine'], ['__proto__', 'p'], ['meta.tz', 'UTC'], ['Zed', 'upper'],
    ['q', 'say "hi"\n\\ é'], ['sur', '\ud83d\ude00 and a lone \ud800'], ['ctl', '\u0007\u001f\u007f'], ['tiny', 5e-7], ['neg2', -12.5],
  ];
  const e: DecodedEvent = { fields: eventFields(entries.map(([k]) => k)), values: entries.map(([, v]) => v) };
  const expected: Array<[DedupSpec['key'], string]> = [
    ['id', '5271bc5453102389'], ['doc', '97bf9f720c9768d9'], ['missing', '3ec9e10063179f3a'], [['id', 'n', 'missing', 'tags'], 'aa28bf597cc09913'],
    [{ ignore: ['meta'] }, '45d1e1a8272dcd35'], [{ ignore: ['meta.source', 'doc'] }, 'ca67be3b71ff1cea'], [{ ignore: [] }, '7ea745e26c89feaa'],
    [['q', 'sur', 'ctl', 'tiny', 'neg2', 'neg'], 'da813590deea7de1'], ['q', 'fcbc2fe78c6e4dfc'],
  ];
  for (const [key, hash] of expected) assert.equal(keyFunction({ key, window: '1h', time: 'arrival' })(e), hash, JSON.stringify(key));
});

test('property: a key is the hash of canonicalJson of its values, whatever the characters (fixed seed)', () => {
  const random = prng(23);
  const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)];
  const chars = ['a', 'Z', '0', ' ', '"', '\\', '\n', '\u0000', '\u001f', '\u007f', 'é', '€', '\u2028', '\ud83d\ude00', '\ud800', '\udfff', '/', '<'];
  const text = () => Array.from({ length: Math.floor(random() * 12) }, () => pick(chars)).join('');
  const value = (depth: number): unknown => {
    switch (Math.floor(random() * (depth > 1 ? 4 : 6))) {
      case 0: return text();
      case 1: return pick([0, -0, 1, -1.5, 1e21, 5e-7, 123456789012, Number.MAX_SAFE_INTEGER]);
      case 2: return null;
      case 3: return pick([true, false, undefined]);
      case 4: return Array.from({ length: Math.floor(random() * 3) }, () => value(depth + 1));
      default: return Object.fromEntries(Array.from({ length: Math.floor(random() * 3) }, () => [text(), value(depth + 1)]));
    }
  };
  for (let i = 0; i < 300; i++) {
    const names = [...new Set(Array.from({ length: 1 + Math.floor(random() * 5) }, () => pick(['id', 'b', 'a.x', 'Ä', text()])))];
    const values = names.map(() => value(0));
    const e: DecodedEvent = { fields: eventFields(names), values };
    const whole: Record<string, unknown> = Object.create(null);
    names.forEach((n, j) => { if (n !== 'b') whole[n] = values[j]; });
    assert.equal(keyFunction({ key: { ignore: ['b'] }, window: '1h', time: 'arrival' })(e), hashKey(canonicalJson(whole)), JSON.stringify(whole));
    assert.equal(keyFunction({ key: names, window: '1h', time: 'arrival' })(e), hashKey(canonicalJson(values.map((v) => v ?? null))));
    assert.equal(keyFunction({ key: names[0], window: '1h', time: 'arrival' })(e), hashKey(canonicalJson(values[0])));
    assert.equal(keyFunction({ key: names[0], window: '1h', time: 'arrival' }, legacyHashKey)(e), legacyHashKey(canonicalJson(values[0])));
    for (const key of [{ ignore: ['b'] }, names, names[0]]) {
      const dedup: DedupSpec = { key, window: '1h', time: 'arrival' };
      keyHalvesFunction(dedup)(e);
      assert.deepEqual([lastKeyHi(), lastKeyLo()], keyHalves(keyFunction(dedup)(e)), JSON.stringify(key));
    }
  }
});

test('the halves of a key and its 16-hex text turn into each other, leading zeros and all', () => {
  const cases: Array<[number, number]> = [[0, 0], [0, 1], [1, 0], [0xffffffff, 0xffffffff], [0x80000000, 0x7fffffff], [0x0000abcd, 0x00000ef0]];
  const random = prng(7);
  for (let i = 0; i < 200; i++) cases.push([Math.floor(random() * 2 ** 32), Math.floor(random() * 2 ** 32)]);
  for (const [hi, lo] of cases) {
    assert.match(keyText(hi, lo), /^[0-9a-f]{16}$/);
    assert.deepEqual(keyHalves(keyText(hi, lo)), [hi, lo]);
  }
  assert.equal(keysText(cases.flat()), cases.map(([hi, lo]) => keyText(hi, lo)).join(''));
  assert.equal(keysText([]), '');
  // a key hashed to halves has the text keyFunction gives
  const dedup: DedupSpec = { key: 'id', window: '1h', time: 'arrival' };
  for (let i = 0; i < 100; i++) {
    const e = ev({ id: `e${i}` });
    keyHalvesFunction(dedup)(e);
    assert.equal(keyText(lastKeyHi(), lastKeyLo()), keyFunction(dedup)(e));
  }
});
