// `npm run bench -- max --cpu-prof=DIR`: the bench worker runs under `node --cpu-prof`; this reads
// the profile it writes on exit and lists the functions with the most self time, counting only the
// samples taken while the scenario was measured (the same monotonic clock as process.hrtime).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The parts of V8's .cpuprofile format this reads. */
export interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
  /** µs, monotonic */
  startTime: number;
  samples: number[];
  /** µs between samples */
  timeDeltas: number[];
}

export interface SelfTime {
  fn: string;
  where: string;
  ms: number;
  share: number;
}

/** A script's path from node_modules/ (a package's) or dist/ (ours), else as it is (node:internal/...). */
function fileOf(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  const pkg = path.lastIndexOf('/node_modules/');
  return pkg >= 0 ? path.slice(pkg + 1) : path.replace(/^.*\/dist\//, 'dist/');
}

/** Where a function is, coarsely: a package (node_modules/kafkajs), a file of ours (dist/core/event.js), node's own code, or V8's (garbage collector). */
export function areaOf(functionName: string, url: string): string {
  const file = fileOf(url);
  if (!file) return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /^node_modules\/((@[^/]+\/)?[^/]+)/.exec(file);
  if (pkg) return pkg[1];
  if (file.startsWith('node:')) return 'node';
  return file;
}

/** Self time per function (name and file:line, summed over its nodes), highest first; samples outside [fromUs, toUs] are left out. */
export function topSelfTime(p: CpuProfile, fromUs = -Infinity, toUs = Infinity, n = 25, by: 'function' | 'area' = 'function'): { rows: SelfTime[]; totalMs: number } {
  const label = new Map<number, string>();
  for (const node of p.nodes) {
    const f = node.callFrame;
    const file = fileOf(f.url);
    label.set(node.id, by === 'area' ? `${areaOf(f.functionName, f.url)}\t` : `${f.functionName || '(anonymous)'}\t${file ? `${file}:${f.lineNumber + 1}` : ''}`);
  }
  const self = new Map<string, number>();
  let t = p.startTime;
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i] ?? 0;
    t += dt;
    if (t < fromUs || t > toUs) continue;
    const key = label.get(p.samples[i]) ?? '?';
    if (key.startsWith('(idle)')) continue;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  }
  const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, us]) => {
    const [fn, where] = k.split('\t');
    return { fn, where, ms: us / 1000, share: total ? us / total : 0 };
  });
  return { rows, totalMs: total / 1000 };
}

/** The newest .cpuprofile in a directory. */
export function newestProfile(dir: string): string | undefined {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(dir, f));
  return files.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
}

export function printTopSelfTime(file: string, fromUs: number, toUs: number, print: (s: string) => void = console.log): void {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const { rows, totalMs } = topSelfTime(profile, fromUs, toUs);
  print(`\n[bench] worker profile ${file}: ${(totalMs / 1000).toFixed(2)} s of samples (not idle) while measured; top self time:`);
  print('| self ms | share | function | where |');
  print('|---|---|---|---|');
  for (const r of rows) print(`| ${r.ms.toFixed(0)} | ${(r.share * 100).toFixed(1)}% | ${r.fn} | ${r.where} |`);
  print('\n[bench] self time by package or file:');
  print('| self ms | share | where |');
  print('|---|---|---|');
  for (const r of topSelfTime(profile, fromUs, toUs, 20, 'area').rows) print(`| ${r.ms.toFixed(0)} | ${(r.share * 100).toFixed(1)}% | ${r.fn} |`);
}
