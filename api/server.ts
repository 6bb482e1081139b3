// The HTTP server: GraphQL (graphql-yoga on express) at /graphql, the web UI at /ui/ (static
// files in api/ui that call /graphql), plus /healthz and /metrics.
import { join } from 'node:path';
import express, { type Express } from 'express';
import { createSchema, createYoga, type GraphiQLOptions, type Plugin } from 'graphql-yoga';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { GraphQLError } from 'graphql';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { typeDefs } from './schema.graphql';
import { resolvers, type ApiContext } from './resolvers';
import { authenticate, type Role } from './auth';
import { limitsRule } from './limits';
import type { PipelineService } from '../client/pipelines';
import { VENDOR_DIR } from './uiVendor';

/** The web UI's files: api/ui in the repository (this file runs from dist/api). */
export const UI_DIR = join(__dirname, '..', '..', 'api', 'ui');

/** Largest request body accepted (a pipeline spec is a few kB). */
export const MAX_REQUEST_BYTES = 256 * 1024;

export interface ApiOptions {
  /** bearer tokens and their roles; empty = open API */
  tokens: ReadonlyMap<string, Role>;
  /** serve GraphiQL at /graphql (development) */
  graphiql: boolean;
}

const limitsPlugin: Plugin = { onValidate: ({ addValidationRule }) => addValidationRule(limitsRule) };

/**
 * GraphiQL with its scripts, styles and editor workers inlined from the installed
 * @graphql-yoga/render-graphiql package (yoga's default page loads them from a CDN, which is a
 * blank page without internet). The page is some MB: rendered once per set of options.
 */
const graphiqlPages = new Map<string, string>();
function offlineGraphiQL(opts?: GraphiQLOptions): string {
  const key = JSON.stringify(opts ?? {});
  let page = graphiqlPages.get(key);
  if (page === undefined) graphiqlPages.set(key, (page = renderGraphiQL(opts)));
  return page;
}

export function createApp(svc: PipelineService, opts: ApiOptions): Express {
  const app = express();
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'sluice_api_' });
  const yoga = createYoga<object, ApiContext>({
    schema: createSchema<ApiContext>({ typeDefs, resolvers }),
    context: ({ request }) => {
      const auth = authenticate(request.headers.get('authorization'), opts.tokens);
      if (!auth.ok) throw new GraphQLError(auth.message, { extensions: { code: auth.code, http: { status: 401 } } });
      return { svc, role: auth.role };
    },
    plugins: [limitsPlugin],
    graphqlEndpoint: '/graphql',
    maskedErrors: true,
    graphiql: opts.graphiql,
    renderGraphiQL: offlineGraphiQL,
    landingPage: false,
  });
  app.use('/graphql', express.raw({ type: () => true, limit: MAX_REQUEST_BYTES }), (req, _res, next) => {
    // the body was read (and its size checked) by express.raw; hand yoga the text
    if (!Buffer.isBuffer(req.body)) return next();
    try {
      req.body = req.body.length ? JSON.parse(req.body.toString('utf8')) : undefined;
      next();
    } catch {
      next(Object.assign(new Error('request body is not valid JSON'), { status: 400 }));
    }
  });
  app.use(yoga.graphqlEndpoint, yoga as unknown as express.RequestHandler);
  app.use((err: Error & { status?: number; type?: string }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const status = err.status ?? 500;
    const code = err.type === 'entity.too.large' ? 'REQUEST_TOO_LARGE' : status === 400 ? 'BAD_REQUEST' : 'INTERNAL';
    res.status(status).json({ errors: [{ message: err.type === 'entity.too.large' ? `request body larger than ${MAX_REQUEST_BYTES} bytes` : err.message, extensions: { code } }] });
  });
  app.get('/', (_req, res) => res.redirect('/ui/'));
  app.use('/ui', (_req, res, next) => {
    // the page loads only its own files and talks only to this API
    res.setHeader('content-security-policy', "default-src 'self'; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'");
    res.setHeader('x-content-type-options', 'nosniff');
    next();
  });
  // the bundled library (uPlot), copied into dist by the build (api/uiVendor.ts)
  app.use('/ui/vendor', express.static(VENDOR_DIR, { maxAge: '1h', fallthrough: false }));
  app.use('/ui', express.static(UI_DIR, { index: 'index.html', maxAge: '5m' }));
  app.get('/healthz', (_req, res) => { res.json({ ok: true }); });
  app.get('/metrics', async (_req, res) => {
    res.setHeader('content-type', registry.contentType);
    res.end(await registry.metrics());
  });
  return app;
}
