// The GenAI normalizer: turns a raw span (and the log records correlated with it) into the domain Span,
// with an LlmCall when the span is a model call, and builds a trace's summary. It reads every generation
// of the conventions; where several forms carry the content of one call it takes, for the input side and
// the output side separately, the first form that has messages, in this order of richness:
//   structured attributes > log records > span events > OpenLLMetry flattened > OpenInference flattened
//   > deprecated gen_ai.prompt/gen_ai.completion JSON attributes > OpenInference input.value/output.value,
// so a message is never shown twice. Nothing here throws: a bad value costs that value, not the span.
//
// Decisions worth knowing:
// - Embedding calls get an `llm` (operation "embeddings") so their model and tokens count and show, but
//   no messages and no `missingContent`: they are not conversations.
// - `convention` names the family the call's attributes belong to: OpenInference markers, else
//   OpenLLMetry-only markers (llm.request.type, flattened gen_ai.prompt.N ...), else 'genai'. Traceloop's
//   SDK from 0.27 on writes the current structured attributes, so its calls read as 'genai'.
// - Trace usage sums LLM-call spans only, and skips an LLM-call span that has an LLM-call descendant:
//   frameworks (LangChain under OpenLLMetry, agent spans) repeat their children's usage on the parent.
//   The trace's cost sums the same calls, so a call is never paid for twice.
// - Each call's cost is read with its usage, at ingest (core/pricing.ts), so outlines and the summary carry
//   it; a price setting that changes swaps the normalizer, and the store reads every outline again.

import type { Normalizer, SpanOutline } from '../store';
import type {
  CallCost,
  Cost,
  CostBasis,
  LlmCall,
  Message,
  MissingContentReason,
  Span,
  SpanEventView,
  TraceSummary,
  Usage,
} from '../model';
import { addUsage } from '../model';
import { createPriceTable, priceCall, type PriceTable, type PricingSettings } from '../pricing';
import {
  EVENT_NAME_ATTRIBUTE,
  type Attributes,
  type LogRecordData,
  type SpanEventRecord,
  type SpanRecord,
} from '../records';
import { dimensionKeys, readDimension, type DimensionKeys } from './dimensions';
import { claimEvaluations, evaluationEvents, linkEvaluations } from './evaluations';
import {
  eventSource,
  isContentEventName,
  lastUserMessage,
  markTextCut,
  providerMessageList,
  structuredSource,
  type ContentEvent,
  type Cuts,
  type MessageSource,
} from './genaiMessages';
import {
  groupFlattened,
  hasFlattened,
  openInferenceSource,
  openLlmetrySource,
  toolDefinitions,
  type FlattenedGroups,
} from './flattened';
import {
  Errors,
  GenAi,
  GenAiEvents,
  LogEmittingScopePrefixes,
  OpenInference,
  Operations,
  Resource,
  Traceloop,
} from './keys';
import {
  hasUsage,
  readFinishReasons,
  readModelFacts,
  readParameters,
  readStreaming,
  readUsage,
} from './usage';
import { asString, firstPresent, nanosToMs, readStructured } from './values';

export interface NormalizeOptions {
  /** Attribute names that hold a session id, tried before the conventions' own names. */
  sessionAttributes?: readonly string[];
  /** Attribute names that hold a user id, tried before the conventions' own names. */
  userAttributes?: readonly string[];
  /** The user's price entries and Azure deployments, over the shipped price table. */
  pricing?: PricingSettings;
}

export function createNormalizer(options: NormalizeOptions = {}): Normalizer {
  const keys = dimensionKeys(options.sessionAttributes, options.userAttributes);
  const prices = createPriceTable(options.pricing);
  return {
    span: (record, logs) => normalizeSpan(record, logs, keys, prices),
    outline: (record, logs, wantPreview) => {
      const light: Light = { wantPreview };
      const span = normalizeSpan(record, logs, keys, prices, light);
      const out: SpanOutline = { span, previewRead: light.previewRead === true };
      if (light.preview !== undefined) out.preview = light.preview;
      return out;
    },
    isCall: (record) => {
      try {
        return classify(record.attributes ?? {}) !== undefined;
      } catch {
        return false; // as the outline, whose call is left out when its reader fails
      }
    },
    trace: (traceId, spans, updatedMs, previewOf) => summarizeTrace(traceId, spans, updatedMs, previewOf),
    order: orderSpans,
  };
}

