// Multi-turn sessions from the captured fixtures: a fixture's requests ingested again with their session
// and user ids (and their trace ids) rewritten, so a test can build as many sessions and users as it
// needs out of real instrumentation output.
import { SessionKeys, UserKeys } from '../../../src/core/genai/keys';
import type { Attributes, TelemetryBatch } from '../../../src/core/records';
import { TraceStore } from '../../../src/core/store';
import { createNormalizer } from '../../../src/core/genai/normalize';
import { fixtureBatch, fixtureEntries, type FixtureEntry } from './fixtures';

export interface Rewrite {
  /** The session id to give every span and log record; null removes it. Undefined keeps it. */
  session?: string | null;
  user?: string | null;
  /** Replaces the first hex digits of every trace id, so the same capture makes another trace. */
  tracePrefix?: string;
  /** Shifts every time by this many milliseconds (turns of a session follow each other). */
  shiftMs?: number;
}

const sessionKeys = new Set<string>([...SessionKeys, 'session.id']);
const userKeys = new Set<string>([...UserKeys, 'user.id']);

function rewriteAttributes(attrs: Attributes, r: Rewrite): Attributes {
  const out: Attributes = {};
  for (const [k, v] of Object.entries(attrs)) {
    if (sessionKeys.has(k) && r.session !== undefined) {
      if (r.session !== null) out[k] = r.session;
    } else if (userKeys.has(k) && r.user !== undefined) {
      if (r.user !== null) out[k] = r.user;
    } else out[k] = v;
  }
  return out;
}

function shift(nanos: string, ms: number | undefined): string {
  return ms ? (BigInt(nanos) + BigInt(Math.round(ms * 1e6))).toString() : nanos;
}

function rewriteTraceId(id: string, prefix: string | undefined): string {
  return prefix ? `${prefix}${id.slice(prefix.length)}` : id;
}

export function rewriteBatch(batch: TelemetryBatch, r: Rewrite): TelemetryBatch {
  return {
    spans: batch.spans.map((s) => ({
      ...s,
      traceId: rewriteTraceId(s.traceId, r.tracePrefix),
      attributes: rewriteAttributes(s.attributes, r),
      startTimeUnixNano: shift(s.startTimeUnixNano, r.shiftMs),
      endTimeUnixNano: shift(s.endTimeUnixNano, r.shiftMs),
    })),
    logs: batch.logs.map((l) => ({
      ...l,
      ...(l.traceId ? { traceId: rewriteTraceId(l.traceId, r.tracePrefix) } : {}),
      attributes: rewriteAttributes(l.attributes, r),
    })),
  };
}

export function newStore(): TraceStore {
  return new TraceStore({ maxTraces: 1000, normalizer: createNormalizer(), debounceMs: 0 });
}

/** The protobuf traces and logs of one library's scenario. */
export function scenario(library: string, name: string): FixtureEntry[] {
  return fixtureEntries({ library, scenario: name, encoding: 'protobuf' }).filter(
    (e) => e.signal !== 'metrics',
  );
}

/** Ingests a scenario's requests, rewritten. */
export function ingest(store: TraceStore, entries: FixtureEntry[], r: Rewrite = {}): void {
  for (const e of entries) store.ingest(rewriteBatch(fixtureBatch(e), r), 'otlp');
  store.flush();
}
