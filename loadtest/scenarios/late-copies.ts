// Copies beyond the dedup window: with a 10 s window, 10% of the backend copies come 12 s after
// the purchase and must be inserted again (expect: 'repeat-row'); the rest are dropped. Runs on a
// copy of the checkout pipeline with the window shortened by the script's pipeline file.
import type { Options, SetupContext } from '../options';
import type { Iteration } from '../iteration';
import { purchases } from '../generators/purchases';

export const options: Options = {
  scenarios: {
    purchases: { executor: 'constant-arrival-rate', rate: 500, duration: '40s' },
  },
  thresholds: {
    rows_missing: ['count==0'],
    rows_extra: ['count==0'],
    duplicates_in_sink: ['count==0'],
    dlq_mismatch: ['count==0'],
  },
  pipeline: 'loadtest/scenarios/checkout-purchases-10s.yaml',
  params: { duplicationRate: 0.3, malformedRate: 0.005, seed: 5 },
};

export function setup(ctx: SetupContext) {
  const p = ctx.params;
  return purchases({ runId: ctx.runId, seed: p.seed, duplicationRate: p.duplicationRate, malformedRate: p.malformedRate, beyondWindowRate: 0.1, copyDelayMs: [0, 2000], dedup: ctx.dedup });
}

export default (next: ReturnType<typeof setup>, it: Iteration) => next(it);
