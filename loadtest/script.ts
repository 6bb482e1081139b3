// Loads a scenario script. Scripts are TypeScript compiled with the project (`npm run build`
// compiles loadtest/scenarios/*.ts into dist/), so a .ts path is run from its compiled .js.
import { existsSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { IterationFn, Options, SetupContext } from './options';
import type { SummaryData } from './summary';
import { repoRoot } from './localWorker';

export interface Script {
  /** as given, for the summary */
  name: string;
  options: Options;
  setup?: (ctx: SetupContext) => unknown | Promise<unknown>;
  /** the iteration functions by export name ("default" included) */
  functions: Record<string, IterationFn>;
  /** k6's handleSummary: returns { stdout?: text, "<file>": text } to print or write */
  handleSummary?: (data: SummaryData) => Record<string, string>;
}

/** A script name ("seed"), a .ts path in the repository, or a .js path, to the file Node can load. */
export function resolveScriptPath(arg: string, cwd = process.cwd()): string {
  if (!/[/\\]/.test(arg) && !/\.[cm]?[jt]s$/.test(arg)) return join(repoRoot, 'dist', 'loadtest', 'scenarios', `${arg}.js`);
  const abs = isAbsolute(arg) ? arg : resolve(cwd, arg);
  if (!abs.endsWith('.ts')) return abs;
  const rel = relative(repoRoot, abs);
  if (rel.startsWith('..')) throw new Error(`${arg}: a TypeScript script must be inside the repository (compiled by npm run build), or give its compiled .js`);
  return join(repoRoot, 'dist', rel.replace(/\.ts$/, '.js'));
}

export function loadScript(arg = 'seed'): Script {
  const file = resolveScriptPath(arg);
  if (!existsSync(file)) throw new Error(`${arg}: no compiled script at ${file} (put it under loadtest/scenarios/ and run npm run build)`);
  const mod = require(file) as Record<string, unknown>;
  const functions = Object.fromEntries(Object.entries(mod).filter(([k, v]) => typeof v === 'function' && !['setup', 'handleSummary', 'teardown'].includes(k))) as Record<string, IterationFn>;
  if (!functions.default) throw new Error(`${arg}: the script has no default export (the function that builds each event)`);
  return {
    name: arg,
    options: (mod.options ?? {}) as Options,
    setup: mod.setup as Script['setup'],
    functions,
    handleSummary: mod.handleSummary as Script['handleSummary'],
  };
}
