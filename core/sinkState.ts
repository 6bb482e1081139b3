// The dedup + sink stage as pure state: raw batches in, rows / duplicates / DLQ entries out,
// and a journal entry per committed batch from which the state is rebuilt after a crash.
// No I/O here: activities/dedupSink.ts wires it to JetStream and ClickHouse.
import type { PipelineSpec, SourceSpec } from './spec/schema';
import { parseDuration } from './duration';
import { resolveColumns, BATCH_COLUMN, type Column } from './spec/columns';
import { DedupWindow, keysText, type SpillOptions } from './dedupWindow';
import { batchIdOf } from './incarnation';
import { EventDecoder, EventError, checkValue, type DecodedEvent, type DlqReason } from './event';
import { keyFieldsOf, keyFunction, keyHalvesFunction, lastKeyHi, lastKeyLo, legacyHashKey } from './dedupKey';
import { storableTime } from './keyStore';
import { DEDUP_SNAPSHOT_EVERY_KEYS, type DedupSnapshot } from './dedupSnapshot';
import { rawOrigin, rawValue, type RawBatch, type RawOrigin } from './envelope';
import { RowOrigins } from './rowOrigins';
import { NumberColumn } from './numberColumn';
import { plainValue } from './byteSpan';
import { RowLines } from './rowLines';
import { JoinRunner, type JoinCounters, type JoinRecord, type LeftTag } from './join/joinRunner';
import type { JoinSnapshot } from './join/joinState';

export interface Counters {
  /** distinct Kafka records read (redeliveries of a record are not counted twice) */
  read: number;
  duplicates: number;
  dlq: number;
  inserted: number;
  /** events older than the watermark minus the window (they are still inserted or dropped) */
  late: number;
  /** join pipelines only: read = duplicates + dlq - rejectedRows + matched + unmatched + waiting + side */
  join?: JoinCounters;
}
/** the first pending-rows buffer's size; later ones start at the size of the batch before */
const ROW_BYTES_AT_FIRST = 64 * 1024;

export const zeroCounters = (): Counters => ({ read: 0, duplicates: 0, dlq: 0, inserted: 0, late: 0 });

export interface DlqEntry {
  source: string;
  topic: string;
  partition: number;
  offset: number;
  reason: DlqReason;
  error: string;
  value: string | null;
  at: number;
}

/** A row as an object (previews and tests; the sink holds rows as RowLines). */
export type Row = Record<string, unknown>;

/**
 * One committed sink batch, as written to the state journal before its rows are inserted.
 * Version 2 entries hold xxHash64 keys; version 1 (older journals) MD5 keys, still honoured.
 */
export interface JournalEntry {
  v: 1 | 2;
  batch: number;
  /** last raw-stream sequence the batch covers */
  rawSeq: number;
  /** wall-clock time the entry was written */
  at: number;
  rows: number;
  counters: Counters;
  /** highest Kafka offset processed per "source:partition" */
  hw: Record<string, number>;
  /** keys first seen in this batch, per source: 16-hex keys concatenated, with their times */
  keys: Array<{ s: number; k: string; t: number[] }>;
  /** an amendment of the same batch: keys of rows ClickHouse rejected, to forget again */
  forget?: Array<{ s: number; k: string }>;
  /** join pipelines: the join's inputs in this batch, in order (replayed on recovery) */
  j?: JoinRecord[];
}

export interface TakenBatch {
  entry: JournalEntry;
  /** the rows, as the INSERT's JSONEachRow body */
  rows: RowLines;
  dlq: DlqEntry[];
  origins: RowOrigins;
  /** join pipelines: the join state after this batch, when a snapshot is due (written once the batch is inserted) */
  snapshot?: JoinSnapshot;
  /** the dedup state after this batch, when a snapshot is due: written once the batch is inserted, if dedupSnapshotToWrite still gives it */
  dedupSnapshot?: DedupSnapshot;
  /** rejected-row amendments that had forgotten keys when the dedup snapshot was taken */
  rejectionsAtSnapshot?: number;
}


interface SourceRuntime {
  name: string;
  decoder: EventDecoder;
  /** per column, the index of its field in the decoder's values (-1: the source does not declare it) */
  columnAt: number[];
  window?: DedupWindow;
  /** hashes an event's key: lastKeyHi() and lastKeyLo() are then its halves */
  key?: (e: DecodedEvent) => void;
  time: 'event' | 'arrival';
  /** the keys first seen in the pending batch, as halves: [hi, lo, hi, lo, ...] */
  newKeys: NumberColumn;
  newTimes: NumberColumn;
  /** a journal of version 1 was replayed: its MD5 keys are checked too while any can be held (newest MD5 key time) */
  legacyUntil?: number;
  legacyKey?: (e: DecodedEvent) => string;
}

