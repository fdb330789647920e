// The GenAI metrics an app exports over OTLP (gen_ai.client.token.usage and gen_ai.client.operation.duration,
// and the counters and gen_ai.client.inference.duration that replace them), kept as small running totals
// beside the traces: an app that samples its spans still counts every call in its metrics, so the Summary
// shows both. Pure: the OTLP readers turn each data point into a GenAiMetricPoint with `genAiMetricPoint`,
// and `GenAiMetrics` adds the points up per model, service and second, bounded in cells and series.
//
// Temporality: a DELTA point carries what happened since the series' previous point and is added; a
// CUMULATIVE point (the SDKs' default) repeats the series' total since its start time, so only what grew
// since the series' previous point is added (a new start time is a restart: its whole total is new). Either
// way a point already seen (a retried export, a request replayed twice) adds nothing.

import type { Summary, SummaryWindow } from './aggregate';
import type { AttrValue, Attributes } from './records';

/** Which figure a metric feeds. */
export type GenAiMetricKind = 'duration' | 'input' | 'output' | 'cacheRead' | 'cacheWrite';

export const AGGREGATION_TEMPORALITY_DELTA = 1;
export const AGGREGATION_TEMPORALITY_CUMULATIVE = 2;

/** The metrics read, by name; every other metric is skipped unread. */
export const GENAI_METRIC_NAMES = {
  tokenUsage: 'gen_ai.client.token.usage',
  operationDuration: 'gen_ai.client.operation.duration',
  inferenceDuration: 'gen_ai.client.inference.duration',
  inputTokens: 'gen_ai.client.inference.usage.input_tokens',
  outputTokens: 'gen_ai.client.inference.usage.output_tokens',
  cacheReadTokens: 'gen_ai.client.inference.usage.cache_read.input_tokens',
  cacheWriteTokens: 'gen_ai.client.inference.usage.cache_write.input_tokens',
} as const;

/** The kinds a metric of this name can feed, or undefined when it is not one we read. */
export function genAiMetricFamily(name: string): 'tokenUsage' | GenAiMetricKind | undefined {
  switch (name) {
    case GENAI_METRIC_NAMES.tokenUsage:
      return 'tokenUsage';
    case GENAI_METRIC_NAMES.operationDuration:
    case GENAI_METRIC_NAMES.inferenceDuration:
      return 'duration';
    case GENAI_METRIC_NAMES.inputTokens:
      return 'input';
    case GENAI_METRIC_NAMES.outputTokens:
      return 'output';
    case GENAI_METRIC_NAMES.cacheReadTokens:
      return 'cacheRead';
    case GENAI_METRIC_NAMES.cacheWriteTokens:
      return 'cacheWrite';
    default:
      return undefined;
  }
}

/**
 * What a point of this metric measures, with its `gen_ai.token.type` for the token usage histogram; undefined
 * when it feeds no figure (a metric we do not read, or a token type other than input and output).
 */
function genAiMetricKind(name: string, tokenType: string): GenAiMetricKind | undefined {
  const family = genAiMetricFamily(name);
  if (family !== 'tokenUsage') return family;
  return tokenType === 'input' || tokenType === 'output' ? tokenType : undefined;
}

/** The semantic conventions' unit of the GenAI duration metrics, for a source that does not say it. */
export const GENAI_DURATION_UNIT = 's';

/** The attributes of a GenAI metric point that the figures read. */
export const GENAI_METRIC_KEYS = {
  tokenType: 'gen_ai.token.type',
  requestModel: 'gen_ai.request.model',
  responseModel: 'gen_ai.response.model',
  provider: 'gen_ai.provider.name',
  system: 'gen_ai.system',
  errorType: 'error.type',
  serviceName: 'service.name',
} as const;
const K = GENAI_METRIC_KEYS;

