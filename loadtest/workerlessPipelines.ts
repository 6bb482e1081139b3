// Pipelines whose task queue has no worker: cheap to create by the hundred (nothing is provisioned,
// no stage runs), for measuring the pipelines list (loadtest/listBench.ts, test/integration/pipelineList.test.ts).
// The list shows them as NO_WORKER. remove() terminates them and deletes them from Temporal's visibility.
import { Client, Connection } from '@temporalio/client';
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

/** Starts `count` pipelines named `<prefix>-0000` … on a task queue no worker polls, `parallel` at a time. */
export async function startWorkerless(prefix: string, count: number, parallel = 20): Promise<Workerless> {
  const connection = await Connection.connect({ address: settings.temporalAddress });
  const client = new Client({ connection, namespace: settings.temporalNamespace, dataConverter: dataConverter() });
  const taskQueue = `${prefix}-no-worker`;
  const names = Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(4, '0')}`);
  const each = async (fn: (name: string) => Promise<unknown>) => {
    for (let i = 0; i < names.length; i += parallel) await Promise.all(names.slice(i, i + parallel).map(fn));
  };
  await each((name) => {
    const s = spec(name);
    return client.workflow.start('pipelineWorkflow', { taskQueue, workflowId: workflowIdOf(name), args: [{ spec: s } satisfies PipelineInput], memo: { spec: s } satisfies PipelineMemo });
  });
  return {
    names, taskQueue,
    remove: () => each(async (name) => {
      const workflowId = workflowIdOf(name);
      await client.workflow.getHandle(workflowId).terminate('workerless pipeline removed').catch(() => undefined);
      await client.workflowService.deleteWorkflowExecution({ namespace: settings.temporalNamespace, workflowExecution: { workflowId } }).catch(() => undefined);
    }),
    close: () => connection.close(),
  };
}
