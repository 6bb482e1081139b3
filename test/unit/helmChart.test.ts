// Issue 8: Sluice's Helm chart (deploy/chart/sluice) and the helmfiles (helmfile.d/), checked
// offline. Helm comes from scripts/helm.sh (built once from the Go module proxy, then cached);
// the chart is linted and rendered for both environments and the rendered manifests are checked:
// every container has resources, long-running containers have probes on real health endpoints,
// every secret value comes from a reference, worker replicas and autoscaler follow the values.
// Remote charts cannot be downloaded here, so helmfile.d is checked structurally: pinned
// versions, valid `needs`, both environments defining every value the templates read.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { validateSpecText } from '../../core/spec/validate';
import { formatProblem } from '../../core/spec/problem';

const REPO = join(__dirname, '..', '..', '..');
const CHART = join(REPO, 'deploy', 'chart', 'sluice');
const HELMFILE_D = join(REPO, 'helmfile.d');
const ENVS = ['local', 'baremetal'] as const;
type Env = (typeof ENVS)[number];

// Kubernetes objects are read as plain JSON; these name the parts the checks look at.
type Json = { [key: string]: any };
interface Manifest extends Json { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string> } }
interface Quantities { cpu?: string | number; memory?: string | number }
interface Container extends Json {
  name: string;
  command?: string[];
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: { name: string; value?: string; valueFrom?: Json }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  resources?: { requests?: Quantities; limits?: Quantities };
  livenessProbe?: Json;
  readinessProbe?: Json;
}
interface PodSpec extends Json { containers: Container[]; initContainers?: Container[] }

