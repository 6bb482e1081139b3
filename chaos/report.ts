// One row per chaos scenario, and the table `npm run chaos` prints.
export interface ChaosRow { scenario: string; events: number; expected: number; rows: number; missing: number; doubled: number; dlq: number; dlqExpected: number; recoveryS: number; reconciles: boolean; leaks: number; pass: boolean }

/** A scenario that could not finish: a FAIL row saying why, and the suite goes on. */
export function failedRow(scenario: string, e: unknown): ChaosRow {
  const why = e instanceof Error ? e.message : String(e);
  console.error(`[chaos] ${scenario}: could not finish: ${why}`);
  return { scenario: `${scenario} (could not finish: ${why})`, events: NaN, expected: NaN, rows: NaN, missing: NaN, doubled: NaN, dlq: NaN, dlqExpected: NaN, recoveryS: NaN, reconciles: false, leaks: NaN, pass: false };
}

export function printTable(rows: ChaosRow[]): void {
  console.log('\n| scenario | events | expected rows | rows | missing | doubled | dlq (expected) | recovery (fault → next row) | counters reconcile | stages left after delete | result |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.scenario} | ${r.events} | ${r.expected} | ${r.rows} | ${r.missing} | ${r.doubled} | ${r.dlq} (${r.dlqExpected}) | ${Number.isFinite(r.recoveryS) ? `${r.recoveryS.toFixed(1)} s` : '—'} | ${r.reconciles ? 'yes' : 'NO'} | ${r.leaks} | ${r.pass ? 'PASS' : 'FAIL'} |`);
  }
}
