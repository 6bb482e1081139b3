// `npm run demo`: the seed scenario end to end. Creates the checkout-purchases pipeline from
// pipelines/checkout-purchases.yaml, sends 10,000 purchase events at 1,000 events/s (about 30%
// tracked twice, a few malformed) and checks ClickHouse holds exactly one row per purchase.
// `npm run demo -- join`: the purchases-enriched pipeline (pipelines/purchases-enriched.yaml)
// with profiles, purchases and payments (about 24,000 events at 2,000/s), every joined row checked.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PipelineService, specFrom } from '../client/pipelines';
import { seedScenario } from './seedEvents';
import { printResult, runScenario } from './pipelineRun';
import { printJoinResult, runJoinBench } from './benchJoin';
import { repoRoot, startWorker, waitForPollers } from './localWorker';

async function main(): Promise<void> {
  const spec = specFrom(readFileSync(join(repoRoot, 'pipelines', 'checkout-purchases.yaml'), 'utf8'));
  const svc = await PipelineService.connect();
  // its own worker, beside any already running: the pipeline's stages run on whichever polls first
  const worker = startWorker('demo-worker');
  console.log(`[demo] started a worker (pid ${worker.pid}, log .stack/logs/demo-worker.log)`);
  try {
    await waitForPollers();
    if (process.argv.includes('join')) {
      const joinSpec = specFrom(readFileSync(join(repoRoot, 'pipelines', 'purchases-enriched.yaml'), 'utf8'));
      const r = await runJoinBench(svc, joinSpec, { rate: Number(process.env.DEMO_RATE ?? 2000), users: 1000, purchases: 10_000, log: (l) => console.log(`[demo] ${l}`) });
      console.log('');
      printJoinResult(r);
      if (!r.ok) process.exitCode = 1;
      return;
    }
    const r = await runScenario(svc, {
      spec, events: seedScenario, rate: Number(process.env.DEMO_RATE ?? 1000), partitions: 3,
      log: (l) => console.log(`[demo] ${l}`),
    });
    console.log('');
    printResult(r);
    if (!r.ok) process.exitCode = 1;
  } finally {
    await svc.close();
    worker.kill('SIGTERM');
  }
}

main().catch((e) => {
  console.error('[demo] failed:', e instanceof Error ? e.message : e);
  process.exit(1);
});
