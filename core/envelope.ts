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
