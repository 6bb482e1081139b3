// `npm run loadtest -- [script] --events N --rps R ...`: a k6-style load test of one pipeline.
// Progress and logs go to stderr, the summary to stdout; exit 99 when a threshold fails, as k6.
import { writeFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { PipelineService } from '../client/pipelines';
import { settings } from '../runtime/settings';
import { parseArgs, USAGE, type CliArgs } from './args';
import { scheduleOf } from './executors';
import { startWorker, waitForPollers } from './localWorker';
import { resolveOptions } from './options';
import { metricTypes } from './results';
import { runLoadTest, type LoadTest } from './run';
import { loadScript } from './script';
import { isolatedSpec, specFile } from './specs';
import { formatSummary, summaryJson, thresholdsPassed, type SummaryData } from './summary';
import { checkThresholds, parseThresholds } from './thresholds';

const THRESHOLDS_FAILED = 99;
const BAD_INPUT = 2;
const log = (l: string) => process.stderr.write(`[loadtest] ${l}\n`);

/** Everything that can be wrong with the arguments or the script, found before any service is touched. */
function prepare(args: CliArgs) {
  const script = loadScript(args.script ?? 'seed');
  const options = resolveOptions(script.options, args.overrides);
  const thresholds = parseThresholds(options.thresholds);
  checkThresholds(thresholds, metricTypes());
  for (const [name, c] of Object.entries(options.scenarios)) scheduleOf(name, c);
  return { script, options, thresholds };
}

function progressWriter(enabled: boolean): { write(line: string): void; end(): void } {
  const tty = process.stderr.isTTY;
  let n = 0;
  return {
    // on a terminal the line is rewritten every second; in a log (a Kubernetes Job), every 10 s
    write: (line) => {
      if (!enabled) return;
      if (tty) process.stderr.write(`\r\x1b[K${line}`);
      else if (n++ % 10 === 0) process.stderr.write(`${line}\n`);
    },
    end: () => { if (enabled && tty) process.stderr.write('\r\x1b[K'); },
  };
}

function report(summary: SummaryData, args: CliArgs, handle?: (d: SummaryData) => Record<string, string>): void {
  const outputs = handle ? handle(summary) : { stdout: formatSummary(summary) };
  for (const [to, text] of Object.entries(outputs)) {
    if (to === 'stdout') process.stdout.write(`${text}\n`);
    else writeFileSync(to, text);
  }
  if (args.summaryExport) {
    writeFileSync(args.summaryExport, `${JSON.stringify(summaryJson(summary), null, 2)}\n`);
    log(`summary written to ${args.summaryExport}`);
  }
}

async function stopWorker(w: ChildProcess | undefined): Promise<void> {
  if (!w || w.exitCode !== null || w.signalCode !== null) return;
  const exited = new Promise((r) => w.once('exit', r));
  w.kill('SIGTERM');
  await exited;
}

async function main(): Promise<number> {
  let args: CliArgs, prepared: ReturnType<typeof prepare>;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`[loadtest] ${(e as Error).message}\n\n${USAGE}`);
    return BAD_INPUT;
  }
  if (args.help) { console.log(USAGE); return 0; }
  try {
    prepared = prepare(args);
  } catch (e) {
    console.error(`[loadtest] ${(e as Error).message}`);
    return BAD_INPUT;
  }
  const taskQueue = args.taskQueue ?? (args.worker === 'local' ? 'sluice-loadtest' : settings.taskQueue);
  const svc = await PipelineService.connect(taskQueue);
  let worker: ChildProcess | undefined;
  const progress = progressWriter(args.progress);
  try {
    const file = specFile(prepared.options.pipeline);
    const base = file ? file.spec : await svc.spec(prepared.options.pipeline).catch((e: Error) => { // else: a running pipeline's name
      throw new Error(`pipeline ${prepared.options.pipeline}: no such file, nor a running pipeline of that name (${e.message})`);
    });
    const spec = isolatedSpec(base, `loadtest-${base.name}`.slice(0, 63).replace(/-+$/, ''), 'sluice_loadtest');
    if (args.worker === 'local') {
      // our own worker on our own task queue: the figures are this worker's, not a shared one's
      worker = startWorker('loadtest-worker', { SLUICE_TASK_QUEUE: taskQueue });
      log(`started a worker on task queue ${taskQueue} (pid ${worker.pid}, log .stack/logs/loadtest-worker.log)`);
    }
    await waitForPollers(taskQueue);
    const test: LoadTest = { ...prepared, spec, specFrom: file?.path ?? `running pipeline ${base.name}`, workerPid: worker?.pid, log, progress: progress.write };
    const summary = await runLoadTest(svc, test);
    progress.end();
    report(summary, args, prepared.script.handleSummary);
    log(`removing pipeline ${spec.name} (the table ${summary.pipeline.table} and the topic stay for inspection)`);
    await svc.delete(spec.name, spec).catch((e: Error) => log(`could not remove the pipeline: ${e.message}`));
    return thresholdsPassed(summary) ? 0 : THRESHOLDS_FAILED;
  } finally {
    progress.end();
    await svc.close();
    await stopWorker(worker);
  }
}

main().then((code) => process.exit(code), (e) => {
  console.error(`[loadtest] failed: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
});
