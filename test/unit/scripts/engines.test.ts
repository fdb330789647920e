// The Node version the README promises is one every locked package accepts: otherwise `npm ci` prints
// EBADENGINE warnings (or a package fails at run time) on the very Node the README names.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import semver from 'semver';

const ROOT = path.resolve(__dirname, '../../..');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string };
};
const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { engines?: { node?: string } | string[]; optional?: boolean }>;
};

test('every locked package accepts the oldest Node that package.json and the README allow', () => {
  const oldest = semver.minVersion(pkg.engines.node);
  assert.ok(oldest, `engines.node "${pkg.engines.node}" has a minimum`);
  const refused = Object.entries(lock.packages)
    .filter(([name, p]) => name !== '' && !Array.isArray(p.engines) && p.engines?.node)
    .filter(([, p]) => !semver.satisfies(oldest, (p.engines as { node: string }).node))
    .map(([name, p]) => `${name} wants node ${(p.engines as { node: string }).node}`);
  assert.deepEqual(refused, [], `Node ${oldest.version} is refused by`);
});

test('the README names the same minimum Node version as package.json', () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const oldest = semver.minVersion(pkg.engines.node)!;
  const named = `Node.js ${oldest.major}.${oldest.minor} or later`;
  assert.ok(readme.includes(named), `README says "${named}"`);
});
