// The spec as the user gave it, for "edit" (pipeline.specText): secrets given inline are replaced
// by *** in the text itself, so comments and order stay as written.
import { parseDocument } from 'yaml';
import type { PipelineSpec } from '../core/spec/schema';

export function redactSpecText(text: string, spec: PipelineSpec): string {
  const paths: Array<Array<string | number>> = [];
  spec.sources.forEach((s, i) => {
    if (typeof s.kafka.sasl?.password === 'string') paths.push(['sources', i, 'kafka', 'sasl', 'password']);
    if (typeof s.kafka.tls?.key === 'string') paths.push(['sources', i, 'kafka', 'tls', 'key']);
  });
  if (typeof spec.sink.clickhouse.password === 'string') paths.push(['sink', 'clickhouse', 'password']);
  if (paths.length === 0) return text;
  const doc = parseDocument(text);
  for (const p of paths) doc.setIn(p, '***');
  return doc.toString();
}
