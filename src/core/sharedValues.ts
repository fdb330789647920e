// One copy of what most records repeat. Every span and log record of an app carries the same resource
// (service, SDK, host, process attributes) and one of a few instrumentation scopes; decoded from distinct
// requests, each record holds its own copy, often the biggest part of a small span. The store keeps one
// canonical object per distinct value instead. The table is bounded: when full it starts afresh (records
// keep the objects they have), so an app that sends a new resource with every request costs no more than
// without it. A canonical object is counted in the byte estimate once, for the trace that brought it.

import type { Attributes, InstrumentationScope, LogRecordData, SpanRecord } from './records';

const MAX_ENTRIES = 512;
const NO_EVENTS: SpanRecord['events'] = Object.freeze([]) as unknown as SpanRecord['events'];
const NO_LINKS: SpanRecord['links'] = Object.freeze([]) as unknown as SpanRecord['links'];
const STATUS: readonly SpanRecord['status'][] = [0, 1, 2].map((code) => Object.freeze({ code }));

export class SharedValues {
  private readonly byKey = new Map<string, object>();
  /** Within one batch, the records of a request share their objects: each is keyed once. */
  private byObject = new WeakMap<object, object>();
  /** Canonical objects already counted in the byte estimate (recordSize.ts). */
  readonly counted = new WeakSet<object>();

  /** The span record as the store keeps it: the same fields, with shared parts shared. */
  span(record: SpanRecord, traceId: string): SpanRecord {
    const status = record.status;
    const out: SpanRecord = {
      ...record,
      traceId,
      resource: this.canonical(record.resource, 'r', resourceKey),
      scope: this.canonical(record.scope, 's', scopeKey),
      events: record.events?.length ? record.events : NO_EVENTS,
      links: record.links?.length ? record.links : NO_LINKS,
      status: status && !status.message && STATUS[status.code] ? STATUS[status.code]! : status,
    };
    return out;
  }

  log(log: LogRecordData): LogRecordData {
    return {
      ...log,
      resource: this.canonical(log.resource, 'r', resourceKey),
      scope: this.canonical(log.scope, 's', scopeKey),
    };
  }

  clear(): void {
    this.byKey.clear();
    this.byObject = new WeakMap();
  }

  private canonical<T extends object>(value: T, kind: string, keyOf: (v: T) => string): T {
    if (!value || typeof value !== 'object') return value;
    const known = this.byObject.get(value);
    if (known) return known as T;
    let key: string;
    try {
      key = kind + keyOf(value);
    } catch {
      return value;
    }
    let shared = this.byKey.get(key) as T | undefined;
    if (!shared) {
      if (this.byKey.size >= MAX_ENTRIES) this.clear();
      shared = value;
      this.byKey.set(key, shared);
    }
    this.byObject.set(value, shared);
    return shared;
  }
}

function resourceKey(r: Attributes): string {
  // Resources are nearly always flat: without a replacer JSON.stringify is several times faster.
  return JSON.stringify(r, allPrimitive(r) ? undefined : bytesAsText);
}

function scopeKey(s: InstrumentationScope): string {
  const attributes = s.attributes ?? {};
  return JSON.stringify([s.name, s.version, attributes], allPrimitive(attributes) ? undefined : bytesAsText);
}

function allPrimitive(a: Attributes): boolean {
  for (const key in a) {
    const v = a[key];
    if (v !== null && typeof v === 'object') return false;
  }
  return true;
}

/** Byte values keyed by their content: JSON would write a Uint8Array as an object of its indexes. */
function bytesAsText(_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? `b:${Buffer.from(value).toString('base64')}` : value;
}
