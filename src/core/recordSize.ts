// What a raw record costs to keep, estimated once at ingest so the store can hold a budget in bytes
// without asking the heap. Strings count 2 bytes a character (V8 keeps Latin-1 text in one, but a single
// character beyond it doubles the whole string) plus a header; objects and arrays a header plus a slot per
// property or element. Attribute keys cost nothing of their own: both readers intern them, so every span
// shares one copy of each key. `npm run bench` prints the estimate beside the measured heap, which is how the
// constants below were chosen.

import type { AttrValue, Attributes, InstrumentationScope, LogRecordData, SpanRecord } from './records';

const STRING = 16;
const OBJECT = 32;
/** A property: its slot, and its share of the object's property array and shape. */
const PROPERTY = 24;
const ARRAY = 32;
const ELEMENT = 8;
const NUMBER = 16;
const TYPED_ARRAY = 96;
/** The fixed fields of a span record (ids, times, status, kind) and of a log record. */
const SPAN_FIELDS = 420;
const LOG_FIELDS = 260;
/**
 * What the store keeps beside a span record: the slot that holds it, and its share of its trace's summary.
 * Span outlines are held only for the few warm traces, which the estimate leaves out.
 */
const SPAN_OUTLINE = 120;
const SPAN_EVENT_VIEW = 96;

/** Deeper values are counted as one slot: nothing legitimate nests this far, and the walk must end. */
const MAX_DEPTH = 32;

export function stringBytes(s: string): number {
  return STRING + 2 * s.length;
}

export function valueBytes(v: AttrValue | undefined, depth = 0): number {
  if (v === null || v === undefined || typeof v === 'boolean') return 0;
  if (typeof v === 'string') return stringBytes(v);
  if (typeof v === 'number') return Number.isInteger(v) && Math.abs(v) < 2 ** 30 ? 0 : NUMBER;
  if (depth >= MAX_DEPTH) return ELEMENT;
  if (v instanceof Uint8Array) return TYPED_ARRAY + v.byteLength;
  if (Array.isArray(v)) {
    let n = ARRAY + ELEMENT * v.length;
    for (const item of v) n += valueBytes(item, depth + 1);
    return n;
  }
  return attributesBytes(v as Attributes, depth + 1);
}

export function attributesBytes(attrs: Readonly<Record<string, AttrValue>> | undefined, depth = 0): number {
  if (!attrs) return 0;
  let n = OBJECT;
  for (const key in attrs) n += PROPERTY + valueBytes(attrs[key], depth);
  return n;
}

function scopeBytes(scope: InstrumentationScope | undefined): number {
  if (!scope) return 0;
  return (
    OBJECT +
    stringBytes(scope.name ?? '') +
    stringBytes(scope.version ?? '') +
    attributesBytes(scope.attributes)
  );
}

/** Objects already counted: a resource or scope shared by many records is counted once. */
export interface Counted {
  has(value: object): boolean;
  add(value: object): unknown;
}

function sharedBytes(value: object | undefined, shared: Counted, size: () => number): number {
  if (!value || shared.has(value)) return 0;
  shared.add(value);
  return size();
}

/** The span record and what the store keeps beside it. */
export function spanRecordBytes(record: SpanRecord, shared: Counted): number {
  let n = SPAN_FIELDS + SPAN_OUTLINE + stringBytes(record.name ?? '') + attributesBytes(record.attributes);
  n += stringBytes(record.status?.message ?? '');
  for (const e of record.events ?? [])
    n += OBJECT + SPAN_EVENT_VIEW + stringBytes(e.name ?? '') + attributesBytes(e.attributes);
  for (const l of record.links ?? []) n += OBJECT + 2 * STRING + 96 + attributesBytes(l.attributes);
  n += sharedBytes(record.resource, shared, () => attributesBytes(record.resource));
  n += sharedBytes(record.scope, shared, () => scopeBytes(record.scope));
  return n;
}

export function logRecordBytes(log: LogRecordData, shared: Counted): number {
  let n = LOG_FIELDS + valueBytes(log.body) + attributesBytes(log.attributes);
  n += stringBytes(log.severityText ?? '') + stringBytes(log.eventName ?? '');
  n += sharedBytes(log.resource, shared, () => attributesBytes(log.resource));
  n += sharedBytes(log.scope, shared, () => scopeBytes(log.scope));
  return n;
}
