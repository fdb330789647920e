// A store restored from what another saved: the same records ingested again take their saved summaries
// and facts instead of being read, and a trace the records bring back otherwise is read as usual.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createNormalizer } from '../../../src/core/genai/normalize';
import { TraceStore, type Normalizer, type SavedTrace } from '../../../src/core/store';
import type { TelemetryBatch } from '../../../src/core/records';
import type { TraceSummary } from '../../../src/core/model';
import { fixtureBatch } from '../helpers/fixtures';
import { rewriteBatch, scenario } from '../helpers/sessions';

/** Several sessions, users and libraries, as the captured exporters sent them. */
function batches(): TelemetryBatch[] {
  const out: TelemetryBatch[] = [];
  const libraries = ['otel-openai', 'traceloop', 'openinference'];
  libraries.forEach((library, i) => {
    for (const e of scenario(library, 'sessions'))
      out.push(rewriteBatch(fixtureBatch(e), { tracePrefix: `${i}`, user: `user-${i}` }));
  });
  return out;
}

/** The production normalizer, counting the spans it reads. */
function counting(): { normalizer: Normalizer; reads: () => number } {
  const inner = createNormalizer();
  let reads = 0;
  return {
    normalizer: {
      span: (r, l) => (reads++, inner.span(r, l)),
      outline: (r, l, w) => (reads++, inner.outline(r, l, w)),
      isCall: (r) => inner.isCall(r),
      trace: (...args) => inner.trace(...args),
      order: (spans) => inner.order(spans),
    },
    reads: () => reads,
  };
}

function store(normalizer: Normalizer = createNormalizer()): TraceStore {
  return new TraceStore({ maxTraces: 1000, normalizer, debounceMs: 0 });
}

/** The batches, and a store that read them all as they came (the session that saved). */
function readAll(): { input: TelemetryBatch[]; first: TraceStore } {
  const input = batches();
  const first = store();
  for (const b of input) first.ingest(b, 'otlp');
  first.flush();
  return { input, first };
}

/** Summaries as a list shows them, without the time each store last changed the trace. */
function listed(s: TraceStore): Omit<TraceSummary, 'updatedMs'>[] {
  return s.list().map(({ updatedMs: _, ...rest }) => JSON.parse(JSON.stringify(rest)) as TraceSummary);
}

/** What a file keeps: the saved traces through JSON and back. */
function saved(s: TraceStore): SavedTrace[] {
  return JSON.parse(JSON.stringify(s.save())) as SavedTrace[];
}

