// The in-memory trace store. It does not care where telemetry came from: every source hands it
// TelemetryBatches. Spans and their correlated log records may arrive in any order and in any number of
// batches; the store keeps the raw records per trace and reads only each span's outline, when it next
// settles (before any reader sees the trace): what lists, the tree, search and the indexes need (names,
// times, status, models, tokens, session, user, the question asked). Message content is read when a trace
// is asked for whole (getTrace), and only a few whole traces are kept built. The store is bounded in
// traces, in estimated bytes (least recently updated whole trace first) and in spans per trace; log
// records whose spans never come wait in a pool of their own that ages out. Listeners hear of changes at
// most once per debounce interval, so a burst of thousands of spans does not re-render thousands of times.

import { createHash } from 'node:crypto';
import {
  CallFacts,
  callFactsOf,
  summarizeCalls,
  type CallFact,
  type Summary,
  type SummaryWindow,
} from './aggregate';
import type { SourceKind, Span, Trace, TraceSummary } from './model';
import type { LogRecordData, SpanRecord, TelemetryBatch } from './records';
import { logRecordBytes, spanRecordBytes } from './recordSize';
import { SharedValues } from './sharedValues';
import { SmallMap } from './smallMap';

/** A span as the outline of its trace has it, and the question its call asked when that was read. */
export interface SpanOutline {
  /** The span without message content: its `llm` has no messages and `contentPending` set. */
  span: Span;
  /** Whether the question was read (wantPreview said yes); `preview` is then set if it asked one. */
  previewRead: boolean;
  preview?: string;
}

/** Turns records into the domain model; the GenAI normalizer in production, anything in tests. */
export interface Normalizer {
  /** The whole span, message content included. */
  span(record: SpanRecord, logs: readonly LogRecordData[]): Span;
  /**
   * The span without its content. `wantPreview(startMs)` is asked once for an LLM call: yes when the
   * question it asked may be the one its trace shows, which costs reading its input.
   */
  outline(
    record: SpanRecord,
    logs: readonly LogRecordData[],
    wantPreview: (startMs: number) => boolean,
  ): SpanOutline;
  /** Whether the span is a call (its outline has `llm`), read for the count of calls received. */
  isCall(record: SpanRecord): boolean;
  /**
   * Orders the spans and summarizes them. `previewOf` gives a call's question when the spans are outlines
   * (their messages are not there); without it the question is read from the messages.
   */
  trace(
    traceId: string,
    spans: Span[],
    updatedMs: number,
    previewOf?: (span: Span) => string | undefined,
  ): { summary: TraceSummary; spans: Span[] };
  /**
   * The spans in the order `trace` gives them, evaluations joined to the calls they name, without the
   * summary: a trace read whole keeps the summary its outline already has.
   */
  order(spans: Span[]): Span[];
}

/**
 * What the store knew of one trace, kept so that the same records, read again later with the same
 * settings, need not be normalized again: its summary and its calls' facts, and how many spans and log
 * records they were built from.
 */
export interface SavedTrace {
  traceId: string;
  spans: number;
  logs: number;
  /** Of the span ids and the log batches' fingerprints, whatever their order: see recordsDigest. */
  digest: number;
  summary: TraceSummary;
  facts: CallFact[];
}

export interface StoreChange {
  /** Traces added or changed since the last event. */
  changed: string[];
  /** Traces evicted since the last event. */
  removed: string[];
  /** True when the store was cleared; listeners should reload everything. */
  cleared: boolean;
}

export interface Disposable {
  dispose(): void;
}

export interface StoreLimits {
  maxTraces: number;
  /** Estimated bytes of everything kept (records, outlines, waiting log records). */
  maxBytes: number;
  /** Spans kept per trace; later new spans of a full trace are counted and dropped. */
  maxSpansPerTrace: number;
}

export const DEFAULT_MAX_BYTES = 512 * 1024 * 1024;
export const DEFAULT_MAX_SPANS_PER_TRACE = 10_000;
/** Log records whose span has not come are dropped after this long without another record of their trace. */
export const DEFAULT_ORPHAN_LOG_TTL_MS = 10 * 60 * 1000;
/** Whole traces kept built (with content) for readers such as an open conversation panel. */
export const DEFAULT_MAX_FULL_TRACES = 8;
/** Traces whose span outlines stay held; the host's tree watches at most 500 at a time. */
export const DEFAULT_MAX_WARM_TRACES = 1000;
/**
 * New spans (and spans whose log records came late) that may wait for the store to settle before their
 * outlines are read. Past it each batch's own traces are read as they come, so that the new spans a settle
 * reads take about 15 ms at most; a cold trace that changed reads its older spans again on top of that.
 */
export const DEFAULT_MAX_UNREAD_SPANS = 8192;
/** Traces changed since the store last settled past which the first changed are built as batches come. */
export const DEFAULT_MAX_DIRTY_TRACES = 2000;

