// Whether a bench or demo run was exact (loadtest/pipelineRun.ts), and the rule for producer copies the load generator's checks share (loadtest/results.ts). Pure.
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

/** The records the producer wrote twice: how many more the topics hold than events were sent (0 when not more). */
export const copiesOf = (sent: number, held: number): number => Math.max(0, held - sent);

/** A count (duplicates, DLQ entries) that must be `expected`, plus at most one for each copy. */
export const withinCopies = (n: number, expected: number, copies: number): boolean => n >= expected && n <= expected + copies;

export function runIsExact(r: RunCounts): boolean {
  const c = r.counters;
  return r.held >= r.sent && r.rows === r.unique && r.distinct === r.unique && c.read === r.held
    && c.read === c.inserted + c.duplicates + c.dlq && withinCopies(c.dlq, r.malformedExpected, copiesOf(r.sent, r.held));
}
