// The wizard's Kafka calls: topics with partition and approximate message counts, and a sample
// of a topic's last messages across partitions. Each is bounded in count, bytes and time; a broker
// that does not answer gives UNAVAILABLE naming the brokers, never a hung page.
import { randomBytes } from 'node:crypto';
import type { Admin, Consumer } from 'kafkajs';
import { kafkaFor } from '../../runtime/connections';
import { withTimeout } from '../../runtime/withTimeout';
import { SluiceError } from '../../client/errors';
import type { PipelineSpec, Secret } from '../../core/spec/schema';
import type { SampledMessage } from '../../core/preview';

type Maybe<T> = T | null | undefined;
interface SecretInput { value?: Maybe<string>; env?: Maybe<string> }
export interface KafkaConnectionInput {
  brokers: string[];
  sasl?: Maybe<{ mechanism: string; username: string; password: SecretInput }>;
  tls?: Maybe<{ enabled?: Maybe<boolean>; ca?: Maybe<string>; cert?: Maybe<string>; key?: Maybe<SecretInput>; skipVerify?: Maybe<boolean> }>;
}

export const SAMPLE_LIMITS = { defaultCount: 200, maxCount: 1000, maxBytes: 2 * 1024 * 1024, timeoutMs: 15_000, connectMs: 5_000, maxTopics: 1000 };

const secretOf = (s: Maybe<SecretInput>, path: string): Secret | undefined => {
  if (!s) return undefined;
  if ((s.value == null) === (s.env == null)) throw new SluiceError('BAD_INPUT', `${path}: give either value or env, exactly one`);
  return s.value != null ? s.value : { env: s.env! };
};

/** A one-source pseudo spec, so the wizard connects the way the worker does (activities/connections.ts). */
function clientSpec(k: KafkaConnectionInput): PipelineSpec {
  if (!Array.isArray(k.brokers) || k.brokers.length === 0 || k.brokers.some((b) => !/^[^\s:]+:\d+$/.test(b))) {
    throw new SluiceError('BAD_INPUT', 'kafka.brokers: expected host:port entries, e.g. 127.0.0.1:9092');
  }
  const kafka = {
    brokers: k.brokers,
    topic: '',
    clientId: 'sluice-wizard',
    sasl: k.sasl ? { mechanism: k.sasl.mechanism.replace(/_/g, '-'), username: k.sasl.username, password: secretOf(k.sasl.password, 'kafka.sasl.password') } : undefined,
    tls: k.tls?.enabled ? { enabled: true, ca: k.tls.ca ?? undefined, cert: k.tls.cert ?? undefined, key: secretOf(k.tls.key, 'kafka.tls.key'), skipVerify: k.tls.skipVerify ?? false } : undefined,
  };
  return { name: 'wizard', sources: [{ kafka }] } as unknown as PipelineSpec;
}

const unavailable = (k: KafkaConnectionInput, e: unknown) =>
  e instanceof SluiceError ? e : new SluiceError('UNAVAILABLE', `kafka.brokers: cannot reach Kafka at ${k.brokers.join(',')}: ${(e as Error).message}`);

