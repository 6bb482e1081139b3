// Secrets never leave the API: inline passwords and keys are replaced, env references are kept.
import type { PipelineSpec } from './schema';

const HIDDEN = '***';
const redactSecret = <T>(s: T): T | string => (typeof s === 'string' ? HIDDEN : s);

export function redactSpec(spec: PipelineSpec): PipelineSpec {
  const copy = structuredClone(spec);
  for (const src of copy.sources) {
    if (src.kafka.sasl) src.kafka.sasl.password = redactSecret(src.kafka.sasl.password);
    if (src.kafka.tls?.key) src.kafka.tls.key = redactSecret(src.kafka.tls.key);
  }
  if (copy.sink.clickhouse.password !== undefined) copy.sink.clickhouse.password = redactSecret(copy.sink.clickhouse.password);
  return copy;
}
