// The pipeline a load test runs: a copy of the given one under its own name, topics, consumer
// groups and table, so a run never touches the pipeline it copies (or its data).
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { specFrom } from '../client/pipelines';
import type { PipelineSpec } from '../core/spec/schema';
import { repoRoot } from './localWorker';
import { settings } from '../runtime/settings';

/** A spec file, relative to the working directory or else to the repository. */
export function specFile(path: string): { spec: PipelineSpec; path: string } | undefined {
  const found = [path, isAbsolute(path) ? path : join(repoRoot, path)].find((p) => existsSync(p));
  return found ? { spec: specFrom(readFileSync(found, 'utf8')), path: found } : undefined;
}

export function isolatedSpec(base: PipelineSpec, name: string, database: string): PipelineSpec {
  return specFrom({
    ...base,
    name,
    sources: base.sources.map((s) => ({ ...s, kafka: { ...s.kafka, groupId: undefined, topic: base.sources.length === 1 ? name : `${name}-${s.name}` } })),
    sink: { ...base.sink, clickhouse: { ...base.sink.clickhouse, database, table: name.replace(/-/g, '_') } },
  });
}

/** A spec pointed at the services this process is configured for (SLUICE_KAFKA_BROKERS, SLUICE_CLICKHOUSE_URL): the files name the default ports. */
export function onStack(spec: PipelineSpec): PipelineSpec {
  return {
    ...spec,
    sources: spec.sources.map((s) => ({ ...s, kafka: { ...s.kafka, brokers: settings.kafkaBrokers } })),
    sink: { ...spec.sink, clickhouse: { ...spec.sink.clickhouse, url: settings.clickhouseUrl } },
  };
}