export class SinkState {
  batch = 0;
  rawSeq = 0;
  counters: Counters = zeroCounters();
  hw: Record<string, number> = {};
  readonly columns: Column[];
  private readonly spec: PipelineSpec;
  private readonly sources: SourceRuntime[];
  private readonly topics: string[];
  /** joined rows' values come in column order */
  private readonly joinColumnAt: number[];
  private rows = new RowLines(ROW_BYTES_AT_FIRST);
  /** per column, `{"name":` (the first) or `,"name":`; then the batch column's */
  private readonly columnPrefixes: Buffer[];
  /** the batch column's value text, for the batch it was made for */
  private batchIdText = { batch: -1, bytes: Buffer.alloc(0) };
  private origins = new RowOrigins();
  private dlq: DlqEntry[] = [];
  private pendingSeq = 0;
  readonly join?: JoinRunner;
  private readonly dedupSnapshotEveryKeys: number;
  private keysSinceSnapshot = 0;
  /** amendments that forgot keys so far (a dedup snapshot taken before one of them is stale) */
  private rejections = 0;
  /** rows moved from inserted to the DLQ by rejectRows so far, and as of when each taken entry was taken */
  private rejectedRowsTotal = 0;
  private readonly rejectedAtTake = new WeakMap<JournalEntry, number>();

  /** which incarnation of the pipeline this is (core/incarnation.ts): the high part of every row's batch id */
  readonly incarnation: number;

  constructor(spec: PipelineSpec, opts: {
    joinSnapshotMinInputs?: number; incarnation?: number; dedupSnapshotEveryKeys?: number;
    /** a dedup source's store on disk past its memory cap (activities/dedupSpill.ts); none: all in memory */
    dedupSpill?: (source: number) => SpillOptions | undefined;
  } = {}) {
    this.columns = resolveColumns(spec);
    this.spec = spec;
    this.incarnation = opts.incarnation ?? 0;
    this.dedupSnapshotEveryKeys = opts.dedupSnapshotEveryKeys ?? DEDUP_SNAPSHOT_EVERY_KEYS;
    if (spec.join) {
      this.join = new JoinRunner(spec, { row: (values, tag) => this.joinedRow(values, tag) }, opts.joinSnapshotMinInputs);
      this.counters.join = this.join.counters;
    }
    this.sources = spec.sources.map((s, i) => {
      // spans: values are only written (rows, keys), except a join's, which it keeps
      const decoder = new EventDecoder(s, new Set([...keyFieldsOf(s.dedup), ...(this.join?.keyFieldsOf(i) ?? [])]), { reuse: true, spans: !this.join });
      return { name: s.name, decoder, columnAt: this.columns.map((c) => decoder.fields.index.get(c.field) ?? -1), ...this.dedupOf(s, opts.dedupSpill?.(i)) };
    });
    this.joinColumnAt = this.columns.map((_, j) => j);
    this.columnPrefixes = [...this.columns.map((c) => c.name), BATCH_COLUMN].map((name, j) => Buffer.from(`${j ? ',' : '{'}${JSON.stringify(name)}:`));
    this.topics = spec.sources.map((s) => s.kafka.topic);
  }

  private dedupOf(s: SourceSpec, spill: SpillOptions | undefined): Pick<SourceRuntime, 'window' | 'key' | 'time' | 'newKeys' | 'newTimes'> {
    return {
      window: s.dedup ? new DedupWindow(parseDuration(s.dedup.window)!, spill) : undefined,
      key: s.dedup ? keyHalvesFunction(s.dedup) : undefined,
      time: s.dedup?.time ?? 'arrival',
      newKeys: new NumberColumn(),
      newTimes: new NumberColumn(),
    };
  }

  get pendingRows(): number {
    return this.rows.count;
  }
  /** the last raw-stream sequence processed */
  get processedSeq(): number {
    return this.pendingSeq;
  }
  /** true when raw messages were consumed (or join windows closed) since the last commit */
  get hasPending(): boolean {
    return this.pendingSeq > this.rawSeq || (this.join?.pendingRecords ?? 0) > 0;
  }

  /** Joins: closes windows due by the clock (arrival time) or declares silent partitions idle (event time); true when that changed the state. */
  tick(now: number): boolean {
    if (!this.join) return false;
    return this.join.plan.time === 'arrival' ? this.join.tick(now) : this.join.markIdle(now);
  }

