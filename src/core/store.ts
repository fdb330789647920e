// The in-memory trace store. It does not care where telemetry came from: every source hands it
// TelemetryBatches. Spans and their correlated log records may arrive in any order and in any number of
// batches; the store keeps the raw records per trace, normalizes a span again when a log record for it
// arrives later, and rebuilds a trace's summary and the session/user indexes lazily. It is bounded by a
// number of traces (least recently updated first, always a whole trace) and tells listeners about changes
// at most once per debounce interval, so a burst of thousands of spans does not re-render thousands of times.

import { createHash } from 'node:crypto';
import type { SourceKind, Span, Trace, TraceSummary } from './model';
import type { LogRecordData, SpanRecord, TelemetryBatch } from './records';

/** Turns records into the domain model; the GenAI normalizer in production, anything in tests. */
export interface Normalizer {
  span(record: SpanRecord, logs: readonly LogRecordData[]): Span;
  trace(traceId: string, spans: Span[], updatedMs: number): { summary: TraceSummary; spans: Span[] };
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

export interface TraceStoreOptions {
  maxTraces: number;
  normalizer: Normalizer;
  /** Change events are coalesced over this many milliseconds (0: emitted on flush() only). */
  debounceMs?: number;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export interface IngestResult {
  spans: number;
  logs: number;
  /** Log records that carry no trace and span id and so cannot be joined to a call. */
  uncorrelatedLogs: number;
  traces: number;
  /** Spans seen for the first time that are LLM calls. */
  llmCalls: number;
  /** Log records skipped because the same records had already arrived for their trace (an exporter retry). */
  repeatedLogs: number;
}

interface Entry {
  traceId: string;
  source: SourceKind;
  records: Map<string, SpanRecord>;
  logsBySpan: Map<string, LogRecordData[]>;
  spans: Map<string, Span>;
  /** Fingerprints of the log records each batch brought for this trace; see ingest(). */
  logBatches?: Set<string>;
  updatedMs: number;
  /** The built trace, undefined while dirty. */
  built?: Trace;
  /** Session and user the indexes currently file this trace under. */
  indexedSession?: string;
  indexedUser?: string;
}

export class TraceStore {
  // Map keeps insertion order, which is the eviction order (least recently updated first).
  private readonly entries = new Map<string, Entry>();
  private readonly bySession = new Map<string, Set<string>>();
  private readonly byUser = new Map<string, Set<string>>();
  private readonly dirty = new Set<string>();
  private readonly listeners = new Set<(change: StoreChange) => void>();
  private pendingCleared = false;
  private readonly pendingChanged = new Set<string>();
  private readonly pendingRemoved = new Set<string>();
  private timer: unknown;
  private maxTraces: number;
  private normalizer: Normalizer;
  private readonly debounceMs: number;
  private readonly now: () => number;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;

  constructor(options: TraceStoreOptions) {
    this.maxTraces = Math.max(1, options.maxTraces);
    this.normalizer = options.normalizer;
    this.debounceMs = options.debounceMs ?? 150;
    this.now = options.now ?? Date.now;
    this.setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = options.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
  }

  get size(): number {
    return this.entries.size;
  }

