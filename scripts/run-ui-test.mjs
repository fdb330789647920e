// The browser UI test: installs the packaged .vsix into a real VS Code (code-server), opens the workbench in
// headless Chromium, sends traces captured from the real instrumentation libraries to the extension's
// receiver, and works the UI as a user would: open the LLM Traces view, expand a trace, click an LLM call,
// read the conversation in the webview. Screenshots go to test-results/ (git-ignored).
// Prints "N passed, N failed".
import path from 'node:path';
import { mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import {
  ROOT,
  cleanup,
  ensureTools,
  freePort,
  installExtension,
  launchChromium,
  logger,
  makeTempDir,
  onCleanup,
  prepareProfile,
  request,
  run,
  sleep,
  startCodeServer,
} from './lib/harness.mjs';
import { WORKSPACE, startCloudStandIn } from './lib/cloudStandIn.mjs';

const log = logger('ui-test');
const RESULTS = path.join(ROOT, 'test-results');
const results = [];
let page;

async function check(name, fn) {
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`  ✔ ${name}`);
  } catch (e) {
    results.push({ name, ok: false });
    console.log(`  ✘ ${name}\n    ${String(e.message).split('\n').join('\n    ')}`);
    const shot = path.join(RESULTS, `ui-failed-${results.length}.png`);
    await page?.screenshot({ path: shot }).catch(() => {});
    console.log(`    screenshot: ${path.relative(ROOT, shot)}`);
  }
}

function assert(cond, message) {
  if (!cond) throw new Error(message);
}

/** Replays captured OTLP requests to the receiver, exactly as the instrumentation's exporter sent them. */
async function replay(endpoint, entries) {
  for (const e of entries) {
    const body = readFileSync(path.join(ROOT, 'test/fixtures', e.file));
    const headers = { 'Content-Type': e.contentType };
    if (e.contentEncoding) headers['Content-Encoding'] = e.contentEncoding;
    const r = await request(`${endpoint}${e.path}`, { method: 'POST', headers, body });
    if (r.status !== 200) throw new Error(`${e.file}: HTTP ${r.status} ${r.body}`);
  }
}

/**
 * One OTLP JSON request with a trace of `count` spans: an agent run of steps, each with ten chat calls and
 * ten tool calls; every 97th tool call fails.
 */
function largeTraceRequest(count, agent = 'marathon') {
  const traceId = randomHex(16);
  const t0 = BigInt(Date.now()) * 1_000_000n;
  const id = (i) => (0x200000 + i).toString(16).padStart(16, '0');
  const attr = (key, value) =>
    typeof value === 'number' ? { key, value: { intValue: value } } : { key, value: { stringValue: value } };
  const spans = [];
  let step = id(0);
  for (let i = 0; i < count; i++) {
    const start = t0 + BigInt(i) * 5_000_000n;
    let name;
    let attributes;
    let parentSpanId = i === 0 ? undefined : step;
    let end = start + 4_000_000n;
    if (i === 0) {
      name = `invoke_agent ${agent}`;
      attributes = [attr('gen_ai.operation.name', 'invoke_agent')];
      end = t0 + BigInt(count) * 5_000_000n;
    } else if (i % 21 === 1) {
      name = `invoke_agent step ${i}`;
      attributes = [attr('gen_ai.operation.name', 'invoke_agent')];
      parentSpanId = id(0);
      step = id(i);
      end = start + 105_000_000n;
    } else if (i % 2 === 0) {
      name = 'chat gpt-4o-mini';
      attributes = [
        attr('gen_ai.operation.name', 'chat'),
        attr('gen_ai.request.model', 'gpt-4o-mini'),
        attr('gen_ai.usage.input_tokens', 120),
        attr('gen_ai.usage.output_tokens', 30),
      ];
    } else {
      name = `execute_tool lookup ${i}`;
      attributes = [attr('gen_ai.operation.name', 'execute_tool')];
    }
    const span = {
      traceId,
      spanId: id(i),
      name,
      kind: 1,
      startTimeUnixNano: start.toString(),
      endTimeUnixNano: end.toString(),
      attributes,
      status: i % 97 === 0 && i > 0 ? { code: 2, message: 'lookup failed' } : {},
    };
    if (parentSpanId) span.parentSpanId = parentSpanId;
    spans.push(span);
  }
  return {
    resourceSpans: [
      {
        resource: { attributes: [attr('service.name', `${agent}-agent`)] },
        scopeSpans: [{ scope: { name: 'ui-test' }, spans }],
      },
    ],
  };
}

function randomHex(bytes) {
  return randomBytes(bytes).toString('hex');
}

/**
 * The first frame with an element for `selector` (its text matching `text`, and holding `also` too, when
 * given): code-server nests a webview's document two iframes deep. Undefined after `timeoutMs`.
 */
async function frameWith(page, selector, { text, also, timeoutMs = 20000 } = {}) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    for (const f of page.frames()) {
      try {
        const el = await f.$(selector);
        if (!el || (text && !text.test(await el.innerText())) || (also && !(await f.$(also)))) continue;
        return f;
      } catch {
        /* frame navigated away */
      }
    }
    await sleep(200);
  }
  return undefined;
}

