// `npm run demo`: the seed scenario end to end. Creates the checkout-purchases pipeline from
// pipelines/checkout-purchases.yaml, sends 10,000 purchase events at 1,000 events/s (about 30%
// tracked twice, a few malformed) and checks ClickHouse holds exactly one row per purchase.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PipelineService, specFrom } from '../api/pipelines';
import { tableRef } from '../core/ddl';
import { purchaseEvents, seedScenario } from './purchases';
import { kafkaClient, produceAtRate, recreateTopic } from './kafka';
import { clickhouse, countDistinct, countRows, watchRows } from './clickhouse';
import { repoRoot, startWorker, waitForPollers } from './localWorker';

async function main(): Promise<void> {
  const rate = Number(process.env.DEMO_RATE ?? 1000);
  const spec = specFrom(readFileSync(join(repoRoot, 'pipelines', 'checkout-purchases.yaml'), 'utf8'));
  const src = spec.sources[0].kafka;
  const table = tableRef(spec);
  const svc = await PipelineService.connect();
  const ch = clickhouse(spec.sink.clickhouse.url);
  const kafka = kafkaClient(src.brokers);
  // its own worker, beside any already running: the pipeline's stages run on whichever polls first
  const worker = startWorker('demo-worker');
  console.log(`[demo] started a worker (pid ${worker.pid}, log .stack/logs/demo-worker.log)`);
  try {
    await waitForPollers();
    console.log('[demo] removing the previous demo run (pipeline, topic, table)');
    await svc.delete(spec.name, spec).catch(() => undefined);
    await ch.command({ query: `DROP TABLE IF EXISTS ${table}` });
    await recreateTopic(kafka, src.topic, 3);

    await svc.create(spec);
    await svc.waitFor(spec.name, (s) => s.status === 'RUNNING' || s.status === 'FAILED', 60_000);
    const events = [...purchaseEvents(seedScenario)];
    const unique = events.filter((e) => e.unique).length;
    const malformed = events.filter((e) => e.malformed).length;
    console.log(`[demo] pipeline ${spec.name} running; sending ${events.length} events at ${rate}/s to topic ${src.topic}`);
    const t0 = Date.now();
    const sent = await produceAtRate(kafka, src.topic, events, rate);
    await watchRows(ch, table, unique, 60_000);
    const final = await svc.waitFor(spec.name, (s) => (s.sink.read ?? 0) >= sent.sent, 30_000).catch(() => svc.status(spec.name));
    const elapsed = (Date.now() - t0) / 1000;
    const rows = await countRows(ch, table);
    const distinct = await countDistinct(ch, table, 'event_id');
    const c = final.sink;
    console.log('');
    console.log(`  events sent          ${sent.sent}`);
    console.log(`  unique expected      ${unique}`);
    console.log(`  rows in ClickHouse   ${rows}   (distinct event_id: ${distinct})`);
    console.log(`  duplicates dropped   ${c.duplicates ?? 0}   (expected ${events.length - unique - malformed})`);
    console.log(`  dlq                  ${c.dlq ?? 0}   (expected ${malformed})`);
    console.log(`  read = inserted + duplicates + dlq:  ${c.read} = ${c.inserted} + ${c.duplicates} + ${c.dlq}`);
    console.log(`  time                 ${elapsed.toFixed(1)} s (sending took ${sent.seconds.toFixed(1)} s)`);
    const ok = rows === unique && distinct === unique && c.dlq === malformed && c.read === c.inserted + c.duplicates + c.dlq;
    console.log(ok ? '\n[demo] OK: one row per purchase, counters reconcile' : '\n[demo] MISMATCH: see the figures above');
    if (!ok) process.exitCode = 1;
  } finally {
    await ch.close();
    await svc.close();
    if (process.env.DEMO_KEEP_WORKER !== '1') worker.kill('SIGTERM');
  }
}

main().catch((e) => {
  console.error('[demo] failed:', e instanceof Error ? e.message : e);
  process.exit(1);
});
