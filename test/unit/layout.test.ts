// The house rules of the tree, checked on the sources: core/ does no I/O, nothing but the API
// (and its tests) imports from api/, the import graph has no circle, and the stage
// files stay small.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

const root = join(__dirname, '..', '..', '..');
const ROOMS = ['activities', 'api', 'chaos', 'cli', 'client', 'core', 'loadtest', 'runtime', 'test', 'worker', 'workflows'];

function sources(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) return name === 'node_modules' ? [] : sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}
const files = ROOMS.flatMap(sources);
const text = new Map(files.map((f) => [f, readFileSync(join(root, f), 'utf8')]));

/** What a file imports (with `types`, also `import type`, which run time does not see). */
function imports(file: string, types = false): string[] {
  const out: string[] = [];
  for (const m of text.get(file)!.matchAll(/^\s*(import|export)\s+(type\s+)?[^'";]*?from\s+'([^']+)'|^\s*import\s+'([^']+)'/gm)) {
    if (m[2] && !types) continue;
    out.push(m[3] ?? m[4]);
  }
  return out;
}
const resolveLocal = (from: string, spec: string): string | undefined => {
  if (!spec.startsWith('.')) return undefined;
  const base = normalize(join(dirname(from), spec));
  return [`${base}.ts`, join(base, 'index.ts')].find((c) => text.has(c));
};

test('core/ does no I/O: no file system, network, process environment or service clients', () => {
  const forbidden = /^(node:)?(fs|fs\/promises|net|http|https|child_process|dgram|tls)$|^(kafkajs|nats|@clickhouse\/client|@temporalio\/(client|worker|activity))$/;
  const offenders = files.filter((f) => f.startsWith('core/')).flatMap((f) => [
    ...imports(f).filter((i) => forbidden.test(i)).map((i) => `${f} imports ${i}`),
    ...(/process\.env/.test(text.get(f)!) ? [`${f} reads process.env`] : []),
  ]);
  assert.deepEqual(offenders, []);
});

test('nothing outside api/ imports from api/, except the API\'s own tests', () => {
  const offenders = files.filter((f) => !f.startsWith('api/') && !f.startsWith('test/')).flatMap((f) =>
    imports(f).map((i) => resolveLocal(f, i)).filter((t) => t?.startsWith('api/')).map((t) => `${f} imports ${t}`));
  assert.deepEqual(offenders, []);
});

test('the import graph has no circle, counting type imports too', () => {
  const graph = new Map(files.map((f) => [f, imports(f, true).map((i) => resolveLocal(f, i)).filter((t): t is string => t !== undefined)]));
  const state = new Map<string, 'open' | 'done'>();
  const circles: string[] = [];
  const visit = (f: string, path: string[]) => {
    if (state.get(f) === 'done') return;
    if (state.get(f) === 'open') { circles.push([...path.slice(path.indexOf(f)), f].join(' -> ')); return; }
    state.set(f, 'open');
    for (const t of graph.get(f) ?? []) visit(t, [...path, f]);
    state.set(f, 'done');
  };
  for (const f of files) visit(f, []);
  assert.deepEqual(circles, []);
});

test('no file in activities/ is over 200 lines', () => {
  const long = files.filter((f) => f.startsWith('activities/')).map((f) => [relative('activities', f), text.get(f)!.split('\n').length] as const).filter(([, n]) => n > 200);
  assert.deepEqual(long, []);
});