  /** Processes one raw batch taken from stream sequence `seq`. */
  process(seq: number, b: RawBatch): void {
    this.pendingSeq = seq;
    const src = this.sources[b.s];
    const hwKey = `${b.s}:${b.p}`;
    let hw = this.hw[hwKey] ?? -1;
    const unreadable = new Map(b.e ?? []);
    let origin: RawOrigin | undefined;
    const bytes = b.bytes;
    for (let i = 0; i < b.o.length; i++) {
      const offset = b.o[i];
      if (offset <= hw) continue; // a record republished after an ingest crash: already counted
      hw = offset;
      this.counters.read++;
      try {
        const why = unreadable.get(i);
        if (why) throw new EventError(why, why === 'invalid_utf8' ? 'value is not valid UTF-8 (kept as base64)' : 'value is larger than the event size limit (first 1 KiB kept)');
        const e = bytes ? src.decoder.decodeAt(bytes.data, bytes.at[2 * i], bytes.at[2 * i + 1]) : src.decoder.decode(b.v[i]);
        // a row is made before the dedup check: a missing column's error outranks being a duplicate
        if (!this.join) this.writeRow(e.values, src.columnAt);
        let hi = Number.NaN, lo = Number.NaN, t = Number.NaN;
        if (src.window && src.key) {
          // whole milliseconds (the key store holds no fractions)
          t = Math.floor(src.time === 'event' ? e.eventTimeMs! : b.a);
          if (!storableTime(t)) throw new EventError('invalid_event_time', `event time ${t} ms is out of the range dedup holds (±4,400 years around 1970)`);
          if (src.window.isLate(t)) this.counters.late++;
          src.key(e);
          hi = lastKeyHi();
          lo = lastKeyLo();
          if (this.legacyDuplicate(src, e, t) || !src.window.admitHalves(hi, lo, t)) {
            if (!this.join) this.rows.dropLast();
            this.counters.duplicates++;
            continue;
          }
          this.keysSinceSnapshot++;
          src.newKeys.push(hi);
          src.newKeys.push(lo);
          src.newTimes.push(t);
        }
        if (this.join) { this.join.accept(b.s, e, b.a, [b.p, offset, b.a]); continue; }
        this.origins.pushKeyed(origin ??= rawOrigin(b), i, hi, lo, t);
      } catch (err) {
        if (!(err instanceof EventError)) throw err;
        this.deadLetter({ source: src.name, topic: b.t, partition: b.p, offset, reason: err.reason, error: err.message, value: rawValue(b, i), at: b.a });
      }
    }
    this.hw[hwKey] = hw;
  }

  /** After an upgrade from MD5 keys: a repeat of an event whose MD5 key is still held is a duplicate. */
  private legacyDuplicate(src: SourceRuntime, e: DecodedEvent, t: number): boolean {
    if (src.legacyUntil === undefined || !src.legacyKey) return false;
    if (src.legacyUntil <= src.window!.currentWatermark - src.window!.windowMs) { src.legacyUntil = undefined; return false; }
    return src.window!.holds(src.legacyKey(e), t);
  }

  private deadLetter(d: DlqEntry): void {
    this.counters.dlq++;
    this.dlq.push(d);
  }

  /**
   * Appends the row of values to the pending rows (nothing when a value does not fit its column:
   * the EventError is thrown); `at[j]` is the index of column j's field in them (-1: none).
   */
  private writeRow(values: readonly unknown[], at: readonly number[]): void {
    const columns = this.columns;
    const prefixes = this.columnPrefixes;
    const out = this.rows;
    out.begin();
    try {
      for (let j = 0; j < columns.length; j++) {
        const c = columns[j];
        // decoded values are never undefined: undefined is a field the values lack
        let v = at[j] < 0 ? undefined : values[at[j]];
        if (v === undefined) v = c.fieldType ? checkValue(c.fieldType, undefined, c.field) : null;
        // null (an unmatched left-join side, a nullable field) where the column cannot be Nullable (Array, Map, JSON): its empty value
        if (v === null && c.empty !== undefined) v = c.empty;
        out.raw(prefixes[j]);
        out.json(c.write && v !== null ? c.write(plainValue(v)) : v);
      }
    } catch (err) {
      out.abort();
      throw err;
    }
    out.raw(prefixes[columns.length]);
    out.raw(this.batchIdBytes());
    out.end();
  }

  /** `N}`: the batch column's value (the batch the row will be committed in) and the row's end. */
  private batchIdBytes(): Buffer {
    const next = this.batch + 1;
    if (this.batchIdText.batch !== next) this.batchIdText = { batch: next, bytes: Buffer.from(`${JSON.stringify(batchIdOf(this.incarnation, next))}}`) };
    return this.batchIdText.bytes;
  }