describe('restoring saved summaries', () => {
  it('gives the same summaries, sessions, users and totals without reading a span', () => {
    const { input, first } = readAll();
    assert.ok(first.list().length >= 6, 'several traces');

    // In another order too: log records after their spans, which a trace read as usual reads again.
    const late = counting();
    const reversed = store(late.normalizer);
    reversed.beginRestore(saved(first));
    for (const b of [...input].reverse()) reversed.ingest(b, 'otlp', true);
    reversed.endRestore();
    reversed.flush();
    assert.equal(late.reads(), 0, 'no span was read, log records after their spans included');
    assert.deepEqual(listed(reversed), listed(first));

    const { normalizer, reads } = counting();
    const second = store(normalizer);
    second.beginRestore(saved(first));
    // Every request twice, as an exporter's retry leaves it in the log: each trace is counted once.
    for (const b of [...input, ...input]) second.ingest(b, 'otlp', true);
    assert.equal(second.endRestore(), first.list().length, 'every trace took its saved summary');
    second.flush();
    assert.equal(reads(), 0, 'no span was read');
    assert.deepEqual(listed(second), listed(first));
    assert.deepEqual(second.summarize({}), first.summarize({}));
    assert.deepEqual(second.sessions(), first.sessions());
    for (const { sessionId } of first.sessions())
      assert.deepEqual(
        second.findSession(sessionId).map((t) => t.traceId),
        first.findSession(sessionId).map((t) => t.traceId),
      );
    // Read when asked for: the outline and the whole trace are the first store's.
    const id = first.list()[0]!.traceId;
    assert.deepEqual(
      second.getOutline(id)!.spans.map((s) => [s.spanId, s.llm?.usage]),
      first.getOutline(id)!.spans.map((s) => [s.spanId, s.llm?.usage]),
    );
    assert.ok(reads() > 0);
    assert.deepEqual(
      second.getTrace(id)!.spans.map((s) => s.llm?.messages.length),
      first.getTrace(id)!.spans.map((s) => s.llm?.messages.length),
    );
  });

  it('reads as usual a trace the records bring back with fewer or more spans than it was saved with', () => {
    const { input, first } = readAll();
    const [fewer, more] = first.list();
    const kept = saved(first);
    const second = store();
    second.beginRestore(kept);
    for (const b of input)
      second.ingest(
        { ...b, spans: b.spans.filter((s, i) => !(s.traceId === fewer!.traceId && i === 0)) },
        'otlp',
        true,
      );
    // One more span for another trace, as a request after the save brings it.
    const extra = input.flatMap((b) => b.spans).find((s) => s.traceId === more!.traceId)!;
    second.ingest(
      { spans: [{ ...extra, spanId: 'ffffffffffffffff', name: 'late span' }], logs: [] },
      'otlp',
      true,
    );
    second.endRestore();
    second.flush();
    const got = new Map(second.list().map((t) => [t.traceId, t]));
    assert.equal(got.get(fewer!.traceId)!.spanCount, fewer!.spanCount - 1, 'read from what came back');
    assert.equal(got.get(more!.traceId)!.spanCount, more!.spanCount + 1, 'read with the later span');

    // The same records read by a store that saved nothing give the same summaries.
    const fresh = store();
    for (const b of input)
      fresh.ingest(
        { ...b, spans: b.spans.filter((s, i) => !(s.traceId === fewer!.traceId && i === 0)) },
        'otlp',
      );
    fresh.ingest({ spans: [{ ...extra, spanId: 'ffffffffffffffff', name: 'late span' }], logs: [] }, 'otlp');
    fresh.flush();
    assert.deepEqual(listed(second), listed(fresh));
  });

  it('reports a trace only once it is whole, and reads one asked for before that at once', () => {
    const { input, first } = readAll();
    const target = first.list().find((t) => t.spanCount > 1)!;
    const second = store();
    const changed: string[] = [];
    second.onDidChange((c) => changed.push(...c.changed));
    second.beginRestore(saved(first));
    const spans = input.flatMap((b) => b.spans).filter((s) => s.traceId === target.traceId);
    second.ingest({ spans: spans.slice(0, 1), logs: [] }, 'otlp', true);
    second.flush();
    assert.deepEqual(changed, [], 'not reported while part of it is back');
    assert.equal(second.list().length, 0);
    // Asked for: read from what is there.
    assert.equal(second.summary(target.traceId)!.spanCount, 1);
    second.ingest({ spans: spans.slice(1), logs: [] }, 'otlp', true);
    second.endRestore();
    second.flush();
    const summary = second.summary(target.traceId)!;
    assert.equal(summary.spanCount, target.spanCount);
    assert.deepEqual(
      JSON.parse(JSON.stringify({ ...summary, updatedMs: 0 })),
      JSON.parse(JSON.stringify({ ...target, updatedMs: 0 })),
    );
  });

  it('reads as usual a saved trace that a live request touches while the restore runs', () => {
    const { input, first } = readAll();
    const target = first.list().find((t) => t.spanCount > 2 && t.usage.inputTokens)!;
    const spans = input.flatMap((b) => b.spans).filter((s) => s.traceId === target.traceId);
    // The log lost the trace's first span; the app sends it again, live, with other figures: as many
    // spans as were saved, and the same ids.
    const live = { ...spans[0]!, attributes: { ...spans[0]!.attributes } };
    live.attributes['gen_ai.usage.input_tokens'] = 100_000;
    live.attributes['gen_ai.operation.name'] = 'chat';
    const second = store();
    second.beginRestore(saved(first));
    second.ingest({ spans: spans.slice(1), logs: [] }, 'otlp', true);
    second.ingest({ spans: [live], logs: [] }, 'otlp');
    assert.equal(second.endRestore(), 0, 'nothing taken');
    second.flush();
    const got = second.summary(target.traceId)!;
    assert.equal(got.spanCount, target.spanCount);
    assert.ok((got.usage.inputTokens ?? 0) >= 100_000, `the live span counts: ${got.usage.inputTokens}`);
  });

  it('reads as usual a trace that comes back with as many records as saved, but other ones', () => {
    const { input, first } = readAll();
    const target = first.list().find((t) => t.spanCount > 1)!;
    const spans = input.flatMap((b) => b.spans).filter((s) => s.traceId === target.traceId);
    const second = store();
    second.beginRestore(saved(first));
    // The first span twice under two ids: as many spans as saved, not the same ones.
    const other = spans.map((s, i) =>
      i === spans.length - 1 ? { ...spans[0]!, spanId: 'dddddddddddddddd' } : s,
    );
    second.ingest({ spans: other, logs: [] }, 'otlp', true);
    assert.equal(second.endRestore(), 0);
    second.flush();
    const fresh = store();
    fresh.ingest({ spans: other, logs: [] }, 'otlp');
    fresh.flush();
    assert.deepEqual(listed(second), listed(fresh));
  });

  it('takes nothing saved once the settings change or the store is cleared', () => {
    const { input, first } = readAll();
    const kept = saved(first);
    for (const interrupt of ['normalizer', 'clear'] as const) {
      const { normalizer, reads } = counting();
      const second = store(normalizer);
      second.beginRestore(kept);
      if (interrupt === 'normalizer') second.setNormalizer(normalizer);
      else second.clear();
      for (const b of input) second.ingest(b, 'otlp', true);
      second.flush();
      assert.ok(reads() > 0, `${interrupt}: the spans were read`);
      assert.deepEqual(listed(second), listed(first));
    }
  });
});
