// The typed protocol between the extension host and the conversation webview. Both bundles import this
// module. Every message is a plain object with a `type` tag; `isWebviewMessage` guards what arrives
// from the webview, which the host treats as untrusted input.

import type { LlmCall, Span, TraceSummary } from '../core/model';

/** What the panel shows: a whole trace, or a trace with one LLM call in focus. Saved for restore. */
export interface ConversationTarget {
  traceId: string;
  spanId?: string;
  /** Which source holds the trace; absent means the local receiver. */
  sourceId?: string;
}

export interface DimensionRow {
  key: string;
  /** The value as text; when `fullLength` is set, only its first `view.maxAttributeLength` characters. */
  value: string;
  /** Where it came from: the span itself, its resource, or inherited from another span of the trace. */
  from: 'span' | 'resource' | 'trace';
  /** Set when the value was cut for display: its whole length, in characters. `fullValue` asks for it. */
  fullLength?: number;
}

/** One LLM call as the view shows it: the span's facts, the call, and its dimensions ready to list. */
export interface CallView {
  spanId: string;
  parentSpanId?: string;
  name: string;
  service: string;
  startMs: number;
  durationMs: number;
  status: Span['status'];
  error?: Span['error'];
  llm: LlmCall;
  sessionId?: string;
  userId?: string;
  /** Session and user first, then the span's attributes, then the resource's; values as text. */
  dimensions: DimensionRow[];
  /** The span's raw attributes as pretty JSON, for the collapsible "raw" section; long strings cut. */
  rawAttributes: string;
  /** How many string values `rawAttributes` shows cut (to `view.maxAttributeLength`); absent: none. */
  rawAttributesCut?: number;
  /**
   * How many leading input messages repeat an earlier call of the trace (its input followed by its
   * answer: the usual chat pattern), so the view can show only what is new and keep the rest one click
   * away. Absent when nothing repeats.
   */
  repeatedInput?: { count: number; fromSpanId: string };
}

/** What a waterfall row is: an LLM call, a tool call, an agent step, or any other span. */
export type SpanRole = 'llm' | 'tool' | 'agent' | 'span';

/**
 * One span of the waterfall, in the order the rows are drawn: depth first, children by start time. The
 * host lays the tree out once; the page only skips the subtrees the user folded.
 */
export interface WaterfallRow {
  spanId: string;
  name: string;
  service: string;
  /** Nesting depth: 0 for a root (a span without parent, or whose parent is not in the trace). */
  depth: number;
  /** How many rows after this one are its descendants: the subtree is rows i+1 .. i+descendants. */
  descendants: number;
  /** Start, from the trace's earliest start (ms); never negative. */
  offsetMs: number;
  durationMs: number;
  role: SpanRole;
  /** `gen_ai.operation.name` of an agent step or tool call (invoke_agent, create_agent, execute_tool). */
  operation?: string;
  error?: true;
  /** Its parent span is named but not in the trace (not received, or dropped): shown as a root. */
  orphan?: true;
  /** Starts before its parent: the clocks of two services disagree. */
  skewed?: true;
}

export interface WaterfallView {
  /** The time axis: from the earliest start to the latest end of the trace's spans. */
  startMs: number;
  durationMs: number;
  rows: WaterfallRow[];
}

/** What the waterfall's details pane shows for one span, asked for when the user picks its row. */
export interface SpanDetails {
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: Span['kind'];
  service: string;
  scope: string;
  startMs: number;
  durationMs: number;
  status: Span['status'];
  error?: Span['error'];
  /** The span's attributes, then its resource's, cut like the call's dimensions. */
  attributes: DimensionRow[];
  events: { name: string; offsetMs: number; attributes: DimensionRow[] }[];
  /** Set when the span is an LLM call: the page focuses its card. */
  isLlmCall?: true;
}

/** The rows shown with some subtrees folded (indexes into `rows`): a folded row shows, its subtree not. */
export function visibleRows(rows: readonly WaterfallRow[], folded: ReadonlySet<string>): number[] {
  const out: number[] = [];
  for (let i = 0; i < rows.length; i++) {
    out.push(i);
    const row = rows[i] as WaterfallRow;
    if (row.descendants > 0 && folded.has(row.spanId)) i += row.descendants;
  }
  return out;
}

/**
 * Where a row's bar sits on the axis, as fractions of its width. A span too short to see (zero, or
 * shorter than `minFraction` of the trace) gets `minFraction`, pulled left so it stays inside the axis.
 */
export function barGeometry(
  row: WaterfallRow,
  axisMs: number,
  minFraction = 0.002,
): { left: number; width: number } {
  if (axisMs <= 0) return { left: 0, width: minFraction };
  const left = Math.min(1, row.offsetMs / axisMs);
  const width = Math.max(minFraction, Math.min(1 - left, row.durationMs / axisMs));
  return { left: Math.min(left, 1 - width), width };
}

