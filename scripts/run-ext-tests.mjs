// Runs the extension-host tests in a real VS Code: code-server's Node extension host, with the web
// workbench loaded in headless Chromium (see README "Testing"). The workbench reads the development and
// tests paths from its `payload` URL parameter (honoured with the smoke-test driver on), runs the mocha
// suite in the extension host, and reports the exit code through window.codeAutomationExit.
// Prints "N passed, N failed" and exits non-zero on any failure.
import path from 'node:path';
import { writeFileSync, mkdirSync } from 'node:fs';
import {
  ROOT,
  cleanup,
  ensureTools,
  freePort,
  launchChromium,
  logger,
  makeTempDir,
  onCleanup,
  prepareProfile,
  run,
  startCodeServer,
} from './lib/harness.mjs';
import { startCloudStandIn } from './lib/cloudStandIn.mjs';

const log = logger('ext-tests');
const TIMEOUT_MS = Number(process.env.TEST_TIMEOUT_MS || 240000);
const VERBOSE = !!process.env.VERBOSE;
const NOISE =
  /^\s*(\[(AgentHost|ChatModelSelection|AccountPolicyGate|Service Worker|reconnection-grace-time)|Resolving connection token|Resolved connection token|Creating a socket|Updating additional builtin|Timed out waiting for authentication provider|getaddrinfo ENOTFOUND|\s+at )/;

function fmt(args) {
  if (!Array.isArray(args)) return String(args);
  let [f, ...rest] = args;
  if (typeof f !== 'string') return args.map(String).join(' ');
  f = f.replace(/%[sdifoOc]/g, (m) =>
    rest.length ? (m === '%c' ? (rest.shift(), '') : String(rest.shift())) : m,
  );
  return [f, ...rest.map(String)].join(' ');
}

let code;
let passing = null;
let failing = 0;
try {
  ensureTools();
  if (!process.env.SKIP_BUILD) {
    run(process.execPath, ['esbuild.mjs']);
    run(process.execPath, ['scripts/build-ext-tests.mjs']);
  }
  const tmp = makeTempDir('lti-ext-');
  const workspace = path.join(tmp, 'workspace');
  mkdirSync(workspace, { recursive: true });
  // A receiver port of its own, so the run never collides with a real receiver on 4318.
  const receiverPort = await freePort();
  const profile = prepareProfile(tmp, {
    'llmTraceInspector.receiver.port': receiverPort,
    'llmTraceInspector.receiver.grpcPort': await freePort(),
  });
  writeFileSync(path.join(workspace, 'README.md'), 'LLM Trace Inspector extension-host test workspace\n');
  const port = await freePort();
  // Application Insights stands in on loopback; the extension host trusts its certificate and finds the
  // stand-in az on its login shell's PATH.
  const cloud = await startCloudStandIn(tmp, { log });
  onCleanup(() => cloud.close());
  await startCodeServer(profile, {
    port,
    folder: workspace,
    extraArgs: ['--vscode-option', 'enable-smoke-test-driver'],
    env: cloud.env,
  });
  log('code-server up on port', port, '; receiver port', receiverPort);
  const browser = await launchChromium(path.join(tmp, 'chromium'));
  const page = browser.pages()[0] ?? (await browser.newPage());
  let resolveDone;
  const done = new Promise((r) => (resolveDone = r));
  await page.exposeFunction('codeAutomationExit', (c) => resolveDone(c));
  await page.exposeFunction('codeAutomationLog', (_type, args) => {
    const line = fmt(args);
    let m;
    if ((m = /^\s*(\d+) passing/.exec(line))) passing = Number(m[1]);
    if ((m = /^\s*(\d+) failing/.exec(line))) failing = Number(m[1]);
    if (VERBOSE || !NOISE.test(line)) console.log(line);
  });
  const auth = `127.0.0.1:${port}`;
  const payload = JSON.stringify([
    ['extensionDevelopmentPath', `vscode-remote://${auth}${ROOT}`],
    ['extensionTestsPath', `vscode-remote://${auth}${path.join(ROOT, 'out/test/extension/suite.js')}`],
  ]);
  await page.goto(
    `http://${auth}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(payload)}`,
  );
  log('workbench loading; the suite runs in the extension host');
  code = await Promise.race([
    done,
    new Promise((_, reject) =>
      setTimeout(() => reject(new Error(`no result within ${TIMEOUT_MS} ms`)), TIMEOUT_MS),
    ),
  ]);
  log('extension host exit code', code);
  await browser.close().catch(() => {});
} catch (e) {
  console.error('ext-tests:', e.message);
  code = 1;
} finally {
  await cleanup();
}
console.log(`${passing ?? 0} passed, ${passing === null ? 'unknown' : failing} failed`);
process.exit(code === 0 && passing !== null ? 0 : 1);
