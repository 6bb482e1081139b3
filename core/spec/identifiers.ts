// What a spec may put into SQL, and nothing more: names that match NAME_RULE, the table keys
// (orderBy / partitionBy) as a column or one of KEY_FUNCTIONS applied to a column, and an engine
// from the MergeTree family. core/ddl.ts writes the DDL from the parsed forms below, never from
// the spec's text, and quotes every name with one function (quoteIdent).

/** ClickHouse database, table and column names. */
export const NAME_RULE = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
export const NAME_RULE_TEXT = 'letters, digits and _, not starting with a digit, at most 128 characters';

/**
 * Names that cannot be a key of a JavaScript object without changing the object itself:
 * refused wherever the spec uses a name as a key (fields, columns).
 */
export const PROTOTYPE_NAMES: ReadonlySet<string> = new Set(['__proto__']);

/** A field name: a dot path of non-empty steps, without control characters and without "__proto__" steps. */
export function fieldNameProblem(name: string): string | undefined {
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'a field name must not contain control characters (newline, tab, NUL, ...)';
  const steps = name.split('.');
  if (steps.some((s) => s.length === 0)) return 'a field name is a dot path of non-empty steps ("a.b"): no empty step, no leading or trailing "."';
  if (steps.some((s) => PROTOTYPE_NAMES.has(s))) return '"__proto__" cannot be a field name (it is the prototype of a JavaScript object)';
  return undefined;
}

/** Functions a table key may apply to one column, and the column types each takes. */
export const KEY_FUNCTIONS = {
  toDate: 'datetime', toStartOfHour: 'datetime', toStartOfDay: 'datetime', toMonday: 'datetime',
  toStartOfMonth: 'datetime', toYYYYMM: 'datetime', toYYYYMMDD: 'datetime',
  intHash32: 'integer', intHash64: 'integer',
  cityHash64: 'any', sipHash64: 'any',
} as const satisfies Record<string, 'datetime' | 'integer' | 'any'>;
export type KeyFunction = keyof typeof KEY_FUNCTIONS;

/** One orderBy / partitionBy entry: a column, or fn(column). */
export interface KeyExpression { fn?: KeyFunction; column: string }

const CALL = /^([A-Za-z0-9_]+)\s*\(([^()]*)\)$/;

/** "toYYYYMM(ts)" -> { fn: toYYYYMM, column: ts }; a problem text for anything else. (No backtracking: linear in the text.) */
export function parseKeyExpression(text: string): KeyExpression | string {
  const fnList = Object.keys(KEY_FUNCTIONS).join(', ');
  const expected = `expected a column name or one of ${fnList} applied to one column, e.g. toYYYYMM(ts)`;
  const t = text.trim();
  const call = CALL.exec(t);
  if (!call) return NAME_RULE.test(t) ? { column: t } : expected;
  const [, fn, arg] = call;
  if (!Object.hasOwn(KEY_FUNCTIONS, fn)) return `unknown function "${fn}": ${expected}`;
  const column = arg.trim();
  return NAME_RULE.test(column) ? { fn: fn as KeyFunction, column } : expected;
}

/** The column types a key column may have: not Nullable, not Array (MergeTree keys refuse them on older servers). */
export function keyColumnProblem(e: KeyExpression, chType: string): string | undefined {
  if (/^(Nullable|Array)\(/.test(chType)) return `column "${e.column}" is ${chType}: a table key needs a column that is neither Nullable nor Array`;
  const takes = e.fn ? KEY_FUNCTIONS[e.fn] : 'any';
  if (takes === 'datetime' && !/^(DateTime|Date)$/.test(chType)) return `${e.fn} takes a DateTime or Date column; "${e.column}" is ${chType}`;
  if (takes === 'integer' && !/^U?Int(8|16|32|64)$/.test(chType)) return `${e.fn} takes an integer column; "${e.column}" is ${chType}`;
  return undefined;
}

/** Engines of the MergeTree family; arguments are columns or 'text' literals (replication path and replica name). */
export const ENGINES = ['MergeTree', 'ReplacingMergeTree', 'SummingMergeTree', 'AggregatingMergeTree'] as const;
export type EngineArg = { column: string } | { text: string };
export interface Engine { name: string; args: EngineArg[] }

const ENGINE = /^([A-Za-z]+)\s*(?:\((.*)\))?$/s;

/** "ReplicatedMergeTree('/clickhouse/{shard}/t', '{replica}')" -> its parts; a problem text for anything else. */
export function parseEngine(text: string): Engine | string {
  const names = ENGINES.flatMap((e) => [e, `Replicated${e}`]);
  const expected = `expected one of ${names.join(', ')}, optionally with arguments that are column names or 'text' (no quotes or backslashes inside)`;
  const m = ENGINE.exec(text.trim());
  if (!m || !names.includes(m[1])) return expected;
  const args: EngineArg[] = [];
  const inner = m[2]?.trim() ?? '';
  const arg = /\s*(?:'([^'\\\u0000-\u001f\u007f]*)'|([A-Za-z_][A-Za-z0-9_]{0,127}))\s*(,|$)/y;
  for (let a = arg.exec(inner); inner.length && a; a = arg.exec(inner)) {
    args.push(a[1] !== undefined ? { text: a[1] } : { column: a[2] });
    if (a[3] === '') break;
  }
  if (inner.length && arg.lastIndex !== inner.length) return expected;
  return { name: m[1], args };
}
