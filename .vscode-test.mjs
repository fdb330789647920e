// The desktop route for people with a desktop VS Code and a network: `npm run test:desktop` downloads VS Code
// through @vscode/test-electron and runs the same suite as the code-server route (scripts/run-ext-tests.mjs).
import { defineConfig } from '@vscode/test-cli';

export default defineConfig({
  files: 'out/test/extension/*.test.js',
  mocha: { ui: 'bdd', timeout: 30000 },
  launchArgs: ['--disable-extensions'],
  workspaceFolder: './sample',
});
