// Renders the Summary page in Debian's Chromium as the panel would: the bundle built from
// webview/summary/main.ts (uPlot and its CSS inside), the document from buildSummaryHtml, served from
// loopback under the same strict CSP. The figures come from a real store over the captured fixtures.
// It checks the tables and charts a user sees, that hostile names stay text, that the chart colours are
// the theme's and follow a theme change, and what the page posts; it saves screenshots to test-results/.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildContentSecurityPolicy } from '../../src/host/webviewHtml';
import { buildSummaryHtml } from '../../src/host/summaryHtml';
import { summarizeCalls, type CallFact } from '../../src/core/aggregate';
import { TraceStore } from '../../src/core/store';
import { GenAiMetrics, summarizeWithMetrics } from '../../src/core/genaiMetrics';
import { createNormalizer } from '../../src/core/genai/normalize';
import type { SummaryPageState } from '../../src/protocol/summary';
import { fixtureBatch, fixtureEntries } from '../unit/helpers/fixtures';
import { rewriteBatch } from '../unit/helpers/sessions';
import { THEMES, type TestTheme } from './themes';
import { CHROMIUM, CHROMIUM_ARGS } from '../../scripts/lib/chromium.cjs';

/* eslint-disable @typescript-eslint/no-explicit-any */
declare const window: any;
declare const document: any;
declare function getComputedStyle(e: unknown): any;

const ROOT = path.resolve(__dirname, '../..');
const RESULTS = path.join(ROOT, 'test-results');
const NONCE = 'c3VtbWFyeS1ub25jZS0xMjM0';
const HOSTILE = '<img src=x onerror="window.__pwned=1">gpt-<b>evil</b>';

let browser: Browser;
let server: http.Server;
let origin = '';
let bundleDir = '';
const pages = new Map<string, { state: SummaryPageState; theme: TestTheme }>();

function fixtureState(): SummaryPageState {
  const store = new TraceStore({ maxTraces: 1000, normalizer: createNormalizer(), debounceMs: 0 });
  for (const e of fixtureEntries()) {
    if (e.signal === 'metrics' || e.encoding !== 'protobuf' || e.library === 'appinsights') continue;
    store.ingest(fixtureBatch(e), 'otlp');
  }
  const summary = store.summarize({});
  store.dispose();
  return { sourceId: 'local', sourceLabel: 'Local', window: 'all', summary, builtMs: Date.now() };
}

/**
 * The sessions scenario's spans, and beside them otel-openai's own GenAI metrics of the same turns; the
 * turns (captured within a second) are moved 90 s apart so the charts have buckets to draw lines through,
 * and the spans of two turns are left out, as a sampler would, so only the metrics count those.
 */
function metricsState(): SummaryPageState {
  const store = new TraceStore({ maxTraces: 1000, normalizer: createNormalizer(), debounceMs: 0 });
  const metrics = new GenAiMetrics();
  const later = (nanos: string, ms: number): string => (BigInt(nanos) + BigInt(ms) * 1_000_000n).toString();
  for (const e of fixtureEntries({ library: 'otel-openai', scenario: 'sessions', encoding: 'protobuf' })) {
    const shiftMs = ((e.turn ?? 1) - 1) * 90_000;
    const batch = fixtureBatch(e);
    if (e.signal === 'metrics')
      metrics.add(
        (batch.metrics ?? []).map((p) => ({
          ...p,
          startTimeUnixNano: later(p.startTimeUnixNano, shiftMs),
          timeUnixNano: later(p.timeUnixNano, shiftMs),
        })),
      );
    else if (e.turn !== 3 && e.turn !== 6) store.ingest(rewriteBatch(batch, { shiftMs }), 'otlp');
  }
  store.flush();
  const summary = summarizeWithMetrics((w) => store.summarize(w), metrics, {});
  store.dispose();
  return { sourceId: 'local', sourceLabel: 'Local', window: 'all', summary, builtMs: Date.now() };
}

function hostileState(): SummaryPageState {
  const facts: CallFact[] = Array.from({ length: 40 }, (_, i) => ({
    startMs: 1_700_000_000_000 + i * 60_000,
    durationMs: 100 + i * 10,
    model: i % 2 ? HOSTILE : 'gpt-4o-mini',
    service: '<script>window.__pwned=2</script>',
    user: i % 3 ? 'user-"quoted"' : '',
    inputTokens: 100 + i,
    outputTokens: 20,
    cachedInputTokens: 0,
    reasoningTokens: 0,
    cost: i % 2 ? 'unpriced' : 'priced',
    costUsd: i % 2 ? 0 : 0.0001,
    error: i % 7 === 0,
    evaluations: i % 5 === 0 ? 1 : 0,
  }));
  const summary = summarizeCalls((visit) => facts.forEach(visit), {}, Date.now());
  return { sourceId: 'file:x', sourceLabel: '<b>file</b>.json', window: 'all', summary, builtMs: Date.now() };
}