export interface TraceStoreOptions extends Partial<Omit<StoreLimits, 'maxTraces'>> {
  maxTraces: number;
  normalizer: Normalizer;
  /** Change events are coalesced over this many milliseconds (0: emitted on flush() only). */
  debounceMs?: number;
  orphanLogTtlMs?: number;
  maxFullTraces?: number;
  /** How many recently changed or read traces keep their span outlines (DEFAULT_MAX_WARM_TRACES). */
  maxWarmTraces?: number;
  /** How many spans may wait to be read until the store settles (DEFAULT_MAX_UNREAD_SPANS). */
  maxUnreadSpans?: number;
  /** How many changed traces may wait to be built until the store settles (DEFAULT_MAX_DIRTY_TRACES). */
  maxDirtyTraces?: number;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export interface IngestResult {
  spans: number;
  logs: number;
  /** Log records that carry no trace and span id and so cannot be joined to a call. */
  uncorrelatedLogs: number;
  /** Traces (with spans) that this batch added or changed. */
  traces: number;
  /** Spans seen for the first time that are LLM calls. */
  llmCalls: number;
  /** Log records skipped because the same records had already arrived for their trace (an exporter retry). */
  repeatedLogs: number;
}

export interface StoreStats {
  traces: number;
  spans: number;
  /** Log records joined to a stored trace. */
  logs: number;
  /** Log records waiting for a span of their trace. */
  orphanLogs: number;
  /** The estimate of everything kept, which maxBytes bounds. */
  bytes: number;
  /** Since the last clear: spans dropped at the per-trace limit, traces evicted, waiting logs aged out. */
  droppedSpans: number;
  evictedTraces: number;
  agedOutLogs: number;
}

const NO_LOGS: readonly LogRecordData[] = [];
const NEVER = (): boolean => false;

/** A preview not read yet: the call started after one whose question was already known. */
const NOT_READ = Symbol('not read');
/** A slot not read since its record (or a late log record of it) came: counted in `unreadSpans`. */
const WAITING = Symbol('waiting');

interface Slot {
  record: SpanRecord;
  /**
   * Read when the trace is next built (the store settles), and held while the trace is warm (recently
   * changed or read); read again from the record otherwise.
   */
  outline: Span | undefined;
  preview: string | undefined | typeof NOT_READ | typeof WAITING;
  bytes: number;
}

interface Entry {
  traceId: string;
  source: SourceKind;
  /** By span id, in order of first arrival. */
  slots: SmallMap<Slot>;
  /** Made when the first log record comes: most traces carry their content in spans. */
  logsBySpan?: Map<string, LogRecordData[]>;
  logCount: number;
  /** Fingerprints of the log records each batch brought for this trace; see ingest(). */
  logBatches?: Set<string>;
  updatedMs: number;
  bytes: number;
  droppedSpans: number;
  /** Spans stored since the trace's outlines were last read (none while it is being restored). */
  unread: number;
  /** The start of the earliest call whose question is known: later calls need not read theirs. */
  previewStartMs?: number;
  /** The trace's summary, undefined while dirty. */
  summary?: TraceSummary;
  /** The built outline: held while the trace is warm and not dirty. */
  outline?: Trace;
  /** Session and user the indexes currently file this trace under. */
  indexedSession?: string;
  indexedUser?: string;
  /** The trace's run of rows in the store's CallFacts (what the Summary view adds up). */
  factsAt?: number;
  factsCount?: number;
  /** While restoring: what was saved of this trace, taken as its summary once its records are all back. */
  saved?: SavedTrace;
}

/** Log records of a trace none of whose spans has arrived (yet: parent-based sampling may drop them all). */
interface WaitingLogs {
  traceId: string;
  logsBySpan: Map<string, LogRecordData[]>;
  logBatches: Set<string>;
  count: number;
  bytes: number;
  receivedMs: number;
}

/** A whole trace being read: spans with content are kept per id, so a change re-reads only what changed. */
interface Full {
  spans: Map<string, Span>;
  trace?: Trace;
}

export class TraceStore {
  // Map keeps insertion order, which is the eviction order (least recently updated first).
  private readonly entries = new Map<string, Entry>();
  /** Same order: least recently received first. */
  private readonly waiting = new Map<string, WaitingLogs>();
  /** Least recently read first. */
  private readonly full = new Map<string, Full>();
  /** Traces whose outlines are held, least recently used first. */
  private readonly warm = new Set<string>();
  private readonly maxWarmTraces: number;
  /** Spans stored whose outlines are not read yet. */
  private unreadSpans = 0;
  private readonly maxUnreadSpans: number;
  private readonly maxDirtyTraces: number;
  private readonly bySession = new Map<string, Set<string>>();
  private readonly byUser = new Map<string, Set<string>>();
  private readonly dirty = new Set<string>();
  private readonly listeners = new Set<(change: StoreChange) => void>();
  private pendingCleared = false;
  private readonly pendingChanged = new Set<string>();
  private readonly pendingRemoved = new Set<string>();
  private timer: unknown;
  private limits: StoreLimits;
  private normalizer: Normalizer;
  private readonly debounceMs: number;
  private readonly orphanLogTtlMs: number;
  private readonly maxFullTraces: number;
  private readonly now: () => number;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;
  private counts = emptyCounts();
  private shared = new SharedValues();
  private facts = new CallFacts();
  /** Set between beginRestore() and endRestore(): the saved traces, by id. */
  private restoring: Map<string, SavedTrace> | undefined;
  /** Traces being restored whose records are not all back yet: neither dirty nor reported. */
  private readonly pending = new Set<string>();
  /** Traces that took their saved summary during this restore (a retry in the log takes it again). */
  private readonly taken = new Set<string>();

