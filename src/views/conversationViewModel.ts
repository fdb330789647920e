// Turns a stored Trace into the state the conversation webview renders. Pure, so it is tested without an
// editor: the panel calls it on every store change for its trace and posts the result, and the engine's
// worker builds a big trace's first state with it, where the trace is.

import { bytesAsHex, bytesToHex } from '../core/format';
import type { LlmCall, Message, MessagePart, Span, Trace } from '../core/model';
import type { AttrValue, Attributes } from '../core/records';
import {
  packWaterfall,
  WINDOWED_CALLS,
  type CallOutline,
  type CallView,
  type ConversationState,
  type ConversationTarget,
  type DimensionRow,
  type SpanDetails,
} from '../protocol/conversation';
import { buildWaterfall } from './waterfallModel';

/** Row keys of the resolved session and user ids, which head every dimensions table. */
export const SESSION_DIMENSION_KEY = 'session';
export const USER_DIMENSION_KEY = 'user';

/** An attribute value as one line of text: strings unchanged, scalars printed, structures as JSON. */
export function attrValueToString(value: AttrValue): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null) return 'null';
  if (value instanceof Uint8Array) return bytesToHex(value);
  return JSON.stringify(value, bytesAsHex);
}

/** Pretty JSON of attributes, keys in the order they arrived. */
export function attributesToJson(attributes: Attributes): string {
  return JSON.stringify(attributes, bytesAsHex, 2);
}

/**
 * What the view shows of a value: at most `max` characters (never half a surrogate pair), and the whole
 * length when it was cut. A content attribute can hold megabytes; the panel's state carries it to the
 * page on every change of the trace, so it is cut here and fetched whole only when asked for.
 */
export function cutForDisplay(
  value: string,
  max: number | undefined,
): { value: string; fullLength?: number } {
  if (max === undefined || value.length <= max) return { value };
  let end = max;
  const last = value.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return { value: value.slice(0, end), fullLength: value.length };
}

/** The raw attributes' JSON with every string longer than `max` cut (and marked), and how many were. */
export function attributesToDisplayJson(
  attributes: Attributes,
  max: number | undefined,
): { json: string; cut: number } {
  if (max === undefined) return { json: attributesToJson(attributes), cut: 0 };
  let cut = 0;
  const json = JSON.stringify(
    attributes,
    (key: string, value: unknown) => {
      const v = bytesAsHex(key, value);
      if (typeof v !== 'string' || v.length <= max) return v;
      cut++;
      const shown = cutForDisplay(v, max);
      return `${shown.value}… [cut: ${v.length.toLocaleString('en-US')} characters in all]`;
    },
    2,
  );
  return { json, cut };
}

function attributeRows(attributes: Attributes, from: DimensionRow['from']): DimensionRow[] {
  return Object.keys(attributes)
    .sort((a, b) => a.localeCompare(b))
    .map((key) => ({ key, value: attrValueToString(attributes[key] as AttrValue), from }));
}

/** Rows with values longer than `max` cut, each with its full length. */
export function cutDimensionRows(rows: DimensionRow[], max: number | undefined): DimensionRow[] {
  if (max === undefined) return rows;
  return rows.map((row) => {
    const shown = cutForDisplay(row.value, max);
    return shown.fullLength === undefined ? row : { ...row, ...shown };
  });
}

/** The whole value of one dimension row, as `buildDimensions` reads it: what a `fullValue` asks for. */
export function fullDimensionValue(
  trace: Trace,
  span: Span,
  key: string,
  from: DimensionRow['from'],
): string | undefined {
  return buildDimensions(span, trace).find((r) => r.key === key && r.from === from)?.value;
}

/** How the state is shaped for the page (absent: nothing cut, as Copy as Markdown wants it). */
export interface ViewOptions {
  /** `view.maxAttributeLength`: attribute and dimension values longer than this are cut. */
  maxAttributeLength?: number;
  /**
   * The panel's state: above WINDOWED_CALLS calls, only their outline, and the cards on request
   * (`buildCallCards`). Thousands of cards in the page's HTML cost seconds to carry and parse.
   */
  windowCalls?: boolean;
}

