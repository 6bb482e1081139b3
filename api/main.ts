// The API process: `npm run api` (started by `npm start`).
import { createApp } from './server';
import { PipelineService } from './pipelines';
import { settings } from '../core/settings';

async function main(): Promise<void> {
  const svc = await PipelineService.connect();
  const server = createApp(svc).listen(settings.apiPort, settings.apiHost, () => {
    console.log(`[api] GraphQL on http://${settings.apiHost}:${settings.apiPort}/graphql (open: no API tokens are configured)`);
  });
  const shutdown = () => server.close(() => void svc.close().then(() => process.exit(0)));
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((e) => {
  console.error('[api] fatal:', e);
  process.exit(1);
});
