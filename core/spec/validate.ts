// Turns YAML/JSON text or an object into a valid PipelineSpec, or into every problem found,
// each named by its path: "sources[0].dedup.window: expected a duration like 10m".
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { pipelineSpecSchema, type PipelineSpec } from './schema';
import { isSupportedClickhouseType, parseFieldType } from './fieldTypes';
import { resolveColumns } from './columns';
import { joinProblems } from './validateJoin';
import { outputEntries } from '../join/plan';

export interface SpecProblem {
  path: string;
  message: string;
}
export type SpecResult = { ok: true; spec: PipelineSpec } | { ok: false; problems: SpecProblem[] };

export class SpecError extends Error {
  constructor(readonly problems: SpecProblem[]) {
    super(`invalid pipeline spec:\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`);
    this.name = 'SpecError';
  }
}

export const formatProblem = (p: SpecProblem) => (p.path ? `${p.path}: ${p.message}` : p.message);

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const step of path) out += typeof step === 'number' ? `[${step}]` : out ? `.${String(step)}` : String(step);
  return out;
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
  const parsed = pipelineSpecSchema.safeParse(input);
  if (!parsed.success) return { ok: false, problems: parsed.error.issues.map(issueToProblem) };
  const problems = [...crossCheck(parsed.data), ...joinProblems(parsed.data)];
  return problems.length ? { ok: false, problems } : { ok: true, spec: parsed.data };
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
    const { eventTime } = src.schema;
    if (eventTime !== undefined) {
      if (!(eventTime in fields)) add(`${at}.schema.eventTime`, `unknown field "${eventTime}"`);
      else if (parseFieldType(fields[eventTime]).base !== 'datetime' || parseFieldType(fields[eventTime]).array)
        add(`${at}.schema.eventTime`, `field "${eventTime}" must have type datetime`);
    }
    const d = src.dedup;
    if (!d) return;
    if (d.time === 'event' && eventTime === undefined)
      add(`${at}.dedup.time`, 'event-time windows need schema.eventTime to name the event-time field');
    const keys = typeof d.key === 'string' ? [d.key] : Array.isArray(d.key) ? d.key : [];
    keys.forEach((k, j) => {
      const path = typeof d.key === 'string' ? `${at}.dedup.key` : `${at}.dedup.key[${j}]`;
      if (!(k in fields)) add(path, `unknown field "${k}" (declare it in schema.fields)`);
    });
  });

  const sinkAt = 'sink';
  const columns = resolveColumns(spec);
  const names = new Set<string>();
  const allFields = new Set(spec.join ? outputEntries(spec.join).map((o) => o.name) : spec.sources.flatMap((s) => Object.keys(s.schema.fields)));
  (spec.sink.columns ?? []).forEach((c, i) => {
    if (!allFields.has(c.field ?? c.name))
      add(`${sinkAt}.columns[${i}].field`, `unknown field "${c.field ?? c.name}" (${spec.join ? 'not a join output name' : 'not in any source schema'})`);
    if (c.type !== undefined && !isSupportedClickhouseType(c.type)) add(`${sinkAt}.columns[${i}].type`, `unsupported ClickHouse type "${c.type}"`);
  });
  columns.forEach((c, i) => {
    if (names.has(c.name)) add(`${sinkAt}.columns[${i}].name`, `duplicate column "${c.name}"`);
    if (c.name.startsWith('_sluice_')) add(`${sinkAt}.columns[${i}].name`, 'names starting with _sluice_ are reserved');
    names.add(c.name);
  });
  (spec.sink.createTable?.orderBy ?? []).forEach((col, i) => {
    if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(col) && !names.has(col)) add(`${sinkAt}.createTable.orderBy[${i}]`, `unknown column "${col}"`);
  });
  return problems;
}
