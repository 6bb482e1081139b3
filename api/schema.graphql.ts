// The GraphQL schema: it reads as the API's documentation.
export const typeDefs = /* GraphQL */ `
  "A pipeline's lifecycle state, owned by its Temporal workflow."
  enum PipelineStatus { PROVISIONING RUNNING PAUSED STOPPING STOPPED FAILED }

  "Counters of the dedup + sink stage since the pipeline was created. read = inserted + duplicates + dlq."
  type SinkCounters {
    read: Float!
    inserted: Float!
    duplicates: Float!
    dlq: Float!
    late: Float!
    batches: Float!
    keysHeld: Float!
  }

  "Counters of one source's ingest stage (Kafka -> JetStream)."
  type IngestCounters { source: String!, read: Float!, published: Float! }

  type Pipeline {
    "the pipeline name (also its id)"
    id: ID!
    status: PipelineStatus!
    "the failure message when status is FAILED"
    error: String
    specVersion: Int!
    sink: SinkCounters
    ingest: [IngestCounters!]!
    "the spec as JSON, secrets redacted (only while the pipeline runs)"
    spec: String
    updatedAt: String!
  }

  type Dependency { name: String!, up: Boolean!, detail: String }
  type Health { ok: Boolean!, dependencies: [Dependency!]! }

  type SpecProblem { path: String!, message: String! }
  type Validation { valid: Boolean!, problems: [SpecProblem!]! }

  type Query {
    health: Health!
    pipelines(status: PipelineStatus): [Pipeline!]!
    pipeline(id: ID!): Pipeline
    "Checks a spec (YAML or JSON text) without creating anything."
    validatePipeline(spec: String!): Validation!
    "The pipeline spec's JSON Schema."
    pipelineJsonSchema: String!
  }

  type Mutation {
    "Creates and starts a pipeline from a spec (YAML or JSON text)."
    createPipeline(spec: String!): Pipeline!
    updatePipeline(id: ID!, spec: String!): Pipeline!
    pausePipeline(id: ID!): Pipeline!
    resumePipeline(id: ID!): Pipeline!
    "Stops reading, drains what was read into ClickHouse, then finishes."
    stopPipeline(id: ID!): Pipeline!
    "Stops the pipeline and removes its JetStream streams and consumer groups; the ClickHouse table is kept."
    deletePipeline(id: ID!): Boolean!
  }
`;
