// Cross-field rules of a join: every source named exists and takes part once, key fields exist
// on their side with the same types as the left key, and every output field exists.
import type { PipelineSpec } from './schema';
import type { SpecProblem } from './problem';
import { declaredType, nullableKeyMessage, parseFieldType } from './fieldTypes';
import { asList, outputEntries } from '../join/plan';

export function joinProblems(spec: PipelineSpec): SpecProblem[] {
  const join = spec.join;
  if (!join) return [];
  const problems: SpecProblem[] = [];
  const add = (path: string, message: string) => problems.push({ path, message });
  const byName = new Map(spec.sources.map((s) => [s.name, s]));
  const known = [...byName.keys()].map((n) => `"${n}"`).join(', ');
  const used = new Set<string>();
  const claim = (name: string, path: string) => {
    if (!byName.has(name)) { add(path, `unknown source "${name}" (sources are ${known})`); return false; }
    if (used.has(name)) { add(path, `source "${name}" appears twice in the join`); return false; }
    used.add(name);
    return true;
  };
  const typeText = (source: string, field: string) => { const s = byName.get(source); return s ? declaredType(s.schema.fields, field) : undefined; };
  const sameType = (a: string, b: string) => {
    const x = parseFieldType(a), y = parseFieldType(b);
    return x.base === y.base && x.array === y.array;
  };

  const leftOk = claim(join.left.source, 'join.left.source');
  join.right.forEach((r, i) => {
    const at = `join.right[${i}]`;
    if (!claim(r.source, `${at}.source`)) return;
    const keys = asList(r.key);
    const leftKeys = asList(r.leftKey ?? r.key);
    const keyPath = (name: 'key' | 'leftKey', j: number) => (typeof (name === 'key' ? r.key : r.leftKey ?? r.key) === 'string' ? `${at}.${name}` : `${at}.${name}[${j}]`);
    keys.forEach((k, j) => {
      const t = typeText(r.source, k);
      if (t === undefined) add(keyPath('key', j), `unknown field "${k}" of source "${r.source}"`);
      else if (parseFieldType(t).nullable) add(keyPath('key', j), nullableKeyMessage(`${r.source}.${k}`, t));
    });
    if (!leftOk) return;
    if (leftKeys.length !== keys.length) { add(`${at}.leftKey`, `expected ${keys.length} field(s), one per field of key`); return; }
    leftKeys.forEach((lk, j) => {
      const lt = typeText(join.left.source, lk);
      const path = r.leftKey === undefined ? keyPath('key', j) : keyPath('leftKey', j);
      if (lt === undefined) { add(path, `unknown field "${lk}" of the left source "${join.left.source}"`); return; }
      if (parseFieldType(lt).nullable) add(path, nullableKeyMessage(`${join.left.source}.${lk}`, lt));
      const rt = typeText(r.source, keys[j]);
      if (rt !== undefined && !sameType(lt, rt))
        add(path, `key type mismatch: "${r.source}.${keys[j]}" is ${rt} but "${join.left.source}.${lk}" is ${lt}`);
    });
  });
  spec.sources.forEach((s, i) => {
    if (!used.has(s.name) && byName.get(s.name) === s) add(`sources[${i}].name`, `source "${s.name}" is not part of the join (name it in join.left or join.right)`);
  });
  if (join.time === 'event') {
    for (const name of used) {
      if (byName.get(name)!.schema.eventTime === undefined) add('join.time', `event-time joins need schema.eventTime on every joined source; "${name}" has none`);
    }
  }
  const names = new Set<string>();
  outputEntries(join).forEach((o, k) => {
    const at = `join.output[${k}]`;
    if (!byName.has(o.source)) add(at, `unknown source "${o.source}" (sources are ${known})`);
    else if (!used.has(o.source)) add(at, `source "${o.source}" is not part of the join`);
    else if (typeText(o.source, o.field) === undefined) add(at, `unknown field "${o.field}" of source "${o.source}"`);
    if (names.has(o.name)) add(at, `duplicate output name "${o.name}" (rename one with {field, as})`);
    names.add(o.name);
  });
  return problems;
}
