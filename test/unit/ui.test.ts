import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, parse, validate } from 'graphql';
import { typeDefs } from '../../api/schema.graphql';
import { UI_DIR } from '../../api/server';

test('every GraphQL document of the web UI is valid against the API schema', () => {
  const schema = buildSchema(typeDefs);
  const queries = JSON.parse(readFileSync(join(UI_DIR, 'queries.json'), 'utf8')) as Record<string, string>;
  const script = ['app.js', 'wizard.js'].map((f) => readFileSync(join(UI_DIR, f), 'utf8')).join('\n');
  for (const [name, doc] of Object.entries(queries)) {
    assert.deepEqual(validate(schema, parse(doc)).map((e) => e.message), [], `${name}: ${doc}`);
  }
  // and the page asks for each by a name that exists
  const used = [...script.matchAll(/gql\('(\w+)'/g)].map((m) => m[1]);
  assert.ok(used.length >= 5);
  for (const name of used) assert.ok(name in queries, `the page uses "${name}"`);
  // every wizard query is used by the wizard
  for (const name of ['kafkaTopics', 'sampleTopic', 'previewDedup', 'exportSpec', 'clickhouseTables', 'clickhouseTable']) assert.ok(used.includes(name), `wizard.js uses ${name}`);
  for (const action of [...readFileSync(join(UI_DIR, 'index.html'), 'utf8').matchAll(/data-action="(\w+)"/g)].map((m) => m[1])) {
    assert.ok(action in queries, `button ${action}`);
  }
});
