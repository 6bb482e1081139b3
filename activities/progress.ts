// Long-lived stages report progress two ways: Temporal heartbeats (liveness, and the details a
// retried attempt can read) and a `progress` signal to the pipeline's workflow (its status query).
// Liveness comes from the stage's own loop: it calls turned() on every healthy turn, and the
// heartbeat stops once it has not for SLUICE_STAGE_STALL_MS — a wedged loop (a request that never
// returns, a consumer stuck in a rebalance) stops heartbeating, and Temporal moves the stage.
import { Context } from '@temporalio/activity';
import { workflowIdOf } from '../core/names';
import type { StageProgress } from '../workflows/signals';
import { stageCounter } from '../runtime/metrics';
import { settings } from '../runtime/settings';

export class ProgressReporter {
  private timer: NodeJS.Timeout;
  private latest: StageProgress;
  private lastSignalled = '';
  private lastTurn = Date.now();
  private lastSignalAt = 0;

  /**
   * `part`: which shard of a sharded sink, which member of a source's ingest group (absent: the only one);
   * heartbeats every 2 s, progress signals at most every `signalEveryMs` (core/shards.ts progressEveryMs)
   */
  constructor(private readonly pipeline: string, stage: StageProgress['stage'], source: string | undefined, part: Pick<StageProgress, 'shard' | 'member'> = {},
    private readonly signalEveryMs = 2000) {
    this.latest = { stage, source, ...part, counters: {}, at: Date.now() };
    this.timer = setInterval(() => void this.flush(false), 2000);
  }

  /** Continues from the counters a previous run of the stage reported: the larger of the workflow's copy and this activity's last heartbeat (a retried attempt). */
  static carried(fromWorkflow: Record<string, number> | undefined): Record<string, number> {
    const beat = (Context.current().info.heartbeatDetails as StageProgress | undefined)?.counters ?? {};
    const out: Record<string, number> = { ...fromWorkflow };
    for (const [k, v] of Object.entries(beat)) if (typeof v === 'number' && v > (out[k] ?? 0)) out[k] = v;
    return out;
  }

  /** The stage's loop made a healthy turn (processed input, or waits for it with nothing stuck). */
  turned(): void {
    this.lastTurn = Date.now();
  }

  /** False once the loop has not turned for the stall limit: no more heartbeats. */
  get alive(): boolean {
    return Date.now() - this.lastTurn < settings.stageStallMs;
  }

  update(counters: Record<string, number>): void {
    this.turned();
    this.latest = { ...this.latest, counters, at: Date.now() };
    for (const [counter, v] of Object.entries(counters)) {
      const { stage, source, shard, member } = this.latest;
      // the "source" label also names a shard ("shard-3") or an ingest member ("purchases#1")
      stageCounter.set({ pipeline: this.pipeline, stage, source: shard !== undefined ? `shard-${shard}` : member ? `${source}#${member}` : source ?? '', counter }, v);
    }
    Context.current().heartbeat(this.latest);
  }

  /** Reports why the stage fails (or, with undefined, that it works again) to the workflow at once. */
  async failing(error: string | undefined): Promise<void> {
    this.latest = { ...this.latest, error, at: Date.now() };
    await this.flush();
  }

  /** Heartbeats; signals the workflow when the counters changed and (unless `now`) the signal interval passed. */
  async flush(now = true): Promise<void> {
    const ctx = Context.current();
    if (!this.alive) {
      ctx.log.warn('stage loop stalled: no heartbeat, so Temporal moves the stage', { pipeline: this.pipeline, stage: this.latest.stage, stalledMs: Date.now() - this.lastTurn });
      return;
    }
    ctx.heartbeat(this.latest);
    const text = JSON.stringify([this.latest.counters, this.latest.error]);
    // nothing to say yet (an attempt that ends before its first update must not blank the figures shown)
    if (text === this.lastSignalled || (Object.keys(this.latest.counters).length === 0 && this.latest.error === undefined)) return;
    // 1.5 s of slack, so the 2 s timer does not miss an interval by a few milliseconds
    if (!now && Date.now() - this.lastSignalAt < this.signalEveryMs - 1500) return;
    this.lastSignalled = text;
    this.lastSignalAt = Date.now();
    try {
      await ctx.client.workflow.getHandle(workflowIdOf(this.pipeline)).signal('progress', this.latest);
    } catch (e) {
      ctx.log.warn('progress signal failed', { error: (e as Error).message });
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}

/** Resolves when the activity is cancelled (pause, update, stop, or the worker shutting down). */
export function cancelled(): Promise<void> {
  return Context.current().cancelled.catch(() => undefined);
}
