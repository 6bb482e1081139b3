// Turns YAML/JSON text or an object into a valid PipelineSpec, or into every problem found,
// each named by its path: "sources[0].dedup.window: expected a duration like 10m".
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { pipelineSpecSchema, type PipelineSpec } from './schema';
import { declaredType, nullableKeyMessage, parseFieldType } from './fieldTypes';
import { columnTypeProblem } from './columnFit';
import { NAME_RULE, NAME_RULE_TEXT, PROTOTYPE_NAMES, fieldNameProblem, keyColumnProblem, parseEngine, parseKeyExpression } from './identifiers';
import { resolveColumns } from './columns';
import { joinProblems } from './validateJoin';
import { parallelismProblems } from '../shards';
import { formatPath, formatProblem, type SpecProblem } from './problem';
import { outputEntries } from '../join/plan';

export type SpecResult = { ok: true; spec: PipelineSpec } | { ok: false; problems: SpecProblem[] };

export class SpecError extends Error {
  constructor(readonly problems: SpecProblem[]) {
    super(`invalid pipeline spec:\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`);
    this.name = 'SpecError';
  }
}


/** Parses YAML (JSON is YAML too) into a plain object; syntax errors become one problem with the line. */
export function parseSpecText(text: string): { ok: true; value: unknown } | { ok: false; problems: SpecProblem[] } {
  try {
    return { ok: true, value: parseYaml(text) };
  } catch (e) {
    return { ok: false, problems: [{ path: '', message: `not valid YAML or JSON: ${(e as Error).message}` }] };
  }
}

export function validateSpec(input: unknown): SpecResult {
  // before the schema: parsing into plain objects would drop a "__proto__" member without a word
  const proto = prototypeKeyProblems(input, []);
  const parsed = pipelineSpecSchema.safeParse(input);
  if (!parsed.success) return { ok: false, problems: [...proto, ...parsed.error.issues.map(issueToProblem)] };
  const problems = [...proto, ...crossCheck(parsed.data), ...joinProblems(parsed.data), ...parallelismProblems(parsed.data)];
  return problems.length ? { ok: false, problems } : { ok: true, spec: parsed.data };
}

/**
 * Every own "__proto__" member of the document (JSON.parse and YAML keep it as a member; objects
 * built from it lose it). A spec is a few levels deep: deeper parts are refused by the schema anyway.
 */
function prototypeKeyProblems(v: unknown, path: PropertyKey[]): SpecProblem[] {
  if (v === null || typeof v !== 'object' || path.length > 12) return [];
  if (Array.isArray(v)) return v.flatMap((x, i) => prototypeKeyProblems(x, [...path, i]));
  return Object.keys(v).flatMap((k) => PROTOTYPE_NAMES.has(k)
    ? [{ path: formatPath([...path, k]), message: `"${k}" cannot be used as a name (it is the prototype of a JavaScript object)` }]
    : prototypeKeyProblems((v as Record<string, unknown>)[k], [...path, k]));
}

export function validateSpecText(text: string): SpecResult {
  const doc = parseSpecText(text);
  return doc.ok ? validateSpec(doc.value) : doc;
}

/** validateSpec that throws a SpecError listing every problem. */
export function mustValidateSpec(input: unknown): PipelineSpec {
  const r = typeof input === 'string' ? validateSpecText(input) : validateSpec(input);
  if (!r.ok) throw new SpecError(r.problems);
  return r.spec;
}

function issueToProblem(issue: z.core.$ZodIssue): SpecProblem {
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') message = `unknown field(s): ${issue.keys.join(', ')}`;
  if (issue.code === 'invalid_union') message = message === 'Invalid input' ? 'does not match any allowed form' : message;
  if (issue.code === 'invalid_type' && issue.message.includes('received undefined')) message = 'required';
  return { path: formatPath(issue.path), message };
}

