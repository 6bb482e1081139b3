// Snapshots of a join pipeline's join state, in a JetStream object store (chunked, so a state
// of any size fits). One object per snapshot, named by the sink batch it follows; the newest
// two are kept. Recovery restores the newest and replays the journal entries after its batch.
import { StorageType, type JetStreamClient, type ObjectStore } from 'nats';
import type { PipelineSpec } from '../core/spec/schema';
import type { JoinSnapshot } from '../core/join/joinState';
import { streamsOf } from '../core/names';
import { settings } from '../runtime/settings';

const enc = new TextEncoder();
const dec = new TextDecoder();
const nameOf = (batch: number) => `batch-${String(batch).padStart(15, '0')}`;
const batchOf = (name: string) => (/^batch-(\d+)$/.test(name) ? Number(name.slice(6)) : undefined);
const KEEP = 2;

export class JoinSnapshots {
  private constructor(private readonly os: ObjectStore) {}

  static async open(js: JetStreamClient, spec: PipelineSpec): Promise<JoinSnapshots> {
    const names = streamsOf(spec.name);
    const os = await js.views.os(names.joinBucket, { storage: StorageType.File });
    if (settings.jetstreamReplicas > 1) {
      // the object store view does not pass replicas on to the server: set them on its stream
      const jsm = await js.jetstreamManager();
      const info = await jsm.streams.info(names.joinBucketStream);
      if (info.config.num_replicas !== settings.jetstreamReplicas) await jsm.streams.update(names.joinBucketStream, { ...info.config, num_replicas: settings.jetstreamReplicas });
    }
    return new JoinSnapshots(os);
  }

  private async batches(): Promise<number[]> {
    const names = (await this.os.list()).filter((o) => !o.deleted).map((o) => batchOf(o.name));
    return names.filter((b): b is number => b !== undefined).sort((a, b) => a - b);
  }

  /** The newest snapshot, or undefined when none was written yet. */
  async latest(): Promise<{ batch: number; snapshot: JoinSnapshot } | undefined> {
    const batch = (await this.batches()).pop();
    if (batch === undefined) return undefined;
    // journal entries up to this batch may be purged already: an older snapshot cannot stand in for it
    const data = await this.os.getBlob(nameOf(batch));
    if (!data) throw new Error(`join snapshot ${nameOf(batch)} is listed but cannot be read`);
    return { batch, snapshot: JSON.parse(dec.decode(data)) as JoinSnapshot };
  }

  /** Writes the state after `batch` (only once that batch is in ClickHouse) and drops all but the newest two. */
  async write(batch: number, snapshot: JoinSnapshot): Promise<void> {
    await this.os.putBlob({ name: nameOf(batch) }, enc.encode(JSON.stringify(snapshot)));
    const old = (await this.batches()).filter((b) => b < batch);
    for (const b of old.slice(0, Math.max(0, old.length - (KEEP - 1)))) await this.os.delete(nameOf(b));
  }
}
