// The dedup window store: first occurrence wins; a repeat of the key less than `window` after
// the first occurrence is a duplicate; from `window` on, the key passes again (and opens a new
// window). Time is event time or arrival time, whichever the source asks for: the caller passes it
// (whole milliseconds: core/sinkState.ts drops fractions).
//
// State is freed by a watermark: the largest time seen. A key whose window ended before the
// watermark can never again match (a later event in order would be past the window), except a
// *late* event whose time lies more than a window behind the watermark: it is checked against
// what is still held and, if its key was freed, passes. Late events are counted.
//
// Keys are 64-bit hashes as 16 hex characters (core/dedupKey.ts), held in a KeyStore (typed
// arrays, core/keyStore.ts): 14 bytes per slot, see there.
//
// Bigger than memory: with a spill store (activities/dedupSpill.ts, LMDB on local disk) and a cap
// of keys in memory, a full memory store becomes one *generation* on disk, with a Bloom filter
// (core/bloomFilter.ts) in memory in front of it, and memory starts empty again. A key is looked
// up in memory, then in the generations newest first (only where the filter says "maybe"); a key
// is held in one place only (one found on disk is moved back to memory when it is set again). A
// generation goes as a whole once its newest key has left the window; a sweep marks the keys at or
// before its horizon as gone in every generation, so decisions are the same as in memory alone.
import { BloomFilter } from './bloomFilter';
import { KeyStore, concatDumps, dumpTime, sliceDump, type KeyStoreDump } from './keyStore';

/** A window's state in a snapshot: its keys and the two times that drive eviction. */
export interface DedupWindowDump {
  watermark: number;
  lastSweep: number;
  store: KeyStoreDump;
}

/** Generations of keys on disk (synchronous: reads are memory-mapped). */
export interface SpillStore {
  write(gen: number, keys: KeyStoreDump): void;
  get(gen: number, hi: number, lo: number): number | undefined;
  delete(gen: number, hi: number, lo: number): void;
  drop(gen: number): void;
  read(gen: number): KeyStoreDump;
}

export interface SpillOptions {
  store: SpillStore;
  /** keys held in memory at most; past it, they go to disk */
  maxKeysInMemory: number;
}

interface Generation {
  id: number;
  filter: BloomFilter;
  newest: number;
  /** keys at or before this are gone (swept after the generation was written) */
  goneUpTo: number;
  keys: number;
}

/** The value of a lower-case hex digit's character code, -1 for any other. */
const hexDigit = (c: number): number => (c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1);

/** The 32-bit number of 8 lower-case hex digits of `key` from `at`, -1 when one is not such a digit. */
function hex8(key: string, at: number): number {
  let n = 0;
  for (let i = at; i < at + 8; i++) {
    const d = hexDigit(key.charCodeAt(i));
    if (d < 0) return -1;
    n = n * 16 + d;
  }
  return n;
}

/** The halves of the key readKey read last (no array per key on the hot path). */
let keyHi = 0;
let keyLo = 0;

/** Reads a 16-hex key hash into keyHi and keyLo. */
function readKey(key: string): void {
  const hi = key.length === 16 ? hex8(key, 0) : -1;
  const lo = hi < 0 ? -1 : hex8(key, 8);
  if (lo < 0) throw new Error(`dedup key must be 16 hex characters (a 64-bit hash), got ${JSON.stringify(key)}`);
  keyHi = hi;
  keyLo = lo;
}

/** The two 32-bit halves of a 16-hex key hash. */
export function keyHalves(key: string): [number, number] {
  readKey(key);
  return [keyHi, keyLo];
}

/** The 16-hex text of a key's halves. */
export const keyText = (hi: number, lo: number): string => keysText([hi, lo]);

