// Reading a pipeline's dead-letter queue (a JetStream stream): entries in order, by id (= stream sequence).
import { streamsOf } from '../core/names';
import type { DlqEntry } from '../core/sinkState';
import { SluiceError } from '../client/errors';
import { natsConnection } from '../runtime/connections';

export interface DlqItem extends DlqEntry { id: number }
export interface DlqPage { items: DlqItem[]; total: number; nextAfter: number | null }

/** a filtered read looks at most this many entries per call (nextAfter goes on from there) */
export const DLQ_SCAN_MAX = 2000;

/** Entries after id `after`, oldest first, at most `limit`; with `reason`, only those (looking at no more than DLQ_SCAN_MAX entries per call). */
export async function readDlq(pipeline: string, limit: number, after: number, reason?: string | null): Promise<DlqPage> {
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new SluiceError('BAD_INPUT', 'limit: expected an integer from 1 to 1000');
  const jsm = await (await natsConnection()).jetstreamManager();
  const stream = streamsOf(pipeline).dlq;
  const info = await jsm.streams.info(stream).catch(() => undefined);
  if (!info) throw new SluiceError('NOT_FOUND', `no DLQ for pipeline "${pipeline}" (is it created?)`);
  const items: DlqItem[] = [];
  let seq = Math.max(after + 1, info.state.first_seq);
  const scanUntil = seq + DLQ_SCAN_MAX;
  for (; seq <= info.state.last_seq && items.length < limit && seq < scanUntil; seq++) {
    const m = await jsm.streams.getMessage(stream, { seq }).catch(() => undefined); // deleted ids are gaps
    if (!m) continue;
    const entry = m.json<DlqEntry>();
    if (!reason || entry.reason === reason) items.push({ id: seq, ...entry });
  }
  const more = seq <= info.state.last_seq;
  return { items, total: info.state.messages, nextAfter: more ? seq - 1 : null };
}
