// Shards of one pipeline (spec `parallelism: N`): every Kafka record is routed to one of N
// shards, each its own dedup + join + sink activity. Records are routed by a hash of their
// dedup key (of the join key in a join pipeline), computed from the decoded values exactly as the
// sink computes keys (core/dedupKey.ts, core/event.ts), so all copies of an event — whatever
// their Kafka key or partition — are judged by one shard, and both sides of a join match meet in
// one. Records that cannot be keyed (bad JSON, a missing key field, ...) go to shard 0, which
// dead-letters them; records of a source with neither dedup nor join go by Kafka partition.
// Pure: ingest (activities/ingest.ts) runs the router; docs/scaling.md explains the design.
import type { PipelineSpec, SourceSpec } from './spec/schema';
import type { SpecProblem } from './spec/problem';
import { EventDecoder, EventError, valueOf, type DecodedEvent } from './event';
import { canonicalJson, hashKey, keyFieldsOf, keyFunction } from './dedupKey';
import { textStart } from './envelope';
import { asList } from './join/plan';

/** The shard a hashed key (16 hex characters) belongs to: its low 32 bits modulo N. */
export const shardOfHash = (hex: string, count: number): number => parseInt(hex.slice(8), 16) % count;

/** The shard of a join key: its values in the join key's field order (also how a repartition routes held join events). */
export const shardOfJoinKey = (values: unknown[], count: number): number => shardOfHash(hashKey(canonicalJson(values)), count);

/** The join key fields of a source in a join pipeline (the left side's are the same for every right side when N > 1). */
function joinKeyOf(spec: PipelineSpec, source: number): string[] | undefined {
  const join = spec.join;
  if (!join) return undefined;
  const name = spec.sources[source].name;
  if (join.left.source === name) return asList(join.right[0].leftKey ?? join.right[0].key);
  const r = join.right.find((x) => x.source === name);
  return r ? asList(r.key) : undefined;
}

export interface ShardRouter {
  count: number;
  /** the shard of one Kafka record of source `source` */
  route(source: number, value: Buffer | null, partition: number): number;
}

export function shardRouter(spec: PipelineSpec, maxEventBytes: number): ShardRouter {
  const count = spec.parallelism;
  if (count === 1) return { count, route: () => 0 };
  const routes = spec.sources.map((src: SourceSpec, i) => {
    const joinKey = joinKeyOf(spec, i);
    if (!joinKey && !src.dedup) return (_v: Buffer | null, partition: number) => partition % count;
    const decoder = new EventDecoder(src, new Set([...keyFieldsOf(src.dedup), ...(joinKey ?? [])]), { reuse: true });
    const dedupKey = joinKey ? undefined : keyFunction(src.dedup!);
    const shardOfEvent = (e: DecodedEvent) => (joinKey ? shardOfJoinKey(joinKey.map((f) => valueOf(e, f)), count) : shardOfHash(dedupKey!(e), count));
    return (v: Buffer | null) => {
      // a tombstone, or a value the sink dead-letters unread: shard 0 (as for any event that cannot be keyed)
      const at = v === null ? -1 : textStart(v, maxEventBytes);
      if (at < 0) return 0;
      try {
        return shardOfEvent(decoder.decodeAt(v!, at, v!.length - at));
      } catch (e) {
        if (e instanceof EventError) return 0; // the sink of shard 0 dead-letters it with the same reason
        throw e;
      }
    };
  });
  return { count, route: (source, value, partition) => routes[source](value, partition) };
}

/**
 * Cross-field rules of `parallelism`: a sharded join routes every side by its join key, so every
 * right side must join on the same left fields, and a joined source's dedup key must contain its
 * join key (copies of one event then have one join key, so one shard judges them).
 */
export function parallelismProblems(spec: PipelineSpec): SpecProblem[] {
  if (spec.parallelism === 1 || !spec.join) return [];
  const problems: SpecProblem[] = [];
  const join = spec.join;
  const lefts = join.right.map((r) => asList(r.leftKey ?? r.key));
  lefts.forEach((l, i) => {
    if (canonicalJson(l) !== canonicalJson(lefts[0])) {
      problems.push({ path: 'parallelism', message: `a join with parallelism > 1 routes every event by its join key, so every join.right must match the same left field(s): join.right[${i}] matches ${l.join(', ')}, join.right[0] ${lefts[0].join(', ')}; use parallelism: 1 or split the join into pipelines` });
    }
  });
  spec.sources.forEach((src, i) => {
    const joinKey = joinKeyOf(spec, i);
    const key = src.dedup?.key;
    if (!joinKey || key === undefined) return;
    const inKey = typeof key === 'object' && !Array.isArray(key)
      ? (f: string) => !key.ignore.some((p) => f === p || f.startsWith(`${p}.`))
      : (f: string) => asList(key).includes(f);
    const missing = joinKey.filter((f) => !inKey(f));
    if (missing.length) {
      problems.push({ path: 'parallelism', message: `with parallelism > 1 the dedup key of source "${src.name}" must contain its join key (${missing.join(', ')} is not part of sources[${i}].dedup.key): copies of one event must meet in one shard` });
    }
  });
  return problems;
}

/** Ingest members of a source in one consumer group: one per shard, but no more than the topic has partitions (kafkajs gives each member whole partitions). */
export const ingestMembersOf = (parallelism: number, partitions: number | undefined): number => Math.max(1, Math.min(parallelism, partitions ?? parallelism));

/**
 * How often each stage of a pipeline signals its progress to the workflow: every 2 s, less often
 * with many stages, so that one workflow takes about 4 progress signals a second at most
 * (each is an event of its history).
 */
export const progressEveryMs = (parallelism: number): number => 2000 * Math.max(1, Math.ceil(parallelism / 4));
