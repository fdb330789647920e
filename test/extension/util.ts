// Helpers shared by the extension-host tests.
import * as http from 'node:http';
import * as path from 'node:path';
import { readFileSync } from 'node:fs';
import * as vscode from 'vscode';
import type { LlmTraceInspectorApi } from '../../src/host/api';

export const EXTENSION_ID = 'llm-trace-inspector.llm-trace-inspector';

export async function activateExtension(): Promise<{
  api: LlmTraceInspectorApi;
  extension: vscode.Extension<LlmTraceInspectorApi>;
}> {
  const extension = vscode.extensions.getExtension<LlmTraceInspectorApi>(EXTENSION_ID);
  if (!extension) throw new Error(`extension ${EXTENSION_ID} is not installed in this VS Code`);
  const api = await extension.activate();
  return { api, extension };
}

export async function configure(key: string, value: unknown): Promise<void> {
  await vscode.workspace
    .getConfiguration('llmTraceInspector')
    .update(key, value, vscode.ConfigurationTarget.Global);
}

/** Polls `condition` until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface FixtureEntry {
  file: string;
  library: string;
  scenario: string;
  signal: string;
  path: string;
  encoding: string;
  contentType: string;
  contentEncoding: string | null;
}

/**
 * Posts the captured requests (test/fixtures) that `wanted` picks to the receiver at `endpoint`, exactly as
 * the instrumentation's exporter sent them: log records first (content waits for its spans), or spans first.
 */
export async function postFixtures(
  extensionPath: string,
  endpoint: string,
  wanted: (e: FixtureEntry) => boolean,
  { logsFirst = true, metrics = false }: { logsFirst?: boolean; metrics?: boolean } = {},
): Promise<void> {
  const fixtures = path.join(extensionPath, 'test', 'fixtures');
  const { entries } = JSON.parse(readFileSync(path.join(fixtures, 'manifest.json'), 'utf8')) as {
    entries: FixtureEntry[];
  };
  const selected = entries.filter((e) => wanted(e) && (metrics || e.signal !== 'metrics'));
  selected.sort((a, b) => (a.signal === b.signal ? 0 : (a.signal === 'logs') === logsFirst ? -1 : 1));
  for (const e of selected) {
    const body = readFileSync(path.join(fixtures, e.file));
    const headers: Record<string, string | number> = {
      'Content-Type': e.contentType,
      'Content-Length': body.length,
    };
    if (e.contentEncoding) headers['Content-Encoding'] = e.contentEncoding;
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${endpoint}${e.path}`, { method: 'POST', headers }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end(body);
    });
    if (status !== 200) throw new Error(`${e.file} was refused: HTTP ${status}`);
  }
}
