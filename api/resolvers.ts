// Thin resolvers: every one calls the service layer; SluiceErrors become GraphQL errors with
// `extensions.code` and, for specs, `extensions.problems` (path + message of each bad field).
import { GraphQLError } from 'graphql';
import { parse as parseYaml } from 'yaml';
import { PipelineService, specFrom } from '../client/pipelines';
import { SluiceError } from '../client/errors';
import { redactSpec } from '../core/spec/redact';
import { dependencies } from './health';
import { readDlq } from './dlq';
import { checkConnections } from './connectionCheck';
import { specDocumentOf, type PipelineSpecInput } from './specInput';
import type { Role } from './auth';
import { pipelineJsonSchema } from '../core/spec/schema';
import type { PipelineState } from '../workflows/signals';
import { exportYaml, wizardQueries as wiz } from './wizard/resolvers';
import { redactSpecText } from './specText';
import { lineDiff } from '../cli/diff';
import { metricsPoints } from './metrics';
import { sampleOf } from '../workflows/metricsHistory';

export interface ApiContext { svc: PipelineService; role: Role }

const toGraphQLError = (e: unknown): never => {
  if (e instanceof SluiceError) throw new GraphQLError(e.message, { extensions: { code: e.code, problems: e.problems } });
  throw e;
};
type Resolver<A, R> = (parent: unknown, args: A, ctx: ApiContext) => Promise<R>;
const query = <A, R>(fn: Resolver<A, R>): Resolver<A, R> => async (p, a, ctx) => {
  try {
    return await fn(p, a, ctx);
  } catch (e) {
    return toGraphQLError(e);
  }
};
const mutation = <A, R>(fn: Resolver<A, R>): Resolver<A, R> => query(async (p, a, ctx) => {
  if (ctx.role !== 'admin') throw new SluiceError('FORBIDDEN', 'this token is read-only: mutations need an admin token');
  return fn(p, a, ctx);
});

const sinkCounters = (c: Record<string, number>) => (c.read === undefined ? null : {
  read: 0, inserted: 0, duplicates: 0, dlq: 0, late: 0, batches: 0, keysHeld: 0, ...c,
  join: c.matched === undefined ? null : { matched: 0, unmatched: 0, waiting: 0, side: 0, rejectedRows: 0, ...c, held: c.joinHeld ?? 0 },
});

const view = (s: PipelineState, extra: { spec?: unknown; specText?: string; specDocument?: unknown; stages?: unknown[]; metrics?: unknown[] } = {}) => ({
  id: s.name,
  status: s.status,
  error: s.error ?? null,
  specVersion: s.specVersion,
  sink: sinkCounters(s.sink),
  shards: (s.shards ?? []).map((c) => sinkCounters(c ?? {}) ?? sinkCounters({ read: 0 })),
  parallelismChange: s.parallelismChange ? { refused: null, ...s.parallelismChange, at: new Date(s.parallelismChange.at).toISOString() } : null,
  ingest: [...new Set([...Object.keys(s.ingest), ...Object.keys(s.sourceErrors ?? {})])].map((source) => {
    const c = s.ingest[source] ?? {};
    return { source, read: c.read ?? 0, published: c.published ?? 0, lag: c.lag ?? null, error: s.sourceErrors?.[source] ?? null };
  }),
  spec: extra.spec === undefined ? null : JSON.stringify(extra.spec),
  specText: extra.specText ?? null,
  specDocument: extra.specDocument === undefined ? null : JSON.stringify(extra.specDocument),
  stages: extra.stages ?? [],
  metrics: extra.metrics ?? [],
  updatedAt: new Date(s.updatedAt).toISOString(),
});

const toId = (text: string | undefined, field: string): number => {
  if (text === undefined || text === null) return 0;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new SluiceError('BAD_INPUT', `${field}: expected a DLQ entry id`);
  return n;
};

async function pipelineView(svc: PipelineService, id: string) {
  const s = await svc.status(id);
  // spec and stages come from the worker (NO_WORKER: none answers, so do not wait for it twice)
  const live = s.status !== 'STOPPED' && s.status !== 'FAILED' && s.status !== 'NO_WORKER';
  const raw = live ? await svc.spec(id).catch(() => undefined) : undefined;
  const text = raw && (await svc.specText(id).catch(() => undefined));
  const spec = raw && redactSpec(raw);
  const specText = raw && text !== undefined ? redactSpecText(text, raw) : undefined;
  const stages = live ? await svc.describeStages(id).catch(() => []) : [];
  // the samples the workflow took, and the state just read as the last one
  const metrics = live ? metricsPoints(await svc.metrics(id).catch(() => []), sampleOf(s, Date.now())) : [];
  return view(s, { spec, specText, specDocument: specText === undefined ? undefined : parseYaml(specText), stages, metrics });
}

