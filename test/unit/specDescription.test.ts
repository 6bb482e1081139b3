// One description of the spec: core/spec/schema.ts. The GraphQL API's typed input must follow it
// field for field (a field added to the schema and not to the input fails here), and so must the
// sink counters the API shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSchema, getNamedType, isEnumType, isInputObjectType, isObjectType, type GraphQLInputType } from 'graphql';
import { typeDefs } from '../../api/schema.graphql';
import { pipelineJsonSchema } from '../../core/spec/schema';
import { zeroCounters } from '../../core/sinkState';
import { zeroJoinCounters } from '../../core/join/joinRunner';

interface Json { type?: string; properties?: Record<string, Json>; items?: Json; anyOf?: Json[]; oneOf?: Json[]; enum?: unknown[]; additionalProperties?: Json | boolean }
const schema = buildSchema(typeDefs);

/** Where the typed input spells a part of the document differently, by design (api/specInput.ts turns it back). */
const SHAPES: Record<string, { extra?: string[]; record?: boolean }> = {
  // {env} or inline text: SecretInput { value, env }
  'sources[].kafka.sasl.password': { extra: ['value'] },
  'sources[].kafka.tls.key': { extra: ['value'] },
  'sink.clickhouse.password': { extra: ['value'] },
  // key: one field, a list, or {ignore}: DedupInput { key, ignore }
  'sources[].dedup': { extra: ['ignore'] },
  // a map of field -> type: [FieldInput { name, type }]
  'sources[].schema.fields': { record: true },
};

/** The object members of a JSON Schema node (through unions and arrays); undefined for a scalar. */
function objectOf(node: Json): Json | undefined {
  if (node.properties) return node;
  if (node.items) return objectOf(node.items);
  for (const branch of [...(node.anyOf ?? []), ...(node.oneOf ?? [])]) {
    const o = objectOf(branch);
    if (o) return o;
  }
  return undefined;
}
const enumOf = (node: Json): unknown[] | undefined => node.enum ?? node.items?.enum ?? node.anyOf?.find((b) => b.enum)?.enum;

function compare(path: string, node: Json, type: GraphQLInputType, problems: string[]): void {
  const named = getNamedType(type);
  const shape = SHAPES[path] ?? {};
  if (shape.record) {
    assert.ok(node.additionalProperties && isInputObjectType(named), `${path}: a map in the schema, a list of inputs in GraphQL`);
    return;
  }
  if (isEnumType(named)) {
    const want = (enumOf(node) ?? []).map((v) => String(v).replace(/-/g, '_')).sort();
    const have = named.getValues().map((v) => v.name).sort();
    if (JSON.stringify(want) !== JSON.stringify(have)) problems.push(`${path}: schema allows ${want.join('|')}, GraphQL ${have.join('|')}`);
    return;
  }
  if (!isInputObjectType(named)) return;
  const obj = objectOf(node);
  if (!obj?.properties) { problems.push(`${path}: GraphQL has an input object, the schema a scalar`); return; }
  const fields = named.getFields();
  const want = new Set([...Object.keys(obj.properties), ...(shape.extra ?? [])]);
  for (const k of want) if (!fields[k]) problems.push(`${path ? `${path}.` : ''}${k}: in the spec schema, missing from GraphQL ${named.name}`);
  for (const k of Object.keys(fields)) if (!want.has(k)) problems.push(`${path ? `${path}.` : ''}${k}: in GraphQL ${named.name}, not in the spec schema`);
  for (const [k, child] of Object.entries(obj.properties)) {
    if (!fields[k]) continue;
    const isList = child.type === 'array' || child.items !== undefined;
    compare(`${path ? `${path}.` : ''}${k}${isList && objectOf(child) ? '[]' : ''}`, child, fields[k].type, problems);
  }
}

test('the typed GraphQL input has every field of the spec schema, and no other, at every depth', () => {
  const problems: string[] = [];
  compare('', pipelineJsonSchema() as Json, schema.getType('PipelineSpecInput') as GraphQLInputType, problems);
  assert.deepEqual(problems, []);
});

test('the comparison notices a field the input lacks', () => {
  const js = pipelineJsonSchema() as Json;
  const sink = js.properties!.sink;
  const withNew: Json = { ...js, properties: { ...js.properties, sink: { ...sink, properties: { ...sink.properties, brandNew: { type: 'string' } } } } };
  const problems: string[] = [];
  compare('', withNew, schema.getType('PipelineSpecInput') as GraphQLInputType, problems);
  assert.deepEqual(problems, ['sink.brandNew: in the spec schema, missing from GraphQL SinkInput']);
});

test("the sink counters the API shows are the sink state's counters", () => {
  const type = schema.getType('SinkCounters');
  assert.ok(isObjectType(type), 'SinkCounters is an object type');
  const shown = Object.keys(type.getFields());
  for (const c of Object.keys(zeroCounters())) assert.ok(shown.includes(c), `counter ${c} is in SinkCounters`);
  const join = schema.getType('JoinCounters');
  assert.ok(isObjectType(join), 'JoinCounters is an object type');
  // plus `held`: the join state's size, which the sink reports beside its counters
  assert.deepEqual(Object.keys(join.getFields()).sort(), [...Object.keys(zeroJoinCounters()), 'held'].sort(), 'the join counters, one for one');
});
