// The faults the chaos suite injects, each against the real local stack.
import { execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { repoRoot, startWorker } from '../loadtest/localWorker';

export { sleep };

/** Worker processes of one chaos run, all on its own task queue. */
export class Workers {
  readonly all: ChildProcess[] = [];
  /** the crash point the scenario's workers are started with, if any */
  faultPoint?: string;
  constructor(private readonly taskQueue: string) {}

  start(env: NodeJS.ProcessEnv = {}): ChildProcess {
    const w = startWorker('chaos-worker', { ...env, SLUICE_TASK_QUEUE: this.taskQueue });
    this.all.push(w);
    return w;
  }

  alive(): ChildProcess[] {
    return this.all.filter((w) => w.exitCode === null && w.signalCode === null);
  }

  async kill(w: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (w.exitCode !== null || w.signalCode !== null) return;
    const exited = new Promise((r) => w.once('exit', r));
    w.kill(signal);
    await exited;
  }

  /** SIGKILLs every live worker, one after another. */
  async killAll(): Promise<void> {
    for (const w of this.alive()) await this.kill(w);
  }

  /** Live workers that are frozen (SIGSTOP, by a freeze fault point). */
  frozen(): ChildProcess[] {
    return this.alive().filter(isStopped);
  }

  async stopAll(): Promise<void> {
    this.thawing = false;
    for (const w of this.frozen()) w.kill('SIGCONT');
    await Promise.all(this.alive().map((w) => this.kill(w, 'SIGTERM')));
  }

  private thawing = false;
  /** From now on, a worker that freezes is thawed at once (the scenario has had its freezes). */
  thawFromNowOn(): void {
    this.thawing = true;
    const tick = () => {
      if (!this.thawing) return;
      for (const w of this.frozen()) w.kill('SIGCONT');
      setTimeout(tick, 100).unref();
    };
    tick();
  }
}

/** True while the process is stopped (state T in /proc/<pid>/stat). */
export function isStopped(w: ChildProcess): boolean {
  try {
    return readFileSync(`/proc/${w.pid}/stat`, 'utf8').replace(/^.*\) /, '').startsWith('T');
  } catch {
    return false;
  }
}

/**
 * Seconds from each fault's end to the next row-count sample showing more rows than the last
 * count read before it (a count of -1 = ClickHouse itself was down, not a reading).
 */
export function recoverySeconds(samples: ReadonlyArray<[number, number]>, faultEnds: number[]): number[] {
  return faultEnds.map((t) => {
    const before = [...samples].reverse().find(([at, n]) => at <= t && n >= 0)?.[1] ?? 0;
    const next = samples.find(([at, n]) => at > t && n > before);
    return next ? (next[0] - t) / 1000 : NaN;
  });
}

/** The longest of the recoveries (NaN when nothing went down, or when rows never came back). */
export function worstRecoverySeconds(samples: ReadonlyArray<[number, number]>, faultEnds: number[]): number {
  const r = recoverySeconds(samples, faultEnds);
  return r.length ? Math.max(...r) : NaN;
}

/** Stops a service of the local stack and starts it again after `downMs`. */
export async function restartService(service: 'nats' | 'clickhouse' | 'kafka' | 'temporal', downMs: number): Promise<void> {
  const stack = (cmd: string) => execFileSync('bash', [join(repoRoot, 'stack', 'stack.sh'), cmd, service], { stdio: 'pipe' });
  stack('down');
  await sleep(downMs);
  stack('up');
}
