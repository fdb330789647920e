// Bundles the extension-host tests (test/extension/*.ts) into out/test/extension/ for VS Code to load.
// Packages stay external: mocha and the OpenTelemetry exporters load from node_modules at run time.
import * as esbuild from 'esbuild';
import { readdirSync } from 'node:fs';

const entries = readdirSync('test/extension')
  .filter((f) => f.endsWith('.ts'))
  .map((f) => `test/extension/${f}`);
await esbuild.build({
  entryPoints: entries,
  outdir: 'out/test/extension',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: 'inline',
  packages: 'external',
  external: ['vscode'],
  logLevel: 'warning',
});