  constructor(options: TraceStoreOptions) {
    this.limits = clampLimits({
      maxTraces: options.maxTraces,
      maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES,
      maxSpansPerTrace: options.maxSpansPerTrace ?? DEFAULT_MAX_SPANS_PER_TRACE,
    });
    this.normalizer = options.normalizer;
    this.debounceMs = options.debounceMs ?? 150;
    this.orphanLogTtlMs = options.orphanLogTtlMs ?? DEFAULT_ORPHAN_LOG_TTL_MS;
    this.maxFullTraces = Math.max(1, options.maxFullTraces ?? DEFAULT_MAX_FULL_TRACES);
    this.maxWarmTraces = Math.max(1, options.maxWarmTraces ?? DEFAULT_MAX_WARM_TRACES);
    this.maxUnreadSpans = Math.max(0, options.maxUnreadSpans ?? DEFAULT_MAX_UNREAD_SPANS);
    this.maxDirtyTraces = Math.max(0, options.maxDirtyTraces ?? DEFAULT_MAX_DIRTY_TRACES);
    this.now = options.now ?? Date.now;
    this.setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = options.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
  }

  /** Traces held (each has at least one span). */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Stores a batch. `replayed` says it holds records saved before (see beginRestore); anything else that
   * arrives while a restore runs (a live request) makes the saved traces it touches be read as usual.
   */
  ingest(batch: TelemetryBatch, source: SourceKind, replayed = false): IngestResult {
    const now = this.now();
    this.ageOut(now);
    if (this.restoring && !replayed) this.stopRestoringAll(batch);
    const touched = new Set<Entry>();
    const counted = this.shared.counted;
    let uncorrelated = 0;
    let llmCalls = 0;
    for (const raw of batch.spans) {
      const traceId = raw.traceId.toLowerCase();
      const record = this.shared.span(raw, traceId);
      const spanId = record.spanId.toLowerCase();
      const entry = this.entries.get(traceId) ?? this.createEntry(traceId, source, now, replayed);
      touched.add(entry);
      const old = entry.slots.get(spanId);
      if (!old && entry.slots.size >= this.limits.maxSpansPerTrace) {
        entry.droppedSpans++;
        this.counts.droppedSpans++;
        continue;
      }
      const bytes = spanRecordBytes(record, counted);
      // The outline is read when the trace is next built: a trace evicted before that (more came than
      // the store keeps) is never read, and a trace being restored takes its saved summary instead.
      entry.slots.set(spanId, {
        record,
        outline: undefined,
        preview: entry.saved ? NOT_READ : WAITING,
        bytes,
      });
      if (!entry.saved && old?.preview !== WAITING) this.noteUnread(entry);
      entry.bytes += bytes - (old?.bytes ?? 0);
      this.counts.bytes += bytes - (old?.bytes ?? 0);
      if (!old) {
        this.counts.spans++;
        if (this.normalizer.isCall(record)) llmCalls++;
      }
      this.forgetFull(traceId, spanId);
    }
    const relog = new Map<Entry, Set<string>>();
    let repeated = 0;
    for (const [traceId, logs] of logsByTrace(batch.logs)) {
      if (!traceId) {
        uncorrelated += logs.length;
        continue;
      }
      // An exporter whose answer timed out sends the same records again although the first attempt was
      // stored, and each log record is a message: taken twice, the conversation would show it twice.
      // Spans are keyed by id and so naturally idempotent; log records have no id, so the records one
      // batch brings for one trace are fingerprinted and a batch seen before for that trace is skipped.
      // Identical records within one batch are all kept: a history can repeat a message, and a coarse
      // clock can give both the same timestamp.
      const fingerprint = fingerprintOf(logs);
      const entry = this.entries.get(traceId);
      const seen = entry ? (entry.logBatches ??= new Set()) : this.waiting.get(traceId)?.logBatches;
      if (seen?.has(fingerprint)) {
        repeated += logs.length;
        continue;
      }
      if (!entry) {
        this.addWaiting(traceId, logs, fingerprint, now);
        continue;
      }
      seen!.add(fingerprint);
      for (const log of logs) this.addLog(entry, this.shared.log(log), relog);
      touched.add(entry);
    }
    // A span whose logs arrived after it is read again when the trace is next built.
    for (const [entry, spanIds] of relog) {
      for (const spanId of spanIds) {
        const slot = entry.slots.get(spanId)!;
        if (!entry.saved && slot.preview !== WAITING) this.noteUnread(entry);
        slot.outline = undefined;
        slot.preview = entry.saved ? NOT_READ : WAITING;
        this.forgetFull(entry.traceId, spanId);
      }
    }
    for (const entry of touched) {
      const id = entry.traceId;
      entry.updatedMs = now;
      entry.outline = undefined;
      entry.summary = undefined;
      const full = this.full.get(id);
      if (full) full.trace = undefined;
      // Re-inserting moves the trace to the young end of the eviction order: a trace still receiving
      // spans is never the one evicted.
      this.entries.delete(id);
      this.entries.set(id, entry);
      if (entry.saved && this.restore(entry)) continue;
      this.dirty.add(id);
      this.noteChanged(id);
    }
    this.evict();
    this.readBeyondLimit(touched);
    this.settleBeyondLimit();
    this.schedule();
    return {
      spans: batch.spans.length,
      logs: batch.logs.length - uncorrelated - repeated,
      uncorrelatedLogs: uncorrelated,
      traces: touched.size,
      llmCalls,
      repeatedLogs: repeated,
    };
  }

