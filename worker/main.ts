// The Sluice worker: runs pipeline workflows and their stage activities from one task queue.
// Run as many as you like; Temporal spreads the stages over them and moves a dead one's stages.
import { createServer } from 'node:http';
import { NativeConnection, Worker, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import * as activities from '../activities';
import { registry } from '../runtime/metrics';
import { closeNats } from '../runtime/connections';
import { settings } from '../runtime/settings';
import { jsonLogger } from './logging';
import { dataConverter } from '../runtime/payloadCodec';
import { prebuiltBundle, workflowsPath } from './workflowBundle';
import { shutdownGraceMs, shutdownPlan } from './shutdown';

async function main(): Promise<void> {
  Runtime.install({ logger: jsonLogger((process.env.SLUICE_LOG_LEVEL ?? 'INFO').toUpperCase() as 'INFO'), telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }) } } });
  const plan = shutdownPlan(shutdownGraceMs());
  // Temporal's runtime turns SIGTERM/SIGINT into worker.shutdown(); this makes sure the process is gone by the grace time
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      console.log(`[worker] ${signal}: stopping (exit within ${plan.exitByMs / 1000}s)`);
      setTimeout(() => { console.error('[worker] grace time over: exiting'); process.exit(1); }, plan.exitByMs).unref();
    });
  }
  const connection = await NativeConnection.connect({ address: settings.temporalAddress });
  const bundle = process.env.SLUICE_WORKFLOW_BUNDLE === 'off' ? undefined : prebuiltBundle();
  if (!bundle) console.log('[worker] no prebuilt workflow bundle (or an outdated one): bundling the workflows now');
  const worker = await Worker.create({
    connection,
    namespace: settings.temporalNamespace,
    taskQueue: settings.taskQueue,
    dataConverter: dataConverter(),
    ...(bundle ? { workflowBundle: { codePath: bundle } } : { workflowsPath }),
    activities,
    // every stage (an ingest member, a sink shard) holds one slot while it runs; a worker that is full polls no more
    maxConcurrentActivityTaskExecutions: settings.workerMaxActivities,
    // few open activity polls: a frozen worker's open polls still take tasks (each then waits out a
    // heartbeat timeout before it is retried elsewhere), so fewer polls move a frozen worker's stages sooner
    maxConcurrentActivityTaskPolls: 2,
    shutdownGraceTime: plan.shutdownGraceTime,
    shutdownForceTime: plan.shutdownForceTime,
    // heartbeats carry cancellation (pause, update, stop) back to the stages: send them at least every second
    maxHeartbeatThrottleInterval: '1s',
  });
  const metrics = createServer(async (req, res) => {
    if (req.url === '/metrics') {
      res.setHeader('content-type', registry.contentType);
      res.end(await registry.metrics());
    } else if (req.url === '/healthz') {
      const state = worker.getState();
      res.statusCode = state === 'RUNNING' ? 200 : 503;
      res.end(state);
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  metrics.listen(settings.workerMetricsPort, settings.workerMetricsHost).on('error', (e) => console.warn(`[worker] metrics port: ${e.message}`));
  console.log(`[worker] pid ${process.pid} polling task queue "${settings.taskQueue}" on ${settings.temporalAddress}; metrics http://${settings.workerMetricsHost}:${settings.workerMetricsPort}/metrics`);
  try {
    await worker.run();
  } finally {
    metrics.close();
    metrics.closeAllConnections();
    await closeNats().catch(() => undefined);
    await connection.close();
  }
}

// exit once the worker stopped: a stage's leftover socket or timer must not keep the process alive
main().then(() => process.exit(0), (e) => {
  console.error('[worker] fatal:', e);
  process.exit(1);
});
