// The one interface every trace source sits behind (the local receiver, each Application Insights
// connection, later each opened file). The tree, the conversation panels and Find by Session ID use only
// this; each source keeps what it has in a store of its own, so one source never evicts another's traces.

import type { Summary, SummaryWindow } from './aggregate';
import type { SourceKind, Trace, TraceSummary } from './model';
import type { TelemetryBatch } from './records';
import type { SearchResult } from './search';
import type { Disposable, StoreChange } from './store';

export type PersonKind = 'session' | 'user';

/** What the views read of a source's traces: a TraceStore, or the host's mirror of the engine's store. */
export interface TraceReader {
  readonly size: number;
  /** Every trace that has a span, newest first. */
  list(): TraceSummary[];
  /** The trace as far as it is held here (a mirror holds only what was loaded). */
  getTrace(traceId: string): Trace | undefined;
  /** Whether the trace is in the source at all, held here or not. */
  has(traceId: string): boolean;
  /** The trace's summary, held here even when its spans are not. */
  summary(traceId: string): TraceSummary | undefined;
  findSession(sessionId: string): TraceSummary[];
  findUser(userId: string): TraceSummary[];
  sessions(): { sessionId: string; traceCount: number; lastMs: number }[];
  onDidChange(listener: (change: StoreChange) => void): Disposable;
  /** Emits pending changes now (a store in this thread; a mirror has nothing pending to emit). */
  flush(): void;
}

/** The local traces as the host holds them: summaries, and the traces it asks for. */
export interface LocalTraces extends TraceReader {
  /** Brings the outline (for the tree) or the whole trace (for a panel) and keeps it up to date. */
  load(traceId: string, level: 'outline' | 'full'): Promise<Trace | undefined>;
  /** Whether the whole trace, messages and all, is held. */
  isWhole(traceId: string): boolean;
  /** Resolves once every change received so far is readable here. */
  sync(): Promise<void>;
  clear(): Promise<void>;
  /** The raw records of these traces, as the store keeps them (what an export writes). */
  records(traceIds: readonly string[]): Promise<TelemetryBatch>;
  /** The Summary view's figures over every call of the source (the engine adds them up in its worker). */
  summarize?(window: SummaryWindow): Promise<Summary>;
  /** The traces whose records contain the text (core/search.ts), searched where the records are. */
  search(text: string, options?: TextSearchOptions): Promise<SearchResult>;
  /** The conversation panel's first state of a trace, built where the trace is (see PanelStateOptions). */
  panelState(traceId: string, options: PanelStateOptions): Promise<Uint8Array | undefined>;
}

/**
 * What the conversation panel's first state of a trace is built for: the call in focus and the length at
 * which attribute values are cut. The state comes back as the UTF-8 bytes of its JSON, which the panel
 * posts to its page as they are, so a big trace's first paint costs the extension host's thread nothing.
 */
export interface PanelStateOptions {
  spanId?: string;
  maxAttributeLength: number;
}

export interface TextSearchOptions {
  /** Stop after this many matching traces. */
  limit?: number;
  /** Search only these traces (those that changed since the last answer). */
  traceIds?: readonly string[];
}

export interface TraceSource {
  /** `local`, or `appInsights:<connection id>`: what panels and tree nodes remember. */
  readonly id: string;
  /** What the user calls it: "Local", or the connection's name. */
  readonly label: string;
  readonly kind: SourceKind;
  readonly store: TraceReader;
  /** Makes sure every span and log record of the trace is in the store (a cloud source fetches them). */
  loadTrace(traceId: string): Promise<void>;
  /** The traces of a session or a user, oldest first, loaded whole. */
  find(kind: PersonKind, value: string): Promise<TraceSummary[]>;
  /** Why a trace lacks content, when the source can tell (a role the reader lacks, say). */
  noteFor(traceId: string): string | undefined;
  /** Whether every row of the trace is in the store (a cloud list holds only the LLM calls). */
  isComplete(traceId: string): boolean;
  /**
   * Every span and log record of these traces as source-neutral records (a cloud source fetches the
   * traces whole first); unknown ids are skipped. What Export as OTLP JSON writes.
   */
  records(traceIds: readonly string[]): Promise<TelemetryBatch>;
  /**
   * Calls, tokens, cost, errors and latency percentiles for a window, per model, service and user and per
   * time bucket, computed where the data is (the engine's worker, Kusto, a file's store). Absent: the
   * source cannot say.
   */
  summarize?(window: SummaryWindow): Promise<Summary>;

  /**
   * The traces whose span names, attribute values, events or log records contain the text, newest first.
   * A cloud source searches what it holds (the listed traces), not the whole resource.
   */
  search?(text: string, options?: TextSearchOptions): Promise<SearchResult>;
  /**
   * The conversation panel's first state of a trace as UTF-8 JSON, built where the trace is (the engine's
   * worker); undefined when the trace is not stored. Absent: the panel builds it from the store.
   */
  panelState?(traceId: string, options: PanelStateOptions): Promise<Uint8Array | undefined>;
}

export const LOCAL_SOURCE_ID = 'local';

/** The local receiver's traces, held by the ingest engine; a trace is brought whole when it is shown. */
export class LocalSource implements TraceSource {
  readonly id = LOCAL_SOURCE_ID;
  readonly kind = 'otlp' as const;

  constructor(
    readonly store: LocalTraces,
    readonly label = 'Local',
  ) {}

  async loadTrace(traceId: string): Promise<void> {
    await this.store.load(traceId, 'full');
  }

  async find(kind: PersonKind, value: string): Promise<TraceSummary[]> {
    await this.store.sync();
    return kind === 'session' ? this.store.findSession(value) : this.store.findUser(value);
  }

  noteFor(): string | undefined {
    return undefined;
  }

  isComplete(traceId: string): boolean {
    return this.store.isWhole(traceId);
  }

  records(traceIds: readonly string[]): Promise<TelemetryBatch> {
    return this.store.records(traceIds);
  }

  summarize(window: SummaryWindow): Promise<Summary> {
    if (!this.store.summarize) return Promise.reject(new Error('The local store cannot summarize.'));
    return this.store.summarize(window);
  }

  search(text: string, options?: TextSearchOptions): Promise<SearchResult> {
    return this.store.search(text, options);
  }

  panelState(traceId: string, options: PanelStateOptions): Promise<Uint8Array | undefined> {
    return this.store.panelState(traceId, options);
  }
}
