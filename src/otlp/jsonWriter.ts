// Writes records back as OTLP/JSON, the encoding other OTLP tools read: ExportTraceServiceRequest and
// ExportLogsServiceRequest objects with hex ids, int64s (times, intValue) as decimal strings, enums as
// numbers and bytes as base64. A file holds one request per line, traces then logs, as the OpenTelemetry
// Collector's file exporter writes them, so the same reader (ours, or the Collector's otlpjsonfile
// receiver) opens an export and a Collector's output alike. Pure: records in, objects and text out.

import type {
  AttrValue,
  Attributes,
  InstrumentationScope,
  LogRecordData,
  SpanRecord,
  TelemetryBatch,
} from '../core/records';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** One OTLP/JSON AnyValue. Numbers that are safe integers are written as intValue, others as doubleValue. */
export function anyValueJson(v: AttrValue): JsonObject {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v) && !Object.is(v, -0)) return { intValue: String(v) };
    // proto3 JSON spells the doubles JSON has no number for as strings.
    if (Number.isNaN(v)) return { doubleValue: 'NaN' };
    if (v === Infinity) return { doubleValue: 'Infinity' };
    if (v === -Infinity) return { doubleValue: '-Infinity' };
    return { doubleValue: Object.is(v, -0) ? '-0' : v };
  }
  if (v === null) return {}; // an empty AnyValue
  if (v instanceof Uint8Array)
    return { bytesValue: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
  if (Array.isArray(v))
    return v.length ? { arrayValue: { values: v.map(anyValueJson) } } : { arrayValue: {} };
  const values = keyValuesJson(v as Attributes);
  return values.length ? { kvlistValue: { values } } : { kvlistValue: {} };
}

function keyValuesJson(attributes: Attributes): Json[] {
  const out: Json[] = [];
  for (const key of Object.keys(attributes)) out.push({ key, value: anyValueJson(attributes[key]!) });
  return out;
}

/** Sets `attributes` when there are any: proto3 JSON leaves empty repeated fields out. */
function withAttributes(target: JsonObject, attributes: Attributes | undefined): JsonObject {
  if (attributes) {
    const values = keyValuesJson(attributes);
    if (values.length) target.attributes = values;
  }
  return target;
}

function resourceJson(resource: Attributes): JsonObject {
  return withAttributes({}, resource);
}

function scopeJson(scope: InstrumentationScope): JsonObject {
  const out: JsonObject = {};
  if (scope.name) out.name = scope.name;
  if (scope.version) out.version = scope.version;
  return withAttributes(out, scope.attributes);
}

export function spanJson(span: SpanRecord): JsonObject {
  const out: JsonObject = { traceId: span.traceId.toLowerCase(), spanId: span.spanId.toLowerCase() };
  if (span.parentSpanId) out.parentSpanId = span.parentSpanId.toLowerCase();
  out.name = span.name;
  out.kind = span.kind;
  out.startTimeUnixNano = span.startTimeUnixNano;
  out.endTimeUnixNano = span.endTimeUnixNano;
  withAttributes(out, span.attributes);
  if (span.droppedAttributesCount) out.droppedAttributesCount = span.droppedAttributesCount;
  if (span.events.length)
    out.events = span.events.map((e) =>
      withAttributes({ timeUnixNano: e.timeUnixNano, name: e.name }, e.attributes),
    );
  if (span.links.length)
    out.links = span.links.map((l) =>
      withAttributes({ traceId: l.traceId.toLowerCase(), spanId: l.spanId.toLowerCase() }, l.attributes),
    );
  const status: JsonObject = {};
  if (span.status.message) status.message = span.status.message;
  if (span.status.code) status.code = span.status.code;
  out.status = status;
  return out;
}

export function logRecordJson(log: LogRecordData): JsonObject {
  const out: JsonObject = { timeUnixNano: log.timeUnixNano };
  if (log.observedTimeUnixNano) out.observedTimeUnixNano = log.observedTimeUnixNano;
  if (log.severityNumber) out.severityNumber = log.severityNumber;
  if (log.severityText) out.severityText = log.severityText;
  if (log.body !== undefined) out.body = anyValueJson(log.body);
  withAttributes(out, log.attributes);
  if (log.traceId) out.traceId = log.traceId.toLowerCase();
  if (log.spanId) out.spanId = log.spanId.toLowerCase();
  if (log.eventName) out.eventName = log.eventName;
  return out;
}

/**
 * Items under their resource and scope, in order of first appearance. Records from one request share
 * their resource and scope objects, so identity finds the group almost always; equal values from
 * different requests still share one group through their canonical text.
 */
function grouped<T extends { resource: Attributes; scope: InstrumentationScope }>(
  items: readonly T[],
): { resource: Attributes; scopes: { scope: InstrumentationScope; items: T[] }[] }[] {
  const keys = new WeakMap<object, string>();
  const keyOf = (o: object, write: () => string): string => {
    let k = keys.get(o);
    if (k === undefined) keys.set(o, (k = write()));
    return k;
  };
  const resources = new Map<
    string,
    { resource: Attributes; scopes: Map<string, { scope: InstrumentationScope; items: T[] }> }
  >();
  for (const item of items) {
    const rk = keyOf(item.resource, () => canonical(item.resource));
    let r = resources.get(rk);
    if (!r) resources.set(rk, (r = { resource: item.resource, scopes: new Map() }));
    const sk = keyOf(item.scope, () =>
      canonical([item.scope.name, item.scope.version ?? null, item.scope.attributes ?? {}]),
    );
    let s = r.scopes.get(sk);
    if (!s) r.scopes.set(sk, (s = { scope: item.scope, items: [] }));
    s.items.push(item);
  }
  return [...resources.values()].map((r) => ({ resource: r.resource, scopes: [...r.scopes.values()] }));
}

/** A text equal for equal values, whatever their key order; bytes and numbers kept apart from strings. */
function canonical(v: AttrValue): string {
  if (v === null) return 'n';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') return `#${Object.is(v, -0) ? '-0' : String(v)}`;
  if (typeof v === 'boolean') return v ? 't' : 'f';
  if (v instanceof Uint8Array)
    return `b${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64')}`;
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const o = v as Attributes;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(o[k]!)}`)
    .join(',')}}`;
}

/** An ExportTraceServiceRequest. */
export function traceRequestJson(spans: readonly SpanRecord[]): JsonObject {
  return {
    resourceSpans: grouped(spans).map((r) => ({
      resource: resourceJson(r.resource),
      scopeSpans: r.scopes.map((s) => ({ scope: scopeJson(s.scope), spans: s.items.map(spanJson) })),
    })),
  };
}

/** An ExportLogsServiceRequest. */
export function logsRequestJson(logs: readonly LogRecordData[]): JsonObject {
  return {
    resourceLogs: grouped(logs).map((r) => ({
      resource: resourceJson(r.resource),
      scopeLogs: r.scopes.map((s) => ({ scope: scopeJson(s.scope), logRecords: s.items.map(logRecordJson) })),
    })),
  };
}

/**
 * The records as OTLP JSON lines: one ExportTraceServiceRequest line when there are spans, one
 * ExportLogsServiceRequest line when there are log records, each ending in a newline.
 */
export function otlpJsonLines(batch: TelemetryBatch): string {
  let out = '';
  if (batch.spans.length) out += `${JSON.stringify(traceRequestJson(batch.spans))}\n`;
  if (batch.logs.length) out += `${JSON.stringify(logsRequestJson(batch.logs))}\n`;
  return out;
}