export interface ConversationState {
  target: ConversationTarget;
  /** Undefined when the trace is not (or no longer) in the store. */
  trace?: TraceSummary;
  /** LLM calls of the trace in start order. */
  calls: CallView[];
  /** Spans of the trace that are not LLM calls, for the outline. */
  otherSpanCount: number;
  /** Every span of the trace laid out on one time axis; absent when there is no trace. */
  waterfall?: WaterfallView;
  /** When the host built this state (ms). */
  generatedMs: number;
  /** Where the trace came from ("Application Insights · prod-insights"); absent for local traces. */
  sourceLabel?: string;
  /** What the source knows about missing content (a role the reader lacks), to show above the calls. */
  notes?: string[];
  /** Set while a cloud source is still fetching the trace's rows. */
  loading?: boolean;
  /** Set when fetching the trace failed: what happened and what to do. */
  loadError?: string;
}

// ---- host -> webview notifications ----

export interface StateNotification {
  type: 'state';
  state: ConversationState;
}

export interface FocusNotification {
  type: 'focus';
  spanId: string;
}

/** The reply to a `fullValue` request: the whole value, or none when the trace or span left the store. */
export interface FullValueReply {
  type: 'fullValue';
  requestId: number;
  value?: string;
}

/** The reply to a `spanDetails` request; no details when the trace or span left the store. */
export interface SpanDetailsReply {
  type: 'spanDetails';
  requestId: number;
  details?: SpanDetails;
}

export type HostMessage = StateNotification | FocusNotification | FullValueReply | SpanDetailsReply;

// ---- webview -> host commands ----

export interface ReadyCommand {
  type: 'ready';
}

export interface OpenLinkCommand {
  type: 'openLink';
  href: string;
}

export interface CopyCommand {
  type: 'copy';
  text: string;
  /** What is being copied, for the confirmation ("Copied arguments"). */
  what: string;
}

/** Copy the conversation as Markdown: one call with its whole input, or the whole trace. */
export interface CopyMarkdownCommand {
  type: 'copyMarkdown';
  spanId?: string;
}

export interface RevealSpanCommand {
  type: 'revealSpan';
  traceId: string;
  spanId: string;
}

/** Asks for a dimension's whole value (one the state cut); the host answers from the store. */
export interface FullValueRequest {
  type: 'fullValue';
  /** Matches the reply; chosen by the webview. */
  requestId: number;
  spanId: string;
  key: string;
  from: DimensionRow['from'];
}

/** Asks for one span's attributes, events and status (the waterfall's details pane). */
export interface SpanDetailsRequest {
  type: 'spanDetails';
  requestId: number;
  spanId: string;
}

export type WebviewMessage =
  | ReadyCommand
  | OpenLinkCommand
  | CopyCommand
  | CopyMarkdownCommand
  | RevealSpanCommand
  | FullValueRequest
  | SpanDetailsRequest;

export function isWebviewMessage(value: unknown): value is WebviewMessage {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  switch (m.type) {
    case 'ready':
      return true;
    case 'openLink':
      return typeof m.href === 'string';
    case 'copy':
      return typeof m.text === 'string' && typeof m.what === 'string';
    case 'copyMarkdown':
      return m.spanId === undefined || typeof m.spanId === 'string';
    case 'revealSpan':
      return typeof m.traceId === 'string' && typeof m.spanId === 'string';
    case 'fullValue':
      return (
        Number.isSafeInteger(m.requestId) &&
        typeof m.spanId === 'string' &&
        typeof m.key === 'string' &&
        (m.from === 'span' || m.from === 'resource' || m.from === 'trace')
      );
    case 'spanDetails':
      return Number.isSafeInteger(m.requestId) && typeof m.spanId === 'string';
    default:
      return false;
  }
}

export function isHostMessage(value: unknown): value is HostMessage {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  return (
    (m.type === 'state' && typeof m.state === 'object' && m.state !== null) ||
    (m.type === 'focus' && typeof m.spanId === 'string') ||
    (m.type === 'fullValue' &&
      Number.isSafeInteger(m.requestId) &&
      (m.value === undefined || typeof m.value === 'string')) ||
    (m.type === 'spanDetails' &&
      Number.isSafeInteger(m.requestId) &&
      (m.details === undefined || (typeof m.details === 'object' && m.details !== null)))
  );
}

/** The id of the element in the page that carries the initial state as JSON (first paint, no round trip). */
export const INITIAL_STATE_ELEMENT_ID = 'lti-initial-state';

/** The model a call names: the one that answered, else the one asked for, else the span's name. */
export function callModel(call: CallView): string {
  return call.llm.responseModel ?? call.llm.requestModel ?? call.name;
}
