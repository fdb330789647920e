// `npm test`: every tier, in order, each with its own "N passed, N failed" line, then a summary.
//   typecheck -> unit (node:test) -> build -> browser (webview in Chromium) -> extension host (real VS Code
//   through code-server) -> UI (packaged .vsix in code-server, driven in Chromium, screenshots).
// `npm test -- unit browser` runs only the named tiers. The real-VS-Code tiers install their tools on first
// use (scripts/setup-test-tools.sh).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

// From a fresh clone, `npm test` alone is enough: install the locked dependencies first.
if (!existsSync('node_modules/.bin/tsc')) {
  const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const tiers = [
  { name: 'typecheck', cmd: ['npm', 'run', '-s', 'typecheck'] },
  { name: 'unit', cmd: [process.execPath, 'scripts/run-unit-tests.mjs'] },
  { name: 'build', cmd: [process.execPath, 'esbuild.mjs'] },
  { name: 'browser', cmd: [process.execPath, 'scripts/run-browser-tests.mjs'] },
  { name: 'extension', cmd: [process.execPath, 'scripts/run-ext-tests.mjs'] },
  { name: 'ui', cmd: [process.execPath, 'scripts/run-ui-test.mjs'] },
];
const wanted = process.argv.slice(2);
const selected = wanted.length ? tiers.filter((t) => wanted.includes(t.name)) : tiers;
if (selected.length === 0) {
  console.error(`unknown tier(s) ${wanted.join(', ')}; tiers: ${tiers.map((t) => t.name).join(', ')}`);
  process.exit(2);
}

function runTier(tier) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(tier.cmd[0], tier.cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...tier.env, FORCE_COLOR: '0' } });
    let text = '';
    const tee = (stream) => (d) => {
      text += d;
      stream.write(d);
    };
    child.stdout.on('data', tee(process.stdout));
    child.stderr.on('data', tee(process.stderr));
    child.on('close', (code) => {
      let passed;
      let failed;
      let m;
      if ((m = /ℹ pass (\d+)[\s\S]*?ℹ fail (\d+)/.exec(text))) [passed, failed] = [Number(m[1]), Number(m[2])];
      else if ((m = /(\d+) passed, (\d+|unknown) failed\s*$/m.exec(text))) [passed, failed] = [Number(m[1]), m[2] === 'unknown' ? NaN : Number(m[2])];
      resolve({ name: tier.name, code, passed, failed, seconds: (Date.now() - started) / 1000 });
    });
  });
}

const results = [];
for (const tier of selected) {
  console.log(`\n=== ${tier.name} ===`);
  const r = await runTier(tier);
  results.push(r);
  const counts = r.passed !== undefined ? `${r.passed} passed, ${Number.isNaN(r.failed) ? 'unknown' : r.failed} failed` : r.code === 0 ? 'ok' : 'FAILED';
  console.log(`=== ${tier.name}: ${counts} (${r.seconds.toFixed(1)} s)${r.code === 0 ? '' : `, exit code ${r.code}`}`);
}

console.log('\nSummary');
for (const r of results) {
  const counts = r.passed !== undefined ? `${r.passed} passed, ${Number.isNaN(r.failed) ? 'unknown' : r.failed} failed` : r.code === 0 ? 'ok' : 'failed';
  console.log(`  ${r.name.padEnd(10)} ${r.code === 0 ? 'PASS' : 'FAIL'}  ${counts}  (${r.seconds.toFixed(1)} s)`);
}
const total = results.reduce((a, r) => ({ p: a.p + (r.passed ?? 0), f: a.f + (Number.isFinite(r.failed) ? r.failed : 0) }), { p: 0, f: 0 });
const failedTiers = results.filter((r) => r.code !== 0).length;
console.log(`${total.p} passed, ${total.f + (total.f === 0 ? failedTiers : 0)} failed`);
process.exit(failedTiers ? 1 : 0);