/**
 * How an outline is read: no messages, tool definitions or parameters, but what a list and the tree show.
 * The content is read only where a fact of the outline lives nowhere else: the question a trace asked
 * (only for the call `wantPreview` picks, by its start) and the finish reasons when no attribute has them.
 */
interface Light {
  wantPreview: (startMs: number) => boolean;
  previewRead?: boolean;
  preview?: string;
}

/** The `event.name` attribute, for log records whose event name did not travel in the dedicated field. */
const UNKNOWN_SERVICE = 'unknown_service';

const SPAN_KINDS: readonly Span['kind'][] = [
  'unspecified',
  'internal',
  'server',
  'client',
  'producer',
  'consumer',
];

// ---------------------------------------------------------------------------------------------------
// Spans

function normalizeSpan(
  record: SpanRecord,
  logs: readonly LogRecordData[],
  keys: DimensionKeys,
  prices: PriceTable,
  light?: Light,
): Span {
  const attributes = record.attributes ?? {};
  const resource = record.resource ?? {};
  const startMs = nanosToMs(record.startTimeUnixNano);
  const endMs = nanosToMs(record.endTimeUnixNano);
  const span: Span = {
    traceId: record.traceId.toLowerCase(),
    spanId: record.spanId.toLowerCase(),
    name: record.name || '(unnamed)',
    kind: SPAN_KINDS[record.kind] ?? 'unspecified',
    startMs,
    durationMs: endMs > startMs ? endMs - startMs : 0,
    status: statusOf(record.status),
    service: asString(resource[Resource.serviceName]) ?? UNKNOWN_SERVICE,
    scope: record.scope?.name ?? '',
    attributes,
    resource,
    events: record.events?.length ? record.events.map(eventView) : NO_EVENT_VIEWS,
  };
  if (record.parentSpanId) span.parentSpanId = record.parentSpanId.toLowerCase();
  // Each fact is read on its own: a reader that fails on what a sender wrote leaves that fact out, not
  // the span.
  const sessionId = attempt(readDimension, attributes, resource, keys.session);
  if (sessionId !== undefined) span.sessionId = sessionId;
  const userId = attempt(readDimension, attributes, resource, keys.user);
  if (userId !== undefined) span.userId = userId;
  const error = attempt(readError, record, span.status, logs);
  if (error) span.error = error;
  let llm: LlmCall | undefined;
  try {
    llm = readLlmCall(record, logs, light, startMs);
  } catch {
    // left out
  }
  if (llm) {
    const cost = attempt(callCost, llm, prices);
    if (cost) llm.cost = cost;
    span.llm = llm;
  }
  if ((record.events?.length ?? 0) > 0 || logs.length > 0) attempt(readEvaluations, span, record, logs);
  return span;
}

/** The response's model is the more exact name (an Azure deployment's model, a dated snapshot). */
function readEvaluations(span: Span, record: SpanRecord, logs: readonly LogRecordData[]): void {
  claimEvaluations(span, evaluationEvents(record.events, logs));
}

function callCost(llm: LlmCall, prices: PriceTable): CallCost | undefined {
  const models: string[] = [];
  if (llm.responseModel) models.push(llm.responseModel);
  if (llm.requestModel && llm.requestModel !== llm.responseModel) models.push(llm.requestModel);
  return priceCall(prices, llm.usage, models);
}

function statusOf(status: SpanRecord['status'] | undefined): Span['status'] {
  const code = status?.code === 2 ? 'error' : status?.code === 1 ? 'ok' : 'unset';
  const out: Span['status'] = { code };
  if (status?.message) out.message = status.message;
  return out;
}

/** Most spans have no events: they share one empty list, which nothing adds to. */
const NO_EVENT_VIEWS = Object.freeze([]) as unknown as SpanEventView[];

function eventView(e: SpanEventRecord): SpanEventView {
  return { name: e.name, timeMs: nanosToMs(e.timeUnixNano), attributes: e.attributes ?? {} };
}

