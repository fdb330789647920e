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

/**
 * The waterfall as it travels to the page: one id and eight numbers a row, names and services once each,
 * about a third of the rows as objects. `unpackWaterfall` gives the page its rows back.
 */
export interface PackedWaterfall {
  startMs: number;
  durationMs: number;
  /** Every distinct name, service and operation, referred to by index in `cells`. */
  strings: string[];
  spanIds: string[];
  /** WATERFALL_CELLS numbers a row: name, service, depth, descendants, offset, duration, flags, operation. */
  cells: number[];
}

export const WATERFALL_CELLS = 8;
const ROLES: readonly SpanRole[] = ['span', 'llm', 'tool', 'agent'];
const ERROR_FLAG = 4;
const ORPHAN_FLAG = 8;
const SKEWED_FLAG = 16;

export function packWaterfall(view: WaterfallView): PackedWaterfall {
  const strings: string[] = [];
  const indexOf = new Map<string, number>();
  const ref = (s: string): number => {
    let i = indexOf.get(s);
    if (i === undefined) {
      i = strings.push(s) - 1;
      indexOf.set(s, i);
    }
    return i;
  };
  const spanIds = new Array<string>(view.rows.length);
  const cells = new Array<number>(view.rows.length * WATERFALL_CELLS);
  view.rows.forEach((row, i) => {
    spanIds[i] = row.spanId;
    const flags =
      ROLES.indexOf(row.role) |
      (row.error ? ERROR_FLAG : 0) |
      (row.orphan ? ORPHAN_FLAG : 0) |
      (row.skewed ? SKEWED_FLAG : 0);
    const at = i * WATERFALL_CELLS;
    cells[at] = ref(row.name);
    cells[at + 1] = ref(row.service);
    cells[at + 2] = row.depth;
    cells[at + 3] = row.descendants;
    cells[at + 4] = row.offsetMs;
    cells[at + 5] = row.durationMs;
    cells[at + 6] = flags;
    cells[at + 7] = row.operation === undefined ? -1 : ref(row.operation);
  });
  return { startMs: view.startMs, durationMs: view.durationMs, strings, spanIds, cells };
}

/** The rows back from their packed form; indexes that name no string give empty text, not a crash. */
export function unpackWaterfall(packed: PackedWaterfall): WaterfallView {
  const str = (i: number | undefined): string => (i === undefined ? '' : (packed.strings[i] ?? ''));
  const rows = new Array<WaterfallRow>(packed.spanIds.length);
  for (let i = 0; i < rows.length; i++) {
    const at = i * WATERFALL_CELLS;
    const c = packed.cells;
    const flags = c[at + 6] ?? 0;
    const row: WaterfallRow = {
      spanId: String(packed.spanIds[i]),
      name: str(c[at]),
      service: str(c[at + 1]),
      depth: c[at + 2] ?? 0,
      descendants: c[at + 3] ?? 0,
      offsetMs: c[at + 4] ?? 0,
      durationMs: c[at + 5] ?? 0,
      role: ROLES[flags & 3] ?? 'span',
    };
    const op = c[at + 7] ?? -1;
    if (op >= 0) row.operation = str(op);
    if (flags & ERROR_FLAG) row.error = true;
    if (flags & ORPHAN_FLAG) row.orphan = true;
    if (flags & SKEWED_FLAG) row.skewed = true;
    rows[i] = row;
  }
  return { startMs: packed.startMs, durationMs: packed.durationMs, rows };
}

/** Above this many LLM calls the page builds cards only near the screen, and their bodies come on request. */
export const WINDOWED_CALLS = 200;

/**
 * The calls of a trace with more than WINDOWED_CALLS of them, before their cards: the page numbers and
 * places them from this, and asks for a window of cards (`callCards`) as it scrolls near them.
 */
export interface CallOutline {
  /** Span ids in start order, as `calls` would list them. */
  spanIds: string[];
  /** Per call, how many messages and how many characters of text: what the page guesses heights from. */
  messages: number[];
  chars: number[];
}