async function withAdmin<T>(k: KafkaConnectionInput, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const spec = clientSpec(k);
  let admin: Admin;
  try {
    const kafka = kafkaFor(spec, 0);
    admin = kafka.admin({ retry: { retries: 0 } });
  } catch (e) {
    throw new SluiceError('BAD_INPUT', `kafka: ${(e as Error).message}`);
  }
  try {
    await withTimeout(admin.connect(), SAMPLE_LIMITS.connectMs, 'connect');
    return await fn(admin);
  } catch (e) {
    throw unavailable(k, e);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export interface TopicInfo { name: string; partitions: number; messages: number }

/** Topics (internal ones left out), with partitions and end minus start offsets summed. */
export function listTopics(k: KafkaConnectionInput, search?: Maybe<string>): Promise<TopicInfo[]> {
  return withAdmin(k, async (admin) => {
    const names = (await withTimeout(admin.listTopics(), SAMPLE_LIMITS.connectMs, 'list topics'))
      .filter((t) => !t.startsWith('__') && (!search || t.toLowerCase().includes(search.toLowerCase())))
      .sort().slice(0, SAMPLE_LIMITS.maxTopics);
    const out: TopicInfo[] = [];
    for (const name of names) {
      const offs = await withTimeout(admin.fetchTopicOffsets(name), SAMPLE_LIMITS.connectMs, `offsets of ${name}`);
      out.push({ name, partitions: offs.length, messages: offs.reduce((n, o) => n + Number(o.high) - Number(o.low), 0) });
    }
    return out;
  });
}

export interface Sample { topic: string; messages: SampledMessage[]; truncated: boolean }

/**
 * The last `count` messages of a topic, spread over its partitions (each partition gives its last
 * ceil(count / partitions)); stops at `maxBytes` of values or the time limit, saying so (truncated).
 * Reads with a throwaway consumer group that commits nothing and is deleted afterwards.
 */
export async function sampleTopic(k: KafkaConnectionInput, topic: string, count = SAMPLE_LIMITS.defaultCount): Promise<Sample> {
  if (!Number.isInteger(count) || count < 1 || count > SAMPLE_LIMITS.maxCount) throw new SluiceError('BAD_INPUT', `limit: expected an integer from 1 to ${SAMPLE_LIMITS.maxCount}`);
  if (!topic) throw new SluiceError('BAD_INPUT', 'topic: choose a topic');
  const spec = clientSpec(k);
  const ranges = await withAdmin(k, async (admin) => {
    const topics = await withTimeout(admin.listTopics(), SAMPLE_LIMITS.connectMs, 'list topics');
    if (!topics.includes(topic)) throw new SluiceError('NOT_FOUND', `topic: "${topic}" does not exist on ${k.brokers.join(',')}`);
    const offs = await withTimeout(admin.fetchTopicOffsets(topic), SAMPLE_LIMITS.connectMs, 'topic offsets');
    const per = Math.ceil(count / Math.max(1, offs.length));
    return offs.map((o) => ({ partition: o.partition, from: Math.max(Number(o.low), Number(o.high) - per), to: Number(o.high) }));
  });
  const wanted = ranges.filter((r) => r.to > r.from);
  if (wanted.length === 0) return { topic, messages: [], truncated: false };
  const groupId = `sluice-wizard-${randomBytes(6).toString('hex')}`;
  const consumer: Consumer = kafkaFor(spec, 0).consumer({ groupId, retry: { retries: 0 }, maxWaitTimeInMs: 500 });
  const messages: SampledMessage[] = [];
  let bytes = 0;
  let truncated = false;
  try {
    await withTimeout(consumer.connect(), SAMPLE_LIMITS.connectMs, 'connect');
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const left = new Map(wanted.map((r) => [r.partition, r]));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { truncated = true; resolve(); }, SAMPLE_LIMITS.timeoutMs);
      const done = () => { clearTimeout(timer); resolve(); };
      consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          const r = left.get(batch.partition);
          if (!r) return;
          for (const m of batch.messages) {
            const off = Number(m.offset);
            if (off < r.from) continue;
            if (off >= r.to) { left.delete(batch.partition); break; }
            const value = m.value === null ? null : m.value.toString('utf8');
            bytes += m.value?.length ?? 0;
            if (bytes > SAMPLE_LIMITS.maxBytes) { truncated = true; return done(); }
            messages.push({ partition: batch.partition, offset: off, value, timestamp: Number(m.timestamp) });
            if (off >= r.to - 1) left.delete(batch.partition);
          }
          if (left.size === 0) done();
        },
      }).then(() => { for (const r of wanted) consumer.seek({ topic, partition: r.partition, offset: String(r.from) }); }, reject);
    });
  } catch (e) {
    throw unavailable(k, e);
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await withAdmin(k, (admin) => admin.deleteGroups([groupId])).catch(() => undefined);
  }
  // partitions give ceil(count / partitions) each: the newest `count` of them are kept
  messages.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  return { topic, messages: messages.slice(Math.max(0, messages.length - count)), truncated };
}