/** Set when the span failed: status error or `error.type`; exception events and logs fill in the details. */
function readError(
  record: SpanRecord,
  status: Span['status'],
  logs: readonly LogRecordData[],
): Span['error'] | undefined {
  const errorType = meaningful(record.attributes[Errors.errorType]);
  if (status.code !== 'error' && errorType === undefined) return undefined;
  const out: NonNullable<Span['error']> = {};
  let exception: Attributes | undefined = record.events?.find(
    (e) => e.name === Errors.exceptionEvent,
  )?.attributes;
  if (!exception) exception = logs.find((l) => eventNameOf(l) === GenAiEvents.operationException)?.attributes;
  const httpStatus = asString(firstPresent(record.attributes, Errors.httpStatusCode));
  const type = errorType ?? meaningful(exception?.[Errors.exceptionType]) ?? httpStatus;
  if (type !== undefined) out.type = type;
  const message = meaningful(status.message) ?? meaningful(exception?.[Errors.exceptionMessage]);
  if (message !== undefined) out.message = message;
  return out;
}

/**
 * A string that says something: JavaScript instrumentations sometimes stringify what they could not read
 * (Azure's sets the status message "[object Object]" and error.type "undefined").
 */
function meaningful(v: unknown): string | undefined {
  const s = asString(v);
  if (s === undefined) return undefined;
  const t = s.trim();
  return t === '' || t === 'undefined' || t === 'null' || t === '[object Object]' ? undefined : t;
}

// ---------------------------------------------------------------------------------------------------
// LLM calls

type CallKind = 'llm' | 'embedding';

function readLlmCall(
  record: SpanRecord,
  logs: readonly LogRecordData[],
  light: Light | undefined,
  startMs: number,
): LlmCall | undefined {
  const attrs = record.attributes;
  const groups = groupFlattened(attrs);
  const kind = classify(attrs, groups);
  if (!kind) return undefined;
  const facts = readModelFacts(attrs);
  const call: LlmCall = {
    convention: conventionOf(attrs, groups),
    messages: [],
    toolDefinitions: [],
    usage: readUsage(attrs),
    finishReasons: readFinishReasons(attrs),
    parameters: light ? {} : (attempt(readParameters, attrs) ?? {}),
    ...facts,
  };
  if (kind === 'embedding' && !call.operation) call.operation = Operations.embedding[0];
  const streaming = attempt(readStreaming, attrs);
  if (streaming !== undefined) call.isStreaming = streaming;
  if (kind === 'embedding') return call;
  if (light) {
    call.contentPending = true;
    const wantPreview = light.wantPreview(startMs);
    if (!wantPreview && call.finishReasons.length > 0) return call;
    // With its finish reasons known, only the question is wanted, often the last message sent alone.
    if (wantPreview && call.finishReasons.length > 0) {
      const quick = quickPreview(record);
      if (quick !== undefined) {
        light.previewRead = true;
        light.preview = quick;
        return call;
      }
    }
    const content = selectMessages(record, logs, groups, call.finishReasons.length > 0);
    if (call.finishReasons.length === 0) call.finishReasons = content.finishReasons;
    if (wantPreview) {
      light.previewRead = true;
      const preview = previewOfMessages(content.messages);
      if (preview !== undefined) light.preview = preview;
    }
    return call;
  }

  call.toolDefinitions = attempt(toolDefinitions, attrs, groups) ?? [];
  const content = selectMessages(record, logs, groups);
  call.messages = content.messages;
  if (call.finishReasons.length === 0) call.finishReasons = content.finishReasons;
  assignFinishReasons(call);
  if (call.messages.length === 0) call.missingContent = missingReason(record, logs, content.unreadable);
  return call;
}

/**
 * The question from the last message sent alone, when that is the user's and says something: what
 * reading gen_ai.input.messages whole would give (it is the first source read, and a user message with
 * text is the last one the preview looks for), for a fraction of the parse. Undefined to read it whole.
 */
function quickPreview(record: SpanRecord): string | undefined {
  const text = record.attributes[GenAi.inputMessages];
  if (typeof text !== 'string' || record.truncated?.[GenAi.inputMessages] !== undefined) return undefined;
  try {
    const message = lastUserMessage(text);
    return message ? previewOfMessages([message]) : undefined;
  } catch {
    return undefined; // read whole, where a reader that fails passes on to the next source
  }
}

