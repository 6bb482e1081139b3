// What an update of a running pipeline may change. The sink's held state — dedup keys per
// source, join buffers — was built under the running spec: a change that would make it mean
// something else is refused with the field that may not change (create a new pipeline instead).
// A change of `parallelism` is allowed: the workflow moves the state to the new shards
// (activities/repartition.ts). A change of a dedup window is allowed: it applies to every key still held, measured from the
// key's first occurrence (README "Semantics"); keys a shorter window already freed stay freed.
import { canonicalJson } from '../dedupKey';
import type { PipelineSpec, SourceSpec } from './schema';
import type { SpecProblem } from './problem';

const same = (a: unknown, b: unknown) => canonicalJson(a ?? null) === canonicalJson(b ?? null);
const NEW_PIPELINE = 'create a new pipeline instead';

/** The fields whose values make a source's dedup key (empty for a whole-event key: every field does). */
const keyFields = (s: SourceSpec): string[] | undefined => {
  const key = s.dedup?.key;
  if (key === undefined) return [];
  if (typeof key === 'string') return [key];
  if (Array.isArray(key)) return key;
  return undefined;
};

export function updateProblems(current: PipelineSpec, next: PipelineSpec): SpecProblem[] {
  const problems: SpecProblem[] = [];
  if (!same(current.join, next.join)) {
    problems.push({ path: 'join', message: `a running pipeline cannot change its join (the buffered join state is shaped by it); ${NEW_PIPELINE}` });
  }
  const names = (s: PipelineSpec) => s.sources.map((x) => x.name);
  if (!same(names(current), names(next))) {
    problems.push({ path: 'sources', message: `a running pipeline keeps its sources, in order (${names(current).join(', ')}): its state is kept per source; ${NEW_PIPELINE}` });
    return problems;
  }
  next.sources.forEach((n, i) => {
    const c = current.sources[i];
    if (!c.dedup || !n.dedup) return; // dedup added (no keys held yet) or removed (keys dropped)
    const at = `sources[${i}].dedup`;
    if (!same(c.dedup.key, n.dedup.key)) {
      problems.push({ path: `${at}.key`, message: `a running pipeline cannot change its dedup key (from ${canonicalJson(c.dedup.key)} to ${canonicalJson(n.dedup.key)}): the keys it holds were made by the old rule and would no longer match; ${NEW_PIPELINE}` });
    }
    if (c.dedup.time !== n.dedup.time) {
      problems.push({ path: `${at}.time`, message: `a running pipeline cannot change its dedup time (from ${c.dedup.time} to ${n.dedup.time}): the times of the keys it holds are on the old clock; ${NEW_PIPELINE}` });
    }
    // the key is made of the fields' values: a field whose type changes (or, for a whole-event key, appears or goes) makes other keys
    const ignored = new Set(keyFields(c) === undefined ? (c.dedup.key as { ignore: string[] }).ignore : []);
    const fields = keyFields(c) ?? [...new Set([...Object.keys(c.schema.fields), ...Object.keys(n.schema.fields)])].filter((f) => !ignored.has(f));
    for (const f of fields) {
      if (c.schema.fields[f] === n.schema.fields[f]) continue;
      problems.push({ path: `sources[${i}].schema.fields.${f}`, message: `a running pipeline cannot change a field its dedup key is made of (type ${c.schema.fields[f] ?? 'none'} becomes ${n.schema.fields[f] ?? 'none'}); ${NEW_PIPELINE}` });
    }
  });
  return problems;
}
