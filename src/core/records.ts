// Source-neutral raw telemetry: what every source (OTLP over HTTP or gRPC, an OTLP file, Application
// Insights rows) is decoded into before normalization. It mirrors the OTLP data model closely but with
// plain JavaScript values: ids as lowercase hex, times as Unix nanoseconds in decimal strings (64-bit
// values do not fit a double), attribute lists as plain objects.

import type { GenAiMetricPoint } from './genaiMetrics';

/** An OTLP AnyValue as plain data. int64 values that do not fit a double stay decimal strings. */
export type AttrValue =
  string | number | boolean | null | AttrValue[] | { readonly [key: string]: AttrValue } | Uint8Array;

export type Attributes = Record<string, AttrValue>;

/**
 * Where a source saw a value cut before it arrived: at `limit` UTF-8 bytes or UTF-16 characters (a length
 * limit of an SDK, an exporter or a backend). Only recorded when the source can tell; the value itself
 * stays as it arrived, and nothing is added after the cut.
 */
export interface Truncation {
  limit: number;
  unit: 'bytes' | 'characters';
}

/** The log-record attribute that names an event, when the record's own event name field is empty. */
export const EVENT_NAME_ATTRIBUTE = 'event.name';

export interface InstrumentationScope {
  name: string;
  version?: string;
  attributes?: Attributes;
}

/** OTLP SpanKind numbers. */
export const SpanKind = {
  Unspecified: 0,
  Internal: 1,
  Server: 2,
  Client: 3,
  Producer: 4,
  Consumer: 5,
} as const;

/** OTLP Status.code numbers. */
export const StatusCode = {
  Unset: 0,
  Ok: 1,
  Error: 2,
} as const;

export interface SpanEventRecord {
  name: string;
  timeUnixNano: string;
  attributes: Attributes;
}

export interface SpanLinkRecord {
  traceId: string;
  spanId: string;
  attributes: Attributes;
}

export interface SpanRecord {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: Attributes;
  events: SpanEventRecord[];
  links: SpanLinkRecord[];
  status: { code: number; message?: string };
  resource: Attributes;
  scope: InstrumentationScope;
  droppedAttributesCount?: number;
  /** Attributes whose value was cut on the way (attribute key -> where), when the source could tell. */
  truncated?: Record<string, Truncation>;
}

export interface LogRecordData {
  timeUnixNano: string;
  observedTimeUnixNano?: string;
  severityNumber?: number;
  severityText?: string;
  body?: AttrValue;
  attributes: Attributes;
  /** OTLP LogRecord.event_name (field 12), or the `event.name` attribute when only that is set. */
  eventName?: string;
  traceId?: string;
  spanId?: string;
  resource: Attributes;
  scope: InstrumentationScope;
  /** Set when the source saw the body cut on the way (a string body then holds what arrived). */
  truncatedBody?: Truncation;
  /** Attributes whose value was cut on the way (attribute key -> where), when the source could tell. */
  truncated?: Record<string, Truncation>;
}

/** One decoded export request (or a part of a query result), whatever its source. */
export interface TelemetryBatch {
  spans: SpanRecord[];
  logs: LogRecordData[];
  /** Data points of the GenAI metrics (metrics requests only; absent when there are none). */
  metrics?: GenAiMetricPoint[];
}
