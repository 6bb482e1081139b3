import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { EncryptionCodec } from '../../runtime/payloadCodec';

test('payloads are encrypted (no secret in the bytes) and decode back to the same value', async () => {
  const codec = new EncryptionCodec(randomBytes(32));
  const value = { sink: { clickhouse: { password: 'hunter2-secret' } } };
  const [encoded] = await codec.encode([defaultPayloadConverter.toPayload(value)]);
  assert.ok(!Buffer.from(encoded.data!).toString('latin1').includes('hunter2'));
  const [decoded] = await codec.decode([encoded]);
  assert.deepEqual(defaultPayloadConverter.fromPayload(decoded), value);
});

test('a wrong key cannot decode', async () => {
  const [encoded] = await new EncryptionCodec(randomBytes(32)).encode([defaultPayloadConverter.toPayload('x')]);
  await assert.rejects(new EncryptionCodec(randomBytes(32)).decode([encoded]));
});
