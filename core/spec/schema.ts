// The pipeline spec (version 1): one zod schema, used by the worker, the API, the CLI and the
// UI, and exported as JSON Schema (`npx sluice schema`). Cross-field rules live in validate.ts.
import { z } from 'zod';
import { parseDuration } from '../duration';
import { FIELD_TYPE_PATTERN, VALUE_RULES } from './fieldTypes';
import { ENGINES, KEY_FUNCTIONS, NAME_RULE, NAME_RULE_TEXT } from './identifiers';

export const SPEC_VERSION = 1;
/** most shards of one pipeline (spec `parallelism`) */
export const MAX_PARALLELISM = 64;
const MIN_WINDOW_MS = 1_000;
const MAX_WINDOW_MS = 30 * 86_400_000;

const duration = (what: string, min: number, max: number) =>
  z.string({ error: `expected a duration like 10m` }).refine((s) => {
    const ms = parseDuration(s);
    return ms !== undefined && ms >= min && ms <= max;
  }, { error: `expected a duration like 10m, ${what}` });

const dnsName = z
  .string({ error: 'expected a name' })
  .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, {
    error: 'expected a DNS-safe name: lowercase letters, digits and "-", 1-63 characters, starting and ending with a letter or digit',
  });

/** A secret is given inline or, better, as the name of an environment variable on the worker. */
export const secretSchema = z.union([
  z.string(),
  z.object({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'expected an environment variable name' }) }).strict(),
]);

const saslSchema = z
  .object({
    mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
    username: z.string().min(1),
    password: secretSchema,
  })
  .strict();

const tlsSchema = z
  .object({
    enabled: z.boolean().default(true),
    ca: z.string().optional().describe('PEM text or a file path'),
    cert: z.string().optional().describe('client certificate: PEM text or a file path'),
    key: secretSchema.optional().describe('client key: PEM text, a file path, or {env}'),
    skipVerify: z.boolean().default(false),
  })
  .strict();

const kafkaSchema = z
  .object({
    brokers: z.array(z.string().regex(/^[^\s:]+:\d+$/, { error: 'expected host:port' })).min(1),
    topic: z.string().min(1),
    startFrom: z.enum(['earliest', 'latest']).default('earliest'),
    groupId: z.string().min(1).optional().describe('default: sluice-<pipeline>-<source>'),
    clientId: z.string().optional(),
    sasl: saslSchema.optional(),
    tls: tlsSchema.optional(),
  })
  .strict();

const fieldType = z.string().regex(FIELD_TYPE_PATTERN, {
  error: 'expected a field type: string, int8..int64, uint8..uint64, float32, float64, bool, datetime, datetime64, json; "?" for nullable, "[]" for arrays, "{}" for maps (e.g. "int32[]", "string?", "uint64{}")',
}).describe(`How an event's JSON value is read, per type. ${Object.values(VALUE_RULES).join('. ')}.`);

const dedupKeySchema = z.union([
  z.string().min(1),
  z.array(z.string().min(1)).min(1),
  z.object({ ignore: z.array(z.string().min(1)).default([]) }).strict(),
]);

const dedupSchema = z
  .object({
    key: dedupKeySchema.describe('one field, a list of fields, or {ignore: [...]} for the whole event minus those fields'),
    window: duration('from 1s to 30d', MIN_WINDOW_MS, MAX_WINDOW_MS),
    time: z.enum(['event', 'arrival']).default('arrival'),
  })
  .strict();

export const sourceSchema = z
  .object({
    name: dnsName,
    kafka: kafkaSchema,
    schema: z
      .object({
        fields: z.record(z.string().min(1), fieldType).refine((f) => Object.keys(f).length > 0, { error: 'expected at least one field' })
          .describe('field name (a dot path into the event: "a.b"; no control characters, no "__proto__" step) -> field type; the default column name is the field name with "." as "_", and must be a column name'),
        eventTime: z.string().optional().describe('the datetime field that holds event time'),
      })
      .strict(),
    dedup: dedupSchema.optional(),
  })
  .strict();

const columnSchema = z
  .object({
    name: z.string().regex(NAME_RULE, { error: `expected a column name (${NAME_RULE_TEXT})` }),
    field: z.string().min(1).optional().describe('event field (dot path); default: the column name'),
    type: z.string().min(1).optional().describe('ClickHouse type; default: derived from the field type'),
  })
  .strict();

const KEY_TEXT = `a column (neither Nullable nor Array), or one of ${Object.keys(KEY_FUNCTIONS).join(', ')} applied to one, e.g. toYYYYMM(ts)`;

