// Joins move with time as well as with events: arrival-time windows close by the clock, and
// event-time partitions that stay silent are declared idle. Both only once every raw batch
// ingest published has been processed, so a backlog after a restart never sees its windows
// closed early.
import { Context } from '@temporalio/activity';
import type { JetStreamManager } from 'nats';
import type { PipelineSpec } from '../../core/spec/schema';
import type { SinkState } from '../../core/sinkState';
import { streamsOf } from '../../core/names';
import { kafkaFor } from '../../runtime/connections';
import { withTimeout } from '../../runtime/withTimeout';

/** arrival-time join windows close by the clock this long after they are due, once the sink has caught up with ingest */
const ARRIVAL_TICK_SLACK_MS = 2_000;

/** Every (source index, partition) of the joined topics, so join windows wait for each partition; best effort (a partition also counts from its first event). */
export async function partitionsOf(spec: PipelineSpec): Promise<Array<[number, number]>> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < spec.sources.length; i++) {
    const admin = kafkaFor(spec, i).admin();
    try {
      const meta = await withTimeout(admin.connect().then(() => admin.fetchTopicMetadata({ topics: [spec.sources[i].kafka.topic] })), 5_000, 'topic metadata');
      for (const p of meta.topics[0]?.partitions ?? []) out.push([i, p.partitionId]);
    } catch (e) {
      Context.current().log.warn('could not list the partitions of a joined topic; each counts from its first event', { source: spec.sources[i].name, error: (e as Error).message });
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
  return out;
}

export class JoinClock {
  private checking = false;

  constructor(private readonly spec: PipelineSpec, private readonly state: SinkState, private readonly jsm: JetStreamManager,
    /** called just before a tick changes the state (the batch policy counts the batch's age from there) */
    private readonly beforeTick: () => void) {}

  /** The time to tick at, when there is clock work due now. */
  private due(): number | undefined {
    const j = this.state.join;
    if (!j) return undefined;
    if (j.plan.time === 'event') return j.idleCandidates(Date.now()).length ? Date.now() : undefined;
    const at = j.tickDueAt();
    const now = Date.now() - ARRIVAL_TICK_SLACK_MS;
    return at !== undefined && at <= now ? now : undefined;
  }

  /** One turn of the clock: ticks when work is due and the sink has processed all that ingest published. */
  turn(): void {
    const now = this.checking ? undefined : this.due();
    if (now === undefined) return;
    this.checking = true;
    void this.jsm.streams.info(streamsOf(this.spec.name).raw).then((info) => {
      if (this.state.processedSeq < info.state.last_seq) return;
      this.beforeTick();
      this.state.tick(now);
    }, () => undefined).finally(() => { this.checking = false; });
  }
}
