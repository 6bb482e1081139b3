// The GraphQL schema: it reads as the API's documentation.
export const typeDefs = /* GraphQL */ `
  """
  A pipeline's lifecycle state, owned by its Temporal workflow. PROVISIONING with an error: the
  last attempt failed and is retried (e.g. ClickHouse down); FAILED: it cannot pass as specified
  (e.g. ClickHouse refused the DDL; the error says why) until updated. PAUSING/STOPPING: asked to,
  the stages are winding down. REPARTITIONING: an update changed parallelism; ingest is stopped
  while the shards' state moves to the new shards (parallelismChange says how long it took). NO_WORKER: no worker answers for the pipeline (nothing failed);
  the counters are the last known ones.
  """
  enum PipelineStatus { PROVISIONING RUNNING PAUSING PAUSED REPARTITIONING STOPPING STOPPED FAILED NO_WORKER }

  "Counters of the dedup (+ join) + sink stage since the pipeline was created. Without a join: read = inserted + duplicates + dlq."
  type SinkCounters {
    read: Float!
    "rows inserted into ClickHouse"
    inserted: Float!
    duplicates: Float!
    dlq: Float!
    late: Float!
    batches: Float!
    keysHeld: Float!
    "join pipelines only: read = duplicates + dlq - join.rejectedRows + join.matched + join.unmatched + join.waiting + join.side"
    join: JoinCounters
  }

  "Counters of a join (see docs/joins.md)."
  type JoinCounters {
    "left events whose window closed with at least one row"
    matched: Float!
    "left events dropped when their window closed: an inner side never matched"
    unmatched: Float!
    "left events waiting for matches now"
    waiting: Float!
    "right-side events taken into the join state"
    side: Float!
    "right-side events held now for left events to come"
    held: Float!
    "joined rows ClickHouse refused (in the DLQ, also counted in dlq)"
    rejectedRows: Float!
  }

  "Counters of one source's ingest stage (Kafka -> JetStream)."
  type IngestCounters {
    source: String!
    read: Float!
    "JetStream messages published (each up to 500 records)"
    published: Float!
    "Kafka records not yet read, summed over partitions: the topic's end offsets minus the consumer group's committed offsets (also while paused or failing); null when Kafka cannot be asked"
    lag: Float
    "why this source's ingest fails right now (e.g. Kafka refuses the credentials); null while it works"
    error: String
  }

  "The last change of a running pipeline's parallelism (an update with another parallelism)."
  type ParallelismChange {
    from: Int!
    to: Int!
    "when it was asked for"
    at: String!
    "how long the pipeline stood still: from its stages' stop to the new stages' start"
    stoppedMs: Float!
    "of that: draining the old shards, and moving their state to the new ones"
    drainMs: Float!
    moveMs: Float!
    "dedup keys moved (a join pipeline copies them to every new shard), and join events (open windows, held right events)"
    keys: Float!
    joinEvents: Float!
    "why it was refused before anything changed (the pipeline went on with its old parallelism); null when it was made"
    refused: String
  }

  type Pipeline {
    "the pipeline name (also its id)"
    id: ID!
    status: PipelineStatus!
    "what is wrong: why it FAILED, the failure a PROVISIONING retry follows, a failing source while RUNNING, or NO_WORKER's reason"
    error: String
    specVersion: Int!
    "the sink's counters: with parallelism > 1, the sum over its shards"
    sink: SinkCounters
    "parallelism > 1: each shard's counters (shard i is element i); empty with one shard"
    shards: [SinkCounters!]!
    "the last change of parallelism while running; null when there was none"
    parallelismChange: ParallelismChange
    ingest: [IngestCounters!]!
    "the spec as JSON, secrets redacted (only while the pipeline runs)"
    spec: String
    "the spec as the user gave it: YAML text as written (JSON and typed input as YAML of that document), secrets given inline as ***; only for pipeline(id), while it runs; null for a pipeline made before it was kept"
    specText: String
    "specText parsed, as JSON: the user's document without the defaults (what the wizard's edit starts from)"
    specDocument: String
    "running stages with their retry attempt and last failure (only for pipeline(id))"
    stages: [Stage!]!
    "rates over the last 15 minutes, one point per interval between the counter samples the workflow keeps (one at most every 10 s; only for pipeline(id), while it runs)"
    metrics: [MetricsPoint!]!
    updatedAt: String!
  }

  "Rates over one interval (seconds long, ending at at): events read from Kafka, rows inserted, duplicates and DLQ entries per second; Kafka lag at its end."
  type MetricsPoint {
    at: String!
    seconds: Float!
    readPerSec: Float!
    rowsPerSec: Float!
    duplicatesPerSec: Float!
    dlqPerSec: Float!
    lag: Float!
    "end-to-end latency: the sink's own figure when it reports one (latencyMeasured), otherwise an estimate, backlog (Kafka lag + read but not yet processed) / the sink's throughput; null when nothing moved"
    latencyMs: Float
    latencyMeasured: Boolean!
  }

  "A stage activity as Temporal runs it: a retried stage shows its attempt and last failure."
  type Stage { type: String!, attempt: Int!, lastFailure: String }

  "A dead-lettered event: where it came from, why it was set aside, and its original value."
  type DlqEntry {
    id: ID!
    source: String!
    topic: String!
    partition: Int!
    offset: Float!
    reason: String!
    error: String!
    value: String
    at: String!
  }
  type DlqPage { items: [DlqEntry!]!, total: Int!, "pass as after for the next page" nextAfter: ID }

  type UpdateCheck { diff: [String!]!, problems: [SpecProblem!]! }

  type Dependency { name: String!, up: Boolean!, detail: String }
  type Health { ok: Boolean!, dependencies: [Dependency!]! }

  type SpecProblem { path: String!, message: String! }
  type Validation { valid: Boolean!, problems: [SpecProblem!]! }

  "A secret: inline (value) or, better, the name of an environment variable on the workers (env)."
  input SecretInput { value: String, env: String }
  enum StartFrom { earliest latest }
  enum SaslMechanism { plain scram_sha_256 scram_sha_512 }
  enum DedupTime { event arrival }
  input SaslInput { mechanism: SaslMechanism!, username: String!, password: SecretInput! }
  input TlsInput { enabled: Boolean, ca: String, cert: String, key: SecretInput, skipVerify: Boolean }
  input KafkaInput { brokers: [String!]!, topic: String!, startFrom: StartFrom, groupId: String, clientId: String, sasl: SaslInput, tls: TlsInput }
  "A field of the events: name (dot path for nested fields) and type (string, int32, float64, datetime, ...; ? nullable, [] array)."
  input FieldInput { name: String!, type: String! }
  input SchemaInput { fields: [FieldInput!]!, eventTime: String }
  "Dedup: key = the fields that identify an event, or ignore = the whole event minus these fields."
  input DedupInput { key: [String!], ignore: [String!], window: String!, time: DedupTime }
  input SourceInput { name: String!, kafka: KafkaInput!, schema: SchemaInput!, dedup: DedupInput }
  enum JoinKind { inner left }
  input JoinLeftInput { source: String!, window: String! }
  "A right side: key = its fields, leftKey = the left source's fields (default: key)."
  input JoinRightInput { source: String!, key: [String!]!, leftKey: [String!], window: String!, kind: JoinKind, latest: Boolean }
  "An output field: field = source.field, as = the output name (default: the field name)."
  input JoinOutputInput { field: String!, as: String }
  "A temporal join (docs/joins.md)."
  input JoinInput { time: DedupTime, idleAfter: String, left: JoinLeftInput!, right: [JoinRightInput!]!, output: [JoinOutputInput!]! }
  input ClickHouseInput { url: String!, database: String, table: String!, username: String, password: SecretInput }
  input ColumnInput { name: String!, field: String, type: String }
  input CreateTableInput { engine: String, orderBy: [String!]!, partitionBy: String }
  input BatchInput { maxRows: Int, maxDelay: String }
  "A new pipeline into a table that already holds rows: refuse (the default), or append (the sources are read again from startFrom)."
  enum OnExistingRows { refuse append }
  input SinkInput { clickhouse: ClickHouseInput!, columns: [ColumnInput!], createTable: CreateTableInput, batch: BatchInput, onExistingRows: OnExistingRows }
  "The pipeline spec as typed input (the same document as the YAML form)."
  input PipelineSpecInput { version: Int!, name: String!, description: String, sources: [SourceInput!]!, join: JoinInput, sink: SinkInput!, parallelism: Int }

  "A Kafka cluster to look at (the wizard): brokers and, when needed, SASL and TLS."
  input KafkaConnectionInput { brokers: [String!]!, sasl: SaslInput, tls: TlsInput }
  "A topic: its partitions and approximately how many messages it holds (end minus start offsets)."
  type TopicInfo { name: String!, partitions: Int!, messages: Float! }
  "A sampled record; timestamp: its Kafka timestamp (ms), the arrival a join preview orders by."
  type SampledMessage { partition: Int!, offset: Float!, value: String, timestamp: Float }
  "A field type inferred from the sample (editable in the wizard): dot path, spec type, how many objects hold it, a few values."
  type InferredField { name: String!, type: String!, present: Int!, examples: [String!]! }
  "A sampled message that is not a JSON object, with the DLQ reason the pipeline would give it."
  type RejectedMessage { index: Int!, reason: String!, error: String!, value: String }
  "Pairs of sampled events identical but for one field: ignoring it would make them duplicates."
  type DedupSuggestion { ignore: String!, pairs: Int! }
  "The last messages of a topic across partitions, and what they suggest."
  type TopicSample {
    topic: String!
    messages: [SampledMessage!]!
    "the sample stopped at the byte or time limit before the asked count"
    truncated: Boolean!
    fields: [InferredField!]!
    "datetime fields, candidates for the event time"
    eventTimeCandidates: [String!]!
    rejected: [RejectedMessage!]!
    "best first"
    suggestions: [DedupSuggestion!]!
  }
  input SampledMessageInput { partition: Int!, offset: Float!, value: String, timestamp: Float }
  "One source's sampled messages, by source name."
  input SourceSampleInput { source: String!, messages: [SampledMessageInput!]! }
  "A join spec run on the samples by the worker's code (core/sinkState.ts, core/join): left events matched / unmatched (their window closed by now, by arrival or by the sampled events' times) / waiting (still open), and the first joined rows as JSON."
  type JoinPreview { read: Int!, rows: Int!, duplicates: Int!, dlq: Int!, dlqReasons: [DlqReasonCount!]!, matched: Int!, unmatched: Int!, waiting: Int!, side: Int!, examples: [String!]! }
  type DlqReasonCount { reason: String!, count: Int!, example: String! }
  "A spec's dedup run on a sample by the worker's own code (core/sinkState.ts): read = rows + duplicates + dlq."
  type DedupPreview { read: Int!, rows: Int!, duplicates: Int!, dlq: Int!, dlqReasons: [DlqReasonCount!]!, "sampled values sharing a dedup key, first kept" groups: [[String]!]! }
  input ClickHouseConnectionInput { url: String!, database: String, username: String, password: SecretInput }
  "A field mapped to a column: fieldType is its spec type (string, int32, ...)."
  input MappingInput { column: String!, field: String!, fieldType: String! }
  type TableColumn { name: String!, type: String! }
  "problem: why the column does not take the field (null: it does)."
  type MappingCheck { column: String!, field: String!, fieldType: String!, problem: String, """the column's type to give as sink.columns[].type: set when the column takes the field with another type than the field's own (DateTime64 for a datetime, Decimal for a float64, ...)""" columnType: String }
  type ClickHouseTable { exists: Boolean!, columns: [TableColumn!]!, mapping: [MappingCheck!]! }

  type Query {
    health: Health!
    "Pipelines by name; page with first/after (after = the last id of the previous page); search: part of the name."
    pipelines(status: PipelineStatus, first: Int = 100, after: ID, search: String): [Pipeline!]!
    pipeline(id: ID!): Pipeline
    "Checks a spec (YAML or JSON text) without creating anything; with checkConnections, also that each Kafka topic exists and the ClickHouse table (if it exists) takes the column mapping."
    validatePipeline(spec: String, input: PipelineSpecInput, checkConnections: Boolean = true): Validation!
    "The pipeline spec's JSON Schema."
    pipelineJsonSchema: String!
    "Dead-lettered events of a pipeline, oldest first; reason: only those (malformed_json, type_mismatch, ...), looking at at most 2,000 entries per call (nextAfter goes on)."
    dlq(pipelineId: ID!, limit: Int = 50, after: ID, reason: String): DlqPage!
    "Topics of a Kafka cluster (search: part of the name), at most 1000; UNAVAILABLE when no broker answers within 5 s."
    kafkaTopics(kafka: KafkaConnectionInput!, search: String): [TopicInfo!]!
    "The last limit messages (1..1000) of a topic across partitions, at most 2 MB and 15 s, with the inferred schema and dedup suggestions."
    sampleTopic(kafka: KafkaConnectionInput!, topic: String!, limit: Int = 200): TopicSample!
    "A spec's dedup on sampled messages (at most 1000), computed by the worker's code; BAD_SPEC with problems when the spec is invalid."
    previewDedup(spec: String, input: PipelineSpecInput, messages: [SampledMessageInput!]!, source: Int = 0): DedupPreview!
    "A join spec on the sampled messages of its sources (at most 1000 each), computed by the worker's code; BAD_SPEC with problems when the spec is invalid."
    previewJoin(spec: String, input: PipelineSpecInput, samples: [SourceSampleInput!]!): JoinPreview!
    "The spec as YAML, secrets redacted, defaults filled in: what sluice export gives for it once running; BAD_SPEC with problems when invalid."
    exportSpec(spec: String, input: PipelineSpecInput): String!
    "What updatePipeline(id, spec) would change: the diff of the running spec and the new one, both as sluice export gives them (lines starting with - and +), and what the update rules refuse (problems by path; none: the update may be applied)."
    checkUpdate(id: ID!, spec: String, input: PipelineSpecInput): UpdateCheck!
    "Tables of a ClickHouse database; UNAVAILABLE when it does not answer within 5 s."
    clickhouseTables(clickhouse: ClickHouseConnectionInput!): [String!]!
    "A table's columns and each mapping checked for type compatibility."
    clickhouseTable(clickhouse: ClickHouseConnectionInput!, table: String!, mapping: [MappingInput!]): ClickHouseTable!
  }

  type Mutation {
    "Creates and starts a pipeline from a spec: YAML or JSON text (spec) or typed (input), exactly one."
    createPipeline(spec: String, input: PipelineSpecInput): Pipeline!
    "Applies a new spec version (spec or input, exactly one) to a running pipeline."
    updatePipeline(id: ID!, spec: String, input: PipelineSpecInput): Pipeline!
    "Pauses the stages; answers once PAUSED (or PAUSING if that takes longer than 15 s)."
    pausePipeline(id: ID!): Pipeline!
    "Resumes a paused pipeline; answers with its status once the stages restart."
    resumePipeline(id: ID!): Pipeline!
    "Stops reading, drains what was read into ClickHouse, then finishes; answers once STOPPED (or STOPPING)."
    stopPipeline(id: ID!): Pipeline!
    "Removes the pipeline's JetStream streams and consumer groups (stopping it first if it runs), whatever its status; the ClickHouse table is kept, the pipeline is no longer listed."
    deletePipeline(id: ID!): Boolean!
    "Sends DLQ entries back to their source topic (after fixing the producer or the spec) and removes them from the DLQ; returns how many. A pipeline's replays and purges run one at a time, so two replays of one entry send it once (the other is NOT_FOUND, as is an id already replayed or purged)."
    replayDlq(pipelineId: ID!, ids: [ID!]!): Int!
    "Removes every DLQ entry; returns how many."
    purgeDlq(pipelineId: ID!): Int!
  }

  type Subscription {
    "The pipeline's status and counters whenever they change (server-sent events); ends when it stops."
    pipelineStatus(id: ID!): Pipeline!
  }
`;
