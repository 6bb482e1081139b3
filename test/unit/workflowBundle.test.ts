// The worker loads the prebuilt workflow bundle only when it is at least as new as the compiled
// workflows; otherwise it bundles them itself (a stale bundle would run old workflow code).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prebuiltBundle, bundlePath, workflowsPath } from '../../worker/workflowBundle';

test('a bundle is used only when it is at least as new as every compiled workflow file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bundle-'));
  const bundle = join(dir, 'bundle.js');
  const wf = join(dir, 'workflows');
  mkdirSync(wf);
  for (const f of ['index.js', 'pipeline.js']) writeFileSync(join(wf, f), '');
  writeFileSync(join(wf, 'notes.md'), '');
  const at = (path: string, s: number) => utimesSync(path, s, s);

  assert.equal(prebuiltBundle(bundle, wf), undefined, 'no bundle');
  writeFileSync(bundle, '');
  at(join(wf, 'index.js'), 1000); at(join(wf, 'pipeline.js'), 2000); at(join(wf, 'notes.md'), 9000);
  at(bundle, 2000);
  assert.equal(prebuiltBundle(bundle, wf), bundle, 'as new as the newest workflow file (other files do not count)');
  at(join(wf, 'pipeline.js'), 2001);
  assert.equal(prebuiltBundle(bundle, wf), undefined, 'a workflow file compiled after the bundle');
});

test('the build leaves a current bundle next to the compiled workflows', () => {
  assert.equal(prebuiltBundle(), bundlePath, `npm run build writes ${bundlePath}, newer than ${workflowsPath}`);
});