/**
 * OpenInference and some others report finish reasons for the span only; when there is one per output
 * message and no message has its own, they are given to the messages in choice order.
 */
function assignFinishReasons(call: LlmCall): void {
  const outputs = call.messages.filter((m) => m.direction === 'output');
  if (
    outputs.length === 0 ||
    outputs.length !== call.finishReasons.length ||
    outputs.some((m) => m.finishReason)
  )
    return;
  outputs.forEach((m, i) => (m.finishReason = call.finishReasons[i]));
}

/** The flattened forms of messages: a span with any of them is a call. */
const MESSAGE_GROUPS = [
  Traceloop.promptPrefix,
  Traceloop.completionPrefix,
  OpenInference.inputMessagesPrefix,
  OpenInference.outputMessagesPrefix,
] as const;

/** What kind of call the span is; `groups` when they are built already, else looked for as needed. */
function classify(attrs: Attributes, groups?: FlattenedGroups): CallKind | undefined {
  const op = asString(attrs[GenAi.operationName])?.toLowerCase();
  if (op !== undefined) {
    if ((Operations.llm as readonly string[]).includes(op)) return 'llm';
    if ((Operations.embedding as readonly string[]).includes(op)) return 'embedding';
    if (
      (Operations.tool as readonly string[]).includes(op) ||
      (Operations.agent as readonly string[]).includes(op)
    )
      return undefined;
  }
  const oiKind = asString(attrs[OpenInference.spanKind])?.toUpperCase();
  if (oiKind !== undefined) {
    if (oiKind === 'LLM') return 'llm';
    if (oiKind === 'EMBEDDING') return 'embedding';
    // CHAIN, AGENT, TOOL ... often repeat their children's model and usage: they are not calls.
    return undefined;
  }
  const requestType = asString(attrs[Traceloop.requestType])?.toLowerCase();
  if (requestType !== undefined) {
    if (requestType === 'chat' || requestType === 'completion') return 'llm';
    if (requestType.startsWith('embedding')) return 'embedding';
  }
  // Workflow, task, agent and tool spans of OpenLLMetry carry aggregates, never a call of their own.
  if (attrs[Traceloop.spanKind] !== undefined) return undefined;
  if (
    attrs[GenAi.inputMessages] !== undefined ||
    attrs[GenAi.outputMessages] !== undefined ||
    (groups
      ? MESSAGE_GROUPS.some((prefix) => groups[prefix] !== undefined)
      : hasFlattened(attrs, MESSAGE_GROUPS))
  ) {
    return 'llm';
  }
  const model = attrs[GenAi.requestModel] ?? attrs[GenAi.responseModel] ?? attrs[OpenInference.modelName];
  if (model !== undefined && hasUsage(readUsage(attrs))) return 'llm';
  return undefined;
}

function conventionOf(attrs: Attributes, groups: FlattenedGroups): LlmCall['convention'] {
  if (
    attrs[OpenInference.spanKind] !== undefined ||
    groups[OpenInference.inputMessagesPrefix] ||
    groups[OpenInference.outputMessagesPrefix]
  ) {
    return 'openinference';
  }
  if (
    attrs[Traceloop.requestType] !== undefined ||
    attrs[Traceloop.isStreaming] !== undefined ||
    groups[Traceloop.promptPrefix] ||
    groups[Traceloop.completionPrefix] ||
    groups[Traceloop.functionsPrefix]
  ) {
    return 'openllmetry';
  }
  return 'genai';
}

interface SelectedContent {
  messages: Message[];
  finishReasons: string[];
  unreadable: boolean;
}

/** The message sources, in order of richness: each side takes the first that has messages for it. */
const MESSAGE_SOURCES = 7;

