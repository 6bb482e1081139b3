// Structured logs: one JSON object per line, with the pipeline id on every line that concerns one.
import { DefaultLogger, type LogEntry } from '@temporalio/worker';
import { pipelineOfWorkflowId } from '../core/names';

export function jsonLine(entry: LogEntry): string {
  const meta = (entry.meta ?? {}) as Record<string, unknown>;
  const { taskToken: _omit, ...rest } = meta;
  const workflowId = typeof meta.workflowId === 'string' ? meta.workflowId : undefined;
  const pipeline = (meta.pipeline as string | undefined) ?? (workflowId ? pipelineOfWorkflowId(workflowId) : undefined);
  const error = rest.error instanceof Error ? { error: rest.error.message } : {};
  return JSON.stringify({
    ts: new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString(),
    level: entry.level.toLowerCase(),
    msg: entry.message,
    ...(pipeline ? { pipeline } : {}),
    ...rest,
    ...error,
  });
}

export const jsonLogger = (level: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' = 'INFO') =>
  new DefaultLogger(level, (entry) => {
    (entry.level === 'ERROR' || entry.level === 'WARN' ? process.stderr : process.stdout).write(`${jsonLine(entry)}\n`);
  });