/** One data point of a GenAI metric, as both OTLP readers produce it. */
export interface GenAiMetricPoint extends MetricValues {
  /** The metric's name as sent. */
  metric: string;
  kind: GenAiMetricKind;
  /** AGGREGATION_TEMPORALITY_*; 0 (unspecified) is read as cumulative, which never counts twice. */
  temporality: number;
  /** The series: resource, scope, metric and the point's attributes, as one string. */
  series: string;
  startTimeUnixNano: string;
  timeUnixNano: string;
  /** The response model, else the request model; '' when neither is set. */
  model: string;
  service: string;
  provider: string;
  errorType: string;
}

/** What one data point measured: the fields a reader reads and the point keeps. */
export interface MetricValues {
  /** Values recorded (a histogram's count); 0 for a counter. */
  count: number;
  /** Their sum: tokens, or milliseconds for a duration. */
  sum: number;
  /** Explicit-bucket histograms: upper bounds (ms for a duration), and counts for bounds + 1 buckets. */
  bounds?: number[];
  bucketCounts?: number[];
  min?: number;
  max?: number;
}

/** What a reader found in one data point; `scale` turns the metric's unit into ms or tokens. */
export interface RawMetricPoint extends MetricValues {
  metric: string;
  unit: string;
  temporality: number;
  resource: Attributes;
  scopeName: string;
  scopeVersion: string;
  attributes: Attributes;
  startTimeUnixNano: string;
  timeUnixNano: string;
}

function str(v: AttrValue | undefined): string {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
}

function seriesKey(p: RawMetricPoint): string {
  const attrs = (a: Attributes): [string, unknown][] =>
    Object.keys(a)
      .sort()
      .map((k) => [k, a[k] instanceof Uint8Array ? Array.from(a[k]) : a[k]]);
  return JSON.stringify([p.metric, p.scopeName, p.scopeVersion, attrs(p.resource), attrs(p.attributes)]);
}

/** Milliseconds per unit of a duration metric (UCUM); seconds when it names none. */
function durationScale(unit: string): number {
  switch (unit) {
    case 'ms':
      return 1;
    case 'us':
      return 0.001;
    case 'ns':
      return 0.000001;
    case 'min':
      return 60_000;
    default:
      return 1000;
  }
}

/**
 * Beyond it a count, a sum or a bound is not a measurement (a quadrillion tokens, or 30,000 years in ms);
 * below it, 20,000 cells of such values still add up to a finite number, and a cumulative series' differences
 * never become Infinity minus Infinity.
 */
export const MAX_METRIC_VALUE = 1e15;

const plausible = (v: number | undefined): boolean =>
  v === undefined || (Number.isFinite(v) && v >= 0 && v <= MAX_METRIC_VALUE);

/**
 * The point as kept, or undefined when it feeds no figure (a token point of another type) or holds a value
 * that cannot be one (negative, not finite, or past MAX_METRIC_VALUE).
 */
export function genAiMetricPoint(p: RawMetricPoint): GenAiMetricPoint | undefined {
  const kind = genAiMetricKind(p.metric, str(p.attributes[K.tokenType]));
  if (!kind) return undefined;
  if (!plausible(p.count) || !plausible(p.sum) || !plausible(p.min) || !plausible(p.max)) return undefined;
  if (p.bucketCounts && !p.bucketCounts.every(plausible)) return undefined;
  if (p.bounds && !p.bounds.every((b) => Number.isFinite(b) && Math.abs(b) <= MAX_METRIC_VALUE))
    return undefined;
  const a = p.attributes;
  const point: GenAiMetricPoint = {
    metric: p.metric,
    kind,
    temporality: p.temporality,
    series: seriesKey(p),
    startTimeUnixNano: p.startTimeUnixNano,
    timeUnixNano: p.timeUnixNano,
    model: str(a[K.responseModel]) || str(a[K.requestModel]),
    service: str(p.resource[K.serviceName]),
    provider: str(a[K.provider]) || str(a[K.system]),
    errorType: str(a[K.errorType]),
    count: p.count,
    sum: p.sum,
  };
  const scale = kind === 'duration' ? durationScale(p.unit) : 1;
  if (scale !== 1) point.sum *= scale;
  if (p.bounds && p.bucketCounts && p.bucketCounts.length === p.bounds.length + 1) {
    point.bounds = scale === 1 ? p.bounds : p.bounds.map((b) => b * scale);
    point.bucketCounts = p.bucketCounts;
  }
  if (p.min !== undefined) point.min = p.min * scale;
  if (p.max !== undefined) point.max = p.max * scale;
  return point;
}

