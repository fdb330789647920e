// The GenAI metrics on the captured fixtures (the OpenTelemetry OpenAI instrumentation's own histograms):
// both encodings read to the same totals, the totals agree with what the same turns' spans say, a point
// seen twice counts once, a cumulative series is differenced, and percentiles are read from buckets.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bucketFor } from '../../../src/core/aggregate';
import { createNormalizer } from '../../../src/core/genai/normalize';
import {
  AGGREGATION_TEMPORALITY_CUMULATIVE,
  GenAiMetrics,
  histogramPercentile,
  type GenAiMetricPoint,
  type MetricsFigures,
} from '../../../src/core/genaiMetrics';
import { TraceStore } from '../../../src/core/store';
import { decodeOtlp } from '../../../src/otlp/decode';
import { otlpTypes } from '../../../src/otlp/otlpProto';
import { fixtureBatch, fixtureEntries, fixturePayload, type FixtureEntry } from '../helpers/fixtures';

const metricEntries = (encoding: FixtureEntry['encoding']): FixtureEntry[] =>
  fixtureEntries({ library: 'otel-openai', signal: 'metrics', encoding });

function pointsOf(entries: FixtureEntry[]): GenAiMetricPoint[] {
  return entries.flatMap((e) => fixtureBatch(e).metrics ?? []);
}

function added(points: GenAiMetricPoint[]): GenAiMetrics {
  const m = new GenAiMetrics();
  m.add(points);
  return m;
}

/** What does not depend on the run: counts and tokens (durations differ between captures). */
function countsOf(f: MetricsFigures): unknown {
  return {
    calls: f.calls,
    errors: f.errors,
    inputTokens: f.inputTokens,
    outputTokens: f.outputTokens,
  };
}

