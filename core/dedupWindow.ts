// The dedup window store: first occurrence wins; a repeat of the key less than `window` after
// the first occurrence is a duplicate; from `window` on, the key passes again (and opens a new
// window). Time is event time or arrival time, whichever the source asks for: the caller passes it.
//
// State is freed by a watermark: the largest time seen. A key whose window ended before the
// watermark can never again match (a later event in order would be past the window), except a
// *late* event whose time lies more than a window behind the watermark: it is checked against
// what is still held and, if its key was freed, passes. Late events are counted.
export class DedupWindow {
  private readonly firstSeen = new Map<string, number>();
  private watermark = Number.NEGATIVE_INFINITY;
  private lastSweep = Number.NEGATIVE_INFINITY;

  constructor(readonly windowMs: number) {}

  /** True when the event is the first occurrence of its key in the window (and records it). */
  admit(key: string, t: number): boolean {
    const first = this.firstSeen.get(key);
    if (first !== undefined && Math.abs(t - first) < this.windowMs) return false;
    this.firstSeen.set(key, t);
    if (t > this.watermark) this.watermark = t;
    return true;
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
    let freed = 0;
    for (const [key, first] of this.firstSeen) {
      if (first <= horizon) { this.firstSeen.delete(key); freed++; }
    }
    return freed;
  }

  /** Drops a key (its row was rejected downstream); with `t`, only if that occurrence holds it. */
  forget(key: string, t?: number): boolean {
    if (t !== undefined && this.firstSeen.get(key) !== t) return false;
    return this.firstSeen.delete(key);
  }

  /** Puts back a key during recovery. */
  restore(key: string, t: number): void {
    this.firstSeen.set(key, t);
    if (t > this.watermark) this.watermark = t;
  }

  get size(): number {
    return this.firstSeen.size;
  }

  get currentWatermark(): number {
    return this.watermark;
  }
}