  private joinedRow(values: ReadonlyMap<string, unknown>, [partition, offset, at]: LeftTag): void {
    const s = this.join!.plan.left.source;
    try {
      this.writeRow(this.columns.map((c) => values.get(c.field)), this.joinColumnAt);
    } catch (err) {
      if (!(err instanceof EventError)) throw err;
      // a joined value the column cannot hold (a Decimal's digits): the joined row goes to the DLQ, counted as matched and rejected
      this.deadLetter({ source: this.sources[s].name, topic: this.topics[s], partition, offset, reason: err.reason, error: err.message, value: JSON.stringify(Object.fromEntries(values)), at });
      this.counters.join!.rejectedRows++;
      return;
    }
    this.origins.push({ s, t: this.topics[s], p: partition, a: at, o: [offset], value: () => null }, 0);
  }

  /** Closes the pending batch: its journal entry, the rows to insert and the DLQ entries. */
  takeBatch(now: number): TakenBatch {
    const rows = this.rows;
    const dlq = this.dlq;
    const origins = this.origins;
    this.batch++;
    this.rawSeq = this.pendingSeq;
    this.counters.inserted += rows.count;
    const j = this.join?.takeRecords();
    const entry: JournalEntry = {
      v: 2,
      batch: this.batch,
      rawSeq: this.rawSeq,
      at: now,
      rows: rows.count,
      counters: this.copyCounters(),
      hw: { ...this.hw },
      keys: this.sources.flatMap((s, i) => (s.newKeys.length ? [{ s: i, k: keysText(s.newKeys.view()), t: s.newTimes.toArray() }] : [])),
    };
    if (j?.length) entry.j = j;
    this.rejectedAtTake.set(entry, this.rejectedRowsTotal);
    const snapshot = this.join?.snapshotIfDue();
    for (const s of this.sources) { s.newKeys = new NumberColumn(s.newKeys.length); s.newTimes = new NumberColumn(s.newTimes.length); s.window?.evict(); }
    this.rows = new RowLines(Math.max(ROW_BYTES_AT_FIRST, rows.length));
    this.origins = new RowOrigins(origins.length);
    this.dlq = [];
    const taken: TakenBatch = snapshot ? { entry, rows, dlq, origins, snapshot } : { entry, rows, dlq, origins };
    if (this.keysSinceSnapshot >= this.dedupSnapshotEveryKeys) {
      taken.dedupSnapshot = this.dedupSnapshot();
      taken.rejectionsAtSnapshot = this.rejections;
      this.keysSinceSnapshot = 0;
    }
    return taken;
  }

  /**
   * The dedup snapshot of a taken batch, once that batch is inserted: undefined when there is none,
   * or when rows were rejected since it was taken (it would hold their forgotten keys; the next batch takes another).
   */
  dedupSnapshotToWrite(taken: TakenBatch): DedupSnapshot | undefined {
    if (!taken.dedupSnapshot) return undefined;
    if (taken.rejectionsAtSnapshot === this.rejections) return taken.dedupSnapshot;
    this.keysSinceSnapshot = this.dedupSnapshotEveryKeys;
    return undefined;
  }

  /** The dedup state after the last taken batch (copied). */
  dedupSnapshot(): DedupSnapshot {
    return {
      batch: this.batch,
      sources: this.sources.flatMap((s, i) => (s.window ? [{ s: i, window: s.window.dump(), ...(s.legacyUntil !== undefined ? { legacyUntil: s.legacyUntil } : {}) }] : [])),
    };
  }

  /** Recovery: the dedup state of a snapshot; then journal entries after its batch are applied (their keys only). */
  restoreDedup(snap: DedupSnapshot): void {
    for (const { s, window, legacyUntil } of snap.sources) {
      const src = this.sources[s];
      if (!src?.window) continue;
      src.window.load(window);
      if (legacyUntil !== undefined) this.markLegacy(s, legacyUntil);
    }
  }

  private markLegacy(s: number, newest: number): void {
    const src = this.sources[s];
    src.legacyUntil = Math.max(src.legacyUntil ?? Number.NEGATIVE_INFINITY, newest);
    src.legacyKey ??= keyFunction(this.spec.sources[s].dedup!, legacyHashKey);
  }

  private copyCounters(): Counters {
    return this.counters.join ? { ...this.counters, join: { ...this.counters.join } } : { ...this.counters };
  }

