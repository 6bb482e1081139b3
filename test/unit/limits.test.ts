// Query limits: standard tools' introspection passes; deep or wide ordinary queries are refused,
// also when the depth hides in fragments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSchema, getIntrospectionQuery, parse, validate } from 'graphql';
import { limitsRule, MAX_DEPTH, MAX_FIELDS, MAX_INTROSPECTION_DEPTH } from '../../api/limits';
import { typeDefs } from '../../api/schema.graphql';

const api = buildSchema(typeDefs);
const codes = (schema: ReturnType<typeof buildSchema>, q: string) => validate(schema, parse(q), [limitsRule]).map((e) => `${e.extensions.code}: ${e.message}`);

test("graphql-js's getIntrospectionQuery() passes, with every option (Apollo, codegen, Postman, GraphiQL)", () => {
  assert.deepEqual(codes(api, getIntrospectionQuery()), []);
  const all = getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true, oneOf: true });
  assert.deepEqual(codes(api, all), []);
  assert.deepEqual(codes(api, '{ __type(name: "Pipeline") { name fields { name type { name ofType { name } } } } }'), []);
});

const chain = buildSchema('type Q { n: N } type N { n: N, v: Int } schema { query: Q }');
const nested = (d: number, leaf = 'v'): string => (d === 0 ? leaf : `n { ${nested(d - 1, leaf)} }`);

test('a deep ordinary query is still refused, also when its depth is in fragments', () => {
  assert.deepEqual(codes(chain, `{ ${nested(MAX_DEPTH - 1)} }`), []);
  assert.deepEqual(codes(chain, `{ ${nested(MAX_DEPTH + 1)} }`), [`QUERY_TOO_COMPLEX: query is deeper than ${MAX_DEPTH} levels`]);
  // 5 levels in the operation + 5 in a fragment: 10 deep once spread
  const viaFragment = `{ ${nested(5, '...F')} } fragment F on N { ${nested(5)} }`;
  assert.deepEqual(codes(chain, viaFragment), [`QUERY_TOO_COMPLEX: query is deeper than ${MAX_DEPTH} levels`]);
  // and introspection has its own, larger, depth limit
  const deepIntrospection = `{ __schema { types { ${'ofType { '.repeat(MAX_INTROSPECTION_DEPTH)}name${' }'.repeat(MAX_INTROSPECTION_DEPTH)} } } }`;
  assert.deepEqual(codes(chain, deepIntrospection), [`QUERY_TOO_COMPLEX: introspection query is deeper than ${MAX_INTROSPECTION_DEPTH} levels`]);
});

test('too many fields are refused, counted through fragment spreads (a fragment "bomb" is cheap to refuse)', () => {
  const wide = `{ n { ${Array.from({ length: MAX_FIELDS + 1 }, (_, i) => `a${i}: v`).join(' ')} } }`;
  assert.deepEqual(codes(chain, wide), [`QUERY_TOO_COMPLEX: query selects more than ${MAX_FIELDS} fields`]);
  // each fragment spreads the previous one 10 times: 10^6 fields once expanded
  const levels = 6;
  const frags = Array.from({ length: levels }, (_, i) => `fragment F${i} on N { ${i === 0 ? 'v' : Array.from({ length: 10 }, () => `...F${i - 1}`).join(' ')} }`);
  const started = Date.now();
  assert.deepEqual(codes(chain, `{ n { ...F${levels - 1} } } ${frags.join(' ')}`), [`QUERY_TOO_COMPLEX: query selects more than ${MAX_FIELDS} fields`]);
  assert.ok(Date.now() - started < 1000, 'refused without expanding it all');
});
