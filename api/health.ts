// Each dependency asked directly: Temporal, NATS JetStream, Kafka, ClickHouse.
import { connect } from 'nats';
import { Connection } from '@temporalio/client';
import { settings } from '../runtime/settings';
import { Kafka, logLevel } from 'kafkajs';

export interface Dependency { name: string; up: boolean; detail?: string }

async function check(name: string, probe: () => Promise<string | void>): Promise<Dependency> {
  try {
    const detail = await Promise.race([probe(), new Promise<never>((_, rej) => setTimeout(() => rej(new Error('timed out after 3s')), 3000))]);
    return { name, up: true, detail: detail || undefined };
  } catch (e) {
    return { name, up: false, detail: (e as Error).message };
  }
}

export async function dependencies(): Promise<Dependency[]> {
  return Promise.all([
    check('temporal', async () => {
      const c = await Connection.connect({ address: settings.temporalAddress, connectTimeout: 2000 });
      try { await c.healthService.check({}); } finally { await c.close(); }
      return settings.temporalAddress;
    }),
    check('nats', async () => {
      const nc = await connect({ servers: settings.natsUrl, timeout: 2000 });
      try { await (await nc.jetstreamManager()).getAccountInfo(); } finally { await nc.close(); }
      return settings.natsUrl;
    }),
    check('kafka', async () => {
      const admin = new Kafka({ clientId: 'sluice-api-health', brokers: settings.kafkaBrokers, logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
      await admin.connect();
      try { await admin.describeCluster(); } finally { await admin.disconnect(); }
      return settings.kafkaBrokers.join(',');
    }),
    check('clickhouse', async () => {
      const r = await fetch(`${settings.clickhouseUrl}/ping`);
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      return settings.clickhouseUrl;
    }),
  ]);
}
