// The Summary page: totals, a table per model, service and user, and charts over time (uPlot) for one
// source and window. The host computes every figure; the page only lays them out. Names (models,
// services, users) come from telemetry and are set with textContent only. Chart colours are read from the
// editor's theme variables and the charts are drawn again when the theme changes.

import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './summary.css';
import type { Summary, SummaryGroup } from '../../src/core/aggregate';
import type { MetricsFigures, MetricsGroup, MetricsSummary } from '../../src/core/genaiMetrics';
import { formatDuration, formatTokens, formatUsd } from '../../src/core/format';
import {
  CHART_COLOURS,
  METRICS_LABEL,
  summaryCharts,
  type ChartUnit,
  type SummaryCharts,
} from '../../src/protocol/summaryCharts';
import {
  SUMMARY_STATE_ELEMENT_ID,
  SUMMARY_WINDOWS,
  type SummaryHostMessage,
  type SummaryPageMessage,
  type SummaryPageState,
  type SummaryPanelTarget,
  type SummaryWindowKey,
} from '../../src/protocol/summary';

interface VsCodeApi {
  postMessage(message: SummaryPageMessage): void;
  setState(state: SummaryPanelTarget): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const api = acquireVsCodeApi();
const WINDOW_LABELS: Record<SummaryWindowKey, string> = {
  '15m': '15 min',
  '1h': '1 h',
  '24h': '24 h',
  '7d': '7 d',
  all: 'All',
};

let state: SummaryPageState | undefined;
let charts: uPlot[] = [];

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

function readInitialState(): SummaryPageState | undefined {
  const node = document.getElementById(SUMMARY_STATE_ELEMENT_ID);
  try {
    return node?.textContent ? (JSON.parse(node.textContent) as SummaryPageState) : undefined;
  } catch {
    return undefined;
  }
}

function ms(v: number | undefined): string {
  return v === undefined ? '–' : formatDuration(v);
}

function cost(g: { costUsd: number; pricedCalls: number; unpricedCalls: number }): string {
  if (g.pricedCalls === 0) return g.unpricedCalls > 0 ? 'no price' : '–';
  const usd = formatUsd(g.costUsd);
  return g.unpricedCalls > 0 ? `${usd} + ${g.unpricedCalls} no price` : usd;
}

function header(s: SummaryPageState): HTMLElement {
  const head = el('header', 'lti-sum-head');
  head.append(el('h1', 'lti-sum-title', `Summary: ${s.sourceLabel}`));
  const picker = el('div', 'lti-sum-windows');
  picker.setAttribute('role', 'group');
  picker.setAttribute('aria-label', 'Time window');
  for (const key of SUMMARY_WINDOWS) {
    const b = el('button', 'lti-sum-window', WINDOW_LABELS[key]);
    b.type = 'button';
    b.dataset.window = key;
    b.setAttribute('aria-pressed', String(key === s.window));
    b.addEventListener('click', () => api.postMessage({ type: 'setWindow', window: key }));
    picker.append(b);
  }
  const refresh = el('button', 'lti-sum-refresh', 'Refresh');
  refresh.type = 'button';
  refresh.addEventListener('click', () => api.postMessage({ type: 'refresh' }));
  picker.append(refresh);
  head.append(picker);
  return head;
}

function totals(summary: Summary): HTMLElement {
  const t = summary.totals;
  const box = el('section', 'lti-sum-totals');
  box.setAttribute('aria-label', 'Totals');
  const cards: [string, string][] = [
    ['LLM calls', t.calls.toLocaleString('en-US')],
    ['Input tokens', formatTokens(t.inputTokens)],
    ['Output tokens', formatTokens(t.outputTokens)],
    ['Cached input', formatTokens(t.cachedInputTokens)],
    ['Reasoning', formatTokens(t.reasoningTokens)],
    ['Cost', cost(t)],
    ['Errors', t.errors.toLocaleString('en-US')],
    ...(t.evaluations !== undefined
      ? ([['Evaluations', t.evaluations.toLocaleString('en-US')]] as [string, string][])
      : []),
    ['Latency p50 / p95 / p99', `${ms(t.p50Ms)} / ${ms(t.p95Ms)} / ${ms(t.p99Ms)}`],
  ];
  for (const [label, value] of cards) {
    const card = el('div', 'lti-sum-card');
    card.append(el('div', 'lti-sum-card-label', label), el('div', 'lti-sum-card-value', value));
    box.append(card);
  }
  return box;
}

const COLUMNS = ['Calls', 'Input', 'Output', 'Cached', 'Reasoning', 'Cost', 'Errors', 'p50', 'p95', 'p99'];

/** A table of groups: a header of `columns`, then a row per group named by its key (or `none`). */
function groupTable<G extends { key: string }>(
  title: string,
  columns: string[],
  none: string,
  groups: G[],
  cells: (g: G) => string[],
): HTMLTableElement {
  const t = el('table', 'lti-sum-table');
  const head = t.createTHead().insertRow();
  for (const c of [title, ...columns]) {
    const th = el('th', undefined, c);
    th.scope = 'col';
    head.append(th);
  }
  const body = t.createTBody();
  for (const g of groups) {
    const row = body.insertRow();
    const name = el('th', g.key ? 'lti-sum-key' : 'lti-sum-key lti-sum-none', g.key || none);
    name.scope = 'row';
    name.title = g.key;
    row.append(name);
    for (const c of cells(g)) row.append(el('td', 'lti-sum-num', c));
  }
  return t;
}

function table(title: string, none: string, groups: SummaryGroup[], omitted: number): HTMLElement {
  const section = el('section', 'lti-sum-section');
  section.dataset.dimension = title.toLowerCase();
  section.append(el('h2', undefined, title));
  const t = groupTable(title, COLUMNS, none, groups, (g) => [
    g.calls.toLocaleString('en-US'),
    formatTokens(g.inputTokens),
    formatTokens(g.outputTokens),
    formatTokens(g.cachedInputTokens),
    formatTokens(g.reasoningTokens),
    cost(g),
    g.errors.toLocaleString('en-US'),
    ms(g.p50Ms),
    ms(g.p95Ms),
    ms(g.p99Ms),
  ]);
  section.append(t);
  if (omitted > 0) section.append(el('p', 'lti-sum-note', `${omitted} more not shown (fewest tokens).`));
  return section;
}

const METRIC_COLUMNS = ['Calls', 'Errors', 'Input', 'Output', 'Cache read', 'Cache write'];

/** How a metrics section shows durations: none sent, percentiles from histogram buckets, or only a mean. */
type DurationShown = 'none' | 'percentiles' | 'mean';

/**
 * A metrics table's cells. Durations are percentiles estimated from histogram buckets where the source
 * keeps them, else (Application Insights keeps a point's sum and count) the mean.
 */
function metricCells(f: MetricsFigures, durations: DurationShown): string[] {
  const count = (v: number | undefined): string => (v === undefined ? '–' : v.toLocaleString('en-US'));
  return [
    count(f.calls),
    count(f.errors),
    formatTokens(f.inputTokens),
    formatTokens(f.outputTokens),
    formatTokens(f.cacheReadTokens),
    formatTokens(f.cacheWriteTokens),
    ...DURATION_CELLS[durations](f),
  ];
}

const DURATION_COLUMNS: Record<DurationShown, string[]> = {
  none: [],
  percentiles: ['p50 (est.)', 'p95 (est.)'],
  mean: ['Mean'],
};
const DURATION_CELLS: Record<DurationShown, (f: MetricsFigures) => string[]> = {
  none: () => [],
  percentiles: (f) => [ms(f.p50Ms), ms(f.p95Ms)],
  mean: (f) => [ms(f.meanMs)],
};
const DURATION_NOTES: Record<DurationShown, string> = {
  none: '',
  percentiles: ' Percentiles are estimated from the histogram buckets.',
  mean: ' Its durations come without histogram buckets here, so they show as a mean.',
};

function metricsTable(
  title: string,
  none: string,
  groups: MetricsGroup[],
  durations: DurationShown,
): HTMLElement {
  const columns = [...METRIC_COLUMNS, ...DURATION_COLUMNS[durations]];
  const t = groupTable(title, columns, none, groups, (f) => metricCells(f, durations));
  t.dataset.metrics = title.toLowerCase();
  t.createCaption().textContent = `By ${title.toLowerCase()}`;
  return t;
}

/**
 * What the app's own metrics say: every call the app made, sampled or not, so it is shown apart from the
 * span figures and labelled as such. Durations come from histogram buckets and are estimates.
 */
function metricsSection(m: MetricsSummary): HTMLElement {
  const section = el('section', 'lti-sum-section lti-sum-metrics');
  section.dataset.dimension = 'metrics';
  section.append(el('h2', undefined, "From the app's metrics"));
  const t = m.totals;
  // Durations only where the app sent a duration metric; percentiles where it kept histogram buckets.
  const durations: DurationShown =
    t.calls === undefined ? 'none' : t.p50Ms !== undefined ? 'percentiles' : 'mean';
  const calls = t.calls === undefined ? '' : `${t.calls.toLocaleString('en-US')} calls, `;
  const duration =
    durations === 'percentiles'
      ? `, duration p50 ${ms(t.p50Ms)} / p95 ${ms(t.p95Ms)} (estimated)`
      : durations === 'mean' && t.meanMs !== undefined
        ? `, mean duration ${ms(t.meanMs)}`
        : '';
  section.append(
    el(
      'p',
      'lti-sum-metrics-line',
      `${calls}${formatTokens(t.inputTokens)} tokens in, ${formatTokens(t.outputTokens)} out` +
        (t.cacheReadTokens > 0 || t.cacheWriteTokens > 0
          ? `, cache ${formatTokens(t.cacheReadTokens)} read / ${formatTokens(t.cacheWriteTokens)} written`
          : '') +
        duration,
    ),
    el(
      'p',
      'lti-sum-note',
      `Counted by the app itself (${m.metrics.join(', ')}), so sampled-out calls are included.` +
        DURATION_NOTES[durations],
    ),
  );
  if (m.byModel.length > 0) section.append(metricsTable('Model', '(no model)', m.byModel, durations));
  if (m.byService.length > 1) section.append(metricsTable('Service', '(no service)', m.byService, durations));
  return section;
}

const FALLBACK_COLOURS: Record<(typeof CHART_COLOURS)[number], string> = {
  blue: '#3794ff',
  orange: '#d18616',
  green: '#89d185',
  purple: '#b180d7',
  red: '#f14c4c',
};

/** The editor's colours for the charts, read from its CSS variables (they change with the theme). */
function palette(): { fg: string; grid: string; series: string[] } {
  const css = getComputedStyle(document.body);
  const v = (name: string, fallback: string): string => css.getPropertyValue(name).trim() || fallback;
  const fg = v('--vscode-foreground', '#888');
  return {
    fg,
    grid: v('--vscode-widget-border', v('--vscode-editorWidget-border', 'rgba(128,128,128,0.3)')),
    // In the order of CHART_COLOURS, which the series' colour indexes point into.
    series: CHART_COLOURS.map((c) => v(`--vscode-charts-${c}`, FALLBACK_COLOURS[c])),
  };
}

const FORMATS: Record<ChartUnit, (v: number) => string> = {
  tokens: (v) => formatTokens(v),
  usd: (v) => formatUsd(v),
  ms: (v) => formatDuration(v),
  count: (v) => v.toLocaleString('en-US'),
};

function chartSections(model: SummaryCharts): HTMLElement {
  const grid = el('section', 'lti-sum-charts');
  grid.setAttribute('aria-label', 'Charts over time');
  if (model.hasMetrics)
    grid.append(
      el(
        'p',
        'lti-sum-note lti-sum-charts-note',
        `Dashed lines, "(${METRICS_LABEL})" in the legends: counted by the app's own metrics, ` +
          'sampled-out calls included' +
          (model.charts.some((c) => c.unit === 'ms' && c.series.some((x) => x.fromMetrics))
            ? '; their p95 is estimated from histogram buckets.'
            : '.'),
      ),
    );
  for (const chart of model.charts) {
    const box = el('div', 'lti-sum-chart');
    box.dataset.chart = chart.title;
    box.append(el('h2', undefined, chart.title));
    box.append(el('div', 'lti-sum-plot'));
    grid.append(box);
  }
  return grid;
}

function nonZero(values: readonly (number | null)[]): number[] {
  const out: number[] = [];
  values.forEach((v, i) => v && out.push(i));
  return out;
}

/** The axes' font (uPlot's default) and a canvas to measure tick labels with. */
const AXIS_FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
let measurer: CanvasRenderingContext2D | null | undefined;

/**
 * The value axis as wide as its widest label (tick, gap and label), so "$0.0005" or "1.25 s" is never cut at
 * the chart's left edge.
 */
function valueAxisSize(values: readonly string[] | null): number {
  measurer ??= document.createElement('canvas').getContext('2d');
  if (!values?.length || !measurer) return 60;
  measurer.font = AXIS_FONT;
  const widest = Math.max(...values.map((v) => measurer!.measureText(v).width));
  return Math.max(40, Math.ceil(widest) + 22);
}

function drawCharts(model: SummaryCharts): void {
  for (const c of charts) c.destroy();
  charts = [];
  const colors = palette();
  const boxes = document.querySelectorAll<HTMLElement>('.lti-sum-chart');
  model.charts.forEach((chart, i) => {
    const plot = boxes[i]?.querySelector<HTMLElement>('.lti-sum-plot');
    if (!plot) return;
    plot.replaceChildren();
    const width = Math.max(240, plot.clientWidth || 400);
    const format = FORMATS[chart.unit];
    const axis = {
      stroke: colors.fg,
      grid: { stroke: colors.grid, width: 1 },
      ticks: { stroke: colors.grid },
    };
    const data: uPlot.AlignedData = [model.xs, ...chart.series.map((s) => s.values)];
    const opts: uPlot.Options = {
      width,
      height: 180,
      // The legend's marker is dashed for a dashed line, so a metrics series reads as one there too.
      legend: { show: true, markers: { dash: (u, j) => (u.series[j]?.dash ? 'dashed' : 'solid') } },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [
        { ...axis, font: AXIS_FONT },
        {
          ...axis,
          font: AXIS_FONT,
          size: (_u, values) => valueAxisSize(values),
          values: (_u, vals) => vals.map((v) => format(v)),
        },
      ],
      series: [
        {},
        ...chart.series.map((s) => ({
          label: s.label,
          stroke: colors.series[s.colour]!,
          width: 1.5,
          ...(s.fromMetrics ? { dash: [5, 4] } : {}),
          spanGaps: false,
          // Buckets with no calls have no latency: a lone bucket between them shows as a point. A metrics
          // point is a ring, so a span point at the same value still shows inside it; rings only where
          // the metrics counted something, so empty buckets stay a plain line.
          points: s.fromMetrics
            ? { show: true, size: 7, fill: 'transparent', filter: nonZero(s.values) }
            : { show: true, size: 4 },
          value: (_u: uPlot, v: number | null) => (v === null ? '–' : format(v)),
        })),
      ],
    };
    charts.push(new uPlot(opts, data, plot));
  });
}

function render(): void {
  const root = document.getElementById('lti-summary-root');
  if (!root || !state) return;
  const s = state;
  // Only ids: after a window reload the host's serializer opens the same source and window again.
  api.setState({ sourceId: s.sourceId, window: s.window });
  const parts: HTMLElement[] = [header(s)];
  if (s.error) parts.push(el('p', 'lti-sum-error', s.error));
  if (s.loading) parts.push(el('p', 'lti-sum-loading', 'Adding up…'));
  const summary = s.summary;
  const model = summary ? summaryCharts(summary) : undefined;
  if (summary) {
    const range = el(
      'p',
      'lti-sum-range',
      `${new Date(summary.fromMs).toLocaleString()} – ${new Date(summary.toMs).toLocaleString()}, ` +
        `${formatDuration(summary.bucketMs)} buckets`,
    );
    parts.push(range, totals(summary));
    if (summary.metrics) parts.push(metricsSection(summary.metrics));
    if (summary.totals.calls === 0) parts.push(el('p', 'lti-sum-empty', 'No LLM calls in this window.'));
    // An app that samples its spans away may still have counted calls in its metrics: those are charted.
    if (model && !model.empty) parts.push(chartSections(model));
    if (summary.totals.calls > 0) {
      const omitted = summary.omittedGroups;
      parts.push(
        table('Model', '(no model)', summary.byModel, omitted?.model ?? 0),
        table('Service', '(no service)', summary.byService, omitted?.service ?? 0),
        table('User', '(no user)', summary.byUser, omitted?.user ?? 0),
      );
    }
  }
  root.replaceChildren(...parts);
  if (model && !model.empty) drawCharts(model);
  else {
    for (const c of charts) c.destroy();
    charts = [];
  }
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const m = event.data as SummaryHostMessage | undefined;
  if (m?.type !== 'state' || typeof m.state !== 'object') return;
  state = m.state;
  render();
});

// VS Code swaps the body's theme class (vscode-dark, vscode-light, vscode-high-contrast) in place.
new MutationObserver(() => {
  const model = state?.summary ? summaryCharts(state.summary) : undefined;
  if (model && !model.empty) drawCharts(model);
}).observe(document.body, { attributes: true, attributeFilter: ['class'] });

let resizeTimer: ReturnType<typeof setTimeout> | undefined;
window.addEventListener('resize', () => {
  if (resizeTimer !== undefined) clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => {
    for (const c of charts) {
      const w = c.root.parentElement?.clientWidth;
      if (w) c.setSize({ width: Math.max(240, w), height: 180 });
    }
  }, 100);
});

state = readInitialState();
render();
api.postMessage({ type: 'ready' });
