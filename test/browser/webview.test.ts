// Renders the conversation webview in Debian's Chromium exactly as the panel would: the bundle built
// from webview/main.ts, the document from buildWebviewHtml, served from loopback under the same strict
// CSP (also sent as a header), with acquireVsCodeApi stubbed to record what the view posts. It checks
// what a user sees, that hostile text stays inert, and the protocol both ways; it saves screenshots to
// test-results/. Run: node --import tsx --test test/browser/webview.test.ts
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { buildContentSecurityPolicy, buildWebviewHtml } from '../../src/host/webviewHtml';
import {
  buildCallCards,
  buildConversationState,
  buildSpanDetails,
  fullDimensionValue,
} from '../../src/views/conversationViewModel';
import {
  stateNotification,
  type ConversationState,
  type ConversationTarget,
  type HostMessage,
  type WebviewMessage,
} from '../../src/protocol/conversation';
import type { Trace } from '../../src/core/model';
import { TraceStore } from '../../src/core/store';
import { createNormalizer } from '../../src/core/genai/normalize';
import { fixtureBatch, fixtureEntries } from '../unit/helpers/fixtures';
import { THEMES, type TestTheme } from './themes';
import {
  agentLoopTrace,
  bigConversationTrace,
  CHAT,
  chatTrace,
  hostileTrace,
  LONG_TAIL,
  missingTrace,
  hugeMessageTrace,
  hugeTrace,
  partsTrace,
  SESSION_ID,
  WATERFALL,
  waterfallTrace,
  USER_ID,
  WEATHER_ARGS,
} from './scenarios';
import { TRACE_ID } from './traceBuilders';
import { CHROMIUM, CHROMIUM_ARGS } from '../../scripts/lib/chromium.cjs';

// Callbacks given to page.evaluate run in the page, where these exist. Declared loosely in this module
// rather than adding the DOM library to the whole Node program that tsc checks.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const window: any;
declare const document: any;
declare const getComputedStyle: any;

const ROOT = path.resolve(__dirname, '../..');
const RESULTS = path.join(ROOT, 'test-results');
const NONCE = 'dGVzdC1ub25jZS0xMjM0NTY';

interface Recorded {
  posted: WebviewMessage[];
  states: unknown[];
  csp: string[];
  errors: string[];
  requests: string[];
}

interface Harness {
  browser: Browser;
  server: http.Server;
  origin: string;
  bundleDir: string;
  pages: Map<string, { state: ConversationState; theme: TestTheme }>;
}

let harness: Harness | undefined;
let pageCounter = 0;

function h(): Harness {
  assert.ok(harness, 'the harness started');
  return harness;
}

function stateOf(t: Trace | undefined, target: Partial<ConversationTarget> = {}): ConversationState {
  return buildConversationState(t, { traceId: t?.traceId ?? TRACE_ID, ...target }, Date.now());
}

/** The state as the panel builds it: above WINDOWED_CALLS calls, their outline, the cards on request. */
function panelStateOf(t: Trace): ConversationState {
  return buildConversationState(t, { traceId: t.traceId }, Date.now(), {}, { windowCalls: true });
}

/** The page the panel opens for a big local trace while the engine reads it: no trace yet, "reading". */
function openReading(traceId: string): Promise<Opened> {
  const reading = buildConversationState(undefined, { traceId }, Date.now(), { loading: true });
  return open(reading, 'dark', undefined, undefined, '#lti-root[aria-busy="true"]');
}

/**
 * Answers the page's callCards (and spanDetails) requests from the trace, as the panel does from the
 * store, until `until` holds; how many cards it sent.
 */
async function answerCards(o: Opened, t: Trace, until: () => Promise<boolean>): Promise<number> {
  let answered = 0;
  let seen = 0;
  for (let round = 0; round < 100; round++) {
    const posted = await o.posted();
    for (const m of posted.slice(seen)) {
      if (m.type === 'spanDetails') {
        const span = t.spans.find((x) => x.spanId === m.spanId);
        await o.send({
          type: 'spanDetails',
          requestId: m.requestId,
          ...(span ? { details: buildSpanDetails(span) } : {}),
        });
      }
      if (m.type !== 'callCards') continue;
      const calls = buildCallCards(t, m.spanIds);
      answered += calls.length;
      await o.send({ type: 'callCards', requestId: m.requestId, calls });
    }
    seen = posted.length;
    if (await until()) return answered;
    await o.page.waitForTimeout(50);
  }
  return answered;
}

