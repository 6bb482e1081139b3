import { rmSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const alive = (pid: number) => {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
};

/** Removes the stores `<prefix><pid>` of processes that are gone (a SIGKILLed worker leaves its store behind). */
export function removeStaleStores(dir: string, prefix: string): void {
  let names: string[];
  try { names = readdirSync(dir); } catch { return; }
  for (const n of names) {
    const pid = n.startsWith(prefix) ? Number(n.slice(prefix.length)) : NaN;
    if (Number.isInteger(pid) && pid !== process.pid && !alive(pid)) rmSync(join(dir, n), { recursive: true, force: true });
  }
}
