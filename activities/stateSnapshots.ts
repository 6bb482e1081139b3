// Snapshots of a sink's state in the pipeline's JetStream object store (chunked, so a state of
// any size fits): one object per snapshot, named by its kind and the sink batch it follows; the
// newest two of a kind are kept. Used for the join state (activities/joinSnapshots.ts) and the
// dedup state (activities/dedupSnapshots.ts); the bucket is named ..._JOIN for the join state
// it held first.
import { StorageType, type JetStreamClient, type ObjectStore } from 'nats';
import type { PipelineSpec } from '../core/spec/schema';
import { streamsOf } from '../core/names';
import { settings } from '../runtime/settings';

const KEEP = 2;

export class StateSnapshots {
  private constructor(private readonly os: ObjectStore, private readonly prefix: string) {}

  /** `prefix` names the kind: "batch-" (join state, the name it always had) or "dedup-", after a shard's "s<k>-" when sharded. */
  static async open(js: JetStreamClient, spec: PipelineSpec, prefix: string): Promise<StateSnapshots> {
    return new StateSnapshots(await StateSnapshots.bucket(js, spec), prefix);
  }

  /** The pipeline's object store (also where a change of parallelism stages the new shards' state: activities/repartition.ts). */
  static async bucket(js: JetStreamClient, spec: PipelineSpec): Promise<ObjectStore> {
    const names = streamsOf(spec.name);
    const os = await js.views.os(names.joinBucket, { storage: StorageType.File });
    if (settings.jetstreamReplicas > 1) {
      // the object store view does not pass replicas on to the server: set them on its stream
      const jsm = await js.jetstreamManager();
      const info = await jsm.streams.info(names.joinBucketStream);
      if (info.config.num_replicas !== settings.jetstreamReplicas) await jsm.streams.update(names.joinBucketStream, { ...info.config, num_replicas: settings.jetstreamReplicas });
    }
    return os;
  }

  private nameOf(batch: number): string {
    return `${this.prefix}${String(batch).padStart(15, '0')}`;
  }

  private async batches(): Promise<number[]> {
    const re = new RegExp(`^${this.prefix}(\\d+)$`);
    const names = (await this.os.list()).filter((o) => !o.deleted).map((o) => re.exec(o.name)?.[1]);
    return names.filter((b): b is string => b !== undefined).map(Number).sort((a, b) => a - b);
  }

  /** The newest snapshot's bytes, or undefined when none was written yet. */
  async latest(): Promise<{ batch: number; data: Uint8Array } | undefined> {
    const batch = (await this.batches()).pop();
    if (batch === undefined) return undefined;
    // journal entries up to this batch may be purged already: an older snapshot cannot stand in for it
    const data = await this.os.getBlob(this.nameOf(batch));
    if (!data) throw new Error(`state snapshot ${this.nameOf(batch)} is listed but cannot be read`);
    return { batch, data };
  }

  /** Removes every snapshot of this kind (a change of parallelism: the shard's state is replaced). */
  async clear(): Promise<void> {
    for (const b of await this.batches()) await this.os.delete(this.nameOf(b));
  }

  /** Writes the state after `batch` (only once that batch is in ClickHouse) and drops all but the newest two. */
  async write(batch: number, data: Uint8Array): Promise<void> {
    await this.os.putBlob({ name: this.nameOf(batch) }, data);
    const old = (await this.batches()).filter((b) => b < batch);
    for (const b of old.slice(0, Math.max(0, old.length - (KEEP - 1)))) await this.os.delete(this.nameOf(b));
  }
}