  private noteUnread(entry: Entry): void {
    entry.unread++;
    this.unreadSpans++;
  }

  /** The trace's outlines are all read (or it is gone): its spans no longer wait. */
  private readDone(entry: Entry): void {
    this.unreadSpans -= entry.unread;
    entry.unread = 0;
  }

  /**
   * Outlines wait for the store to settle, and a trace evicted meanwhile (more came than the store keeps)
   * is never read at all. When more spans wait than one settle should read, the batch's own traces are
   * read at once: of those waiting they are the last the store would evict.
   */
  private readBeyondLimit(touched: Set<Entry>): void {
    if (this.unreadSpans <= this.maxUnreadSpans) return;
    for (const entry of touched) {
      if (entry.unread === 0 || this.entries.get(entry.traceId) !== entry) continue;
      for (const slot of entry.slots.values()) if (!slot.outline) this.readOutline(entry, slot);
      this.readDone(entry);
      if (this.unreadSpans <= this.maxUnreadSpans) return;
    }
  }

  /**
   * Reads a slot's outline. A slot whose question is not known yet (new, or restored, or a call read
   * before whose question was skipped) has it read too when it could be the trace's: the trace shows the
   * question of its earliest call that asked one, so a call that starts after one already known need not
   * (the summary reads any it then still lacks). A slot whose outline a cold trace let go keeps the question
   * it read.
   */
  private readOutline(entry: Entry, slot: Slot): Span {
    const logs = this.logsOf(entry, slot.record);
    if (slot.preview !== NOT_READ && slot.preview !== WAITING)
      return (slot.outline = this.normalizer.outline(slot.record, logs, NEVER).span);
    const known = entry.previewStartMs;
    const read = this.normalizer.outline(
      slot.record,
      logs,
      (startMs) => known === undefined || startMs <= known,
    );
    const outline = read.span;
    if (read.previewRead && read.preview !== undefined && (known === undefined || outline.startMs < known))
      entry.previewStartMs = outline.startMs;
    else if (read.previewRead && read.preview === undefined && outline.startMs === known)
      // The call whose question the trace showed has none now: any later call may have to be read.
      entry.previewStartMs = undefined;
    slot.preview = read.previewRead ? read.preview : NOT_READ;
    return (slot.outline = outline);
  }

  /**
   * A trace being restored: takes its saved summary when it is whole again (true: reported as changed,
   * not dirty), waits while it is not (true: neither), and gives up when it has more than was saved (false:
   * read as usual).
   */
  private restore(entry: Entry): boolean {
    const saved = entry.saved!;
    if (entry.slots.size > saved.spans || entry.logCount > saved.logs) {
      this.stopRestoring(entry);
      return false;
    }
    if (entry.slots.size < saved.spans || entry.logCount < saved.logs) {
      this.pending.add(entry.traceId);
      return true;
    }
    // As many, but not the same ones (the last session had evicted part of it and read the rest again).
    if (recordsDigest(entry) !== saved.digest) {
      this.stopRestoring(entry);
      return false;
    }
    this.pending.delete(entry.traceId);
    this.taken.add(entry.traceId);
    const summary = saved.summary;
    summary.updatedMs = entry.updatedMs;
    if (entry.droppedSpans > 0) summary.droppedSpans = entry.droppedSpans;
    else delete summary.droppedSpans;
    if (entry.factsAt === undefined) {
      if (saved.facts.length > 0) entry.factsAt = this.facts.append(saved.facts);
    } else entry.factsAt = this.facts.replace(entry.factsAt, entry.factsCount!, saved.facts);
    entry.factsCount = saved.facts.length;
    entry.summary = summary;
    this.reindex(entry, summary.sessionId, summary.userId);
    this.noteChanged(entry.traceId);
    return true;
  }

  /** A trace asked for before its records are all back is read from what is there. */
  private stopPending(entry: Entry): void {
    if (entry.saved && this.pending.has(entry.traceId)) this.stopRestoring(entry);
  }

  /** A live batch: the saved traces it touches are read as usual from now on. */
  private stopRestoringAll(batch: TelemetryBatch): void {
    for (const s of batch.spans) {
      const entry = this.entries.get(s.traceId.toLowerCase());
      if (entry?.saved) this.stopRestoring(entry);
    }
    for (const l of batch.logs) {
      const entry = l.traceId ? this.entries.get(l.traceId.toLowerCase()) : undefined;
      if (entry?.saved) this.stopRestoring(entry);
    }
  }

  /** The trace is read from its records from now on (its spans' outlines on the next settle). */
  private stopRestoring(entry: Entry): void {
    if (!entry.saved) return;
    entry.saved = undefined;
    this.taken.delete(entry.traceId);
    if (this.pending.delete(entry.traceId) || !entry.summary) {
      this.dirty.add(entry.traceId);
      this.noteChanged(entry.traceId);
    }
  }