function readSource(
  source: number,
  record: SpanRecord,
  logs: readonly LogRecordData[],
  groups: FlattenedGroups,
  cuts: Cuts,
  inputOnly: boolean,
): MessageSource | undefined {
  const attrs = record.attributes;
  switch (source) {
    case 0:
      return hasAny(attrs, STRUCTURED_KEYS)
        ? structuredSource(attrs, 'attribute', undefined, cuts, inputOnly)
        : undefined;
    case 1:
      return logs.length ? eventSource(logEvents(logs)) : undefined;
    case 2:
      return record.events?.length ? eventSource(spanEvents(record.events)) : undefined;
    case 3:
      return groups[Traceloop.promptPrefix] || groups[Traceloop.completionPrefix]
        ? openLlmetrySource(groups, cuts)
        : undefined;
    case 4:
      return groups[OpenInference.inputMessagesPrefix] || groups[OpenInference.outputMessagesPrefix]
        ? openInferenceSource(groups, cuts)
        : undefined;
    case 5:
      return legacyAttributeSource(attrs, cuts);
    default:
      return ioValueSource(attrs, cuts);
  }
}

/**
 * Sources are computed lazily in order of richness; the input side and the output side each take the
 * first source that has messages for them.
 */
function selectMessages(
  record: SpanRecord,
  logs: readonly LogRecordData[],
  groups: FlattenedGroups,
  /** Only the messages sent are wanted (a preview): the first source with them is enough. */
  inputOnly = false,
): SelectedContent {
  // Values the source saw cut on the way (at an SDK's or exporter's length limit): the
  // messages read from them say so, and where.
  const cuts: Cuts = record.truncated ?? {};
  let input: Message[] | undefined;
  let output: Message[] | undefined;
  let finishReasons: string[] | undefined;
  let anyFinishReasons: string[] | undefined;
  let unreadable = false;
  for (let source = 0; source < MESSAGE_SOURCES; source++) {
    let s: MessageSource | undefined;
    try {
      s = readSource(source, record, logs, groups, cuts, inputOnly);
    } catch {
      // A source that fails on what a sender wrote is passed over; the next may have the messages.
    }
    if (!s) continue;
    unreadable ||= s.unreadable;
    const inputs = nonEmpty(s.input);
    const outputs = nonEmpty(s.output);
    if (!input && inputs.length) input = inputs;
    if (!output && outputs.length) {
      output = outputs;
      finishReasons = s.finishReasons;
    }
    // A choice whose content was not captured still tells why the model stopped.
    if (!anyFinishReasons && s.finishReasons.length) anyFinishReasons = s.finishReasons;
    if (input && (output || inputOnly)) break;
  }
  return {
    messages: [...(input ?? []), ...(output ?? [])],
    finishReasons: finishReasons?.length ? finishReasons : (anyFinishReasons ?? []),
    unreadable,
  };
}

const STRUCTURED_KEYS = [GenAi.inputMessages, GenAi.outputMessages, GenAi.systemInstructions] as const;

function hasAny(attrs: Attributes, keys: readonly string[]): boolean {
  return keys.some((k) => attrs[k] !== undefined && attrs[k] !== null);
}

function nonEmpty(messages: Message[]): Message[] {
  return messages.some((m) => m.parts.length === 0) ? messages.filter((m) => m.parts.length > 0) : messages;
}

function eventNameOf(log: LogRecordData): string | undefined {
  return log.eventName || asString(log.attributes?.[EVENT_NAME_ATTRIBUTE]);
}

function logEvents(logs: readonly LogRecordData[]): ContentEvent[] {
  const out: ContentEvent[] = [];
  for (const log of logs) {
    const name = eventNameOf(log);
    if (!isContentEventName(name)) continue;
    const body = readBody(log.body);
    const event: ContentEvent = {
      name: name!,
      body: body.value,
      bodyComplete: body.complete,
      attributes: log.attributes ?? {},
      origin: 'logRecord',
    };
    // A cut the source saw shows in what was read unless the body still parsed as whole JSON (then the
    // size at the limit was a coincidence: JSON cut short does not parse).
    const parsedWhole = body.complete && body.value !== log.body;
    if (log.truncatedBody && typeof log.body === 'string' && !parsedWhole) event.cut = log.truncatedBody;
    if (log.truncated) event.attributeCuts = log.truncated;
    out.push(event);
  }
  return out;
}

