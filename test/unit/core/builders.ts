// Small typed builders of raw records for the normalizer and store tests: each test states only the
// attributes, events and log records it is about; ids, times, scope and resource get sane defaults.

import type {
  AttrValue,
  Attributes,
  LogRecordData,
  SpanEventRecord,
  SpanRecord,
} from '../../../src/core/records';

/** A 32-hex-digit trace id from a small number, so tests read `traceId(1)`. */
export function traceId(n: number): string {
  return n.toString(16).padStart(32, '0');
}

export function spanId(n: number): string {
  return n.toString(16).padStart(16, '0');
}

/** 2025-06-14T10:00:00Z in ns, as OTLP sends times: decimal strings. */
export const BASE_NS = 1_749_895_200_000_000_000n;

export function ns(offsetMs: number): string {
  return (BASE_NS + BigInt(Math.round(offsetMs * 1_000_000))).toString();
}

export const BASE_MS = Number(BASE_NS / 1_000_000n);

export interface SpanInit {
  trace?: number;
  id?: number;
  parent?: number;
  name?: string;
  kind?: number;
  startMs?: number;
  durationMs?: number;
  attributes?: Attributes;
  events?: SpanEventRecord[];
  status?: SpanRecord['status'];
  resource?: Attributes;
  scope?: string;
}

export function span(init: SpanInit = {}): SpanRecord {
  const startMs = init.startMs ?? 0;
  const record: SpanRecord = {
    traceId: traceId(init.trace ?? 1),
    spanId: spanId(init.id ?? 1),
    name: init.name ?? 'chat gpt-4o-mini',
    kind: init.kind ?? 3,
    startTimeUnixNano: ns(startMs),
    endTimeUnixNano: ns(startMs + (init.durationMs ?? 100)),
    attributes: init.attributes ?? {},
    events: init.events ?? [],
    links: [],
    status: init.status ?? { code: 0 },
    resource: init.resource ?? { 'service.name': 'wayfarer' },
    scope: { name: init.scope ?? 'test-scope' },
  };
  if (init.parent !== undefined) record.parentSpanId = spanId(init.parent);
  return record;
}

/** A chat span of the current GenAI conventions with the given extra attributes. */
export function chatSpan(init: SpanInit = {}): SpanRecord {
  return span({
    ...init,
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      ...init.attributes,
    },
  });
}

export function spanEvent(name: string, attributes: Attributes = {}, offsetMs = 0): SpanEventRecord {
  return { name, timeUnixNano: ns(offsetMs), attributes };
}

export interface LogInit {
  trace?: number;
  span?: number;
  /** Put the event name only in the `event.name` attribute (older SDKs), not in the dedicated field. */
  nameAsAttribute?: boolean;
  attributes?: Attributes;
  scope?: string;
  offsetMs?: number;
}

export function log(eventName: string, body: AttrValue | undefined, init: LogInit = {}): LogRecordData {
  const record: LogRecordData = {
    timeUnixNano: ns(init.offsetMs ?? 0),
    attributes: {
      'gen_ai.system': 'openai',
      ...(init.nameAsAttribute ? { 'event.name': eventName } : {}),
      ...init.attributes,
    },
    traceId: traceId(init.trace ?? 1),
    spanId: spanId(init.span ?? 1),
    resource: { 'service.name': 'wayfarer' },
    scope: { name: init.scope ?? '@opentelemetry/instrumentation-openai' },
  };
  if (!init.nameAsAttribute) record.eventName = eventName;
  if (body !== undefined) record.body = body;
  return record;
}

/** Typed-parts messages as the structured attributes carry them (before JSON.stringify). */
export function textMessage(
  role: string,
  text: string,
  extra: Record<string, AttrValue> = {},
): Record<string, AttrValue> {
  return { role, parts: [{ type: 'text', content: text }], ...extra };
}