  private createEntry(traceId: string, source: SourceKind, now: number, replayed = false): Entry {
    const entry: Entry = {
      traceId,
      source,
      slots: new SmallMap(),
      logCount: 0,
      updatedMs: now,
      bytes: 0,
      droppedSpans: 0,
      unread: 0,
    };
    const saved = replayed ? this.restoring?.get(traceId) : undefined;
    if (saved) entry.saved = saved;
    // Log records that came first join the trace now that a span of it has come.
    const waiting = this.waiting.get(traceId);
    if (waiting) {
      this.waiting.delete(traceId);
      entry.logsBySpan = waiting.logsBySpan;
      entry.logBatches = waiting.logBatches;
      entry.logCount = waiting.count;
      entry.bytes = waiting.bytes;
      this.counts.orphanLogs -= waiting.count;
      this.counts.logs += waiting.count;
    }
    this.entries.set(traceId, entry);
    return entry;
  }

  private addLog(entry: Entry, log: LogRecordData, relog: Map<Entry, Set<string>>): void {
    const spanId = log.spanId!.toLowerCase();
    pushLog((entry.logsBySpan ??= new Map()), spanId, log);
    const bytes = logRecordBytes(log, this.shared.counted);
    entry.bytes += bytes;
    entry.logCount++;
    this.counts.bytes += bytes;
    this.counts.logs++;
    if (entry.slots.has(spanId)) {
      let set = relog.get(entry);
      if (!set) relog.set(entry, (set = new Set()));
      set.add(spanId);
    }
  }

  private addWaiting(
    traceId: string,
    logs: readonly LogRecordData[],
    fingerprint: string,
    now: number,
  ): void {
    let waiting = this.waiting.get(traceId);
    if (waiting) this.waiting.delete(traceId);
    else
      waiting = { traceId, logsBySpan: new Map(), logBatches: new Set(), count: 0, bytes: 0, receivedMs: 0 };
    waiting.logBatches.add(fingerprint);
    for (const raw of logs) {
      const log = this.shared.log(raw);
      pushLog(waiting.logsBySpan, log.spanId!.toLowerCase(), log);
      const bytes = logRecordBytes(log, this.shared.counted);
      waiting.bytes += bytes;
      this.counts.bytes += bytes;
    }
    waiting.count += logs.length;
    this.counts.orphanLogs += logs.length;
    waiting.receivedMs = now;
    // The young end: the pool ages out from the front.
    this.waiting.set(traceId, waiting);
  }

  /** The whole trace, message content included; a few are kept built, the least recently read go first. */
  getTrace(traceId: string): Trace | undefined {
    const id = traceId.toLowerCase();
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    this.stopPending(entry);
    this.settle();
    const summary = entry.summary;
    if (!summary) return undefined;
    let full = this.full.get(id);
    if (full) this.full.delete(id);
    else full = { spans: new Map() };
    this.full.set(id, full);
    if (!full.trace) {
      const spans: Span[] = [];
      for (const [spanId, slot] of entry.slots) {
        let span = full.spans.get(spanId);
        if (!span) {
          span = this.normalizer.span(slot.record, entry.logsBySpan?.get(spanId) ?? NO_LOGS);
          full.spans.set(spanId, span);
        }
        spans.push(span);
      }
      // The outline's summary is the trace's: the same facts, already read.
      const ordered = this.normalizer.order(spans);
      full.trace = { traceId: id, source: entry.source, spans: ordered, summary };
    }
    while (this.full.size > this.maxFullTraces) this.full.delete(this.full.keys().next().value as string);
    return full.trace;
  }

  /**
   * The records of these traces as they arrived (spans in order of first arrival, then the log records
   * joined to them): what an export writes. Unknown ids are skipped.
   */
  records(traceIds: readonly string[]): TelemetryBatch {
    const spans: SpanRecord[] = [];
    const logs: LogRecordData[] = [];
    for (const raw of traceIds) {
      const entry = this.entries.get(raw.toLowerCase());
      if (!entry) continue;
      for (const slot of entry.slots.values()) spans.push(slot.record);
      for (const list of entry.logsBySpan?.values() ?? []) for (const log of list) logs.push(log);
    }
    return { spans, logs };
  }

  /**
   * The trace without message content: every span as in getTrace() but LLM calls carry no messages, tool
   * definitions or parameters (`contentPending`). What the tree and lists read; cheap to ask again.
   */
  getOutline(traceId: string): Trace | undefined {
    const entry = this.entries.get(traceId.toLowerCase());
    if (!entry) return undefined;
    this.stopPending(entry);
    this.settle();
    if (!entry.outline) this.build(entry);
    this.warmUp(entry);
    return entry.outline;
  }

  summary(traceId: string): TraceSummary | undefined {
    const entry = this.entries.get(traceId.toLowerCase());
    if (!entry) return undefined;
    this.stopPending(entry);
    this.settle();
    return entry.summary;
  }

  /** Whether the trace has at least one span here. */
  has(traceId: string): boolean {
    return (this.entries.get(traceId.toLowerCase())?.slots.size ?? 0) > 0;
  }

  /** Every trace, newest first. */
  list(): TraceSummary[] {
    this.settle();
    const out: TraceSummary[] = [];
    for (const entry of this.entries.values()) if (entry.summary) out.push(entry.summary);
    return out.sort((a, b) => b.startMs - a.startMs);
  }

  /** The traces of one session, oldest turn first. */
  findSession(sessionId: string): TraceSummary[] {
    // Settle before reading the index: a dirty trace may be about to join or leave this session.
    this.settle();
    return this.collect(this.bySession.get(sessionId.trim()));
  }

