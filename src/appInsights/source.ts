// One Application Insights connection as a trace source: it lists recent LLM calls page by page, fetches a
// whole operation when a trace is opened, and finds a session's or a user's turns; everything it fetches is
// mapped to the same records the local receiver produces and kept in a store of its own, so the tree, the
// conversation view and Find by Session ID read it exactly as they read local traces, and a cloud query
// never evicts a local trace. Pure: the query runner, the store and the clock are passed in.

import type { Logger } from '../core/logger';
import { searchStore, type SearchResult } from '../core/search';
import type { PersonKind, TextSearchOptions, TraceSource } from '../core/source';
import type { TraceSummary } from '../core/model';
import type { TelemetryBatch } from '../core/records';
import type { TraceStore } from '../core/store';
import { MAX_BUCKETS, bucketFor, type Summary, type SummaryWindow } from '../core/aggregate';
import { createPriceTable, type PriceTable } from '../core/pricing';
import { metricsFromRows, summaryFromRows } from './summary';
import {
  AppInsightsQueryError,
  CONTENT_ROLE_HINT,
  schemaOf,
  type QueryRow,
  type QueryRunner,
  type TimeWindow,
} from './client';
import {
  genAiContentQuery,
  isOperationId,
  operationRowsQuery,
  operationsOfQuery,
  METRICS_QUERY_ROWS,
  metricsSummaryQuery,
  recentCallsQuery,
  summaryQuery,
  type AppInsightsSchema,
  type ListCursor,
} from './kql';
import type { Connection } from './targets';

/** Rows to records; the real one is ./rows, tests may pass another. */
export interface RowMapping {
  recentCalls(schema: AppInsightsSchema, rows: QueryRow[]): TelemetryBatch;
  operations(schema: AppInsightsSchema, rows: QueryRow[], genAiContent: QueryRow[]): TelemetryBatch;
}

export type TimeRange = { kind: 'last'; ms: number } | { kind: 'between'; startMs: number; endMs: number };

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The time ranges the picker offers, from 15 minutes to 30 days (the setting takes their ids). */
export const TIME_RANGE_PRESETS: readonly { id: string; ms: number; label: string }[] = [
  { id: '15m', ms: 15 * MINUTE, label: '15 minutes' },
  { id: '1h', ms: HOUR, label: '1 hour' },
  { id: '4h', ms: 4 * HOUR, label: '4 hours' },
  { id: '12h', ms: 12 * HOUR, label: '12 hours' },
  { id: '24h', ms: DAY, label: '24 hours' },
  { id: '3d', ms: 3 * DAY, label: '3 days' },
  { id: '7d', ms: 7 * DAY, label: '7 days' },
  { id: '30d', ms: 30 * DAY, label: '30 days' },
];

/** The preset with this id, else the last hour. */
export function presetRange(id: string | undefined): TimeRange {
  const preset = TIME_RANGE_PRESETS.find((p) => p.id === id) ?? TIME_RANGE_PRESETS[1]!;
  return { kind: 'last', ms: preset.ms };
}

/** "last 1 hour", "last 7 days", or "2026-11-30 12:00 – 14:30" (UTC). */
export function describeRange(range: TimeRange): string {
  if (range.kind === 'last') {
    const preset = TIME_RANGE_PRESETS.find((p) => p.ms === range.ms);
    return `last ${preset ? preset.label : `${Math.round(range.ms / MINUTE)} minutes`}`;
  }
  const fmt = (ms: number): string => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
  return `${fmt(range.startMs)} – ${fmt(range.endMs).slice(11)} UTC`;
}

export interface SourceStatus {
  state: 'idle' | 'loading' | 'ready' | 'error';
  error?: AppInsightsQueryError;
  /** A query answered only in part: what the service said. */
  partial?: string;
  /** More rows than the pages so far in the time range. */
  hasMore: boolean;
  /** LLM calls listed so far. */
  listed: number;
  window?: TimeWindow;
}