/** The 16-hex texts of keys given as [hi, lo, hi, lo, ...], concatenated (a journal entry's keys). */
export function keysText(halves: ArrayLike<number>): string {
  const b = Buffer.allocUnsafe(4 * halves.length);
  for (let i = 0; i < halves.length; i++) b.writeUInt32BE(halves[i], 4 * i);
  return b.toString('hex');
}

export class DedupWindow {
  private store = new KeyStore();
  private watermark = Number.NEGATIVE_INFINITY;
  private lastSweep = Number.NEGATIVE_INFINITY;
  /** on disk, oldest first */
  private generations: Generation[] = [];
  private nextGeneration = 1;
  /** disk reads done (for the benchmark and metrics) */
  diskReads = 0;

  constructor(readonly windowMs: number, private readonly spill?: SpillOptions) {
    if (spill && !(spill.maxKeysInMemory >= 1)) throw new Error(`dedup spill: maxKeysInMemory must be at least 1, got ${spill.maxKeysInMemory}`);
  }

  /** True when the event is the first occurrence of its key in the window (and records it). */
  admit(key: string, t: number): boolean {
    readKey(key);
    return this.admitHalves(keyHi, keyLo, t);
  }

  /** admit for a key given as its halves (keyHalves). */
  admitHalves(hi: number, lo: number, t: number): boolean {
    const held = this.store.get(hi, lo);
    if (held !== undefined) {
      // held in memory: only its time changes (what put does for a key in memory)
      if (Math.abs(t - held) < this.windowMs) return false;
      this.store.set(hi, lo, t);
    } else {
      const first = this.onDisk(hi, lo);
      if (first !== undefined && Math.abs(t - first.t) < this.windowMs) return false;
      this.put(hi, lo, t, first);
    }
    if (t > this.watermark) this.watermark = t;
    return true;
  }

  /** True when a key is held with a window that `t` falls in (a duplicate), without recording anything. */
  holds(key: string, t: number): boolean {
    readKey(key);
    const hi = keyHi, lo = keyLo;
    const first = this.lookup(hi, lo);
    return first !== undefined && Math.abs(t - first.t) < this.windowMs;
  }

  /** Time is late when it is more than a window behind the watermark. */
  isLate(t: number): boolean {
    return t < this.watermark - this.windowMs;
  }

  /** Frees keys whose window closed before the watermark; sweeps at most every tenth of a window. */
  evict(force = false): number {
    if (!force && this.watermark - this.lastSweep < Math.max(1000, this.windowMs / 10)) return 0;
    this.lastSweep = this.watermark;
    const horizon = this.watermark - this.windowMs;
    let freed = this.store.deleteUpTo(horizon);
    for (const g of this.generations) {
      g.goneUpTo = horizon;
      if (g.newest <= horizon) { this.spill!.store.drop(g.id); freed += g.keys; }
    }
    this.generations = this.generations.filter((g) => g.newest > horizon);
    return freed;
  }

  /** Drops a key (its row was rejected downstream); with `t`, only if that occurrence holds it. */
  forget(key: string, t?: number): boolean {
    readKey(key);
    const hi = keyHi, lo = keyLo;
    if (this.store.delete(hi, lo, t)) return true;
    const on = this.onDisk(hi, lo);
    if (!on || (t !== undefined && on.t !== t)) return false;
    this.spill!.store.delete(on.gen.id, hi, lo);
    on.gen.keys--;
    return true;
  }

  /** Puts back a key during recovery. */
  restore(key: string, t: number): void {
    readKey(key);
    const hi = keyHi, lo = keyLo;
    this.put(hi, lo, t, this.lookup(hi, lo));
    if (t > this.watermark) this.watermark = t;
  }