async function waitForChromium(): Promise<void> {
  // npm test's tools step installs it; run alone, the browser runner does.
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing (bash scripts/setup-test-tools.sh installs it)`);
}

function serve(req: http.IncomingMessage, res: http.ServerResponse, bundleDir: string): void {
  const url = new URL(req.url ?? '/', 'http://x');
  const send = (
    status: number,
    type: string,
    body: string | Buffer,
    extra: Record<string, string> = {},
  ): void => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...extra });
    res.end(body);
  };
  const files: Record<string, [string, string]> = {
    '/dist/webview.js': [path.join(bundleDir, 'webview.js'), 'text/javascript'],
    '/media/conversation.css': [path.join(ROOT, 'media/conversation.css'), 'text/css'],
    '/codicons/codicon.css': [path.join(ROOT, 'node_modules/@vscode/codicons/dist/codicon.css'), 'text/css'],
    '/codicons/codicon.ttf': [path.join(ROOT, 'node_modules/@vscode/codicons/dist/codicon.ttf'), 'font/ttf'],
  };
  const file = files[url.pathname];
  if (file) return send(200, file[1], readFileSync(file[0]));
  const theme = /^\/theme\/(dark|light|hc)\.css$/.exec(url.pathname);
  if (theme) return send(200, 'text/css', THEMES[theme[1] as TestTheme['name']].css);
  const page = /^\/page\/(\w+)$/.exec(url.pathname);
  const entry = page ? h().pages.get(page[1] as string) : undefined;
  if (entry) {
    const origin = h().origin;
    const html = buildWebviewHtml({
      cspSource: origin,
      nonce: NONCE,
      scriptUri: `${origin}/dist/webview.js`,
      styleUris: [`${origin}/theme/${entry.theme.name}.css`, `${origin}/media/conversation.css`],
      codiconsUri: `${origin}/codicons/codicon.css`,
      initialState: entry.state,
      title: 'Conversation',
    });
    return send(200, 'text/html; charset=utf-8', html, {
      'content-security-policy': buildContentSecurityPolicy(origin, NONCE),
    });
  }
  if (url.pathname === '/favicon.ico') return send(204, 'image/x-icon', '');
  send(404, 'text/plain', 'not found');
}

before(async () => {
  await waitForChromium();
  const bundleDir = mkdtempSync(path.join(os.tmpdir(), 'lti-webview-'));
  await esbuild.build({
    entryPoints: [path.join(ROOT, 'webview/main.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    outfile: path.join(bundleDir, 'webview.js'),
    logLevel: 'warning',
  });
  const partial: Partial<Harness> = { bundleDir, pages: new Map() };
  const server = http.createServer((req, res) => serve(req, res, bundleDir));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  partial.server = server;
  partial.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  harness = partial as Harness;
  harness.browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  mkdirSync(RESULTS, { recursive: true });
});

after(async () => {
  if (!harness) return;
  try {
    await harness.browser?.close();
  } finally {
    await new Promise<void>((resolve) => harness?.server?.close(() => resolve()) ?? resolve());
    harness.server?.closeAllConnections();
    rmSync(harness.bundleDir, { recursive: true, force: true });
  }
});

/**
 * Stubs what VS Code's webview host provides and records everything the page does that matters. A string,
 * not a function: tsx compiles functions with name helpers that do not exist inside the page.
 */
function initScript(bodyClass: string, saved?: unknown): string {
  return `(() => {
    const posted = [], states = [], csp = [];
    window.__posted = posted;
    window.__states = states;
    window.__csp = csp;
    let acquired = false;
    window.acquireVsCodeApi = function () {
      if (acquired) throw new Error('acquireVsCodeApi may be called only once');
      acquired = true;
      return {
        postMessage(m) { posted.push(JSON.parse(JSON.stringify(m))); },
        setState(s) { states.push(JSON.parse(JSON.stringify(s))); },
        getState() { return ${JSON.stringify(saved ?? null)} ?? undefined; },
      };
    };
    document.addEventListener('securitypolicyviolation', (e) => csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':' + e.lineNumber));
    document.addEventListener('DOMContentLoaded', () => document.body.classList.add(${JSON.stringify(bodyClass)}));
  })();`;
}

interface Opened {
  page: Page;
  context: BrowserContext;
  rec: Recorded;
  posted(): Promise<WebviewMessage[]>;
  states(): Promise<unknown[]>;
  send(message: HostMessage): Promise<void>;
  close(): Promise<void>;
}

async function open(
  state: ConversationState,
  theme: TestTheme['name'] = 'dark',
  viewport = { width: 1000, height: 900 },
  /** What vscode.getState() returns: the state the page saved before it was hidden. */
  saved?: unknown,
  /** What shows that the page painted. */
  painted = '#lti-root[aria-busy="false"], #lti-root [role="alert"]',
): Promise<Opened> {
  const key = `p${++pageCounter}`;
  h().pages.set(key, { state, theme: THEMES[theme] });
  const context = await h().browser.newContext({
    viewport,
    colorScheme: theme === 'light' ? 'light' : 'dark',
  });
  const rec: Recorded = { posted: [], states: [], csp: [], errors: [], requests: [] };
  let closed = false;
  try {
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') rec.errors.push(m.text());
    });
    page.on('pageerror', (e) => rec.errors.push(String(e)));
    page.on('request', (r) => rec.requests.push(r.url()));
    await page.addInitScript({ content: initScript(THEMES[theme].bodyClass, saved) });
    await page.goto(`${h().origin}/page/${key}`);
    await page.waitForSelector(painted, { timeout: 15_000 });
    await page.evaluate('document.fonts.ready.then(() => true)');
    return {
      page,
      context,
      rec,
      posted: async () => (await page.evaluate('window.__posted')) as WebviewMessage[],
      states: async () => (await page.evaluate('window.__states')) as unknown[],
      // What the host's webview.postMessage does: a message event on the page's window. The message goes
      // as JSON text so Playwright's serialiser types do not have to follow the whole protocol.
      send: async (message) => {
        // A state's bytes cannot cross into the page as JSON: they go as its text, encoded again there.
        const state = message.type === 'state' ? new TextDecoder().decode(message.json) : undefined;
        await page.evaluate(
          ([json, text]) =>
            window.postMessage(
              text === undefined ? JSON.parse(json) : { type: 'state', json: new TextEncoder().encode(text) },
              '*',
            ),
          [JSON.stringify(message), state] as const,
        );
      },
      close: async () => {
        if (closed) return;
        closed = true;
        rec.csp = ((await page.evaluate('window.__csp').catch(() => rec.csp)) as string[]) ?? [];
        await context.close();
        h().pages.delete(key);
      },
    };
  } catch (error) {
    await context.close();
    // What the page said is usually the reason it never rendered.
    throw new Error(`${String(error)}\npage errors: ${JSON.stringify(rec.errors)}`, { cause: error });
  }
}

/**
 * Closes the page and fails on any CSP violation, console error or request that left the test server.
 * Called at the end of a test body (so an earlier failure is not masked); `finally` closes regardless.
 */
async function closeClean(o: Opened): Promise<void> {
  await o.close();
  assert.deepEqual(o.rec.csp, [], 'no CSP violations');
  assert.deepEqual(o.rec.errors, [], 'no console errors');
  const foreign = o.rec.requests.filter((u) => !u.startsWith(h().origin));
  assert.deepEqual(foreign, [], 'no request left the loopback server');
}

async function visibleText(page: Page, text: string): Promise<boolean> {
  return page.getByText(text, { exact: false }).first().isVisible();
}

async function shot(page: Page, name: string, fullPage = true): Promise<void> {
  await page.screenshot({ path: path.join(RESULTS, `webview-${name}.png`), fullPage });
}

/**
 * What could run in the page, and its text: whatever the content, no element that executes or loads, no
 * handler attribute, no inline style outside the waterfall, only web links, and two scripts (state, bundle).
 */
function hostileReport(page: Page) {
  return page.evaluate(() => {
    const root = document.getElementById('lti-root');
    const all: any[] = Array.from(root.querySelectorAll('*'));
    return {
      pwned: window.__pwned as unknown,
      dangerous: root.querySelectorAll(
        'script, img, iframe, object, embed, style, link, frame, form, input:not(.lti-filter), video, audio',
      ).length,
      svgOutsideTimeline: all.filter(
        (e) => e.tagName.toLowerCase() === 'svg' && !e.classList.contains('lti-timeline'),
      ).length,
      handlers: all.flatMap((e) =>
        Array.from(e.attributes as any[])
          .filter((a) => a.name.startsWith('on'))
          .map((a) => `${e.tagName}.${a.name}`),
      ),
      // The waterfall places its rows and bars through the CSSOM (which the CSP allows); nowhere else.
      styles: all.filter((e) => e.hasAttribute('style') && !e.closest('.lti-waterfall')).length,
      hrefs: (Array.from(root.querySelectorAll('a')) as any[]).map(
        (a) => a.getAttribute('href') as string | null,
      ),
      scripts: document.scripts.length as number,
      text: root.innerText as string,
    };
  });
}

describe('conversation webview in Chromium', () => {
  it('paints the embedded state at once, posts ready once and saves only the target ids', async () => {
    const o = await open(stateOf(chatTrace()));
    try {
      const posted = await o.posted();
      assert.deepEqual(posted, [{ type: 'ready' }]);
      assert.deepEqual(await o.states(), [{ target: { traceId: TRACE_ID } }]);
      assert.equal(await o.page.locator('h1').first().textContent(), 'POST /chat');
      await closeClean(o);
    } finally {
      await o.close();
    }
  });

  it('shows the header facts, each call with its facts, roles, texts and tool call arguments', async () => {
    for (const theme of ['dark', 'light', 'hc'] as const) {
      const o = await open(stateOf(chatTrace()), theme);
      try {
        const { page } = o;
        if (theme === 'dark') {
          // textContent: labels are upper-cased by CSS only.
          const header = ((await page.locator('.lti-trace-head').textContent()) ?? '').replace(/\s+/g, ' ');
          for (const expected of [
            'POST /chat',
            'weather-bot',
            'LLM calls',
            '3',
            'of 5 spans',
            '422 → 120',
            '542 total',
            SESSION_ID,
            USER_ID,
            'error',
            // gpt-4o-mini: 182 in, 24 out; then 112 in, 128 cached, 64 out and 32 reasoning.
            'Cost',
            '$0.00013',
            'Tool calls',
            'Errors',
          ]) {
            assert.ok(header.includes(expected), `header shows ${expected}: ${header}`);
          }
          const costTitle = await page.locator('.lti-trace-head .lti-stat[title]').getAttribute('title');
          assert.match(
            costTitle ?? '',
            /^Cost: \$0\.00013 for 2 LLM calls\nPriced as gpt-4o-mini, shipped prices of /,
          );
          assert.equal(await page.locator('.lti-call').count(), 3);
          const first = ((await page.locator('.lti-call').nth(0).textContent()) ?? '').replace(/\s+/g, ' ');
          for (const expected of [
            '#1',
            'gpt-4o-mini-2024-07-18',
            'requested gpt-4o-mini',
            'openai',
            'chat',
            '182 → 24',
            '206 total',
            '812 ms',
            'tool_calls',
            'temperature',
            '0.2',
            'max_tokens',
            '512',
            'get_weather',
            '$0.000042',
          ]) {
            assert.ok(first.includes(expected), `call 1 shows ${expected}`);
          }
          const firstCost = page.locator('.lti-call').nth(0).locator('.lti-cost');
          assert.match(
            (await firstCost.getAttribute('title')) ?? '',
            /^Cost: \$0\.000042 \(182 input \$0\.000027, 24 output \$0\.000014\)\nPriced as gpt-4o-mini/,
          );
          const second = ((await page.locator('.lti-call').nth(1).textContent()) ?? '').replace(/\s+/g, ' ');
          for (const expected of [
            'Cached input',
            '128',
            'Reasoning',
            '32',
            'Streaming',
            'yes',
            '1.24 s',
            '$0.000084',
          ])
            assert.ok(second.includes(expected), `call 2 shows ${expected}`);
          const failed = page.locator('.lti-call').nth(2);
          assert.ok(
            await failed
              .locator('.lti-callout-error')
              .getByText('Error code: 500 - upstream model overloaded')
              .isVisible(),
          );
          assert.ok(await failed.getByText('InternalServerError').isVisible());
          // Roles are labelled, and each is told apart by its own class (and colour).
          const roles = await page.locator('.lti-call').nth(0).locator('.lti-msg .lti-role').allInnerTexts();
          assert.deepEqual(
            roles.map((r) => r.trim().toLowerCase()),
            ['system', 'user', 'assistant'],
          );
          assert.ok(await page.locator('.lti-msg.lti-role-system').first().isVisible());
          assert.ok(await visibleText(page, 'from log record gen_ai.user.message'));
          // Markdown: bold from the system prompt, the answer's table.
          assert.equal(await page.locator('.lti-role-system strong').first().textContent(), 'Skycast');
          assert.equal(
            await page.locator('.lti-call').nth(1).locator('table td.lti-align-right').first().textContent(),
            '0.4 mm',
          );
          // Tool call arguments, pretty-printed.
          const args = await page.locator('.lti-call').nth(0).locator('.lti-tool-call pre').innerText();
          assert.deepEqual(JSON.parse(args), JSON.parse(WEATHER_ARGS));
          assert.match(args, /\n {2}"city": "Paris"/);
        }
        await shot(page, theme);
        await closeClean(o);
      } finally {
        await o.close();
      }
    }
  });

  it('fits a narrow editor group without horizontal scrolling', async () => {
    const o = await open(stateOf(chatTrace()), 'dark', { width: 460, height: 900 });
    try {
      const { page } = o;
      const overflow = (await page.evaluate(
        'document.documentElement.scrollWidth - document.documentElement.clientWidth',
      )) as number;
      assert.ok(overflow <= 0, `the page is ${overflow}px wider than the view`);
      await shot(page, 'narrow', false);
      await closeClean(o);
    } finally {
      await o.close();
    }
  });

  it('shows only what is new in a follow-up call and keeps the full input one click away', async () => {
    const o = await open(stateOf(chatTrace()));
    try {
      const second = o.page.locator('.lti-call').nth(1);
      const earlier = second.locator('details.lti-earlier');
      // System prompt, question and the first call's answer (the tool call) come back as the second call's
      // input.
      assert.match(
        await earlier.locator('summary').innerText(),
        /Earlier conversation: 3 messages already shown in call #1/,
      );
      // Closed and not even built yet; the new input (the tool result) and the answer are shown.
      assert.equal(await earlier.locator('.lti-msg').count(), 0);
      assert.deepEqual(
        (await second.locator(':scope > .lti-conversation > .lti-msg .lti-role').allInnerTexts()).map((r) =>
          r.trim().toLowerCase(),
        ),
        ['tool', 'assistant'],
      );
      await earlier.locator('summary').click();
      // The earlier messages are built on the toggle event, which the browser fires as a separate task.
      await earlier.locator('.lti-msg').nth(2).waitFor();
      assert.equal(await earlier.locator('.lti-msg').count(), 3);
      assert.ok(await earlier.getByText('What’s the weather in Paris tomorrow?').isVisible());
      await closeClean(o);
    } finally {
      await o.close();
    }
  });

  it('renders hostile text as inert text: no script, image, frame, SVG or handler, and nothing runs', async () => {
    const o = await open(stateOf(hostileTrace()));
    try {
      const { page } = o;
      // Open everything that builds lazily so it is checked too.
      for (const summary of await page.locator('summary').all()) await summary.click();
      for (const button of await page.locator('.lti-show-all').all()) await button.click();
      // Folded sections build their content on the toggle event, a task of its own: wait until every open
      // one has.
      await page.waitForFunction(() =>
        [...document.querySelectorAll('details[open]')].every((d) => d.children.length > 1),
      );
      await page.locator('.lti-role-user').first().getByText('raw anchor').waitFor();
      const report = await hostileReport(page);
      assert.equal(report.pwned, undefined);
      assert.equal(report.dangerous, 0);
      assert.equal(report.svgOutsideTimeline, 0);
      assert.deepEqual(report.handlers, []);
      assert.equal(report.styles, 0);
      assert.equal(report.scripts, 2, 'only the state element and the bundle');
      // Linkify may turn a URL inside the raw tag text into a link: still only a web link the host opens.
      for (const href of report.hrefs)
        assert.match(href ?? '', /^https:\/\/[a-z.]+(\/|$)/, `only web links stay links: ${href}`);
      assert.ok(report.hrefs.includes('https://example.com/docs'));
      assert.ok(report.hrefs.includes('https://example.com/bare'), 'bare URLs are linkified');
      for (const shown of [
        '<script>window.__pwned=1</script>',
        '<img src=x onerror="window.__pwned=1">',
        '<iframe src="https://example.com/frame"',
        '<svg onload="window.__pwned=1">',
        'Image: tracking pixel',
      ]) {
        assert.ok(report.text.includes(shown), `shown as text: ${shown}`);
      }
      assert.equal(await page.title(), 'Conversation');
      await page.waitForTimeout(200);
      assert.equal(await page.evaluate('window.__pwned'), undefined);
      await shot(page, 'hostile');
      await closeClean(o);
    } finally {
      await o.close();
    }
  });

  it('hands a clicked link to the host and does not navigate', async () => {
    const o = await open(stateOf(chatTrace()));
    try {
      const { page } = o;
      const url = page.url();
      const link = page.getByRole('link', { name: 'full forecast' });
      await link.click();
      await link.press('Enter');
      await link.click({ button: 'middle' });
      await page.waitForTimeout(300);
      assert.equal(page.url(), url);
      assert.equal(o.context.pages().length, 1, 'no new window');
      const opened = (await o.posted()).filter((m) => m.type === 'openLink');
      assert.deepEqual(opened, [
        { type: 'openLink', href: 'https://example.com/forecast' },
        { type: 'openLink', href: 'https://example.com/forecast' },
      ]);
      await closeClean(o);
    } finally {
      await o.close();
    }
  });

  it('copies through the host: tool arguments, session id, a message, raw attributes', async () => {
    const o = await open(stateOf(chatTrace()));
    try {
      const { page } = o;
      const first = page.locator('.lti-call').nth(0);
      await first.getByRole('button', { name: 'Copy arguments of get_weather' }).click();
      await page.locator('.lti-trace-head').getByRole('button', { name: 'Copy session id' }).click();
      await first.getByRole('button', { name: 'Copy user message' }).click();
      await first.locator('summary', { hasText: 'Raw span attributes' }).click();
      await first.getByRole('button', { name: 'Copy raw attributes' }).click();
      const copies = (await o.posted()).filter((m) => m.type === 'copy');
      assert.deepEqual(copies.slice(0, 3), [
        { type: 'copy', text: WEATHER_ARGS, what: 'arguments of get_weather' },
        { type: 'copy', text: SESSION_ID, what: 'session id' },
        {
          type: 'copy',
          text: 'What’s the weather in Paris tomorrow? Should I take an umbrella?',
          what: 'user message',
        },
      ]);
      assert.equal(copies[3]?.type, 'copy');
      assert.deepEqual(
        JSON.parse(copies[3]?.type === 'copy' ? copies[3].text : ''),
        JSON.parse(JSON.stringify(chatTrace().spans.find((s) => s.spanId === CHAT.first)?.attributes)),
      );
      assert.doesNotMatch(
        readFileSync(path.join(h().bundleDir, 'webview.js'), 'utf8'),
        /navigator\.clipboard/,
        'copies go through the host only',
      );
      // Markdown is written by the host, which has the whole model: the page only asks.
      await page
        .locator('.lti-trace-head')
        .getByRole('button', { name: 'Copy the conversation as Markdown' })
        .click();
      await page
        .locator('.lti-call')
        .nth(1)
        .getByRole('button', { name: 'Copy this call as Markdown' })
        .click();
      assert.deepEqual(
        (await o.posted()).filter((m) => m.type === 'copyMarkdown'),
        [{ type: 'copyMarkdown' }, { type: 'copyMarkdown', spanId: CHAT.second }],
      );
      await closeClean(o);
    } finally {
      await o.close();
    }
  });

  it('re-renders on a state notification, keeping the cards that did not change', async () => {
    const o = await open(stateOf(chatTrace()));
    try {
      const { page } = o;
      await page.evaluate(() => {
        for (const el of Array.from(document.querySelectorAll('.lti-call')) as any[]) el.__mark = true;
      });
      await page.locator('.lti-call').nth(0).locator('summary', { hasText: 'Dimensions' }).click();
      const next = stateOf(
        chatTrace({ secondAnswer: 'It will be **dry** after all.', name: 'POST /chat (retried)' }),
      );
      await o.send(stateNotification(next));
      await page.getByText('It will be').waitFor();
      assert.equal(await page.locator('h1').first().textContent(), 'POST /chat (retried)');
      const marks = await page.evaluate(() =>
        (Array.from(document.querySelectorAll('.lti-call')) as any[]).map((el) => el.__mark === true),
      );
      assert.deepEqual(marks, [true, false, true], 'only the changed call was rebuilt');
      assert.equal(
        await page.locator('.lti-call').nth(0).locator('details.lti-section').nth(1).getAttribute('open'),
        '',
        'an opened section stays open',
      );
      // A trace that left the store: a clear empty state.
      await o.send(stateNotification(stateOf(undefined)));
      await page.getByText('This trace is no longer in the store').waitFor();
      assert.equal(await page.locator('.lti-call').count(), 0);
      await shot(page, 'gone');
      await closeClean(o);
    } finally {
      await o.close();
    }
  });

  it('highlights and scrolls to the call in focus, from the initial target and from a focus notification', async () => {
    const o = await open(stateOf(chatTrace(), { spanId: CHAT.failed }), 'dark', { width: 1000, height: 600 });
    try {
      const { page } = o;
      const focused = async (): Promise<string[]> =>
        page.evaluate(() =>
          (Array.from(document.querySelectorAll('.lti-call.lti-call-focus')) as any[]).map((e) =>
            String(e.dataset.spanId),
          ),
        );
      assert.deepEqual(await focused(), [CHAT.failed]);
      assert.ok(((await page.evaluate('window.scrollY')) as number) > 0, 'scrolled to the focused call');
      await o.send({ type: 'focus', spanId: CHAT.first });
      await page.waitForFunction(
        (id: string) => document.querySelector('.lti-call-focus')?.getAttribute('data-span-id') === id,
        CHAT.first,
      );
      assert.deepEqual(await focused(), [CHAT.first]);
      const box = await page.locator('.lti-call-focus').boundingBox();
      assert.ok(box && box.y >= 0 && box.y < 100, `the focused call is at the top: ${box?.y}`);
      assert.equal(await page.locator('.lti-call-focus').getAttribute('aria-current'), 'true');
      assert.deepEqual((await o.states()).at(-1), { target: { traceId: TRACE_ID, spanId: CHAT.first } });
      // The outline puts a call in focus too, and saves it.
      await page.locator('.lti-outline-item').nth(1).click();
      assert.deepEqual(await focused(), [CHAT.second]);
      assert.deepEqual((await o.states()).at(-1), { target: { traceId: TRACE_ID, spanId: CHAT.second } });
      await page
        .locator('.lti-call')
        .nth(1)
        .getByRole('button', { name: 'Show this span in the Traces view' })
        .click();
      assert.deepEqual((await o.posted()).at(-1), {
        type: 'revealSpan',
        traceId: TRACE_ID,
        spanId: CHAT.second,
      });
      await shot(page, 'focus', false);
      await closeClean(o);
    } finally {
      await o.close();
    }
  });

  it('after being hidden and shown again, paints from its HTML with the call the user had in focus', async () => {
    // The HTML still names the call the panel was opened on; the saved state, the one chosen since.
    const o = await open(stateOf(chatTrace(), { spanId: CHAT.first }), 'dark', undefined, {
      target: { traceId: TRACE_ID, spanId: CHAT.failed },
    });
    try {
      const { page } = o;
      assert.equal(await page.locator('.lti-call-focus').getAttribute('data-span-id'), CHAT.failed);
      assert.deepEqual(await o.posted(), [{ type: 'ready' }]);
      assert.deepEqual(await o.states(), [{ target: { traceId: TRACE_ID, spanId: CHAT.failed } }]);
      await closeClean(o);
    } finally {
      await o.close();
    }
    // A saved state of another trace (the panel now shows another one) is not applied.
    const other = await open(stateOf(chatTrace(), { spanId: CHAT.first }), 'dark', undefined, {
      target: { traceId: 'f'.repeat(32), spanId: CHAT.failed },
    });
    try {
      assert.equal(await other.page.locator('.lti-call-focus').getAttribute('data-span-id'), CHAT.first);
      await closeClean(other);
    } finally {
      await other.close();
    }
  });

  it('keeps the call the user chose across live updates, until the host asks for another', async () => {
    const o = await open(stateOf(chatTrace()));
    try {
      const { page } = o;
      const focusedId = (): Promise<string | null> =>
        page.locator('.lti-call-focus').first().getAttribute('data-span-id');
      await page.locator('.lti-outline-item').nth(1).click();
      assert.equal(await focusedId(), CHAT.second);
      // The trace changed (a late span): the same target, so the user's choice stays.
      await o.send(stateNotification(stateOf(chatTrace({ secondAnswer: 'It will be **dry** after all.' }))));
      await page.getByText('It will be').waitFor();
      assert.equal(await focusedId(), CHAT.second);
      assert.deepEqual((await o.states()).at(-1), { target: { traceId: TRACE_ID, spanId: CHAT.second } });
      // A click on another call in the tree: the host's new target wins.
      await o.send(stateNotification(stateOf(chatTrace(), { spanId: CHAT.failed })));
      await page.waitForFunction(
        (id: string) => document.querySelector('.lti-call-focus')?.getAttribute('data-span-id') === id,
        CHAT.failed,
      );
      assert.deepEqual((await o.states()).at(-1), { target: { traceId: TRACE_ID, spanId: CHAT.failed } });
      await closeClean(o);
    } finally {
      await o.close();
    }
  });

  it('saves the source of a cloud trace with its ids, so a reload reads the right source', async () => {
    const o = await open(stateOf(chatTrace(), { sourceId: 'appInsights:prod' }));
    try {
      assert.deepEqual(await o.states(), [{ target: { traceId: TRACE_ID, sourceId: 'appInsights:prod' } }]);
      await o.page.locator('.lti-outline-item').nth(2).click();
      assert.deepEqual((await o.states()).at(-1), {
        target: { traceId: TRACE_ID, sourceId: 'appInsights:prod', spanId: CHAT.failed },
      });
      await closeClean(o);
    } finally {
      await o.close();
    }
  });

  it('shows a long attribute cut with its length, and the full value, as text, when asked', async () => {
    const store = new TraceStore({ maxTraces: 10, normalizer: createNormalizer(), debounceMs: 0 });
    for (const e of fixtureEntries({ library: 'traceloop', scenario: 'tools', encoding: 'json' }))
      if (e.signal !== 'metrics') store.ingest(fixtureBatch(e), 'otlp');
    const trace = store.getTrace(store.list()[0]!.traceId)!;
    store.dispose();
    const state = buildConversationState(
      trace,
      { traceId: trace.traceId },
      Date.now(),
      {},
      {
        maxAttributeLength: 100,
      },
    );
    const call = state.calls[0]!;
    const row = call.dimensions.find((r) => r.fullLength !== undefined);
    assert.ok(row, 'the fixture has an attribute longer than 100 characters');
    const span = trace.spans.find((s) => s.spanId === call.spanId)!;
    const full = fullDimensionValue(trace, span, row.key, row.from)!;
    const o = await open(state);
    try {
      const { page } = o;
      const card = page.locator('.lti-call').nth(0);
      await card.locator('summary', { hasText: 'Dimensions' }).click();
      const cell = card
        .locator('tr', { has: page.locator('th', { hasText: row.key }) })
        .locator('td')
        .first();
      assert.ok(
        ((await cell.textContent()) ?? '').includes(
          `100 of ${row.fullLength!.toLocaleString('en-US')} characters shown`,
        ),
      );
      assert.equal(await cell.locator('.lti-dim-text').textContent(), `${row.value}…`);
      await shot(page, 'cut-value', false);
      await cell.getByRole('button', { name: `Show the full value of ${row.key}` }).click();
      assert.deepEqual((await o.posted()).at(-1), {
        type: 'fullValue',
        requestId: 1,
        spanId: call.spanId,
        key: row.key,
        from: row.from,
      });
      // The host answers from the store; what comes back is set as text, markup and all.
      const hostile = `${full}<img src=x onerror="window.__pwned=1">`;
      await o.send({ type: 'fullValue', requestId: 1, value: hostile });
      await cell.locator('.lti-dim-cut').waitFor({ state: 'detached' });
      assert.equal(await cell.locator('.lti-dim-text').textContent(), hostile);
      assert.equal(await page.locator('.lti-dims img').count(), 0);
      assert.equal(await page.evaluate('window.__pwned'), undefined);
      // Raw attributes say how many values they show cut.
      assert.ok(
        await card
          .locator('summary', { hasText: 'Raw span attributes' })
          .getByText(/long values? cut here/)
          .isVisible(),
      );
      // A trace gone from the store: the page says so and keeps the start.
      const other = call.dimensions.filter((r) => r.fullLength !== undefined)[1];
      if (other) {
        const otherCell = card
          .locator('tr', { has: page.locator('th', { hasText: other.key }) })
          .locator('td')
          .first();
        await otherCell.getByRole('button').click();
        await o.send({ type: 'fullValue', requestId: 2 });
        await otherCell.getByText('The trace is no longer in the store').waitFor();
      }
      await closeClean(o);
    } finally {
      await o.close();
    }
  });

  it('is operable from the keyboard: buttons and folded sections', async () => {
    const o = await open(stateOf(chatTrace()));
    try {
      const { page } = o;
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate('document.activeElement?.tagName'), 'BUTTON');
      assert.equal(
        await page.evaluate(`document.activeElement?.getAttribute('aria-label')`),
        'Copy the conversation as Markdown',
      );
      await page.keyboard.press('Tab');
      assert.equal(
        await page.evaluate(`document.activeElement?.getAttribute('aria-label')`),
        'Copy session id',
      );
      const summary = page.locator('.lti-call').nth(0).locator('summary', { hasText: 'Dimensions' });
      await summary.focus();
      await page.keyboard.press('Enter');
      const rows = page.locator('.lti-call').nth(0).locator('table.lti-dims tbody tr');
      await rows.first().waitFor();
      assert.deepEqual(
        (await rows.nth(0).locator('th, td').allInnerTexts()).map((t) => t.trim()),
        ['session', SESSION_ID, 'trace'],
      );
      assert.deepEqual(
        (await rows.nth(1).locator('th, td').allInnerTexts()).map((t) => t.trim()),
        ['user', USER_ID, 'trace'],
      );
      await page.keyboard.press('Enter');
      assert.equal(await summary.evaluate((s) => (s.parentElement as any).open as boolean), false);
      const outline = page.locator('.lti-outline-item').nth(2);
      await outline.focus();
      await page.keyboard.press('Enter');
      assert.equal(await page.locator('.lti-call-focus').getAttribute('data-span-id'), CHAT.failed);
      await closeClean(o);
    } finally {
      await o.close();
    }
  });

  it('renders every kind of part: media as a placeholder, reasoning folded, long text collapsed, truncation noted', async () => {
    const o = await open(stateOf(partsTrace()));
    try {
      const { page } = o;
      assert.ok(await visibleText(page, 'Not loaded in this view.'));
      assert.ok(await visibleText(page, 'image/png, 47 KB'));
      assert.ok(await visibleText(page, 'citation'));
      assert.ok(await visibleText(page, '東京の写真です'));
      assert.ok(await visibleText(page, 'from attributes gen_ai.prompt.0'));
      assert.ok(await visibleText(page, 'This text was cut upstream'));
      const showAll = page.getByRole('button', { name: /Show all \(10,\d{3} characters\)/ });
      assert.ok(await showAll.isVisible());
      assert.equal(await page.getByText(LONG_TAIL).count(), 0, 'the tail is not rendered yet');
      await shot(page, 'parts');
      await showAll.click();
      assert.ok(await page.getByText(LONG_TAIL).isVisible());
      await closeClean(o);
    } finally {
      await o.close();
    }
  });

  it('explains why a call has no messages, naming the switches', async () => {
    const o = await open(stateOf(missingTrace()), 'light');
    try {
      const { page } = o;
      const cards = page.locator('.lti-call');
      const capture = await cards.nth(0).innerText();
      const again = await cards.nth(4).innerText();
      for (const s of [
        'Message content was not captured',
        'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true',
        'TRACELOOP_TRACE_CONTENT',
        'OPENINFERENCE_HIDE_INPUTS',
        'OPENINFERENCE_HIDE_OUTPUTS',
      ]) {
        assert.ok(capture.includes(s), `capture off names ${s}`);
        assert.ok(again.includes(s), `a second call with capture off names ${s} too`);
      }
      assert.match(
        await cards.nth(0).locator('.lti-switch-match').innerText(),
        /OpenLLMetry/,
        'the call’s own family is first and marked',
      );
      const logs = await cards.nth(1).innerText();
      for (const s of ['sent as log records', 'OTEL_LOGS_EXPORTER=otlp', 'LoggerProvider'])
        assert.ok(logs.includes(s), `logs not exported names ${s}`);
      assert.match(await cards.nth(2).innerText(), /cut upstream/);
      assert.match(await cards.nth(3).innerText(), /No messages were recorded/);
      await shot(page, 'missing');
      await closeClean(o);
    } finally {
      await o.close();
    }
  });

  // How fast is for `npm run bench`; this checks that they render whole, and prints the time for the record.
  it('renders a 500-message conversation and a 120-call agent loop', async () => {
    const started = Date.now();
    const o = await open(stateOf(bigConversationTrace(500)));
    try {
      const { page } = o;
      const elapsed = Date.now() - started;
      assert.equal(await page.locator('.lti-msg').count(), 501);
      await page.locator('.lti-msg').last().scrollIntoViewIfNeeded();
      assert.ok(await page.getByText('Final answer after 500 messages.').isVisible());
      console.log(`# 500 messages painted in ${elapsed} ms`);
      await closeClean(o);
    } finally {
      await o.close();
    }
    const loopStarted = Date.now();
    const loop = await open(stateOf(agentLoopTrace(120)));
    try {
      const elapsed = Date.now() - loopStarted;
      // Each call re-sends the whole conversation (about 14,000 messages in all); only new ones are built.
      assert.equal(await loop.page.locator('.lti-call').count(), 120);
      assert.equal(await loop.page.locator('.lti-msg').count(), 2 + 1 + 119 * 2);
      console.log(`# 120-call agent loop painted in ${elapsed} ms`);
      await closeClean(loop);
    } finally {
      await loop.close();
    }
  });

  for (const library of ['traceloop', 'otel-openai', 'openinference']) {
    it(`renders the real ${library} tools fixture through TraceStore and the normalizer`, async () => {
      const store = new TraceStore({ maxTraces: 10, normalizer: createNormalizer(), debounceMs: 0 });
      const entries = fixtureEntries({ library, scenario: 'tools', encoding: 'json' }).filter(
        (e) => e.signal !== 'metrics',
      );
      assert.ok(entries.length > 0, 'the fixture exists');
      for (const e of entries) store.ingest(fixtureBatch(e), 'otlp');
      const summary = store.list().find((s) => s.llmCallCount > 0);
      assert.ok(summary, 'the fixture has a trace with LLM calls');
      const state = stateOf(store.getTrace(summary.traceId));
      store.dispose();
      const o = await open(state, library === 'traceloop' ? 'light' : 'dark');
      try {
        const { page } = o;
        assert.equal(await page.locator('.lti-call').count(), state.calls.length);
        if (summary.sessionId)
          assert.ok(await page.locator('.lti-trace-head').getByText(summary.sessionId).isVisible());
        const toolCalls = state.calls.flatMap((c) =>
          c.llm.messages.flatMap((m) => m.parts.filter((p) => p.type === 'toolCall')),
        );
        assert.ok(toolCalls.length > 0, 'the tools scenario has a tool call');
        const firstTool = toolCalls[0];
        if (firstTool?.type === 'toolCall') {
          assert.ok(
            await page
              .locator('.lti-tool-call .lti-tool-name', { hasText: firstTool.name })
              .first()
              .isVisible(),
          );
          const shown = await page.locator('.lti-tool-call pre').first().innerText();
          assert.deepEqual(JSON.parse(shown), JSON.parse(firstTool.arguments));
        }
        const last = state.calls.at(-1);
        if (last?.repeatedInput)
          assert.ok(
            await page.getByText(/Earlier conversation: \d+ messages already shown in call #1/).isVisible(),
          );
        await shot(page, `fixture-${library}`);
        await closeClean(o);
      } finally {
        await o.close();
      }
    });
  }
});

