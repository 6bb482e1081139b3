// The dedup state past its memory cap (core/dedupWindow.ts "Bigger than memory"): generations of
// keys in LMDB (the `lmdb` package: a maintained binding with prebuilt binaries, synchronous
// memory-mapped reads, which the synchronous dedup decision needs; RocksDB bindings are async).
// One named database per generation (sorted blocks of keys and times, see LmdbSpill), dropped
// whole when it expires. It is a cache of this process only: the durable state is the dedup
// snapshot + journal, so the directory is emptied at open and nothing is synced to disk.
import { rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { open, type Database, type RootDatabase } from 'lmdb';
import type { PipelineSpec } from '../core/spec/schema';
import type { KeyStoreDump } from '../core/keyStore';
import { slotsWithin } from '../core/keyStore';
import { keyOrder } from '../core/keyOrder';
import type { SpillOptions, SpillStore } from '../core/dedupWindow';
import { settings } from '../runtime/settings';
import { removeStaleStores } from './staleStores';

const TWO32 = 2 ** 32;
const MAX_GENERATIONS = 4096;
/** keys per LMDB value: a spill is a few thousand puts instead of one per key */
const BLOCK = 256;
/** bytes of one key in a block: the hash (8, big-endian hi then lo) and the time (6) */
const ENTRY = 14;

interface Gen {
  db: Database<Buffer, Buffer>;
  /** each block's first key (its LMDB key), ascending: found by binary search in memory */
  firstHi: Uint32Array;
  firstLo: Uint32Array;
  count: number;
}

/** Compares (hi, lo) with entry e of a block. */
const cmp = (hi: number, lo: number, b: Buffer, e: number): number => {
  const h = b.readUInt32BE(e * ENTRY);
  if (hi !== h) return hi < h ? -1 : 1;
  const l = b.readUInt32BE(e * ENTRY + 4);
  return lo === l ? 0 : lo < l ? -1 : 1;
};

/**
 * A generation is one named database of sorted blocks of BLOCK keys (key: the block's first
 * hash; value: its keys and times), written in one transaction with LMDB's append mode. Writing
 * 1.7 million keys one put each took 3.6-4.8 s on this machine, long enough for the sink's
 * heartbeat to time out while the event loop waits; as blocks it is a sort and a few thousand puts.
 */
export class LmdbSpill implements SpillStore {
  private readonly root: RootDatabase;
  private readonly gens = new Map<number, Gen>();
  private readonly key = Buffer.alloc(8);

  constructor(readonly path: string) {
    rmSync(path, { recursive: true, force: true });
    mkdirSync(path, { recursive: true });
    this.root = open({ path, maxDbs: MAX_GENERATIONS, noSync: true, noMetaSync: true, compression: false });
  }

  private keyOf(hi: number, lo: number): Buffer {
    this.key.writeUInt32BE(hi, 0);
    this.key.writeUInt32BE(lo, 4);
    return this.key;
  }

  write(gen: number, d: KeyStoreDump): void {
    if (this.gens.size >= MAX_GENERATIONS - 1) throw new Error(`dedup spill: more than ${MAX_GENERATIONS - 1} generations on disk; raise SLUICE_DEDUP_MEMORY_MAX_MB`);
    const db = this.root.openDB<Buffer, Buffer>({ name: `g${gen}`, keyEncoding: 'binary', encoding: 'binary', compression: false });
    const order = keyOrder(d.keys);
    const n = order.length;
    const blocks = Math.ceil(n / BLOCK);
    const g: Gen = { db, firstHi: new Uint32Array(blocks), firstLo: new Uint32Array(blocks), count: n };
    this.root.transactionSync(() => {
      for (let b = 0; b < blocks; b++) {
        const size = Math.min(BLOCK, n - b * BLOCK);
        const v = Buffer.allocUnsafe(size * ENTRY);
        for (let e = 0; e < size; e++) {
          const j = order[b * BLOCK + e];
          v.writeUInt32BE(d.keys[2 * j], e * ENTRY);
          v.writeUInt32BE(d.keys[2 * j + 1], e * ENTRY + 4);
          v.writeUInt16BE(d.timeHi[j], e * ENTRY + 8);
          v.writeUInt32BE(d.timeLo[j], e * ENTRY + 10);
        }
        g.firstHi[b] = v.readUInt32BE(0);
        g.firstLo[b] = v.readUInt32BE(4);
        db.putSync(this.keyOf(g.firstHi[b], g.firstLo[b]), v, { append: true });
      }
    });
    this.gens.set(gen, g);
  }

  private gen(gen: number): Gen {
    const g = this.gens.get(gen);
    if (!g) throw new Error(`dedup spill: no generation ${gen}`);
    return g;
  }

  /** The block that may hold (hi, lo): the last whose first key is at or before it; -1 when none. */
  private blockOf(g: Gen, hi: number, lo: number): number {
    let a = 0, z = g.firstHi.length - 1, found = -1;
    while (a <= z) {
      const m = (a + z) >>> 1;
      const before = g.firstHi[m] < hi || (g.firstHi[m] === hi && g.firstLo[m] <= lo);
      if (before) { found = m; a = m + 1; } else z = m - 1;
    }
    return found;
  }

  /** The block's bytes (LMDB's buffer: valid until the next read) and the entry of (hi, lo) in it, or -1. */
  private find(g: Gen, hi: number, lo: number): { block: number; bytes?: Buffer; entry: number } {
    const block = this.blockOf(g, hi, lo);
    const bytes = block < 0 ? undefined : g.db.getBinaryFast(this.keyOf(g.firstHi[block], g.firstLo[block]));
    if (!bytes) return { block, entry: -1 };
    let a = 0, z = bytes.length / ENTRY - 1;
    while (a <= z) {
      const m = (a + z) >>> 1;
      const c = cmp(hi, lo, bytes, m);
      if (c === 0) return { block, bytes, entry: m };
      if (c < 0) z = m - 1; else a = m + 1;
    }
    return { block, bytes, entry: -1 };
  }

  get(gen: number, hi: number, lo: number): number | undefined {
    const { bytes, entry } = this.find(this.gen(gen), hi, lo);
    if (!bytes || entry < 0) return undefined;
    return bytes.readUInt16BE(entry * ENTRY + 8) * TWO32 + bytes.readUInt32BE(entry * ENTRY + 10) - 2 ** 47;
  }

  delete(gen: number, hi: number, lo: number): void {
    const g = this.gen(gen);
    const { block, bytes, entry } = this.find(g, hi, lo);
    if (!bytes || entry < 0) return;
    // the block without the entry; its LMDB key stays its first key before (still at or before every key in it)
    const rest = Buffer.concat([bytes.subarray(0, entry * ENTRY), bytes.subarray((entry + 1) * ENTRY)]);
    g.db.putSync(this.keyOf(g.firstHi[block], g.firstLo[block]), rest);
    g.count--;
  }

  drop(gen: number): void {
    this.gen(gen).db.dropSync();
    this.gens.delete(gen);
  }

  read(gen: number): KeyStoreDump {
    const g = this.gen(gen);
    const out: KeyStoreDump = { keys: new Uint32Array(2 * g.count), timeLo: new Uint32Array(g.count), timeHi: new Uint16Array(g.count) };
    let j = 0;
    for (let b = 0; b < g.firstHi.length; b++) {
      const v = g.db.getBinaryFast(this.keyOf(g.firstHi[b], g.firstLo[b]));
      for (let e = 0; v && e < v.length / ENTRY; e++, j++) {
        out.keys[2 * j] = v.readUInt32BE(e * ENTRY);
        out.keys[2 * j + 1] = v.readUInt32BE(e * ENTRY + 4);
        out.timeHi[j] = v.readUInt16BE(e * ENTRY + 8);
        out.timeLo[j] = v.readUInt32BE(e * ENTRY + 10);
      }
    }
    return out;
  }

  close(): void {
    this.root.close();
    rmSync(this.path, { recursive: true, force: true });
  }
}

/** Memory cap for one dedup source's keys: the slots of SLUICE_DEDUP_MEMORY_MAX_MB, 3/4 of them used. */
export const maxKeysWithin = (bytes: number): number => Math.floor(slotsWithin(bytes) * 0.75);

/**
 * The spill options of each dedup source of `spec` (of its shard `shard`, when sharded) under the
 * worker's memory cap (none: no cap; the cap is per source of each shard), and a function that
 * closes and removes the stores.
 */
export function spillFor(spec: PipelineSpec, shard?: number): { options: (source: number) => SpillOptions | undefined; close: () => void } {
  // shards of one pipeline in one worker each have their own stores ("." is in no pipeline name)
  const owner = shard === undefined ? spec.name : `${spec.name}.s${shard}`;
  const capMiB = settings.dedupMemoryMaxMiB;
  if (capMiB !== undefined && !(capMiB > 0)) throw new Error(`SLUICE_DEDUP_MEMORY_MAX_MB must be a positive number of MiB, got ${JSON.stringify(process.env.SLUICE_DEDUP_MEMORY_MAX_MB)}`);
  const stores: LmdbSpill[] = [];
  const options = (source: number): SpillOptions | undefined => {
    if (capMiB === undefined) return undefined;
    const dir = settings.stateDir ?? join(tmpdir(), 'sluice-state');
    removeStaleStores(dir, `${owner}-${source}-`);
    const store = new LmdbSpill(join(dir, `${owner}-${source}-${process.pid}`));
    stores.push(store);
    return { store, maxKeysInMemory: maxKeysWithin(capMiB * 2 ** 20) };
  };
  return { options, close: () => { for (const s of stores) s.close(); } };
}
