// Small typed builders of domain traces for the conversation view's tests (the view model's unit tests
// and the browser test). Each builder fills what a real normalizer would and lets a test state only
// what it is about; the summary is computed from the spans the way the store's normalizer does.

import {
  addUsage,
  type LlmCall,
  type Message,
  type MessagePart,
  type PriceEntryRef,
  type Span,
  type Trace,
  type Usage,
} from '../../src/core/model';
import { createPriceTable, priceCall } from '../../src/core/pricing';

const shippedPrices = createPriceTable();

export const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
export const T0 = Date.UTC(2025, 10, 23, 13, 5, 9);

let nextSpan = 1;

export function spanId(n: number): string {
  return n.toString(16).padStart(16, '0');
}

export function text(role: string, value: string, extra: Partial<Message> = {}): Message {
  return message(role, [{ type: 'text', text: value }], extra);
}

export function message(role: string, parts: MessagePart[], extra: Partial<Message> = {}): Message {
  const direction = extra.direction ?? 'input';
  return {
    role,
    direction,
    parts,
    origin: 'logRecord',
    originName: direction === 'output' ? 'gen_ai.choice' : `gen_ai.${role}.message`,
    ...extra,
  };
}

export function answer(value: string | MessagePart[], extra: Partial<Message> = {}): Message {
  const parts: MessagePart[] = typeof value === 'string' ? [{ type: 'text', text: value }] : value;
  return message('assistant', parts, { direction: 'output', finishReason: 'stop', index: 0, ...extra });
}

export function llm(overrides: Partial<LlmCall> = {}): LlmCall {
  return {
    convention: 'genai',
    provider: 'openai',
    operation: 'chat',
    requestModel: 'gpt-4o-mini',
    responseModel: 'gpt-4o-mini-2024-07-18',
    messages: [],
    toolDefinitions: [],
    usage: { inputTokens: 10, outputTokens: 5 },
    finishReasons: ['stop'],
    parameters: {},
    ...overrides,
  };
}

export function span(overrides: Partial<Span> = {}): Span {
  const id = overrides.spanId ?? spanId(nextSpan++);
  return {
    traceId: TRACE_ID,
    spanId: id,
    name: overrides.llm ? `chat ${overrides.llm.requestModel ?? ''}`.trim() : 'span',
    kind: overrides.llm ? 'client' : 'internal',
    startMs: T0,
    durationMs: 100,
    status: { code: 'unset' },
    service: 'weather-bot',
    scope: '@opentelemetry/instrumentation-openai',
    attributes: {},
    resource: { 'service.name': 'weather-bot' },
    events: [],
    ...overrides,
  };
}

/** A trace whose summary is derived from its spans, like the store builds it. */
export function trace(spans: Span[], overrides: Partial<Trace['summary']> = {}): Trace {
  const sorted = [...spans].sort((a, b) => a.startMs - b.startMs);
  const start = Math.min(...sorted.map((s) => s.startMs));
  const end = Math.max(...sorted.map((s) => s.startMs + s.durationMs));
  const calls = sorted.filter((s) => s.llm);
  // Priced from the shipped table as the normalizer does, unless a test set the call's cost itself.
  for (const c of calls) {
    const l = c.llm!;
    const models = [l.responseModel, l.requestModel].filter((m): m is string => !!m);
    const cost = l.cost ?? priceCall(shippedPrices, l.usage, models);
    if (cost) c.llm = { ...l, cost };
  }
  const usd = calls.reduce((n, c) => n + (c.llm?.cost?.priced ? c.llm.cost.usd : 0), 0);
  const pricedCalls = calls.filter((c) => c.llm?.cost?.priced).length;
  const unpricedCalls = calls.filter((c) => c.llm?.cost && !c.llm.cost.priced).length;
  const entries = new Map<string, PriceEntryRef>();
  const unpricedModels = new Set<string>();
  for (const c of calls) {
    const cost = c.llm?.cost;
    if (cost?.priced) entries.set(`${cost.entry.source}:${cost.entry.id}`, cost.entry);
    else if (cost) for (const m of cost.models) unpricedModels.add(m);
  }
  const root = sorted.find((s) => s.parentSpanId === undefined) ?? sorted[0];
  let usage: Usage = {};
  for (const c of calls) usage = addUsage(usage, c.llm?.usage ?? {});
  const models = [
    ...new Set(calls.map((c) => c.llm?.responseModel ?? c.llm?.requestModel).filter((m): m is string => !!m)),
  ];
  const sessionId = sorted.find((s) => s.sessionId !== undefined)?.sessionId;
  const userId = sorted.find((s) => s.userId !== undefined)?.userId;
  return {
    traceId: TRACE_ID,
    source: 'otlp',
    spans: sorted,
    summary: {
      traceId: TRACE_ID,
      ...(root ? { rootSpanId: root.spanId } : {}),
      name: root?.name ?? 'trace',
      service: root?.service ?? 'service',
      startMs: start,
      durationMs: end - start,
      spanCount: sorted.length,
      llmCallCount: calls.length,
      models,
      usage,
      hasError: sorted.some((s) => s.status.code === 'error'),
      toolCallCount: sorted.filter((s) => s.attributes['gen_ai.operation.name'] === 'execute_tool').length,
      errorCount: sorted.filter((s) => s.status.code === 'error').length,
      ...(pricedCalls + unpricedCalls > 0
        ? {
            cost: { usd, pricedCalls, unpricedCalls },
            costBasis: { entries: [...entries.values()], unpricedModels: [...unpricedModels] },
          }
        : {}),
      ...(sessionId !== undefined ? { sessionId } : {}),
      ...(userId !== undefined ? { userId } : {}),
      updatedMs: end,
      ...overrides,
    },
  };
}
