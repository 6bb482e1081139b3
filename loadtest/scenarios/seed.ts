// The seed experiment: purchases, 30% tracked twice (front end, then the payment backend up to a
// second later), 0.5% malformed, at a constant rate. `npm run loadtest` runs 10,000 at 1,000/s;
// `npm run loadtest -- --events 300000 --rps 3000` the long run.
import type { Options, SetupContext } from '../options';
import type { Iteration } from '../iteration';
import { purchases } from '../generators/purchases';

export const options: Options = {
  scenarios: {
    purchases: { executor: 'constant-arrival-rate', rate: 1000, timeUnit: '1s', duration: '10s' },
  },
  thresholds: {
    e2e_latency: ['p(99)<2000'],
    rows_missing: ['count==0'],
    duplicates_in_sink: ['count==0'],
    dlq_mismatch: ['count==0'],
    dropped_iterations: ['count==0'],
    checks: ['rate==1'],
  },
  pipeline: 'pipelines/checkout-purchases.yaml',
  params: { duplicationRate: 0.3, malformedRate: 0.005, seed: 42 },
};

/** Once before the run: the seeded generator, told the pipeline's dedup window. */
export function setup(ctx: SetupContext) {
  return purchases({ runId: ctx.runId, seed: ctx.params.seed, duplicationRate: ctx.params.duplicationRate, malformedRate: ctx.params.malformedRate, dedup: ctx.dedup });
}

/** Once per iteration: the event to send. */
export default function (next: ReturnType<typeof setup>, it: Iteration) {
  return next(it);
}