describe('GenAI metrics from the captured fixtures', () => {
  it('reads every metrics request of both encodings, with nothing rejected', () => {
    for (const encoding of ['protobuf', 'json'] as const) {
      const entries = metricEntries(encoding);
      assert.ok(entries.length >= 10, encoding);
      for (const e of entries) {
        const batch = fixtureBatch(e);
        assert.equal(batch.rejected, 0, e.file);
        assert.ok((batch.metrics?.length ?? 0) > 0, `${e.file} has GenAI points`);
        for (const p of batch.metrics!) {
          assert.equal(p.service, 'wayfarer-trips', e.file);
          assert.equal(p.provider, 'openai', e.file);
          assert.ok(p.model, e.file);
          assert.equal(p.temporality, 1, `${e.file}: the sample app exports delta`);
        }
      }
    }
  });

  it('gives the same totals per model from protobuf and from JSON', () => {
    // `large` was captured in protobuf only.
    const pb = added(pointsOf(metricEntries('protobuf').filter((e) => e.scenario !== 'large'))).summarize(
      {},
    )!;
    const js = added(pointsOf(metricEntries('json'))).summarize({})!;
    assert.deepEqual(countsOf(pb.totals), countsOf(js.totals));
    assert.deepEqual(
      pb.byModel.map((g) => [g.key, countsOf(g)]),
      js.byModel.map((g) => [g.key, countsOf(g)]),
    );
    assert.deepEqual(pb.metrics, ['gen_ai.client.operation.duration', 'gen_ai.client.token.usage']);
    // Durations are measured anew by each capture; the estimate lies within what was recorded.
    assert.ok(pb.totals.p50Ms! > 0 && pb.totals.p95Ms! >= pb.totals.p50Ms!);
  });

  it('counts what the same turns’ spans count: calls, errors and tokens per model', () => {
    const sessions = fixtureEntries({ library: 'otel-openai', scenario: 'sessions', encoding: 'protobuf' });
    const store = new TraceStore({ maxTraces: 100, normalizer: createNormalizer() });
    for (const e of sessions) if (e.signal !== 'metrics') store.ingest(fixtureBatch(e), 'otlp');
    const spans = store.summarize({});
    const metrics = added(pointsOf(sessions.filter((e) => e.signal === 'metrics'))).summarize({})!;
    assert.equal(metrics.totals.calls, spans.totals.calls);
    assert.equal(metrics.totals.errors, spans.totals.errors);
    assert.equal(metrics.totals.inputTokens, spans.totals.inputTokens);
    assert.equal(metrics.totals.outputTokens, spans.totals.outputTokens);
    const tokens = (groups: { key: string; inputTokens: number; outputTokens: number }[]): unknown =>
      groups
        .filter((g) => g.inputTokens + g.outputTokens > 0)
        .map((g) => [g.key, g.inputTokens, g.outputTokens])
        .sort();
    assert.deepEqual(tokens(metrics.byModel), tokens(spans.byModel));
    assert.deepEqual(
      metrics.byService.map((g) => g.key),
      ['wayfarer-trips'],
    );
  });

  it('counts a request received twice once (a retried export, a replay over a live store)', () => {
    const points = pointsOf(metricEntries('protobuf'));
    const m = added(points);
    const before = m.summarize({})!;
    assert.equal(m.add(points), 0);
    assert.deepEqual(m.summarize({}), before);
  });

  it('differences a cumulative series, so its repeated totals are not added again', () => {
    // The three gpt-4o-mini turns of the sessions scenario as a cumulative exporter would send them: one
    // series from the first turn's start time, each point the running total.
    const turns = fixtureEntries({ library: 'otel-openai', scenario: 'sessions', encoding: 'json' })
      .filter((e) => e.signal === 'metrics')
      .map((e) => (fixtureBatch(e).metrics ?? []).filter((p) => p.model.startsWith('gpt-4o-mini')))
      .filter((ps) => ps.length > 0);
    assert.equal(turns.length, 3);
    const deltas = added(turns.flat()).summarize({})!;
    const running = new Map<string, GenAiMetricPoint>();
    const cumulative: GenAiMetricPoint[] = [];
    const start = turns[0]![0]!.startTimeUnixNano;
    for (const turn of turns) {
      for (const p of turn) {
        const key = `${p.kind}|${p.series.replace(/"server\.port",\d+/, '')}`;
        const prev = running.get(key);
        const next: GenAiMetricPoint = {
          ...p,
          temporality: AGGREGATION_TEMPORALITY_CUMULATIVE,
          series: key,
          startTimeUnixNano: start,
          count: (prev?.count ?? 0) + p.count,
          sum: (prev?.sum ?? 0) + p.sum,
          bucketCounts: p.bucketCounts!.map((c, i) => c + (prev?.bucketCounts![i] ?? 0)),
        };
        delete next.min;
        delete next.max;
        running.set(key, next);
        cumulative.push(next);
      }
    }
    const m = added(cumulative);
    const summed = m.summarize({})!;
    assert.deepEqual(countsOf(summed.totals), countsOf(deltas.totals));
    assert.equal(summed.totals.calls, 4, 'turn 4 made two calls');
    // Sent again (the exporter's next interval with nothing new): nothing is added.
    const last = [...running.values()].map((p) => ({
      ...p,
      timeUnixNano: String(BigInt(p.timeUnixNano) + 60_000_000_000n),
    }));
    m.add(last);
    assert.deepEqual(countsOf(m.summarize({})!.totals), countsOf(deltas.totals));
    // The app restarted: a new start time is a new series, counted whole.
    m.add(turns[0]!.map((p) => ({ ...p, temporality: 2, startTimeUnixNano: '1', timeUnixNano: '2' })));
    assert.equal(m.summarize({})!.totals.calls, 5);
  });

  it('reads the newer names: usage counters and gen_ai.client.inference.duration', () => {
    // The captured request with its metrics renamed as the current conventions name them, tokens as sums.
    const entry = fixtureEntries({ library: 'otel-openai', scenario: 'chat', encoding: 'json' }).find(
      (e) => e.signal === 'metrics',
    )!;
    type Json = { resourceMetrics: { scopeMetrics: { metrics: Record<string, unknown>[] }[] }[] };
    const body = JSON.parse(fixturePayload(entry).toString()) as Json;
    for (const rm of body.resourceMetrics)
      for (const sm of rm.scopeMetrics) {
        const renamed: Record<string, unknown>[] = [];
        for (const metric of sm.metrics) {
          const h = metric['histogram'] as {
            dataPoints: { attributes: { key: string; value: { stringValue?: string } }[]; sum: number }[];
          };
          if (metric['name'] === 'gen_ai.client.operation.duration')
            renamed.push({ ...metric, name: 'gen_ai.client.inference.duration' });
          else
            for (const dp of h.dataPoints) {
              const type = dp.attributes.find((a) => a.key === 'gen_ai.token.type')!.value.stringValue;
              renamed.push({
                name: `gen_ai.client.inference.usage.${type}_tokens`,
                unit: '{token}',
                sum: {
                  aggregationTemporality: 'AGGREGATION_TEMPORALITY_DELTA',
                  isMonotonic: true,
                  dataPoints: [{ ...dp, asInt: String(dp.sum), bucketCounts: undefined }],
                },
              });
            }
        }
        sm.metrics = renamed;
      }
    const json = decodeOtlp('metrics', Buffer.from(JSON.stringify(body)), 'json');
    const t = otlpTypes().metricsRequest;
    const pb = decodeOtlp('metrics', t.encode(t.fromObject(body)).finish(), 'protobuf');
    const original = added(fixtureBatch(entry).metrics!).summarize({})!;
    for (const decoded of [json, pb]) {
      const s = added(decoded.metrics!).summarize({})!;
      assert.deepEqual(countsOf(s.totals), countsOf(original.totals));
      assert.ok(s.metrics.includes('gen_ai.client.inference.usage.input_tokens'), s.metrics.join());
      assert.ok(s.metrics.includes('gen_ai.client.inference.duration'));
    }
  });

  it('skips other metrics, and says nothing when no GenAI metric came', () => {
    const t = otlpTypes().metricsRequest;
    const body = t
      .encode(
        t.fromObject({
          resourceMetrics: [
            {
              scopeMetrics: [
                {
                  metrics: [
                    {
                      name: 'http.client.request.duration',
                      histogram: {
                        dataPoints: [{ count: 3, sum: 1, bucketCounts: [3], explicitBounds: [] }],
                      },
                    },
                    { name: 'process.cpu.time', sum: { dataPoints: [{ asDouble: 1 }] } },
                  ],
                },
              ],
            },
          ],
        }),
      )
      .finish();
    const decoded = decodeOtlp('metrics', body, 'protobuf');
    assert.equal(decoded.metricCount, 2);
    assert.equal(decoded.metrics, undefined);
    assert.equal(new GenAiMetrics().summarize({}), undefined);
  });

  it('skips a point whose values cannot be measurements, so no total becomes NaN', () => {
    const t = otlpTypes().metricsRequest;
    const point = (sum: number, count: number, time: number): Record<string, unknown> => ({
      attributes: [{ key: 'gen_ai.token.type', value: { stringValue: 'input' } }],
      startTimeUnixNano: 1,
      timeUnixNano: time,
      count,
      sum,
      bucketCounts: [count],
      explicitBounds: [],
    });
    const request = (points: Record<string, unknown>[]): Uint8Array =>
      t
        .encode(
          t.fromObject({
            resourceMetrics: [
              {
                scopeMetrics: [
                  {
                    metrics: [
                      {
                        name: 'gen_ai.client.token.usage',
                        histogram: {
                          aggregationTemporality: AGGREGATION_TEMPORALITY_CUMULATIVE,
                          dataPoints: points,
                        },
                      },
                    ],
                  },
                ],
              },
            ],
          }),
        )
        .finish();
    const kept = decodeOtlp('metrics', request([point(10, 1, 2), point(25, 2, 3)]), 'protobuf').metrics;
    assert.equal(kept?.length, 2);
    // A cumulative series of sums past a double's range differenced as Infinity - Infinity gave NaN.
    const absurd = [point(1e308, 1, 4), point(Infinity, 2, 5), point(-5, 3, 6), point(NaN, 4, 7)];
    assert.equal(decodeOtlp('metrics', request(absurd), 'protobuf').metrics, undefined);
    assert.equal(added(kept!).summarize({})?.totals.inputTokens, 25);
  });
});

