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

export interface ConversationState {
  target: ConversationTarget;
  /** Undefined when the trace is not (or no longer) in the store. */
  trace?: TraceSummary;
  /** LLM calls of the trace in start order. */
  calls: CallView[];
  /** Spans of the trace that are not LLM calls, for the outline. */
  otherSpanCount: number;
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

export type HostMessage = StateNotification | FocusNotification | FullValueReply;

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

export type WebviewMessage =
  ReadyCommand | OpenLinkCommand | CopyCommand | CopyMarkdownCommand | RevealSpanCommand | FullValueRequest;

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
      (m.value === undefined || typeof m.value === 'string'))
  );
}

/** The id of the element in the page that carries the initial state as JSON (first paint, no round trip). */
export const INITIAL_STATE_ELEMENT_ID = 'lti-initial-state';

/** The model a call names: the one that answered, else the one asked for, else the span's name. */
export function callModel(call: CallView): string {
  return call.llm.responseModel ?? call.llm.requestModel ?? call.name;
}
