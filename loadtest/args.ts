// The CLI's arguments (pure): `cli.js [script] --events N --rps R ...`.
import type { Overrides } from './options';

export interface CliArgs {
  script?: string;
  overrides: Overrides;
  summaryExport?: string;
  /** local: start a worker on the load test's own task queue; none: use the workers already polling --task-queue */
  worker: 'local' | 'none';
  taskQueue?: string;
  progress: boolean;
  help: boolean;
}

export const USAGE = `usage: npm run loadtest -- [script] [flags]
  script                  a scenario script: a name in loadtest/scenarios (default: seed), or its .ts/.js path
  --events N              replace the script's scenarios by N events ...
  --rps R                 ... at R events per second (constant-arrival-rate; "max": as fast as possible)
  --duplication-rate r    share of events that are copies of a purchase (script's params.duplicationRate)
  --malformed-rate r      share of events that are malformed (they must reach the DLQ)
  --seed S                seed of the generators
  --pipeline FILE|NAME    pipeline spec file, or the name of a running pipeline to copy (default: the script's)
  --partitions N          Kafka partitions per topic (default 3)
  --timeout D             wait this long for ClickHouse after the last event (default 2m)
  --summary-export FILE   also write the summary as JSON
  --worker local|none     start a worker of our own (default), or use the running ones (Kubernetes Job)
  --task-queue Q          Temporal task queue (default: sluice-loadtest with --worker local, else SLUICE_TASK_QUEUE)
  --no-progress           no live progress line
exit status: 0 when every threshold holds, 99 when one fails (as k6), 2 for bad arguments, 1 when the run failed`;

const number = (flag: string, v: string, ok: (n: number) => boolean = (n) => n >= 0): number => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || !ok(n)) throw new Error(`${flag}: expected a number, got "${v}"`);
  return n;
};

export function parseArgs(argv: string[]): CliArgs {
  const a: CliArgs = { overrides: {}, worker: 'local', progress: true, help: false };
  const o = a.overrides;
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].startsWith('--') && argv[i].includes('=') ? [argv[i].slice(0, argv[i].indexOf('=')), argv[i].slice(argv[i].indexOf('=') + 1)] : [argv[i], undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag}: missing value`);
      return v;
    };
    switch (flag) {
      case '--events': o.events = number(flag, value(), (n) => Number.isInteger(n) && n > 0); break;
      case '--rps': { const v = value(); o.rps = v === 'max' ? Infinity : number(flag, v, (n) => n > 0); break; }
      case '--duplication-rate': o.duplicationRate = number(flag, value(), (n) => n < 1); break;
      case '--malformed-rate': o.malformedRate = number(flag, value(), (n) => n < 1); break;
      case '--seed': o.seed = number(flag, value(), Number.isInteger); break;
      case '--pipeline': o.pipeline = value(); break;
      case '--partitions': o.partitions = number(flag, value(), (n) => Number.isInteger(n) && n > 0); break;
      case '--timeout': o.timeout = value(); break;
      case '--summary-export': a.summaryExport = value(); break;
      case '--worker': { const v = value(); if (v !== 'local' && v !== 'none') throw new Error(`--worker: expected local or none, got "${v}"`); a.worker = v; break; }
      case '--task-queue': a.taskQueue = value(); break;
      case '--no-progress': a.progress = false; break;
      case '-h': case '--help': a.help = true; break;
      default:
        if (flag.startsWith('-')) throw new Error(`unknown flag ${flag}`);
        if (a.script !== undefined) throw new Error(`one script only (got "${a.script}" and "${flag}")`);
        a.script = flag;
    }
  }
  return a;
}