/** The spec of a request: YAML/JSON text or typed input, exactly one. */
function specArg({ spec, input }: { spec?: string | null; input?: PipelineSpecInput | null }): unknown {
  if ((spec == null) === (input == null)) throw new SluiceError('BAD_INPUT', 'spec, input: give the spec either as text (spec) or typed (input), exactly one');
  return input != null ? specDocumentOf(input) : spec;
}

type Args = { id: string; spec?: string | null; input?: PipelineSpecInput | null; status?: string; first?: number; after?: string; pipelineId: string; limit?: number; ids: string[] };

export const resolvers = {
  Query: {
    health: query(async () => {
      const deps = await dependencies();
      return { ok: deps.every((d) => d.up), dependencies: deps };
    }),
    pipelines: query(async (_, { status, first = 100, after, search }: Partial<Args> & { search?: string | null }, { svc }) => {
      if (!Number.isInteger(first) || first < 1 || first > 1000) throw new SluiceError('BAD_INPUT', 'first: expected an integer from 1 to 1000');
      return (await svc.list({ status, search, after, first })).map((p) => view(p));
    }),
    pipeline: query(async (_, { id }: Args, { svc }) =>
      pipelineView(svc, id).catch((e) => { if (e instanceof SluiceError && e.code === 'NOT_FOUND') return null; throw e; })),
    validatePipeline: query(async (_, args: Args & { checkConnections?: boolean }) => {
      const connect = args.checkConnections ?? true;
      try {
        const spec = specFrom(specArg(args));
        const problems = connect ? await checkConnections(spec) : [];
        return { valid: problems.length === 0, problems };
      } catch (e) {
        if (e instanceof SluiceError && e.problems) return { valid: false, problems: e.problems };
        throw e;
      }
    }),
    pipelineJsonSchema: () => JSON.stringify(pipelineJsonSchema()),
    dlq: query(async (_, { pipelineId, limit = 50, after, reason }: Args & { reason?: string | null }) => {
      const page = await readDlq(pipelineId, limit, toId(after, 'after'), reason);
      return {
        total: page.total,
        nextAfter: page.nextAfter === null ? null : String(page.nextAfter),
        items: page.items.map((d) => ({ ...d, id: String(d.id), at: new Date(d.at).toISOString() })),
      };
    }),
    kafkaTopics: query(async (_, args: Parameters<typeof wiz.kafkaTopics>[0]) => wiz.kafkaTopics(args)),
    sampleTopic: query(async (_, args: Parameters<typeof wiz.sampleTopic>[0]) => wiz.sampleTopic(args)),
    previewDedup: query(async (_, args: Args & Parameters<typeof wiz.previewDedup>[1]) => wiz.previewDedup(specArg(args), args)),
    previewJoin: query(async (_, args: Args & Parameters<typeof wiz.previewJoin>[1]) => wiz.previewJoin(specArg(args), args)),
    exportSpec: query(async (_, args: Args) => wiz.exportSpec(specArg(args))),
    checkUpdate: query(async (_, args: Args, { svc }) => {
      const { current, next, problems } = await svc.checkUpdate(args.id, specArg(args));
      return { problems, diff: lineDiff(exportYaml(current), exportYaml(next)) };
    }),
    clickhouseTables: query(async (_, args: Parameters<typeof wiz.clickhouseTables>[0]) => wiz.clickhouseTables(args)),
    clickhouseTable: query(async (_, args: Parameters<typeof wiz.clickhouseTable>[0]) => wiz.clickhouseTable(args)),
  },
  Mutation: {
    createPipeline: mutation(async (_, args: Args, { svc }) => view(await svc.create(specArg(args)))),
    updatePipeline: mutation(async (_, args: Args, { svc }) => { await svc.update(args.id, specArg(args)); return view(await svc.status(args.id)); }),
    pausePipeline: mutation(async (_, { id }: Args, { svc }) => view(await svc.pause(id))),
    resumePipeline: mutation(async (_, { id }: Args, { svc }) => view(await svc.resume(id))),
    stopPipeline: mutation(async (_, { id }: Args, { svc }) => view(await svc.stop(id))),
    deletePipeline: mutation(async (_, { id }: Args, { svc }) => { await svc.delete(id); return true; }),
    replayDlq: mutation(async (_, { pipelineId, ids }: Args, { svc }) => svc.replayDlq(pipelineId, ids.map((i) => toId(i, 'ids')))),
    purgeDlq: mutation(async (_, { pipelineId }: Args, { svc }) => svc.purgeDlq(pipelineId)),
  },
  Subscription: {
    pipelineStatus: {
      subscribe: async function* (_: unknown, { id }: Args, { svc }: ApiContext) {
        let last = '';
        for (;;) {
          const v = await pipelineView(svc, id).catch(toGraphQLError);
          const text = JSON.stringify({ ...v, updatedAt: undefined, metrics: undefined }); // the charts' last point moves every second
          if (text !== last) {
            last = text;
            yield { pipelineStatus: v };
          }
          if (v.status === 'STOPPED') return;
          await new Promise((r) => setTimeout(r, 1000));
        }
      },
    },
  },
};
