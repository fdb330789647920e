// Export then open: traces from every captured fixture, written as OTLP JSON lines and opened as a file
// source, read the same as where they came from.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TraceStore } from '../../../src/core/store';
import { createNormalizer } from '../../../src/core/genai/normalize';
import type { Trace } from '../../../src/core/model';
import { otlpJsonLines } from '../../../src/otlp/jsonWriter';
import { FileSource, fileSourceId, isFileSourceId } from '../../../src/otlp/fileSource';
import { GenAiMetrics, type MetricsBucket } from '../../../src/core/genaiMetrics';
import { fixtureBatch, fixtureEntries, fixturePayload, sessionsTurns } from '../helpers/fixtures';

/** A trace as a view reads it, less when and from where it was stored. */
function comparable(t: Trace): unknown {
  return { ...t, source: undefined, summary: { ...t.summary, updatedMs: 0 } };
}

describe('file source', () => {
  const libraries = [...new Set(fixtureEntries().map((e) => e.library))];
  for (const library of libraries) {
    it(`${library}: exported traces open from the file as the same traces`, async () => {
      const store = new TraceStore({ maxTraces: 1000, normalizer: createNormalizer(), debounceMs: 0 });
      for (const e of fixtureEntries({ library }))
        if (e.signal !== 'metrics') store.ingest(fixtureBatch(e), 'otlp');
      store.flush();
      const ids = store.list().map((t) => t.traceId);
      assert.ok(ids.length > 0);
      const text = otlpJsonLines(store.records(ids));
      const file = FileSource.read('file:///tmp/x.jsonl', 'x.jsonl', Buffer.from(text), createNormalizer());
      assert.equal(file.kind, 'file');
      assert.equal(file.id, 'file:file:///tmp/x.jsonl');
      assert.deepEqual(file.summary.problems, []);
      assert.deepEqual(
        file.store
          .list()
          .map((t) => t.traceId)
          .sort(),
        [...ids].sort(),
      );
      for (const id of ids) {
        assert.deepEqual(comparable(file.store.getTrace(id)!), comparable(store.getTrace(id)!));
        assert.equal(file.store.getTrace(id)!.source, 'file');
      }
      // A session's traces export as they are found: the same records come back.
      const again = await file.records(ids);
      assert.deepEqual(again, store.records(ids));
      file.dispose();
    });
  }

  it('names its id after the file, and tells file ids from others', () => {
    assert.equal(fileSourceId('file:///a/b.json'), 'file:file:///a/b.json');
    assert.ok(isFileSourceId('file:file:///a/b.json'));
    assert.ok(!isFileSourceId('appInsights:x'));
    assert.ok(!isFileSourceId(undefined));
  });
});

describe('file source search', () => {
  it('finds the traces whose records hold the text, as the local store does', async () => {
    const store = new TraceStore({ maxTraces: 1000, normalizer: createNormalizer(), debounceMs: 0 });
    for (const scenario of ['chat', 'unicode'])
      for (const e of fixtureEntries({ library: 'otel-openai', scenario, encoding: 'json' }))
        if (e.signal !== 'metrics') store.ingest(fixtureBatch(e), 'otlp');
    store.flush();
    const text = otlpJsonLines(store.records(store.list().map((t) => t.traceId)));
    const file = FileSource.read('file:///tmp/x.jsonl', 'x.jsonl', Buffer.from(text), createNormalizer());
    const kyoto = file.store.list().find((t) => t.sessionId === 'sess-kyoto-autumn')!.traceId;
    assert.deepEqual((await file.search('京都')).traceIds, [kyoto]);
    assert.equal((await file.search('WAYFARER')).traceIds.length, 2);
    assert.deepEqual((await file.search('zanzibar')).traceIds, []);
  });
});

describe('file source metrics', () => {
  /** The sessions scenario as a Collector's file exporter writes it: each turn's traces, logs and metrics. */
  const collectorFile = (metrics: boolean): string =>
    sessionsTurns('otel-openai', 'json', { metrics })
      .flat()
      .map((e) => fixturePayload(e).toString('utf8').trim())
      .join('\n') + '\n';

  it("keeps the file's GenAI metrics and shows them in its Summary beside the span figures", async () => {
    const file = FileSource.read(
      'file:///tmp/s.jsonl',
      's.jsonl',
      Buffer.from(collectorFile(true)),
      createNormalizer(),
    );
    assert.deepEqual(file.summary.problems, []);
    const entries = fixtureEntries({ library: 'otel-openai', scenario: 'sessions', encoding: 'json' });
    const points = entries
      .filter((e) => e.signal === 'metrics')
      .flatMap((e) => fixtureBatch(e).metrics ?? []);
    assert.equal(file.summary.genAiMetricPoints, points.length);
    assert.ok(points.length > 0);

    const summary = await file.summarize({});
    const m = summary.metrics!;
    assert.ok(m, 'the Summary carries the metrics');
    // The same figures as the points added up directly, as the engine does for the receiver.
    const direct = new GenAiMetrics();
    direct.add(points);
    const expected = direct.summarize({}, summary)!;
    assert.deepEqual(m, expected);
    assert.deepEqual(m.metrics, ['gen_ai.client.operation.duration', 'gen_ai.client.token.usage']);
    // The app counted the same calls and tokens as the file's spans say.
    assert.equal(m.totals.calls, summary.totals.calls);
    assert.equal(m.totals.inputTokens, summary.totals.inputTokens);
    assert.equal(m.totals.outputTokens, summary.totals.outputTokens);
    // In the Summary's own buckets, which add up to the totals.
    assert.deepEqual(
      m.buckets.map((b) => b.startMs),
      summary.buckets.map((b) => b.startMs),
    );
    const sum = (f: (b: MetricsBucket) => number): number => m.buckets.reduce((a, b) => a + f(b), 0);
    assert.equal(
      sum((b) => b.calls),
      m.totals.calls,
    );
    assert.equal(
      sum((b) => b.inputTokens),
      m.totals.inputTokens,
    );
    assert.ok(m.buckets.some((b) => b.p95Ms !== undefined && b.p95Ms > 0));
    file.dispose();
  });

  it('says nothing of metrics for a file without them', async () => {
    const file = FileSource.read(
      'file:///tmp/t.jsonl',
      't.jsonl',
      Buffer.from(collectorFile(false)),
      createNormalizer(),
    );
    assert.equal(file.summary.genAiMetricPoints, 0);
    const summary = await file.summarize({});
    assert.ok(summary.totals.calls > 0);
    assert.equal(summary.metrics, undefined);
    file.dispose();
  });
});