/** The frame that renders the conversation. */
async function conversationFrame(page) {
  const frame = await frameWith(page, '#lti-root .lti-call, #lti-root [data-span-id]');
  if (!frame) throw new Error('the conversation webview did not render');
  return frame;
}

let exitCode;
try {
  ensureTools();
  mkdirSync(RESULTS, { recursive: true });
  // Screenshots of failures belong to the run that took them.
  for (const f of readdirSync(RESULTS)) if (/^ui-failed-\d+\.png$/.test(f)) rmSync(path.join(RESULTS, f));
  run(process.execPath, ['scripts/package.mjs']);
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const vsix = path.join(ROOT, 'out', `${pkg.name}-${pkg.version}.vsix`);
  const manifest = JSON.parse(readFileSync(path.join(ROOT, 'test/fixtures/manifest.json'), 'utf8'));

  const tmp = makeTempDir('lti-ui-');
  const receiverPort = await freePort();
  // Application Insights on loopback: the stand-in Logs API and az (the connection is added later).
  const cloud = await startCloudStandIn(tmp, { log });
  onCleanup(() => cloud.close());
  const profile = prepareProfile(
    tmp,
    {
      'llmTraceInspector.receiver.port': receiverPort,
      'llmTraceInspector.receiver.grpcPort': await freePort(),
      'workbench.colorTheme': 'Default Dark Modern',
    },
    // Machine settings: a folder's settings may not redirect the token.
    {
      'llmTraceInspector.appInsights.endpoint': cloud.endpoint,
      'llmTraceInspector.appInsights.credential': 'azureCli',
    },
  );
  installExtension(profile, vsix);
  log('installed', path.basename(vsix));
  const workspace = path.join(tmp, 'workspace');
  mkdirSync(workspace, { recursive: true });
  const port = await freePort();
  await startCodeServer(profile, { port, folder: workspace, env: cloud.env });
  const browser = await launchChromium(path.join(tmp, 'chromium'), {
    viewport: { width: 1500, height: 950 },
  });
  page = browser.pages()[0] ?? (await browser.newPage());
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`);
  await page.waitForSelector('.monaco-workbench', { timeout: 60000 });
  log('workbench rendered');
  const endpoint = `http://127.0.0.1:${receiverPort}`;

  await check('the receiver starts with the window and answers OTLP/HTTP', async () => {
    const end = Date.now() + 30000;
    for (;;) {
      const r = await request(`${endpoint}/v1/traces`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{}',
      }).catch(() => undefined);
      if (r?.status === 200) return;
      if (Date.now() > end) throw new Error(`no answer from ${endpoint}`);
      await sleep(300);
    }
  });

  await check('the status bar says where the receiver listens', async () => {
    await page.locator('.statusbar-item', { hasText: 'LLM' }).first().waitFor({ timeout: 10000 });
    const label = await statusLabel(page, endpoint);
    assert(label?.includes(endpoint), `status bar label "${label}" does not name ${endpoint}`);
  });

  await check('the LLM Traces view opens from the activity bar and welcomes with the endpoint', async () => {
    await page.locator('.activitybar [aria-label^="LLM Traces"]').first().click();
    await page.getByText('Listening for OpenTelemetry traces').waitFor({ timeout: 15000 });
    // A wider sidebar, as a user reading token counts would drag it.
    const sidebar = await page.locator('.part.sidebar').boundingBox();
    let box;
    for (const sash of await page.locator('.monaco-sash.vertical').all()) {
      const b = await sash.boundingBox();
      if (b && sidebar && Math.abs(b.x + b.width / 2 - (sidebar.x + sidebar.width)) < 6 && b.height > 200)
        box = b;
    }
    if (box) {
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.mouse.down();
      await page.mouse.move(box.x + 200, box.y + box.height / 2, { steps: 5 });
      await page.mouse.up();
    }
    await page
      .locator('.title', { hasText: endpoint.replace('http://', '') })
      .first()
      .waitFor({ timeout: 5000 });
    await page.screenshot({ path: path.join(RESULTS, 'ui-welcome.png') });
  });

  // Real captures: the tools conversation from each library, and the failed call.
  const wanted = manifest.entries.filter(
    (e) =>
      e.encoding === 'protobuf' &&
      ['chat', 'tools', 'error', 'unicode'].includes(e.scenario) &&
      !e.library.includes('legacy'),
  );
  await replay(
    endpoint,
    wanted.filter((e) => e.signal === 'logs'),
  );
  await replay(
    endpoint,
    wanted.filter((e) => e.signal === 'traces'),
  );
  log(`sent ${wanted.length} captured requests`);

  await check('traces appear in the tree, live, with model and tokens', async () => {
    const row = page
      .locator('.monaco-list-row', { hasText: 'gpt-4o-mini-2024-07-18' })
      .filter({ hasText: ' tok' })
      .first();
    await row.waitFor({ timeout: 15000 });
    const rows = await page
      .locator('[id="workbench.view.extension.llmTraceInspector"] .monaco-list-row')
      .count();
    assert(rows >= 4, `expected at least 4 traces in the tree, saw ${rows}`);
    const text = await row.innerText();
    assert(/\d+ tok/.test(text), `trace row "${text}" shows no token count`);
  });

  await check('a failed call is marked in the tree', async () => {
    const errorRows = await page.locator('.monaco-list-row .codicon-error').count();
    assert(errorRows >= 1, 'no row carries the error icon');
  });

  await check('expanding a trace shows its LLM calls with in→out tokens', async () => {
    const tree = page.locator('[id="workbench.view.extension.llmTraceInspector"]');
    // The tool-calling turn of the OpenTelemetry OpenAI instrumentation: 247→21 then 318→44 tokens.
    const traceRow = tree.locator('.monaco-list-row[aria-level="1"]', { hasText: '630 tok' }).first();
    await traceRow.waitFor({ timeout: 10000 });
    const traceId = await traceRow.getAttribute('id');
    await traceRow.locator('.monaco-tl-twistie').click(); // expand the trace: its root span
    const rootSpan = tree.locator(`.monaco-list-row[aria-level="2"]`).filter({ hasText: 'handle_turn' });
    await rootSpan.first().waitFor({ timeout: 5000 });
    // The root span right below the trace row we expanded.
    const rows = await tree.locator('.monaco-list-row').all();
    for (let i = 0; i < rows.length - 1; i++) {
      if ((await rows[i].getAttribute('id')) === traceId) {
        await rows[i + 1].locator('.monaco-tl-twistie').click(); // expand it: the LLM calls and the tool
        break;
      }
    }
    const call = tree.locator('.monaco-list-row', { hasText: '247→21 tok' }).first();
    await call.waitFor({ timeout: 10000 });
    await tree.locator('.monaco-list-row', { hasText: '318→44 tok' }).first().waitFor({ timeout: 5000 });
    await page.screenshot({ path: path.join(RESULTS, 'ui-tree.png') });
  });

  await check('clicking an LLM call opens its conversation with prompt, answer and tokens', async () => {
    const tree = page.locator('[id="workbench.view.extension.llmTraceInspector"]');
    await tree.locator('.monaco-list-row', { hasText: '247→21 tok' }).first().click();
    const frame = await conversationFrame(page);
    await frame.getByText('Lisbon on 2025-06-14 looks sunny').waitFor({ timeout: 10000 });
    const text = (await frame.locator('#lti-root').innerText()).replace(/\s+/g, ' ');
    for (const expected of [
      "We're flying to Lisbon for the weekend of 14 June. What should we not miss?",
      'Will it rain in Lisbon on Saturday (2025-06-14)?',
      'get_weather',
      '"city": "Lisbon"',
      '247 → 21',
      '318 → 44',
      'sess-lisbon-weekend',
      'user-1042',
    ])
      assert(text.includes(expected), `the conversation does not show "${expected}"`);
    await sleep(500);
    await page.screenshot({ path: path.join(RESULTS, 'ui-conversation.png') });
    // The whole turn, from its header: what a click on the trace itself opens.
    await tree
      .locator('.monaco-list-row[aria-level="1"]', { hasText: '630 tok' })
      .first()
      .locator('.label-name')
      .click();
    await frame.locator('h1', { hasText: 'handle_turn' }).first().waitFor({ timeout: 10000 });
    await sleep(500);
    await page.screenshot({ path: path.join(RESULTS, 'ui-trace.png') });
  });

  await check('Pause holds the list still and says how many new traces wait; Resume shows them', async () => {
    const tree = page.locator('[id="workbench.view.extension.llmTraceInspector"]');
    const traceRows = tree.locator('.monaco-list-row[aria-level="1"]');
    // The list is virtualised: count what the tree holds (aria-setsize), not the rows it has drawn.
    const count = async () => Number(await traceRows.first().getAttribute('aria-setsize'));
    const before = await count();
    await page
      .locator('.part.sidebar .action-label[aria-label="Pause Live Updates"]:visible')
      .first()
      .click();
    await tree
      .locator('.message', { hasText: 'Paused: new traces wait until you resume.' })
      .waitFor({ timeout: 10000 });
    await replay(
      endpoint,
      manifest.entries.filter(
        (e) => e.library === 'traceloop-legacy' && e.scenario === 'chat' && e.encoding === 'protobuf',
      ),
    );
    await tree
      .locator('.message', { hasText: 'Paused: 1 new trace waits. Resume to show it.' })
      .waitFor({ timeout: 10000 });
    const held = await count();
    assert(held === before, `the list changed while paused: ${before} rows, then ${held}`);
    await page.screenshot({ path: path.join(RESULTS, 'ui-paused.png') });
    await page
      .locator('.part.sidebar .action-label[aria-label="Resume Live Updates"]:visible')
      .first()
      .click();
    const end = Date.now() + 10000;
    while ((await traceRows.count()) !== before + 1) {
      if (Date.now() > end)
        throw new Error(
          `after Resume the tree has ${await traceRows.count()} traces, expected ${before + 1}`,
        );
      await sleep(200);
    }
    assert(
      (await tree.locator('.message', { hasText: 'Paused' }).count()) === 0,
      'the pause message stays after Resume',
    );
  });

  await check('Find by Session ID lists the session turns oldest first', async () => {
    // Take focus back from the webview so the workbench gets the key.
    await pickFromCommand(
      page,
      'LLM Trace Inspector: Find by Session ID',
      'sess-lisbon',
      'sess-lisbon-weekend',
    );
    const tree = page.locator('[id="workbench.view.extension.llmTraceInspector"]');
    const header = tree.locator('.monaco-list-row', { hasText: 'Session sess-lisbon-weekend' });
    await header.waitFor({ timeout: 10000 });
    const text = await header.innerText();
    assert(
      /\d+ traces · \d+ LLM calls · [\d.,k]+ tokens/.test(text.replace(/\s+/g, ' ')),
      `session header "${text}" lacks its totals`,
    );
    const message = await tree.locator('.message', { hasText: 'oldest turn first' }).count();
    assert(message === 1, 'the view does not say the session is listed oldest turn first');
    await page.screenshot({ path: path.join(RESULTS, 'ui-session.png') });
  });

  await check('Find by Session ID opens the session as one conversation, turn by turn', async () => {
    const frame = await frameWith(page, '#lti-root .lti-session-turn .lti-session-repeated');
    assert(frame, 'the session view did not render its turns');
    const text = (await frame.locator('#lti-root').innerText()).replace(/\s+/g, ' ');
    for (const expected of [
      'Session sess-lisbon-weekend',
      'TURNS',
      'Will it rain in Lisbon on Saturday (2025-06-14)?',
      'get_weather',
      'sent again, not shown',
      'Lisbon on 2025-06-14 looks sunny',
      'Open turn',
    ])
      assert(text.includes(expected), `the session view does not show "${expected}"`);
    // Each library's second turn resends the first question: the view shows it once per first turn only.
    const firstTurns = await frame.locator('.lti-session-turn').count();
    const asked = text.split("We're flying to Lisbon for the weekend of 14 June").length - 1;
    assert(asked < firstTurns, `the first question shows in every turn (${asked} of ${firstTurns})`);
    await sleep(500);
    await page.screenshot({ path: path.join(RESULTS, 'ui-session-view.png') });
    // The conversation panel back in front, for the reload check below.
    await page.locator('.tabs-container .tab', { hasText: 'handle_turn' }).first().click();
  });

  await check('Show Summary adds up the local calls per model, service and user, with charts', async () => {
    // The same turns' GenAI metrics, as the OpenAI instrumentation exported them: shown beside the spans.
    await replay(
      endpoint,
      wanted.filter((e) => e.signal === 'metrics'),
    );
    await runCommand(page, 'LLM Trace Inspector: Show Summary');
    const frame = await frameWith(page, '#lti-summary-root .lti-sum-totals');
    assert(frame, 'the summary webview did not render');
    await frame.locator('button[data-window="all"]').click();
    await frame
      .locator('[data-dimension="model"] tbody th', { hasText: 'gpt-4o-mini' })
      .first()
      .waitFor({ timeout: 10000 });
    const canvases = await frame.locator('.lti-sum-chart canvas').count();
    assert(canvases === 4, `the summary draws ${canvases} charts, expected 4`);
    const users = (await frame.locator('[data-dimension="user"]').innerText()).replace(/\s+/g, ' ');
    assert(users.includes('user-1042'), `the users table lacks user-1042: ${users.slice(0, 200)}`);
    const metrics = (await frame.locator('[data-dimension="metrics"]').innerText()).replace(/\s+/g, ' ');
    for (const expected of ["From the app's metrics", 'gpt-4o-mini-2024-07-18', 'p95 (est.)', 'estimated'])
      assert(metrics.includes(expected), `the metrics section lacks "${expected}": ${metrics.slice(0, 300)}`);
    // The charts draw the metrics beside the span figures, named so in their legends.
    const labels = await frame.locator('[data-chart="Tokens"] .u-series .u-label').allInnerTexts();
    for (const expected of ['Input', 'Input (metrics)', 'Output (metrics)'])
      assert(
        labels.includes(expected),
        `the tokens chart's legend lacks "${expected}": ${labels.join(', ')}`,
      );
    await sleep(500);
    await page.screenshot({ path: path.join(RESULTS, 'ui-summary.png') });
    // The conversation panel back in front, for the reload check below.
    await page.locator('.tabs-container .tab', { hasText: 'handle_turn' }).first().click();
  });

  await check(
    'a port held by another OTLP receiver is named, and "Use Port" moves the receiver',
    async () => {
      // A stand-in for another local OTLP tool (the AI Toolkit, Aspire, a Collector) holding a port.
      const other = http.createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          res.writeHead(req.method === 'POST' ? 200 : 404, { 'Content-Type': 'application/json' });
          res.end('{}');
        });
      });
      const taken = await freePort();
      await new Promise((r) => other.listen(taken, '127.0.0.1', r));
      onCleanup(() => new Promise((r) => other.close(r)));
      await inputFromCommand(
        page,
        'LLM Trace Inspector: Change Receiver Port',
        /^LLM Trace Inspector: Receiver Port$/,
        String(taken),
      );
      const toast = page.locator('.notification-toast', { hasText: `port ${taken}` });
      await toast.waitFor({ timeout: 15000 });
      const message = (await toast.innerText()).replace(/\s+/g, ' ');
      assert(
        /another OTLP receiver/.test(message),
        `the notification does not name the holder: "${message}"`,
      );
      for (const action of ['Choose Port...', 'Retry'])
        assert(message.includes(action), `no "${action}" action in "${message}"`);
      const use = toast.getByRole('button', { name: /^Use Port \d+$/ });
      const label = await use.innerText();
      const next = Number(/\d+/.exec(label)[0]);
      const title = await page.locator('.part.sidebar .title-label').first().innerText();
      assert(
        !title.includes(String(taken)) && !/\d+\.\d+\.\d+\.\d+:/.test(title),
        `the view title "${title}" names an endpoint that is not listening`,
      );
      await sleep(800); // let the toast finish sliding in
      await page.screenshot({ path: path.join(RESULTS, 'ui-port-in-use.png') });
      await use.click();
      const end = Date.now() + 15000;
      for (;;) {
        const r = await request(`http://127.0.0.1:${next}/v1/traces`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: '{}',
        }).catch(() => undefined);
        if (r?.status === 200) break;
        if (Date.now() > end) throw new Error(`the receiver did not move to port ${next}`);
        await sleep(300);
      }
      const status = await statusLabel(page, `127.0.0.1:${next}`);
      assert(status?.includes(`127.0.0.1:${next}`), `the status bar still says "${status}"`);
    },
  );

  await check(
    'a second window on the same port says, in the sidebar and the status bar, that the first one receives',
    async () => {
      const second = await browser.newPage();
      try {
        await second.goto(page.url());
        await second.waitForSelector('.monaco-workbench', { timeout: 60000 });
        await second.locator('.activitybar [aria-label^="LLM Traces"]').first().click();
        const welcome = second.locator('.part.sidebar', {
          hasText: 'Another VS Code window runs the LLM Trace Inspector receiver',
        });
        await welcome.waitFor({ timeout: 20000 });
        const sidebar = (await second.locator('.part.sidebar').innerText()).replace(/\s+/g, ' ');
        assert(!/another program/.test(sidebar), `the sidebar blames another program: "${sidebar}"`);
        const status = second.locator('.statusbar-item', { hasText: 'other window' }).first();
        await status.waitFor({ timeout: 10000 });
        const label = await status.getAttribute('aria-label');
        assert(/Another VS Code window/.test(label ?? ''), `the status bar says "${label}"`);
        await second.screenshot({ path: path.join(RESULTS, 'ui-second-window.png') });
      } finally {
        await second.close().catch(() => {});
      }
    },
  );

  await check('the conversation panel comes back after a window reload', async () => {
    await runCommand(page, 'Developer: Reload Window');
    await page.waitForLoadState('load');
    await page.waitForSelector('.monaco-workbench', { timeout: 60000 });
    // The panel is restored from its saved ids, and the trace from the kept requests: the same conversation.
    const back = await frameWith(page, '#lti-root h1', { text: /handle_turn/, timeoutMs: 30000 });
    assert(back, 'the trace did not come back after the reload');
    const rows = await page
      .locator('[id="workbench.view.extension.llmTraceInspector"] .monaco-list-row')
      .count();
    assert(rows >= 4, `the traces did not come back in the tree after the reload (${rows} rows)`);
    // The window that closed saved its traces' summaries, and this one took them instead of reading spans.
    const said = await waitForLogLine(profile.userDataDir, /took their saved summaries/, 15000);
    assert(said, 'the log does not say that the reloaded window took the saved summaries');
    log(said.trim());
    await page.screenshot({ path: path.join(RESULTS, 'ui-after-reload.png') });
  });

  await check('the Summary comes back after a window reload, with its window and the metrics', async () => {
    // A restored panel is revived when it is shown; its figures come from the replayed request log.
    await page.locator('.tabs-container .tab', { hasText: 'Summary' }).first().click();
    const back = await frameWith(page, '#lti-summary-root', {
      text: /From the app's metrics/,
      timeoutMs: 30000,
    });
    assert(back, 'the summary did not come back with the metrics after the reload');
    await page.screenshot({ path: path.join(RESULTS, 'ui-summary-after-reload.png') });
    await page.locator('.tabs-container .tab', { hasText: 'handle_turn' }).first().click();
  });

  await check(
    'the Application Insights view lists production LLM calls and opens one as a conversation',
    async () => {
      await runCommand(page, 'View: Close All Editors');
      // Connect as a user does: the command, the workspace id typed into its picker, a name.
      await runCommand(page, 'LLM Trace Inspector: Connect to Application Insights');
      await page.locator('.quick-input-title', { hasText: 'Connect to Application Insights' }).waitFor();
      // Filled, not typed: keys typed while the pick still takes focus can be lost.
      await page.locator('.quick-input-box input').fill(WORKSPACE);
      await page.keyboard.press('Enter');
      await page
        .locator('.quick-input-title', { hasText: 'Name this connection' })
        .waitFor({ timeout: 10000 });
      await page.locator('.quick-input-box input').fill('prod-insights');
      await page.keyboard.press('Enter');
      const pane = page.locator('.pane', {
        has: page.locator('.pane-header', { hasText: 'Application Insights' }),
      });
      const header = pane.locator('.pane-header').first();
      if ((await header.getAttribute('aria-expanded')) === 'false') await header.click();
      await pane.locator('.monaco-list-row', { hasText: 'prod-insights' }).waitFor({ timeout: 30000 });
      const callRow = pane.locator('.monaco-list-row[aria-level="2"]', { hasText: ' tok' });
      await callRow.first().waitFor({ timeout: 30000 });
      // Room for the production list: the local view folds away (its header stays).
      const localHeader = page.locator('.pane-header', { hasText: 'Traces ·' }).first();
      if ((await localHeader.getAttribute('aria-expanded')) === 'true') await localHeader.click();
      const text = (await pane.innerText()).replace(/\s+/g, ' ');
      assert(
        /last 1 hour · \d+ GenAI spans/.test(text),
        `the connection row lacks its range and count: "${text.slice(0, 300)}"`,
      );
      await sleep(500);
      await page.screenshot({ path: path.join(RESULTS, 'ui-cloud-list.png') });
      await pane.locator('.monaco-list-row[aria-level="2"]', { hasText: 'Lisbon' }).first().click();
      const frame = await frameWith(page, '#lti-root .lti-meta', {
        text: /Application Insights/,
        also: '#lti-root .lti-call',
        timeoutMs: 30000,
      });
      assert(frame, 'no conversation of a production trace');
      const body = await frame.locator('#lti-root').innerText();
      assert(/Lisbon/.test(body), 'the production conversation lacks its messages');
      await sleep(500);
      await page.screenshot({ path: path.join(RESULTS, 'ui-cloud-conversation.png') });

      // The connection's Summary, added up in Kusto, with the app's metrics (customMetrics) beside it.
      await pickFromCommand(page, 'LLM Trace Inspector: Show Summary', 'prod', 'prod-insights');
      const summary = await frameWith(page, '#lti-summary-root [data-dimension="metrics"]', {
        also: '#lti-summary-root [data-dimension="model"] tbody th',
        timeoutMs: 30000,
      });
      assert(summary, "the connection's Summary shows no metrics");
      const metrics = (await summary.locator('[data-dimension="metrics"]').innerText()).replace(/\s+/g, ' ');
      for (const expected of ["From the app's metrics", 'gpt-4o-mini-2024-07-18', 'Mean', 'mean duration'])
        assert(
          metrics.includes(expected),
          `the metrics section lacks "${expected}": ${metrics.slice(0, 300)}`,
        );
      await sleep(500);
      await page.screenshot({ path: path.join(RESULTS, 'ui-cloud-summary.png') });
    },
  );

  // Last: it leaves a panel of its own open, which the reload check above would find instead of the turn's.
  await check('a trace of 10,000 spans opens with its waterfall', async () => {
    // The cloud check folded the local view away: open it again. The receiver moved ports meanwhile; the
    // view's header names where it listens now.
    const localHeader = page.locator('.pane-header', { hasText: 'Traces ·' }).first();
    if ((await localHeader.getAttribute('aria-expanded')) === 'false') await localHeader.click();
    const port = /127\.0\.0\.1:(\d+)/.exec(await localHeader.innerText())?.[1];
    assert(port, 'the local view names no endpoint');
    // Two of them: one opened in a new tab, the other then in that same tab (the preview's), page and all.
    for (const agent of ['marathon', 'relay']) {
      const r = await request(`http://127.0.0.1:${port}/v1/traces`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(largeTraceRequest(10_000, agent)),
      });
      if (r.status !== 200) throw new Error(`large trace: HTTP ${r.status} ${r.body}`);
    }
    const tree = page.locator('[id="workbench.view.extension.llmTraceInspector"]');
    const rowOf = (agent) =>
      tree.locator('.monaco-list-row[aria-level="1"]', { hasText: `invoke_agent ${agent}` }).first();
    const row = rowOf('marathon');
    await row.waitFor({ timeout: 15000 });
    await rowOf('relay').waitFor({ timeout: 15000 });
    // No tab to reuse: the first trace's costs the editor a new webview.
    await runCommand(page, 'View: Close All Editors');
    await page.locator('.editor-group-container .tab').first().waitFor({ state: 'detached', timeout: 10000 });
    // The panel's frames are new: each is watched from inside the page as soon as it is attached (the
    // webview's inner frame comes after its outer one), so the time printed is the page's (the rows in its
    // DOM), not a poll's over every frame of the workbench.
    // Each also records, from inside, when the waterfall's rows are inserted (a mutation observer, set up
    // once the page has painted that it is reading the trace): the figure printed is the page's own,
    // without the few hundred milliseconds Playwright may take to notice them on a busy machine.
    const rowsAt = new Map();
    let watch;
    const rows = new Promise((resolve) => {
      watch = (f) => {
        const stamp = f
          .waitForSelector('#lti-root', { timeout: 30000 })
          .then(() =>
            f.evaluate(
              () =>
                new Promise((done) => {
                  const doc = globalThis.document;
                  const has = () => doc.querySelector('#lti-root .lti-wf-row') !== null;
                  if (has()) return done(Date.now());
                  new globalThis.MutationObserver((_, observer) => {
                    if (!has()) return;
                    observer.disconnect();
                    done(Date.now());
                  }).observe(doc, { childList: true, subtree: true });
                }),
            ),
          )
          .catch(() => undefined);
        rowsAt.set(f, stamp);
        f.waitForSelector('#lti-root .lti-wf-row', { timeout: 30000 }).then(
          () => resolve(f),
          () => {},
        );
      };
      page.on('frameattached', watch);
    });
    const started = Date.now();
    await row.locator('.label-name').click();
    let timer;
    const frame = await Promise.race([
      rows,
      new Promise((resolve) => (timer = setTimeout(resolve, 30000, undefined))),
    ]);
    clearTimeout(timer);
    page.off('frameattached', watch);
    const noticedMs = Date.now() - started;
    assert(frame, 'the 10,000-span trace did not open with its waterfall');
    const title = await frame.locator('#lti-root h1').first().innerText({ timeout: 2000 });
    assert(/invoke_agent marathon/.test(title), `the new panel shows ${title}, not the large trace`);
    const inPage = await rowsAt.get(frame);
    assert(inPage, 'the page did not record when its rows came');
    const pageStart = await frame.evaluate(() => performance.timeOrigin);
    log(
      `a 10,000-span trace opened with its waterfall in a new tab in ${inPage - started} ms (click to rows ` +
        `in the page; the editor started the page ${Math.round(pageStart - started)} ms after the click; ` +
        `Playwright saw the rows at ${noticedMs} ms)`,
    );
    const drawn = await frame.locator('.lti-wf-row').count();
    assert(drawn > 0 && drawn < 200, `the waterfall draws only the rows on screen, drew ${drawn}`);
    // A row's details come from the host (the panel answers from the store).
    await frame.locator('.lti-wf-row .lti-wf-label', { hasText: 'invoke_agent step 1' }).first().click();
    await frame.locator('.lti-wf-detail', { hasText: 'gen_ai.operation.name' }).waitFor({ timeout: 10000 });
    // An LLM call's row: its card is not in the page's HTML (4,761 calls are windowed) and comes on request.
    const pickedAt = Date.now();
    await frame.locator('.lti-wf-row .lti-wf-label', { hasText: 'chat gpt-4o-mini' }).first().click();
    await frame
      .locator('.lti-call[aria-current="true"]:not(.lti-call-pending)', { hasText: '#1' })
      .waitFor({ timeout: 10000 });
    log(`its first call's card came from the host ${Date.now() - pickedAt} ms after the click on its row`);
    await sleep(500);
    await page.screenshot({ path: path.join(RESULTS, 'ui-waterfall-large.png') });

    // The other one, clicked next, goes to that tab: the page stays (no frame is made) and draws it.
    let made = 0;
    const count = () => made++;
    page.on('frameattached', count);
    const drawnAt = frame.evaluate(
      () =>
        new Promise((done) => {
          const doc = globalThis.document;
          const has = () =>
            /invoke_agent relay/.test(doc.querySelector('#lti-root h1')?.textContent ?? '') &&
            doc.querySelector('#lti-root .lti-wf-row') !== null;
          new globalThis.MutationObserver((_, observer) => {
            if (!has()) return;
            observer.disconnect();
            done(Date.now());
          }).observe(doc, { childList: true, subtree: true, characterData: true });
        }),
    );
    const clicked = Date.now();
    await rowOf('relay').locator('.label-name').click();
    const relayAt = await Promise.race([drawnAt, sleep(30000).then(() => undefined)]);
    page.off('frameattached', count);
    assert(relayAt, 'the second 10,000-span trace did not replace the first in its tab');
    assert(made === 0, `the preview tab made ${made} new frames instead of reusing its page`);
    const tabs = await page.locator('.editor-group-container .tab').count();
    assert(tabs === 1, `the second trace opened ${tabs} tabs, not the preview's one`);
    log(
      `the next 10,000-span trace opened in that (preview) tab in ${relayAt - clicked} ms (click to rows in ` +
        'the page, which stayed)',
    );
    await sleep(500);
    await page.screenshot({ path: path.join(RESULTS, 'ui-waterfall-preview.png') });

    // The pin in the tab's title bar keeps it: the pin goes, and the next trace opens a tab of its own.
    const pin = page.locator('.editor-actions [aria-label="Keep Conversation Open"]');
    await pin.click({ timeout: 10000 });
    await pin.waitFor({ state: 'detached', timeout: 10000 });
    await rowOf('marathon').locator('.label-name').click();
    await page
      .locator('.editor-group-container .tab', { hasText: 'invoke_agent marathon' })
      .waitFor({ timeout: 15000 });
    const kept = await page
      .locator('.editor-group-container .tab', { hasText: 'invoke_agent relay' })
      .count();
    assert(kept === 1, 'the tab kept open was replaced by the next trace');
  });

  await browser.close().catch(() => {});
  exitCode = results.every((r) => r.ok) ? 0 : 1;
} catch (e) {
  console.error('ui-test:', e.stack ?? e.message);
  exitCode = 1;
} finally {
  await cleanup();
}
const passed = results.filter((r) => r.ok).length;
console.log(
  `${passed} passed, ${results.length - passed + (exitCode && results.every((r) => r.ok) ? 1 : 0)} failed`,
);
process.exit(exitCode);

