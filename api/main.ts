// The API process: `npm run api` (started by `npm start`).
import { createApp } from './server';
import { PipelineService } from './pipelines';
import { parseTokens } from './auth';
import { closeNats } from '../activities/connections';
import { settings } from '../core/settings';

async function main(): Promise<void> {
  const tokens = parseTokens(process.env.SLUICE_API_TOKENS);
  const graphiql = process.env.NODE_ENV !== 'production';
  const svc = await PipelineService.connect();
  const server = createApp(svc, { tokens, graphiql }).listen(settings.apiPort, settings.apiHost, () => {
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
