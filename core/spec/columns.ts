// The sink's columns: given in the spec, or one per source field by default.
import type { PipelineSpec } from './schema';
import { clickhouseTypeOf, parseFieldType, type FieldType } from './fieldTypes';

export interface Column {
  name: string;
  /** dot path of the event field */
  field: string;
  /** ClickHouse type */
  type: string;
  /** the field's declared type, when some source declares it */
  fieldType?: FieldType;
}

/** The hidden column that makes inserts idempotent: the sink batch number that wrote the row. */
export const BATCH_COLUMN = '_sluice_batch';

export function resolveColumns(spec: PipelineSpec): Column[] {
  const declared = new Map<string, string>();
  for (const s of spec.sources) for (const [f, t] of Object.entries(s.schema.fields)) if (!declared.has(f)) declared.set(f, t);
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