function spanEvents(events: readonly SpanEventRecord[]): ContentEvent[] {
  const out: ContentEvent[] = [];
  for (const e of events) {
    if (!isContentEventName(e.name)) continue;
    const attrs = e.attributes ?? {};
    // Azure AI Inference and Semantic Kernel put the event body as JSON into gen_ai.event.content; others
    // spread it over the event's attributes.
    const packed = attrs[GenAi.eventContent];
    const body = packed !== undefined ? readBody(packed) : { value: unpackedBody(attrs), complete: true };
    out.push({
      name: e.name,
      body: body.value,
      bodyComplete: body.complete,
      attributes: attrs,
      origin: 'spanEvent',
    });
  }
  return out;
}

/** Span-event attributes as an event body; nested fields that could only travel as JSON text are parsed. */
function unpackedBody(attrs: Attributes): Record<string, unknown> {
  const body: Record<string, unknown> = { ...attrs };
  for (const k of ['tool_calls', 'message']) {
    const v = body[k];
    if (typeof v === 'string') {
      const s = readStructured(v);
      if (s) body[k] = s.value;
    }
  }
  return body;
}

function readBody(body: unknown): { value: unknown; complete: boolean } {
  if (typeof body === 'string') {
    const s = readStructured(body, true);
    return s ?? { value: body, complete: false };
  }
  return { value: body, complete: true };
}

/** The deprecated whole-conversation JSON attributes gen_ai.prompt / gen_ai.completion. */
function legacyAttributeSource(attrs: Attributes, cuts: Cuts): MessageSource | undefined {
  const prompt = attrs[GenAi.prompt];
  const completion = attrs[GenAi.completion];
  if ((prompt === undefined || prompt === null) && (completion === undefined || completion === null))
    return undefined;
  const p = providerMessageList(
    prompt,
    'input',
    { origin: 'attribute', originName: GenAi.prompt },
    cuts[GenAi.prompt],
  );
  const c = providerMessageList(
    completion,
    'output',
    { origin: 'attribute', originName: GenAi.completion },
    cuts[GenAi.completion],
  );
  return {
    input: p.messages,
    output: c.messages,
    finishReasons: c.messages.map((m) => m.finishReason).filter((r): r is string => !!r),
    unreadable: p.unreadable || c.unreadable,
  };
}

/**
 * OpenInference input.value / output.value: a request or response body (JSON with messages or choices)
 * or plain text. Only reached when no richer form had messages.
 */
function ioValueSource(attrs: Attributes, cuts: Cuts): MessageSource | undefined {
  const input = attrs[OpenInference.inputValue];
  const output = attrs[OpenInference.outputValue];
  if ((input === undefined || input === null) && (output === undefined || output === null)) return undefined;
  const inRead = ioMessages(input, 'input', OpenInference.inputValue, cuts);
  const outRead = ioMessages(output, 'output', OpenInference.outputValue, cuts);
  return {
    input: inRead,
    output: outRead,
    finishReasons: outRead.map((m) => m.finishReason).filter((r): r is string => !!r),
    unreadable: false,
  };
}

function ioMessages(value: unknown, direction: Message['direction'], key: string, cuts: Cuts): Message[] {
  if (value === undefined || value === null) return [];
  const ctx = { origin: 'ioValue' as const, originName: key };
  const r = providerMessageList(value, direction, ctx, cuts[key]);
  const usable = r.messages.filter((m) => m.parts.length > 0);
  if (usable.length) return usable;
  // Some other JSON (a chain's inputs): show it as text rather than nothing.
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (!text) return [];
  const message: Message = {
    role: direction === 'input' ? 'user' : 'assistant',
    direction,
    parts: [{ type: 'text', text }],
    origin: 'ioValue',
    originName: key,
  };
  return markTextCut({ messages: [message], unreadable: false }, cuts[key]).messages;
}

function missingReason(
  record: SpanRecord,
  logs: readonly LogRecordData[],
  unreadable: boolean,
): MissingContentReason {
  if (unreadable) return 'truncated';
  const scope = record.scope?.name ?? '';
  if (logs.length === 0 && LogEmittingScopePrefixes.some((p) => scope.startsWith(p)))
    return 'logsNotExported';
  return 'captureDisabled';
}

// ---------------------------------------------------------------------------------------------------
// Traces

const PREVIEW_CHARS = 160;

/**
 * What the turn asked: the last user message sent to the first LLM call that carries content, on one line.
 * Traces of one app usually share a root span name; this is what tells them apart in a list.
 */
