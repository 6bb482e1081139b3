// The typed GraphQL input of a spec, turned into the same document the YAML form gives, so both go
// through one validator (and get the same error paths).
type Maybe<T> = T | null | undefined;
interface SecretInput { value?: Maybe<string>; env?: Maybe<string> }
interface SourceInput {
  name: string;
  kafka: Record<string, unknown> & { sasl?: Maybe<{ mechanism: string; username: string; password: SecretInput }>; tls?: Maybe<Record<string, unknown> & { key?: Maybe<SecretInput> }> };
  schema: { fields: Array<{ name: string; type: string }>; eventTime?: Maybe<string> };
  dedup?: Maybe<{ key?: Maybe<string[]>; ignore?: Maybe<string[]>; window: string; time?: Maybe<string> }>;
}
interface JoinInput {
  time?: Maybe<string>;
  idleAfter?: Maybe<string>;
  left: { source: string; window: string };
  right: Array<{ source: string; key: string[]; leftKey?: Maybe<string[]>; window: string; kind?: Maybe<string>; latest?: Maybe<boolean> }>;
  output: Array<{ field: string; as?: Maybe<string> }>;
}
export interface PipelineSpecInput {
  version: number;
  name: string;
  description?: Maybe<string>;
  sources: SourceInput[];
  join?: Maybe<JoinInput>;
  parallelism?: Maybe<number>;
  sink: Record<string, unknown> & { clickhouse: Record<string, unknown> & { password?: Maybe<SecretInput> } };
}

/** Drops null/undefined members (GraphQL gives null for every field left out), at every depth. */
function compact(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(compact);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null && x !== undefined).map(([k, x]) => [k, compact(x)]));
}

/** one field as a string, several as a list: the YAML form's shape, so error paths match */
const one = (fields: string[]) => (fields.length === 1 ? fields[0] : fields);
const secret = (s: Maybe<SecretInput>) => (s ? (s.env ? { env: s.env } : s.value ?? undefined) : undefined);

export function specDocumentOf(input: PipelineSpecInput): unknown {
  return compact({
    ...input,
    sources: input.sources.map((src) => ({
      ...src,
      kafka: {
        ...src.kafka,
        sasl: src.kafka.sasl && { ...src.kafka.sasl, mechanism: src.kafka.sasl.mechanism.replace(/_/g, '-'), password: secret(src.kafka.sasl.password) },
        tls: src.kafka.tls && { ...src.kafka.tls, key: secret(src.kafka.tls.key) },
      },
      schema: { fields: Object.fromEntries(src.schema.fields.map((f) => [f.name, f.type])), eventTime: src.schema.eventTime },
      dedup: src.dedup && {
        window: src.dedup.window,
        time: src.dedup.time,
        key: src.dedup.ignore ? { ignore: src.dedup.ignore } : src.dedup.key ? one(src.dedup.key) : undefined,
      },
    })),
    join: input.join && {
      ...input.join,
      right: input.join.right.map((r) => ({ ...r, key: one(r.key), leftKey: r.leftKey ? one(r.leftKey) : undefined })),
      output: input.join.output.map((o) => (o.as ? { field: o.field, as: o.as } : o.field)),
    },
    sink: { ...input.sink, clickhouse: { ...input.sink.clickhouse, password: secret(input.sink.clickhouse.password) } },
  });
}