export interface ConversationState {
  target: ConversationTarget;
  /** Undefined when the trace is not (or no longer) in the store. */
  trace?: TraceSummary;
  /** LLM calls of the trace in start order; none when `callOutline` is set (their cards come on request). */
  calls: CallView[];
  /** Set for a trace of more than WINDOWED_CALLS calls, in the panel's state. */
  callOutline?: CallOutline;
  /** Spans of the trace that are not LLM calls, for the outline. */
  otherSpanCount: number;
  /** Every span of the trace laid out on one time axis; absent when there is no trace. */
  waterfall?: PackedWaterfall;
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

/**
 * A new state for the page, as the UTF-8 bytes of its JSON. VS Code hands a typed array to the page as it
 * is; an object it serializes in the extension host and parses again in the editor, which for a 0.5 MB
 * state (a 10,000-span trace) took the extension host about 150 ms and held the page's first paint.
 */
export interface StateNotification {
  type: 'state';
  json: Uint8Array;
}

export function stateNotification(state: ConversationState): StateNotification {
  return { type: 'state', json: encodeState(state) };
}

/** The state's UTF-8 JSON, as it travels (built where the trace is: the host, or the engine's worker). */
export function encodeState(state: ConversationState): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(state));
}

/** The state a notification carries; undefined when its bytes are not a state's JSON. */
export function readStateNotification(message: StateNotification): ConversationState | undefined {
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(message.json));
    return isConversationState(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The little a page checks of a state before it draws one (from its HTML or a notification). */
export function isConversationState(value: unknown): value is ConversationState {
  if (typeof value !== 'object' || value === null) return false;
  const s = value as Record<string, unknown>;
  return typeof s.target === 'object' && s.target !== null && Array.isArray(s.calls);
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

/** The reply to a `callCards` request: the cards of the ids still in the trace, or none without a trace. */
export interface CallCardsReply {
  type: 'callCards';
  requestId: number;
  calls?: CallView[];
}

export type HostMessage =
  StateNotification | FocusNotification | FullValueReply | SpanDetailsReply | CallCardsReply;

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

/** The most cards one `callCards` request may ask for: a screen and its overscan, many times over. */
export const MAX_CARDS_PER_REQUEST = 100;

/** Asks for the cards of calls the page is about to show (a trace with a `callOutline`). */
export interface CallCardsRequest {
  type: 'callCards';
  requestId: number;
  spanIds: string[];
}

export type WebviewMessage =
  | ReadyCommand
  | OpenLinkCommand
  | CopyCommand
  | CopyMarkdownCommand
  | RevealSpanCommand
  | FullValueRequest
  | SpanDetailsRequest
  | CallCardsRequest;

/** The messages every page sends (ready, a link to open, a text to copy); undefined for any other type. */
export function isPageCommand(m: Record<string, unknown>): boolean | undefined {
  switch (m.type) {
    case 'ready':
      return true;
    case 'openLink':
      return typeof m.href === 'string';
    case 'copy':
      return typeof m.text === 'string' && typeof m.what === 'string';
    default:
      return undefined;
  }
}

export function isWebviewMessage(value: unknown): value is WebviewMessage {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  const page = isPageCommand(m);
  if (page !== undefined) return page;
  switch (m.type) {
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
    case 'callCards':
      return (
        Number.isSafeInteger(m.requestId) &&
        Array.isArray(m.spanIds) &&
        m.spanIds.length <= MAX_CARDS_PER_REQUEST &&
        m.spanIds.every((id) => typeof id === 'string')
      );
    default:
      return false;
  }
}

export function isHostMessage(value: unknown): value is HostMessage {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  return (
    (m.type === 'state' && ArrayBuffer.isView(m.json)) ||
    (m.type === 'focus' && typeof m.spanId === 'string') ||
    (m.type === 'fullValue' &&
      Number.isSafeInteger(m.requestId) &&
      (m.value === undefined || typeof m.value === 'string')) ||
    (m.type === 'spanDetails' &&
      Number.isSafeInteger(m.requestId) &&
      (m.details === undefined || (typeof m.details === 'object' && m.details !== null))) ||
    (m.type === 'callCards' &&
      Number.isSafeInteger(m.requestId) &&
      (m.calls === undefined || Array.isArray(m.calls)))
  );
}

/** The id of the element in the page that carries the initial state as JSON (first paint, no round trip). */
export const INITIAL_STATE_ELEMENT_ID = 'lti-initial-state';

/** The model a call names: the one that answered, else the one asked for, else the span's name. */
export function callModel(call: CallView): string {
  return call.llm.responseModel ?? call.llm.requestModel ?? call.name;
}
