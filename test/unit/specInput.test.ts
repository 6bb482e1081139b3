import { test } from 'node:test';
import assert from 'node:assert/strict';
import { specDocumentOf, type PipelineSpecInput } from '../../api/specInput';
import { mustValidateSpec, validateSpec } from '../../core/spec/validate';
import { joinSpec, purchaseSpec } from './fixtures';

const typed: PipelineSpecInput = {
  version: 1,
  name: 'unit-purchases',
  description: null as unknown as undefined,
  sources: [{
    name: 'purchases',
    kafka: { brokers: ['127.0.0.1:9092'], topic: 'purchases', startFrom: null, sasl: null, tls: null },
    schema: {
      fields: [
        { name: 'event_id', type: 'string' }, { name: 'user_id', type: 'string' }, { name: 'amount', type: 'float64' },
        { name: 'ts', type: 'datetime' }, { name: '_event_source_', type: 'string' }, { name: 'meta.country', type: 'string?' },
      ],
      eventTime: 'ts',
    },
    dedup: { key: null, ignore: ['_event_source_'], window: '1h', time: 'arrival' },
  }],
  sink: { clickhouse: { url: 'http://127.0.0.1:8123', table: 'purchases', password: null }, createTable: { engine: 'MergeTree', orderBy: ['event_id'] } },
};

test('typed input gives the same spec as the YAML/JSON document', () => {
  assert.deepEqual(mustValidateSpec(specDocumentOf(typed)), mustValidateSpec(purchaseSpec()));
});

test('typed secrets, SASL mechanisms and one-field keys map to the document form', () => {
  const t = structuredClone(typed);
  t.sources[0].kafka.sasl = { mechanism: 'scram_sha_512', username: 'app', password: { env: 'KAFKA_PW' } };
  t.sources[0].dedup = { key: ['event_id'], window: '10m' };
  t.sink.clickhouse.password = { value: 'inline' };
  const spec = mustValidateSpec(specDocumentOf(t));
  assert.deepEqual(spec.sources[0].kafka.sasl, { mechanism: 'scram-sha-512', username: 'app', password: { env: 'KAFKA_PW' } });
  assert.equal(spec.sources[0].dedup?.key, 'event_id');
  assert.equal(spec.sink.clickhouse.password, 'inline');
});

test('typed input errors carry the same paths', () => {
  const t = structuredClone(typed);
  t.sources[0].dedup = { key: ['nope'], window: 'forever' };
  const r = validateSpec(specDocumentOf(t));
  assert.equal(r.ok, false);
  assert.deepEqual(r.ok ? [] : r.problems.map((p) => p.path), ['sources[0].dedup.window']);
});

test('a typed join gives the same spec as the document form', () => {
  const doc = joinSpec() as any;
  const fieldsOf = (f: Record<string, string>) => Object.entries(f).map(([name, type]) => ({ name, type }));
  const t: PipelineSpecInput = {
    ...doc,
    sources: doc.sources.map((s: any) => ({ ...s, schema: { ...s.schema, fields: fieldsOf(s.schema.fields) }, dedup: s.dedup ? { key: [s.dedup.key], window: s.dedup.window, time: s.dedup.time } : null })),
    join: {
      time: 'event', idleAfter: doc.join.idleAfter, left: doc.join.left,
      right: doc.join.right.map((r: any) => ({ ...r, key: [r.key], leftKey: null, kind: r.kind ?? null })),
      output: doc.join.output.map((o: any) => (typeof o === 'string' ? { field: o, as: null } : o)),
    },
  };
  assert.deepEqual(mustValidateSpec(specDocumentOf(t)), mustValidateSpec(doc));
});