  findUser(userId: string): TraceSummary[] {
    this.settle();
    return this.collect(this.byUser.get(userId.trim()));
  }

  /** Session ids known to the store, most recently active first (for pickers). */
  sessions(): { sessionId: string; traceCount: number; lastMs: number }[] {
    this.settle();
    const out: { sessionId: string; traceCount: number; lastMs: number }[] = [];
    for (const [sessionId, ids] of this.bySession) {
      let lastMs = 0;
      for (const id of ids) lastMs = Math.max(lastMs, this.entries.get(id)?.summary?.startMs ?? 0);
      out.push({ sessionId, traceCount: ids.size, lastMs });
    }
    return out.sort((a, b) => b.lastMs - a.lastMs);
  }

  /**
   * Calls, tokens, cost, errors and latency of the calls that started within the window, per model,
   * service and user and per time bucket: added up from per-call facts kept at build time, so no trace is
   * read again.
   */
  summarize(window: SummaryWindow): Summary {
    this.settle();
    return summarizeCalls(this.facts.each, window, this.now());
  }

  /** What the per-call facts behind summarize() take, in bytes (typed arrays, outside the JS heap). */
  get callFactBytes(): number {
    return this.facts.bytes;
  }

  stats(): StoreStats {
    this.ageOut(this.now());
    return { traces: this.entries.size, ...this.counts };
  }

  get currentLimits(): StoreLimits {
    return { ...this.limits };
  }

  clear(): void {
    this.entries.clear();
    this.waiting.clear();
    this.full.clear();
    this.warm.clear();
    this.unreadSpans = 0;
    this.bySession.clear();
    this.byUser.clear();
    this.dirty.clear();
    this.restoring = undefined;
    this.pending.clear();
    this.counts = emptyCounts();
    this.shared = new SharedValues();
    this.facts = new CallFacts();
    this.pendingCleared = true;
    this.pendingChanged.clear();
    this.pendingRemoved.clear();
    this.flush();
  }

  /**
   * New bounds, applied at once (oldest traces evicted). A lower span limit keeps the spans a trace
   * already has and drops only those that come after.
   */
  setLimits(limits: Partial<StoreLimits>): void {
    this.limits = clampLimits({ ...this.limits, ...limits });
    this.evict();
    this.schedule();
  }

  setMaxTraces(maxTraces: number): void {
    this.setLimits({ maxTraces });
  }

  /**
   * Swaps the normalizer (the session/user attribute settings changed) and reads every stored span's
   * outline again from its raw record, so the indexes follow the new settings.
   */
  setNormalizer(normalizer: Normalizer): void {
    this.normalizer = normalizer;
    this.full.clear();
    this.warm.clear();
    // What was saved was read with the old settings.
    this.restoring = undefined;
    this.pending.clear();
    for (const entry of this.entries.values()) {
      entry.saved = undefined;
      entry.previewStartMs = undefined;
      for (const slot of entry.slots.values()) {
        if (slot.preview !== WAITING) this.noteUnread(entry);
        slot.outline = undefined;
        slot.preview = WAITING;
      }
      entry.outline = undefined;
      entry.summary = undefined;
      this.dirty.add(entry.traceId);
      this.noteChanged(entry.traceId);
    }
    this.schedule();
  }

  /**
   * What a later restore needs of every trace with a summary: see beginRestore(). Pending traces of a
   * restore still under way have none yet and are left out.
   */
  save(): SavedTrace[] {
    this.settle();
    const out: SavedTrace[] = [];
    for (const entry of this.entries.values()) {
      if (!entry.summary) continue;
      out.push({
        traceId: entry.traceId,
        spans: entry.slots.size,
        logs: entry.logCount,
        digest: recordsDigest(entry),
        summary: entry.summary,
        facts: entry.factsAt === undefined ? [] : this.facts.rowsOf(entry.factsAt, entry.factsCount!),
      });
    }
    return out;
  }

  /**
   * Records about to be ingested again were saved with these summaries (by save(), with the same settings):
   * until endRestore(), a trace saved is not read as its spans come, and once it holds exactly as many spans
   * and log records as it was saved with, its saved summary and facts are taken as its own. A trace that
   * gets more than it was saved with (records that came since), or is asked for before it is whole, is read
   * as usual.
   */
  beginRestore(saved: Iterable<SavedTrace>): void {
    this.restoring = new Map();
    this.taken.clear();
    for (const t of saved) this.restoring.set(t.traceId.toLowerCase(), t);
  }

  /**
   * The records saved are all back: traces not yet whole (their records were lost) are read as usual.
   * Returns how many traces took their saved summaries.
   */
  endRestore(): number {
    if (!this.restoring) return 0;
    this.restoring = undefined;
    for (const id of this.pending) {
      const entry = this.entries.get(id);
      if (!entry) continue;
      entry.saved = undefined;
      this.dirty.add(id);
      this.noteChanged(id);
    }
    this.pending.clear();
    for (const entry of this.entries.values()) entry.saved = undefined;
    this.schedule();
    const taken = this.taken.size;
    this.taken.clear();
    return taken;
  }

