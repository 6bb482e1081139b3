// A scenario script's `options` and what the CLI changes in them (pure). The names follow k6;
// `pipeline`, `params` and `verify` are Sluice's additions.
import { parseDuration } from '../core/duration';
import type { ExecutorConfig } from './executors';
import type { ThresholdInput } from './thresholds';
import type { PipelineSpec } from '../core/spec/schema';
import type { Iteration, LoadEvent } from './iteration';

/** Generator parameters the CLI can set (--duplication-rate, --malformed-rate, --seed). */
export interface Params {
  duplicationRate: number;
  malformedRate: number;
  seed: number;
  [name: string]: unknown;
}

export interface Options {
  scenarios?: Record<string, ExecutorConfig>;
  thresholds?: ThresholdInput;
  /** the pipeline file to load-test (default pipelines/checkout-purchases.yaml) */
  pipeline?: string;
  params?: Partial<Params>;
  /** Kafka partitions of each topic (default 3) */
  partitions?: number;
  verify?: {
    /** how long to wait for ClickHouse to hold every expected row after the last event (default 2m) */
    timeout?: string;
    /** the column that identifies an event, for the no-duplicates check (default event_id) */
    keyColumn?: string;
  };
}

/** What a script's setup() gets, to build its generators. */
export interface SetupContext {
  params: Params;
  /** the pipeline under test (the load test's own copy) */
  spec: PipelineSpec;
  /** its first source's dedup window and time, for generators that send copies */
  dedup?: { windowMs: number; time: 'arrival' | 'event' };
  /** a prefix for event ids, fixed by the seed */
  runId: string;
}

export type IterationFn<D = unknown> = (data: D, it: Iteration) => LoadEvent | undefined;

/** What the CLI says, overriding the script. */
export interface Overrides {
  events?: number;
  /** events per second; Infinity: as fast as possible */
  rps?: number;
  duplicationRate?: number;
  malformedRate?: number;
  seed?: number;
  pipeline?: string;
  partitions?: number;
  timeout?: string;
}

export interface Resolved {
  scenarios: Record<string, ExecutorConfig>;
  thresholds: ThresholdInput;
  pipeline: string;
  params: Params;
  partitions: number;
  verifyTimeoutMs: number;
  keyColumn: string;
}

const DEFAULT_PARAMS: Params = { duplicationRate: 0.3, malformedRate: 0.005, seed: 42 };

/** k6's `--iterations`/`--vus` replace the script's scenarios; so do --events and --rps here. */
function cliScenario(first: [string, ExecutorConfig] | undefined, o: Overrides): Record<string, ExecutorConfig> {
  const [name, base] = first ?? ['default', undefined];
  const exec = base?.exec;
  const rate = o.rps ?? (base?.executor === 'constant-arrival-rate' ? base.rate * (1000 / (parseDuration(base.timeUnit ?? '1s') ?? 1000)) : 1000);
  const events = o.events ?? (base?.executor === 'shared-iterations' || base?.executor === 'constant-arrival-rate' ? base.iterations : undefined) ?? 10_000;
  if (!Number.isFinite(rate)) return { [name]: { executor: 'shared-iterations', iterations: events, exec } };
  return { [name]: { executor: 'constant-arrival-rate', rate, timeUnit: '1s', iterations: events, exec } };
}

export function resolveOptions(script: Options, o: Overrides = {}): Resolved {
  const scenarios = script.scenarios ?? {};
  const first = Object.entries(scenarios)[0];
  const timeout = o.timeout ?? script.verify?.timeout ?? '2m';
  const verifyTimeoutMs = parseDuration(timeout);
  if (verifyTimeoutMs === undefined) throw new Error(`verify timeout: expected a duration like 2m, got "${timeout}"`);
  const given = Object.fromEntries(Object.entries({ duplicationRate: o.duplicationRate, malformedRate: o.malformedRate, seed: o.seed }).filter(([, v]) => v !== undefined));
  return {
    scenarios: o.events !== undefined || o.rps !== undefined || !first ? cliScenario(first, o) : scenarios,
    thresholds: script.thresholds ?? {},
    pipeline: o.pipeline ?? script.pipeline ?? 'pipelines/checkout-purchases.yaml',
    params: { ...DEFAULT_PARAMS, ...script.params, ...given },
    partitions: o.partitions ?? script.partitions ?? 3,
    verifyTimeoutMs,
    keyColumn: script.verify?.keyColumn ?? 'event_id',
  };
}
