// Snapshots of a sink's dedup state (core/dedupSnapshot.ts, binary) in the pipeline's object
// store (activities/stateSnapshots.ts). Recovery loads the newest and applies only the keys of
// journal entries after its batch; journal entries before it are purged (core/journalCompactor.ts).
import type { JetStreamClient } from 'nats';
import type { PipelineSpec } from '../core/spec/schema';
import { decodeDedupSnapshot, encodeDedupSnapshot, type DedupSnapshot } from '../core/dedupSnapshot';
import type { SinkState } from '../core/sinkState';
import { StateSnapshots } from './stateSnapshots';

/** The kind of these snapshots in the object store (after a shard's prefix). */
export const DEDUP_SNAPSHOTS = 'dedup-';

export class DedupSnapshots {
  /** batch of the newest snapshot written or loaded (0: none): journal entries before it are not needed for keys */
  batch = 0;

  private constructor(private readonly store: StateSnapshots) {}

  /** For pipelines with a dedup source; undefined otherwise. `shardPrefix`: the shard's mark before the kind (core/names.ts shardOf). */
  static async open(js: JetStreamClient, spec: PipelineSpec, shardPrefix = ''): Promise<DedupSnapshots | undefined> {
    if (!spec.sources.some((s) => s.dedup)) return undefined;
    return new DedupSnapshots(await StateSnapshots.open(js, spec, `${shardPrefix}${DEDUP_SNAPSHOTS}`));
  }

  /** Loads the newest snapshot into `state`; returns its batch (0: none). */
  async restore(state: SinkState): Promise<number> {
    const got = await this.store.latest();
    if (!got) return 0;
    const snap = decodeDedupSnapshot(got.data);
    if (snap.batch !== got.batch) throw new Error(`dedup snapshot of batch ${got.batch} says batch ${snap.batch}`);
    state.restoreDedup(snap);
    this.batch = snap.batch;
    return snap.batch;
  }

  async write(snap: DedupSnapshot): Promise<void> {
    await this.store.write(snap.batch, encodeDedupSnapshot(snap));
    this.batch = snap.batch;
  }
}
