// The dedup window's key store: 64-bit key hashes with their first-seen time, in typed arrays
// (open addressing with linear probing), so a key costs a fixed 14 bytes per slot and nothing on
// the V8 heap. A slot holds the hash as two 32-bit halves and the time as a 48-bit unsigned
// offset (whole milliseconds + 2^47, so ±4,400 years around 1970 fit); an offset of 0 marks an
// empty slot. The table doubles when it is 3/4 full, so it holds keys at 3/8 to 3/4 of its slots:
// 18.7 to 37 bytes per key (23.5 at 10 million keys). Deleting shifts the rest of the probe run
// back (no tombstones), so lookups stay short however many keys come and go.
const TIME_OFFSET = 2 ** 47;
const TWO32 = 2 ** 32;
const MIN_CAPACITY = 1024;

/** True when `t` (ms) fits the store's time range. */
export const storableTime = (t: number): boolean => Number.isInteger(t) && Math.abs(t) < TIME_OFFSET;

/** The dense form of a store (for snapshots): n keys as [hi, lo] pairs and their times' two parts. */
export interface KeyStoreDump {
  keys: Uint32Array;
  timeLo: Uint32Array;
  timeHi: Uint16Array;
}

/** The time of key j of a dump. */
export const dumpTime = (d: KeyStoreDump, j: number): number => d.timeHi[j] * TWO32 + d.timeLo[j] - TIME_OFFSET;

/** Keys from..to-1 of a dump (views, not copies). */
export const sliceDump = (d: KeyStoreDump, from: number, to: number): KeyStoreDump =>
  ({ keys: d.keys.subarray(2 * from, 2 * to), timeLo: d.timeLo.subarray(from, to), timeHi: d.timeHi.subarray(from, to) });

/** The keys of several dumps in one. */
export function concatDumps(parts: KeyStoreDump[]): KeyStoreDump {
  const n = parts.reduce((a, d) => a + d.timeLo.length, 0);
  const out: KeyStoreDump = { keys: new Uint32Array(2 * n), timeLo: new Uint32Array(n), timeHi: new Uint16Array(n) };
  let j = 0;
  for (const d of parts) {
    out.keys.set(d.keys, 2 * j);
    out.timeLo.set(d.timeLo, j);
    out.timeHi.set(d.timeHi, j);
    j += d.timeLo.length;
  }
  return out;
}

/** Slots a store may have so that its arrays stay within `bytes` (a power of two); 3/4 of them hold keys. */
export const slotsWithin = (bytes: number): number => 2 ** Math.floor(Math.log2(Math.max(MIN_CAPACITY * 14, bytes) / 14));

export class KeyStore {
  private keys: Uint32Array; // [hi, lo] per slot
  private timeLo: Uint32Array;
  private timeHi: Uint16Array;
  private mask: number;
  private count = 0;

  constructor(capacity = MIN_CAPACITY) {
    let cap = MIN_CAPACITY;
    while (cap * 0.75 < capacity) cap *= 2;
    this.mask = cap - 1;
    this.keys = new Uint32Array(cap * 2);
    this.timeLo = new Uint32Array(cap);
    this.timeHi = new Uint16Array(cap);
  }

  get size(): number {
    return this.count;
  }

  /** Bytes of the typed arrays (off-heap). */
  get bytes(): number {
    return this.keys.byteLength + this.timeLo.byteLength + this.timeHi.byteLength;
  }

  /** The first-seen time of a key, or undefined when it is not held. */
  get(hi: number, lo: number): number | undefined {
    const i = this.find(hi, lo);
    return i < 0 ? undefined : this.timeAt(i);
  }

  /** Records (or overwrites) a key's time; `t` must be storable. */
  set(hi: number, lo: number, t: number): void {
    if (!storableTime(t)) throw new RangeError(`key store: time ${t} is not a whole number of ms within ±2^47`);
    let i = this.find(hi, lo);
    if (i < 0) {
      if ((this.count + 1) > (this.mask + 1) * 0.75) this.resize((this.mask + 1) * 2);
      i = this.emptySlotFor(lo);
      this.keys[2 * i] = hi;
      this.keys[2 * i + 1] = lo;
      this.count++;
    }
    this.setTime(i, t);
  }

  /** Drops a key; with `t`, only when it is held with that time. True when it was dropped. */
  delete(hi: number, lo: number, t?: number): boolean {
    const i = this.find(hi, lo);
    if (i < 0 || (t !== undefined && this.timeAt(i) !== t)) return false;
    this.removeAt(i);
    return true;
  }

