// Lint rules for the extension, the webview, the tests and the scripts. The layering of ARCHITECTURE.md
// is checked here: pure code (src/core, src/otlp, src/protocol, src/views) and the webview never import
// `vscode`, and imports point one way (extension -> host -> engine -> views -> protocol -> core; engine ->
// otlp -> core; webview -> protocol).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import globals from 'globals';

const vscodeImport = {
  name: 'vscode',
  message: 'Only src/host (and the composition root) may use the VS Code API; keep this module pure.',
};
/** A layer's files may not import `vscode`, the folders named, or the composition root. */
function layer(files, forbidden, message, more = []) {
  const group = [...forbidden.map((f) => `**/${f}/**`), '**/extension'];
  return {
    files,
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { paths: [vscodeImport], patterns: [{ group, message }, ...more] },
      ],
    },
  };
}

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'out/**',
      'node_modules/**',
      'sample/node_modules/**',
      'sample/legacy/node_modules/**',
      'test/fixtures/**',
      '.vscode-test/**',
      'test-results/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-control-regex': 'off',
      eqeqeq: ['error', 'always'],
      // Prettier wraps code at 110 columns; comments are wrapped by hand to the same width. Long strings
      // (user-facing text, l10n keys) stay whole.
      'max-len': [
        'error',
        {
          code: 110,
          ignoreStrings: true,
          ignoreTemplateLiterals: true,
          ignoreRegExpLiterals: true,
          ignoreUrls: true,
        },
      ],
    },
  },
  layer(
    ['src/core/**/*.ts'],
    ['host', 'otlp', 'appInsights', 'protocol', 'engine', 'views'],
    'src/core imports nothing outside src/core.',
  ),
  layer(
    ['src/otlp/**/*.ts', 'src/appInsights/**/*.ts'],
    ['host', 'engine', 'views'],
    'Sources import only src/core, never the host.',
  ),
  layer(
    ['src/engine/**/*.ts'],
    ['host', 'appInsights'],
    'The ingest engine imports only src/otlp, src/core, the view models (src/views) and their protocol; it runs in a worker thread, apart from the host.',
  ),
  layer(
    ['src/views/**/*.ts'],
    ['host', 'otlp', 'appInsights', 'engine'],
    'View models are pure: they import only src/core and src/protocol, so the host and the engine share them.',
  ),
  layer(
    ['src/protocol/**/*.ts'],
    ['host', 'otlp', 'appInsights', 'engine', 'views'],
    'The webview protocol imports only core types.',
  ),
  {
    ...layer(
      ['webview/**/*.ts'],
      ['src/host', 'src/otlp', 'src/appInsights', 'src/engine', 'src/views'],
      'The webview bundle imports only src/protocol and core.',
      [{ group: ['node:*'], message: 'The webview runs in a browser.' }],
    ),
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['**/*.mjs', '**/*.js', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