/** When the page's load event ended, from navigation start (ms): its first paint runs before it. */
async function loadedMs(page: Page): Promise<number> {
  return Math.round(
    (await page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")) as number,
  );
}

describe('the waterfall of spans', () => {
  /** Answers the page's spanDetails requests from the trace, as the panel does from the store. */
  async function answerDetails(o: Opened, t: Trace): Promise<number> {
    let answered = 0;
    for (const m of await o.posted()) {
      if (m.type !== 'spanDetails') continue;
      const s = t.spans.find((x) => x.spanId === m.spanId);
      await o.send({
        type: 'spanDetails',
        requestId: m.requestId,
        ...(s ? { details: buildSpanDetails(s, { maxAttributeLength: 2000 }) } : {}),
      });
      answered++;
    }
    return answered;
  }

  it('draws every span on one axis, nested, with agent steps, tool calls and errors told apart', async () => {
    for (const theme of ['dark', 'light', 'hc'] as const) {
      const o = await open(stateOf(waterfallTrace()), theme);
      try {
        const { page } = o;
        const rows = page.locator('.lti-wf-row');
        assert.equal(await rows.count(), 5);
        const row = (id: string) => page.locator(`.lti-wf-row[data-span-id="${id}"]`);
        assert.equal(await row(WATERFALL.agent).getAttribute('aria-level'), '1');
        assert.equal(await row(WATERFALL.http).getAttribute('aria-level'), '3');
        assert.equal(await row(WATERFALL.orphan).getAttribute('aria-level'), '1');
        assert.match((await row(WATERFALL.agent).innerText()).replace(/\s+/g, ' '), /agent step.*2.00 s/);
        assert.match(await row(WATERFALL.tool).innerText(), /tool call/);
        assert.match(await row(WATERFALL.orphan).innerText(), /parent missing/);
        assert.ok(await row(WATERFALL.call).evaluate((e) => e.classList.contains('lti-wf-llm')));
        // Errors in the theme's error colour; an ordinary span's label is not.
        const colour = (id: string) =>
          row(id)
            .locator('.lti-wf-label')
            .evaluate((e) => getComputedStyle(e).color);
        const errorColour = await page.evaluate(() => {
          const probe = document.createElement('span');
          probe.style.color = 'var(--vscode-errorForeground)';
          document.body.appendChild(probe);
          const c = getComputedStyle(probe).color;
          probe.remove();
          return c;
        });
        assert.equal(await colour(WATERFALL.tool), errorColour);
        assert.notEqual(await colour(WATERFALL.http), errorColour);
        // The bars sit on the shared axis: the tool call starts at 950 of 2,000 ms.
        const box = async (id: string) => (await row(id).locator('.lti-wf-bar').boundingBox())!;
        const track = (await row(WATERFALL.agent).locator('.lti-wf-track').boundingBox())!;
        const tool = await box(WATERFALL.tool);
        assert.ok(Math.abs((tool.x - track.x) / track.width - 0.475) < 0.01, JSON.stringify({ tool, track }));
        assert.ok((await box(WATERFALL.orphan)).width > 0, 'a zero-length span still shows');
        await shot(page, `waterfall-${theme}`, false);
        await closeClean(o);
      } finally {
        await o.close();
      }
    }
  });

  it('shows a span’s details on click, focuses an LLM call’s card, and folds subtrees', async () => {
    const t = waterfallTrace();
    const o = await open(stateOf(t));
    try {
      const { page } = o;
      await page.locator(`.lti-wf-row[data-span-id="${WATERFALL.tool}"] .lti-wf-label`).click();
      assert.equal(await answerDetails(o, t), 1);
      const details = page.locator('.lti-wf-detail');
      await details.waitFor();
      const text = (await details.innerText()).replace(/\s+/g, ' ');
      for (const expected of [
        'execute_tool get_weather',
        'error: weather service timed out',
        'TimeoutError',
        'gen_ai.tool.name',
        'get_weather',
        'exception',
      ])
        assert.ok(text.includes(expected), `details show ${expected}: ${text}`);
      assert.ok(await details.evaluate((e) => e.classList.contains('lti-wf-detail-error')));
      // An LLM call: its card comes into focus.
      await page.locator(`.lti-wf-row[data-span-id="${WATERFALL.call}"] .lti-wf-label`).click();
      const card = page.locator('.lti-call').first();
      assert.equal(await card.getAttribute('aria-current'), 'true');
      await page.waitForFunction(() => document.activeElement?.classList.contains('lti-call'));
      // Fold the tool call's subtree with its twisty.
      await page.locator(`.lti-wf-row[data-span-id="${WATERFALL.tool}"] [data-twisty]`).click();
      assert.equal(await page.locator('.lti-wf-row').count(), 4);
      assert.equal(
        await page.locator(`.lti-wf-row[data-span-id="${WATERFALL.tool}"]`).getAttribute('aria-expanded'),
        'false',
      );
      await closeClean(o);
    } finally {
      await o.close();
    }
  });

  it('is operated from the keyboard: arrows move, left and right fold, Enter shows the details', async () => {
    const t = waterfallTrace();
    const o = await open(stateOf(t));
    try {
      const { page } = o;
      await page.locator('.lti-wf-row[tabindex="0"]').focus();
      const focused = () => page.evaluate(() => document.activeElement?.getAttribute('data-span-id'));
      assert.equal(await focused(), WATERFALL.agent);
      await page.keyboard.press('ArrowDown');
      assert.equal(await focused(), WATERFALL.call);
      await page.keyboard.press('ArrowDown');
      assert.equal(await focused(), WATERFALL.tool);
      await page.keyboard.press('ArrowLeft'); // folds the tool call
      assert.equal(await page.locator('.lti-wf-row').count(), 4);
      assert.equal(await focused(), WATERFALL.tool);
      await page.keyboard.press('ArrowRight'); // unfolds it
      assert.equal(await page.locator('.lti-wf-row').count(), 5);
      await page.keyboard.press('ArrowRight'); // into its child
      assert.equal(await focused(), WATERFALL.http);
      await page.keyboard.press('ArrowLeft'); // to the parent
      assert.equal(await focused(), WATERFALL.tool);
      await page.keyboard.press('Enter');
      assert.equal(await answerDetails(o, t), 1);
      await page.locator('.lti-wf-detail').waitFor();
      assert.equal(await page.locator('.lti-wf-detail').getAttribute('data-span-id'), WATERFALL.tool);
      await page.keyboard.press('End');
      assert.equal(await focused(), WATERFALL.orphan);
      await closeClean(o);
    } finally {
      await o.close();
    }
  });

  it('remembers conversation, waterfall or both in the page’s state', async () => {
    const o = await open(stateOf(waterfallTrace()));
    try {
      const { page } = o;
      assert.ok(await page.locator('.lti-waterfall').isVisible());
      assert.ok(await page.locator('.lti-call').first().isVisible());
      await page.locator('.lti-layout-button[data-layout="waterfall"]').click();
      assert.equal(await page.locator('.lti-call').count(), 0);
      assert.ok(await page.locator('.lti-waterfall').isVisible());
      const states = (await o.states()) as { layout?: string }[];
      assert.equal(states.at(-1)?.layout, 'waterfall');
      await closeClean(o);
    } finally {
      await o.close();
    }
    // Shown again (or after a reload): the saved layout comes back.
    const saved = { target: { traceId: TRACE_ID }, layout: 'conversation' };
    const again = await open(stateOf(waterfallTrace()), 'dark', undefined, saved);
    try {
      assert.equal(await again.page.locator('.lti-waterfall').count(), 0);
      assert.equal(
        await again.page
          .locator('.lti-layout-button[data-layout="conversation"]')
          .getAttribute('aria-pressed'),
        'true',
      );
      await closeClean(again);
    } finally {
      await again.close();
    }
  });

  it('keeps hostile span names and attribute values inert in rows and details', async () => {
    const t = hostileTrace();
    const o = await open(stateOf(t));
    try {
      const { page } = o;
      await page.locator('.lti-wf-row .lti-wf-label').first().click();
      assert.equal(await answerDetails(o, t), 1);
      await page.locator('.lti-wf-detail').waitFor();
      const report = await page.evaluate(() => {
        const wf = document.querySelector('.lti-waterfall');
        return {
          pwned: window.__pwned as unknown,
          dangerous: wf.querySelectorAll('script, img, iframe, svg, object, embed, style, a, b').length,
          handlers: (Array.from(wf.querySelectorAll('*')) as any[]).flatMap((e) =>
            Array.from(e.attributes as any[]).filter((a) => a.name.startsWith('on')),
          ).length,
          text: wf.innerText as string,
        };
      });
      assert.equal(report.pwned, undefined);
      assert.equal(report.dangerous, 0);
      assert.equal(report.handlers, 0);
      assert.ok(report.text.includes('chat <img src=x onerror="window.__pwned=1">'));
      assert.ok(report.text.includes('</script><script>window.__pwned=1</script>'));
      await closeClean(o);
    } finally {
      await o.close();
    }
  });

  it('opens a trace of 10,000 spans: rows virtualised, scrolled by keyboard to the last span', async () => {
    const small = await open(stateOf(waterfallTrace()));
    const smallMs = await loadedMs(small.page);
    await small.close();
    const t = hugeTrace(10_000);
    const state = panelStateOf(t);
    const o = await open(state);
    try {
      const { page } = o;
      const painted = await loadedMs(page);
      const rows = await page.locator('.lti-wf-row').count();
      assert.ok(rows > 0 && rows < 100, `only the rows on screen are in the page: ${rows}`);
      await page.locator('.lti-wf-row[tabindex="0"]').focus();
      const t0 = Date.now();
      await page.keyboard.press('End');
      const last = t.spans.at(-1)!.spanId;
      await page.waitForFunction(
        (id: string) => document.activeElement?.getAttribute('data-span-id') === id,
        last,
      );
      console.log(
        `# 10,000-span trace (${state.callOutline?.spanIds.length} calls, ${Math.round(JSON.stringify(state).length / 1024)} kB of state): loaded and painted ${painted} ms after navigation (a 5-span trace: ${smallMs} ms), End in ${Date.now() - t0} ms`,
      );
      // The cards below the waterfall come from the host as the panel's would.
      await answerCards(
        o,
        t,
        async () => (await page.locator('.lti-call:not(.lti-call-pending)').count()) > 0,
      );
      await shot(page, 'waterfall-10k', false);
      await closeClean(o);
    } finally {
      await o.close();
    }
  });

  it('draws a big trace posted to a page still reading it: the waterfall rows come in the same task', async () => {
    const t = hugeTrace(10_000);
    // The panel's page for a big trace first says it is being read, then gets the state as its bytes.
    const o = await openReading(t.traceId);
    try {
      const { page } = o;
      const text = JSON.stringify(panelStateOf(t));
      // A listener after the page's own runs in the task that rendered the state: the rows are there
      // then, not a frame (and a layout of the whole page) later, when the list's resize observer reports.
      const drawn = await page.evaluate(
        (json: string) =>
          new Promise<{ rows: number; ms: number }>((resolve) => {
            const bytes = new TextEncoder().encode(json);
            let t0 = 0;
            window.addEventListener('message', () =>
              resolve({
                rows: document.querySelectorAll('#lti-root .lti-wf-row').length,
                ms: performance.now() - t0,
              }),
            );
            t0 = performance.now();
            window.postMessage({ type: 'state', json: bytes }, '*');
          }),
        text,
      );
      assert.ok(drawn.rows > 0 && drawn.rows < 100, `rows drawn with the state: ${drawn.rows}`);
      assert.equal(await page.locator('#lti-root').getAttribute('aria-busy'), 'false');
      console.log(
        `# a 10,000-span trace's state (${Math.round(text.length / 1024)} kB) posted to a reading page: read and drawn in ${Math.round(drawn.ms)} ms`,
      );
      await closeClean(o);
    } finally {
      await o.close();
    }
  });

  it('moves on to another trace in the same page (the preview tab): from the top, with none of the last one', async () => {
    const big = hugeTrace(10_000);
    const o = await open(panelStateOf(big), 'dark', { width: 1000, height: 700 });
    try {
      const { page } = o;
      // Down the big trace's windowed calls, some of whose cards came from the host.
      await page.evaluate(() => window.scrollTo({ top: document.body.scrollHeight / 2 }));
      await answerCards(
        o,
        big,
        async () => (await page.locator('.lti-call:not(.lti-call-pending)').count()) > 0,
      );
      assert.ok(((await page.evaluate('window.scrollY')) as number) > 1000, 'scrolled down the big trace');
      // Cards still asked for when the next trace comes: their answers must not touch its page.
      const seen = (await o.posted()).length;
      await page.evaluate(() => window.scrollTo({ top: document.body.scrollHeight }));
      await page.waitForFunction(
        (n: number) => window.__posted.slice(n).some((m: { type: string }) => m.type === 'callCards'),
        seen,
      );
      const late = (await o.posted()).slice(seen).filter((m) => m.type === 'callCards');
      const other = { ...chatTrace(), traceId: 'a'.repeat(32) };
      await o.send(stateNotification(stateOf(other)));
      await page.locator('h1', { hasText: other.summary.name }).waitFor();
      assert.equal(await page.evaluate('window.scrollY'), 0, 'the next trace starts from its top');
      await o.send({ type: 'focus', spanId: CHAT.second });
      for (const m of late)
        if (m.type === 'callCards')
          await o.send({ type: 'callCards', requestId: m.requestId, calls: buildCallCards(big, m.spanIds) });
      await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 100)));
      assert.equal(
        await page.locator(`.lti-outline-item.lti-outline-current[data-span-id="${CHAT.second}"]`).count(),
        1,
        "the call in focus stays marked when the last trace's cards come late",
      );
      await page.evaluate(() => window.scrollTo({ top: 0 }));
      assert.equal(await page.locator('.lti-call').count(), 3, "only the new trace's calls");
      assert.equal(await page.locator('.lti-call-pending').count(), 0);
      // The big trace's list no longer follows the window: scrolling asks for none of its cards.
      const asked = (await o.posted()).filter((m) => m.type === 'callCards').length;
      await page.evaluate(() => window.scrollTo({ top: document.body.scrollHeight }));
      await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 300)));
      const after = (await o.posted()).filter((m) => m.type === 'callCards').length;
      assert.equal(after, asked, 'no card of the last trace was asked for after it went');
      const saved = (await o.states()).at(-1) as { target?: { traceId?: string } } | undefined;
      assert.equal(saved?.target?.traceId, other.traceId, 'the page saves the trace it shows now');
      await closeClean(o);
    } finally {
      await o.close();
    }
  });

  it('says so when a state’s bytes cannot be read, instead of staying on “reading”', async () => {
    const o = await openReading(TRACE_ID);
    try {
      const { page } = o;
      await page.evaluate(() =>
        window.postMessage({ type: 'state', json: new TextEncoder().encode('{"target":') }, '*'),
      );
      const alert = page.locator('#lti-root [role="alert"]');
      await alert.waitFor();
      assert.match(await alert.innerText(), /could not be shown[\s\S]*cannot read/);
      assert.equal(await page.locator('#lti-root').getAttribute('aria-busy'), 'false');
      await closeClean(o);
    } finally {
      await o.close();
    }
  });

  it('brings a big trace’s cards as they near the screen, and the card of a call picked in the waterfall', async () => {
    const t = hugeTrace(2_000);
    const state = panelStateOf(t);
    assert.equal(state.calls.length, 0);
    const o = await open(state, 'dark', { width: 1000, height: 1400 });
    try {
      const { page } = o;
      const cards = page.locator('.lti-call:not(.lti-call-pending)');
      const sent = await answerCards(o, t, async () => (await cards.count()) > 0);
      const asked = (await o.posted()).filter((m) => m.type === 'callCards');
      assert.ok(asked.length > 0, 'the page asks for the cards it shows');
      assert.ok(sent > 0 && sent < 40, `only the cards near the screen are asked for: ${sent}`);
      assert.match((await cards.first().innerText()).replace(/\s+/g, ' '), /#1\b.*Question 2\b/);
      // A call far down, picked in the waterfall: its card is asked for, comes, and takes the focus.
      const call = t.spans.filter((s) => s.llm).at(-3)!;
      await page.locator('.lti-wf-row[tabindex="0"]').focus();
      await page.keyboard.press('End');
      const row = page.locator(`.lti-wf-row[data-span-id="${call.spanId}"] .lti-wf-label`);
      await row.waitFor();
      await row.click();
      const card = page.locator(`.lti-call[data-span-id="${call.spanId}"]:not(.lti-call-pending)`);
      await answerCards(o, t, async () => (await card.count()) > 0);
      await page.waitForFunction(
        (id: string) => document.activeElement?.getAttribute('data-span-id') === id,
        call.spanId,
      );
      assert.equal(await card.getAttribute('aria-current'), 'true');
      const number = t.spans.filter((s) => s.llm).length - 2;
      assert.ok((await card.innerText()).includes(`#${number}`));
      await closeClean(o);
    } finally {
      await o.close();
    }
  });

  it('says a big local trace is being read, then paints the state the host posts', async () => {
    const t = hugeTrace(3_000);
    const o = await openReading(t.traceId);
    try {
      const { page } = o;
      assert.equal(await page.locator('#lti-root').getAttribute('aria-busy'), 'true');
      assert.match(await page.locator('#lti-root').innerText(), /Reading the trace[\s\S]*receiver's store/);
      await o.send(stateNotification(panelStateOf(t)));
      await page.locator('.lti-wf-row').first().waitFor();
      assert.equal(await page.locator('#lti-root').getAttribute('aria-busy'), 'false');
      assert.equal(await page.locator('h1').first().textContent(), 'invoke_agent marathon');
      assert.deepEqual(
        (await o.posted()).filter((m) => m.type === 'ready'),
        [{ type: 'ready' }],
      );
      await closeClean(o);
    } finally {
      await o.close();
    }
  });

  it('keeps hostile text inert in cards that come on request', async () => {
    const hostile = hostileTrace();
    const evilCall = hostile.spans.find((s) => s.llm)!;
    // Enough copies of the hostile call that the panel windows them.
    const copies = Array.from({ length: 210 }, (_, i) => ({
      ...evilCall,
      spanId: (0x500000 + i).toString(16).padStart(16, '0'),
      startMs: evilCall.startMs + i,
    }));
    const t = { ...hostile, spans: [...hostile.spans, ...copies] };
    const o = await open(panelStateOf(t));
    try {
      const { page } = o;
      const cards = page.locator('.lti-call:not(.lti-call-pending)');
      await answerCards(o, t, async () => (await cards.count()) > 1);
      for (const summary of await page.locator('.lti-call summary').all()) await summary.click();
      await page.waitForTimeout(200);
      const report = await hostileReport(page);
      assert.equal(report.pwned, undefined);
      assert.equal(report.dangerous, 0);
      assert.deepEqual(report.handlers, []);
      assert.ok(report.text.includes('<script>window.__pwned=1</script>'), 'shown as text');
      await closeClean(o);
    } finally {
      await o.close();
    }
  });

  for (const image of [false, true]) {
    it(`shows a 5 MB message (${image ? 'a base64 image as text' : 'text'}) by its first part, all on demand`, async () => {
      const o = await open(stateOf(hugeMessageTrace(5 * 1024 * 1024, image)));
      try {
        const { page } = o;
        const painted = await loadedMs(page);
        const button = page.locator('.lti-show-all').first();
        assert.match(await button.innerText(), /Show all \(5\.0 MB\)/);
        const t0 = Date.now();
        await button.click();
        await page.locator('.lti-huge').waitFor();
        const shown = Date.now() - t0;
        if (!image)
          assert.ok(
            await page
              .locator('.lti-huge')
              .evaluate((e) => e.textContent.endsWith('END-OF-LONG-TEXT-MARKER')),
          );
        // The page still answers.
        assert.equal(await page.evaluate('1 + 1'), 2);
        console.log(
          `# 5 MB ${image ? 'base64 image' : 'text'}: loaded and painted ${painted} ms after navigation, Show all in ${shown} ms`,
        );
        await closeClean(o);
      } finally {
        await o.close();
      }
    });
  }
});
