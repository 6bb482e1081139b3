// The live progress line (pure): one line, rewritten in place on a terminal.
import { formatMs } from './executors';

export interface ProgressState {
  phase: 'sending' | 'verifying';
  elapsedMs: number;
  started: number;
  dropped: number;
  total: number;
  /** events started in the last second */
  lastSecond: number;
  /** events queued or awaiting Kafka's acknowledgement */
  inFlight: number;
  rows: number;
  /** known once sending ended */
  rowsExpected?: number;
}

export function progressLine(s: ProgressState): string {
  const time = formatMs(s.elapsedMs).padStart(7);
  if (s.phase === 'verifying') return `verifying ${time}  rows ${s.rows}/${s.rowsExpected ?? '?'} in ClickHouse`;
  const pct = s.total ? Math.floor(((s.started + s.dropped) / s.total) * 100) : 100;
  return `sending   ${time}  [${String(pct).padStart(3)}%] ${s.started}/${s.total} events  ${s.lastSecond}/s  dropped ${s.dropped}  in flight ${s.inFlight}  rows ${s.rows}`;
}