// ---------------------------------------------------------------------------------------------------
// Adding up

/** Cells (model, service, second) kept; the oldest go first past it. */
export const MAX_METRIC_CELLS = 20_000;
/** Series whose last point is remembered (to difference cumulative points and drop repeats). */
export const MAX_METRIC_SERIES = 10_000;
const CELL_MS = 1000;

interface Histogram {
  bounds: number[];
  counts: number[];
  min: number;
  max: number;
}

interface Cell {
  model: string;
  service: string;
  timeMs: number;
  calls: number;
  errors: number;
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  durationMs: number;
  histogram?: Histogram;
}

interface SeriesState {
  time: bigint;
  count: number;
  sum: number;
  bucketCounts?: number[];
}

export interface MetricsFigures {
  /** Operations recorded by the duration metric; absent when the app sends none. */
  calls?: number;
  /** Of those, the ones with `error.type`. */
  errors?: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** Estimated from histogram buckets (linear within a bucket); absent without a duration histogram. */
  p50Ms?: number;
  p95Ms?: number;
  /** Mean duration from the histogram's sum and count. */
  meanMs?: number;
}

export interface MetricsGroup extends MetricsFigures {
  key: string;
}

export interface MetricsBucket {
  startMs: number;
  calls: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** Estimated from the bucket's own histogram buckets; absent when it holds no duration histogram. */
  p95Ms?: number;
}

export interface MetricsSummary {
  totals: MetricsFigures;
  /** Most tokens first, at most MAX_METRIC_GROUPS each. */
  byModel: MetricsGroup[];
  byService: MetricsGroup[];
  /** The Summary's own buckets (the same start times), when the caller asked for them. */
  buckets: MetricsBucket[];
  /** The metric names that fed these figures. */
  metrics: string[];
}

export const MAX_METRIC_GROUPS = 200;
const MAX_METRIC_BUCKETS = 500;

function nanosToBig(s: string): bigint {
  try {
    return BigInt(s);
  } catch {
    return 0n;
  }
}

export class GenAiMetrics {
  private readonly cells = new Map<string, Cell>();
  private readonly series = new Map<string, SeriesState>();
  private readonly names = new Set<string>();

  constructor(
    private readonly maxCells = MAX_METRIC_CELLS,
    private readonly maxSeries = MAX_METRIC_SERIES,
  ) {}

  get size(): { cells: number; series: number } {
    return { cells: this.cells.size, series: this.series.size };
  }

  clear(): void {
    this.cells.clear();
    this.series.clear();
    this.names.clear();
  }

  /** Adds what each point brings that its series has not already counted; returns the points that added. */
  add(points: readonly GenAiMetricPoint[]): number {
    let added = 0;
    for (const p of points) if (this.addPoint(p)) added++;
    return added;
  }

  private addPoint(p: GenAiMetricPoint): boolean {
    const time = nanosToBig(p.timeUnixNano);
    const delta = p.temporality === AGGREGATION_TEMPORALITY_DELTA;
    // A cumulative series is also told apart by its start time: two processes of one service with the same
    // attributes, or a restart, are two series, each counted from its own start.
    const id = delta ? p.series : `${p.series}\u0000${p.startTimeUnixNano}`;
    const prev = this.series.get(id);
    // A point at or before the series' last one has been counted (a retried export, a request replayed
    // twice; exporters send one series in order): counting it again is worse than missing it.
    if (prev && time <= prev.time) return false;
    let count = p.count;
    let sum = p.sum;
    let bucketCounts = p.bucketCounts;
    if (!delta && prev && p.count >= prev.count && p.sum >= prev.sum - 1e-9) {
      count -= prev.count;
      sum -= prev.sum;
      if (bucketCounts && prev.bucketCounts && prev.bucketCounts.length === bucketCounts.length) {
        const before = prev.bucketCounts;
        bucketCounts = bucketCounts.map((c, i) => Math.max(0, c - before[i]!));
      }
    }
    // (A cumulative total that went down without a new start time was reset by the app: all of it is new.)
    const state: SeriesState = { time, count: p.count, sum: p.sum };
    if (p.bucketCounts) state.bucketCounts = p.bucketCounts;
    this.series.delete(id);
    this.series.set(id, state);
    while (this.series.size > this.maxSeries) this.series.delete(this.series.keys().next().value as string);
    // Min and max cover the whole series for a cumulative point: only a delta's bound its buckets.
    this.addCounted(p, time, count, sum, bucketCounts, delta || !prev);
    return true;
  }