function serve(req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  const send = (status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...extra });
    res.end(body);
  };
  if (url.pathname === '/dist/summary.js')
    return send(200, 'text/javascript', readFileSync(path.join(bundleDir, 'summary.js')));
  if (url.pathname === '/dist/summary.css')
    return send(200, 'text/css', readFileSync(path.join(bundleDir, 'summary.css')));
  const theme = /^\/theme\/(dark|light|hc)\.css$/.exec(url.pathname);
  if (theme) return send(200, 'text/css', THEMES[theme[1] as TestTheme['name']].css);
  const page = /^\/page\/(\w+)$/.exec(url.pathname);
  const entry = page ? pages.get(page[1]!) : undefined;
  if (entry) {
    const html = buildSummaryHtml({
      cspSource: origin,
      nonce: NONCE,
      scriptUri: `${origin}/dist/summary.js`,
      styleUri: `${origin}/dist/summary.css`,
      initialState: entry.state,
      title: 'Summary',
    }).replace(
      '<link rel="stylesheet"',
      `<link id="theme" rel="stylesheet" href="${origin}/theme/${entry.theme.name}.css">\n    <link rel="stylesheet"`,
    );
    return send(200, 'text/html; charset=utf-8', html, {
      'content-security-policy': buildContentSecurityPolicy(origin, NONCE),
    });
  }
  if (url.pathname === '/favicon.ico') return send(204, 'image/x-icon', '');
  send(404, 'text/plain', 'not found');
}

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing (bash scripts/setup-test-tools.sh installs it)`);
  bundleDir = mkdtempSync(path.join(os.tmpdir(), 'lti-summary-'));
  await esbuild.build({
    entryPoints: { summary: path.join(ROOT, 'webview/summary/main.ts') },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    outdir: bundleDir,
    logLevel: 'warning',
  });
  server = http.createServer(serve);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  mkdirSync(RESULTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => server?.close(() => resolve()) ?? resolve());
  server?.closeAllConnections();
  rmSync(bundleDir, { recursive: true, force: true });
});

const INIT = (bodyClass: string): string => `(() => {
  const posted = [], csp = [], saved = [];
  window.__posted = posted;
  window.__saved = saved;
  window.__csp = csp;
  window.acquireVsCodeApi = () => ({
    postMessage(m) { posted.push(JSON.parse(JSON.stringify(m))); },
    setState(s) { saved.push(JSON.parse(JSON.stringify(s))); },
    getState() { return saved[saved.length - 1]; },
  });
  document.addEventListener('securitypolicyviolation', (e) => csp.push(e.violatedDirective + ' ' + e.blockedURI));
  document.addEventListener('DOMContentLoaded', () => document.body.classList.add(${JSON.stringify(bodyClass)}));
})();`;

async function open(
  state: SummaryPageState,
  theme: TestTheme['name'] = 'dark',
): Promise<{ page: Page; errors: string[]; done(): Promise<void> }> {
  const key = `s${pages.size + 1}${Date.now() % 1000}`;
  pages.set(key, { state, theme: THEMES[theme] });
  const context = await browser.newContext({ viewport: { width: 1100, height: 1300 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.addInitScript({ content: INIT(THEMES[theme].bodyClass) });
  await page.goto(`${origin}/page/${key}`);
  await page.waitForSelector('.lti-sum-totals', { timeout: 15_000 });
  return {
    page,
    errors,
    done: async () => {
      const csp = (await page.evaluate('window.__csp')) as string[];
      await context.close();
      pages.delete(key);
      assert.deepEqual(csp, [], 'no CSP violations');
      assert.deepEqual(errors, [], 'no console errors');
    },
  };
}

describe('the Summary page', () => {
  it('shows totals, a table per model, service and user, and four charts from a real store', async () => {
    const state = fixtureState();
    const o = await open(state);
    const { page } = o;
    const dims = (await page.$$eval('.lti-sum-section', (els) =>
      els.map((e: any) => e.dataset.dimension),
    )) as string[];
    assert.deepEqual(dims, ['model', 'service', 'user']);
    const models = (await page.$$eval('[data-dimension="model"] tbody th', (els) =>
      els.map((e: any) => e.textContent),
    )) as string[];
    assert.deepEqual(
      models,
      state.summary!.byModel.map((g) => g.key || '(no model)'),
    );
    assert.ok(models.includes('gpt-4o-mini'), models.join(', '));
    const canvases = await page.$$eval('.lti-sum-chart canvas', (els) => els.length);
    assert.equal(canvases, 4, 'a canvas per chart');
    const calls = (await page.textContent('.lti-sum-card-value'))!;
    assert.equal(calls, state.summary!.totals.calls.toLocaleString('en-US'));
    assert.deepEqual(await page.evaluate('window.__posted'), [{ type: 'ready' }]);
    // What a reload restores from: the source and the window, nothing of the figures.
    assert.deepEqual(await page.evaluate('window.__saved'), [
      { sourceId: state.sourceId, window: state.window },
    ]);
    await page.screenshot({ path: path.join(RESULTS, 'summary-dark.png'), fullPage: true });

    // The window picker asks the host; the host's answer replaces the page.
    await page.click('button[data-window="1h"]');
    assert.deepEqual((await page.evaluate('window.__posted')) as unknown[], [
      { type: 'ready' },
      { type: 'setWindow', window: '1h' },
    ]);
    const empty = {
      ...state,
      window: '1h',
      summary: summarizeCalls(() => undefined, { fromMs: 0, toMs: 1 }, 0),
    };
    await page.evaluate(
      (json: string) => window.postMessage({ type: 'state', state: JSON.parse(json) }, '*'),
      JSON.stringify(empty),
    );
    await page.waitForSelector('.lti-sum-empty');
    assert.equal(await page.getAttribute('button[data-window="1h"]', 'aria-pressed'), 'true');
    assert.equal(await page.$$eval('.lti-sum-chart canvas', (els) => els.length), 0);
    await o.done();
  });

  it("draws the app's metrics as dashed series beside the span figures, named in the legends", async () => {
    const state = metricsState();
    assert.ok(state.summary!.metrics, 'the fixture has metrics');
    assert.ok(state.summary!.metrics.totals.calls! > state.summary!.totals.calls, 'calls sampled out');
    const o = await open(state);
    const { page } = o;
    assert.equal(await page.$$eval('.lti-sum-chart canvas', (els) => els.length), 4);
    const legends = (await page.$$eval('.lti-sum-chart', (boxes) =>
      boxes.map((b: any) => [
        b.dataset.chart,
        [...b.querySelectorAll('.u-series:not(:first-child) .u-label')].map((l: any) => l.textContent),
      ]),
    )) as [string, string[]][];
    assert.deepEqual(legends, [
      ['Tokens', ['Input', 'Output', 'Cached', 'Input (metrics)', 'Output (metrics)']],
      ['Cost (USD)', ['Cost']],
      ['Latency', ['p50', 'p95', 'p95 est. (metrics)']],
      ['Calls and errors', ['Calls', 'Errors', 'Calls (metrics)', 'Errors (metrics)']],
    ]);
    // A metrics series' marker is dashed in its span counterpart's colour; the span series' stay solid.
    const markers = (await page.$$eval('[data-chart="Tokens"] .u-series:not(:first-child) .u-marker', (els) =>
      els.map((e: any) => [getComputedStyle(e).borderStyle, getComputedStyle(e).borderColor]),
    )) as string[][];
    assert.deepEqual(
      markers.map((m) => m[0]),
      ['solid', 'solid', 'solid', 'dashed', 'dashed'],
    );
    assert.equal(markers[3]![1], markers[0]![1]);
    assert.match((await page.textContent('.lti-sum-charts-note'))!, /app's own metrics/);
    // The metrics' table names cache writes beside cache reads.
    const columns = (await page.$$eval('[data-metrics="model"] thead th', (els) =>
      els.map((e: any) => e.textContent),
    )) as string[];
    assert.deepEqual(columns.slice(5, 7), ['Cache read', 'Cache write']);
    await page.screenshot({ path: path.join(RESULTS, 'summary-metrics-dark.png'), fullPage: true });
    await o.done();
  });

  it('shows a mean duration where the metrics hold no histogram buckets (Application Insights)', async () => {
    const state = metricsState();
    const m = state.summary!.metrics!;
    const noBuckets = <T extends { p50Ms?: number; p95Ms?: number }>({ p50Ms: _a, p95Ms: _b, ...f }: T) => f;
    state.summary!.metrics = {
      ...m,
      totals: noBuckets(m.totals),
      byModel: m.byModel.map(noBuckets),
      byService: m.byService.map(noBuckets),
      buckets: m.buckets.map(noBuckets),
    };
    assert.ok(m.totals.meanMs! > 0, 'the fixture has a mean');
    const o = await open(state);
    const { page } = o;
    const columns = (await page.$$eval('[data-metrics="model"] thead th', (els) =>
      els.map((e: any) => e.textContent),
    )) as string[];
    assert.deepEqual(columns.slice(-2), ['Cache write', 'Mean']);
    const line = (await page.textContent('.lti-sum-metrics-line'))!;
    assert.match(line, /mean duration \d/);
    assert.doesNotMatch(line, /p50/);
    assert.match((await page.textContent('.lti-sum-metrics .lti-sum-note'))!, /show as a mean/);
    const legends = (await page.$$eval('[data-chart="Latency"] .u-series:not(:first-child) .u-label', (els) =>
      els.map((e: any) => e.textContent),
    )) as string[];
    assert.deepEqual(legends, ['p50', 'p95'], 'no metrics latency series without buckets');
    assert.doesNotMatch((await page.textContent('.lti-sum-charts-note'))!, /p95/);
    await o.done();

    // Token metrics alone (no duration metric): no duration column, and no word of durations.
    const tokensOnly = <T extends { calls?: number; errors?: number; meanMs?: number }>({
      calls: _c,
      errors: _e,
      meanMs: _m,
      ...f
    }: T) => noBuckets(f);
    state.summary!.metrics = {
      ...m,
      totals: tokensOnly(m.totals),
      byModel: m.byModel.map(tokensOnly),
      byService: m.byService.map(tokensOnly),
    };
    const t = await open(state);
    const heads = (await t.page.$$eval('[data-metrics="model"] thead th', (els) =>
      els.map((e: any) => e.textContent),
    )) as string[];
    assert.equal(heads.at(-1), 'Cache write');
    assert.doesNotMatch(
      (await t.page.textContent('.lti-sum-metrics'))!,
      /mean duration|Mean|Percentiles|p50/,
    );
    await t.done();
  });

  it('keeps hostile model, service and user names as text', async () => {
    const o = await open(hostileState(), 'light');
    const { page } = o;
    assert.equal(await page.evaluate('window.__pwned'), undefined);
    assert.equal(
      await page.$$eval('.lti-summary img, .lti-summary script, .lti-summary b', (els) => els.length),
      0,
    );
    const keys = (await page.$$eval('.lti-sum-key', (els) => els.map((e: any) => e.textContent))) as string[];
    assert.ok(keys.includes(HOSTILE), keys.join(' | '));
    assert.ok(keys.includes('<script>window.__pwned=2</script>'));
    assert.equal(await page.textContent('.lti-sum-title'), 'Summary: <b>file</b>.json');
    // Unpriced calls say so rather than counting as free.
    const costs = (await page.$$eval('[data-dimension="model"] tbody tr', (rows) =>
      rows.map((r: any) => [r.cells[0].textContent, r.cells[6].textContent]),
    )) as string[][];
    assert.deepEqual(costs.find((c) => c[0] === HOSTILE)?.[1], 'no price');
    await page.screenshot({ path: path.join(RESULTS, 'summary-light-hostile.png'), fullPage: true });
    await o.done();
  });

  it("draws in the theme's chart colours and again when the theme changes", async () => {
    const o = await open(fixtureState(), 'dark');
    const { page } = o;
    const markerColour = (): Promise<string> =>
      page.evaluate(
        () =>
          getComputedStyle(document.querySelector('.lti-sum-chart .u-series:nth-child(2) .u-marker'))
            .borderColor,
      ) as Promise<string>;
    assert.equal(await markerColour(), 'rgb(55, 148, 255)'); // Dark Modern's charts-blue
    await page.evaluate((href: string) => {
      const link = document.getElementById('theme');
      return new Promise((resolve) => {
        link.addEventListener('load', resolve, { once: true });
        link.href = href;
      });
    }, `${origin}/theme/light.css`);
    await page.evaluate(
      ([from, to]: string[]) => {
        document.body.classList.remove(from);
        document.body.classList.add(to);
      },
      [THEMES.dark.bodyClass, THEMES.light.bodyClass],
    );
    await page.waitForFunction(
      () =>
        getComputedStyle(document.querySelector('.lti-sum-chart .u-series:nth-child(2) .u-marker'))
          .borderColor !== 'rgb(55, 148, 255)',
    );
    assert.equal(await markerColour(), 'rgb(26, 133, 255)'); // Light Modern's charts-blue
    await o.done();
  });
});
