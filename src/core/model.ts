// The domain model every view reads: traces made of spans, some of which are LLM calls with a
// conversation, usage and dimensions. It is plain, JSON-serialisable data (no classes, no Maps) so the
// host can hand it to the webview unchanged. Which source the data came from is recorded, never relied on.

import type { AttrValue, Attributes, Truncation } from './records';

export type SourceKind = 'otlp' | 'file' | 'appInsights';

/** Where a message was read from, shown next to each message. */
export type MessageOrigin =
  | 'attribute' // gen_ai.input.messages / gen_ai.output.messages / gen_ai.system_instructions
  | 'flattenedAttribute' // gen_ai.prompt.N.* / llm.input_messages.N.* and friends
  | 'spanEvent' // gen_ai.user.message, gen_ai.choice ... as span events
  | 'logRecord' // the same events sent as OTLP log records
  | 'ioValue'; // OpenInference input.value / output.value when nothing richer exists

export type MessagePart =
  | { type: 'text'; text: string }
  | { type: 'reasoning'; text: string }
  | { type: 'toolCall'; id?: string; name: string; arguments: string }
  | { type: 'toolResult'; id?: string; name?: string; result: string }
  /** `size` is in bytes; a data: URI is kept as mimeType + size only. `fileId`: a provider-uploaded file. */
  | { type: 'media'; modality?: string; mimeType?: string; uri?: string; size?: number; fileId?: string }
  | { type: 'other'; kind: string; value: AttrValue };

export interface Message {
  role: string;
  /** 'input' for what was sent to the model, 'output' for what it answered. */
  direction: 'input' | 'output';
  parts: MessagePart[];
  origin: MessageOrigin;
  /** The attribute, event or log name the message came from, e.g. `gen_ai.input.messages`. */
  originName: string;
  name?: string;
  finishReason?: string;
  /** Choice index for output messages. */
  index?: number;
  /** True when the value it came from was visibly cut (invalid JSON, a known truncation marker). */
  truncated?: boolean;
  /**
   * Where the value it came from was cut, when the source knew (e.g. an exporter's 262,144-byte limit).
   * Set only together with `truncated`; the message holds what arrived before the cut and nothing more.
   */
  truncatedAt?: Truncation;
}

export interface Usage {
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
  /** Input tokens read from the provider's prompt cache (billed at the cached price). */
  cachedInputTokens?: number;
  /** Input tokens written to the prompt cache (Anthropic's cache creation). */
  cacheCreationInputTokens?: number;
  reasoningTokens?: number;
}

export interface ToolDefinition {
  name: string;
  description?: string;
  parameters?: string;
}

/** Why an LLM call has no message content, so the view can say something useful instead of nothing. */
export type MissingContentReason =
  | 'captureDisabled' // the instrumentation did not record content (its capture switch is off)
  | 'logsNotExported' // the instrumentation sends content as log records; none arrived for this span
  | 'truncated'; // the content attribute was cut upstream and could not be parsed

export interface LlmCall {
  /** Which convention family the call was read with (for the "read as" note and tests). */
  convention: 'genai' | 'openllmetry' | 'openinference';
  provider?: string;
  operation?: string;
  requestModel?: string;
  responseModel?: string;
  responseId?: string;
  messages: Message[];
  toolDefinitions: ToolDefinition[];
  usage: Usage;
  finishReasons: string[];
  /** Request parameters such as temperature, max_tokens, top_p, stream. */
  parameters: Record<string, AttrValue>;
  missingContent?: MissingContentReason;
  isStreaming?: boolean;
  /** What the call cost from the price table; absent when it reported no tokens. */
  cost?: CallCost;
  /** `gen_ai.evaluation.result` events about this call, in the order they were sent; absent when none. */
  evaluations?: Evaluation[];
  /**
   * Set on the calls of a trace outline (TraceStore.getOutline): messages, tool definitions and parameters
   * were not read yet, so their emptiness says nothing; the whole trace (getTrace) has them.
   */
  contentPending?: true;
}

/** An evaluator's verdict on an LLM call (relevance, correctness ...): a score, a label, or both. */
export interface Evaluation {
  name: string;
  score?: number;
  label?: string;
  explanation?: string;
}

export interface SpanStatus {
  code: 'unset' | 'ok' | 'error';
  message?: string;
}

export interface SpanEventView {
  name: string;
  timeMs: number;
  attributes: Attributes;
}

export interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: 'unspecified' | 'internal' | 'server' | 'client' | 'producer' | 'consumer';
  /** Unix epoch milliseconds (fractional). */
  startMs: number;
  durationMs: number;
  status: SpanStatus;
  service: string;
  scope: string;
  attributes: Attributes;
  resource: Attributes;
  events: SpanEventView[];
  /** Present when the span is an LLM call. */
  llm?: LlmCall;
  /** From this span's own attributes; the trace fills the gaps (see TraceSummary). */
  sessionId?: string;
  userId?: string;
  error?: { type?: string; message?: string };
}

export interface Trace {
  traceId: string;
  source: SourceKind;
  /** Spans ordered by start time. */
  spans: Span[];
  summary: TraceSummary;
}

export interface TraceSummary {
  traceId: string;
  rootSpanId?: string;
  /** The root span's name, or the earliest span's when the root has not arrived. */
  name: string;
  service: string;
  startMs: number;
  durationMs: number;
  spanCount: number;
  llmCallCount: number;
  models: string[];
  usage: Usage;
  hasError: boolean;
  /** The last user message of the trace's first LLM call with content, on one line and cut short. */
  preview?: string;
  sessionId?: string;
  userId?: string;
  /** When the store last changed this trace (ms): used for "live" ordering and ages. */
  updatedMs: number;
  /** Spans the store did not keep because the trace already held its limit of spans. */
  droppedSpans?: number;
  /** What the trace's LLM calls cost, from the price table; absent when no call had tokens. */
  cost?: Cost;
  /** The price entries behind `cost` and the models that had none; set together with `cost`. */
  costBasis?: CostBasis;
  /**
   * Tool executions: spans that ran a tool (`gen_ai.operation.name` execute_tool, OpenInference TOOL,
   * OpenLLMetry `traceloop.span.kind` tool). Tool calls a model only asked for are not counted: they are in
   * the message content, which a summary is built without.
   */
  toolCallCount: number;
  /** Spans that failed: status ERROR, or an `error.type` (what `hasError` says of the trace). */
  errorCount: number;
}

/** What some LLM calls cost in US dollars, summed over calls (a trace, a session, a user, a model). */
export interface Cost {
  /** The sum over the calls that had a price. */
  usd: number;
  /** Calls whose cost is in `usd`. */
  pricedCalls: number;
  /** Calls with tokens but no price entry for their model: not in `usd`, shown as "no price". */
  unpricedCalls: number;
}

/** Which price entry produced a figure: its id, where it came from and, for the shipped table, its date. */
export interface PriceEntryRef {
  id: string;
  source: 'shipped' | 'settings';
  /** The shipped table's as-of date (YYYY-MM-DD); absent for an entry from settings. */
  asOf?: string;
}

/** Tokens, or US dollars (per million tokens, or in all), per kind of token as a call is billed. */
export interface CostKinds {
  /** Input not read from or written to the cache. */
  input: number;
  cachedInput: number;
  cacheWrite: number;
  /** Output that is not reasoning. */
  output: number;
  reasoning: number;
}

/**
 * What one LLM call cost, or that its model has no price (never a guess). A priced call keeps its total and
 * the rates that produced it; the tokens and dollars per kind follow from its usage (`costByKind` in
 * core/pricing.ts), so each of the many stored calls holds one small object.
 */
export type CallCost =
  | {
      priced: true;
      usd: number;
      /** US dollars per million tokens of each kind: the entry's, defaults filled in; shared by its calls. */
      rates: CostKinds;
      /** The model name that was looked up (after an Azure deployment was mapped to its model). */
      model: string;
      entry: PriceEntryRef;
    }
  | {
      priced: false;
      /** The model names that were looked up and had no entry (empty when the call names no model). */
      models: string[];
    };

export interface CostBasis {
  /** The entries that priced the trace's calls, each once. */
  entries: PriceEntryRef[];
  /** The models of unpriced calls, each once. */
  unpricedModels: string[];
}

export function emptyUsage(): Usage {
  return {};
}

/** Every field of a Usage. */
export const USAGE_KEYS = [
  'inputTokens',
  'outputTokens',
  'totalTokens',
  'cachedInputTokens',
  'cacheCreationInputTokens',
  'reasoningTokens',
] as const satisfies readonly (keyof Usage)[];

/** Sums usages; a field stays undefined unless some input had it. */
export function addUsage(a: Usage, b: Usage): Usage {
  const out: Usage = { ...a };
  for (const k of USAGE_KEYS) {
    if (b[k] !== undefined) out[k] = (out[k] ?? 0) + (b[k] as number);
  }
  return out;
}