  /**
   * Adds a point that was added up elsewhere (a Kusto row of a metrics table's sums): no series is kept,
   * so nothing is differenced or told apart as a repeat.
   */
  addSummed(p: GenAiMetricPoint): void {
    this.addCounted(p, nanosToBig(p.timeUnixNano), p.count, p.sum, p.bucketCounts, true);
  }

  private addCounted(
    p: GenAiMetricPoint,
    time: bigint,
    count: number,
    sum: number,
    bucketCounts: number[] | undefined,
    bounded: boolean,
  ): void {
    this.names.add(p.metric);
    if (count === 0 && sum === 0) return;

    const timeMs = Math.floor(Number(time / 1_000_000n) / CELL_MS) * CELL_MS;
    const key = `${p.model}\u0000${p.service}\u0000${timeMs}`;
    let cell = this.cells.get(key);
    if (!cell) {
      cell = {
        model: p.model,
        service: p.service,
        timeMs,
        calls: 0,
        errors: 0,
        input: 0,
        output: 0,
        cacheRead: 0,
        cacheWrite: 0,
        durationMs: 0,
      };
      this.cells.set(key, cell);
      while (this.cells.size > this.maxCells) this.cells.delete(this.cells.keys().next().value as string);
    }
    switch (p.kind) {
      case 'duration':
        cell.calls += count;
        if (p.errorType) cell.errors += count;
        cell.durationMs += sum;
        if (p.bounds && bucketCounts) {
          const min = bounded ? (p.min ?? NaN) : NaN;
          const max = bounded ? (p.max ?? NaN) : NaN;
          cell.histogram = mergeHistogram(cell.histogram, p.bounds, bucketCounts, min, max);
        }
        break;
      case 'input':
        cell.input += sum;
        break;
      case 'output':
        cell.output += sum;
        break;
      case 'cacheRead':
        cell.cacheRead += sum;
        break;
      case 'cacheWrite':
        cell.cacheWrite += sum;
        break;
    }
  }

  /** The first and last second that holds a figure, or undefined when none does. */
  timeRange(): { fromMs: number; toMs: number } | undefined {
    let fromMs = Number.POSITIVE_INFINITY;
    let toMs = Number.NEGATIVE_INFINITY;
    for (const c of this.cells.values()) {
      if (c.timeMs < fromMs) fromMs = c.timeMs;
      if (c.timeMs > toMs) toMs = c.timeMs;
    }
    return fromMs <= toMs ? { fromMs, toMs: toMs + CELL_MS - 1 } : undefined;
  }

