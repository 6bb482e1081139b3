// What the ingest stage publishes to JetStream: many Kafka records of one partition in one
// message (one message per event would cap the product near 10k events/s, see DESIGN.md).
export interface RawBatch {
  /** source index in the spec */
  s: number;
  /** Kafka topic and partition */
  t: string;
  p: number;
  /** Kafka offsets, one per value */
  o: number[];
  /** arrival time (ms) when ingest read the batch */
  a: number;
  /** Kafka message values as UTF-8 text, null for a tombstone */
  v: Array<string | null>;
  /** values that could not be carried as text: [index, reason]; v holds base64 or a prefix */
  e?: Array<[number, 'invalid_utf8' | 'oversized']>;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The batch of one partition's records, with unreadable values marked rather than dropped. */
export function rawBatchOf(source: number, topic: string, partition: number, arrival: number,
  records: Array<{ offset: string; value: Buffer | null }>, maxEventBytes: number): RawBatch {
  const b: RawBatch = { s: source, t: topic, p: partition, a: arrival, o: [], v: [] };
  records.forEach((m, i) => {
    b.o.push(Number(m.offset));
    if (m.value === null) { b.v.push(null); return; }
    if (m.value.length > maxEventBytes) {
      (b.e ??= []).push([i, 'oversized']);
      b.v.push(m.value.subarray(0, 1024).toString('utf8'));
      return;
    }
    try {
      b.v.push(strictUtf8.decode(m.value));
    } catch {
      (b.e ??= []).push([i, 'invalid_utf8']);
      b.v.push(m.value.toString('base64'));
    }
  });
  return b;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export const encodeRawBatch = (b: RawBatch): Uint8Array => enc.encode(JSON.stringify(b));
export const decodeRawBatch = (data: Uint8Array): RawBatch => JSON.parse(dec.decode(data)) as RawBatch;

/** JetStream message id: the same Kafka records republished after a crash are dropped by JetStream. */
export const rawBatchMsgId = (b: RawBatch): string => `${b.s}:${b.t}:${b.p}:${b.o[0]}-${b.o[b.o.length - 1]}`;

/** Splits records into batches of at most `max` values. */
export function chunk<T>(items: T[], max: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += max) out.push(items.slice(i, i + max));
  return out;
}