/**
 * The receiver's status bar label once it says `text`, or as it is after a few seconds. The port answers as
 * soon as the engine's worker binds it; the window hears so a moment later, and the status bar renders a few
 * times a second.
 */
/**
 * Runs a command from the Command Palette as a user does, waiting at each step for the workbench: keys
 * typed before the palette has the focus go to whatever had it (a webview, say) and are lost.
 */
async function runCommand(page, title) {
  // Keys go to the workbench, not to a webview that may have the focus.
  await page.locator('.part.sidebar .title-label').first().click();
  const input = page.locator('.quick-input-widget .quick-input-box input');
  for (let attempt = 0; ; attempt++) {
    await page.keyboard.press('F1');
    try {
      await input.waitFor({ state: 'visible', timeout: 5000 });
      break;
    } catch (err) {
      if (attempt >= 2) throw err;
    }
  }
  await input.fill(`>${title}`);
  const label = title.includes(': ') ? title.slice(title.indexOf(': ') + 2) : title;
  const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: label }).first();
  await row.waitFor({ timeout: 10000 });
  // The row itself, not Enter: while the list still filters, Enter takes whichever row is first.
  await row.click();
}

/**
 * Runs a command that asks in a quick input (an input box, or a pick), waits for its `title`, types `typed`
 * and lets `finish` answer. A quick input closes when it loses the focus (a webview still loading may take
 * it), so one that closed before it was answered is opened once more; `closed` says what had not happened.
 */
