// `npm test`: every tier, in order, each with its own "N passed, N failed" line, then a summary.
//   typecheck -> unit (node:test) -> build -> browser (webview in Chromium) -> extension host (real VS Code
//   through code-server) -> UI (packaged .vsix in code-server, driven in Chromium, screenshots).
// `npm test -- unit browser` runs only the named tiers. Before the tiers that need Chromium or a real
// VS Code, the "tools" step installs them when missing (scripts/setup-test-tools.sh: a few minutes, once).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describeTier, parseCounts, totalLine } from './lib/summary.cjs';

// From a fresh clone, `npm test` alone is enough: install the locked dependencies first.
if (!existsSync('node_modules/.bin/tsc')) {
  const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const tiers = [
  { name: 'typecheck', cmd: ['npm', 'run', '-s', 'typecheck'] },
  { name: 'lint', cmd: ['npm', 'run', '-s', 'lint'] },
  { name: 'unit', cmd: [process.execPath, 'scripts/run-unit-tests.mjs'] },
  { name: 'build', cmd: [process.execPath, 'esbuild.mjs'] },
  { name: 'tools', cmd: ['bash', 'scripts/setup-test-tools.sh'], before: ['browser', 'extension', 'ui'] },
  { name: 'browser', cmd: [process.execPath, 'scripts/run-browser-tests.mjs'], needs: 'tools' },
  { name: 'extension', cmd: [process.execPath, 'scripts/run-ext-tests.mjs'], needs: 'tools' },
  { name: 'ui', cmd: [process.execPath, 'scripts/run-ui-test.mjs'], needs: 'tools' },
];
const wanted = process.argv.slice(2);
const selected = wanted.length
  ? tiers.filter((t) => wanted.includes(t.name) || t.before?.some((n) => wanted.includes(n)))
  : tiers;
if (selected.length === 0) {
  console.error(`unknown tier(s) ${wanted.join(', ')}; tiers: ${tiers.map((t) => t.name).join(', ')}`);
  process.exit(2);
}

function runTier(tier) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(tier.cmd[0], tier.cmd.slice(1), {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...tier.env, FORCE_COLOR: '0' },
    });
    let text = '';
    const tee = (stream) => (d) => {
      text += d;
      stream.write(d);
    };
    child.stdout.on('data', tee(process.stdout));
    child.stderr.on('data', tee(process.stderr));
    child.on('close', (code) => {
      const seconds = (Date.now() - started) / 1000;
      resolve({ name: tier.name, code: code ?? 1, ...parseCounts(text), seconds });
    });
  });
}

const results = [];
for (const tier of selected) {
  console.log(`\n=== ${tier.name} ===`);
  const missing = results.find((r) => r.name === tier.needs && r.code !== 0);
  const r = missing
    ? { name: tier.name, code: 1, passed: 0, failed: undefined, seconds: 0, skipped: `${tier.needs} failed` }
    : await runTier(tier);
  results.push(r);
  const tail = r.code === 0 ? '' : `, exit code ${r.code}`;
  console.log(`=== ${tier.name}: ${describeTier(r)} (${r.seconds.toFixed(1)} s)${tail}`);
}

console.log('\nSummary');
for (const r of results) {
  const verdict = r.code === 0 ? 'PASS' : 'FAIL';
  console.log(`  ${r.name.padEnd(10)} ${verdict}  ${describeTier(r)}  (${r.seconds.toFixed(1)} s)`);
}
console.log(totalLine(results));
process.exit(results.some((r) => r.code !== 0) ? 1 : 0);
