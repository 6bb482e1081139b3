// Encrypts every Temporal payload (workflow inputs such as the pipeline spec, signals, results) with
// AES-256-GCM, so a password written inline in a spec never sits in Temporal's history in clear text.
// The key: SLUICE_CODEC_KEY (32 bytes, base64), or for the local stack a key file created on first use.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Payload, PayloadCodec } from '@temporalio/common';

const ENCODING = 'binary/encrypted';
const enc = new TextEncoder();
const dec = new TextDecoder();

export class EncryptionCodec implements PayloadCodec {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('the payload key must be 32 bytes (SLUICE_CODEC_KEY, base64)');
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', this.key, iv);
      const plain = Buffer.from(JSON.stringify({ metadata: mapOf(p.metadata), data: Buffer.from(p.data ?? []).toString('base64') }));
      const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return { metadata: { encoding: enc.encode(ENCODING) }, data };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      if (dec.decode(p.metadata?.encoding ?? new Uint8Array()) !== ENCODING) return p;
      const raw = Buffer.from(p.data ?? []);
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(raw.length - 16));
      const plain = Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]);
      const { metadata, data } = JSON.parse(plain.toString('utf8')) as { metadata: Record<string, string>; data: string };
      return {
        metadata: Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
        data: Buffer.from(data, 'base64'),
      };
    });
  }
}

function mapOf(m: Payload['metadata']): Record<string, string> {
  return Object.fromEntries(Object.entries(m ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')]));
}

/** The key from SLUICE_CODEC_KEY, else from <stack dir>/codec.key (created once, readable by its owner only). */
export function payloadKey(): Buffer {
  if (process.env.SLUICE_CODEC_KEY) return Buffer.from(process.env.SLUICE_CODEC_KEY, 'base64');
  const file = join(process.env.SLUICE_STACK_DIR ?? resolve(__dirname, '..', '..', '.stack'), 'codec.key');
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    try {
      writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e; // another process made it first
    }
  }
  return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
}

export const dataConverter = () => ({ payloadCodecs: [new EncryptionCodec(payloadKey())] });