async function answerCommand(page, command, title, typed, closed, finish) {
  for (let attempt = 0; ; attempt++) {
    try {
      await runCommand(page, command);
      // The quick input's own title: the palette that ran the command holds the command's name too.
      await page.locator('.quick-input-title', { hasText: title }).waitFor({ timeout: 10000 });
      await page.locator('.quick-input-widget .quick-input-box input').fill(typed, { timeout: 5000 });
      await finish();
      return;
    } catch (err) {
      if (attempt >= 1) throw err;
      log(`${closed} (${err.message.split('\n')[0]}); again`);
      await page.keyboard.press('Escape');
    }
  }
}

/** Runs a command that asks for a value in an input box, types it and presses Enter. */
async function inputFromCommand(page, command, title, value) {
  await answerCommand(
    page,
    command,
    title,
    value,
    `the input box of ${command} closed before its value went in`,
    () => page.keyboard.press('Enter'),
  );
}

/**
 * Runs a command whose quick pick offers matches as one types, types part of an id and clicks the row of the
 * whole id.
 */
async function pickFromCommand(page, command, typed, label) {
  const title = command.slice(command.indexOf(': ') + 2);
  const row = page.locator('.quick-input-widget .monaco-list-row', {
    has: page.locator('.label-name', { hasText: new RegExp(`^${label}$`) }),
  });
  await answerCommand(
    page,
    command,
    title,
    typed,
    `the ${title} pick closed before its row was clicked`,
    () => row.first().click({ timeout: 10000 }),
  );
}

/** The first line of the extension's log (code-server's log files under the profile) matching `pattern`. */
async function waitForLogLine(userDataDir, pattern, timeoutMs) {
  const files = (dir) =>
    readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
      d.isDirectory() ? files(path.join(dir, d.name)) : [path.join(dir, d.name)],
    );
  for (const end = Date.now() + timeoutMs; Date.now() < end; await sleep(300)) {
    const logs = files(path.join(userDataDir, 'logs')).filter((f) => /LLM Trace Inspector.*\.log$/.test(f));
    for (const f of logs) {
      const line = readFileSync(f, 'utf8')
        .split('\n')
        .find((l) => pattern.test(l));
      if (line) return line;
    }
  }
  return undefined;
}

async function statusLabel(page, text) {
  const item = page.locator('.statusbar-item', { hasText: 'LLM' }).first();
  let label = await item.getAttribute('aria-label');
  for (const end = Date.now() + 5000; !label?.includes(text) && Date.now() < end;) {
    await sleep(100);
    label = await item.getAttribute('aria-label');
  }
  return label;
}
