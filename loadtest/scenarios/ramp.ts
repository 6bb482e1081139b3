// Finding where the pipeline stops keeping up: the arrival rate ramps from 1,000/s to 10,000/s
// over two minutes, holds for one, then a second scenario sends exact resends (producer retries)
// in parallel. Watch e2e_latency and dropped_iterations.
import type { Options, SetupContext } from '../options';
import type { Iteration } from '../iteration';
import { purchases } from '../generators/purchases';

export const options: Options = {
  scenarios: {
    ramp: {
      executor: 'ramping-arrival-rate', startRate: 1000, timeUnit: '1s',
      stages: [{ duration: '2m', target: 10_000 }, { duration: '1m', target: 10_000 }],
    },
    retries: { executor: 'constant-arrival-rate', rate: 200, duration: '2m', startTime: '30s', exec: 'retries' },
  },
  thresholds: {
    e2e_latency: ['p(95)<5000'],
    rows_missing: ['count==0'],
    duplicates_in_sink: ['count==0'],
    dlq_mismatch: ['count==0'],
  },
  params: { duplicationRate: 0.2, malformedRate: 0.001, seed: 7 },
};

export function setup(ctx: SetupContext) {
  const { params: p, dedup } = ctx;
  return {
    ramp: purchases({ runId: `${ctx.runId}-ramp`, seed: p.seed, duplicationRate: p.duplicationRate, malformedRate: p.malformedRate, dedup }),
    // a stream of purchases of which every second one is resent unchanged within 200 ms
    retries: purchases({ runId: `${ctx.runId}-retry`, seed: p.seed + 1, duplicationRate: 0, retryRate: 0.5, malformedRate: 0, dedup }),
  };
}

export default (g: ReturnType<typeof setup>, it: Iteration) => g.ramp(it);
export const retries = (g: ReturnType<typeof setup>, it: Iteration) => g.retries(it);
