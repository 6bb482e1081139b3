// The end-of-test summary, laid out like k6's, and its JSON export (pure).
import { formatMs } from './executors';
import { summaryValues, type Contains, type Metric, type Pacing } from './metrics';
import type { ThresholdResult } from './thresholds';

export interface Check {
  name: string;
  ok: boolean;
  /** the figures behind it, e.g. "208500 of 208500" */
  detail: string;
}

export interface ScenarioSummary {
  name: string;
  describe: string;
  maxVUs: number;
  started: number;
  dropped: number;
  skipped: number;
  /** rate-based scenarios only */
  pacing?: Pacing;
}

export interface SummaryData {
  script: string;
  pipeline: { name: string; from: string; topics: string[]; table: string };
  scenarios: ScenarioSummary[];
  /** from the first event to the end of verification */
  durationMs: number;
  checks: Check[];
  metrics: Metric[];
  thresholds: ThresholdResult[];
}

export const thresholdsPassed = (d: SummaryData) => d.thresholds.every((t) => t.ok);

const trim = (n: number, digits: number) => String(+n.toFixed(digits));

export function formatValue(v: number, contains: Contains): string {
  if (Number.isNaN(v)) return 'n/a';
  if (contains === 'time') return v < 1000 ? `${trim(v, 2)}ms` : v < 60_000 ? `${trim(v / 1000, 2)}s` : formatMs(v);
  if (contains === 'data') {
    const units = ['B', 'kB', 'MB', 'GB'];
    let i = 0;
    while (v >= 1000 && i < units.length - 1) { v /= 1000; i++; }
    return `${trim(v, 1)} ${units[i]}`;
  }
  return Number.isInteger(v) ? String(v) : trim(v, 4);
}

const percent = (share: number) => `${(share * 100).toFixed(2)}%`;

function metricText(m: Metric): string {
  const v = m.value;
  const s = summaryValues(v);
  switch (v.type) {
    case 'counter': return `${formatValue(s.count, m.contains).padEnd(8)}${m.contains === 'data' ? formatValue(s.rate, 'data') : trim(s.rate, s.rate >= 10 ? 1 : 3)}/s`;
    case 'gauge': return formatValue(s.value, m.contains);
    case 'rate': return `${percent(s.rate)} ${v.passes} out of ${v.passes + v.fails}`;
    case 'trend': return Object.entries(s).map(([k, x]) => `${k}=${formatValue(x, m.contains)}`).join(' ');
  }
}

const line = (name: string, text: string, width = 34) => `    ${name}${'.'.repeat(Math.max(2, width - name.length))}: ${text}`;

function scenarioLines(s: ScenarioSummary): string[] {
  const out = [`           * ${s.name}: ${s.describe} (maxVUs: ${s.maxVUs})`];
  const p = s.pacing;
  const pace = p && Number.isFinite(p.achievedRate)
    ? `achieved ${trim(p.achievedRate, 1)}/s of ${trim(p.targetRate, 1)}/s (${percent(p.achievedRate / p.targetRate)}), worst whole second ${percent(p.worstSecond)} off the schedule, `
    : '';
  out.push(`             ${pace}${s.dropped} dropped${s.skipped ? `, ${s.skipped} without an event` : ''}`);
  return out;
}

export function formatSummary(d: SummaryData): string {
  const out: string[] = [''];
  out.push(`     script: ${d.script}`);
  out.push(`   pipeline: ${d.pipeline.name} (from ${d.pipeline.from}), topic ${d.pipeline.topics.join(', ')} → ${d.pipeline.table}`);
  out.push(`  scenarios: ${d.scenarios.length} scenario${d.scenarios.length === 1 ? '' : 's'}:`);
  for (const s of d.scenarios) out.push(...scenarioLines(s));
  if (d.thresholds.length) {
    out.push('', '', '  █ THRESHOLDS');
    const byMetric = new Map<string, ThresholdResult[]>();
    for (const t of d.thresholds) byMetric.set(t.metric, [...(byMetric.get(t.metric) ?? []), t]);
    const contains = new Map(d.metrics.map((m) => [m.name, m.contains]));
    for (const [metric, ts] of byMetric) {
      out.push('', `    ${metric}`);
      for (const t of ts) out.push(`    ${t.ok ? '✓' : '✗'} '${t.source}' ${t.aggregate}=${formatValue(t.actual, t.aggregate === 'count' || t.aggregate === 'rate' ? 'default' : contains.get(metric) ?? 'default')}`);
    }
  }
  out.push('', '', '  █ TOTAL RESULTS', '');
  for (const c of d.checks) out.push(`    ${c.ok ? '✓' : '✗'} ${c.name} (${c.detail})`);
  const groups = [...new Set(d.metrics.map((m) => m.group))];
  for (const g of groups) {
    out.push('', `    ${g}`);
    for (const m of d.metrics.filter((x) => x.group === g).sort((a, b) => a.name.localeCompare(b.name))) out.push(line(m.name, metricText(m)));
  }
  const started = d.scenarios.reduce((n, s) => n + s.started, 0), dropped = d.scenarios.reduce((n, s) => n + s.dropped, 0);
  out.push('', '', `running (${formatMs(d.durationMs)}), ${started} complete and ${dropped} dropped iterations`);
  const failed = [...new Set(d.thresholds.filter((t) => !t.ok).map((t) => t.metric))];
  if (failed.length) out.push(`ERROR: thresholds on metrics '${failed.join("', '")}' have been crossed`);
  return out.join('\n');
}

/** The --summary-export JSON: every metric's aggregates and its thresholds, the checks, and the verdict. */
export function summaryJson(d: SummaryData): unknown {
  const metrics = Object.fromEntries(d.metrics.map((m) => [m.name, {
    type: m.value.type, contains: m.contains, values: summaryValues(m.value),
    thresholds: Object.fromEntries(d.thresholds.filter((t) => t.metric === m.name).map((t) => [t.source, { ok: t.ok }])),
  }]));
  return {
    script: d.script, pipeline: d.pipeline, durationMs: d.durationMs, scenarios: d.scenarios,
    checks: d.checks, metrics, thresholds: d.thresholds, ok: thresholdsPassed(d),
  };
}
