// The wizard's queries (api/schema.graphql.ts): Kafka topics and samples, schema inference,
// dedup suggestions and previews, the exported YAML, ClickHouse tables. Read-only: any token.
import { stringify as stringifyYaml } from 'yaml';
import { SluiceError } from '../../client/errors';
import { specFrom } from '../../client/pipelines';
import { redactSpec } from '../../core/spec/redact';
import type { PipelineSpec } from '../../core/spec/schema';
import { listTopics, sampleTopic, SAMPLE_LIMITS, type KafkaConnectionInput } from './kafka';
import { describeTable, listTables, type ClickHouseConnectionInput, type MappingInput } from './clickhouse';
import { inferSchema } from '../../core/inference/schema';
import { suggestDedup } from '../../core/inference/dedupSuggest';
import { previewDedup, previewJoin, type SampledMessage } from '../../core/preview';

type Maybe<T> = T | null | undefined;

/** the same text as `sluice export` (cli/main.ts): the validated spec, redacted, as YAML */
export const exportYaml = (spec: PipelineSpec) => stringifyYaml(JSON.parse(JSON.stringify(redactSpec(spec))));

export const wizardQueries = {
  kafkaTopics: (args: { kafka: KafkaConnectionInput; search?: Maybe<string> }) => listTopics(args.kafka, args.search),
  sampleTopic: async (args: { kafka: KafkaConnectionInput; topic: string; limit?: number }) => {
    const sample = await sampleTopic(args.kafka, args.topic, args.limit ?? SAMPLE_LIMITS.defaultCount);
    const inferred = inferSchema(sample.messages.map((m) => m.value));
    return {
      ...sample,
      fields: inferred.fields,
      eventTimeCandidates: inferred.eventTimeCandidates,
      rejected: inferred.rejected,
      suggestions: suggestDedup(inferred.objects.map((o) => o.value)),
    };
  },
  previewDedup: (spec: unknown, args: { messages: SampledMessage[]; source?: number }) => {
    if (args.messages.length > SAMPLE_LIMITS.maxCount) throw new SluiceError('BAD_INPUT', `messages: at most ${SAMPLE_LIMITS.maxCount}`);
    const s = specFrom(spec);
    const source = args.source ?? 0;
    if (!Number.isInteger(source) || source < 0 || source >= s.sources.length) throw new SluiceError('BAD_INPUT', `source: expected a source index from 0 to ${s.sources.length - 1}`);
    return previewDedup(s, args.messages, Date.now(), source);
  },
  /** a join spec on the samples of its sources (by source name; a source without one has none), at most 1,000 messages each */
  previewJoin: (spec: unknown, args: { samples: Array<{ source: string; messages: SampledMessage[] }> }) => {
    const s = specFrom(spec);
    if (!s.join) throw new SluiceError('BAD_INPUT', 'spec: has no join (use previewDedup)');
    const bySource = new Map(args.samples.map((x) => [x.source, x.messages]));
    for (const x of args.samples) {
      if (!s.sources.some((src) => src.name === x.source)) throw new SluiceError('BAD_INPUT', `samples: no source named "${x.source}" in the spec`);
      if (x.messages.length > SAMPLE_LIMITS.maxCount) throw new SluiceError('BAD_INPUT', `samples: at most ${SAMPLE_LIMITS.maxCount} messages per source`);
    }
    return previewJoin(s, s.sources.map((src) => bySource.get(src.name) ?? []), Date.now());
  },
  exportSpec: (spec: unknown) => exportYaml(specFrom(spec)),
  clickhouseTables: (args: { clickhouse: ClickHouseConnectionInput }) => listTables(args.clickhouse),
  clickhouseTable: (args: { clickhouse: ClickHouseConnectionInput; table: string; mapping?: Maybe<MappingInput[]> }) =>
    describeTable(args.clickhouse, args.table, args.mapping ?? []),
};
