// Whether a bench or demo run was exact (loadtest/pipelineRun.ts). Pure.
//
// The producer may write a send twice: when Kafka acknowledges late (a slow broker, a preload of a
// million events), kafkajs retries, and the topic then holds more records than were sent. Those
// copies are events like any other: each must end as a counted duplicate (an exact copy of an
// event) or in the DLQ (a copy of a malformed one), never as a second row. So the pipeline must
// read every record the topic holds, and the DLQ holds the malformed events sent plus at most the
// extra records.

export interface RunCounts {
  /** events the load generator sent (acknowledged by Kafka) */
  sent: number;
  /** records the topic holds after sending (≥ sent when the producer retried) */
  held: number;
  unique: number;
  malformedExpected: number;
  rows: number;
  distinct: number;
  counters: Record<string, number>;
}

export function runIsExact(r: RunCounts): boolean {
  const c = r.counters;
  const extra = r.held - r.sent;
  return extra >= 0 && r.rows === r.unique && r.distinct === r.unique && c.read === r.held
    && c.read === c.inserted + c.duplicates + c.dlq && c.dlq >= r.malformedExpected && c.dlq <= r.malformedExpected + extra;
}