  /** The whole state, densely (copied: the window may go on changing), disk generations included. */
  dump(): DedupWindowDump {
    const parts = this.generations.map((g) => {
      const d = this.spill!.store.read(g.id);
      const live: number[] = [];
      for (let j = 0; j < d.timeLo.length; j++) if (dumpTime(d, j) > g.goneUpTo) live.push(j);
      return live.length === d.timeLo.length ? d : {
        keys: Uint32Array.from(live.flatMap((j) => [d.keys[2 * j], d.keys[2 * j + 1]])),
        timeLo: Uint32Array.from(live, (j) => d.timeLo[j]),
        timeHi: Uint16Array.from(live, (j) => d.timeHi[j]),
      };
    });
    const store = parts.length ? concatDumps([...parts, this.store.dump()]) : this.store.dump();
    return { watermark: this.watermark, lastSweep: this.lastSweep, store };
  }

  /** Replaces the state by a dump's. */
  load(d: DedupWindowDump): void {
    for (const g of this.generations) this.spill!.store.drop(g.id);
    this.generations = [];
    const n = d.store.timeLo.length;
    if (!this.spill || n <= this.spill.maxKeysInMemory) {
      this.store = KeyStore.load(d.store);
    } else {
      // past the cap, pieces of the cap go straight to disk as generations (a key is held in one
      // place only, and which generation holds it changes no decision); the rest stays in memory.
      // Putting them one by one through the memory store took 4.9 s for 5 million keys.
      const max = this.spill.maxKeysInMemory;
      let from = 0;
      for (; n - from > max; from += max) this.writeGeneration(sliceDump(d.store, from, from + max));
      this.store = KeyStore.load(sliceDump(d.store, from, n));
    }
    this.watermark = d.watermark;
    this.lastSweep = d.lastSweep;
  }

  get size(): number {
    return this.store.size + this.generations.reduce((n, g) => n + g.keys, 0);
  }

  /** Keys held in memory (the rest is on disk). */
  get sizeInMemory(): number {
    return this.store.size;
  }

  /** Bytes in memory: the key store's typed arrays and the disk generations' filters. */
  get bytes(): number {
    return this.store.bytes + this.generations.reduce((n, g) => n + g.filter.bytes, 0);
  }

  get currentWatermark(): number {
    return this.watermark;
  }

  private lookup(hi: number, lo: number): { t: number; gen?: Generation } | undefined {
    const t = this.store.get(hi, lo);
    if (t !== undefined) return { t };
    return this.onDisk(hi, lo);
  }

  private onDisk(hi: number, lo: number): { t: number; gen: Generation } | undefined {
    for (let i = this.generations.length - 1; i >= 0; i--) {
      const g = this.generations[i];
      if (!g.filter.mayHold(hi, lo)) continue;
      this.diskReads++;
      const t = this.spill!.store.get(g.id, hi, lo);
      if (t !== undefined) return t > g.goneUpTo ? { t, gen: g } : undefined;
    }
    return undefined;
  }

  /** Sets a key's time in memory (`was`: where it is held now), moving a full memory store to disk first. */
  private put(hi: number, lo: number, t: number, was: { t: number; gen?: Generation } | undefined): void {
    if (was?.gen) { this.spill!.store.delete(was.gen.id, hi, lo); was.gen.keys--; }
    if (this.spill && !(was && !was.gen) && this.store.size >= this.spill.maxKeysInMemory) this.spillMemory();
    this.store.set(hi, lo, t);
  }

  private spillMemory(): void {
    const d = this.store.dump();
    this.writeGeneration(d);
    this.store = new KeyStore(Math.min(d.timeLo.length, this.spill!.maxKeysInMemory));
  }

  /** Keys to disk as a new generation, with its filter. */
  private writeGeneration(d: KeyStoreDump): void {
    const n = d.timeLo.length;
    const filter = new BloomFilter(n);
    let newest = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < n; j++) {
      filter.add(d.keys[2 * j], d.keys[2 * j + 1]);
      newest = Math.max(newest, dumpTime(d, j));
    }
    const id = this.nextGeneration++;
    this.spill!.store.write(id, d);
    this.generations.push({ id, filter, newest, goneUpTo: Number.NEGATIVE_INFINITY, keys: n });
  }
}
