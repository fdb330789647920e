// Helpers shared by the extension-host tests.
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
