// Runs the webview's browser tests (test/browser/*.test.*) with node's test runner: they render the real
// conversation bundle in Debian's Chromium through playwright-core.
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { ensureTools } from './lib/harness.mjs';

const files = readdirSync('test/browser')
  .filter((f) => /\.test\.(mjs|ts)$/.test(f))
  .map((f) => `test/browser/${f}`);
if (files.length === 0) {
  console.error('no browser test files found in test/browser');
  process.exit(1);
}
try {
  ensureTools(); // Debian's Chromium, when missing
} catch (e) {
  console.error('browser-tests:', e.message);
  console.log('0 passed, unknown failed');
  process.exit(1);
}
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=1', ...files],
  { stdio: 'inherit' },
);
process.exit(r.status ?? 1);