describe('GenAI metrics added up', () => {
  const points = pointsOf(metricEntries('protobuf'));

  it('keeps the window asked for, and fills the summary’s buckets', () => {
    const times = points.map((p) => Number(BigInt(p.timeUnixNano) / 1_000_000n));
    const first = Math.min(...times);
    const last = Math.max(...times);
    const m = added(points);
    const none = m.summarize({ fromMs: last + 1000, toMs: last + 2000 })!.totals;
    assert.deepEqual(none, { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 });
    const all = m.summarize(
      { fromMs: first - 1000, toMs: last + 1000 },
      {
        fromMs: first - 1000,
        toMs: last + 1000,
        bucketMs: bucketFor(last - first + 2000),
      },
    )!;
    assert.equal(all.totals.calls, m.summarize({})!.totals.calls);
    assert.equal(
      all.buckets.reduce((n, b) => n + b.calls, 0),
      all.totals.calls,
    );
    assert.equal(
      all.buckets.reduce((n, b) => n + b.inputTokens, 0),
      all.totals.inputTokens,
    );
  });

  it('is bounded in cells, dropping the oldest', () => {
    const m = new GenAiMetrics(3, 100);
    m.add(points);
    assert.ok(m.size.cells <= 3);
    assert.ok(m.size.series <= 100);
    m.clear();
    assert.deepEqual(m.size, { cells: 0, series: 0 });
    assert.equal(m.summarize({}), undefined);
  });
});

describe('percentiles from explicit buckets', () => {
  it('interpolates within the bucket that holds the rank', () => {
    // Buckets (-, 10], (10, 20], (20, 40], (40, +): two values in each of the middle two.
    const h = { bounds: [10, 20, 40], counts: [0, 2, 2, 0] };
    assert.equal(histogramPercentile(h, 50), 20);
    assert.equal(histogramPercentile(h, 25), 15);
    assert.equal(histogramPercentile(h, 95), 20 + 20 * (1.8 / 2));
    assert.equal(histogramPercentile({ ...h, counts: [0, 0, 0, 0] }, 50), undefined);
  });

  it('bounds the open-ended buckets by the smallest and largest values seen', () => {
    assert.equal(histogramPercentile({ bounds: [10], counts: [0, 4], min: 12, max: 20 }, 100), 20);
    assert.equal(histogramPercentile({ bounds: [10], counts: [4, 0], min: 2, max: 8 }, 50), 5);
    // A single value: its bucket narrowed to it.
    assert.equal(histogramPercentile({ bounds: [10, 20], counts: [0, 1, 0], min: 13, max: 13 }, 50), 13);
  });
});
