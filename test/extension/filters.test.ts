// The LLM Traces view's filter in a real VS Code: a text found by the engine in the records (here in log
// records only), a model, both at once, the view's description and message saying so, and Clear Filter.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { LlmTraceInspectorApi } from '../../src/host/api';
import { activateExtension, postFixtures, waitFor } from './util';

describe('filters', () => {
  let api: LlmTraceInspectorApi;

  before(async () => {
    const activated = await activateExtension();
    api = activated.api;
    await waitFor(() => api.endpoint !== undefined, 'receiver listening');
    await vscode.commands.executeCommand('llmTraceInspector.clearTraces');
    await postFixtures(
      activated.extension.extensionPath,
      api.endpoint!,
      (e) =>
        e.library === 'otel-openai' &&
        ['chat', 'tools', 'error', 'unicode'].includes(e.scenario) &&
        e.encoding === 'protobuf',
    );
    await waitFor(() => api.traces().length === 4, 'four traces');
    // The content comes as log records: wait until the Kyoto turn's have joined its spans.
    await waitFor(
      async () => (await api.trace(kyoto()))?.spans.some((s) => s.llm && s.llm.messages.length > 0) === true,
      'the Kyoto turn with its messages',
    );
  });

  after(async () => {
    await vscode.commands.executeCommand('llmTraceInspector.clearFilter');
  });

  const kyoto = (): string => api.traces().find((t) => t.sessionId === 'sess-kyoto-autumn')!.traceId;
  const listed = async (): Promise<string[]> =>
    (await api.treeSnapshot(1)).map((n) => (n.node.kind === 'trace' ? n.node.traceId : n.node.kind));

  it('filters by text found in the messages, in any script, and says so above the tree', async () => {
    await vscode.commands.executeCommand('llmTraceInspector.filterByText', '京都');
    assert.deepEqual(await listed(), [kyoto()]);
    assert.match(api.treeDescription() ?? '', /“京都”/);
    assert.match(api.treeMessage() ?? '', /1 trace matches the filter/);
    await vscode.commands.executeCommand('llmTraceInspector.filterByText', 'LISBON');
    const lisbon = api
      .traces()
      .filter((t) => t.sessionId === 'sess-lisbon-weekend')
      .map((t) => t.traceId);
    assert.deepEqual((await listed()).sort(), lisbon.sort());
  });

  it('adds a model to the text, then drops the text, then clears everything', async () => {
    const [first] = api.traces().filter((t) => t.sessionId === 'sess-lisbon-weekend');
    const model = first!.models[0]!;
    await vscode.commands.executeCommand('llmTraceInspector.filter', { model });
    assert.match(api.treeDescription() ?? '', new RegExp(`“LISBON” · model ${model.replace(/\./g, '\\.')}`));
    const both = await listed();
    assert.ok(both.length >= 1);
    for (const id of both) {
      const t = api.traces().find((s) => s.traceId === id)!;
      assert.ok(t.models.includes(model) && t.sessionId === 'sess-lisbon-weekend');
    }
    await vscode.commands.executeCommand('llmTraceInspector.filter', { text: null });
    const byModel = await listed();
    assert.deepEqual(
      byModel.sort(),
      api
        .traces()
        .filter((t) => t.models.includes(model))
        .map((t) => t.traceId)
        .sort(),
    );
    assert.doesNotMatch(api.treeDescription() ?? '', /LISBON/);
    await vscode.commands.executeCommand('llmTraceInspector.filter', { errorsOnly: true });
    assert.deepEqual(await listed(), [], 'no failed call of that model');
    assert.match(api.treeMessage() ?? '', /No trace matches the filter/);
    await vscode.commands.executeCommand('llmTraceInspector.clearFilter');
    assert.equal((await listed()).length, 4);
    assert.equal(api.treeDescription(), undefined);
    assert.equal(api.treeMessage(), undefined);
  });
});
