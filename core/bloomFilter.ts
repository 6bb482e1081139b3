// A Bloom filter of 64-bit key hashes (their two 32-bit halves): 10 bits and 7 probes per key,
// so about 1% of keys it does not hold answer "maybe". It sits in front of the dedup state on
// disk (core/dedupWindow.ts): a key it rules out costs no disk read.
const BITS_PER_KEY = 10;
const PROBES = 7;

export class BloomFilter {
  private readonly bits: Uint32Array;
  private readonly m: number;

  constructor(keys: number) {
    this.m = Math.max(64, Math.ceil(keys * BITS_PER_KEY / 32) * 32);
    this.bits = new Uint32Array(this.m / 32);
  }

  add(hi: number, lo: number): void {
    const step = (hi | 1) >>> 0;
    for (let i = 0, h = lo >>> 0; i < PROBES; i++, h = (h + step) >>> 0) {
      const b = h % this.m;
      this.bits[b >>> 5] |= 1 << (b & 31);
    }
  }

  /** False when the key was never added; true when it may have been. */
  mayHold(hi: number, lo: number): boolean {
    const step = (hi | 1) >>> 0;
    for (let i = 0, h = lo >>> 0; i < PROBES; i++, h = (h + step) >>> 0) {
      const b = h % this.m;
      if ((this.bits[b >>> 5] & (1 << (b & 31))) === 0) return false;
    }
    return true;
  }

  get bytes(): number {
    return this.bits.byteLength;
  }
}
