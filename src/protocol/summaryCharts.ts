// What the Summary page's charts over time draw: per chart its series, each a value per bucket. The span
// figures always; beside them, when the app sends GenAI metrics, the metrics' own per bucket, labelled as
// such and drawn dashed, mostly in the colour of the span series they sit beside. Pure, so the series are
// tested without a browser; the page only maps units to formatters and colour indexes to the theme's colours.

import type { Summary, SummaryBucket } from '../core/aggregate';
import type { MetricsBucket } from '../core/genaiMetrics';

export type ChartUnit = 'tokens' | 'usd' | 'ms' | 'count';

/** The page's palette, in the theme's chart colours. */
export const CHART_COLOURS = ['blue', 'orange', 'green', 'purple', 'red'] as const;
const [BLUE, ORANGE, GREEN, PURPLE, RED] = [0, 1, 2, 3, 4];

/** Said in the legend of every series that comes from the metrics. */
export const METRICS_LABEL = 'metrics';

export interface ChartSeries {
  label: string;
  /** An index into CHART_COLOURS. */
  colour: number;
  /** Counted by the app's own metrics, not read from spans: drawn dashed. */
  fromMetrics: boolean;
  /** One per bucket of `SummaryCharts.xs`; null where the bucket has no value (no calls, no latency). */
  values: (number | null)[];
}

export interface SummaryChart {
  title: string;
  unit: ChartUnit;
  series: ChartSeries[];
}

export interface SummaryCharts {
  /** Each bucket's start, in seconds (uPlot's time scale). */
  xs: number[];
  charts: SummaryChart[];
  /** Some chart has a series from the metrics. */
  hasMetrics: boolean;
  /** Nothing to draw: no span calls and no metric values in the window. */
  empty: boolean;
}

type SpanValue = (b: SummaryBucket) => number | undefined;
type MetricValue = (b: MetricsBucket) => number | undefined;

function spanSeries(buckets: SummaryBucket[], label: string, colour: number, value: SpanValue): ChartSeries {
  return { label, colour, fromMetrics: false, values: buckets.map((b) => value(b) ?? null) };
}

/** The charts of a summary, in the order the page lays them out. */
export function summaryCharts(summary: Summary): SummaryCharts {
  const buckets = summary.buckets;
  const m = summary.metrics;
  // The metrics come in the summary's own buckets; joined by start time all the same.
  const byStart = new Map<number, MetricsBucket>();
  for (const b of m?.buckets ?? []) byStart.set(b.startMs, b);
  const hasMetricBuckets = byStart.size > 0;
  let metricValues = false;
  const metric = (label: string, colour: number, value: MetricValue): ChartSeries => {
    const values = buckets.map((b) => {
      const mb = byStart.get(b.startMs);
      const v = mb ? value(mb) : undefined;
      if (v) metricValues = true;
      return v ?? null;
    });
    return { label: `${label} (${METRICS_LABEL})`, colour, fromMetrics: true, values };
  };
  const totals = m?.totals;
  const tokens: ChartSeries[] = [
    spanSeries(buckets, 'Input', BLUE, (b) => b.inputTokens),
    spanSeries(buckets, 'Output', ORANGE, (b) => b.outputTokens),
    spanSeries(buckets, 'Cached', GREEN, (b) => b.cachedInputTokens),
  ];
  const latency: ChartSeries[] = [
    spanSeries(buckets, 'p50', BLUE, (b) => b.p50Ms),
    spanSeries(buckets, 'p95', ORANGE, (b) => b.p95Ms),
  ];
  const calls: ChartSeries[] = [
    spanSeries(buckets, 'Calls', GREEN, (b) => b.calls),
    spanSeries(buckets, 'Errors', RED, (b) => b.errors),
  ];
  if (totals && hasMetricBuckets) {
    tokens.push(
      metric('Input', BLUE, (b) => b.inputTokens),
      metric('Output', ORANGE, (b) => b.outputTokens),
    );
    // Cache counters are sent only by instrumentations that read them: no line of zeros otherwise.
    if (totals.cacheReadTokens > 0) tokens.push(metric('Cache read', GREEN, (b) => b.cacheReadTokens));
    if (totals.cacheWriteTokens > 0) tokens.push(metric('Cache write', PURPLE, (b) => b.cacheWriteTokens));
    // Latency is mostly lone points (a bucket between empty ones): a colour of its own tells them apart.
    if (totals.p95Ms !== undefined) latency.push(metric('p95 est.', PURPLE, (b) => b.p95Ms));
    // Calls come from the duration metric; without it the metrics count tokens only.
    if (totals.calls !== undefined)
      calls.push(
        metric('Calls', GREEN, (b) => b.calls),
        metric('Errors', RED, (b) => b.errors),
      );
  }
  const charts: SummaryChart[] = [
    { title: 'Tokens', unit: 'tokens', series: tokens },
    {
      title: 'Cost (USD)',
      unit: 'usd',
      series: [spanSeries(buckets, 'Cost', PURPLE, (b) => b.costUsd)],
    },
    { title: 'Latency', unit: 'ms', series: latency },
    { title: 'Calls and errors', unit: 'count', series: calls },
  ];
  return {
    xs: buckets.map((b) => b.startMs / 1000),
    charts,
    hasMetrics: charts.some((c) => c.series.some((s) => s.fromMetrics)),
    empty: summary.totals.calls === 0 && !metricValues,
  };
}
