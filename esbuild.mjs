// The extension (Node, CommonJS, `vscode` external; @azure/identity in a bundle of its own, loaded on
// demand), the ingest engine's worker thread (Node, no `vscode`) and the conversation webview (browser).
// Type checking is separate (`npm run typecheck`).
import * as esbuild from 'esbuild';
import { cpSync, mkdirSync } from 'node:fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const common = {
  bundle: true,
  minify: production,
  sourcemap: production ? false : 'linked',
  logLevel: 'info',
  legalComments: 'none',
};

const contexts = [
  await esbuild.context({
    ...common,
    // azureIdentity.js is loaded only when its credentials are chosen (src/host/appInsightsController.ts).
    entryPoints: {
      extension: 'src/extension.ts',
      azureIdentity: 'src/appInsights/azureIdentity.ts',
      engineWorker: 'src/engine/worker.ts',
    },
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    target: 'node18',
    external: ['vscode'],
  }),
  await esbuild.context({
    ...common,
    // summary.js and summary.css (uPlot's styles with the page's own).
    entryPoints: {
      webview: 'webview/main.ts',
      session: 'webview/sessionMain.ts',
      summary: 'webview/summary/main.ts',
    },
    outdir: 'dist',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
  }),
];

// Codicons are loaded by the webview from the extension's own output, never from a CDN.
mkdirSync('dist/codicons', { recursive: true });
for (const f of ['codicon.css', 'codicon.ttf']) {
  cpSync(`node_modules/@vscode/codicons/dist/${f}`, `dist/codicons/${f}`);
}

if (watch) {
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
}
