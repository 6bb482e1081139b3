// What the ingest stage publishes to JetStream: many Kafka records of one partition in one
// message (one message per event would cap the product near 10k events/s, see DESIGN.md).
import { isUtf8 } from 'node:buffer';

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
  /** Kafka message values as text, null for a tombstone; empty when `bytes` holds them (read them with rawValue) */
  v: Array<string | null>;
  /** values that could not be carried as text: [index, reason]; v holds base64 or a prefix */
  e?: Array<[number, 'invalid_utf8' | 'oversized']>;
  /** a binary message (not part of the format): its bytes, and value i's start and byte length at 2i and 2i+1 (length -1: null) */
  bytes?: { data: Buffer; at: Int32Array };
}

/** What a row keeps of its raw batch until its sink batch is committed (core/rowOrigins.ts): the coordinates, and value i on demand. */
export interface RawOrigin {
  s: number;
  t: string;
  p: number;
  a: number;
  o: number[];
  value(i: number): string | null;
}

/**
 * A raw batch's RawOrigin: a binary message's values are made again from its bytes when asked
 * for, so the text of every value is not held until the commit (only the bytes, one buffer).
 */
export function rawOrigin(b: RawBatch): RawOrigin {
  const { s, t, p, a, o } = b;
  return { s, t, p, a, o, value: (i) => rawValue(b, i) };
}

// The message format (binary, so a value is neither decoded to text by ingest nor escaped into
// and parsed out of an outer JSON document):
//   byte 0        FORMAT_BINARY (1)
//   bytes 1..4    length H of the header, uint32 little-endian
//   H bytes       header: JSON of the batch without v ({s, t, p, a, o, e?})
//   per value     int32 little-endian byte length (-1: null), then the value's UTF-8 bytes
// The first format, one JSON document of the whole RawBatch (it starts with "{"), is still read:
// a raw stream may hold such messages from before an upgrade.
const FORMAT_BINARY = 1;
const FORMAT_JSON = 0x7b; // "{"
const OVERSIZED_PREFIX_BYTES = 1024;

export interface KafkaRecord {
  offset: string;
  value: Buffer | null;
}

/** A UTF-8 byte order mark: dropped, as text decoding drops it (a JSON value never starts with one). */
const hasBom = (b: Buffer) => b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf;

/**
 * Where the text the sink decodes from a Kafka value starts (3 after a byte order mark, which text
 * decoding drops), or -1 for a value it dead-letters unread (over `maxEventBytes`, not UTF-8).
 */
export function textStart(v: Buffer, maxEventBytes: number): number {
  if (v.length > maxEventBytes || !isUtf8(v)) return -1;
  return hasBom(v) ? 3 : 0;
}

/**
 * One partition's records as a JetStream message, with unreadable values marked rather than
 * dropped: a value over `maxEventBytes` keeps its first 1 KiB as text, one that is not UTF-8 is
 * carried as base64 (RawBatch.e says which).
 */
export function encodeRawRecords(source: number, topic: string, partition: number, arrival: number,
  records: KafkaRecord[], maxEventBytes: number): { data: Uint8Array; msgId: string } {
  const header: Omit<RawBatch, 'v'> = { s: source, t: topic, p: partition, a: arrival, o: new Array<number>(records.length) };
  const values = new Array<Buffer | null>(records.length);
  let bytes = 0;
  for (let i = 0; i < records.length; i++) {
    const m = records[i];
    header.o[i] = Number(m.offset);
    let v = m.value;
    if (v !== null) {
      if (v.length > maxEventBytes) {
        (header.e ??= []).push([i, 'oversized']);
        v = Buffer.from(v.subarray(0, OVERSIZED_PREFIX_BYTES).toString('utf8'));
      } else if (!isUtf8(v)) {
        (header.e ??= []).push([i, 'invalid_utf8']);
        v = Buffer.from(v.toString('base64'));
      } else if (hasBom(v)) {
        v = v.subarray(3);
      }
      bytes += v.length;
    }
    values[i] = v;
  }
  const head = Buffer.from(JSON.stringify(header));
  const out = Buffer.allocUnsafe(5 + head.length + 4 * records.length + bytes);
  out[0] = FORMAT_BINARY;
  out.writeUInt32LE(head.length, 1);
  out.set(head, 5);
  let pos = 5 + head.length;
  for (const v of values) {
    pos = out.writeInt32LE(v === null ? -1 : v.length, pos);
    if (v !== null) { out.set(v, pos); pos += v.length; }
  }
  return { data: out, msgId: rawBatchMsgId(header) };
}

/** A copy of the bytes (Buffer.from of a Uint8Array zero-fills its new buffer first). */
function copyOf(data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(data.byteLength);
  out.set(data);
  return out;
}

/** Kafka records per JetStream message (ingest's chunks). */
export const RECORDS_PER_MESSAGE = 500;

const malformed = (why: string) => new Error(`raw batch message: ${why}`);

/** A raw batch message; the binary format's bytes are copied into the batch's `bytes` (the message's buffer may be the client's). */
export function decodeRawBatch(data: Uint8Array): RawBatch {
  const buf = data[0] === FORMAT_BINARY ? copyOf(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf[0] === FORMAT_JSON) return JSON.parse(buf.toString('utf8')) as RawBatch;
  if (buf[0] !== FORMAT_BINARY || buf.length < 5) throw malformed(`unknown format (first byte ${buf[0]})`);
  const headerEnd = 5 + buf.readUInt32LE(1);
  if (headerEnd > buf.length) throw malformed('header longer than the message');
  const b = JSON.parse(buf.toString('utf8', 5, headerEnd)) as RawBatch;
  const n = b.o.length;
  const at = new Int32Array(2 * n);
  let pos = headerEnd;
  for (let i = 0; i < n; i++) {
    if (pos + 4 > buf.length) throw malformed(`${n} values announced, ${i} present`);
    const len = buf.readInt32LE(pos);
    pos += 4;
    at[2 * i] = pos;
    at[2 * i + 1] = len < 0 ? -1 : len;
    if (len < 0) continue;
    if (pos + len > buf.length) throw malformed(`value ${i} longer than the message`);
    pos += len;
  }
  if (pos !== buf.length) throw malformed(`${buf.length - pos} bytes after the last value`);
  // the values stay bytes: the sink decodes most events from them (core/fieldScanner.ts), and makes a text only when it needs one
  b.v = [];
  b.bytes = { data: buf, at };
  return b;
}

/** Value i of a raw batch as text (null: a tombstone). */
export function rawValue(b: RawBatch, i: number): string | null {
  if (!b.bytes) return b.v[i];
  const { data, at } = b.bytes;
  return at[2 * i + 1] < 0 ? null : data.toString('utf8', at[2 * i], at[2 * i] + at[2 * i + 1]);
}

/** JetStream message id: the same Kafka records republished after a crash are dropped by JetStream. */
export const rawBatchMsgId = (b: Pick<RawBatch, 's' | 't' | 'p' | 'o'>): string => `${b.s}:${b.t}:${b.p}:${b.o[0]}-${b.o[b.o.length - 1]}`;

/** Splits records into batches of at most `max` values. */
export function chunk<T>(items: T[], max: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += max) out.push(items.slice(i, i + max));
  return out;
}
