// The Sluice CLI: every verb is one GraphQL call to the API (SLUICE_API_URL, default
// http://127.0.0.1:4000/graphql; SLUICE_API_TOKEN is sent as a bearer token when set).
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

const API = process.env.SLUICE_API_URL ?? `http://127.0.0.1:${process.env.SLUICE_API_PORT ?? 4000}/graphql`;
const USAGE = `usage: sluice <verb> [args]
  apply -f FILE        create the pipeline in FILE, or update it when it exists
  validate -f FILE     check a pipeline file without creating anything
  list                 pipelines with status and counters
  status NAME          one pipeline's status and counters
  pause|resume|stop|delete NAME
  health               each dependency up or down
  schema               the pipeline spec's JSON Schema`;

interface GqlError { message: string; path?: string[]; extensions?: { code?: string; problems?: Array<{ path: string; message: string }> } }

async function gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (process.env.SLUICE_API_TOKEN) headers.authorization = `Bearer ${process.env.SLUICE_API_TOKEN}`;
  let res: Response;
  try {
    res = await fetch(API, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  } catch (e) {
    throw new Error(`cannot reach the Sluice API at ${API} (${(e as Error).message}); start it with npm start or npm run api`);
  }
  const body = (await res.json()) as { data?: T; errors?: GqlError[] };
  if (body.errors?.length) {
    throw new Error(body.errors.map((e) => {
      const problems = e.extensions?.problems?.map((p) => `\n  ${p.path ? `${p.path}: ` : ''}${p.message}`).join('') ?? '';
      return `${e.extensions?.code ? `[${e.extensions.code}] ` : ''}${e.message.split(': ')[0]}${problems || (e.message.includes(': ') ? `: ${e.message.split(': ').slice(1).join(': ')}` : '')}`;
    }).join('\n'));
  }
  return body.data as T;
}

const PIPELINE = 'id status error specVersion sink { read inserted duplicates dlq late keysHeld } ingest { source read }';
type Pipeline = { id: string; status: string; error?: string; specVersion: number; sink?: Record<string, number>; ingest: Array<{ source: string; read: number }> };

const line = (p: Pipeline) => {
  const c = p.sink;
  const counts = c ? `read ${c.read}  inserted ${c.inserted}  duplicates ${c.duplicates}  dlq ${c.dlq}` : 'no counters yet';
  return `${p.id.padEnd(28)} ${p.status.padEnd(12)} v${p.specVersion}  ${counts}${p.error ? `\n  error: ${p.error}` : ''}`;
};

function fileArg(args: string[]): string {
  const i = args.indexOf('-f');
  const path = i >= 0 ? args[i + 1] : undefined;
  if (!path) throw new Error('give the pipeline file with -f FILE');
  return readFileSync(path, 'utf8');
}

async function main(argv: string[]): Promise<void> {
  const [verb, ...args] = argv;
  const name = () => { if (!args[0]) throw new Error(`usage: sluice ${verb} NAME`); return args[0]; };
  switch (verb) {
    case 'apply': {
      const spec = fileArg(args);
      const id = (parseYaml(spec) as { name?: unknown } | null)?.name;
      const existing = typeof id === 'string' ? await gql<{ pipeline: Pipeline | null }>(`query($id: ID!) { pipeline(id: $id) { ${PIPELINE} } }`, { id }) : { pipeline: null };
      if (existing.pipeline && !['STOPPED', 'FAILED'].includes(existing.pipeline.status)) {
        const r = await gql<{ updatePipeline: Pipeline }>(`mutation($id: ID!, $s: String!) { updatePipeline(id: $id, spec: $s) { ${PIPELINE} } }`, { id, s: spec });
        console.log(`updated: ${line(r.updatePipeline)}`);
      } else {
        const r = await gql<{ createPipeline: Pipeline }>(`mutation($s: String!) { createPipeline(spec: $s) { ${PIPELINE} } }`, { s: spec });
        console.log(`created: ${line(r.createPipeline)}`);
      }
      return;
    }
    case 'validate': {
      const r = await gql<{ validatePipeline: { valid: boolean; problems: Array<{ path: string; message: string }> } }>(
        'query($s: String!) { validatePipeline(spec: $s) { valid problems { path message } } }', { s: fileArg(args) });
      if (r.validatePipeline.valid) { console.log('valid'); return; }
      for (const p of r.validatePipeline.problems) console.log(`${p.path ? `${p.path}: ` : ''}${p.message}`);
      process.exitCode = 1;
      return;
    }
    case 'list': {
      const r = await gql<{ pipelines: Pipeline[] }>(`{ pipelines { ${PIPELINE} } }`);
      for (const p of r.pipelines) console.log(line(p));
      if (r.pipelines.length === 0) console.log('no pipelines');
      return;
    }
    case 'status': {
      const r = await gql<{ pipeline: Pipeline | null }>(`query($id: ID!) { pipeline(id: $id) { ${PIPELINE} } }`, { id: name() });
      if (!r.pipeline) throw new Error(`no pipeline named "${args[0]}"`);
      console.log(line(r.pipeline));
      return;
    }
    case 'pause': case 'resume': case 'stop': {
      const field = `${verb}Pipeline`;
      const r = await gql<Record<string, Pipeline>>(`mutation($id: ID!) { ${field}(id: $id) { ${PIPELINE} } }`, { id: name() });
      console.log(line(r[field]));
      return;
    }
    case 'delete':
      await gql('mutation($id: ID!) { deletePipeline(id: $id) }', { id: name() });
      console.log(`deleted ${args[0]} (its ClickHouse table is kept)`);
      return;
    case 'health': {
      const r = await gql<{ health: { ok: boolean; dependencies: Array<{ name: string; up: boolean; detail?: string }> } }>('{ health { ok dependencies { name up detail } } }');
      for (const d of r.health.dependencies) console.log(`${d.name.padEnd(11)} ${d.up ? 'up  ' : 'DOWN'} ${d.detail ?? ''}`);
      if (!r.health.ok) process.exitCode = 1;
      return;
    }
    case 'schema':
      console.log(JSON.stringify(JSON.parse((await gql<{ pipelineJsonSchema: string }>('{ pipelineJsonSchema }')).pipelineJsonSchema), null, 2));
      return;
    default:
      console.log(USAGE);
      if (verb && verb !== 'help' && verb !== '--help') process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((e) => {
  console.error(`sluice: ${(e as Error).message}`);
  process.exit(1);
});
