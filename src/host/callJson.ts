// What an LLM call sent and got back, as stable, pretty JSON: the documents Open Request, Open Response and
// Compare show. Pure, so the text is tested without an editor. Stable means the same call always gives
// the same text (keys in a fixed order, parameters and attribute maps sorted), so a diff of two calls
// shows only what differs between them. Tool-call arguments that are JSON are shown as JSON.

import type { AttrValue } from '../core/records';
import type { Message, MessagePart, Span, Trace } from '../core/model';

export type CallPart = 'request' | 'response' | 'call' | 'turn';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** Attribute values as JSON: maps with sorted keys, bytes as base64, doubles JSON cannot spell as text. */
function plain(v: AttrValue): Json {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (v instanceof Uint8Array) return { base64: Buffer.from(v).toString('base64') };
  if (Array.isArray(v)) return v.map(plain);
  const out: { [key: string]: Json } = {};
  for (const k of Object.keys(v).sort()) out[k] = plain((v as Record<string, AttrValue>)[k]!);
  return out;
}

/** A string that holds a JSON object or array, parsed; anything else as it is. */
function maybeJson(text: string): Json {
  const t = text.trim();
  if (!(t.startsWith('{') || t.startsWith('['))) return text;
  try {
    return plain(JSON.parse(t) as AttrValue);
  } catch {
    return text;
  }
}

function partJson(p: MessagePart): Json {
  switch (p.type) {
    case 'text':
    case 'reasoning':
      return { type: p.type, text: p.text };
    case 'toolCall': {
      const out: { [key: string]: Json } = { type: 'toolCall', name: p.name };
      if (p.id !== undefined) out.id = p.id;
      out.arguments = maybeJson(p.arguments);
      return out;
    }
    case 'toolResult': {
      const out: { [key: string]: Json } = { type: 'toolResult' };
      if (p.name !== undefined) out.name = p.name;
      if (p.id !== undefined) out.id = p.id;
      out.result = maybeJson(p.result);
      return out;
    }
    case 'media': {
      const out: { [key: string]: Json } = { type: 'media' };
      for (const k of ['modality', 'mimeType', 'uri', 'size', 'fileId'] as const)
        if (p[k] !== undefined) out[k] = p[k];
      return out;
    }
    case 'other':
      return { type: 'other', kind: p.kind, value: plain(p.value) };
  }
}

function messageJson(m: Message): Json {
  const out: { [key: string]: Json } = { role: m.role };
  if (m.name !== undefined) out.name = m.name;
  if (m.index !== undefined) out.index = m.index;
  if (m.finishReason !== undefined) out.finishReason = m.finishReason;
  out.parts = m.parts.map(partJson);
  if (m.truncated) out.truncated = true;
  return out;
}

const omitEmpty = (o: { [key: string]: Json | undefined }): { [key: string]: Json } => {
  const out: { [key: string]: Json } = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out;
};

/** The request of an LLM call: model, parameters, tool definitions and input messages. */
export function requestJson(span: Span): Json {
  const l = span.llm;
  if (!l) return {};
  const parameters: { [key: string]: Json } = {};
  for (const k of Object.keys(l.parameters).sort()) parameters[k] = plain(l.parameters[k]!);
  return omitEmpty({
    provider: l.provider,
    operation: l.operation,
    model: l.requestModel,
    parameters,
    tools: l.toolDefinitions.map((t) =>
      omitEmpty({
        name: t.name,
        description: t.description,
        parameters: t.parameters === undefined ? undefined : maybeJson(t.parameters),
      }),
    ),
    messages: l.messages.filter((m) => m.direction === 'input').map(messageJson),
    missingContent: l.missingContent,
  });
}

/** The response of an LLM call: output messages, finish reasons, usage, and the error if it failed. */
export function responseJson(span: Span): Json {
  const l = span.llm;
  if (!l) return {};
  const usage: { [key: string]: Json } = {};
  for (const k of [
    'inputTokens',
    'outputTokens',
    'cachedInputTokens',
    'reasoningTokens',
    'totalTokens',
  ] as const)
    if (l.usage[k] !== undefined) usage[k] = l.usage[k];
  const failed = span.status.code === 'error';
  return omitEmpty({
    model: l.responseModel,
    id: l.responseId,
    messages: l.messages.filter((m) => m.direction === 'output').map(messageJson),
    finishReasons: l.finishReasons,
    usage,
    error: failed
      ? omitEmpty({ type: span.error?.type, message: span.error?.message ?? span.status.message })
      : undefined,
  });
}

function callJson(span: Span): Json {
  return {
    call: omitEmpty({ name: span.name, spanId: span.spanId, service: span.service }),
    request: requestJson(span),
    response: responseJson(span),
  };
}

/** A turn: every LLM call of the trace in time order, each with its request and response. */
function turnJson(trace: Trace): Json {
  return {
    trace: omitEmpty({
      name: trace.summary.name,
      traceId: trace.traceId,
      service: trace.summary.service,
      sessionId: trace.summary.sessionId,
    }),
    calls: trace.spans.filter((s) => s.llm).map(callJson),
  };
}

/**
 * The document's text, or undefined when the trace has no such call. `spanId` names the call for every
 * part but `turn`.
 */
export function callDocumentText(trace: Trace, part: CallPart, spanId?: string): string | undefined {
  let value: Json;
  if (part === 'turn') value = turnJson(trace);
  else {
    const span = trace.spans.find((s) => s.spanId === spanId);
    if (!span?.llm) return undefined;
    value =
      part === 'request' ? requestJson(span) : part === 'response' ? responseJson(span) : callJson(span);
  }
  return `${JSON.stringify(value, null, 2)}\n`;
}

// ---------------------------------------------------------------------------------------------------
// The documents' URIs: what to show is in the query, checked when read back (a URI can be typed).

export interface CallDocumentRef {
  /** Absent for the local source. */
  sourceId?: string;
  traceId: string;
  spanId?: string;
  part: CallPart;
}

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
const PARTS: readonly CallPart[] = ['request', 'response', 'call', 'turn'];

export function callDocumentQuery(ref: CallDocumentRef): string {
  const params = new URLSearchParams();
  if (ref.sourceId) params.set('source', ref.sourceId);
  params.set('trace', ref.traceId);
  if (ref.spanId) params.set('span', ref.spanId);
  params.set('part', ref.part);
  return params.toString();
}

export function parseCallDocumentQuery(query: string): CallDocumentRef | undefined {
  const params = new URLSearchParams(query);
  const traceId = params.get('trace') ?? '';
  const spanId = params.get('span') ?? undefined;
  const part = params.get('part') as CallPart;
  const sourceId = params.get('source') ?? undefined;
  if (!TRACE_ID.test(traceId) || !PARTS.includes(part)) return undefined;
  if (part !== 'turn' && (spanId === undefined || !SPAN_ID.test(spanId))) return undefined;
  if (sourceId !== undefined && (sourceId === '' || sourceId.length > 4096)) return undefined;
  const ref: CallDocumentRef = { traceId, part };
  if (sourceId) ref.sourceId = sourceId;
  if (part !== 'turn' && spanId) ref.spanId = spanId;
  return ref;
}
