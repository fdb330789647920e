// The typed messages between the extension host and the ingest engine's worker thread. The worker owns the
// receivers, the decoder, the request log and the full store; the host holds only summaries, and the
// outline or the whole of the few traces it shows, which it asks for. Everything here crosses a
// MessagePort by structured clone, so it is plain data.

import type { SummaryWindow } from '../core/aggregate';
import type { Trace, TraceSummary } from '../core/model';
import type { PricingSettings } from '../core/pricing';
import type { StoreStats } from '../core/store';
import type { ListenSettings } from '../otlp/receiverLifecycle';

export interface EngineLimits {
  maxTraces: number;
  /** Everything stored, estimated in bytes (undefined: no byte budget). */
  maxBytes?: number;
  maxSpansPerTrace?: number;
}

export interface EngineOptions {
  limits: EngineLimits;
  /** Extra attribute names for the session and the user id (the normalizer's settings). */
  sessionAttributes: string[];
  userAttributes: string[];
  /** The user's price entries and Azure deployments (validated by the host), over the shipped table. */
  pricing?: PricingSettings;
  /** Where accepted requests are kept across reloads, and the budget on disk; absent: not kept. */
  persist?: { dir: string; maxBytes: number };
  /** How often changes are sent to the host, at most (ms). */
  debounceMs?: number;
}

/** What may change while the engine runs; `persist: null` stops keeping requests and deletes those kept. */
export type EngineSettings = Partial<Omit<EngineOptions, 'persist'>> & {
  persist?: EngineOptions['persist'] | null;
};

/** How much of a trace the host keeps up to date: the outline (for the tree) or all of it (a panel). */
export type WatchLevel = 'outline' | 'full';

export type HostRequest =
  | { op: 'listen'; settings: ListenSettings }
  | { op: 'stopListening' }
  | { op: 'load'; traceId: string; level: WatchLevel }
  /** Stop sending these traces; `toOutline`: send only their outlines from now on. */
  | { op: 'unwatch'; traceIds: string[]; toOutline?: boolean }
  | { op: 'configure'; options: EngineSettings }
  | { op: 'clear' }
  | { op: 'sync' }
  | { op: 'replay' }
  | { op: 'stats' }
  /** The raw records of these traces (a TelemetryBatch), for an export. */
  | { op: 'records'; traceIds: string[] }
  /** The Summary view's figures for a window, added up in the worker (a Summary). */
  | { op: 'summarize'; window: SummaryWindow }
  /**
   * The traces whose records contain the text (a SearchResult), newest first, at most `limit`; only
   * `traceIds` when given. Answered between batches, so other requests do not wait for a long search.
   */
  | { op: 'search'; text: string; limit?: number; traceIds?: string[] }
  /**
   * A conversation panel's first state of a trace (views/conversationViewModel.ts, its calls windowed) as
   * UTF-8 JSON, or undefined when the trace is not stored: built here, where the trace is, so showing a
   * trace of thousands of spans neither sends them to the host nor builds their state on its thread.
   */
  | { op: 'panelState'; traceId: string; spanId?: string; nowMs: number; maxAttributeLength: number };

export type HostMessage = { type: 'request'; id: number; request: HostRequest } | { type: 'close' };

export interface ListenResult {
  host: string;
  port: number;
  grpcPort?: number;
  /** Why gRPC does not listen although it is on: its port is taken, or the error. */
  grpcProblem?: { kind: 'portInUse' | 'samePort' | 'failed'; port: number; message: string };
}

export interface EngineStats {
  /** What arrived since the receiver last started, retries included. */
  received: { requests: number; spans: number; logs: number; llmCalls: number };
  /** What the store keeps now. */
  store: StoreStats;
  /** Heap of the worker, in bytes. */
  heapUsed: number;
}

/** What the host learns of the store, at most once per debounce interval. */
export interface ChangeMessage {
  type: 'changes';
  cleared: boolean;
  /** Summaries of the traces added or changed. */
  summaries: TraceSummary[];
  removed: string[];
  /** Outlines of changed traces the host watches at 'outline'. */
  outlines: Trace[];
  /** Whole traces of changed traces the host watches at 'full'. */
  full: Trace[];
}

/** Counts since the receiver last started, sent with each batch of changes and when they move. */
export interface ReceivedMessage {
  type: 'received';
  requests: number;
  spans: number;
  llmCalls: number;
}

export interface LogMessage {
  type: 'log';
  level: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  message: string;
}

export interface ResponseMessage {
  type: 'response';
  id: number;
  result?: unknown;
  /** A failed request: the error's class name (PortInUseError...), message and port. */
  error?: { name: string; message: string; port?: number; host?: string };
}

export interface ReplayedMessage {
  type: 'replayed';
  requests: number;
  spans: number;
  logs: number;
  skipped: number;
  /** Traces that took the summary the last session saved instead of being read (set when one was saved). */
  savedTraces?: number;
  ms: number;
}

export type WorkerMessage = ChangeMessage | ReceivedMessage | LogMessage | ResponseMessage | ReplayedMessage;