export const sinkSchema = z
  .object({
    clickhouse: z
      .object({
        url: z.url({ error: 'expected a URL like http://127.0.0.1:8123' }),
        database: z.string().regex(NAME_RULE, { error: `expected a database name (${NAME_RULE_TEXT})` }).default('default'),
        table: z.string().regex(NAME_RULE, { error: `expected a table name (${NAME_RULE_TEXT})` }),
        username: z.string().default('default'),
        password: secretSchema.optional(),
      })
      .strict(),
    columns: z.array(columnSchema).min(1).optional().describe('default: one column per source field'),
    createTable: z
      .object({
        engine: z.string().max(500).default('MergeTree')
          .describe(`${ENGINES.join(', ')} (or Replicated...), optionally with arguments that are column names or 'text'`),
        orderBy: z.array(z.string().min(1).max(200)).min(1).describe(KEY_TEXT),
        partitionBy: z.string().max(200).optional().describe(KEY_TEXT),
      })
      .strict()
      .optional(),
    batch: z
      .object({
        maxRows: z.number().int().min(1).max(100_000).default(10_000),
        maxDelay: duration('from 10ms to 1m', 10, 60_000).default('1s'),
      })
      .strict()
      .default({ maxRows: 10_000, maxDelay: '1s' }),
    onExistingRows: z.enum(['refuse', 'append']).default('refuse')
      .describe('a new pipeline into a table that already holds rows (of an earlier pipeline of the same name, or another): refuse (the default) or append (the sources are read again from startFrom)'),
  })
  .strict();

const fieldList = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

const joinOutputSchema = z.union([
  z.string().regex(/^[a-z0-9-]+\.[^\s]+$/, { error: 'expected "source.field"' }),
  z
    .object({
      field: z.string().regex(/^[a-z0-9-]+\.[^\s]+$/, { error: 'expected "source.field"' }),
      as: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.]*$/, { error: 'expected an output name (letters, digits, _)' }),
    })
    .strict(),
]);

/** Right sides a join may have (the join state packs a side number into 4 bits). */
export const MAX_JOIN_RIGHT_SIDES = 15;

/** A temporal join: one left (driving) source; every right side is matched to it by key within windows. See docs/joins.md. */
export const joinSchema = z
  .object({
    time: z.enum(['event', 'arrival']).default('arrival').describe('how windows are measured: event time (schema.eventTime of every joined source) or arrival time'),
    idleAfter: duration('from 1s to 1d', 1_000, 86_400_000).default('30s')
      .describe('event time: a Kafka partition with no new events for this long (while the sink has caught up) stops holding windows open until its next event'),
    left: z
      .object({
        source: z.string().min(1),
        window: duration('from 1s to 30d', MIN_WINDOW_MS, MAX_WINDOW_MS).describe('how long a left event waits for right events that come after it'),
      })
      .strict(),
    right: z
      .array(
        z
          .object({
            source: z.string().min(1),
            key: fieldList.describe('field(s) of this source'),
            leftKey: fieldList.optional().describe('field(s) of the left source, same count and types; default: key'),
            window: duration('from 1s to 30d', MIN_WINDOW_MS, MAX_WINDOW_MS).describe('how long a right event is held for left events that come after it'),
            kind: z.enum(['inner', 'left']).default('inner').describe('left: a left event with no match is emitted with nulls when its window closes'),
            latest: z.boolean().default(false).describe('a "latest value" side (profiles): one version per key, the newest replaces the older'),
          })
          .strict(),
      )
      .min(1)
      .max(MAX_JOIN_RIGHT_SIDES),
    output: z.array(joinOutputSchema).min(1).describe('the joined fields: "source.field" or {field, as}'),
  })
  .strict();

export const pipelineSpecSchema = z
  .object({
    version: z.literal(SPEC_VERSION, { error: `expected version: ${SPEC_VERSION}` }),
    name: dnsName,
    description: z.string().optional(),
    sources: z.array(sourceSchema).min(1),
    join: joinSchema.optional(),
    sink: sinkSchema,
    parallelism: z.number({ error: `expected a whole number of shards from 1 to ${MAX_PARALLELISM}` }).int({ error: `expected a whole number of shards from 1 to ${MAX_PARALLELISM}` })
      .min(1, { error: `expected a whole number of shards from 1 to ${MAX_PARALLELISM}` }).max(MAX_PARALLELISM, { error: `expected a whole number of shards from 1 to ${MAX_PARALLELISM}` }).default(1)
      .describe(`shards of the dedup + join + sink stage (1 to ${MAX_PARALLELISM}): events are routed by a hash of their dedup key (of the join key in a join) to one of N shards, each its own activity with its own journal, fence and batch ids, so one pipeline runs on many workers (docs/scaling.md); fixed for the pipeline's life`),
  })
  .strict();

export type PipelineSpec = z.output<typeof pipelineSpecSchema>;
export type PipelineSpecInput = z.input<typeof pipelineSpecSchema>;
export type SourceSpec = PipelineSpec['sources'][number];
export type DedupSpec = NonNullable<SourceSpec['dedup']>;
export type SinkSpec = PipelineSpec['sink'];
export type JoinSpec = NonNullable<PipelineSpec['join']>;
export type Secret = z.output<typeof secretSchema>;

/** The spec as JSON Schema, for editors, the UI and `sluice schema`. */
export function pipelineJsonSchema(): unknown {
  return z.toJSONSchema(pipelineSpecSchema, { io: 'input', unrepresentable: 'any' });
}
