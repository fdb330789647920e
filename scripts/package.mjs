// Builds the production bundles and packages the .vsix with @vscode/vsce from a staging folder that holds
// only what the installed extension reads at run time (the manifest, its strings, dist/ without source
// maps, media/, README, CHANGELOG, LICENSE). Staging keeps vsce from walking the sample app's node_modules
// and makes the allow-list explicit; the result is then checked (no sources, tests, maps, node_modules;
// under 2 MB). Prints the path of the .vsix.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const out = path.join(root, 'out', `${pkg.name}-${pkg.version}.vsix`);
const stage = path.join(root, 'out', 'stage');
const vsce = path.join(root, 'node_modules/@vscode/vsce/vsce');

const build = spawnSync(process.execPath, ['esbuild.mjs', '--production'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

rmSync(stage, { recursive: true, force: true });
mkdirSync(stage, { recursive: true });
for (const f of ['package.nls.json', 'README.md', 'CHANGELOG.md', 'LICENSE', '.vscodeignore'])
  cpSync(path.join(root, f), path.join(stage, f));
for (const d of ['media', 'l10n'])
  if (existsSync(path.join(root, d))) cpSync(path.join(root, d), path.join(stage, d), { recursive: true });
cpSync(path.join(root, 'dist'), path.join(stage, 'dist'), {
  recursive: true,
  filter: (src) => !src.endsWith('.map'),
});
// The packaged manifest needs no build scripts or development dependencies.
const { scripts: _scripts, devDependencies: _dev, ...manifest } = pkg;
writeFileSync(path.join(stage, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);

mkdirSync(path.dirname(out), { recursive: true });
const packaged = spawnSync(process.execPath, [vsce, 'package', '--no-dependencies', '--out', out], {
  cwd: stage,
  stdio: ['ignore', 'pipe', 'inherit'],
  encoding: 'utf8',
});
if (packaged.status !== 0) {
  process.stdout.write(packaged.stdout ?? '');
  process.exit(packaged.status ?? 1);
}

const list = spawnSync(process.execPath, [vsce, 'ls', '--no-dependencies'], { cwd: stage, encoding: 'utf8' });
const files = list.stdout
  .split('\n')
  .map((l) => l.trim())
  .filter(Boolean);
const size = statSync(out).size;
const problems = [];
const forbidden = files.filter(
  (f) =>
    /^(src|test|sample|scripts|webview|node_modules|out|docs)\//.test(f) ||
    f.endsWith('.map') ||
    f.endsWith('.ts'),
);
if (forbidden.length) problems.push(`files that do not belong in the package: ${forbidden.join(', ')}`);
if (size > 2 * 1024 * 1024)
  problems.push(`the package is ${(size / 1048576).toFixed(2)} MB, over the 2 MB budget`);
for (const needed of [
  'dist/extension.js',
  'dist/webview.js',
  'dist/summary.js',
  'dist/summary.css',
  'dist/codicons/codicon.css',
  'package.json',
  'package.nls.json',
  'media/conversation.css',
  'l10n/bundle.l10n.json',
]) {
  if (!files.includes(needed)) problems.push(`missing ${needed}`);
}
rmSync(stage, { recursive: true, force: true });
if (problems.length) {
  console.error(`package check failed:\n- ${problems.join('\n- ')}`);
  process.exit(1);
}
console.log(
  `${path.relative(root, out)}: ${(size / 1024).toFixed(0)} kB, ${files.length} files: ${files.join(', ')}`,
);
