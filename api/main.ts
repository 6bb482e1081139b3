// The API process: `npm run api` (started by `npm start`).
import { createApp } from './server';
import { PipelineService } from '../client/pipelines';
import { parseTokens } from './auth';
import { closeNats } from '../runtime/connections';
import { settings } from '../runtime/settings';

async function main(): Promise<void> {
  const tokens = parseTokens(process.env.SLUICE_API_TOKENS);
  const graphiql = process.env.NODE_ENV !== 'production';
  const svc = await PipelineService.connect();
  // express 5 calls back with the error when the port cannot be taken: that is fatal, the process
  // must not look as if it served
  const server = createApp(svc, { tokens, graphiql }).listen(settings.apiPort, settings.apiHost, (e?: NodeJS.ErrnoException) => {
    if (e) {
      const why = e.code === 'EADDRINUSE' ? 'is already in use (another API running? set SLUICE_API_PORT)' : `cannot be opened: ${e.message}`;
      console.error(`[api] fatal: ${settings.apiHost}:${settings.apiPort} ${why}`);
      process.exit(1);
    }
    const access = tokens.size ? `${tokens.size} API token(s) required` : 'OPEN: no API tokens configured (set SLUICE_API_TOKENS)';
    console.log(`[api] GraphQL on http://${settings.apiHost}:${settings.apiPort}/graphql (${access}${graphiql ? '; GraphiQL served' : ''})`);
  });
  const shutdown = () => server.close(() => void Promise.all([svc.close(), closeNats()]).then(() => process.exit(0)));
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((e) => {
  console.error('[api] fatal:', e);
  process.exit(1);
});
