import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, parse, printSchema, validate } from 'graphql';
import { authenticate, parseTokens } from '../../api/auth';
import { limitsRule, MAX_DEPTH } from '../../api/limits';
import { redactSpec } from '../../core/spec/redact';
import { typeDefs } from '../../api/schema.graphql';
import { mustValidateSpec } from '../../core/spec/validate';
import { purchaseSpec } from './fixtures';

test('tokens: parsed with roles; missing, wrong and valid tokens', () => {
  const tokens = parseTokens('a1:admin, r1:read, plain');
  assert.deepEqual([...tokens], [['a1', 'admin'], ['r1', 'read'], ['plain', 'admin']]);
  assert.throws(() => parseTokens('x:root'), /neither admin nor read/);
  assert.deepEqual(authenticate(undefined, new Map()), { ok: true, role: 'admin' }, 'no tokens configured: open');
  assert.equal(authenticate(undefined, tokens).ok, false);
  assert.equal(authenticate('Bearer nope', tokens).ok, false);
  assert.deepEqual(authenticate('Bearer r1', tokens), { ok: true, role: 'read' });
});

test('limits: a query deeper than the limit is refused, a normal one passes', () => {
  const schema = buildSchema('type Q { n: N } type N { n: N, v: Int } schema { query: Q }');
  const nested = (d: number): string => (d === 0 ? 'v' : `n { ${nested(d - 1)} }`);
  assert.equal(validate(schema, parse(`{ ${nested(MAX_DEPTH - 1)} }`), [limitsRule]).length, 0);
  const errors = validate(schema, parse(`{ ${nested(MAX_DEPTH + 1)} }`), [limitsRule]);
  assert.equal(errors[0]?.extensions.code, 'QUERY_TOO_COMPLEX');
});

test('secrets are redacted; environment references are kept', () => {
  const spec = mustValidateSpec({ ...purchaseSpec(), sink: { ...purchaseSpec().sink, clickhouse: { ...purchaseSpec().sink.clickhouse, password: 'hunter2' } } });
  spec.sources[0].kafka.sasl = { mechanism: 'plain', username: 'u', password: { env: 'KAFKA_PW' } };
  const r = redactSpec(spec);
  assert.equal(r.sink.clickhouse.password, '***');
  assert.deepEqual(r.sources[0].kafka.sasl?.password, { env: 'KAFKA_PW' });
  assert.equal(spec.sink.clickhouse.password, 'hunter2', 'the original is untouched');
  assert.ok(!JSON.stringify(r).includes('hunter2'));
});

test('the committed api/schema.graphql matches the schema the server uses (npm run schema writes it)', () => {
  const committed = readFileSync(join(__dirname, '..', '..', '..', 'api', 'schema.graphql'), 'utf8');
  assert.equal(committed, `${printSchema(buildSchema(typeDefs))}\n`);
});
