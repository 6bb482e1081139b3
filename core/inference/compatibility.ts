// Does a ClickHouse column take a field's values? The rule of the spec check of sink.columns[].type
// and the sink's table check (core/spec/columnFit.ts), for the wizard's mapping. Pure.
import { FIELD_TYPE_PATTERN, clickhouseTypeOf, parseFieldType } from '../spec/fieldTypes';
import { canonicalClickhouseType } from '../spec/clickhouseTypes';
import { columnTypeProblem } from '../spec/columnFit';

/** null when the column takes the field, else what is wrong (for the wizard's field). */
export function columnProblem(fieldType: string, columnType: string | undefined): string | null {
  if (columnType === undefined) return 'the table has no such column';
  if (!FIELD_TYPE_PATTERN.test(fieldType)) return `"${fieldType}" is not a field type`;
  return columnTypeProblem(parseFieldType(fieldType), columnType);
}

/** The problem, and the type to name in the spec when the column takes the field with another type than the field's own. */
export function columnCheck(fieldType: string, columnType: string | undefined): { problem: string | null; columnType: string | null } {
  const problem = columnProblem(fieldType, columnType);
  if (problem || columnType === undefined) return { problem, columnType: null };
  const own = canonicalClickhouseType(clickhouseTypeOf(parseFieldType(fieldType)));
  const have = canonicalClickhouseType(columnType) ?? columnType;
  return { problem, columnType: own === have ? null : have };
}