  /**
   * The figures of the window (absent bounds: everything kept), or undefined when no GenAI metric has
   * been received, so the Summary shows nothing of metrics for an app that sends none.
   */
  summarize(
    window: { fromMs?: number; toMs?: number },
    series?: { fromMs: number; toMs: number; bucketMs: number },
  ): MetricsSummary | undefined {
    if (this.names.size === 0) return undefined;
    const total = new GroupAcc();
    const byModel = new Map<string, GroupAcc>();
    const byService = new Map<string, GroupAcc>();
    const { fromMs, toMs } = window;
    const buckets: MetricsBucket[] = [];
    const histograms: (Histogram | undefined)[] = [];
    const bucketMs = series && series.bucketMs > 0 ? series.bucketMs : 0;
    const first = series ? Math.floor(series.fromMs / (bucketMs || 1)) * bucketMs : 0;
    if (series && bucketMs > 0)
      for (let t = first; t <= series.toMs && buckets.length < MAX_METRIC_BUCKETS; t += bucketMs)
        buckets.push({
          startMs: t,
          calls: 0,
          errors: 0,
          inputTokens: 0,
          outputTokens: 0,
          cacheReadTokens: 0,
          cacheWriteTokens: 0,
        });
    for (const cell of this.cells.values()) {
      if (fromMs !== undefined && cell.timeMs < fromMs) continue;
      if (toMs !== undefined && cell.timeMs > toMs) continue;
      total.add(cell);
      groupOf(byModel, cell.model).add(cell);
      groupOf(byService, cell.service).add(cell);
      if (buckets.length > 0) {
        const i = Math.floor((cell.timeMs - first) / bucketMs);
        const b = buckets[i];
        if (b) {
          b.calls += cell.calls;
          b.errors += cell.errors;
          b.inputTokens += cell.input;
          b.outputTokens += cell.output;
          b.cacheReadTokens += cell.cacheRead;
          b.cacheWriteTokens += cell.cacheWrite;
          const h = cell.histogram;
          if (h) histograms[i] = mergeHistogram(histograms[i], h.bounds, h.counts, h.min, h.max);
        }
      }
    }
    histograms.forEach((h, i) => {
      const p95 = h && histogramPercentile(h, 95);
      if (p95 !== undefined) buckets[i]!.p95Ms = p95;
    });
    const groups = (m: Map<string, GroupAcc>): MetricsGroup[] =>
      [...m.entries()]
        .map(([key, acc]) => ({ key, ...acc.figures() }))
        .sort(
          (a, b) =>
            b.inputTokens + b.outputTokens - (a.inputTokens + a.outputTokens) ||
            (b.calls ?? 0) - (a.calls ?? 0),
        )
        .slice(0, MAX_METRIC_GROUPS);
    return {
      totals: total.figures(),
      byModel: groups(byModel),
      byService: groups(byService),
      buckets,
      metrics: [...this.names].sort(),
    };
  }
}

/**
 * A source's summary with its metrics' figures beside the span figures, in the summary's own buckets (every
 * source with metrics does this the same way); as `summarize` gives it when no GenAI metric came. An open
 * window is stretched over the metrics' times too: points are exported after their calls end, and an app
 * that samples its spans away has calls only in its metrics, so the buckets would otherwise miss them.
 */
export function summarizeWithMetrics(
  summarize: (window: SummaryWindow) => Summary,
  metrics: GenAiMetrics,
  window: SummaryWindow,
): Summary {
  let summary = summarize(window);
  const range = metrics.timeRange();
  if (!range) return summary;
  if (window.fromMs === undefined || window.toMs === undefined) {
    // Without calls the span summary's range is only "now".
    const spans = summary.totals.calls > 0;
    const fromMs = window.fromMs ?? (spans ? Math.min(summary.fromMs, range.fromMs) : range.fromMs);
    const toMs = window.toMs ?? (spans ? Math.max(summary.toMs, range.toMs) : Math.max(range.toMs, fromMs));
    if (fromMs !== summary.fromMs || toMs !== summary.toMs) summary = summarize({ ...window, fromMs, toMs });
  }
  const m = metrics.summarize(window, {
    fromMs: summary.fromMs,
    toMs: summary.toMs,
    bucketMs: summary.bucketMs,
  });
  if (m) summary.metrics = m;
  return summary;
}

function groupOf(m: Map<string, GroupAcc>, key: string): GroupAcc {
  let g = m.get(key);
  if (!g) m.set(key, (g = new GroupAcc()));
  return g;
}

class GroupAcc {
  calls = 0;
  errors = 0;
  input = 0;
  output = 0;
  cacheRead = 0;
  cacheWrite = 0;
  durationMs = 0;
  hasDuration = false;
  histogram: Histogram | undefined;

