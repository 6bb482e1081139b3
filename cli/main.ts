// The Sluice CLI: every verb is one GraphQL call to the API (SLUICE_API_URL, default
// http://127.0.0.1:4000/graphql; SLUICE_API_TOKEN is sent as a bearer token when set).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { lineDiff } from './diff';
import { validateSpecText } from '../core/spec/validate';
import { redactSpec } from '../core/spec/redact';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';

const API = process.env.SLUICE_API_URL ?? `http://127.0.0.1:${process.env.SLUICE_API_PORT ?? 4000}/graphql`;
const USAGE = `usage: sluice <verb> [args]
  apply -f FILE|DIR    create each pipeline, or update it when it runs (printing the diff)
  validate -f FILE     check a pipeline file (and its topic and table) without creating anything
  get | list           pipelines with status and counters
  describe NAME        status, counters, stages with retries and failures
  status NAME          one pipeline's status and counters
  export NAME          the running spec as YAML (secrets redacted), for git
  pause|resume|stop|delete NAME
  dlq ls NAME [--limit N] [--after ID] | dlq replay NAME ID... | dlq purge NAME
  health               each dependency up or down
  schema               the pipeline spec's JSON Schema
exit codes: 0 ok, 1 error (message on stderr), 2 usage`;

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

const COUNTERS = 'read inserted duplicates dlq late keysHeld join { matched unmatched waiting side held }';
const PIPELINE = `id status error specVersion sink { ${COUNTERS} } shards { ${COUNTERS} } parallelismChange { from to at stoppedMs keys joinEvents refused } ingest { source read lag error }`;
type Counters = Record<string, number> & { join?: Record<string, number> | null };
type ParallelismChange = { from: number; to: number; at: string; stoppedMs: number; keys: number; joinEvents: number; refused: string | null };
type Pipeline = { id: string; status: string; error?: string; specVersion: number; sink?: Counters; shards?: Array<Counters | null>; parallelismChange?: ParallelismChange | null; ingest: Array<{ source: string; read: number; lag: number | null; error: string | null }> };

const counts = (c: Counters | null | undefined) => {
  const j = c?.join;
  const joined = j ? `  joined ${j.matched}  unmatched ${j.unmatched}  waiting ${j.waiting}` : '';
  return c ? `read ${c.read}  inserted ${c.inserted}  duplicates ${c.duplicates}  dlq ${c.dlq}${joined}` : 'no counters yet';
};
const line = (p: Pipeline) => {
  // a sharded pipeline: the sum, then one line per shard
  const shards = (p.shards ?? []).map((c, i) => `\n  shard ${String(i).padEnd(3)} ${counts(c)}`).join('');
  const c = p.parallelismChange;
  const change = !c ? '' : c.refused ? `\n  parallelism ${c.from} -> ${c.to} refused at ${c.at}: ${c.refused}`
    : `\n  parallelism ${c.from} -> ${c.to} at ${c.at}: stood still ${(c.stoppedMs / 1000).toFixed(1)} s, moved ${c.keys} keys and ${c.joinEvents} join events`;
  return `${p.id.padEnd(28)} ${p.status.padEnd(12)} v${p.specVersion}  ${counts(p.sink)}${shards}${change}${p.error ? `\n  error: ${p.error}` : ''}`;
};

function pathArg(args: string[]): string {
  const i = args.indexOf('-f');
  const path = i >= 0 ? args[i + 1] : undefined;
  if (!path) throw new Error('give the pipeline file with -f FILE');
  return path;
}
const fileArg = (args: string[]) => readFileSync(pathArg(args), 'utf8');

/** The spec files of -f: one file, or every .yaml/.yml/.json file of a directory. */
function specFiles(args: string[]): string[] {
  const path = pathArg(args);
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).filter((f) => /\.(ya?ml|json)$/.test(f)).sort().map((f) => join(path, f));
}

const optionOf = (args: string[], name: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };

