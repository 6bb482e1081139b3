// Does a ClickHouse column take a field's values? The rule the sink's table check uses
// (core/ddl.ts columnMismatches): the column type must be the one the field type maps to, or the
// column type the mapping declares. Pure.
import { FIELD_TYPE_PATTERN, clickhouseTypeOf, parseFieldType } from '../spec/fieldTypes';

/** null when the column takes the field, else what is wrong (for the wizard's field). */
export function columnProblem(fieldType: string, columnType: string | undefined): string | null {
  if (columnType === undefined) return 'the table has no such column';
  if (!FIELD_TYPE_PATTERN.test(fieldType)) return `"${fieldType}" is not a field type`;
  const want = clickhouseTypeOf(parseFieldType(fieldType));
  return want === columnType ? null : `the column is ${columnType}; a ${fieldType} field needs ${want}`;
}
