// The sink's ClickHouse side: INSERTs through this writer's fence only (core/fence.ts), the count
// of one batch's rows for recovery, and the search for rows the server refuses.
import { Readable } from 'node:stream';
import { ClickHouseError, type ClickHouseClient } from '@clickhouse/client';
import type { PipelineSpec } from '../../core/spec/schema';
import type { RowLines } from '../../core/rowLines';
import { findRejected } from '../../core/bisect';
import { clickhouseErrorCode } from '../../core/clickhouseErrors';
import { BATCH_COLUMN } from '../../core/spec/columns';
import { tableRef, probeTable } from '../../core/ddl';
import { faultBody } from '../faultPoints';
import { describeTable, insertSettings, tableEngine } from '../clickhouseServer';
import { batchCountQuery, isReplicatedEngine } from '../../core/serverVersion';

/** This writer was fenced out: a newer sink attempt dropped its fence. Retried like any failure (the attempt is stale). */
export class FencedOut extends Error {}

/** The code of an error ClickHouse itself answered with (undefined: no answer at all); old servers' messages are not parsed into ClickHouseError. */
const codeOf = (e: unknown): number | undefined =>
  e instanceof ClickHouseError ? Number(e.code) : e instanceof Error ? clickhouseErrorCode(e.message) : undefined;
export const isServerError = (e: unknown) => codeOf(e) !== undefined;
const UNKNOWN_TABLE = 60;

/** Rows of one batch id in the sink table (recovery's question about the last journaled batch; consistent on replicated tables). */
export async function rowsOfBatch(ch: ClickHouseClient, spec: PipelineSpec, batchId: number): Promise<number> {
  const { query, settings } = batchCountQuery(tableRef(spec), BATCH_COLUMN, batchId, isReplicatedEngine(await tableEngine(ch, spec)));
  const rs = await ch.query({ query, format: 'JSONEachRow', clickhouse_settings: settings });
  const [row] = await rs.json<{ n: string | number }>();
  return Number(row?.n ?? 0);
}

/**
 * An INSERT of JSONEachRow lines (core/rowLines.ts) sent as they are: the client's insert() takes
 * rows as objects and serialises each again, so the statement is run through exec() with the
 * lines as its body. `table` is an escaped table reference (core/ddl.ts).
 */
export async function insertLines(ch: ClickHouseClient, table: string, body: Uint8Array | Readable, settings: Record<string, string | number>): Promise<void> {
  const values = body instanceof Readable ? body : Readable.from([body], { objectMode: false });
  const r = await ch.exec({ query: `INSERT INTO ${table} FORMAT JSONEachRow`, values, clickhouse_settings: settings });
  // the answer to an INSERT has no body: read to its end, so the connection goes back to the pool
  for await (const _ of r.stream) { /* nothing */ }
}

export class ClickHouseWriter {
  /** the probe table of the sink table's columns, once made */
  private probe?: Promise<string>;

  private constructor(private readonly ch: ClickHouseClient, private readonly spec: PipelineSpec, private readonly insertInto: string,
    private readonly settings: (batchId?: number) => Record<string, string | number>) {}

  /** A writer into `insertInto` (this writer's fence input), with the settings the server takes. */
  static async open(ch: ClickHouseClient, spec: PipelineSpec, insertInto: string): Promise<ClickHouseWriter> {
    return new ClickHouseWriter(ch, spec, insertInto, await insertSettings(ch, spec));
  }

  /** One INSERT of batch `batchId`'s rows (the id is its deduplication token); a mid-insert fault point streams them to stop halfway. */
  async insert(rows: RowLines, batchId: number): Promise<void> {
    try {
      await insertLines(this.ch, this.insertInto, faultBody('mid-insert', rows), this.settings(batchId));
    } catch (e) {
      if (codeOf(e) === UNKNOWN_TABLE) throw new FencedOut(`sink: this writer's fence ${this.insertInto} is gone: another sink attempt took the table over (${(e as Error).message})`);
      throw e;
    }
  }

  private async createProbe(): Promise<string> {
    const probe = probeTable(this.spec, (await describeTable(this.ch, this.spec)).map((c) => `${c.name} ${c.type}`).join(', '));
    await this.ch.command({ query: probe.createSql });
    return probe.ref;
  }

  /** The rows ClickHouse refuses, by index with its message: tried against a Null-engine copy of the table, which converts and discards them. */
  rejected(rows: RowLines): Promise<Map<number, string>> {
    return findRejected(rows.lines(), async (part) => {
      const probe = await (this.probe ??= this.createProbe().catch((e) => { this.probe = undefined; throw e; }));
      try {
        await insertLines(this.ch, probe, Readable.from(part, { objectMode: false }), this.settings());
        return undefined;
      } catch (e) {
        if (isServerError(e)) return (e as Error).message;
        throw e;
      }
    });
  }
}