async function apply(spec: string, file: string): Promise<void> {
  const id = (parseYaml(spec) as { name?: unknown } | null)?.name;
  const existing = typeof id === 'string'
    ? await gql<{ pipeline: (Pipeline & { spec: string | null }) | null }>(`query($id: ID!) { pipeline(id: $id) { ${PIPELINE} spec } }`, { id })
    : { pipeline: null };
  if (existing.pipeline?.spec && !['STOPPED', 'FAILED'].includes(existing.pipeline.status)) {
    // compare in one form: the spec the pipeline runs vs this file's with defaults filled in (secrets redacted in both)
    const r0 = validateSpecText(spec);
    const next = r0.ok ? redactSpec(r0.spec) : parseYaml(spec);
    const changes = lineDiff(stringifyYaml(JSON.parse(existing.pipeline.spec)), stringifyYaml(next));
    const r = await gql<{ updatePipeline: Pipeline }>(`mutation($id: ID!, $s: String!) { updatePipeline(id: $id, spec: $s) { ${PIPELINE} } }`, { id, s: spec });
    console.log(`${file}: updated ${line(r.updatePipeline)}`);
    for (const c of changes) console.log(`  ${c}`);
  } else {
    const r = await gql<{ createPipeline: Pipeline }>(`mutation($s: String!) { createPipeline(spec: $s) { ${PIPELINE} } }`, { s: spec });
    console.log(`${file}: created ${line(r.createPipeline)}`);
  }
}

async function main(argv: string[]): Promise<void> {
  const [verb, ...args] = argv;
  const name = () => { if (!args[0]) throw new Error(`usage: sluice ${verb} NAME`); return args[0]; };
  switch (verb) {
    case 'apply': {
      for (const file of specFiles(args)) await apply(readFileSync(file, 'utf8'), file);
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
    case 'get':
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
    case 'describe': {
      const r = await gql<{ pipeline: (Pipeline & { stages: Array<{ type: string; attempt: number; lastFailure?: string }> }) | null }>(
        `query($id: ID!) { pipeline(id: $id) { ${PIPELINE} stages { type attempt lastFailure } } }`, { id: name() });
      if (!r.pipeline) throw new Error(`no pipeline named "${args[0]}"`);
      console.log(line(r.pipeline));
      for (const i of r.pipeline.ingest) console.log(`  ingest ${i.source}: read ${i.read}, lag ${i.lag ?? 'unknown'}${i.error ? `, failing: ${i.error}` : ''}`);
      for (const st of r.pipeline.stages) console.log(`  stage ${st.type}: attempt ${st.attempt}${st.lastFailure ? `, last failure: ${st.lastFailure}` : ''}`);
      return;
    }
    case 'export': {
      const r = await gql<{ pipeline: { spec: string | null } | null }>('query($id: ID!) { pipeline(id: $id) { spec } }', { id: name() });
      if (!r.pipeline?.spec) throw new Error(`pipeline "${args[0]}" is not running (only a running pipeline's spec can be exported)`);
      process.stdout.write(stringifyYaml(JSON.parse(r.pipeline.spec)));
      return;
    }
    case 'dlq': {
      const [sub, id, ...rest] = args;
      if (!id) throw new Error('usage: sluice dlq ls|replay|purge NAME ...');
      if (sub === 'ls') {
        const r = await gql<{ dlq: { total: number; nextAfter: string | null; items: Array<{ id: string; reason: string; error: string; topic: string; partition: number; offset: number }> } }>(
          'query($id: ID!, $l: Int, $a: ID) { dlq(pipelineId: $id, limit: $l, after: $a) { total nextAfter items { id reason error topic partition offset } } }',
          { id, l: Number(optionOf(rest, '--limit') ?? 50), a: optionOf(rest, '--after') });
        for (const d of r.dlq.items) console.log(`${d.id}\t${d.reason}\t${d.topic}/${d.partition}@${d.offset}\t${d.error}`);
        console.log(`${r.dlq.total} in the DLQ${r.dlq.nextAfter ? `; more with --after ${r.dlq.nextAfter}` : ''}`);
      } else if (sub === 'replay') {
        const r = await gql<{ replayDlq: number }>('mutation($id: ID!, $ids: [ID!]!) { replayDlq(pipelineId: $id, ids: $ids) }', { id, ids: rest });
        console.log(`replayed ${r.replayDlq}`);
      } else if (sub === 'purge') {
        const r = await gql<{ purgeDlq: number }>('mutation($id: ID!) { purgeDlq(pipelineId: $id) }', { id });
        console.log(`purged ${r.purgeDlq}`);
      } else throw new Error('usage: sluice dlq ls|replay|purge NAME ...');
      return;
    }
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
