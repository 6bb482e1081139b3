// The workflow code as one prebuilt bundle. The build writes it (`node dist/worker/workflowBundle.js`);
// the worker loads it instead of running webpack at every start, which costs seconds of CPU and
// over 100 MB of heap in every worker process. A bundle older than the compiled workflows is not used.
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';

export const workflowsPath = require.resolve('../workflows');
export const bundlePath = join(__dirname, '..', 'workflow-bundle.js');

const mtime = (path: string) => statSync(path, { throwIfNoEntry: false })?.mtimeMs;

/** The prebuilt bundle's path, if there is one at least as new as every compiled workflow file in `dir`. */
export function prebuiltBundle(bundle = bundlePath, dir = dirname(workflowsPath)): string | undefined {
  const built = mtime(bundle);
  if (built === undefined) return undefined;
  const newest = Math.max(...readdirSync(dir).filter((f) => f.endsWith('.js')).map((f) => mtime(join(dir, f)) ?? Infinity));
  return built >= newest ? bundle : undefined;
}

async function main(): Promise<void> {
  const { code } = await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') });
  writeFileSync(bundlePath, code);
  console.error(`[sluice] workflow bundle: ${bundlePath} (${(code.length / 1024).toFixed(0)} KiB)`);
}

if (require.main === module) {
  main().catch((e) => {
    console.error('[sluice] workflow bundle failed:', e);
    process.exit(1);
  });
}
