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
import { KeyStore, type KeyStoreDump } from './keyStore';

/** A window's state in a snapshot: its keys and the two times that drive eviction. */
export interface DedupWindowDump {
  watermark: number;
  lastSweep: number;
  store: KeyStoreDump;
}

const HEX16 = /^[0-9a-f]{16}$/;

/** The two 32-bit halves of a 16-hex key hash. */
export function keyHalves(key: string): [number, number] {
  if (key.length !== 16 || !HEX16.test(key)) throw new Error(`dedup key must be 16 hex characters (a 64-bit hash), got ${JSON.stringify(key)}`);
  return [parseInt(key.slice(0, 8), 16), parseInt(key.slice(8), 16)];
}

export class DedupWindow {
  private store = new KeyStore();
  private watermark = Number.NEGATIVE_INFINITY;
  private lastSweep = Number.NEGATIVE_INFINITY;

  constructor(readonly windowMs: number) {}

  /** True when the event is the first occurrence of its key in the window (and records it). */
  admit(key: string, t: number): boolean {
    const [hi, lo] = keyHalves(key);
    const first = this.store.get(hi, lo);
    if (first !== undefined && Math.abs(t - first) < this.windowMs) return false;
    this.store.set(hi, lo, t);
    if (t > this.watermark) this.watermark = t;
    return true;
  }

  /** True when a key is held with a window that `t` falls in (a duplicate), without recording anything. */
  holds(key: string, t: number): boolean {
    const [hi, lo] = keyHalves(key);
    const first = this.store.get(hi, lo);
    return first !== undefined && Math.abs(t - first) < this.windowMs;
  }

  /** Time is late when it is more than a window behind the watermark. */
  isLate(t: number): boolean {
    return t < this.watermark - this.windowMs;
  }

  /** Frees keys whose window closed before the watermark; sweeps at most every tenth of a window. */
  evict(force = false): number {
    if (!force && this.watermark - this.lastSweep < Math.max(1000, this.windowMs / 10)) return 0;
    this.lastSweep = this.watermark;
    return this.store.deleteUpTo(this.watermark - this.windowMs);
  }

  /** Drops a key (its row was rejected downstream); with `t`, only if that occurrence holds it. */
  forget(key: string, t?: number): boolean {
    const [hi, lo] = keyHalves(key);
    return this.store.delete(hi, lo, t);
  }

  /** Puts back a key during recovery. */
  restore(key: string, t: number): void {
    const [hi, lo] = keyHalves(key);
    this.store.set(hi, lo, t);
    if (t > this.watermark) this.watermark = t;
  }

  /** The whole state, densely (copied: the window may go on changing). */
  dump(): DedupWindowDump {
    return { watermark: this.watermark, lastSweep: this.lastSweep, store: this.store.dump() };
  }

  /** Replaces the state by a dump's. */
  load(d: DedupWindowDump): void {
    this.store = KeyStore.load(d.store);
    this.watermark = d.watermark;
    this.lastSweep = d.lastSweep;
  }

  get size(): number {
    return this.store.size;
  }

  /** Bytes of the key store's typed arrays. */
  get bytes(): number {
    return this.store.bytes;
  }

  get currentWatermark(): number {
    return this.watermark;
  }
}
