// `npm run demo`: the extension in a real VS Code, fed live by a sample LLM app.
// 1. installs the project's and the sample's dependencies when missing, builds and packages the .vsix;
// 2. starts VS Code with the extension: a desktop `code` when one is on PATH (with the extension loaded from
//    this folder), otherwise code-server in the browser on loopback (installed on first use);
// 3. starts sample/demoApp.mjs, which uses the real OpenTelemetry, OpenLLMetry and OpenInference
//    instrumentations against a loopback mock of the OpenAI API and sends its traces to the receiver.
// Ctrl-C stops everything it started.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import {
  ROOT,
  cleanNpmEnv,
  cleanup,
  ensureTools,
  freePort,
  installExtension,
  logger,
  makeTempDir,
  portFree,
  prepareProfile,
  run,
  startCodeServer,
  startProcess,
} from './lib/harness.mjs';

const log = logger('demo');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function hasDesktopCode() {
  if (process.env.LTI_DEMO_CODE_SERVER) return false;
  const r = spawnSync('code', ['--version'], { encoding: 'utf8' });
  return r.status === 0 && !/code-server/i.test(r.stdout);
}

try {
  // Installs run as from a shell, whatever the npm that started this script put in the environment.
  const env = cleanNpmEnv();
  const ci = ['ci', '--no-audit', '--no-fund'];
  if (!existsSync(path.join(ROOT, 'node_modules/esbuild'))) run(npm, ci, { env });
  if (!existsSync(path.join(ROOT, 'sample/node_modules/openai')))
    run(npm, ci, { env, cwd: path.join(ROOT, 'sample') });

  // The receiver's port: the OTLP default when it is free, else any free one (the profile's settings say
  // which).
  const receiverPort = (await portFree(4318)) ? 4318 : await freePort();
  const endpoint = `http://127.0.0.1:${receiverPort}`;

  if (hasDesktopCode()) {
    if (receiverPort !== 4318)
      throw new Error(
        'port 4318 is taken; free it (the desktop VS Code uses your own settings) or run with LTI_DEMO_CODE_SERVER=1',
      );
    run(process.execPath, ['esbuild.mjs']);
    log('starting desktop VS Code with the extension loaded from', ROOT);
    run('code', ['--new-window', `--extensionDevelopmentPath=${ROOT}`, path.join(ROOT, 'sample')]);
  } else {
    ensureTools();
    run(process.execPath, ['scripts/package.mjs']);
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    const tmp = makeTempDir('lti-demo-');
    const profile = prepareProfile(tmp, {
      'llmTraceInspector.receiver.port': receiverPort,
      'workbench.colorTheme': 'Default Dark Modern',
    });
    installExtension(profile, path.join(ROOT, 'out', `${pkg.name}-${pkg.version}.vsix`));
    const workspace = path.join(tmp, 'workspace');
    mkdirSync(workspace, { recursive: true });
    const port = Number(process.env.LTI_DEMO_PORT) || ((await portFree(8080)) ? 8080 : await freePort());
    await startCodeServer(profile, { port, folder: workspace });
    const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`;
    console.log(
      `\n  LLM Trace Inspector is running in VS Code (code-server). Open:\n\n    ${url}\n\n  then click "LLM Traces" in the activity bar. The receiver listens on ${endpoint}.\n`,
    );
  }

  log(
    `starting the sample app; it sends traces to ${endpoint} once the receiver answers (the extension starts with the window)`,
  );
  const app = startProcess(process.execPath, ['demoApp.mjs'], {
    cwd: path.join(ROOT, 'sample'),
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint },
    echo: true,
    prefix: '[sample app] ',
  });
  console.log('  Press Ctrl-C to stop everything.\n');
  await new Promise((resolve) => app.once('exit', resolve));
  log('the sample app exited');
} catch (e) {
  console.error('demo:', e.message);
  process.exitCode = 1;
} finally {
  await cleanup();
}
