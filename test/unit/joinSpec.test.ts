import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateSpec } from '../../core/spec/validate';
import { resolveColumns } from '../../core/spec/columns';
import { joinPlan } from '../../core/join/plan';
import { joinSpec } from './fixtures';

const problemsOf = (mutate: (s: any) => void) => {
  const s = joinSpec() as any;
  mutate(s);
  const r = validateSpec(s);
  return r.ok ? [] : r.problems.map((p) => `${p.path}: ${p.message}`);
};

test('a join spec is valid; its columns are the output fields, nullable for the left-join side', () => {
  const r = validateSpec(joinSpec());
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  const cols = resolveColumns(r.spec).map((c) => `${c.name} ${c.type}`);
  assert.deepEqual(cols, [
    'event_id String', 'user_id String', 'amount Float64', 'ts DateTime', 'country String', 'tier String',
    'payment_id Nullable(String)', 'payment_status Nullable(String)', 'paid_amount Nullable(Float64)',
  ]);
  const plan = joinPlan(r.spec)!;
  assert.deepEqual(plan.left.fields, ['user_id', 'event_id', 'amount', 'ts']);
  assert.deepEqual(plan.right.map((x) => [x.name, x.keyIdx, x.leftKeyIdx, x.latest, x.kind]), [['users', [0], [0], true, 'inner'], ['payments', [0], [1], false, 'left']]);
  assert.deepEqual(plan.output.find((o) => o.name === 'paid_amount'), { name: 'paid_amount', side: 1, idx: 3 });
});

test('invalid joins are rejected with the path of the problem', () => {
  const unknownLeft = problemsOf((s) => { s.join.left.source = 'orders'; });
  assert.ok(unknownLeft.includes('join.left.source: unknown source "orders" (sources are "users", "purchases", "payments")'), unknownLeft.join('\n'));
  assert.ok(unknownLeft.includes('sources[1].name: source "purchases" is not part of the join (name it in join.left or join.right)'));
  assert.ok(problemsOf((s) => { s.join.right[0].source = 'profiles'; }).includes('join.right[0].source: unknown source "profiles" (sources are "users", "purchases", "payments")'));
  assert.deepEqual(problemsOf((s) => { s.sources[2].schema.fields.event_id = 'int64'; }), [
    'join.right[1].key: key type mismatch: "payments.event_id" is int64 but "purchases.event_id" is string',
  ]);
  assert.deepEqual(problemsOf((s) => { s.join.right[1].key = ['event_id', 'status']; s.join.right[1].leftKey = ['event_id']; }), [
    'join.right[1].leftKey: expected 2 field(s), one per field of key',
  ]);
  assert.deepEqual(problemsOf((s) => { s.join.right[0].key = 'uid'; }), [
    'join.right[0].key: unknown field "uid" of source "users"',
    'join.right[0].key: unknown field "uid" of the left source "purchases"',
  ]);
  assert.deepEqual(problemsOf((s) => { s.join.output.push('users.email'); }), ['join.output[9]: unknown field "email" of source "users"']);
  assert.deepEqual(problemsOf((s) => { s.join.output.push('orders.id'); }), ['join.output[9]: unknown source "orders" (sources are "users", "purchases", "payments")']);
  assert.deepEqual(problemsOf((s) => { s.join.output.push('payments.amount'); }), ['join.output[9]: duplicate output name "amount" (rename one with {field, as})']);
  assert.deepEqual(problemsOf((s) => { s.join.right.pop(); }), [
    'sources[2].name: source "payments" is not part of the join (name it in join.left or join.right)',
    'join.output[6]: source "payments" is not part of the join',
    'join.output[7]: source "payments" is not part of the join',
    'join.output[8]: source "payments" is not part of the join',
  ]);
  assert.deepEqual(problemsOf((s) => { s.join.right[1].source = 'users'; }), [
    'join.right[1].source: source "users" appears twice in the join',
    'sources[2].name: source "payments" is not part of the join (name it in join.left or join.right)',
    'join.output[6]: source "payments" is not part of the join',
    'join.output[7]: source "payments" is not part of the join',
    'join.output[8]: source "payments" is not part of the join',
  ]);
  assert.deepEqual(problemsOf((s) => { delete s.sources[0].schema.eventTime; }), ['join.time: event-time joins need schema.eventTime on every joined source; "users" has none']);
  assert.deepEqual(problemsOf((s) => { s.join.right[0].kind = 'outer'; }).map((p) => p.split(':')[0]), ['join.right[0].kind']);
  assert.deepEqual(problemsOf((s) => { s.join.left.window = '5ms'; }), ['join.left.window: expected a duration like 10m, from 1s to 30d']);
  assert.deepEqual(problemsOf((s) => { s.sink.columns = [{ name: 'country', field: 'users.country' }]; }), [
    'sink.columns[0].field: unknown field "users.country" (not a join output name)',
    'sink.createTable.orderBy[0]: unknown column "event_id"',
  ]);
});
