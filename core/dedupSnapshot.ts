// A snapshot of a sink's dedup state: every dedup source's window (keys, times, watermark) after
// one sink batch, as one binary blob (activities/dedupSnapshots.ts stores it in the pipeline's
// JetStream object store). Layout: a little-endian u32 header length, the JSON header, then per
// source (4-byte aligned) its key halves (u32 pairs), time low parts (u32) and time high parts (u16).
import type { DedupWindowDump } from './dedupWindow';

/** new keys between two dedup snapshots by default (SLUICE_DEDUP_SNAPSHOT_EVERY_KEYS) */
export const DEDUP_SNAPSHOT_EVERY_KEYS = 1_000_000;

export interface DedupSnapshot {
  /** the sink batch the state follows: journal entries up to it replay no keys */
  batch: number;
  sources: Array<{ s: number; window: DedupWindowDump; legacyUntil?: number }>;
}

interface Header {
  v: 1;
  batch: number;
  sources: Array<{ s: number; watermark: number | null; lastSweep: number | null; n: number; legacyUntil?: number }>;
}

const align4 = (n: number) => (n + 3) & ~3;
// the arrays are written in the machine's byte order: refuse a big-endian machine rather than misread
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
// JSON has no infinity: a window that saw no key yet has watermark -Infinity
const finiteOrNull = (x: number) => (Number.isFinite(x) ? x : null);

export function encodeDedupSnapshot(snap: DedupSnapshot): Uint8Array {
  if (!LITTLE_ENDIAN) throw new Error('dedup snapshots are written little-endian only');
  const header: Header = {
    v: 1, batch: snap.batch,
    sources: snap.sources.map(({ s, window: w, legacyUntil }) => ({
      s, watermark: finiteOrNull(w.watermark), lastSweep: finiteOrNull(w.lastSweep), n: w.store.timeLo.length, ...(legacyUntil !== undefined ? { legacyUntil } : {}),
    })),
  };
  const head = new TextEncoder().encode(JSON.stringify(header));
  let size = align4(4 + head.length);
  for (const { window: w } of snap.sources) size += align4(w.store.keys.byteLength + w.store.timeLo.byteLength + w.store.timeHi.byteLength);
  const out = new Uint8Array(size);
  new DataView(out.buffer).setUint32(0, head.length, true);
  out.set(head, 4);
  let off = align4(4 + head.length);
  for (const { window: w } of snap.sources) {
    for (const a of [w.store.keys, w.store.timeLo, w.store.timeHi]) {
      out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), off);
      off += a.byteLength;
    }
    off = align4(off);
  }
  return out;
}

export function decodeDedupSnapshot(data: Uint8Array): DedupSnapshot {
  if (!LITTLE_ENDIAN) throw new Error('dedup snapshots are read little-endian only');
  if (data.length < 4) throw new Error('dedup snapshot: shorter than its header length');
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const headLen = view.getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(data.subarray(4, 4 + headLen))) as Header;
  if (header.v !== 1) throw new Error(`dedup snapshot: unknown version ${String(header.v)}`);
  let off = align4(4 + headLen);
  // copies, so the typed arrays are aligned whatever the blob's offset (not slice(): on a Node Buffer it is a view of all of its memory)
  const take = (bytes: number) => {
    if (off + bytes > data.length) throw new Error('dedup snapshot: truncated');
    const b = new Uint8Array(bytes);
    b.set(data.subarray(off, off + bytes));
    off += bytes;
    return b.buffer;
  };
  const sources = header.sources.map(({ s, watermark, lastSweep, n, legacyUntil }) => {
    const keys = new Uint32Array(take(8 * n));
    const timeLo = new Uint32Array(take(4 * n));
    const timeHi = new Uint16Array(take(2 * n));
    off = align4(off);
    return {
      s, ...(legacyUntil !== undefined ? { legacyUntil } : {}),
      window: { watermark: watermark ?? Number.NEGATIVE_INFINITY, lastSweep: lastSweep ?? Number.NEGATIVE_INFINITY, store: { keys, timeLo, timeHi } },
    };
  });
  return { batch: header.batch, sources };
}
