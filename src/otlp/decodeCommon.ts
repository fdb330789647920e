// What both OTLP readers (protobuf and JSON) share: the request types, the limits, the errors and the
// reasons a single span or log record is skipped with, so both encodings refuse the same things the same way.
import type { SpanEventRecord, SpanLinkRecord, TelemetryBatch } from '../core/records';

export type OtlpSignal = 'traces' | 'logs' | 'metrics';
export type OtlpEncoding = 'protobuf' | 'json';

/** The body is not a valid export request; the message is the reason sent back in the 400. */
export class OtlpDecodeError extends Error {
  override name = 'OtlpDecodeError';
}

export interface DecodedRequest extends TelemetryBatch {
  /** Metrics requests only; 0 otherwise. */
  metricCount: number;
  /** Spans or log records skipped as invalid (a trace id that is not 16 bytes, ...). */
  rejected: number;
  /** The first reason, for the partial-success message. */
  rejectReason?: string;
}

export interface DecodeLimits {
  /** Deepest AnyValue nesting kept; a span or log with a deeper value is rejected. */
  maxValueDepth: number;
  /** Most embedded messages in one protobuf body; a JSON body may hold twice as many objects and arrays. */
  maxElements: number;
  /**
   * Deepest message nesting in one protobuf body; JSON may nest three times deeper (a message is up to three
   * containers).
   */
  maxNesting: number;
}

export const defaultDecodeLimits: Readonly<DecodeLimits> = {
  maxValueDepth: 64,
  // A real batch of 512 spans with 40 attributes each is about 50 000 messages; this leaves room for
  // far bigger ones while bounding memory for a body of millions of empty messages.
  maxElements: 1_000_000,
  // protobufjs refuses more than 100 levels itself; the reader says so first, with a readable reason.
  maxNesting: 100,
};

/** Thrown inside one item; the item is skipped and counted, the rest of the request is kept. */
export class ItemRejected extends Error {}

export function tooDeepReason(lim: DecodeLimits): string {
  return `an attribute value is nested more than ${lim.maxValueDepth} levels deep`;
}

/** `length` is -1 for a string id that is neither hex nor base64. */
export function idProblem(what: string, size: number, length: number): string {
  return length < 0
    ? `${what} is neither hex nor base64 of ${size} bytes`
    : `${what} is ${length} bytes, not ${size}`;
}

/** Skipped items: how many, and the first reason, for the partial-success message. */
export class Rejections {
  count = 0;
  first: string | undefined;
  add(reason: string): void {
    this.count++;
    this.first ??= reason;
  }
}

/**
 * What a span without events or links holds: one frozen empty array for all, where an array per span costs
 * a kept span 32 bytes each. Frozen, so code that tried to add to a decoded span's list would fail loudly.
 */
export const NO_EVENTS = Object.freeze([]) as unknown as SpanEventRecord[];
export const NO_LINKS = Object.freeze([]) as unknown as SpanLinkRecord[];

/** The list a span keeps: shared when empty, else copied to its size (a pushed array keeps room for 17). */
export function keptList<T>(list: T[], empty: T[]): T[] {
  return list.length === 0 ? empty : list.slice();
}

/** Two lowercase hex digits for every byte value. */
export const HEX_PAIRS: readonly string[] = Array.from({ length: 256 }, (_, i) =>
  i.toString(16).padStart(2, '0'),
);
