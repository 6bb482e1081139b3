// The HTTP server: GraphQL (graphql-yoga on express) at /graphql, plus /healthz and /metrics.
import express, { type Express } from 'express';
import { createSchema, createYoga } from 'graphql-yoga';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { typeDefs } from './schema.graphql';
import { resolvers, type ApiContext } from './resolvers';
import type { PipelineService } from './pipelines';

export function createApp(svc: PipelineService): Express {
  const app = express();
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'sluice_api_' });
  const yoga = createYoga<object, ApiContext>({
    schema: createSchema<ApiContext>({ typeDefs, resolvers }),
    context: () => ({ svc }),
    graphqlEndpoint: '/graphql',
    maskedErrors: true,
    landingPage: false,
  });
  app.use(express.json({ limit: '1mb' }));
  app.use(yoga.graphqlEndpoint, yoga as unknown as express.RequestHandler);
  app.get('/healthz', (_req, res) => { res.json({ ok: true }); });
  app.get('/metrics', async (_req, res) => {
    res.setHeader('content-type', registry.contentType);
    res.end(await registry.metrics());
  });
  return app;
}
