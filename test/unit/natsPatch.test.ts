// The Sluice patch of nats (patches/nats+2.29.3.patch, applied by patch-package on install): a
// request that got its reply removes its subscription without building a Cancelled NatsError (a
// stack trace per JetStream publish) to reject its already settled promise.
import { test } from 'node:test';
import assert from 'node:assert/strict';

/* eslint-disable @typescript-eslint/no-require-imports */
const { RequestOne } = require('nats/lib/nats-base-client/request');
const core = require('nats/lib/nats-base-client/core');

/** Runs f while counting the NatsErrors nats builds by code. */
function countingErrors<T>(f: () => T): { result: T; errors: string[] } {
  const original = core.NatsError.errorForCode;
  const errors: string[] = [];
  core.NatsError.errorForCode = (code: string, ...rest: unknown[]) => { errors.push(code); return original.call(core.NatsError, code, ...rest); };
  try {
    return { result: f(), errors };
  } finally {
    core.NatsError.errorForCode = original;
  }
}

const fakeMux = () => { const cancelled: unknown[] = []; return { cancelled, cancel: (r: unknown) => { cancelled.push(r); } }; };

test('nats patch: a request answered builds no error, resolves with its reply and leaves the mux', async () => {
  const mux = fakeMux();
  const { result: r, errors } = countingErrors(() => {
    const req = new RequestOne(mux, 'subject', { timeout: 60_000 }, false);
    req.resolver(null, { data: 'reply' });
    return req;
  });
  assert.deepEqual(errors, [], 'the nats patch is not applied (npm ci runs patch-package)');
  assert.deepEqual(await r.deferred, { data: 'reply' });
  assert.deepEqual(mux.cancelled, [r]);
});

test('nats patch: a request failed rejects with its error; one cancelled still rejects as Cancelled', async () => {
  const mux = fakeMux();
  const failed = new RequestOne(mux, 'subject', { timeout: 60_000 }, false);
  failed.resolver(new Error('no responders'), null);
  await assert.rejects(failed.deferred, /no responders/);
  const cancelled = new RequestOne(mux, 'subject', { timeout: 60_000 }, false);
  cancelled.cancel();
  await assert.rejects(cancelled.deferred, (e: { code?: string }) => e.code === core.ErrorCode.Cancelled);
  assert.deepEqual(mux.cancelled, [failed, cancelled]);
});
