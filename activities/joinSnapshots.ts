// Snapshots of a join pipeline's join state (activities/stateSnapshots.ts), as JSON. Recovery
// restores the newest and replays the journal entries after its batch.
import type { JetStreamClient } from 'nats';
import type { PipelineSpec } from '../core/spec/schema';
import type { JoinSnapshot } from '../core/join/joinState';
import { StateSnapshots } from './stateSnapshots';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** The kind of these snapshots in the object store (after a shard's prefix): the name it always had. */
export const JOIN_SNAPSHOTS = 'batch-';

export class JoinSnapshots {
  private constructor(private readonly store: StateSnapshots) {}

  /** `shardPrefix`: the shard's mark before the kind (core/names.ts shardOf) */
  static async open(js: JetStreamClient, spec: PipelineSpec, shardPrefix = ''): Promise<JoinSnapshots> {
    return new JoinSnapshots(await StateSnapshots.open(js, spec, `${shardPrefix}${JOIN_SNAPSHOTS}`));
  }

  /** The newest snapshot, or undefined when none was written yet. */
  async latest(): Promise<{ batch: number; snapshot: JoinSnapshot } | undefined> {
    const got = await this.store.latest();
    return got && { batch: got.batch, snapshot: JSON.parse(dec.decode(got.data)) as JoinSnapshot };
  }

  /** Writes the state after `batch` (only once that batch is in ClickHouse) and drops all but the newest two. */
  async write(batch: number, snapshot: JoinSnapshot): Promise<void> {
    await this.store.write(batch, enc.encode(JSON.stringify(snapshot)));
  }
}