  /**
   * A taken batch's journal entry as it is to be published: a batch taken while an earlier one
   * was still being written misses the rows rejected in that one since (their counts moved from
   * inserted to dlq); they are added here (in place, so a retried publish and rejectRows see them).
   */
  entryToPublish(entry: JournalEntry): JournalEntry {
    const at = this.rejectedAtTake.get(entry);
    if (at === undefined || at === this.rejectedRowsTotal) return entry;
    const n = this.rejectedRowsTotal - at;
    const c = entry.counters;
    c.inserted -= n;
    c.dlq += n;
    if (c.join) c.join.rejectedRows += n;
    this.rejectedAtTake.set(entry, this.rejectedRowsTotal);
    return entry;
  }

  /**
   * ClickHouse refused some rows of a taken batch (by index, with its message): they become DLQ
   * entries, their keys are forgotten (a later copy may pass), and the batch is amended.
   */
  rejectRows(taken: TakenBatch, rejected: ReadonlyMap<number, string>, now: number): TakenBatch {
    const kept: Buffer[] = [];
    const origins = new RowOrigins();
    const dlq: DlqEntry[] = [];
    const forget: Array<{ s: number; k: string }> = [];
    for (let i = 0; i < taken.rows.count; i++) {
      const message = rejected.get(i);
      if (message === undefined) { kept.push(taken.rows.line(i)); origins.pushFrom(taken.origins, i); continue; }
      const o = taken.origins.at(i);
      // a joined row has no single Kafka value: the row itself is kept
      dlq.push({ source: this.sources[o.s].name, topic: o.topic, partition: o.partition, offset: o.offset, reason: 'rejected_by_clickhouse', error: message, value: o.value ?? taken.rows.text(i), at: o.at });
      if (o.key !== undefined && this.sources[o.s].window?.forget(o.key, o.t!)) forget.push({ s: o.s, k: o.key });
    }
    const rows = RowLines.from(kept);
    // a dedup snapshot taken before this (of this batch or the next, already taken) still holds the keys: see dedupSnapshotToWrite
    if (forget.length) this.rejections++;
    // the next batch may already be filling (or taken: see entryToPublish): move the counts in both the live counters and the batch's own
    this.rejectedRowsTotal += dlq.length;
    this.counters.inserted -= dlq.length;
    this.counters.dlq += dlq.length;
    if (this.counters.join) this.counters.join.rejectedRows += dlq.length;
    const c = taken.entry.counters;
    const counters = { ...c, inserted: c.inserted - dlq.length, dlq: c.dlq + dlq.length };
    if (c.join) counters.join = { ...c.join, rejectedRows: c.join.rejectedRows + dlq.length };
    const entry: JournalEntry = { ...taken.entry, at: now, rows: rows.count, counters, forget };
    return { entry, rows, dlq, origins };
  }

  /**
   * Replays a committed journal entry (recovery). Entries must come in journal order. Join
   * inputs are replayed only for entries after the snapshot the join state was restored from,
   * keys only for entries after the dedup snapshot.
   */
  apply(entry: JournalEntry, replayJoin = true, replayKeys = true): void {
    this.batch = entry.batch;
    this.rawSeq = this.pendingSeq = entry.rawSeq;
    this.counters = { ...entry.counters };
    if (this.join) {
      this.join.counters = { ...(entry.counters.join ?? this.join.counters) };
      this.counters.join = this.join.counters;
      if (replayJoin && entry.j) this.join.replay(entry.j);
    }
    this.hw = { ...entry.hw };
    if (!replayKeys) return;
    for (const { s, k, t } of entry.keys) {
      const w = this.sources[s]?.window;
      if (!w) continue;
      for (let i = 0; i < t.length; i++) w.restore(k.slice(i * 16, i * 16 + 16), t[i]);
      if (entry.v === 1 && t.length) this.markLegacy(s, t.reduce((a, b) => Math.max(a, b)));
    }
    for (const { s, k } of entry.forget ?? []) this.sources[s]?.window?.forget(k);
  }

  /** Frees expired keys after a replay. */
  evictAll(): void {
    for (const s of this.sources) s.window?.evict(true);
  }

  /** Each source's dedup window in ms (undefined: no dedup). */
  windowsMs(): Array<number | undefined> {
    return this.sources.map((s) => s.window?.windowMs);
  }

  /** Each source's watermark: the largest time seen. */
  watermarks(): number[] {
    return this.sources.map((s) => s.window?.currentWatermark ?? Number.NEGATIVE_INFINITY);
  }

  /** Bytes of the dedup key stores (typed arrays, off the V8 heap). */
  keyStoreBytes(): number {
    return this.sources.reduce((n, s) => n + (s.window?.bytes ?? 0), 0);
  }

  /** Keys held per source (for metrics and the memory benchmark). */
  heldKeys(): number {
    return this.sources.reduce((n, s) => n + (s.window?.size ?? 0), 0);
  }
}
