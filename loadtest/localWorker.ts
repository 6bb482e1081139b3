// Makes sure a Sluice worker polls the task queue; starts one (logging to .stack/logs) if none does.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Connection } from '@temporalio/client';
import { settings } from '../runtime/settings';

export const repoRoot = resolve(__dirname, '..', '..');
export const stackDir = process.env.SLUICE_STACK_DIR ?? join(repoRoot, '.stack');

/** Workers that polled the task queue (activities) within the last minute. */
async function pollersOn(connection: Connection, taskQueue: string): Promise<number> {
  const r = await connection.workflowService.describeTaskQueue({
    namespace: settings.temporalNamespace,
    taskQueue: { name: taskQueue },
    taskQueueType: 2, // activity
  });
  return (r.pollers ?? []).filter((p) => Date.now() - Number(p.lastAccessTime?.seconds ?? 0) * 1000 < 60_000).length;
}

/** Starts a worker process (node with `nodeArgs`, e.g. --cpu-prof); its output goes to .stack/logs/<name>.log. */
export function startWorker(name = 'worker', env: NodeJS.ProcessEnv = {}, nodeArgs: string[] = []): ChildProcess {
  mkdirSync(join(stackDir, 'logs'), { recursive: true });
  const log = openSync(join(stackDir, 'logs', `${name}.log`), 'a');
  return spawn(process.execPath, [...nodeArgs, join(repoRoot, 'dist', 'worker', 'main.js')], {
    stdio: ['ignore', log, log],
    env: { ...process.env, SLUICE_WORKER_METRICS_PORT: '0', ...env },
  });
}

/** Waits until the worker's task-queue poll shows up in Temporal. */
export async function waitForPollers(taskQueue = settings.taskQueue, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  const connection = await Connection.connect({ address: settings.temporalAddress });
  try {
    while ((await pollersOn(connection, taskQueue)) < 1) {
      if (Date.now() > until) throw new Error(`no Sluice worker polled task queue "${taskQueue}" within ${timeoutMs / 1000}s (see .stack/logs/worker.log)`);
      await new Promise((r) => setTimeout(r, 300));
    }
  } finally {
    await connection.close();
  }
}