  onDidChange(listener: (change: StoreChange) => void): Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Emits the pending change event now (tests, and before the host reads for a command). */
  flush(): void {
    if (this.timer !== undefined) {
      this.clearTimer(this.timer);
      this.timer = undefined;
    }
    this.settle();
    const change: StoreChange = {
      changed: [...this.pendingChanged],
      removed: [...this.pendingRemoved],
      cleared: this.pendingCleared,
    };
    this.pendingCleared = false;
    this.pendingChanged.clear();
    this.pendingRemoved.clear();
    if (change.changed.length === 0 && change.removed.length === 0 && !change.cleared) return;
    for (const listener of [...this.listeners]) listener(change);
  }

  dispose(): void {
    if (this.timer !== undefined) this.clearTimer(this.timer);
    this.timer = undefined;
    this.listeners.clear();
  }

  private forgetFull(traceId: string, spanId: string): void {
    const full = this.full.get(traceId);
    if (!full) return;
    full.spans.delete(spanId);
    full.trace = undefined;
  }

  private collect(ids: Set<string> | undefined): TraceSummary[] {
    if (!ids) return [];
    const out: TraceSummary[] = [];
    for (const id of ids) {
      const summary = this.entries.get(id)?.summary;
      if (summary) out.push(summary);
    }
    return out.sort((a, b) => a.startMs - b.startMs);
  }

  /**
   * Builds the summaries of dirty traces from the spans' outlines and keeps the indexes in step with them.
   * The traces built are the warm ones: their outlines stay held until others push them out.
   */
  private settle(): void {
    if (this.dirty.size === 0) return;
    for (const id of this.dirty) this.settleOne(id);
    this.dirty.clear();
    if (this.facts.wantsCompaction) this.compactFacts();
  }

  private settleOne(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.build(entry);
    this.reindex(entry, entry.summary!.sessionId, entry.summary!.userId);
    this.warmUp(entry);
  }

  /**
   * More traces changed since the last settle than one settle should build: those that changed first are
   * built now, as batches come, so that a request waiting behind the next settle does not wait long. A
   * store the size of the default (1,000 traces) never has this many.
   */
  private settleBeyondLimit(): void {
    while (this.dirty.size > this.maxDirtyTraces) {
      const id = this.dirty.values().next().value as string;
      this.dirty.delete(id);
      this.settleOne(id);
    }
  }

  private compactFacts(): void {
    const owners = new Map<number, Entry>();
    const runs: { at: number; count: number }[] = [];
    for (const entry of this.entries.values()) {
      if (entry.factsAt === undefined) continue;
      if (entry.factsCount === 0) {
        entry.factsAt = undefined;
        continue;
      }
      owners.set(entry.factsAt, entry);
      runs.push({ at: entry.factsAt, count: entry.factsCount! });
    }
    this.facts = this.facts.compact(runs, (oldAt, newAt) => (owners.get(oldAt)!.factsAt = newAt));
  }

  /** The trace's outline and summary from its spans' outlines, reading again those a cold trace let go. */
  private build(entry: Entry): void {
    const spans: Span[] = [];
    for (const slot of entry.slots.values()) spans.push(slot.outline ?? this.readOutline(entry, slot));
    this.readDone(entry);
    const { summary, spans: ordered } = this.normalizer.trace(entry.traceId, spans, entry.updatedMs, (span) =>
      this.previewOf(entry, span),
    );
    if (entry.droppedSpans > 0) summary.droppedSpans = entry.droppedSpans;
    const facts = callFactsOf(ordered, summary.userId);
    if (entry.factsAt === undefined) {
      if (facts.length > 0) entry.factsAt = this.facts.append(facts);
    } else entry.factsAt = this.facts.replace(entry.factsAt, entry.factsCount!, facts);
    entry.factsCount = facts.length;
    entry.summary = summary;
    entry.outline = { traceId: entry.traceId, source: entry.source, spans: ordered, summary };
  }

  /**
   * Marks the trace most recently used among the warm ones, and lets the coldest go past the limit: a
   * trace nobody expands or changes keeps only its records and summary, which halves what it costs.
   */
  private warmUp(entry: Entry): void {
    this.warm.delete(entry.traceId);
    this.warm.add(entry.traceId);
    if (this.warm.size <= this.maxWarmTraces) return;
    for (const id of this.warm) {
      if (this.warm.size <= this.maxWarmTraces) break;
      this.warm.delete(id);
      const cold = this.entries.get(id);
      if (!cold) continue;
      cold.outline = undefined;
      for (const slot of cold.slots.values()) slot.outline = undefined;
    }
  }

  private logsOf(entry: Entry, record: SpanRecord): readonly LogRecordData[] {
    return entry.logsBySpan?.get(record.spanId.toLowerCase()) ?? NO_LOGS;
  }

  /** A call's question; read now when ingest skipped it and an earlier call turned out to ask none. */
  private previewOf(entry: Entry, span: Span): string | undefined {
    const slot = entry.slots.get(span.spanId);
    if (!slot) return undefined;
    if (slot.preview === NOT_READ || slot.preview === WAITING) {
      const read = this.normalizer.outline(
        slot.record,
        entry.logsBySpan?.get(span.spanId) ?? NO_LOGS,
        () => true,
      );
      slot.preview = read.preview;
    }
    return slot.preview;
  }