  /** Drops every key whose time is at or before `horizon`; returns how many went. */
  deleteUpTo(horizon: number): number {
    let freed = 0;
    const cap = this.mask + 1;
    // a removal shifts later keys of the run back into slot i: look at i again then. A run that
    // wraps around the end may shift keys from the start (seen already) to the end: they are looked at again, which is harmless.
    for (let i = 0; i < cap; i++) {
      while (this.occupied(i) && this.timeAt(i) <= horizon) { this.removeAt(i); freed++; }
    }
    if (this.count < cap * 0.1 && cap > MIN_CAPACITY) this.resize(Math.max(MIN_CAPACITY, cap / 4));
    return freed;
  }

  /** The held keys, densely (for a snapshot). */
  dump(): KeyStoreDump {
    const n = this.count;
    const out: KeyStoreDump = { keys: new Uint32Array(n * 2), timeLo: new Uint32Array(n), timeHi: new Uint16Array(n) };
    let j = 0;
    for (let i = 0; i <= this.mask; i++) {
      if (!this.occupied(i)) continue;
      out.keys[2 * j] = this.keys[2 * i];
      out.keys[2 * j + 1] = this.keys[2 * i + 1];
      out.timeLo[j] = this.timeLo[i];
      out.timeHi[j] = this.timeHi[i];
      j++;
    }
    return out;
  }

  /** A store holding the keys of a dump. */
  static load(d: KeyStoreDump): KeyStore {
    const n = d.timeLo.length;
    if (d.keys.length !== 2 * n || d.timeHi.length !== n) throw new Error(`key store dump: ${d.keys.length / 2} keys but ${n} / ${d.timeHi.length} times`);
    const s = new KeyStore(n);
    for (let j = 0; j < n; j++) {
      if (d.timeLo[j] === 0 && d.timeHi[j] === 0) throw new Error(`key store dump: key ${j} has no time`);
      const lo = d.keys[2 * j + 1];
      const i = s.emptySlotFor(lo);
      s.keys[2 * i] = d.keys[2 * j];
      s.keys[2 * i + 1] = lo;
      s.timeLo[i] = d.timeLo[j];
      s.timeHi[i] = d.timeHi[j];
    }
    s.count = n;
    return s;
  }

  private occupied(i: number): boolean {
    return this.timeLo[i] !== 0 || this.timeHi[i] !== 0;
  }

  private timeAt(i: number): number {
    return this.timeHi[i] * TWO32 + this.timeLo[i] - TIME_OFFSET;
  }

  private setTime(i: number, t: number): void {
    const e = t + TIME_OFFSET;
    const hi = Math.floor(e / TWO32);
    this.timeHi[i] = hi;
    this.timeLo[i] = e - hi * TWO32;
  }

  private find(hi: number, lo: number): number {
    for (let i = lo & this.mask; ; i = (i + 1) & this.mask) {
      if (!this.occupied(i)) return -1;
      if (this.keys[2 * i + 1] === lo && this.keys[2 * i] === hi) return i;
    }
  }

  private emptySlotFor(lo: number): number {
    let i = lo & this.mask;
    while (this.occupied(i)) i = (i + 1) & this.mask;
    return i;
  }

  /** Empties slot i and moves later keys of its probe run back so none is cut off from its home slot. */
  private removeAt(i: number): void {
    const m = this.mask;
    let hole = i;
    for (let j = (i + 1) & m; this.occupied(j); j = (j + 1) & m) {
      const home = this.keys[2 * j + 1] & m;
      // the key at j may fill the hole unless its home lies cyclically in (hole, j]
      const between = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (between) continue;
      this.keys[2 * hole] = this.keys[2 * j];
      this.keys[2 * hole + 1] = this.keys[2 * j + 1];
      this.timeLo[hole] = this.timeLo[j];
      this.timeHi[hole] = this.timeHi[j];
      hole = j;
    }
    this.timeLo[hole] = 0;
    this.timeHi[hole] = 0;
    this.count--;
  }

  private resize(cap: number): void {
    const old = { keys: this.keys, timeLo: this.timeLo, timeHi: this.timeHi };
    this.mask = cap - 1;
    this.keys = new Uint32Array(cap * 2);
    this.timeLo = new Uint32Array(cap);
    this.timeHi = new Uint16Array(cap);
    for (let i = 0; i < old.timeLo.length; i++) {
      if (old.timeLo[i] === 0 && old.timeHi[i] === 0) continue;
      const lo = old.keys[2 * i + 1];
      const j = this.emptySlotFor(lo);
      this.keys[2 * j] = old.keys[2 * i];
      this.keys[2 * j + 1] = lo;
      this.timeLo[j] = old.timeLo[i];
      this.timeHi[j] = old.timeHi[i];
    }
  }
}
