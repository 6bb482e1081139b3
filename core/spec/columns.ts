// The sink's columns: given in the spec, or one per source field by default.
import type { PipelineSpec } from './schema';
import { clickhouseTypeOf, declaredType, parseFieldType, type FieldType } from './fieldTypes';
import { outputEntries } from '../join/plan';
import { parseClickhouseType } from './clickhouseTypes';
import { columnWriter, emptyValueOf } from './columnFit';

export interface Column {
  name: string;
  /** dot path of the event field */
  field: string;
  /** ClickHouse type */
  type: string;
  /** the field's declared type, when some source declares it */
  fieldType?: FieldType;
  /** how a value is written when not as it is (core/spec/columnFit.ts columnWriter) */
  write?: (v: unknown) => unknown;
  /** what null is written as where the column cannot be Nullable (Array, Map, JSON) */
  empty?: unknown;
}

/** The column with its writer and empty value, from its type (a type that does not parse has neither: validation names it). */
function withWriter(c: Column): Column {
  const ch = parseClickhouseType(c.type);
  if (typeof ch === 'string') return c;
  const write = c.fieldType && columnWriter(c.fieldType, ch, c.field);
  const empty = emptyValueOf(ch);
  return { ...c, ...(write ? { write } : {}), ...(empty !== undefined ? { empty } : {}) };
}

/** The hidden column that makes inserts idempotent: the sink batch number that wrote the row. */
export const BATCH_COLUMN = '_sluice_batch';

/** The fields a row is made of, with their types: the sources' fields, or a join's output fields. */
function declaredFields(spec: PipelineSpec): Map<string, string> {
  const declared = new Map<string, string>();
  if (spec.join) {
    const leftKind = new Map(spec.join.right.map((r) => [r.source, r.kind]));
    for (const o of outputEntries(spec.join)) {
      const src = spec.sources.find((s) => s.name === o.source);
      const t = src ? declaredType(src.schema.fields, o.field) : undefined;
      if (t === undefined || declared.has(o.name)) continue;
      // a left-join side may be missing: its scalar fields become nullable
      declared.set(o.name, leftKind.get(o.source) === 'left' && !t.endsWith('?') && !t.includes('[]') ? `${t}?` : t);
    }
    return declared;
  }
  for (const s of spec.sources) for (const [f, t] of Object.entries(s.schema.fields)) if (!declared.has(f)) declared.set(f, t);
  return declared;
}

export function resolveColumns(spec: PipelineSpec): Column[] {
  return typedColumns(spec).map(withWriter);
}

function typedColumns(spec: PipelineSpec): Column[] {
  const declared = declaredFields(spec);
  const typeOf = (field: string) => (declared.has(field) ? parseFieldType(declared.get(field)!) : undefined);
  if (spec.sink.columns) {
    return spec.sink.columns.map((c) => {
      const field = c.field ?? c.name;
      const fieldType = typeOf(field);
      return { name: c.name, field, fieldType, type: c.type ?? (fieldType ? clickhouseTypeOf(fieldType) : 'String') };
    });
  }
  return [...declared.entries()].map(([field, t]) => {
    const fieldType = parseFieldType(t);
    return { name: field.replace(/\./g, '_'), field, fieldType, type: clickhouseTypeOf(fieldType) };
  });
}