/** Session and user first (inherited from the trace when the span lacks them), then span, then resource. */
export function buildDimensions(span: Span, trace: Trace): DimensionRow[] {
  const rows: DimensionRow[] = [];
  const sessionId = span.sessionId ?? trace.summary.sessionId;
  if (sessionId !== undefined) {
    rows.push({
      key: SESSION_DIMENSION_KEY,
      value: sessionId,
      from: span.sessionId !== undefined ? 'span' : 'trace',
    });
  }
  const userId = span.userId ?? trace.summary.userId;
  if (userId !== undefined) {
    rows.push({ key: USER_DIMENSION_KEY, value: userId, from: span.userId !== undefined ? 'span' : 'trace' });
  }
  rows.push(...attributeRows(span.attributes, 'span'));
  rows.push(...attributeRows(span.resource, 'resource'));
  return rows;
}

export function buildCallView(span: Span, trace: Trace, options: ViewOptions = {}): CallView | undefined {
  if (!span.llm) return undefined;
  const max = options.maxAttributeLength;
  const raw = attributesToDisplayJson(span.attributes, max);
  const view: CallView = {
    spanId: span.spanId,
    name: span.name,
    service: span.service,
    startMs: span.startMs,
    durationMs: span.durationMs,
    status: span.status,
    llm: span.llm,
    dimensions: cutDimensionRows(buildDimensions(span, trace), max),
    rawAttributes: raw.json,
  };
  if (raw.cut > 0) view.rawAttributesCut = raw.cut;
  if (span.parentSpanId !== undefined) view.parentSpanId = span.parentSpanId;
  if (span.error !== undefined) view.error = span.error;
  const sessionId = span.sessionId ?? trace.summary.sessionId;
  if (sessionId !== undefined) view.sessionId = sessionId;
  const userId = span.userId ?? trace.summary.userId;
  if (userId !== undefined) view.userId = userId;
  return view;
}

/** What the source adds to the state: where the trace is from, and what it knows about it. */
export interface SourceContext {
  sourceLabel?: string;
  notes?: string[];
  loading?: boolean;
  loadError?: string;
}

/**
 * The state as the conversation panel sends it, on the host or in the engine's worker: values cut at
 * `maxAttributeLength`, and a trace of many calls carrying their outline, its cards asked for as they near
 * the screen.
 */
export function buildPanelState(
  trace: Trace | undefined,
  target: ConversationTarget,
  nowMs: number,
  context: SourceContext,
  maxAttributeLength: number,
): ConversationState {
  return buildConversationState(trace, target, nowMs, context, { maxAttributeLength, windowCalls: true });
}

/**
 * The whole state of a conversation panel. A missing trace (cleared, evicted, never seen) yields a state
 * without `trace`, which the webview shows as "no longer in the store".
 */
export function buildConversationState(
  trace: Trace | undefined,
  target: ConversationTarget,
  nowMs: number,
  context: SourceContext = {},
  options: ViewOptions = {},
): ConversationState {
  const safeTarget: ConversationTarget = { traceId: target.traceId };
  if (target.spanId !== undefined) safeTarget.spanId = target.spanId;
  if (target.sourceId !== undefined) safeTarget.sourceId = target.sourceId;
  const extra: Partial<ConversationState> = {};
  if (context.sourceLabel) extra.sourceLabel = context.sourceLabel;
  if (context.notes?.length) extra.notes = context.notes;
  if (context.loading) extra.loading = true;
  if (context.loadError) extra.loadError = context.loadError;
  if (!trace) {
    return { target: safeTarget, calls: [], otherSpanCount: 0, generatedMs: nowMs, ...extra };
  }
  const llmSpans = callSpans(trace).spans;
  const base = {
    target: safeTarget,
    trace: trace.summary,
    otherSpanCount: trace.spans.length - llmSpans.length,
    waterfall: packWaterfall(buildWaterfall(trace)),
    generatedMs: nowMs,
    ...extra,
  };
  if (options.windowCalls && llmSpans.length > WINDOWED_CALLS)
    return { ...base, calls: [], callOutline: callOutline(llmSpans) };
  const calls = llmSpans
    .map((span) => buildCallView(span, trace, options))
    .filter((c): c is CallView => c !== undefined);
  markRepeatedInput(calls);
  return { ...base, calls };
}

