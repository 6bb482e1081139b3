// A problem found in a spec, named by its path: "sources[0].dedup.window: expected a duration like 10m".
export interface SpecProblem {
  path: string;
  message: string;
}
export const formatProblem = (p: SpecProblem) => (p.path ? `${p.path}: ${p.message}` : p.message);

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const step of path) out += typeof step === 'number' ? `[${step}]` : out ? `.${String(step)}` : String(step);
  return out;
}
