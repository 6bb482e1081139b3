// What a scenario script's function receives and returns for each iteration.

/** What the pipeline must make of an event; the verification adds these up. */
export type Expect =
  /** a new key: one row */
  | 'row'
  /** a key that already has a row, sent again after the dedup window: a second row */
  | 'repeat-row'
  /** dropped as a duplicate */
  | 'duplicate'
  /** sent to the DLQ */
  | 'dlq';

export interface LoadEvent {
  /** Kafka message key (default: none, so partitions are chosen round-robin) */
  key?: string;
  /** the message: an object is sent as JSON, null as a tombstone */
  value: string | Record<string, unknown> | null;
  /** the pipeline source (by name) whose topic gets it; default: the first source */
  source?: string;
  /** default: 'row' */
  expect?: Expect;
}

export interface Iteration {
  scenario: string;
  /** this scenario's iteration number, from 0 */
  iteration: number;
  /** how many iterations the scenario runs in all */
  iterations: number;
  /**
   * ms since the scenario began, by its schedule, so a seeded run makes the same events every time
   * (shared-iterations has no schedule: the clock's time)
   */
  timeMs: number;
}