export interface AppInsightsSourceOptions {
  connection: Connection;
  runner: QueryRunner;
  store: TraceStore;
  mapping: RowMapping;
  logger: Logger;
  pageSize: number;
  range: TimeRange;
  /** Attribute names the user configured for session and user ids (matched before the known ones). */
  sessionKeys: readonly string[];
  userKeys: readonly string[];
  now?: () => number;
  /** The price table for the Summary view's dollars (the user's settings over the shipped table). */
  prices?: () => PriceTable;
}

/** The widest window a session or user search covers (the Logs API keeps 30 to 90 days by default). */
export const SEARCH_WINDOW_MS = 30 * 24 * 3600 * 1000;
/** Operations fetched per query when a search or an open needs whole traces. */
const OPERATIONS_PER_QUERY = 20;
/** Rows one operations query may return. */
const ROWS_PER_QUERY = 5000;
/** Turns a search fetches at most. */
const MAX_SEARCH_OPERATIONS = 100;

export class AppInsightsSource implements TraceSource {
  readonly kind = 'appInsights' as const;
  readonly id: string;
  readonly schema: AppInsightsSchema;
  private current: SourceStatus = { state: 'idle', hasMore: false, listed: 0 };
  private cursor: ListCursor | undefined;
  private range: TimeRange;
  private lastListQuery: string | undefined;
  /** Operations whose every row is in the store (opened, or found by a search). */
  private readonly complete = new Set<string>();
  /** Per trace: why its content is missing, when the source can tell (AppGenAIContent not readable). */
  private readonly notes = new Map<string, string>();
  private readonly listeners = new Set<() => void>();
  private readonly now: () => number;
  /** Bumped by each refresh (and by dispose), so an answer to an older one is dropped. */
  private generation = 0;
  private disposed = false;
  /** The traces the list pages showed, newest first: what the view lists, whatever else the store holds. */
  private listed: string[] = [];
  /** The window of the pages since the last refresh: Load More pages within it, not a sliding one. */
  private listWindow: TimeWindow | undefined;
  /** One fetch per trace at a time, however many panels and tree rows ask. */
  private readonly inflight = new Map<string, Promise<void>>();
  private name: string;
  private sessionKeys: readonly string[];
  private userKeys: readonly string[];
  private readonly storeSubscription: { dispose(): void };

  constructor(private readonly options: AppInsightsSourceOptions) {
    this.id = `appInsights:${options.connection.id}`;
    this.schema = schemaOf(options.connection.target);
    this.range = options.range;
    this.now = options.now ?? Date.now;
    this.name = options.connection.name;
    this.sessionKeys = options.sessionKeys;
    this.userKeys = options.userKeys;
    // A trace the store let go (its bound) is no longer whole: fetch it again when it is opened.
    this.storeSubscription = options.store.onDidChange((change) => {
      if (change.cleared) this.complete.clear();
      for (const id of change.removed) {
        this.complete.delete(id);
        this.notes.delete(id);
      }
    });
  }

  get label(): string {
    return this.name;
  }

  /** A renamed connection keeps what it has listed and fetched. */
  rename(name: string): void {
    this.name = name;
    this.emit();
  }

  /** The attribute names configured for session and user ids changed. */
  setPersonKeys(sessionKeys: readonly string[], userKeys: readonly string[]): void {
    this.sessionKeys = sessionKeys;
    this.userKeys = userKeys;
  }

  /** The traces the list shows, newest first (those the store still holds). */
  listedTraceIds(): string[] {
    return this.listed.filter((id) => this.options.store.getOutline(id) !== undefined);
  }

  /** Drops every answer still on its way; nothing is written to the store after this. */
  dispose(): void {
    this.disposed = true;
    this.generation++;
    this.storeSubscription.dispose();
    this.listeners.clear();
  }

  get connection(): Connection {
    return this.options.connection;
  }

  get store(): TraceStore {
    return this.options.store;
  }

  get status(): SourceStatus {
    return { ...this.current };
  }

  get timeRange(): TimeRange {
    return this.range;
  }

  /** The KQL behind the list as it was last sent, for Open Query in Log Analytics. */
  get listQuery(): string {
    return this.lastListQuery ?? recentCallsQuery(this.schema, this.options.pageSize);
  }

