// Adding up stage counters: a sharded sink's figures are the sum of its shards', a source's
// ingest figures the sum of its consumer-group members'. Pure and import-free: the workflow uses it.
/** The sum of several stages' counters (the pipeline's figures from its shards', or a source's from its ingest members'). */
export function sumCounters(parts: ReadonlyArray<Record<string, number> | undefined>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of parts) for (const [k, v] of Object.entries(p ?? {})) if (typeof v === 'number') out[k] = (out[k] ?? 0) + v;
  return out;
}