function askedPreview(
  spans: readonly Span[],
  previewOf: ((span: Span) => string | undefined) | undefined,
): string | undefined {
  for (const s of spans) {
    if (!s.llm) continue;
    const preview = previewOf ? previewOf(s) : previewOfMessages(s.llm.messages);
    if (preview !== undefined) return preview;
  }
  return undefined;
}

/** The last user message sent to one call, on one line and cut short; undefined when it asked nothing. */
/** How much of each text the preview reads: enough for PREVIEW_CHARS after whitespace is folded. */
const PREVIEW_SCAN_CHARS = 8192;

/** White space other than a single space: a space after another, or any other white-space character. */
const UNEVEN_SPACE = /[^\S ]| {2}/;

function previewOfMessages(messages: readonly Message[]): string | undefined {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.direction !== 'input' || m.role !== 'user') continue;
    // Only the beginning of each text is looked at: a message of megabytes must not be copied whole.
    let cut = false;
    const joined = m.parts
      .map((p) => {
        if (p.type !== 'text') return '';
        if (p.text.length <= PREVIEW_SCAN_CHARS) return p.text;
        cut = true;
        return p.text.slice(0, PREVIEW_SCAN_CHARS);
      })
      .join(' ');
    // Runs of white space become one space; most questions have none but single spaces, and stay as they are.
    const text = (UNEVEN_SPACE.test(joined) ? joined.replace(/\s+/g, ' ') : joined).trim();
    if (text) return text.length > PREVIEW_CHARS || cut ? `${text.slice(0, PREVIEW_CHARS - 1)}…` : text;
  }
  return undefined;
}

/** By start (a stable sort: spans of the same millisecond keep their arrival order), evaluations joined. */
function orderSpans(input: Span[]): Span[] {
  return linkEvaluations(
    input
      .map((s, i) => ({ s, i }))
      .sort((a, b) => a.s.startMs - b.s.startMs || a.i - b.i)
      .map(({ s }) => s),
  );
}

function summarizeTrace(
  traceId: string,
  input: Span[],
  updatedMs: number,
  previewOf?: (span: Span) => string | undefined,
): { summary: TraceSummary; spans: Span[] } {
  const spans = orderSpans(input);
  const byId = new Map<string, Span>();
  for (const s of spans) byId.set(s.spanId, s);

  let root: Span | undefined;
  for (const s of spans) {
    if (!s.parentSpanId || !byId.has(s.parentSpanId)) {
      root = s;
      break;
    }
  }
  const first = root ?? spans[0];

  let startMs = Number.POSITIVE_INFINITY;
  let endMs = Number.NEGATIVE_INFINITY;
  let llmCallCount = 0;
  let toolCallCount = 0;
  let errorCount = 0;
  const models: string[] = [];
  const seenModels = new Set<string>();
  for (const s of spans) {
    // A span without a start time (0) would stretch the trace back to 1970.
    if (s.startMs > 0 || spans.length === 1) {
      startMs = Math.min(startMs, s.startMs);
      endMs = Math.max(endMs, s.startMs + s.durationMs);
    }
    if (s.status.code === 'error' || s.error) errorCount++;
    if (isToolExecution(s)) toolCallCount++;
    if (s.llm) {
      llmCallCount++;
      const model = s.llm.responseModel ?? s.llm.requestModel;
      if (model && !seenModels.has(model)) {
        seenModels.add(model);
        models.push(model);
      }
    }
  }
  if (!Number.isFinite(startMs)) {
    startMs = first?.startMs ?? 0;
    endMs = startMs;
  }

  const billed = billedCalls(spans, byId);
  let usage: Usage = {};
  for (const call of billed) usage = addUsage(usage, call.usage);
  const summary: TraceSummary = {
    traceId,
    name: first?.name ?? traceId,
    service: first?.service ?? UNKNOWN_SERVICE,
    startMs,
    durationMs: Math.max(0, endMs - startMs),
    spanCount: spans.length,
    llmCallCount,
    toolCallCount,
    errorCount,
    models: models.slice(), // sized to its models: the pushed array keeps room for 17
    usage,
    hasError: errorCount > 0,
    updatedMs,
  };
  const cost = traceCost(billed);
  if (cost) {
    summary.cost = cost.cost;
    summary.costBasis = cost.basis;
  }
  if (root) summary.rootSpanId = root.spanId;
  const preview = askedPreview(spans, previewOf);
  if (preview !== undefined) summary.preview = preview;
  const sessionId = first?.sessionId ?? spans.find((s) => s.sessionId !== undefined)?.sessionId;
  if (sessionId !== undefined) summary.sessionId = sessionId;
  const userId = first?.userId ?? spans.find((s) => s.userId !== undefined)?.userId;
  if (userId !== undefined) summary.userId = userId;
  return { summary, spans };
}

