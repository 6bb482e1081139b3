import { test } from 'node:test';
import assert from 'node:assert/strict';
import { storageRefusalMessage } from '../../core/natsStorage';

const GiB = 2 ** 30;

test('a storage refusal names the stream, the setting, what reserves the store (largest first) and the ways out', () => {
  const m = storageRefusalMessage('SLUICE_NEW_RAW', GiB, [
    { name: 'SLUICE_A_RAW', maxBytes: GiB }, { name: 'SLUICE_B_RAW', maxBytes: 4 * GiB }, { name: 'SLUICE_A_DLQ', maxBytes: -1 },
    { name: 'SLUICE_NEW_RAW', maxBytes: GiB }, { name: 'SLUICE_C_RAW', maxBytes: 1.5 * GiB },
  ], 2);
  assert.equal(m, 'nats: JetStream has no room to reserve 1 GiB for stream SLUICE_NEW_RAW (SLUICE_RAW_STREAM_MAX_BYTES): ' +
    '3 other streams reserve 6.50 GiB (SLUICE_B_RAW 4 GiB, SLUICE_C_RAW 1.50 GiB and 1 more). ' +
    "Delete the pipelines no longer used, lower SLUICE_RAW_STREAM_MAX_BYTES, or raise the server's jetstream max_file_store.");
});

test('a storage refusal with nothing else reserving says so', () => {
  assert.match(storageRefusalMessage('SLUICE_X_RAW', 65 * GiB, []), /reserve 65 GiB for stream SLUICE_X_RAW .*: 0 other streams reserve 0 GiB\. Delete/);
});
