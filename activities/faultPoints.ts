// Deterministic fault points for the chaos suite; unset in production (no effect).
//   SLUICE_FAULT_POINT="after-journal:3"            SIGKILL this worker the 3rd time the sink gets there
//   SLUICE_FAULT_POINT="after-journal:4:freeze:5"   SIGSTOP it (a frozen process: GC pause, VM stall) at
//                                                   the 4th, 8th, ... hit, 5 times at most; the chaos
//                                                   runner sees the stopped process and sends SIGCONT
//   SLUICE_FAULT_POINT="after-journal:3:wedge"      the 3rd time, the sink's commit waits forever (a
//                                                   request that never returns) while the process lives
//   SLUICE_FAULT_POINT="after-journal:3:fail"       the 3rd time, the commit fails after 2 s, as an INSERT
//                                                   whose connection is dropped (no answer from ClickHouse)
// Points: after-journal (journal entry written, INSERT not begun), mid-insert (half of the
// INSERT's rows sent), after-insert (rows in ClickHouse, nothing acknowledged).
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RowLines } from '../core/rowLines';

/** a failing commit takes this long to fail, so the sink's clock takes more batches meanwhile */
const FAIL_AFTER_MS = 2_000;

export type FaultPoint = 'after-journal' | 'mid-insert' | 'after-insert';

const [point, nthText, action = 'kill', timesText] = (process.env.SLUICE_FAULT_POINT ?? '').split(':');
const nth = Number(nthText ?? 1);
const times = action === 'freeze' ? Number(timesText ?? 1) : 1;
let hits = 0;
let fired = 0;

/** Reaches a fault point: kills or freezes this process, or (wedge) gives a promise that never settles. */
export function faultPoint(at: FaultPoint): Promise<never> | undefined {
  if (at !== point || fired >= times) return undefined;
  hits++;
  if (hits % nth !== 0) return undefined;
  fired++;
  if (action === 'wedge') return new Promise<never>(() => undefined);
  if (action === 'fail') return sleep(FAIL_AFTER_MS).then(() => { throw new Error('fault point: socket hang up (injected)'); });
  process.kill(process.pid, action === 'freeze' ? 'SIGSTOP' : 'SIGKILL');
  return undefined;
}

/**
 * The body of an INSERT (its rows' lines): as one chunk, or, when `at` is the armed point, line by
 * line, reaching the fault point after half of them (so the process stops in the middle of the request).
 */
export function faultBody(at: FaultPoint, rows: RowLines): Buffer | Readable {
  if (at !== point || fired >= times) return rows.bytes();
  const half = rows.count >> 1;
  return Readable.from((function* () {
    for (let i = 0; i < rows.count; i++) {
      if (i === half) void faultPoint(at);
      yield rows.line(i);
    }
  })(), { objectMode: false });
}
