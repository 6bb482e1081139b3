// How a worker stops (SIGTERM, SIGINT): it stops polling, cancels its stages at once (the sink
// commits its open batch, ingest its offsets; Temporal retries them on another worker about a
// second later), and exits within its grace time whatever a stage is stuck in.
import { parseDuration } from '../core/duration';

export const DEFAULT_SHUTDOWN_GRACE = '20s';

/** SLUICE_WORKER_SHUTDOWN_GRACE: the most a stopping worker takes, from the signal to its exit (default 20s). */
export function shutdownGraceMs(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.SLUICE_WORKER_SHUTDOWN_GRACE ?? DEFAULT_SHUTDOWN_GRACE;
  const ms = parseDuration(text);
  if (ms === undefined || ms < 2_000) throw new Error(`SLUICE_WORKER_SHUTDOWN_GRACE: expected a duration of at least 2s like 20s, got "${text}"`);
  return ms;
}

/**
 * The worker's shutdown options: stages are cancelled right away (no grace for activities that
 * never end by themselves); what has not finished `forceMs` after the signal is abandoned, and the
 * process exits by `graceMs` at the latest (the last second or so is left for closing connections).
 */
export function shutdownPlan(graceMs: number): { shutdownGraceTime: number; shutdownForceTime: number; exitByMs: number } {
  return { shutdownGraceTime: 0, shutdownForceTime: Math.max(1_000, graceMs - 1_500), exitByMs: graceMs };
}
