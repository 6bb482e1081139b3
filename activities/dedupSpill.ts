// The dedup state past its memory cap (core/dedupWindow.ts "Bigger than memory"): generations of
// keys in LMDB (the `lmdb` package: a maintained binding with prebuilt binaries, synchronous
// memory-mapped reads, which the synchronous dedup decision needs; RocksDB bindings are async).
// One named database per generation (key: the 8-byte hash; value: the 6-byte time), dropped
// whole when it expires. It is a cache of this process only: the durable state is the dedup
// snapshot + journal, so the directory is emptied at open and nothing is synced to disk.
import { rmSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { open, type Database, type RootDatabase } from 'lmdb';
import type { PipelineSpec } from '../core/spec/schema';
import type { KeyStoreDump } from '../core/keyStore';
import { slotsWithin } from '../core/keyStore';
import type { SpillOptions, SpillStore } from '../core/dedupWindow';
import { settings } from '../runtime/settings';

const TWO32 = 2 ** 32;
const MAX_GENERATIONS = 4096;

export class LmdbSpill implements SpillStore {
  private readonly root: RootDatabase;
  private readonly dbs = new Map<number, Database<Buffer, Buffer>>();
  private readonly key = Buffer.alloc(8);

  constructor(readonly path: string) {
    rmSync(path, { recursive: true, force: true });
    mkdirSync(path, { recursive: true });
    this.root = open({ path, maxDbs: MAX_GENERATIONS, noSync: true, noMetaSync: true, compression: false });
  }

  private db(gen: number): Database<Buffer, Buffer> {
    let db = this.dbs.get(gen);
    if (!db) {
      if (this.dbs.size >= MAX_GENERATIONS - 1) throw new Error(`dedup spill: more than ${MAX_GENERATIONS - 1} generations on disk; raise SLUICE_DEDUP_MEMORY_MAX_MB`);
      db = this.root.openDB<Buffer, Buffer>({ name: `g${gen}`, keyEncoding: 'binary', encoding: 'binary', compression: false });
      this.dbs.set(gen, db);
    }
    return db;
  }

  private keyOf(hi: number, lo: number): Buffer {
    this.key.writeUInt32BE(hi, 0);
    this.key.writeUInt32BE(lo, 4);
    return this.key;
  }

  write(gen: number, d: KeyStoreDump): void {
    const db = this.db(gen);
    this.root.transactionSync(() => {
      for (let j = 0; j < d.timeLo.length; j++) {
        const v = Buffer.allocUnsafe(6);
        v.writeUInt16BE(d.timeHi[j], 0);
        v.writeUInt32BE(d.timeLo[j], 2);
        db.putSync(Buffer.from(this.keyOf(d.keys[2 * j], d.keys[2 * j + 1])), v);
      }
    });
  }

  get(gen: number, hi: number, lo: number): number | undefined {
    const v = this.db(gen).getBinaryFast(this.keyOf(hi, lo));
    return v ? v.readUInt16BE(0) * TWO32 + v.readUInt32BE(2) - 2 ** 47 : undefined;
  }

  delete(gen: number, hi: number, lo: number): void {
    this.db(gen).removeSync(this.keyOf(hi, lo));
  }

  drop(gen: number): void {
    this.db(gen).dropSync();
    this.dbs.delete(gen);
  }

  read(gen: number): KeyStoreDump {
    const db = this.db(gen);
    const n = db.getCount();
    const out: KeyStoreDump = { keys: new Uint32Array(2 * n), timeLo: new Uint32Array(n), timeHi: new Uint16Array(n) };
    let j = 0;
    for (const { key, value } of db.getRange()) {
      out.keys[2 * j] = key.readUInt32BE(0);
      out.keys[2 * j + 1] = key.readUInt32BE(4);
      out.timeHi[j] = value.readUInt16BE(0);
      out.timeLo[j] = value.readUInt32BE(2);
      j++;
    }
    return out;
  }

  close(): void {
    this.root.close();
    rmSync(this.path, { recursive: true, force: true });
  }
}

const alive = (pid: number) => {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
};

/** Removes the stores `<prefix><pid>` of processes that are gone (a SIGKILLed worker leaves its store behind). */
export function removeStaleStores(dir: string, prefix: string): void {
  let names: string[];
  try { names = readdirSync(dir); } catch { return; }
  for (const n of names) {
    const pid = n.startsWith(prefix) ? Number(n.slice(prefix.length)) : NaN;
    if (Number.isInteger(pid) && pid !== process.pid && !alive(pid)) rmSync(join(dir, n), { recursive: true, force: true });
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
