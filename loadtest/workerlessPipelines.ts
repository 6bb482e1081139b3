// Pipelines whose task queue has no worker: cheap to create by the hundred (nothing is provisioned,
// no stage runs), for measuring the pipelines list (loadtest/listBench.ts, test/integration/pipelineList.test.ts).
// The list shows them as NO_WORKER. remove() terminates them and deletes them from Temporal's visibility.
import { Client, Connection } from '@temporalio/client';
import type Long from 'long';
import { settings } from '../runtime/settings';
import { dataConverter } from '../runtime/payloadCodec';
import { workflowIdOf } from '../core/names';
import { specFrom } from '../client/pipelines';
import type { PipelineInput, PipelineMemo } from '../workflows/signals';

export interface Workerless { names: string[]; taskQueue: string; remove(): Promise<void>; close(): Promise<void> }

const spec = (name: string) => specFrom({
  version: 1, name,
  sources: [{ name: 'events', kafka: { brokers: settings.kafkaBrokers, topic: name }, schema: { fields: { id: 'string' } }, dedup: { key: 'id', window: '1h' } }],
  sink: { clickhouse: { url: settings.clickhouseUrl, database: 'sluice_test', table: name.replace(/-/g, '_') } },
});

/**
 * A namespace of the bench's own (one day of retention), so the runs it leaves while Temporal
 * deletes them (a dev server deletes about 16 a minute) are not listed in everyone's pipelines.
 */
export async function benchNamespace(name: string): Promise<string> {
  const connection = await Connection.connect({ address: settings.temporalAddress });
  try {
    await connection.workflowService.registerNamespace({ namespace: name, workflowExecutionRetentionPeriod: { seconds: 86_400 as unknown as Long } }).catch((e: Error) => {
      if (!/already/i.test(e.message)) throw e;
    });
    // a new namespace is usable once the server's namespace cache has it (some seconds)
    for (let i = 0; ; i++) {
      const ok = await connection.workflowService.countWorkflowExecutions({ namespace: name, query: '' }).then(() => true, () => false);
      if (ok) return name;
      if (i > 60) throw new Error(`namespace ${name} did not become usable`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  } finally {
    await connection.close();
  }
}

/** Starts `count` pipelines named `<prefix>-0000` … on a task queue no worker polls, `parallel` at a time (in `namespace`). */
export async function startWorkerless(prefix: string, count: number, parallel = 20, namespace = settings.temporalNamespace): Promise<Workerless> {
  const connection = await Connection.connect({ address: settings.temporalAddress });
  const client = new Client({ connection, namespace, dataConverter: dataConverter() });
  const taskQueue = `${prefix}-no-worker`;
  const names = Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(4, '0')}`);
  const each = async (fn: (name: string) => Promise<unknown>) => {
    for (let i = 0; i < names.length; i += parallel) await Promise.all(names.slice(i, i + parallel).map(fn));
  };
  const runs = new Map<string, string>();
  await each(async (name) => {
    const s = spec(name);
    const h = await client.workflow.start('pipelineWorkflow', { taskQueue, workflowId: workflowIdOf(name), args: [{ spec: s } satisfies PipelineInput], memo: { spec: s } satisfies PipelineMemo });
    runs.set(name, h.firstExecutionRunId);
  });
  return {
    names, taskQueue,
    remove: () => each(async (name) => {
      const workflowId = workflowIdOf(name);
      await client.workflow.getHandle(workflowId).terminate('workerless pipeline removed').catch(() => undefined);
      // by run id: without one, a delete right after the terminate can miss the run, which then stays listed
      await client.workflowService.deleteWorkflowExecution({ namespace, workflowExecution: { workflowId, runId: runs.get(name) } });
    }),
    close: () => connection.close(),
  };
}