  add(c: Cell): void {
    if (c.calls > 0) this.hasDuration = true;
    this.calls += c.calls;
    this.errors += c.errors;
    this.input += c.input;
    this.output += c.output;
    this.cacheRead += c.cacheRead;
    this.cacheWrite += c.cacheWrite;
    this.durationMs += c.durationMs;
    if (c.histogram)
      this.histogram = mergeHistogram(
        this.histogram,
        c.histogram.bounds,
        c.histogram.counts,
        c.histogram.min,
        c.histogram.max,
      );
  }

  figures(): MetricsFigures {
    const out: MetricsFigures = {
      inputTokens: this.input,
      outputTokens: this.output,
      cacheReadTokens: this.cacheRead,
      cacheWriteTokens: this.cacheWrite,
    };
    if (this.hasDuration) {
      out.calls = this.calls;
      out.errors = this.errors;
      if (this.calls > 0) out.meanMs = this.durationMs / this.calls;
    }
    if (this.histogram) {
      const p50 = histogramPercentile(this.histogram, 50);
      const p95 = histogramPercentile(this.histogram, 95);
      if (p50 !== undefined) out.p50Ms = p50;
      if (p95 !== undefined) out.p95Ms = p95;
    }
    return out;
  }
}

function sameBounds(a: number[], b: number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Adds counts to a histogram. Histograms with other bounds (rare: one app, one view) have each bucket's
 * count moved to the bucket holding its middle, which keeps the estimate near.
 */
function mergeHistogram(
  into: Histogram | undefined,
  bounds: number[],
  counts: readonly number[],
  min: number,
  max: number,
): Histogram {
  if (!into) return { bounds, counts: counts.slice(), min, max };
  if (sameBounds(into.bounds, bounds)) {
    for (let i = 0; i < counts.length; i++) into.counts[i]! += counts[i]!;
  } else {
    for (let i = 0; i < counts.length; i++) {
      if (!counts[i]) continue;
      const lo = i === 0 ? Math.min(0, bounds[0] ?? 0) : bounds[i - 1]!;
      const hi = i < bounds.length ? bounds[i]! : lo;
      const mid = (lo + hi) / 2;
      let j = 0;
      while (j < into.bounds.length && mid > into.bounds[j]!) j++;
      into.counts[j]! += counts[i]!;
    }
  }
  if (!(into.min <= min)) into.min = Number.isNaN(into.min) ? min : Math.min(into.min, min);
  if (!(into.max >= max)) into.max = Number.isNaN(into.max) ? max : Math.max(into.max, max);
  return into;
}

/**
 * The p-th percentile of an explicit-bucket histogram, estimated by linear interpolation inside the bucket
 * that holds that rank. Bucket i holds values in (bounds[i-1], bounds[i]]; the first starts at the smallest
 * value seen (else 0) and the last, unbounded one ends at the largest (else its lower bound).
 */
export function histogramPercentile(
  h: { bounds: readonly number[]; counts: readonly number[]; min?: number; max?: number },
  p: number,
): number | undefined {
  let total = 0;
  for (const c of h.counts) total += c;
  if (total <= 0) return undefined;
  const rank = (p / 100) * total;
  const min = h.min !== undefined && Number.isFinite(h.min) ? h.min : undefined;
  const max = h.max !== undefined && Number.isFinite(h.max) ? h.max : undefined;
  let below = 0;
  for (let i = 0; i < h.counts.length; i++) {
    const c = h.counts[i]!;
    if (c > 0 && below + c >= rank) {
      let lo = i === 0 ? Math.min(min ?? 0, h.bounds[0] ?? 0) : h.bounds[i - 1]!;
      let hi = i < h.bounds.length ? h.bounds[i]! : Math.max(max ?? lo, lo);
      if (min !== undefined && min > lo && min <= hi) lo = min;
      if (max !== undefined && max < hi && max >= lo) hi = max;
      return lo + ((hi - lo) * Math.max(0, rank - below)) / c;
    }
    below += c;
  }
  return max ?? h.bounds[h.bounds.length - 1];
}
