// Incarnations: a pipeline deleted and created again under the same name is a new incarnation,
// and the sink table may still hold the rows of any number of earlier ones. Every row carries
// its batch id in _sluice_batch; the id is incarnation · 2^32 + the batch's number within the
// incarnation, so no two incarnations can have the same batch id and recovery, which counts the
// rows of one batch id, never counts another incarnation's rows. Incarnation 0 is the pipeline
// made before incarnations existed (its batch ids are its batch numbers, as they always were).
// Pure: activities/provision.ts chooses and stores the incarnation, the sink uses it.

/** Batch numbers within one incarnation: 2^32 of them (13 years at 10 batches a second). */
export const BATCH_SPAN = 2 ** 32;
/** Incarnations are 1 .. 2^21 - 1, so every batch id stays an exact integer in JavaScript (< 2^53). */
export const MAX_INCARNATION = 2 ** 21 - 1;
/** Where the incarnation is kept: the metadata of the pipeline's journal stream (made anew with the pipeline). */
export const INCARNATION_METADATA = 'sluice_incarnation';
/**
 * The incarnations of the shards a change of parallelism replaced (core/repartition.ts), in the
 * metadata of every new shard's journal: their rows are this pipeline's own (sink.onExistingRows).
 */
export const EARLIER_INCARNATIONS_METADATA = 'sluice_earlier_incarnations';

export const batchIdOf = (incarnation: number, batch: number) => incarnation * BATCH_SPAN + batch;
export const incarnationOfBatchId = (id: number) => Math.floor(id / BATCH_SPAN);

/** The SQL expression of a row's incarnation (ClickHouse 18.16 and current). */
export const INCARNATION_SQL = (column: string) => `intDiv(${column}, ${BATCH_SPAN})`;

/**
 * A new incarnation no row of the table has yet: random (two pipelines created at the same time
 * into one table are very unlikely to draw the same one), never one in `used`.
 */
export function chooseIncarnation(used: ReadonlySet<number>, random: () => number): number {
  if (used.size >= MAX_INCARNATION) throw new Error('every incarnation is used in this table');
  for (;;) {
    const n = 1 + Math.floor(random() * MAX_INCARNATION);
    if (n <= MAX_INCARNATION && !used.has(n)) return n;
  }
}

/** The incarnation stored in a journal stream's metadata; 0 (the one before incarnations) when there is none. */
export function incarnationFromMetadata(metadata: Readonly<Record<string, string>> | undefined): number {
  const v = metadata?.[INCARNATION_METADATA];
  if (v === undefined) return 0;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > MAX_INCARNATION) throw new Error(`journal stream metadata ${INCARNATION_METADATA}=${JSON.stringify(v)} is not an incarnation`);
  return n;
}

/** The incarnations a journal stream names as its pipeline's earlier ones (a change of parallelism); none when it names none. */
export function earlierIncarnationsFromMetadata(metadata: Readonly<Record<string, string>> | undefined): number[] {
  const v = metadata?.[EARLIER_INCARNATIONS_METADATA];
  if (!v) return [];
  return v.split(',').map((x) => {
    const n = Number(x);
    if (!Number.isInteger(n) || n < 0 || n > MAX_INCARNATION) throw new Error(`journal stream metadata ${EARLIER_INCARNATIONS_METADATA}=${JSON.stringify(v)} is not a list of incarnations`);
    return n;
  });
}
