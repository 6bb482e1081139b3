// Deterministic crash points for the chaos suite: SLUICE_FAULT_POINT="after-journal:3" makes this
// worker SIGKILL itself the 3rd time the sink reaches that point. Unset in production (no effect).
const spec = process.env.SLUICE_FAULT_POINT;
const [point, nth] = spec ? [spec.split(':')[0], Number(spec.split(':')[1] ?? 1)] : [undefined, 0];
let hits = 0;

export type FaultPoint = 'after-journal' | 'after-insert';

export function faultPoint(at: FaultPoint): void {
  if (at !== point) return;
  hits++;
  if (hits === nth) process.kill(process.pid, 'SIGKILL');
}