interface CallOrder {
  of: readonly Span[];
  length: number;
  spans: Span[];
  index: Map<string, number>;
}

/**
 * A trace's LLM spans in start order and where each is, kept per trace object (a change builds another)
 * so each window of cards a page asks for does not sort the trace again.
 */
const callOrder = new WeakMap<Trace, CallOrder>();

function callSpans(trace: Trace): CallOrder {
  let order = callOrder.get(trace);
  if (!order || order.of !== trace.spans || order.length !== trace.spans.length) {
    // Stable sort: calls that start at the same millisecond keep the store's order.
    const spans = trace.spans
      .map((span, i) => ({ span, i }))
      .filter(({ span }) => span.llm !== undefined)
      .sort((a, b) => a.span.startMs - b.span.startMs || a.i - b.i)
      .map(({ span }) => span);
    const index = new Map(spans.map((s, i) => [s.spanId, i]));
    order = { of: trace.spans, length: trace.spans.length, spans, index };
    callOrder.set(trace, order);
  }
  return order;
}

function callOutline(spans: readonly Span[]): CallOutline {
  const outline: CallOutline = { spanIds: [], messages: [], chars: [] };
  for (const span of spans) {
    const messages = span.llm?.messages ?? [];
    let chars = 0;
    for (const m of messages)
      for (const part of m.parts)
        if (part.type === 'text' || part.type === 'reasoning') chars += part.text.length;
    outline.spanIds.push(span.spanId);
    outline.messages.push(messages.length);
    outline.chars.push(chars);
  }
  return outline;
}

/**
 * The cards of some calls of a trace (those of `spanIds` still in it, in start order), as the state would
 * carry them: what a windowed page asks for as it scrolls. Each looks back at most REPEAT_LOOKBACK calls
 * for the input it repeats, so a window costs its own size whatever the trace's.
 */
export function buildCallCards(
  trace: Trace,
  spanIds: readonly string[],
  options: ViewOptions = {},
): CallView[] {
  const { spans, index } = callSpans(trace);
  const wanted = [...new Set(spanIds)]
    .map((id) => index.get(id))
    .filter((i): i is number => i !== undefined)
    .sort((a, b) => a - b);
  const histories = new Map<number, string[]>();
  const historyOf = (j: number): string[] => {
    let h = histories.get(j);
    if (!h) histories.set(j, (h = conversationKeys((spans[j] as Span).llm as LlmCall)));
    return h;
  };
  const out: CallView[] = [];
  for (const i of wanted) {
    const view = buildCallView(spans[i] as Span, trace, options);
    if (!view) continue;
    const repeat = repeatedInputAt(inputKeys(view.llm), i, historyOf);
    if (repeat) view.repeatedInput = { count: repeat.count, fromSpanId: (spans[repeat.from] as Span).spanId };
    out.push(view);
  }
  return out;
}

/** One span as the waterfall's details pane shows it: attributes and event attributes cut for display. */
export function buildSpanDetails(span: Span, options: ViewOptions = {}): SpanDetails {
  const max = options.maxAttributeLength;
  const details: SpanDetails = {
    spanId: span.spanId,
    name: span.name,
    kind: span.kind,
    service: span.service,
    scope: span.scope,
    startMs: span.startMs,
    durationMs: span.durationMs,
    status: span.status,
    attributes: cutDimensionRows(
      [...attributeRows(span.attributes, 'span'), ...attributeRows(span.resource, 'resource')],
      max,
    ),
    events: span.events.map((e) => ({
      name: e.name,
      offsetMs: e.timeMs - span.startMs,
      attributes: cutDimensionRows(attributeRows(e.attributes, 'span'), max),
    })),
  };
  if (span.parentSpanId !== undefined) details.parentSpanId = span.parentSpanId;
  if (span.error !== undefined) details.error = span.error;
  if (span.llm) details.isLlmCall = true;
  return details;
}

