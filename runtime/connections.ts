// Connections the activities share within one worker process, and the per-spec clients.
import { readFileSync } from 'node:fs';
import { connect, type NatsConnection } from 'nats';
import { Kafka, logLevel, type KafkaConfig, type SASLOptions } from 'kafkajs';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { ApplicationFailure } from '@temporalio/common';
import { settings } from './settings';
import type { PipelineSpec, Secret, SourceSpec } from '../core/spec/schema';

let nats: Promise<NatsConnection> | undefined;
/**
 * One NATS connection per process, reconnecting forever. Without async traces: the client would
 * otherwise build an Error (a stack trace) for every request, i.e. every JetStream publish.
 */
export function natsConnection(): Promise<NatsConnection> {
  nats ??= connect({ servers: settings.natsUrl, name: 'sluice', maxReconnectAttempts: -1, reconnectTimeWait: 1000, noAsyncTraces: true });
  return nats;
}
export async function closeNats(): Promise<void> {
  if (nats) await (await nats).drain();
  nats = undefined;
}

/** A secret's value: inline text, or the named environment variable of this process. */
export function resolveSecret(s: Secret | undefined, path: string): string | undefined {
  if (s === undefined || typeof s === 'string') return s;
  const v = process.env[s.env];
  if (v === undefined) throw ApplicationFailure.nonRetryable(`${path}: environment variable ${s.env} is not set on the worker`, 'SecretMissing');
  return v;
}

const pemOrFile = (v: string) => (v.includes('-----BEGIN') ? v : readFileSync(v, 'utf8'));

export function kafkaFor(spec: PipelineSpec, index: number): Kafka {
  const src: SourceSpec = spec.sources[index];
  const k = src.kafka;
  const at = `sources[${index}].kafka`;
  const cfg: KafkaConfig = {
    clientId: k.clientId ?? `sluice-${spec.name}`,
    brokers: k.brokers,
    logLevel: logLevel.WARN,
    retry: { retries: 5, restartOnFailure: async () => false },
  };
  if (k.sasl) {
    cfg.sasl = { mechanism: k.sasl.mechanism, username: k.sasl.username, password: resolveSecret(k.sasl.password, `${at}.sasl.password`) ?? '' } as SASLOptions;
  }
  if (k.tls?.enabled) {
    const key = resolveSecret(k.tls.key, `${at}.tls.key`);
    cfg.ssl = {
      rejectUnauthorized: !k.tls.skipVerify,
      ca: k.tls.ca ? [pemOrFile(k.tls.ca)] : undefined,
      cert: k.tls.cert ? pemOrFile(k.tls.cert) : undefined,
      key: key ? pemOrFile(key) : undefined,
    };
  }
  return new Kafka(cfg);
}

export function clickhouseFor(spec: PipelineSpec): ClickHouseClient {
  const c = spec.sink.clickhouse;
  return createClient({
    url: c.url,
    username: c.username,
    password: resolveSecret(c.password, 'sink.clickhouse.password') ?? '',
    request_timeout: 60_000,
    compression: { request: false, response: false },
  });
}
