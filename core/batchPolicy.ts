// When the sink closes a batch: when it holds maxRows rows (or, for a join, enough join inputs
// for one journal entry), or when its oldest input has waited maxDelay. Pure: the sink's loop
// asks it after each raw batch and on each turn of its clock.
export interface BatchLimits {
  maxRows: number;
  maxDelayMs: number;
  /** join inputs per journal entry at most (an entry must stay well under NATS max_payload) */
  maxJoinRecords: number;
}

export class BatchPolicy {
  private firstPendingAt = 0;

  constructor(readonly limits: BatchLimits) {}

  /** Call before taking in new input (a raw batch, a clock tick that may close join windows): the batch's age counts from the first. */
  beforeInput(hasPending: boolean, now: number): void {
    if (!hasPending) this.firstPendingAt = now;
  }

  /** True when the pending batch is full and must be taken now. */
  full(pendingRows: number, pendingJoinRecords: number): boolean {
    return pendingRows >= this.limits.maxRows || pendingJoinRecords >= this.limits.maxJoinRecords;
  }

  /** True when a pending batch has waited its maxDelay. */
  due(hasPending: boolean, now: number): boolean {
    return hasPending && now - this.firstPendingAt >= this.limits.maxDelayMs;
  }

  /** How often the loop's clock should turn: a quarter of maxDelay, between 10 and 100 ms. */
  get clockMs(): number {
    return Math.max(10, Math.min(100, this.limits.maxDelayMs / 4));
  }
}
