// The Summary's chart series from the sessions scenario (spans, and otel-openai's own GenAI metrics): the
// span series as before, and beside them, only when metrics came, the metrics' per-bucket figures,
// labelled and aligned with the same buckets.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { summarizeCalls } from '../../../src/core/aggregate';
import { createNormalizer } from '../../../src/core/genai/normalize';
import {
  GENAI_METRIC_NAMES,
  GenAiMetrics,
  summarizeWithMetrics,
  type GenAiMetricPoint,
} from '../../../src/core/genaiMetrics';
import { TraceStore } from '../../../src/core/store';
import { summaryCharts, type SummaryChart } from '../../../src/protocol/summaryCharts';
import { fixtureBatch, fixtureEntries } from '../helpers/fixtures';

const entries = fixtureEntries({ library: 'otel-openai', scenario: 'sessions', encoding: 'json' });
const points = entries.filter((e) => e.signal === 'metrics').flatMap((e) => fixtureBatch(e).metrics ?? []);

function sessionsSummary(metricPoints?: GenAiMetricPoint[]) {
  const store = new TraceStore({ maxTraces: 100, normalizer: createNormalizer(), debounceMs: 0 });
  for (const e of entries) if (e.signal !== 'metrics') store.ingest(fixtureBatch(e), 'otlp');
  store.flush();
  const m = new GenAiMetrics();
  m.add(metricPoints ?? []);
  const summary = summarizeWithMetrics((w) => store.summarize(w), m, {});
  store.dispose();
  return summary;
}

const labels = (c: SummaryChart): string[] => c.series.map((s) => s.label);
const chart = (charts: SummaryChart[], title: string): SummaryChart => charts.find((c) => c.title === title)!;
const total = (values: (number | null)[]): number => values.reduce<number>((a, v) => a + (v ?? 0), 0);

describe('summary chart series', () => {
  it('draws the span figures alone when the app sends no metrics', () => {
    const summary = sessionsSummary();
    const model = summaryCharts(summary);
    assert.equal(model.hasMetrics, false);
    assert.equal(model.empty, false);
    assert.deepEqual(
      model.charts.map((c) => [c.title, c.unit, labels(c)]),
      [
        ['Tokens', 'tokens', ['Input', 'Output', 'Cached']],
        ['Cost (USD)', 'usd', ['Cost']],
        ['Latency', 'ms', ['p50', 'p95']],
        ['Calls and errors', 'count', ['Calls', 'Errors']],
      ],
    );
    assert.deepEqual(
      model.xs,
      summary.buckets.map((b) => b.startMs / 1000),
    );
    const tokens = chart(model.charts, 'Tokens');
    assert.deepEqual(
      tokens.series[0]!.values,
      summary.buckets.map((b) => b.inputTokens),
    );
    // A bucket without calls has no latency, not a latency of 0.
    const p95 = chart(model.charts, 'Latency').series[1]!.values;
    summary.buckets.forEach((b, i) => assert.equal(p95[i], b.calls === 0 ? null : b.p95Ms));
  });

  it("adds the metrics' own series beside the span ones, labelled, in the same buckets", () => {
    const summary = sessionsSummary(points);
    const m = summary.metrics!;
    assert.ok(m.buckets.length > 0);
    const model = summaryCharts(summary);
    assert.equal(model.hasMetrics, true);
    const tokens = chart(model.charts, 'Tokens');
    // The sample app reads no cache tokens: no lines of zeros for them.
    assert.deepEqual(labels(tokens), ['Input', 'Output', 'Cached', 'Input (metrics)', 'Output (metrics)']);
    assert.deepEqual(labels(chart(model.charts, 'Latency')), ['p50', 'p95', 'p95 est. (metrics)']);
    assert.deepEqual(labels(chart(model.charts, 'Calls and errors')), [
      'Calls',
      'Errors',
      'Calls (metrics)',
      'Errors (metrics)',
    ]);
    assert.deepEqual(labels(chart(model.charts, 'Cost (USD)')), ['Cost']);
    for (const c of model.charts)
      for (const s of c.series) {
        assert.equal(s.values.length, model.xs.length, `${c.title}: ${s.label}`);
        assert.equal(s.fromMetrics, s.label.endsWith('(metrics)'));
      }
    // Beside its span counterpart, in its colour (drawn dashed).
    assert.equal(tokens.series[3]!.colour, tokens.series[0]!.colour);
    assert.equal(tokens.series[4]!.colour, tokens.series[1]!.colour);

    const metricsInput = tokens.series[3]!.values;
    assert.equal(total(metricsInput), m.totals.inputTokens);
    assert.equal(total(tokens.series[4]!.values), m.totals.outputTokens);
    const calls = chart(model.charts, 'Calls and errors');
    assert.equal(total(calls.series[2]!.values), m.totals.calls);
    assert.equal(total(calls.series[3]!.values), m.totals.errors);
    // The app counted each turn as its spans did, in the same buckets.
    assert.deepEqual(calls.series[2]!.values, calls.series[0]!.values);
    assert.deepEqual(metricsInput, tokens.series[0]!.values);
    const p95 = chart(model.charts, 'Latency').series[2]!.values;
    assert.ok(p95.some((v) => v !== null && v > 0));
    m.buckets.forEach((b, i) => assert.equal(p95[i], b.p95Ms ?? null));
  });

  it("charts the metrics' cache reads and writes when the app counts them", () => {
    // The captured input-token points, also sent as the cache counters (a part of each read, a part written).
    const input = points.filter((p) => p.kind === 'input');
    const cache = (kind: 'cacheRead' | 'cacheWrite', metric: string, share: number): GenAiMetricPoint[] =>
      input.map((p) => ({
        ...p,
        kind,
        metric,
        series: `${p.series}/${kind}`,
        sum: Math.round(p.sum * share),
      }));
    const summary = sessionsSummary([
      ...points,
      ...cache('cacheRead', GENAI_METRIC_NAMES.cacheReadTokens, 0.5),
      ...cache('cacheWrite', GENAI_METRIC_NAMES.cacheWriteTokens, 0.25),
    ]);
    const m = summary.metrics!;
    assert.ok(m.totals.cacheReadTokens > 0 && m.totals.cacheWriteTokens > 0);
    const tokens = chart(summaryCharts(summary).charts, 'Tokens');
    const read = tokens.series.find((s) => s.label === 'Cache read (metrics)')!;
    const write = tokens.series.find((s) => s.label === 'Cache write (metrics)')!;
    assert.equal(total(read.values), m.totals.cacheReadTokens);
    assert.equal(total(write.values), m.totals.cacheWriteTokens);
    assert.notEqual(read.colour, write.colour);
  });

  it('has something to draw when only the metrics counted calls, and nothing when neither did', () => {
    const emptyWindow = summarizeCalls(() => undefined, { fromMs: 0, toMs: 1 }, 0);
    assert.equal(summaryCharts(emptyWindow).empty, true);
    // Every span sampled away: the whole window is the metrics' own, each call in a bucket.
    const full = sessionsSummary(points);
    const m = new GenAiMetrics();
    m.add(points);
    const sampled = summarizeWithMetrics((w) => summarizeCalls(() => undefined, w, Date.now()), m, {});
    assert.equal(sampled.totals.calls, 0);
    const model = summaryCharts(sampled);
    assert.equal(model.empty, false);
    const calls = chart(model.charts, 'Calls and errors');
    assert.equal(total(calls.series[0]!.values), 0);
    assert.equal(total(calls.series[2]!.values), full.metrics!.totals.calls);
  });
});
