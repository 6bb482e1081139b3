// Decides which state-journal entries can go. An entry is needed while any key it added may
// still be held: while, for some source, its newest key time is within a window of that
// source's watermark. Counters and high-water marks are cumulative in every entry, so
// dropping old entries loses nothing; the newest entry is always kept. In a join pipeline an
// entry's join inputs are needed until a join snapshot covers its batch. Once a dedup snapshot
// of batch b is written, entries before b are not needed for their keys either (the entry of b
// itself stays: recovery takes the sink's position from it).
import type { JournalEntry } from './sinkState';

export class JournalCompactor {
  /** journal sequence and newest key time per source, oldest first */
  private readonly entries: Array<{ seq: number; batch: number; newest: Map<number, number> }> = [];

  constructor(private readonly windowsMs: ReadonlyArray<number | undefined>) {}

  add(seq: number, entry: JournalEntry): void {
    const newest = new Map<number, number>();
    for (const { s, t } of entry.keys) newest.set(s, t.reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY));
    this.entries.push({ seq, batch: entry.batch, newest });
  }

  /**
   * The first journal sequence to keep, when entries before it can be purged; undefined when
   * nothing can go. `watermarks` is each source's largest time seen; entries after batch
   * `coveredUpTo` (the newest join snapshot) are kept for their join inputs; entries before batch
   * `keysCoveredFrom` (the newest dedup snapshot) are not kept for their keys.
   */
  purgeBelow(watermarks: ReadonlyArray<number>, coveredUpTo = Number.POSITIVE_INFINITY, keysCoveredFrom = 0): number | undefined {
    const dead = (e: { batch: number; newest: Map<number, number> }) => e.batch <= coveredUpTo && (e.batch < keysCoveredFrom ||
      [...e.newest].every(([s, t]) => this.windowsMs[s] === undefined || t <= watermarks[s] - this.windowsMs[s]!));
    let n = 0;
    while (n < this.entries.length - 1 && dead(this.entries[n])) n++;
    if (n === 0) return undefined;
    this.entries.splice(0, n);
    return this.entries[0].seq;
  }

  get size(): number {
    return this.entries.length;
  }
}
