// The rows of summaryQuery() (kql.ts) as the Summary view's figures: the same shape the local store's
// aggregator gives, so the panel does not care where they were added up. Kusto sums the tokens per model;
// the price table prices each model's sums here (a price is linear in tokens), and the dollars are added
// up per model, service, user and bucket.

import { MAX_GROUPS, type Summary, type SummaryBucket, type SummaryGroup } from '../core/aggregate';
import {
  AGGREGATION_TEMPORALITY_DELTA,
  GENAI_DURATION_UNIT,
  GENAI_METRIC_KEYS,
  GenAiMetrics,
  genAiMetricPoint,
  type MetricsSummary,
} from '../core/genaiMetrics';
import { priceCall, type PriceTable } from '../core/pricing';
import type { QueryRow } from './client';
import { readNumber, readTimeNs } from './rows';
import type { SummaryQueryWindow } from './kql';

type Figures = Omit<SummaryGroup, 'key'>;

function empty(): Figures {
  return {
    calls: 0,
    inputTokens: 0,
    outputTokens: 0,
    cachedInputTokens: 0,
    reasoningTokens: 0,
    costUsd: 0,
    pricedCalls: 0,
    unpricedCalls: 0,
    errors: 0,
    evaluations: 0,
  };
}

function num(v: unknown): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : 0;
}

function optionalNum(v: unknown): number | undefined {
  return v === null || v === undefined || v === '' ? undefined : num(v);
}

export function summaryFromRows(
  rows: readonly QueryRow[],
  window: SummaryQueryWindow,
  prices: PriceTable,
): Summary {
  const groups = new Map<string, Map<string, Figures>>();
  const at = (dimension: string, key: string): Figures => {
    let byKey = groups.get(dimension);
    if (!byKey) groups.set(dimension, (byKey = new Map()));
    let f = byKey.get(key);
    if (!f) byKey.set(key, (f = empty()));
    return f;
  };
  for (const r of rows) {
    const dimension = String(r.dimension ?? '');
    const key = dimension === 'bucket' ? String(Date.parse(String(r.key))) : String(r.key ?? '');
    const f = at(dimension, key);
    if (r.part === 'latency') {
      f.calls = num(r.calls);
      f.errors = num(r.errors);
      f.evaluations = num(r.evaluations);
      const p50 = optionalNum(r.p50);
      if (p50 !== undefined && f.calls > 0) {
        f.p50Ms = p50;
        f.p95Ms = optionalNum(r.p95);
        f.p99Ms = optionalNum(r.p99);
      }
    } else if (r.part === 'tokens') {
      const usage = {
        inputTokens: num(r.inputTokens),
        outputTokens: num(r.outputTokens),
        cachedInputTokens: num(r.cachedInputTokens),
        cacheCreationInputTokens: num(r.cacheWriteTokens),
        reasoningTokens: num(r.reasoningTokens),
      };
      f.inputTokens += usage.inputTokens;
      f.outputTokens += usage.outputTokens;
      f.cachedInputTokens += usage.cachedInputTokens;
      f.reasoningTokens += usage.reasoningTokens;
      const tokenCalls = num(r.tokenCalls);
      if (tokenCalls === 0) continue;
      const cost = priceCall(prices, usage, [String(r.model ?? '')]);
      if (cost?.priced) {
        f.costUsd += cost.usd;
        f.pricedCalls += tokenCalls;
      } else if (cost) f.unpricedCalls += tokenCalls;
    }
  }
  const list = (dimension: string): { groups: SummaryGroup[]; omitted: number } => {
    const all = [...(groups.get(dimension) ?? new Map<string, Figures>())].map(([key, f]) => ({ key, ...f }));
    all.sort(
      (a, b) => b.inputTokens + b.outputTokens - (a.inputTokens + a.outputTokens) || b.calls - a.calls,
    );
    return { groups: all.slice(0, MAX_GROUPS), omitted: Math.max(0, all.length - MAX_GROUPS) };
  };
  const b = window.bucketMs;
  const first = Math.floor(window.fromMs / b);
  const count = Math.floor(window.toMs / b) - first + 1;
  const byBucket = groups.get('bucket');
  const buckets: SummaryBucket[] = Array.from({ length: Math.max(1, count) }, (_, i) => {
    const startMs = (first + i) * b;
    const { p99Ms: _p99, ...f } = byBucket?.get(String(startMs)) ?? empty();
    return { startMs, ...f };
  });
  const model = list('model');
  const service = list('service');
  const user = list('user');
  const summary: Summary = {
    fromMs: window.fromMs,
    toMs: window.toMs,
    bucketMs: b,
    totals: groups.get('total')?.get('') ?? empty(),
    byModel: model.groups,
    byService: service.groups,
    byUser: user.groups,
    buckets,
  };
  if (model.omitted + service.omitted + user.omitted > 0)
    summary.omittedGroups = { model: model.omitted, service: service.omitted, user: user.omitted };
  return summary;
}

/**
 * The rows of metricsSummaryQuery() (kql.ts) as the Summary's metrics figures, in the summary's buckets, or
 * undefined when the window holds no GenAI metric. Each row is already a sum, so it is read as one delta
 * point at its bucket's start, through the same reading (kinds, plausible values, seconds to milliseconds)
 * and adding up as the app's OTLP points. Application Insights keeps no histogram buckets: durations have a
 * mean but no percentiles.
 */
export function metricsFromRows(
  rows: readonly QueryRow[],
  window: SummaryQueryWindow,
): MetricsSummary | undefined {
  const metrics = new GenAiMetrics();
  for (const r of rows) {
    const time = readTimeNs(r.bucket);
    const count = readNumber(r.values);
    const sum = readNumber(r.total);
    if (time === undefined || count === undefined || sum === undefined) continue;
    const point = genAiMetricPoint({
      metric: String(r.metric ?? ''),
      unit: GENAI_DURATION_UNIT,
      temporality: AGGREGATION_TEMPORALITY_DELTA,
      resource: { 'service.name': String(r.service ?? '') },
      scopeName: '',
      scopeVersion: '',
      attributes: {
        [GENAI_METRIC_KEYS.tokenType]: String(r.tokenType ?? ''),
        [GENAI_METRIC_KEYS.responseModel]: String(r.model ?? ''),
        [GENAI_METRIC_KEYS.errorType]: String(r.errorType ?? ''),
      },
      startTimeUnixNano: '0',
      timeUnixNano: time.toString(),
      count,
      sum,
    });
    if (point) metrics.addSummed(point);
  }
  // Kusto kept the window: its first bucket may start before it.
  return metrics.summarize({}, { fromMs: window.fromMs, toMs: window.toMs, bucketMs: window.bucketMs });
}