function crossCheck(spec: PipelineSpec): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const add = (path: string, message: string) => problems.push({ path, message });

  const seen = new Set<string>();
  spec.sources.forEach((src, i) => {
    const at = `sources[${i}]`;
    if (seen.has(src.name)) add(`${at}.name`, `duplicate source name "${src.name}"`);
    seen.add(src.name);
    const fields = src.schema.fields;
    for (const f of Object.keys(fields)) {
      const bad = fieldNameProblem(f);
      if (bad) add(formatPath([`${at}.schema.fields`, f]), bad);
    }
    const { eventTime } = src.schema;
    if (eventTime !== undefined) {
      const t = declaredType(fields, eventTime);
      if (t === undefined) add(`${at}.schema.eventTime`, `unknown field "${eventTime}"`);
      else if (!['datetime', 'datetime64'].includes(parseFieldType(t).base) || parseFieldType(t).array || parseFieldType(t).map)
        add(`${at}.schema.eventTime`, `field "${eventTime}" must have type datetime or datetime64`);
    }
    const d = src.dedup;
    if (!d) return;
    if (d.time === 'event' && eventTime === undefined)
      add(`${at}.dedup.time`, 'event-time windows need schema.eventTime to name the event-time field');
    const keys = typeof d.key === 'string' ? [d.key] : Array.isArray(d.key) ? d.key : [];
    keys.forEach((k, j) => {
      const path = typeof d.key === 'string' ? `${at}.dedup.key` : `${at}.dedup.key[${j}]`;
      const t = declaredType(fields, k);
      if (t === undefined) add(path, `unknown field "${k}" (declare it in schema.fields)`);
      else if (parseFieldType(t).nullable) add(path, nullableKeyMessage(k, t));
    });
    if (!Array.isArray(d.key) && typeof d.key === 'object') {
      const declared = Object.keys(fields);
      d.key.ignore.forEach((p, j) => {
        if (!declared.some((f) => f === p || f.startsWith(`${p}.`)))
          add(`${at}.dedup.key.ignore[${j}]`, `unknown field "${p}": the whole-event key is made of the declared fields (schema.fields), so only those can be ignored`);
      });
    }
  });

  const sinkAt = 'sink';
  if (!spec.sink.columns) problems.push(...derivedColumnProblems(spec));
  const columns = resolveColumns(spec);
  const names = new Set<string>();
  const allFields = new Set(spec.join ? outputEntries(spec.join).map((o) => o.name) : spec.sources.flatMap((s) => Object.keys(s.schema.fields)));
  (spec.sink.columns ?? []).forEach((c, i) => {
    if (!allFields.has(c.field ?? c.name))
      add(`${sinkAt}.columns[${i}].field`, `unknown field "${c.field ?? c.name}" (${spec.join ? 'not a join output name' : 'not in any source schema'})`);
    if (c.type === undefined) return;
    const problem = columnTypeProblem(columns[i].fieldType, c.type);
    if (problem) add(`${sinkAt}.columns[${i}].type`, problem);
  });
  columns.forEach((c, i) => {
    if (names.has(c.name)) add(`${sinkAt}.columns[${i}].name`, `duplicate column "${c.name}"`);
    if (c.name.startsWith('_sluice_')) add(`${sinkAt}.columns[${i}].name`, 'names starting with _sluice_ are reserved');
    if (PROTOTYPE_NAMES.has(c.name)) add(`${sinkAt}.columns[${i}].name`, `"${c.name}" cannot be a column name (it is the prototype of a JavaScript object)`);
    names.add(c.name);
  });
  const ct = spec.sink.createTable;
  if (!ct) return problems;
  const typeOf = new Map(columns.map((c) => [c.name, c.type]));
  const keysSeen = new Set<string>();
  const checkKey = (text: string, path: string, unique = false) => {
    const e = parseKeyExpression(text);
    if (typeof e === 'string') return add(path, e);
    // current servers refuse a sorting key that repeats an expression (18.16 took it)
    if (unique && keysSeen.has(JSON.stringify(e))) return add(path, `"${text}" is already in orderBy`);
    if (unique) keysSeen.add(JSON.stringify(e));
    const type = typeOf.get(e.column);
    if (type === undefined) return add(path, `unknown column "${e.column}"`);
    const bad = keyColumnProblem(e, type);
    if (bad) add(path, bad);
  };
  ct.orderBy.forEach((text, i) => checkKey(text, `${sinkAt}.createTable.orderBy[${i}]`, true));
  if (ct.partitionBy !== undefined) {
    checkKey(ct.partitionBy, `${sinkAt}.createTable.partitionBy`);
    // current servers refuse a floating-point partition key (18.16 took it)
    const e = parseKeyExpression(ct.partitionBy);
    if (typeof e !== 'string' && !e.fn && /^Float/.test(typeOf.get(e.column) ?? '')) add(`${sinkAt}.createTable.partitionBy`, `"${e.column}" is ${typeOf.get(e.column)}: a partition key cannot be a floating-point number`);
  }
  const engine = parseEngine(ct.engine);
  if (typeof engine === 'string') add(`${sinkAt}.createTable.engine`, engine);
  else for (const a of engine.args) if ('column' in a && !typeOf.has(a.column)) add(`${sinkAt}.createTable.engine`, `unknown column "${a.column}"`);
  return problems;
}

/** Default columns are named after fields ("a.b" -> a_b): each name must be a column name. */
function derivedColumnProblems(spec: PipelineSpec): SpecProblem[] {
  const fix = (field: string) => `name the column in sink.columns, e.g. { name: my_column, field: ${JSON.stringify(field)} }`;
  const bad = (name: string) => !NAME_RULE.test(name.replace(/\./g, '_'));
  if (spec.join) {
    return outputEntries(spec.join).flatMap((o, k) => bad(o.name)
      ? [{ path: `join.output[${k}]`, message: `output ${JSON.stringify(o.name)} is not a column name (${NAME_RULE_TEXT}); give it one with {field, as}` }] : []);
  }
  return spec.sources.flatMap((s, i) => Object.keys(s.schema.fields).filter(bad).map((f) => ({
    path: formatPath([`sources[${i}].schema.fields`, f]),
    message: `field ${JSON.stringify(f)} gives the column name ${JSON.stringify(f.replace(/\./g, '_'))}, which is not one (${NAME_RULE_TEXT}): ${fix(f)}`,
  })));
}