/** A span that ran a tool, by any convention's marker (not a tool call the model only asked for). */
function isToolExecution(s: Span): boolean {
  const a = s.attributes;
  return (
    (Operations.tool as readonly unknown[]).includes(a[GenAi.operationName]) ||
    a[OpenInference.spanKind] === 'TOOL' ||
    a[Traceloop.spanKind] === 'tool'
  );
}

/** The calls' cost summed, and which entries priced them; undefined when no call had tokens to bill. */
function traceCost(calls: readonly LlmCall[]): { cost: Cost; basis: CostBasis } | undefined {
  const cost: Cost = { usd: 0, pricedCalls: 0, unpricedCalls: 0 };
  const basis: CostBasis = { entries: [], unpricedModels: [] };
  const seen = new Set<string>();
  for (const call of calls) {
    const c = call.cost;
    if (!c) continue;
    if (c.priced) {
      cost.usd += c.usd;
      cost.pricedCalls++;
      const key = `${c.entry.source}\u0000${c.entry.id}`;
      if (!seen.has(key)) {
        seen.add(key);
        basis.entries.push(c.entry);
      }
    } else {
      cost.unpricedCalls++;
      for (const m of c.models) if (!basis.unpricedModels.includes(m)) basis.unpricedModels.push(m);
    }
  }
  if (cost.pricedCalls + cost.unpricedCalls === 0) return undefined;
  return { cost, basis: sharedBasis(basis, seen) };
}

/**
 * One object for each distinct basis: nearly every trace of an app is priced by the same entry or two, and a
 * store of 100k traces would otherwise keep 100k copies of it. Shared, so never changed after this.
 */
const BASES = new Map<string, CostBasis>();
const MAX_BASES = 1000;

function sharedBasis(basis: CostBasis, entryKeys: Set<string>): CostBasis {
  const key = `${[...entryKeys].join('\u0001')}\u0002${basis.unpricedModels.join('\u0001')}`;
  let shared = BASES.get(key);
  if (!shared) {
    if (BASES.size >= MAX_BASES) BASES.clear();
    // Sized to what they hold: arrays grown by pushes keep room for 17.
    shared = { entries: basis.entries.slice(), unpricedModels: basis.unpricedModels.slice() };
    BASES.set(key, shared);
  }
  return shared;
}

/**
 * The LLM calls whose usage is the trace's: those of spans with no LLM-call descendant. Each LLM call marks
 * its ancestors once (a walk stops at the first ancestor already marked), so this stays linear in the span
 * count.
 */
function billedCalls(spans: readonly Span[], byId: ReadonlyMap<string, Span>): LlmCall[] {
  const hasLlmDescendant = new Set<string>();
  for (const s of spans) {
    if (!s.llm) continue;
    let parentId = s.parentSpanId;
    while (parentId && !hasLlmDescendant.has(parentId)) {
      const parent = byId.get(parentId);
      if (!parent) break;
      hasLlmDescendant.add(parentId);
      parentId = parent.parentSpanId;
    }
  }
  const calls: LlmCall[] = [];
  for (const s of spans) if (s.llm && !hasLlmDescendant.has(s.spanId)) calls.push(s.llm);
  return calls;
}

// ---------------------------------------------------------------------------------------------------

/**
 * A reader's result, or undefined when it throws on what a sender wrote. The reader and its arguments are
 * passed, not a closure: this runs several times for every span received.
 */
function attempt<R, A, B = undefined, C = undefined>(
  read: (a: A, b: B, c: C) => R,
  a: A,
  b?: B,
  c?: C,
): R | undefined {
  try {
    return read(a, b as B, c as C);
  } catch {
    return undefined;
  }
}
