// The order of a key store dump's keys by their 64-bit value (hi, then lo, unsigned), as an index
// array: an LSD radix sort in four 16-bit passes (a fraction of the time of a comparison sort of
// millions of keys, which is what a spill to disk sorts: activities/dedupSpill.ts).

const DIGIT = 0x10000;

/** Indices 0..n-1 of the keys `[hi, lo]` pairs in `keys`, ordered by (hi, lo) ascending (stable). */
export function keyOrder(keys: Uint32Array): Uint32Array {
  const n = keys.length / 2;
  let from = new Uint32Array(n);
  let to = new Uint32Array(n);
  for (let i = 0; i < n; i++) from[i] = i;
  const counts = new Uint32Array(DIGIT);
  // least significant digit first: lo's low half, lo's high half, hi's low half, hi's high half
  for (const [word, shift] of [[1, 0], [1, 16], [0, 0], [0, 16]] as const) {
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[(keys[2 * i + word] >>> shift) & 0xffff]++;
    for (let d = 0, at = 0; d < DIGIT; d++) { const c = counts[d]; counts[d] = at; at += c; }
    for (let i = 0; i < n; i++) {
      const j = from[i];
      to[counts[(keys[2 * j + word] >>> shift) & 0xffff]++] = j;
    }
    [from, to] = [to, from];
  }
  return from;
}