  onDidChange(listener: () => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Why a trace's content is missing, when this source knows (e.g. a role the reader lacks). */
  noteFor(traceId: string): string | undefined {
    return this.notes.get(traceId.toLowerCase());
  }

  isComplete(traceId: string): boolean {
    return this.complete.has(traceId.toLowerCase());
  }

  setTimeRange(range: TimeRange): Promise<void> {
    this.range = range;
    return this.refresh();
  }

  /** The first page of recent LLM calls in the time range; what was listed before is let go. */
  async refresh(): Promise<void> {
    if (this.disposed) return;
    const generation = ++this.generation;
    this.cursor = undefined;
    this.listed = [];
    this.listWindow = this.window();
    this.inflight.clear();
    this.complete.clear();
    this.notes.clear();
    this.options.store.clear();
    this.set({ state: 'loading', hasMore: false, listed: 0 });
    await this.page(generation, 0);
  }

  /** The next page, older than everything listed so far. */
  async loadMore(): Promise<void> {
    if (this.current.state === 'loading' || !this.current.hasMore) return;
    const generation = this.generation;
    const listed = this.current.listed;
    this.set({ ...this.current, state: 'loading' });
    await this.page(generation, listed);
  }

  private async page(generation: number, listedBefore: number): Promise<void> {
    const window = (this.listWindow ??= this.window());
    const limit = this.options.pageSize;
    // One row more than a page tells whether there is another.
    const query = recentCallsQuery(this.schema, limit + 1, this.cursor);
    this.lastListQuery = recentCallsQuery(this.schema, limit, this.cursor);
    try {
      const answer = await this.options.runner.run(query, window);
      if (generation !== this.generation) return;
      const rows = answer.rows.slice(0, limit);
      this.options.store.ingest(this.options.mapping.recentCalls(this.schema, rows), 'appInsights');
      const seen = new Set(this.listed);
      for (const r of rows) {
        const id = String(r.operationId ?? '').toLowerCase();
        if (id && !seen.has(id)) {
          seen.add(id);
          this.listed.push(id);
        }
      }
      this.options.store.flush();
      this.cursor = nextCursor(this.cursor, rows);
      const status: SourceStatus = {
        state: 'ready',
        hasMore: answer.rows.length > limit,
        listed: listedBefore + rows.length,
        window,
      };
      if (answer.partialError) status.partial = answer.partialError;
      this.set(status);
      this.options.logger.info(
        `[appInsights] ${this.connection.name}: ${rows.length} LLM calls listed${answer.partialError ? ' (partial)' : ''}`,
      );
    } catch (err) {
      if (generation !== this.generation || this.disposed) return;
      const error =
        err instanceof AppInsightsQueryError ? err : new AppInsightsQueryError('service', String(err), '');
      this.options.logger.warn(`[appInsights] ${this.connection.name}: list failed: ${error.message}`);
      this.set({ ...this.current, state: 'error', error, window });
    }
  }

  /** Makes sure every row of the trace is in the store; throws AppInsightsQueryError when it cannot. */
  loadTrace(traceId: string): Promise<void> {
    const id = traceId.toLowerCase();
    if (this.complete.has(id) || this.disposed) return Promise.resolve();
    let pending = this.inflight.get(id);
    if (!pending) {
      const started: Promise<void> = this.loadOperations([id], this.searchWindow()).finally(() => {
        if (this.inflight.get(id) === started) this.inflight.delete(id);
      });
      pending = started;
      this.inflight.set(id, pending);
    }
    return pending;
  }

  /** The traces' records, each fetched whole first (a list row holds only the LLM call). */
  async records(traceIds: readonly string[]): Promise<TelemetryBatch> {
    const ids = traceIds.map((id) => id.toLowerCase());
    await this.loadOperations(ids, this.searchWindow());
    return this.options.store.records(ids);
  }

  /**
   * The Summary view's figures, added up in Kusto (summaryQuery): nothing but the sums comes down. A
   * window without a start covers SEARCH_WINDOW_MS.
   */
  async summarize(window: SummaryWindow): Promise<Summary> {
    const now = this.now();
    const toMs = window.toMs ?? now;
    const fromMs = window.fromMs ?? toMs - SEARCH_WINDOW_MS;
    // The query's buckets are whole seconds; the bucket never makes more than MAX_BUCKETS of them.
    let bucketMs = Math.max(1000, Math.round((window.bucketMs ?? bucketFor(toMs - fromMs)) / 1000) * 1000);
    while (Math.floor(toMs / bucketMs) - Math.floor(fromMs / bucketMs) >= MAX_BUCKETS) bucketMs *= 2;
    const q = { fromMs, toMs, bucketMs };
    const range = { startMs: fromMs, endMs: toMs };
    // The app's metrics come beside the span figures: a failure there is logged and leaves them out.
    const metrics = this.options.runner.run(metricsSummaryQuery(this.schema, q), range).then(
      (answer) => {
        if (answer.partialError)
          this.options.logger.warn(
            `[appInsights] ${this.connection.name}: metrics partial: ${answer.partialError}`,
          );
        if (answer.rows.length >= METRICS_QUERY_ROWS)
          this.options.logger.warn(
            `[appInsights] ${this.connection.name}: the app's metrics filled ${METRICS_QUERY_ROWS} rows of ` +
              'sums, so some are left out: pick a shorter window for whole figures',
          );
        return metricsFromRows(answer.rows, q);
      },
      (err: unknown) => {
        this.options.logger.warn(
          `[appInsights] ${this.connection.name}: the app's metrics could not be read: ${err instanceof Error ? err.message : String(err)}`,
        );
        return undefined;
      },
    );
    const answer = await this.options.runner.run(summaryQuery(this.schema, q, this.userKeys), range);
    if (answer.partialError)
      this.options.logger.warn(
        `[appInsights] ${this.connection.name}: summary partial: ${answer.partialError}`,
      );
    const summary = summaryFromRows(answer.rows, q, this.options.prices?.() ?? createPriceTable());
    const fromMetrics = await metrics;
    if (fromMetrics) summary.metrics = fromMetrics;
    return summary;
  }

  /**
   * The listed traces whose rows in the store contain the text: what the connection fetched, not every
   * row in the resource (a search in Kusto would be a query of its own, over the time range).
   */
  search(text: string, options: TextSearchOptions = {}): Promise<SearchResult> {
    const listed = this.listedTraceIds();
    const shown = new Set(listed);
    const ids = options.traceIds ? options.traceIds.filter((id) => shown.has(id.toLowerCase())) : listed;
    return searchStore(this.options.store, text, { ...options, traceIds: ids });
  }

  /** A session's turns (or a user's), oldest first, each fetched whole. */
  async find(kind: PersonKind, value: string): Promise<TraceSummary[]> {
    const window = this.searchWindow();
    const keys = kind === 'session' ? this.sessionKeys : this.userKeys;
    const query = operationsOfQuery(this.schema, kind, value, keys, MAX_SEARCH_OPERATIONS);
    const answer = await this.options.runner.run(query, window);
    const ids = answer.rows
      .map((r) => String(r.operationId ?? '').toLowerCase())
      .filter((id) => isOperationId(id) && id.length > 0);
    this.options.logger.info(
      `[appInsights] ${this.connection.name}: ${kind} search found ${ids.length} operations`,
    );
    if (ids.length > 0) await this.loadOperations(ids, window);
    const store = this.options.store;
    const found = kind === 'session' ? store.findSession(value) : store.findUser(value);
    return found;
  }

  private async loadOperations(ids: string[], window: TimeWindow): Promise<void> {
    const wanted = ids.filter((id) => !this.complete.has(id));
    const generation = this.generation;
    // A refresh (or dispose) while this runs lets go of the store: what arrives after it is not kept.
    const stale = (): boolean => generation !== this.generation;
    for (let i = 0; i < wanted.length; i += OPERATIONS_PER_QUERY) {
      if (stale()) return;
      const chunk = wanted.slice(i, i + OPERATIONS_PER_QUERY);
      const answer = await this.options.runner.run(
        operationRowsQuery(this.schema, chunk, ROWS_PER_QUERY),
        window,
      );
      const content = this.schema === 'workspace' ? await this.genAiContent(chunk, window) : [];
      if (stale()) return;
      const batch = this.options.mapping.operations(this.schema, answer.rows, content);
      this.options.store.ingest(batch, 'appInsights');
      this.options.store.flush();
      for (const id of chunk) this.complete.add(id);
      if (this.schema === 'workspace') this.noteMissingContent(chunk, content);
      if (answer.partialError) {
        this.options.logger.warn(
          `[appInsights] ${this.connection.name}: partial answer: ${answer.partialError}`,
        );
      }
    }
    this.emit();
  }

  /**
   * A workspace keeps GenAI content in AppGenAIContent (data since 2026-09-30), and a reader without the
   * Privileged Monitoring Data Reader role gets no rows there: an LLM call with no message anywhere is then
   * most likely that, and the view says so instead of showing an empty box.
   */
  private noteMissingContent(ids: readonly string[], content: readonly QueryRow[]): void {
    const withContent = new Set(content.map((r) => String(r.OperationId ?? '').toLowerCase()));
    for (const id of ids) {
      if (this.notes.has(id) || withContent.has(id)) continue;
      const calls = this.options.store.getTrace(id)?.spans.filter((s) => s.llm) ?? [];
      if (calls.length === 0 || calls.some((c) => c.llm!.messages.length > 0)) continue;
      this.notes.set(
        id,
        `No message content was found for this trace, in its rows or in AppGenAIContent. Workspaces keep GenAI content in AppGenAIContent since 2026-09-30, and reading it needs ${CONTENT_ROLE_HINT}; otherwise the app may not capture content.`,
      );
    }
  }

  /** AppGenAIContent rows, or none: a workspace without the table answers empty; a refusal becomes a note. */
  private async genAiContent(ids: string[], window: TimeWindow): Promise<QueryRow[]> {
    try {
      const answer = await this.options.runner.run(genAiContentQuery(ids, ROWS_PER_QUERY), window);
      return answer.rows;
    } catch (err) {
      const error = err instanceof AppInsightsQueryError ? err : undefined;
      if (error?.kind === 'forbidden' || error?.kind === 'badQuery') {
        for (const id of ids) {
          this.notes.set(
            id,
            `Message content of this trace is kept in the AppGenAIContent table, which your account may not read: it needs ${CONTENT_ROLE_HINT}.`,
          );
        }
        this.options.logger.warn(
          `[appInsights] ${this.connection.name}: AppGenAIContent not readable: ${String(err)}`,
        );
        return [];
      }
      throw err;
    }
  }

  private window(): TimeWindow {
    if (this.range.kind === 'between') return { startMs: this.range.startMs, endMs: this.range.endMs };
    const end = this.now();
    return { startMs: end - this.range.ms, endMs: end };
  }

  /** A session or an opened trace may be older than the list's range: search up to 30 days back. */
  private searchWindow(): TimeWindow {
    const end = this.range.kind === 'between' ? Math.max(this.range.endMs, this.now()) : this.now();
    return { startMs: end - SEARCH_WINDOW_MS, endMs: end };
  }

  private set(status: SourceStatus): void {
    this.current = status;
    this.emit();
  }

  private emit(): void {
    if (this.disposed) return;
    for (const l of [...this.listeners]) l();
  }
}

/** The cursor after a page: the oldest time listed, and every id listed at exactly that time. */
export function nextCursor(
  previous: ListCursor | undefined,
  rows: readonly QueryRow[],
): ListCursor | undefined {
  if (rows.length === 0) return previous;
  const iso = (v: unknown): string =>
    v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString();
  const last = iso(rows[rows.length - 1]!.callTime);
  const ids = rows.filter((r) => iso(r.callTime) === last).map((r) => String(r.id ?? ''));
  const carried = previous && previous.timeIso === last ? previous.idsAtTime : [];
  return { timeIso: last, idsAtTime: [...new Set([...carried, ...ids])] };
}