/** How far back a call looks for the call whose conversation it continues; bounds the work on huge traces. */
const REPEAT_LOOKBACK = 8;

function canonicalJson(text: string): string {
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return JSON.stringify(JSON.parse(trimmed));
    } catch {
      // not JSON after all: compare as text
    }
  }
  return trimmed;
}

/**
 * What a part means for "is this the same message again". Ids, origins and reasoning are left out on
 * purpose: an answer read from a `gen_ai.choice` log record comes back in the next request as an
 * assistant message with another origin, often without its reasoning, sometimes without the call id.
 */
function partKey(part: MessagePart): string | undefined {
  switch (part.type) {
    case 'text': {
      const text = part.text.trim();
      return text ? `t:${text}` : undefined;
    }
    case 'reasoning':
      return undefined;
    case 'toolCall':
      return `c:${part.name}:${canonicalJson(part.arguments)}`;
    case 'toolResult':
      return `r:${canonicalJson(part.result)}`;
    case 'media':
      return `m:${part.modality ?? ''}:${part.mimeType ?? ''}:${part.uri ?? ''}`;
    case 'other':
      return `o:${part.kind}:${attrValueToString(part.value)}`;
  }
}

/** What a message means for "is this the same message again" (see partKey). */
export function messageKey(message: Message): string {
  const keys: string[] = [];
  for (const part of message.parts) {
    const key = partKey(part);
    if (key !== undefined) keys.push(key);
  }
  return `${message.role.toLowerCase()}\u0000${keys.join('\u0001')}`;
}

export function commonPrefix(a: readonly string[], b: readonly string[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

function inputKeys(llm: LlmCall): string[] {
  return llm.messages.filter((m) => m.direction === 'input').map(messageKey);
}

/**
 * A call's input followed by its answer: what the next call of the conversation sends again. `inputs`, when
 * given, are its input keys already made.
 */
function conversationKeys(llm: LlmCall, inputs: readonly string[] = inputKeys(llm)): string[] {
  // A call with several choices continues with one of them; the first is the usual one.
  const answer = llm.messages
    .filter((m) => m.direction === 'output' && (m.index === undefined || m.index === 0))
    .map(messageKey);
  return [...inputs, ...answer];
}

/** How many leading `inputs` of call `i` repeat one of the REPEAT_LOOKBACK calls before it; which. */
function repeatedInputAt(
  inputs: readonly string[],
  i: number,
  historyOf: (j: number) => string[],
): { count: number; from: number } | undefined {
  let best = 0;
  let bestIndex = -1;
  for (let j = i - 1; j >= 0 && j >= i - REPEAT_LOOKBACK; j--) {
    const n = commonPrefix(inputs, historyOf(j));
    if (n > best) {
      best = n;
      bestIndex = j;
    }
  }
  return best > 0 && bestIndex >= 0 ? { count: best, from: bestIndex } : undefined;
}

/**
 * Marks, on each call, the leading input messages that repeat an earlier call's input and first answer,
 * so a multi-call trace reads as one conversation instead of the same prompt again and again. Each
 * message is keyed once and each call compared with at most REPEAT_LOOKBACK earlier ones: linear in the
 * size of the trace.
 */
export function markRepeatedInput(calls: CallView[]): void {
  // Each call's input keys are made once: compared here, then part of its history for the calls after it.
  const inputs: string[][] = [];
  const histories: string[][] = [];
  const historyOf = (j: number): string[] => {
    let h = histories[j];
    if (!h) histories[j] = h = conversationKeys((calls[j] as CallView).llm, inputs[j]);
    return h;
  };
  calls.forEach((call, i) => {
    inputs[i] = inputKeys(call.llm);
    const repeat = repeatedInputAt(inputs[i], i, historyOf);
    if (repeat)
      call.repeatedInput = { count: repeat.count, fromSpanId: (calls[repeat.from] as CallView).spanId };
    else delete call.repeatedInput;
  });
}
