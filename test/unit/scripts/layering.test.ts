// The layering of ARCHITECTURE.md is a lint rule, not only a sentence: this proves the rule is there and
// bites, so a change to eslint.config.mjs cannot quietly drop it.
import { strict as assert } from 'node:assert';
import path from 'node:path';
import { test } from 'node:test';
import { ESLint } from 'eslint';

const ROOT = path.resolve(__dirname, '../../..');
const eslint = new ESLint({ cwd: ROOT });

async function restricted(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports')
    .map((m) => m.message);
}

test('pure modules may not import vscode', async () => {
  for (const file of [
    'src/core/x.ts',
    'src/core/genai/x.ts',
    'src/otlp/x.ts',
    'src/protocol/x.ts',
    'src/views/x.ts',
    'webview/x.ts',
  ]) {
    const messages = await restricted(file, "import * as vscode from 'vscode';\nexport const v = vscode;\n");
    assert.equal(messages.length, 1, `${file}: ${JSON.stringify(messages)}`);
  }
  assert.deepEqual(
    await restricted('src/host/x.ts', "import * as vscode from 'vscode';\nexport const v = vscode;\n"),
    [],
  );
});

test('imports point one way: core imports nothing outside core, sources never the host', async () => {
  assert.equal(
    (await restricted('src/core/x.ts', "import { a } from '../otlp/decode';\nexport const b = a;\n")).length,
    1,
  );
  assert.equal(
    (await restricted('src/core/genai/x.ts', "import { a } from '../../host/ids';\nexport const b = a;\n"))
      .length,
    1,
  );
  assert.equal(
    (await restricted('src/otlp/x.ts', "import { a } from '../host/ids';\nexport const b = a;\n")).length,
    1,
  );
  assert.deepEqual(
    await restricted('src/otlp/x.ts', "import { a } from '../core/records';\nexport const b = a;\n"),
    [],
  );
  assert.equal(
    (await restricted('webview/x.ts', "import { a } from 'node:fs';\nexport const b = a;\n")).length,
    1,
  );
  // The protocol and the webview sit below the view models, which the host and the engine's worker share
  // (so the view models import neither).
  for (const file of ['src/protocol/x.ts', 'src/core/x.ts']) {
    const code = "import { a } from '../views/waterfallModel';\nexport const b = a;\n";
    assert.equal((await restricted(file, code)).length, 1, file);
  }
  assert.equal(
    (await restricted('src/views/x.ts', "import { a } from '../host/ids';\nexport const b = a;\n")).length,
    1,
  );
  assert.deepEqual(
    await restricted(
      'src/engine/x.ts',
      "import { a } from '../views/waterfallModel';\nexport const b = a;\n",
    ),
    [],
  );
});