  private reindex(entry: Entry, sessionId: string | undefined, userId: string | undefined): void {
    if (entry.indexedSession !== sessionId) {
      unindex(this.bySession, entry.indexedSession, entry.traceId);
      index(this.bySession, sessionId, entry.traceId);
      entry.indexedSession = sessionId;
    }
    if (entry.indexedUser !== userId) {
      unindex(this.byUser, entry.indexedUser, entry.traceId);
      index(this.byUser, userId, entry.traceId);
      entry.indexedUser = userId;
    }
  }

  /**
   * Over the count, the least recently updated traces go. Over the bytes, waiting log records go first
   * (oldest first), then traces, but never the last one: a single trace is bounded by its span limit.
   */
  private evict(): void {
    while (this.entries.size > this.limits.maxTraces) this.evictOldest();
    while (this.counts.bytes > this.limits.maxBytes) {
      if (this.waiting.size > 0) this.dropWaiting(this.waiting.values().next().value as WaitingLogs);
      else if (this.entries.size > 1) this.evictOldest();
      else break;
    }
  }

  private evictOldest(): void {
    const oldest = this.entries.values().next().value as Entry;
    this.entries.delete(oldest.traceId);
    this.full.delete(oldest.traceId);
    this.warm.delete(oldest.traceId);
    this.readDone(oldest);
    this.dirty.delete(oldest.traceId);
    this.pending.delete(oldest.traceId);
    if (oldest.factsAt !== undefined) this.facts.release(oldest.factsAt, oldest.factsCount!);
    unindex(this.bySession, oldest.indexedSession, oldest.traceId);
    unindex(this.byUser, oldest.indexedUser, oldest.traceId);
    this.counts.bytes -= oldest.bytes;
    this.counts.spans -= oldest.slots.size;
    this.counts.logs -= oldest.logCount;
    this.counts.evictedTraces++;
    this.pendingChanged.delete(oldest.traceId);
    this.pendingRemoved.add(oldest.traceId);
  }

  private dropWaiting(waiting: WaitingLogs): void {
    this.waiting.delete(waiting.traceId);
    this.counts.bytes -= waiting.bytes;
    this.counts.orphanLogs -= waiting.count;
    this.counts.agedOutLogs += waiting.count;
  }

  /** Drops log records that have waited too long for their spans (the pool is ordered by last receipt). */
  private ageOut(now: number): void {
    for (const waiting of this.waiting.values()) {
      if (now - waiting.receivedMs < this.orphanLogTtlMs) break;
      this.dropWaiting(waiting);
    }
  }

  private noteChanged(traceId: string): void {
    // A trace evicted and seen again within one interval is reported as changed only.
    this.pendingRemoved.delete(traceId);
    this.pendingChanged.add(traceId);
  }

  private schedule(): void {
    if (this.debounceMs <= 0 || this.timer !== undefined) return;
    this.timer = this.setTimer(() => {
      this.timer = undefined;
      this.flush();
    }, this.debounceMs);
  }
}

function emptyCounts(): Omit<StoreStats, 'traces'> {
  return {
    spans: 0,
    logs: 0,
    orphanLogs: 0,
    bytes: 0,
    droppedSpans: 0,
    evictedTraces: 0,
    agedOutLogs: 0,
  };
}

function clampLimits(l: StoreLimits): StoreLimits {
  return {
    maxTraces: Math.max(1, Math.floor(l.maxTraces)),
    maxBytes: Math.max(1, l.maxBytes),
    maxSpansPerTrace: Math.max(1, Math.floor(l.maxSpansPerTrace)),
  };
}

function pushLog(map: Map<string, LogRecordData[]>, spanId: string, log: LogRecordData): void {
  const list = map.get(spanId);
  if (list) list.push(log);
  else map.set(spanId, [log]);
}

function index(map: Map<string, Set<string>>, key: string | undefined, traceId: string): void {
  if (!key) return;
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(traceId);
}

function unindex(map: Map<string, Set<string>>, key: string | undefined, traceId: string): void {
  if (!key) return;
  const set = map.get(key);
  if (!set) return;
  set.delete(traceId);
  if (set.size === 0) map.delete(key);
}

/** Log records grouped by lower-case trace id, in arrival order; those without trace and span id under ''. */
function logsByTrace(logs: readonly LogRecordData[]): Map<string, LogRecordData[]> {
  const out = new Map<string, LogRecordData[]>();
  for (const log of logs) {
    const key = log.traceId && log.spanId ? log.traceId.toLowerCase() : '';
    const list = out.get(key);
    if (list) list.push(log);
    else out.set(key, [log]);
  }
  return out;
}

/**
 * The set of a trace's records as one number: a hash of each span id and each log batch's fingerprint,
 * added up, so the order they came in does not matter. Two traces with as many records of other ids differ.
 */
function recordsDigest(entry: Entry): number {
  let sum = 0;
  for (const [id] of entry.slots) sum = (sum + hash32(id)) | 0;
  for (const f of entry.logBatches ?? []) sum = (sum + hash32(f)) | 0;
  return sum >>> 0;
}

function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function fingerprintOf(logs: readonly LogRecordData[]): string {
  const hash = createHash('sha1');
  for (const log of logs)
    hash
      .update(
        JSON.stringify(log, (_key, value: unknown) =>
          value instanceof Uint8Array ? Buffer.from(value).toString('base64') : value,
        ),
      )
      .update('\n');
  return hash.digest('base64');
}