  ingest(batch: TelemetryBatch, source: SourceKind): IngestResult {
    const now = this.now();
    const touched = new Set<string>();
    let uncorrelated = 0;
    let llmCalls = 0;
    for (const record of batch.spans) {
      const entry = this.entryFor(record.traceId, source, now);
      const spanId = record.spanId.toLowerCase();
      const isNew = !entry.records.has(spanId);
      entry.records.set(spanId, record);
      const span = this.normalizer.span(record, entry.logsBySpan.get(spanId) ?? []);
      entry.spans.set(spanId, span);
      if (isNew && span.llm) llmCalls++;
      touched.add(entry.traceId);
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
      const entry = this.entryFor(traceId, source, now);
      const fingerprint = fingerprintOf(logs);
      if (entry.logBatches?.has(fingerprint)) {
        repeated += logs.length;
        continue;
      }
      (entry.logBatches ??= new Set()).add(fingerprint);
      for (const log of logs) this.addLog(entry, log, relog);
      touched.add(entry.traceId);
    }
    // A span whose logs arrived after it is normalized again, once per batch.
    for (const [entry, spanIds] of relog) {
      for (const spanId of spanIds) {
        const record = entry.records.get(spanId)!;
        entry.spans.set(spanId, this.normalizer.span(record, entry.logsBySpan.get(spanId) ?? []));
      }
    }
    for (const id of touched) {
      const entry = this.entries.get(id);
      if (!entry) continue;
      entry.updatedMs = now;
      entry.built = undefined;
      // Re-inserting moves the trace to the young end of the eviction order: a trace still receiving
      // spans is never the one evicted.
      this.entries.delete(id);
      this.entries.set(id, entry);
      this.dirty.add(id);
      this.noteChanged(id);
    }
    this.evict();
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

  private addLog(entry: Entry, log: LogRecordData, relog: Map<Entry, Set<string>>): void {
    const spanId = log.spanId!.toLowerCase();
    const list = entry.logsBySpan.get(spanId);
    if (list) list.push(log);
    else entry.logsBySpan.set(spanId, [log]);
    if (entry.records.has(spanId)) {
      let set = relog.get(entry);
      if (!set) relog.set(entry, (set = new Set()));
      set.add(spanId);
    }
  }

  getTrace(traceId: string): Trace | undefined {
    const entry = this.entries.get(traceId.toLowerCase());
    if (!entry) return undefined;
    this.settle();
    return entry.spans.size > 0 ? entry.built : undefined;
  }

  summary(traceId: string): TraceSummary | undefined {
    return this.getTrace(traceId)?.summary;
  }

  /** Whether the trace has at least one span here. */
  has(traceId: string): boolean {
    return (this.entries.get(traceId.toLowerCase())?.spans.size ?? 0) > 0;
  }

  /** Every trace that has at least one span, newest first. */
  list(): TraceSummary[] {
    this.settle();
    const out: TraceSummary[] = [];
    for (const entry of this.entries.values()) if (entry.built) out.push(entry.built.summary);
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
      for (const id of ids) lastMs = Math.max(lastMs, this.entries.get(id)?.built?.summary.startMs ?? 0);
      out.push({ sessionId, traceCount: ids.size, lastMs });
    }
    return out.sort((a, b) => b.lastMs - a.lastMs);
  }

  clear(): void {
    this.entries.clear();
    this.bySession.clear();
    this.byUser.clear();
    this.dirty.clear();
    this.pendingCleared = true;
    this.pendingChanged.clear();
    this.pendingRemoved.clear();
    this.flush();
  }

  setMaxTraces(maxTraces: number): void {
    this.maxTraces = Math.max(1, maxTraces);
    this.evict();
    this.schedule();
  }

  /**
   * Swaps the normalizer (the session/user attribute settings changed) and normalizes every stored span
   * again from its raw record, so the indexes follow the new settings.
   */
  setNormalizer(normalizer: Normalizer): void {
    this.normalizer = normalizer;
    for (const entry of this.entries.values()) {
      if (entry.records.size === 0) continue;
      for (const [spanId, record] of entry.records)
        entry.spans.set(spanId, normalizer.span(record, entry.logsBySpan.get(spanId) ?? []));
      entry.built = undefined;
      this.dirty.add(entry.traceId);
      this.noteChanged(entry.traceId);
    }
    this.schedule();
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

  private entryFor(rawTraceId: string, source: SourceKind, now: number): Entry {
    const traceId = rawTraceId.toLowerCase();
    let entry = this.entries.get(traceId);
    if (!entry) {
      entry = {
        traceId,
        source,
        records: new Map(),
        logsBySpan: new Map(),
        spans: new Map(),
        updatedMs: now,
      };
      this.entries.set(traceId, entry);
    }
    return entry;
  }

  private collect(ids: Set<string> | undefined): TraceSummary[] {
    if (!ids) return [];
    const out: TraceSummary[] = [];
    for (const id of ids) {
      const built = this.entries.get(id)?.built;
      if (built) out.push(built.summary);
    }
    return out.sort((a, b) => a.startMs - b.startMs);
  }

  /** Rebuilds dirty traces and keeps the indexes in step with them. */
  private settle(): void {
    if (this.dirty.size === 0) return;
    for (const id of this.dirty) {
      const entry = this.entries.get(id);
      if (!entry) continue;
      if (entry.spans.size === 0) {
        entry.built = undefined;
        continue;
      }
      const { summary, spans } = this.normalizer.trace(
        entry.traceId,
        [...entry.spans.values()],
        entry.updatedMs,
      );
      entry.built = { traceId: entry.traceId, source: entry.source, spans, summary };
      this.reindex(entry, summary.sessionId, summary.userId);
    }
    this.dirty.clear();
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

  private evict(): void {
    while (this.entries.size > this.maxTraces) {
      const oldest = this.entries.values().next().value as Entry;
      this.entries.delete(oldest.traceId);
      this.dirty.delete(oldest.traceId);
      unindex(this.bySession, oldest.indexedSession, oldest.traceId);
      unindex(this.byUser, oldest.indexedUser, oldest.traceId);
      this.pendingChanged.delete(oldest.traceId);
      this.pendingRemoved.add(oldest.traceId);
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
