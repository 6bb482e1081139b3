// Thin resolvers: every one calls the service layer; SluiceErrors become GraphQL errors with
// `extensions.code` and, for specs, `extensions.problems` (path + message of each bad field).
import { GraphQLError } from 'graphql';
import { PipelineService, specFrom } from './pipelines';
import { SluiceError } from './errors';
import { redactSpec } from './redact';
import { dependencies } from './health';
import { pipelineJsonSchema } from '../core/spec/schema';
import type { PipelineState } from '../workflows/signals';

export interface ApiContext { svc: PipelineService }

const toGraphQLError = (e: unknown): never => {
  if (e instanceof SluiceError) throw new GraphQLError(e.message, { extensions: { code: e.code, problems: e.problems } });
  throw e;
};
const guarded = <A extends unknown[], R>(fn: (...a: A) => Promise<R>) => async (...a: A): Promise<R> => {
  try {
    return await fn(...a);
  } catch (e) {
    return toGraphQLError(e);
  }
};

const view = (s: PipelineState, spec?: unknown) => ({
  id: s.name,
  status: s.status,
  error: s.error ?? null,
  specVersion: s.specVersion,
  sink: s.sink.read === undefined ? null : { late: 0, batches: 0, keysHeld: 0, ...s.sink },
  ingest: Object.entries(s.ingest).map(([source, c]) => ({ source, read: c.read ?? 0, published: c.published ?? 0 })),
  spec: spec === undefined ? null : JSON.stringify(spec),
  updatedAt: new Date(s.updatedAt).toISOString(),
});

type Args = { id: string; spec: string; status?: string };

export const resolvers = {
  Query: {
    health: guarded(async () => {
      const deps = await dependencies();
      return { ok: deps.every((d) => d.up), dependencies: deps };
    }),
    pipelines: guarded(async (_: unknown, { status }: Partial<Args>, { svc }: ApiContext) =>
      (await svc.list()).filter((p) => !status || p.status === status).map((p) => view(p))),
    pipeline: guarded(async (_: unknown, { id }: Args, { svc }: ApiContext) => {
      const s = await svc.status(id).catch((e) => { if (e instanceof SluiceError && e.code === 'NOT_FOUND') return undefined; throw e; });
      if (!s) return null;
      const spec = s.status === 'STOPPED' || s.status === 'FAILED' ? undefined : await svc.spec(id).then(redactSpec).catch(() => undefined);
      return view(s, spec);
    }),
    validatePipeline: (_: unknown, { spec }: Args) => {
      try {
        specFrom(spec);
        return { valid: true, problems: [] };
      } catch (e) {
        if (e instanceof SluiceError && e.problems) return { valid: false, problems: e.problems };
        throw e;
      }
    },
    pipelineJsonSchema: () => JSON.stringify(pipelineJsonSchema()),
  },
  Mutation: {
    createPipeline: guarded(async (_: unknown, { spec }: Args, { svc }: ApiContext) => view(await svc.create(spec))),
    updatePipeline: guarded(async (_: unknown, { id, spec }: Args, { svc }: ApiContext) => { await svc.update(id, spec); return view(await svc.status(id)); }),
    pausePipeline: guarded(async (_: unknown, { id }: Args, { svc }: ApiContext) => { await svc.pause(id); return view(await svc.status(id)); }),
    resumePipeline: guarded(async (_: unknown, { id }: Args, { svc }: ApiContext) => { await svc.resume(id); return view(await svc.status(id)); }),
    stopPipeline: guarded(async (_: unknown, { id }: Args, { svc }: ApiContext) => { await svc.stop(id); return view(await svc.status(id)); }),
    deletePipeline: guarded(async (_: unknown, { id }: Args, { svc }: ApiContext) => { await svc.delete(id); return true; }),
  },
};