const tmp = mkdtempSync(join(tmpdir(), 'sluice-helm-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

// ---------------------------------------------------------------------------------------------
// helm

let helmBin: string | undefined;
function helmPath(): string {
  if (helmBin === undefined) {
    const r = spawnSync('bash', [join(REPO, 'scripts', 'helm.sh')], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`bash scripts/helm.sh failed (exit ${r.status}):\n${r.stderr}`);
    helmBin = r.stdout.trim().split('\n').pop() ?? '';
  }
  return helmBin;
}

function helmRun(args: string[]): { ok: boolean; out: string } {
  const r = spawnSync(helmPath(), args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
}

function helm(args: string[]): string {
  const r = spawnSync(helmPath(), args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`helm ${args.join(' ')} failed (exit ${r.status}):\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

function parseManifests(text: string, what: string): Manifest[] {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) return [];
  const out: Manifest[] = [];
  for (const d of docs) {
    assert.deepEqual(d.errors.map(String), [], `${what}: rendered YAML does not parse`);
    const m: unknown = d.toJS();
    if (m === null || m === undefined) continue;
    assert.ok(typeof m === 'object' && 'kind' in m && 'apiVersion' in m, `${what}: a document without kind/apiVersion: ${JSON.stringify(m).slice(0, 200)}`);
    out.push(m as Manifest);
  }
  return out;
}

const sluiceValuesFile = (env: Env) => join(HELMFILE_D, 'environments', env, 'sluice.yaml');

/** `helm template` of Sluice's chart with an environment's values (as helmfile passes them). */
function renderSluice(env: Env, extra: string[] = [], release = 'sluice'): Manifest[] {
  const text = helm(['template', release, CHART, '--namespace', 'sluice', '-f', sluiceValuesFile(env), ...extra]);
  return parseManifests(text, `helm template ${release} (${env} ${extra.join(' ')})`);
}

const WITH_EVERYTHING = ['--set', 'loadtest.enabled=true', '--api-versions', 'monitoring.coreos.com/v1/ServiceMonitor'];

// ---------------------------------------------------------------------------------------------
// values as helm sees them: the chart's values.yaml, then -f files, deep-merged (maps merge,
// anything else replaces)

function isMap(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepMerge(base: unknown, over: unknown): unknown {
  if (!isMap(base) || !isMap(over)) return over === undefined ? base : over;
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
  return out;
}

const readYaml = (file: string): Json => (parse(readFileSync(file, 'utf8')) ?? {}) as Json;
const effectiveValues = (env: Env): Json => deepMerge(readYaml(join(CHART, 'values.yaml')), readYaml(sluiceValuesFile(env))) as Json;

// ---------------------------------------------------------------------------------------------
// the checks: each returns the problems it finds, so a test can also prove it catches them

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod']);
const LONG_RUNNING = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet']);

function podSpec(m: Manifest): PodSpec | undefined {
  if (!WORKLOADS.has(m.kind)) return undefined;
  if (m.kind === 'Pod') return m.spec as PodSpec;
  if (m.kind === 'CronJob') return m.spec?.jobTemplate?.spec?.template?.spec as PodSpec;
  return m.spec?.template?.spec as PodSpec;
}

function containersOf(m: Manifest): Container[] {
  const spec = podSpec(m);
  return spec ? [...(spec.initContainers ?? []), ...(spec.containers ?? [])] : [];
}

const where = (m: Manifest, c: Container) => `${m.kind}/${m.metadata.name} container ${c.name}`;

function cpuCores(q: string | number): number {
  if (typeof q === 'number') return q;
  return q.endsWith('m') ? Number(q.slice(0, -1)) / 1000 : Number(q);
}

function bytes(q: string | number): number {
  if (typeof q === 'number') return q;
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$/.exec(q);
  if (!m) return Number.NaN;
  const unit: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15 };
  return Number(m[1]) * (m[2] ? unit[m[2]] : 1);
}

/** requests (cpu, memory) and a memory limit on every container; requests within limits. */
function resourceProblems(resources: Container['resources'], at: string): string[] {
  const p: string[] = [];
  const req = resources?.requests ?? {};
  const lim = resources?.limits ?? {};
  if (req.cpu === undefined) p.push(`${at}: no resources.requests.cpu`);
  if (req.memory === undefined) p.push(`${at}: no resources.requests.memory`);
  if (lim.memory === undefined) p.push(`${at}: no resources.limits.memory`);
  if (req.memory !== undefined && Number.isNaN(bytes(req.memory))) p.push(`${at}: bad memory quantity ${req.memory}`);
  if (req.memory !== undefined && lim.memory !== undefined && bytes(req.memory) > bytes(lim.memory)) p.push(`${at}: memory request above its limit`);
  if (req.cpu !== undefined && lim.cpu !== undefined && cpuCores(req.cpu) > cpuCores(lim.cpu)) p.push(`${at}: cpu request above its limit`);
  return p;
}

function containerResourceProblems(manifests: Manifest[]): string[] {
  return manifests.flatMap((m) => containersOf(m).flatMap((c) => resourceProblems(c.resources, where(m, c))));
}

/**
 * Long-running containers have liveness and readiness probes. Jobs (the load test) run to an
 * end and have no Service to be ready for: they must carry activeDeadlineSeconds instead.
 */
function probeProblems(manifests: Manifest[]): string[] {
  const p: string[] = [];
  for (const m of manifests) {
    if (m.kind === 'Job' && !(Number(m.spec?.activeDeadlineSeconds) > 0)) p.push(`Job/${m.metadata.name}: no activeDeadlineSeconds`);
    if (!LONG_RUNNING.has(m.kind)) continue;
    for (const c of podSpec(m)?.containers ?? []) {
      for (const kind of ['livenessProbe', 'readinessProbe'] as const) {
        const probe = c[kind];
        if (!probe) { p.push(`${where(m, c)}: no ${kind}`); continue; }
        if (!probe.httpGet && !probe.tcpSocket && !probe.exec && !probe.grpc) p.push(`${where(m, c)}: ${kind} has no handler`);
      }
    }
  }
  return p;
}

/**
 * Sluice's probes hit the endpoints the processes really serve: GET /healthz on the port the
 * process listens on (from the ConfigMap it reads), bound to every interface.
 */
function healthEndpointProblems(manifests: Manifest[]): string[] {
  const p: string[] = [];
  const listeners: Record<string, { port: string; host: string }> = {
    'dist/api/main.js': { port: 'SLUICE_API_PORT', host: 'SLUICE_API_HOST' },
    'dist/worker/main.js': { port: 'SLUICE_WORKER_METRICS_PORT', host: 'SLUICE_WORKER_METRICS_HOST' },
  };
  for (const m of manifests) {
    if (!LONG_RUNNING.has(m.kind)) continue;
    for (const c of podSpec(m)?.containers ?? []) {
      const script = [...(c.command ?? []), ...(c.args ?? [])].find((a) => a in listeners);
      if (!script) { p.push(`${where(m, c)}: runs neither dist/api/main.js nor dist/worker/main.js`); continue; }
      const cmName = c.envFrom?.find((e) => e.configMapRef)?.configMapRef?.name;
      const cm = manifests.find((x) => x.kind === 'ConfigMap' && x.metadata.name === cmName);
      if (!cm) { p.push(`${where(m, c)}: no settings ConfigMap (envFrom) rendered`); continue; }
      const { port: portKey, host: hostKey } = listeners[script];
      const listenPort = Number(cm.data?.[portKey]);
      if (cm.data?.[hostKey] !== '0.0.0.0') p.push(`${where(m, c)}: ${hostKey} is ${cm.data?.[hostKey]}, probes from the kubelet need 0.0.0.0`);
      for (const kind of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
        const get = c[kind]?.httpGet as { path?: string; port?: number | string } | undefined;
        if (!get) { if (kind !== 'startupProbe') p.push(`${where(m, c)}: ${kind} is not an HTTP GET`); continue; }
        if (get.path !== '/healthz') p.push(`${where(m, c)}: ${kind} GETs ${get.path}, the process serves /healthz`);
        const port = typeof get.port === 'number' ? get.port : c.ports?.find((x) => x.name === get.port)?.containerPort;
        if (port !== listenPort) p.push(`${where(m, c)}: ${kind} port ${get.port} (${port}) is not ${portKey}=${listenPort}`);
      }
    }
  }
  return p;
}

const SECRET_NAME = /(PASSWORD|PASSWD|TOKEN|SECRET|CREDENTIAL|PRIVATE_?KEY|API_?KEY)/i;

/** No secret value in the chart's output: Secrets are referenced, never rendered. */
function secretProblems(manifests: Manifest[]): string[] {
  const p: string[] = [];
  for (const m of manifests) {
    if (m.kind === 'Secret') p.push(`Secret/${m.metadata.name} is rendered: secret values must come from a reference to a Secret created outside the chart`);
    if (m.kind === 'ConfigMap') {
      for (const k of Object.keys(m.data ?? {})) if (SECRET_NAME.test(k)) p.push(`ConfigMap/${m.metadata.name}: ${k} looks secret and sits in a ConfigMap`);
    }
    for (const c of containersOf(m)) {
      for (const e of c.env ?? []) {
        if (!SECRET_NAME.test(e.name)) continue;
        if (e.value !== undefined) p.push(`${where(m, c)}: ${e.name} has a literal value`);
        else if (!e.valueFrom?.secretKeyRef?.name || !e.valueFrom.secretKeyRef.key) p.push(`${where(m, c)}: ${e.name} is not a secretKeyRef`);
      }
      for (const [i, a] of (c.args ?? []).entries()) if (SECRET_NAME.test(a) && /=./.test(a)) p.push(`${where(m, c)}: args[${i}] passes a secret on the command line`);
    }
  }
  return p;
}

/** The worker Deployment and its HorizontalPodAutoscaler follow worker.replicas / worker.autoscaling. */
function scalingProblems(manifests: Manifest[], values: Json): string[] {
  const p: string[] = [];
  const w = values.worker as Json;
  const deploy = manifests.find((m) => m.kind === 'Deployment' && m.metadata.labels?.['app.kubernetes.io/component'] === 'worker');
  const hpas = manifests.filter((m) => m.kind === 'HorizontalPodAutoscaler');
  if (!w.enabled) {
    if (deploy) p.push('worker.enabled=false but a worker Deployment is rendered');
    if (hpas.length) p.push('worker.enabled=false but an autoscaler is rendered');
    return p;
  }
  if (!deploy) return ['no worker Deployment rendered'];
  const maxActivities = containersOf(deploy)[0]?.env?.find((e) => e.name === 'SLUICE_WORKER_MAX_ACTIVITIES')?.value;
  if (maxActivities !== String(w.maxActivities)) p.push(`worker SLUICE_WORKER_MAX_ACTIVITIES ${maxActivities}, values say ${w.maxActivities}`);
  const a = w.autoscaling as Json;
  if (!a.enabled) {
    if (deploy.spec.replicas !== w.replicas) p.push(`worker Deployment replicas ${deploy.spec.replicas}, values say ${w.replicas}`);
    if (hpas.length) p.push('worker.autoscaling.enabled=false but an autoscaler is rendered');
    return p;
  }
  if (deploy.spec.replicas !== undefined) p.push('with autoscaling the Deployment must leave replicas to the autoscaler (it has replicas set)');
  if (hpas.length !== 1) return [...p, `expected one HorizontalPodAutoscaler, found ${hpas.length}`];
  const h = hpas[0].spec as Json;
  if (h.scaleTargetRef?.kind !== 'Deployment' || h.scaleTargetRef?.name !== deploy.metadata.name) p.push(`autoscaler targets ${JSON.stringify(h.scaleTargetRef)}, not Deployment/${deploy.metadata.name}`);
  if (h.minReplicas !== a.minReplicas) p.push(`autoscaler minReplicas ${h.minReplicas}, values say ${a.minReplicas}`);
  if (h.maxReplicas !== a.maxReplicas) p.push(`autoscaler maxReplicas ${h.maxReplicas}, values say ${a.maxReplicas}`);
  const cpu = (h.metrics as Json[] | undefined)?.find((x) => x.type === 'Resource' && x.resource?.name === 'cpu');
  if (!cpu) p.push('autoscaler has no CPU metric');
  else if (cpu.resource.target?.averageUtilization !== a.targetCPUUtilizationPercentage) p.push(`autoscaler CPU target ${cpu.resource.target?.averageUtilization}%, values say ${a.targetCPUUtilizationPercentage}%`);
  // Kafka lag per worker (docs/scaling.md), an External metric, only when asked for
  const lag = (h.metrics as Json[] | undefined)?.find((x) => x.type === 'External');
  if (!a.kafkaLag?.enabled) { if (lag) p.push('worker.autoscaling.kafkaLag.enabled=false but the autoscaler has an External metric'); return p; }
  if (lag?.external?.metric?.name !== a.kafkaLag.metricName) p.push(`autoscaler lag metric ${lag?.external?.metric?.name}, values say ${a.kafkaLag.metricName}`);
  else if (!lag || lag.external.target?.type !== 'AverageValue' || lag.external.target.averageValue !== String(a.kafkaLag.averageValuePerWorker)) p.push(`autoscaler lag target ${JSON.stringify(lag?.external?.target)}, values say ${a.kafkaLag.averageValuePerWorker} per worker`);
  return p;
}

const matches = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  !!selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels?.[k] === v);

/** Every Deployment is covered by a PodDisruptionBudget, and every Service selects pods. */
function selectorProblems(manifests: Manifest[]): string[] {
  const p: string[] = [];
  const pods = manifests.filter((m) => LONG_RUNNING.has(m.kind)).map((m) => ({ m, labels: m.spec?.template?.metadata?.labels as Record<string, string> }));
  for (const { m, labels } of pods) {
    if (!matches(m.spec?.selector?.matchLabels, labels)) p.push(`${m.kind}/${m.metadata.name}: selector does not match its pod labels`);
    if (!manifests.some((x) => x.kind === 'PodDisruptionBudget' && matches(x.spec?.selector?.matchLabels, labels))) p.push(`${m.kind}/${m.metadata.name}: no PodDisruptionBudget`);
  }
  for (const s of manifests.filter((m) => m.kind === 'Service')) {
    const selected = pods.filter(({ labels }) => matches(s.spec?.selector, labels));
    if (selected.length === 0) p.push(`Service/${s.metadata.name} selects no pods`);
    for (const port of (s.spec?.ports ?? []) as Json[]) {
      const named = selected.every(({ m }) => (podSpec(m)?.containers ?? []).some((c) => (c.ports ?? []).some((cp) => cp.name === port.targetPort || cp.containerPort === port.targetPort)));
      if (!named) p.push(`Service/${s.metadata.name}: targetPort ${port.targetPort} is not a container port of the pods it selects`);
    }
  }
  return p;
}

/** Non-root, no privilege escalation: the image runs as uid 1000 on a read-only root. */
function securityProblems(manifests: Manifest[]): string[] {
  const p: string[] = [];
  for (const m of manifests) {
    const spec = podSpec(m);
    if (!spec) continue;
    if (spec.securityContext?.runAsNonRoot !== true) p.push(`${m.kind}/${m.metadata.name}: pod securityContext.runAsNonRoot is not true`);
    for (const c of containersOf(m)) {
      if (c.securityContext?.allowPrivilegeEscalation !== false) p.push(`${where(m, c)}: allowPrivilegeEscalation is not false`);
      if (c.securityContext?.readOnlyRootFilesystem !== true) p.push(`${where(m, c)}: root filesystem is writable`);
    }
  }
  return p;
}

function allProblems(manifests: Manifest[], values: Json): string[] {
  return [
    ...containerResourceProblems(manifests),
    ...probeProblems(manifests),
    ...healthEndpointProblems(manifests),
    ...secretProblems(manifests),
    ...scalingProblems(manifests, values),
    ...selectorProblems(manifests),
    ...securityProblems(manifests),
  ];
}

const kinds = (ms: Manifest[]) => ms.map((m) => `${m.kind}/${m.metadata.name}`).sort();
const clone = <T>(v: T): T => structuredClone(v);

// ---------------------------------------------------------------------------------------------
// helm itself

test('scripts/helm.sh gives a cached, pinned helm 3', () => {
  const first = helmPath();
  assert.ok(existsSync(first), `no helm at ${first}`);
  assert.match(helm(['version', '--short']), /^v3\.\d+\.\d+/);
  if (process.env.SLUICE_HELM) return; // a helm of the caller's choosing: nothing was built
  assert.match(first, /[/\\]\.stack[/\\]cache[/\\]helm[/\\]v3\.\d+\.\d+[/\\]helm$/);
  const t0 = Date.now();
  const again = spawnSync('bash', [join(REPO, 'scripts', 'helm.sh')], { encoding: 'utf8' });
  assert.equal(again.status, 0, again.stderr);
  assert.equal(again.stdout.trim(), first);
  assert.ok(Date.now() - t0 < 5000, 'the second run must come from the cache');
});

// ---------------------------------------------------------------------------------------------
// Sluice's chart

for (const env of ENVS) {
  test(`chart: helm lint --strict passes with the ${env} values`, () => {
    const r = helmRun(['lint', '--strict', CHART, '-f', sluiceValuesFile(env)]);
    assert.ok(r.ok, r.out);
    const r2 = helmRun(['lint', '--strict', CHART, '-f', sluiceValuesFile(env), '--set', 'loadtest.enabled=true,metrics.serviceMonitor.enabled=true']);
    assert.ok(r2.ok, r2.out);
  });

  test(`chart: the ${env} manifests have resources, probes on /healthz, secret references, and scale as the values say`, () => {
    const values = deepMerge(effectiveValues(env), { loadtest: { enabled: true } }) as Json;
    const ms = renderSluice(env, WITH_EVERYTHING);
    assert.deepEqual(allProblems(ms, values), []);

    const has = (kind: string, name: string) => assert.ok(ms.some((m) => m.kind === kind && m.metadata.name === name), `${kind}/${name} not rendered: ${kinds(ms).join(', ')}`);
    has('Deployment', 'sluice-api');
    has('Service', 'sluice-api');
    has('Deployment', 'sluice-worker');
    has('ConfigMap', 'sluice');
    has('PodDisruptionBudget', 'sluice-api');
    has('PodDisruptionBudget', 'sluice-worker');
    has('ServiceMonitor', 'sluice-api');
    has('ServiceMonitor', 'sluice-worker');
    has('Job', 'sluice-loadtest-1');
    if (values.worker.autoscaling.enabled) has('HorizontalPodAutoscaler', 'sluice-worker');

    // the settings reach the processes
    const cm = ms.find((m) => m.kind === 'ConfigMap')!;
    const cfg = values.config as Json;
    assert.equal(cm.data.SLUICE_KAFKA_BROKERS, cfg.kafkaBrokers);
    assert.equal(cm.data.SLUICE_NATS_URL, cfg.natsUrl);
    assert.equal(cm.data.SLUICE_TEMPORAL_ADDRESS, cfg.temporalAddress);
    assert.equal(cm.data.SLUICE_CLICKHOUSE_URL, cfg.clickhouseUrl);
    assert.equal(cm.data.SLUICE_TASK_QUEUE, cfg.taskQueue);
    assert.equal(cm.data.SLUICE_TEMPORAL_NAMESPACE, cfg.temporalNamespace);
    assert.equal(Number(cm.data.SLUICE_RAW_STREAM_MAX_BYTES), cfg.rawStreamMaxBytes);
    assert.equal(cm.data.SLUICE_CLICKHOUSE_INSERT_QUORUM, cfg.clickhouseInsertQuorum || undefined, 'the insert quorum (replicated sink tables)');
    if (env === 'baremetal') assert.equal(cm.data.SLUICE_CLICKHOUSE_INSERT_QUORUM, '2', 'baremetal: ReplicatedMergeTree on two replicas, quorum 2');

    // the secret references are the ones configured, and the API gets its tokens
    const api = ms.find((m) => m.metadata.name === 'sluice-api' && m.kind === 'Deployment')!;
    const apiEnv = containersOf(api)[0].env ?? [];
    assert.deepEqual(apiEnv.find((e) => e.name === 'SLUICE_API_TOKENS')?.valueFrom?.secretKeyRef, values.secrets.apiTokens);
    for (const s of values.secrets.env as Json[]) {
      for (const m of ms.filter((x) => WORKLOADS.has(x.kind))) {
        const e = containersOf(m)[0].env?.find((x) => x.name === s.env);
        assert.deepEqual(e?.valueFrom?.secretKeyRef, { name: s.name, key: s.key }, `${m.kind}/${m.metadata.name}: ${s.env}`);
      }
    }

    // the load test runs the load generator with the configured arguments
    const job = ms.find((m) => m.kind === 'Job')!;
    const lt = containersOf(job)[0];
    assert.deepEqual(lt.command, ['node', 'dist/loadtest/cli.js']);
    assert.deepEqual(lt.args, ['--worker', 'none', ...values.loadtest.args, ...values.loadtest.extraArgs].map(String), 'the Job uses the running workers');
    assert.equal(podSpec(job)?.restartPolicy, 'Never');
  });
}

test('chart: worker replicas and the autoscaler follow the values', () => {
  const cases: { set: string[]; worker: Json }[] = [
    { set: ['worker.replicas=5', 'worker.autoscaling.enabled=false'], worker: { replicas: 5, autoscaling: { enabled: false } } },
    { set: ['worker.autoscaling.enabled=true', 'worker.autoscaling.minReplicas=2', 'worker.autoscaling.maxReplicas=9', 'worker.autoscaling.targetCPUUtilizationPercentage=55'],
      worker: { autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 9, targetCPUUtilizationPercentage: 55 } } },
    { set: ['worker.enabled=false'], worker: { enabled: false } },
    { set: ['worker.maxActivities=9', 'worker.autoscaling.enabled=true', 'worker.autoscaling.kafkaLag.enabled=true', 'worker.autoscaling.kafkaLag.averageValuePerWorker=123456'],
      worker: { maxActivities: 9, autoscaling: { enabled: true, kafkaLag: { enabled: true, averageValuePerWorker: 123456 } } } },
  ];
  for (const env of ENVS) {
    for (const c of cases) {
      const values = deepMerge(effectiveValues(env), { worker: c.worker }) as Json;
      const ms = renderSluice(env, c.set.flatMap((s) => ['--set', s]));
      assert.deepEqual(scalingProblems(ms, values), [], `${env} ${c.set.join(' ')}`);
      const hpa = ms.find((m) => m.kind === 'HorizontalPodAutoscaler');
      assert.equal(!!hpa, values.worker.enabled && values.worker.autoscaling.enabled, `${env} ${c.set.join(' ')}: autoscaler present?`);
    }
  }
  const bad = helmRun(['template', 'sluice', CHART, '--set', 'worker.autoscaling.enabled=true,worker.autoscaling.minReplicas=5,worker.autoscaling.maxReplicas=2']);
  assert.ok(!bad.ok && /minReplicas must not exceed maxReplicas/.test(bad.out), bad.out);
});

test('chart: the ServiceMonitors come with the Prometheus Operator (auto), or when forced', () => {
  const sm = (extra: string[]) => renderSluice('local', extra).filter((m) => m.kind === 'ServiceMonitor').map((m) => m.metadata.name).sort();
  assert.deepEqual(sm([]), [], 'no ServiceMonitor API served: none rendered');
  assert.deepEqual(sm(['--api-versions', 'monitoring.coreos.com/v1/ServiceMonitor']), ['sluice-api', 'sluice-worker']);
  assert.deepEqual(sm(['--api-versions', 'monitoring.coreos.com/v1/ServiceMonitor', '--set', 'metrics.serviceMonitor.enabled=false']), []);
  assert.deepEqual(sm(['--set', 'metrics.serviceMonitor.enabled=true']), ['sluice-api', 'sluice-worker']);
  const ms = renderSluice('local', ['--set', 'metrics.serviceMonitor.enabled=true']);
  for (const m of ms.filter((x) => x.kind === 'ServiceMonitor')) {
    const port = (m.spec.endpoints as Json[])[0].port;
    const svc = ms.find((s) => s.kind === 'Service' && matches(m.spec.selector.matchLabels, s.metadata.labels));
    assert.ok(svc, `ServiceMonitor/${m.metadata.name} selects no Service`);
    assert.ok((svc.spec.ports as Json[]).some((p) => p.name === port), `ServiceMonitor/${m.metadata.name}: port ${port} not on Service/${svc.metadata.name}`);
    assert.equal((m.spec.endpoints as Json[])[0].path, '/metrics');
  }
});

test('chart: values without resources, or with a literal secret, are refused', () => {
  for (const set of ['worker.resources=null', 'api.resources.requests=null', 'loadtest.resources.limits=null']) {
    const r = helmRun(['template', 'sluice', CHART, '--set', set, '--set', 'loadtest.enabled=true']);
    assert.ok(!r.ok, `${set} was accepted`);
    assert.match(r.out, /resources|requests|limits/);
  }
  const r = helmRun(['template', 'sluice', CHART, '--set', 'extraEnv[0].name=CLICKHOUSE_PASSWORD,extraEnv[0].value=hunter2']);
  assert.ok(!r.ok, 'a literal password in extraEnv was accepted');
});

test('the checks catch what they are meant to catch', () => {
  const values = deepMerge(effectiveValues('baremetal'), { loadtest: { enabled: true } }) as Json;
  const good = renderSluice('baremetal', WITH_EVERYTHING);
  assert.deepEqual(allProblems(good, values), []);
  const worker = (ms: Manifest[]) => ms.find((m) => m.kind === 'Deployment' && m.metadata.name === 'sluice-worker')!;
  const job = (ms: Manifest[]) => ms.find((m) => m.kind === 'Job')!;

  let ms = clone(good);
  delete containersOf(worker(ms))[0].resources;
  assert.deepEqual(containerResourceProblems(ms), [
    'Deployment/sluice-worker container worker: no resources.requests.cpu',
    'Deployment/sluice-worker container worker: no resources.requests.memory',
    'Deployment/sluice-worker container worker: no resources.limits.memory',
  ]);
  ms = clone(good);
  delete containersOf(job(ms))[0].resources!.limits;
  assert.deepEqual(containerResourceProblems(ms), ['Job/sluice-loadtest-1 container loadtest: no resources.limits.memory']);
  ms = clone(good);
  containersOf(worker(ms))[0].resources!.requests!.memory = '64Gi';
  assert.deepEqual(containerResourceProblems(ms), ['Deployment/sluice-worker container worker: memory request above its limit']);

  ms = clone(good);
  delete containersOf(worker(ms))[0].readinessProbe;
  assert.deepEqual(probeProblems(ms), ['Deployment/sluice-worker container worker: no readinessProbe']);
  ms = clone(good);
  containersOf(worker(ms))[0].livenessProbe!.httpGet.path = '/';
  assert.deepEqual(healthEndpointProblems(ms), ['Deployment/sluice-worker container worker: livenessProbe GETs /, the process serves /healthz']);
  ms = clone(good);
  ms.find((m) => m.kind === 'ConfigMap')!.data.SLUICE_WORKER_METRICS_HOST = '127.0.0.1';
  assert.equal(healthEndpointProblems(ms).length, 1);
  ms = clone(good);
  ms.find((m) => m.kind === 'ConfigMap')!.data.SLUICE_API_PORT = '4001';
  assert.equal(healthEndpointProblems(ms).length, 3, 'startup, liveness and readiness all point at the wrong port');
  ms = clone(good);
  delete job(ms).spec.activeDeadlineSeconds;
  assert.deepEqual(probeProblems(ms), ['Job/sluice-loadtest-1: no activeDeadlineSeconds']);

  ms = clone(good);
  const pw = containersOf(worker(ms))[0].env!.find((e) => e.name === 'CLICKHOUSE_PASSWORD')!;
  delete pw.valueFrom;
  pw.value = 'hunter2';
  assert.deepEqual(secretProblems(ms), ['Deployment/sluice-worker container worker: CLICKHOUSE_PASSWORD has a literal value']);
  ms = clone(good);
  ms.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'sluice-clickhouse' }, stringData: { password: 'x' } });
  ms.find((m) => m.kind === 'ConfigMap')!.data.SLUICE_API_TOKENS = 'abc';
  assert.equal(secretProblems(ms).length, 2);

  ms = clone(good);
  ms.find((m) => m.kind === 'HorizontalPodAutoscaler')!.spec.maxReplicas = 99;
  assert.deepEqual(scalingProblems(ms, values), [`autoscaler maxReplicas 99, values say ${values.worker.autoscaling.maxReplicas}`]);
  ms = clone(good);
  worker(ms).spec.replicas = 3;
  assert.equal(scalingProblems(ms, values).length, 1);
  ms = clone(good);
  containersOf(worker(ms))[0].env!.find((e) => e.name === 'SLUICE_WORKER_MAX_ACTIVITIES')!.value = '1';
  assert.deepEqual(scalingProblems(ms, values), [`worker SLUICE_WORKER_MAX_ACTIVITIES 1, values say ${values.worker.maxActivities}`]);
  ms = clone(good).filter((m) => !(m.kind === 'PodDisruptionBudget' && m.metadata.name === 'sluice-worker'));
  assert.deepEqual(selectorProblems(ms), ['Deployment/sluice-worker: no PodDisruptionBudget']);
  ms = clone(good);
  containersOf(worker(ms))[0].securityContext!.readOnlyRootFilesystem = false;
  assert.equal(securityProblems(ms).length, 1);
});

// ---------------------------------------------------------------------------------------------
// helmfile.d: a structural check that needs no network (remote charts cannot be fetched here)

/**
 * The Go templates in helmfile.d are kept to what this evaluates: a value (.Values.a.b,
 * .StateValues.a.b, .Environment.Values.a.b, .Environment.Name) piped through quote, toYaml,
 * toJson, indent N or nindent N, with {{- -}} trimming. A missing value is an error, as in
 * helmfile. Anything else fails the test, so a new construct comes with a checker for it.
 */
function renderGotmpl(text: string, env: Env, values: Json, file: string): string {
  let out = '';
  let i = 0;
  const re = /\{\{(-?)\s*([\s\S]*?)\s*(-?)\}\}/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out += text.slice(i, m.index);
    if (m[1] === '-') out = out.replace(/\s+$/, '');
    out += evaluate(m[2], env, values, file);
    i = m.index + m[0].length;
    if (m[3] === '-') while (i < text.length && /\s/.test(text[i])) i++;
  }
  return out + text.slice(i);
}

function evaluate(expr: string, env: Env, values: Json, file: string): string {
  const [head, ...pipes] = expr.split('|').map((s) => s.trim());
  let v: unknown;
  if (head === '.Environment.Name') v = env;
  else {
    const ref = /^\.(?:Values|StateValues|Environment\.Values)\.([A-Za-z0-9_.]+)$/.exec(head);
    if (!ref) throw new Error(`${file}: unsupported template expression {{ ${expr} }}`);
    v = values;
    for (const k of ref[1].split('.')) {
      if (!isMap(v) || !(k in v)) throw new Error(`${file}: the ${env} environment does not define ${ref[1]}`);
      v = v[k];
    }
  }
  let s: string | undefined;
  const str = () => (s !== undefined ? s : typeof v === 'string' ? v : isMap(v) || Array.isArray(v) ? undefined : String(v));
  for (const p of pipes) {
    const [fn, arg] = p.split(/\s+/);
    if (fn === 'quote') s = JSON.stringify(str() ?? '');
    else if (fn === 'toYaml') s = stringify(v).replace(/\n$/, '');
    else if (fn === 'toJson') s = JSON.stringify(v);
    else if ((fn === 'nindent' || fn === 'indent') && /^\d+$/.test(arg ?? '')) {
      const pad = ' '.repeat(Number(arg));
      s = (fn === 'nindent' ? '\n' : '') + (str() ?? '').split('\n').map((l) => pad + l).join('\n');
    } else throw new Error(`${file}: unsupported template function ${p} in {{ ${expr} }}`);
  }
  const result = str();
  if (result === undefined) throw new Error(`${file}: {{ ${expr} }} prints a map or list; pipe it through toYaml or toJson`);
  return result;
}

interface Release { name: string; namespace: string; chart: string; version?: string; needs?: string[]; values?: unknown[]; installed?: boolean; [k: string]: unknown }
interface HelmfileState { file: string; env: Env; values: Json; releases: Release[]; repositories: { name: string; url: string }[] }

const helmfiles = () => readdirSync(HELMFILE_D).filter((f) => /\.ya?ml(\.gotmpl)?$/.test(f)).sort();

/** One helmfile.d file for one environment, as helmfile reads it. */
function loadHelmfile(file: string, env: Env): HelmfileState {
  const text = readFileSync(join(HELMFILE_D, file), 'utf8');
  const parts = text.split(/^---[ \t]*$/m);
  assert.equal(parts.length, 2, `${file}: expected an environments part, ---, then the releases part`);
  assert.doesNotMatch(parts[0], /\{\{/, `${file}: the environments part is read before templating; keep it plain`);
  const head = parse(parts[0]) as Json;
  assert.deepEqual(Object.keys(head.environments ?? {}).sort(), [...ENVS].sort(), `${file}: environments`);
  let values: Json = {};
  for (const v of (head.environments[env].values ?? []) as unknown[]) {
    assert.equal(typeof v, 'string', `${file}: environment values are files`);
    const path = join(HELMFILE_D, v as string);
    assert.ok(existsSync(path), `${file}: ${v} does not exist`);
    values = deepMerge(values, readYaml(path)) as Json;
  }
  const body = parse(renderGotmpl(parts[1], env, values, file)) as Json;
  return { file, env, values, releases: (body.releases ?? []) as Release[], repositories: (body.repositories ?? []) as HelmfileState['repositories'] };
}

/** The values files of a release, rendered for the environment, as paths helm can take. */
function releaseValueFiles(s: HelmfileState, r: Release): string[] {
  return (r.values ?? []).map((v, i) => {
    if (isMap(v)) {
      const f = join(tmp, `${s.env}-${r.name}-inline-${i}.yaml`);
      writeFileSync(f, stringify(v));
      return f;
    }
    assert.equal(typeof v, 'string', `${s.file}: release ${r.name}: values[${i}]`);
    const path = join(HELMFILE_D, v as string);
    assert.ok(existsSync(path), `${s.file}: release ${r.name}: ${v} does not exist`);
    if (!path.endsWith('.gotmpl')) return path;
    const rendered = renderGotmpl(readFileSync(path, 'utf8'), s.env, s.values, v as string);
    const docs = parseAllDocuments(rendered);
    assert.ok(Array.isArray(docs) && docs.length === 1 && docs[0].errors.length === 0, `${v} (${s.env}) does not render to one YAML document:\n${rendered}`);
    const f = join(tmp, `${s.env}-${r.name}-${i}.yaml`);
    writeFileSync(f, rendered);
    return f;
  });
}

const isLocalChart = (chart: string) => chart.startsWith('./') || chart.startsWith('../');

/** Keys anywhere in a values tree that carry a secret in plain text. */
function plaintextSecrets(v: unknown, path = ''): string[] {
  if (Array.isArray(v)) return v.flatMap((x, i) => plaintextSecrets(x, `${path}[${i}]`));
  if (!isMap(v)) return [];
  return Object.entries(v).flatMap(([k, x]) =>
    /^(password|passwd|pass|token|tokens|secret|apiKey|secretKey|accessKey|privateKey)$/i.test(k) && typeof x === 'string' && x !== ''
      ? [`${path}.${k}`]
      : plaintextSecrets(x, `${path}.${k}`));
}

function keyPaths(v: unknown, prefix = ''): string[] {
  if (!isMap(v)) return [prefix];
  return Object.entries(v).flatMap(([k, x]) => keyPaths(x, prefix ? `${prefix}.${k}` : k));
}

test('helmfile.d: ordered files, both environments, pinned remote charts, valid needs', () => {
  const files = helmfiles();
  assert.deepEqual(files.filter((f) => !/^\d\d-[a-z0-9-]+\.yaml\.gotmpl$/.test(f)), [], 'helmfile.d/*.yaml(.gotmpl) are numbered NN-name.yaml.gotmpl (helmfile runs them in name order)');
  assert.ok(files.length >= 5, files.join(', '));
  for (const env of ENVS) {
    const seen = new Map<string, string>();
    for (const file of files) {
      const s = loadHelmfile(file, env);
      assert.ok(s.releases.length > 0, `${file}: no releases`);
      const here = new Set(s.releases.map((r) => `${r.namespace}/${r.name}`));
      for (const repo of s.repositories) assert.match(repo.url, /^https:\/\//, `${file}: repository ${repo.name}`);
      for (const r of s.releases) {
        const at = `${file} (${env}): release ${r.name}`;
        assert.ok(r.name && r.namespace && r.chart, `${at}: name, namespace and chart are required`);
        assert.equal(r.namespace, s.values.namespace, `${at}: namespace`);
        assert.ok(!seen.has(`${r.namespace}/${r.name}`), `${at}: also in ${seen.get(`${r.namespace}/${r.name}`)}`);
        seen.set(`${r.namespace}/${r.name}`, file);
        if (isLocalChart(r.chart)) {
          assert.ok(existsSync(join(HELMFILE_D, r.chart, 'Chart.yaml')), `${at}: no chart at ${r.chart}`);
        } else {
          const [repo] = r.chart.split('/');
          assert.ok(s.repositories.some((x) => x.name === repo), `${at}: repository ${repo} is not declared in ${file}`);
          assert.match(String(r.version ?? ''), /^\d+\.\d+\.\d+$/, `${at}: remote chart ${r.chart} must be pinned to an exact version`);
        }
        if (r.installed !== undefined) assert.equal(typeof r.installed, 'boolean', `${at}: installed`);
        for (const n of r.needs ?? []) {
          const id = n.includes('/') ? n : `${r.namespace}/${n}`;
          assert.ok(here.has(id), `${at}: needs ${n}, which is not a release of ${file} (helmfile resolves needs within one file; earlier layers are earlier files)`);
        }
        releaseValueFiles(s, r);
      }
      // needs form no cycle: a topological order exists
      const left = new Map(s.releases.map((r) => [`${r.namespace}/${r.name}`, (r.needs ?? []).map((n) => (n.includes('/') ? n : `${r.namespace}/${n}`))]));
      while (left.size) {
        const ready = [...left].filter(([, needs]) => needs.every((n) => !left.has(n))).map(([id]) => id);
        assert.ok(ready.length > 0, `${file}: needs form a cycle among ${[...left.keys()].join(', ')}`);
        for (const id of ready) left.delete(id);
      }
    }
    // what the issue asks for, in this order of layers
    const order = [...seen].map(([id, file]) => ({ name: id.split('/')[1], file }));
    const layer = (name: string) => order.find((o) => o.name === name)?.file ?? '';
    for (const name of ['strimzi-operator', 'kafka', 'nats', 'clickhouse-operator', 'clickhouse', 'temporal', 'sluice', 'sluice-loadtest']) {
      assert.ok(layer(name), `${env}: no release ${name}`);
    }
    for (const dep of ['kafka', 'nats', 'clickhouse', 'temporal']) assert.ok(layer(dep) < layer('sluice'), `${env}: ${dep} must be deployed before sluice`);
  }
});

test('helmfile.d: both environments define the same settings, with no secret in plain text', () => {
  const local = readYaml(join(HELMFILE_D, 'environments', 'local', 'values.yaml'));
  const bare = readYaml(join(HELMFILE_D, 'environments', 'baremetal', 'values.yaml'));
  assert.deepEqual(keyPaths(local).sort(), keyPaths(bare).sort(), 'local and baremetal define different settings');
  const lsl = readYaml(sluiceValuesFile('local'));
  const bsl = readYaml(sluiceValuesFile('baremetal'));
  assert.deepEqual(keyPaths(lsl).sort(), keyPaths(bsl).sort(), 'local and baremetal set different values of the chart');
  for (const env of ENVS) {
    for (const file of helmfiles()) {
      const s = loadHelmfile(file, env);
      assert.deepEqual(plaintextSecrets(s.values), [], `${env} values`);
      for (const r of s.releases) {
        for (const f of releaseValueFiles(s, r)) assert.deepEqual(plaintextSecrets(readYaml(f)), [], `${file} ${r.name} (${env}): ${f}`);
      }
    }
  }
  // the sizing the issue asks for
  assert.equal(bare.kafka.replicas, 3);
  assert.equal(bare.kafka.replicationFactor, 3);
  assert.equal(bare.nats.replicas, 3);
  assert.equal(bare.nats.cluster, true);
  assert.ok(bare.clickhouse.shards >= 1 && bare.clickhouse.replicas >= 2, 'ClickHouse: at least one shard x two replicas');
  assert.equal(bare.clickhouse.keeperReplicas, 3);
  assert.ok(bare.storageClass, 'baremetal names its StorageClass');
  for (const k of ['kafka', 'nats', 'clickhouse'] as const) assert.equal(local[k].replicas, 1, `local ${k}`);
  assert.equal(lsl.worker.autoscaling.enabled, false);
  assert.equal(bsl.worker.autoscaling.enabled, true);
});

/** Every local chart release (Sluice's and the stack's own), rendered exactly as helmfile would. */
function renderLocalReleases(env: Env): Map<string, Manifest[]> {
  const out = new Map<string, Manifest[]>();
  for (const file of helmfiles()) {
    const s = loadHelmfile(file, env);
    for (const r of s.releases.filter((x) => isLocalChart(x.chart))) {
      const chart = resolve(HELMFILE_D, r.chart);
      const vf = releaseValueFiles(s, r).flatMap((f) => ['-f', f]);
      const lint = helmRun(['lint', '--strict', chart, ...vf]);
      assert.ok(lint.ok, `${file} ${r.name} (${env}):\n${lint.out}`);
      out.set(r.name, parseManifests(helm(['template', r.name, chart, '--namespace', r.namespace, ...vf]), `${r.name} (${env})`));
    }
  }
  return out;
}

for (const env of ENVS) {
  test(`helmfile.d: the local-chart releases lint and render for ${env}, sized by the environment`, () => {
    const releases = renderLocalReleases(env);
    const values = loadHelmfile(helmfiles()[0], env).values;
    const only = (name: string) => { const m = releases.get(name); assert.ok(m, `release ${name} not found`); return m; };
    const one = (ms: Manifest[], kind: string) => { const m = ms.filter((x) => x.kind === kind); assert.equal(m.length, 1, kind); return m[0]; };

    const sv = effectiveValues(env).config as Json;
    // Sluice and its load test, with the release's values files in helmfile's order
    const sluice = only('sluice');
    assert.deepEqual(allProblems(sluice, effectiveValues(env)), []);
    const lt = only('sluice-loadtest');
    assert.deepEqual(lt.filter((m) => m.kind === 'Deployment'), [], 'the load test release runs no API or worker');
    const job = one(lt, 'Job');
    assert.deepEqual(containersOf(job)[0].args, ['--worker', 'none', '--pipeline', '/etc/sluice/loadtest/pipeline.yaml',
      '--events', String(values.loadtest.events), '--rps', String(values.loadtest.rps), '--partitions', String(values.loadtest.partitions)]);
    assert.deepEqual([...containerResourceProblems(lt), ...secretProblems(lt), ...probeProblems(lt)], []);
    // the pipeline it runs is mounted from a ConfigMap, valid for Sluice, and points in-cluster
    const mounted = lt.find((m) => m.kind === 'ConfigMap' && m.metadata.name === (podSpec(job)?.volumes as Json[]).find((v) => v.name === 'pipeline')?.configMap?.name);
    assert.ok(mounted, 'the pipeline ConfigMap the Job mounts is rendered');
    const checked = validateSpecText(mounted.data['pipeline.yaml']);
    assert.ok(checked.ok, checked.ok ? '' : checked.problems.map(formatProblem).join('\n'));
    assert.equal(checked.spec.sink.clickhouse.url, sv.clickhouseUrl, 'the load test writes to the ClickHouse Sluice is configured with');
    assert.deepEqual(checked.spec.sources[0].kafka.brokers, sv.kafkaBrokers.split(','));
    assert.equal(checked.spec.sink.createTable?.engine, values.loadtest.engine);

    // Kafka: KRaft node pool sized by the environment, replication as configured
    const kafka = only('kafka');
    const pool = one(kafka, 'KafkaNodePool');
    const k = one(kafka, 'Kafka');
    assert.equal(pool.spec.replicas, values.kafka.replicas);
    assert.deepEqual([...pool.spec.roles].sort(), ['broker', 'controller']);
    assert.equal(pool.metadata.labels?.['strimzi.io/cluster'], k.metadata.name);
    assert.equal(k.spec.kafka.config['default.replication.factor'], values.kafka.replicationFactor);
    assert.equal(k.spec.kafka.config['min.insync.replicas'], values.kafka.minInsyncReplicas);
    assert.equal(pool.spec.storage.volumes[0].type, 'persistent-claim');
    assert.deepEqual([
      ...resourceProblems(pool.spec.resources, 'KafkaNodePool'),
      ...resourceProblems(k.spec.entityOperator.topicOperator.resources, 'topicOperator'),
      ...resourceProblems(k.spec.entityOperator.userOperator.resources, 'userOperator'),
    ], []);

    // ClickHouse: shards x replicas with Keeper; the password is a Secret reference
    const ch = only('clickhouse');
    const chi = one(ch, 'ClickHouseInstallation');
    const chk = one(ch, 'ClickHouseKeeperInstallation');
    const layout = chi.spec.configuration.clusters[0].layout;
    assert.equal(layout.shardsCount, values.clickhouse.shards);
    assert.equal(layout.replicasCount, values.clickhouse.replicas);
    assert.equal(chk.spec.configuration.clusters[0].layout.replicasCount, values.clickhouse.keeperReplicas);
    assert.equal(chi.spec.configuration.zookeeper.nodes[0].host, `keeper-${chk.metadata.name}`);
    const users = chi.spec.configuration.users as Json;
    assert.equal(users['sluice/k8s_secret_password'], `${values.clickhouse.passwordSecret.name}/${values.clickhouse.passwordSecret.key}`);
    assert.ok(!Object.keys(users).some((u) => /\/password(_sha256_hex|_double_sha1_hex)?$/.test(u)), 'no password written into the ClickHouseInstallation');
    for (const x of [chi, chk]) {
      for (const t of x.spec.templates.podTemplates as Json[]) {
        for (const c of t.spec.containers as Container[]) assert.deepEqual(resourceProblems(c.resources, `${x.kind} ${c.name}`), []);
      }
    }

    // Temporal's PostgreSQL
    const pg = one(only('temporal-postgres'), 'Cluster');
    assert.equal(pg.spec.instances, values.temporal.postgres.instances);
    assert.deepEqual(resourceProblems(pg.spec.resources, 'postgres'), []);

    // the addresses Sluice is configured with are the Services these releases create
    const host = (u: string) => u.replace(/^[a-z]+:\/\//, '').split(/[:/]/)[0];
    assert.equal(host(sv.kafkaBrokers), `${k.metadata.name}-kafka-bootstrap`, 'Strimzi bootstrap Service');
    assert.equal(host(sv.clickhouseUrl), `clickhouse-${chi.metadata.name}`, 'Altinity CHI Service');
    assert.equal(host(sv.natsUrl), 'nats', 'the NATS release');
    assert.equal(host(sv.temporalAddress), 'temporal-frontend', 'the Temporal release frontend');
    const secretEnv = (effectiveValues(env).secrets.env as Json[]).find((e) => e.env === 'CLICKHOUSE_PASSWORD');
    assert.deepEqual({ name: secretEnv?.name, key: secretEnv?.key }, values.clickhouse.passwordSecret, 'Sluice and ClickHouse read the same Secret');
  });
}

test('helmfile.d: the remote charts get sized values (rendered for both environments)', () => {
  for (const env of ENVS) {
    const by = new Map<string, Json>();
    for (const file of helmfiles()) {
      const s = loadHelmfile(file, env);
      for (const r of s.releases) by.set(r.name, releaseValueFiles(s, r).map(readYaml).reduce((a, b) => deepMerge(a, b) as Json, {}));
    }
    const v = loadHelmfile(helmfiles()[0], env).values;
    const nats = by.get('nats')!;
    assert.equal(nats.config.cluster.replicas, v.nats.replicas);
    assert.equal(nats.config.jetstream.enabled, true);
    assert.equal(nats.config.jetstream.fileStore.pvc.enabled, true, 'JetStream on persistent volumes');
    assert.deepEqual(resourceProblems(nats.container.merge.resources, `nats (${env})`), []);
    const temporal = by.get('temporal')!;
    for (const store of ['default', 'visibility']) {
      const sql = temporal.server.config.persistence[store].sql;
      assert.equal(sql.existingSecret, 'temporal-pg-app', `${env}: Temporal ${store} store password from the CloudNativePG Secret`);
      assert.equal(sql.password, undefined);
    }
    assert.equal(temporal.web.enabled, true, 'the Temporal UI');
    for (const sub of ['cassandra', 'elasticsearch', 'mysql', 'postgresql', 'prometheus', 'grafana']) assert.equal(temporal[sub].enabled, false, `${env}: temporal ${sub} subchart`);
    assert.deepEqual(resourceProblems(temporal.server.resources, `temporal server (${env})`), []);
    for (const name of ['strimzi-operator', 'cnpg-operator']) assert.deepEqual(resourceProblems(by.get(name)!.resources, `${name} (${env})`), []);
    assert.deepEqual(resourceProblems(by.get('clickhouse-operator')!.operator.resources, `clickhouse-operator (${env})`), []);
  }
});

test('helmfile.d: the evaluator refuses what it cannot check', () => {
  assert.throws(() => renderGotmpl('a: {{ .Values.nope.x }}', 'local', { nope: {} }, 't'), /does not define nope\.x/);
  assert.throws(() => renderGotmpl('a: {{ if .Values.a }}x{{ end }}', 'local', { a: 1 }, 't'), /unsupported/);
  assert.throws(() => renderGotmpl('a: {{ .Values.a | upper }}', 'local', { a: 'x' }, 't'), /unsupported template function/);
  assert.equal(renderGotmpl('a: {{- .Values.m | toYaml | nindent 2 }}\nb: {{ .Values.s | quote }} {{ .Environment.Name }}', 'baremetal', { m: { x: 1 }, s: 5 }, 't'), 'a:\n  x: 1\nb: "5" baremetal');
});

// ---------------------------------------------------------------------------------------------
// the image the chart runs

test('Dockerfile: multi-stage, non-root, and it ships what the chart runs', () => {
  const df = readFileSync(join(REPO, 'Dockerfile'), 'utf8');
  const stages = df.match(/^FROM\s+\S+(\s+AS\s+\S+)?/gim) ?? [];
  assert.ok(stages.length >= 2, 'multi-stage build');
  const final = df.slice(df.lastIndexOf(stages[stages.length - 1]));
  const user = /^USER\s+(\S+)/m.exec(final)?.[1];
  assert.ok(user && !/^(0|root)(:|$)/.test(user), `the final stage runs as a non-root user (USER ${user})`);
  assert.match(final, /COPY --from=\S+ \/app\/dist \.\/dist/, 'the compiled dist/ is in the image');
  assert.match(final, /COPY --from=\S+ \/app\/node_modules \.\/node_modules/, 'production node_modules are in the image');
  assert.match(df, /npm ci --omit=dev/, 'the runtime has no dev dependencies');
  assert.match(df, /npx tsc -p tsconfig\.json/);
  // every entry point the chart starts is compiled from a source folder the build copies
  const ms = renderSluice('local', ['--set', 'loadtest.enabled=true']);
  const dockerignore = readFileSync(join(REPO, '.dockerignore'), 'utf8');
  for (const m of ms) {
    for (const c of containersOf(m)) {
      const script = (c.command ?? []).find((a) => a.startsWith('dist/'));
      assert.ok(script, `${where(m, c)}: no dist/ entry point in ${JSON.stringify(c.command)}`);
      const folder = script.split('/')[1];
      assert.match(df, new RegExp(`^COPY ${folder} \\./${folder}$`, 'm'), `${script}: the build does not copy ${folder}/`);
      assert.match(dockerignore, new RegExp(`^!${folder}/$`, 'm'), `${script}: .dockerignore leaves ${folder}/ out of the context`);
      if (folder !== 'loadtest') assert.ok(existsSync(join(REPO, dirname(script.replace(/^dist\//, '')), 'main.ts')), `${script}: no source`);
    }
  }
});
