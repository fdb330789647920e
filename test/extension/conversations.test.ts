// The tree, Find by Session ID, conversations and the view commands, fed with OTLP requests captured from
// the real instrumentation libraries (test/fixtures), replayed to the running extension's receiver.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { LlmTraceInspectorApi, TreeItemSnapshot } from '../../src/host/api';
import { activateExtension, configure, postFixtures, waitFor, type FixtureEntry } from './util';

let api: LlmTraceInspectorApi;
let extensionPath: string;

function replay(wanted: (e: FixtureEntry) => boolean, logsFirst = false): Promise<void> {
  return postFixtures(extensionPath, api.endpoint!, wanted, { logsFirst });
}

function findAll(items: TreeItemSnapshot[], pred: (i: TreeItemSnapshot) => boolean): TreeItemSnapshot[] {
  const out: TreeItemSnapshot[] = [];
  const walk = (list: TreeItemSnapshot[]): void => {
    for (const i of list) {
      if (pred(i)) out.push(i);
      if (i.children) walk(i.children);
    }
  };
  walk(items);
  return out;
}

describe('conversations from real instrumentation libraries', () => {
  before(async () => {
    const activated = await activateExtension();
    api = activated.api;
    extensionPath = activated.extension.extensionPath;
    await waitFor(() => api.endpoint !== undefined, 'receiver listening');
    await vscode.commands.executeCommand('llmTraceInspector.clearTraces');
  });

  it('shows a tool-calling turn of @opentelemetry/instrumentation-openai, content joined from log records sent first', async () => {
    await replay(
      (e) => e.library === 'otel-openai' && e.scenario === 'tools' && e.encoding === 'protobuf',
      true,
    );
    await waitFor(
      () => api.traces().some((t) => t.name === 'handle_turn' && t.llmCallCount === 2),
      'the otel-openai tools trace',
    );
    const trace = api.traces().find((t) => t.name === 'handle_turn' && t.llmCallCount === 2)!;
    assert.equal(trace.sessionId, 'sess-lisbon-weekend');
    assert.equal(trace.userId, 'user-1042');
    assert.deepEqual(trace.models, ['gpt-4o-mini-2024-07-18']);
    assert.equal(trace.usage.inputTokens, 247 + 318);
    assert.equal(trace.usage.outputTokens, 21 + 44);

    const full = (await api.trace(trace.traceId))!;
    const calls = full.spans.filter((s) => s.llm);
    const first = calls[0]!.llm!;
    assert.ok(
      first.messages.every((m) => m.origin === 'logRecord'),
      'content read from log records',
    );
    const toolCall = first.messages.flatMap((m) => m.parts).find((p) => p.type === 'toolCall');
    assert.deepEqual(
      toolCall && {
        name: toolCall.type === 'toolCall' && toolCall.name,
        args: toolCall.type === 'toolCall' && JSON.parse(toolCall.arguments),
      },
      {
        name: 'get_weather',
        args: { city: 'Lisbon', date: '2025-06-14' },
      },
    );

    const root = (await api.treeSnapshot(4)).find(
      (i) => i.node.kind === 'trace' && i.node.traceId === trace.traceId,
    );
    assert.ok(root, 'the trace is in the tree');
    assert.match(root.description, /gpt-4o-mini-2024-07-18/);
    assert.match(root.description, /630 tok/);
    const llmItems = findAll([root], (i) => i.contextValue === 'llmCall');
    assert.deepEqual(
      llmItems.map((i) => /(\d+→\d+) tok/.exec(i.description)?.[1]),
      ['247→21', '318→44'],
    );
    assert.match(llmItems[0]!.ariaLabel, /247 tokens in, 21 tokens out/);
    assert.ok(
      findAll([root], (i) => i.label.includes('get_weather')).length > 0,
      'the tool span is in the tree',
    );
  });

  it('reads the structured messages of @traceloop/node-server-sdk and inherits nothing it already has', async () => {
    await replay((e) => e.library === 'traceloop' && e.scenario === 'chat' && e.encoding === 'json');
    await waitFor(
      () => api.traces().some((t) => t.name.startsWith('handle_turn.workflow') && t.llmCallCount === 1),
      'the traceloop chat trace',
    );
    const summary = api
      .traces()
      .find((t) => t.name.startsWith('handle_turn.workflow') && t.llmCallCount === 1)!;
    const call = (await api.trace(summary.traceId))!.spans.find((s) => s.llm)!;
    const texts = call.llm!.messages.map(
      (m) => `${m.role}: ${m.parts.map((p) => (p.type === 'text' ? p.text : '')).join('')}`,
    );
    assert.ok(
      texts.some((t) => t.startsWith("user: We're flying to Lisbon for the weekend of 14 June.")),
      texts.join('\n'),
    );
    assert.ok(
      texts.some((t) => t.startsWith('assistant: Lisbon is easy to enjoy in a weekend')),
      texts.join('\n'),
    );
    assert.equal(call.sessionId, 'sess-lisbon-weekend');
  });

  it('marks a failed call in the tree', async () => {
    await replay((e) => e.library === 'otel-openai' && e.scenario === 'error' && e.encoding === 'protobuf');
    await waitFor(
      () => api.traces().some((t) => t.hasError && t.sessionId === 'sess-porto-trip'),
      'the failed trace',
    );
    const failed = api.traces().find((t) => t.hasError && t.sessionId === 'sess-porto-trip')!;
    const item = (await api.treeSnapshot(1)).find(
      (i) => i.node.kind === 'trace' && i.node.traceId === failed.traceId,
    )!;
    assert.equal(item.contextValue, 'trace.error');
    assert.match(item.tooltip, /failed/);
  });

  it('Find by Session ID lists the session oldest turn first, with its totals', async () => {
    await replay(
      (e) =>
        e.library === 'openinference' &&
        (e.scenario === 'chat' || e.scenario === 'tools') &&
        e.encoding === 'protobuf',
    );
    await waitFor(
      () => api.traces().filter((t) => t.sessionId === 'sess-lisbon-weekend').length >= 4,
      'four turns of the Lisbon session',
    );
    const found = (await vscode.commands.executeCommand(
      'llmTraceInspector.findBySession',
      'sess-lisbon-weekend',
    )) as { traceId: string; startMs: number }[];
    assert.ok(found.length >= 4);
    const starts = found.map((t) => t.startMs);
    assert.deepEqual(
      starts,
      [...starts].sort((a, b) => a - b),
      'oldest turn first',
    );
    const tree = await api.treeSnapshot(1);
    assert.equal(tree[0]?.node.kind, 'session');
    assert.match(tree[0]!.description, new RegExp(`${found.length} traces`));
    assert.deepEqual(
      tree.slice(1).map((i) => (i.node.kind === 'trace' ? i.node.traceId : '')),
      found.map((t) => t.traceId),
    );
    await vscode.commands.executeCommand('llmTraceInspector.clearSessionFilter');
    assert.notEqual((await api.treeSnapshot(1))[0]?.node.kind, 'session');
  });

  it('an unknown session id finds nothing and leaves the tree alone', async () => {
    const before = (await api.treeSnapshot(1)).length;
    const found = (await vscode.commands.executeCommand(
      'llmTraceInspector.findBySession',
      'x" | union * //',
    )) as unknown[];
    assert.deepEqual(found, []);
    assert.equal((await api.treeSnapshot(1)).length, before);
  });

  it('opens the conversation of an LLM call and of a trace', async () => {
    const summary = api.traces().find((t) => t.llmCallCount === 2)!;
    const span = (await api.trace(summary.traceId))!.spans.find((s) => s.llm)!;
    await vscode.commands.executeCommand('llmTraceInspector.openConversation', {
      traceId: summary.traceId,
      spanId: span.spanId,
    });
    await waitFor(() => api.openConversations().includes(summary.traceId), 'the conversation panel');
    const opened = await vscode.commands.executeCommand('llmTraceInspector.openTrace', summary.traceId);
    assert.equal(opened, true);
    assert.equal(
      await vscode.commands.executeCommand('llmTraceInspector.openTrace', 'not-a-trace-id'),
      false,
    );
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await waitFor(() => api.openConversations().length === 0, 'panels closed');
  });

  it('opens traces from the sidebar in one preview tab, until it is kept open; by id, in a tab that stays', async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const [a, b, c, d] = api.traces().map((t) => t.traceId);
    assert.ok(a && b && c && d, 'four traces to open');
    const tabs = (): number =>
      vscode.window.tabGroups.all
        .flatMap((g) => g.tabs)
        .filter((t) => t.input instanceof vscode.TabInputWebview).length;
    await vscode.commands.executeCommand('llmTraceInspector.openConversation', { kind: 'trace', traceId: a });
    await waitFor(() => api.previewConversation() === a, 'the first trace in the preview tab');
    // The next one replaces it there: the same tab, its page kept.
    await vscode.commands.executeCommand('llmTraceInspector.openConversation', { kind: 'trace', traceId: b });
    await waitFor(() => api.previewConversation() === b, 'the second trace in the preview tab');
    assert.deepEqual(api.openConversations(), [b]);
    await waitFor(() => tabs() === 1, 'one tab');
    // Two clicks in a row, the second before the first's page has loaded: still one tab, the last trace's.
    void vscode.commands.executeCommand('llmTraceInspector.openConversation', { kind: 'trace', traceId: c });
    await vscode.commands.executeCommand('llmTraceInspector.openConversation', { kind: 'trace', traceId: b });
    await waitFor(() => api.previewConversation() === b && tabs() === 1, 'one tab with the last trace');
    assert.deepEqual(api.openConversations(), [b]);
    // Kept open, it stays; the next trace opens a preview tab of its own.
    await waitFor(
      async () => (await vscode.commands.executeCommand('llmTraceInspector.keepConversationOpen')) === true,
      'Keep Open on the tab in front',
    );
    assert.equal(api.previewConversation(), undefined);
    await vscode.commands.executeCommand('llmTraceInspector.openConversation', { kind: 'trace', traceId: c });
    await waitFor(() => api.previewConversation() === c, 'the third trace in a new preview tab');
    assert.deepEqual(api.openConversations().sort(), [b, c].sort());
    // Opened by its id, a trace gets a tab that stays, and the preview is left alone.
    assert.equal(await vscode.commands.executeCommand('llmTraceInspector.openTrace', d), true);
    await waitFor(() => api.openConversations().length === 3, 'a tab of its own for the trace opened by id');
    assert.equal(api.previewConversation(), c);
    // The setting off: every trace opens in a tab of its own.
    await configure('view.previewConversations', false);
    await waitFor(() => api.previewConversation() === undefined, 'no preview tab with the setting off');
    await vscode.commands.executeCommand('llmTraceInspector.openConversation', { kind: 'trace', traceId: a });
    await waitFor(() => api.openConversations().length === 4, 'a tab of its own with the setting off');
    await waitFor(() => tabs() === 4, 'four tabs');
    await configure('view.previewConversations', undefined);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await waitFor(() => api.openConversations().length === 0, 'panels closed');
  });

  it('Copy as Markdown on a tree item puts the trace, or one call with its whole input, on the clipboard', async () => {
    const summary = api
      .traces()
      .find(
        (t) => t.name === 'handle_turn' && t.llmCallCount === 2 && t.sessionId === 'sess-lisbon-weekend',
      )!;
    const trace = (await api.treeSnapshot(1)).find(
      (i) => i.node.kind === 'trace' && i.node.traceId === summary.traceId,
    )!;
    await vscode.commands.executeCommand('llmTraceInspector.copyMarkdown', trace.node);
    const whole = await vscode.env.clipboard.readText();
    assert.match(whole, /^# handle_turn\n/);
    assert.ok(whole.includes('## Call 2:'));
    assert.ok(whole.includes(`Trace \`${summary.traceId}\``));
    const second = (await api.trace(summary.traceId))!.spans.filter((s) => s.llm)[1]!;
    await vscode.commands.executeCommand('llmTraceInspector.copyMarkdown', {
      kind: 'span',
      traceId: summary.traceId,
      spanId: second.spanId,
    });
    const one = await vscode.env.clipboard.readText();
    assert.match(one, /^# .+: call 2 of trace handle_turn\n/);
    assert.ok(one.includes('We’re flying to Lisbon'.replace('’', "'")), 'the whole input, history included');
  });

  it('Show Only LLM Calls lists each trace’s calls directly under it', async () => {
    await vscode.commands.executeCommand('llmTraceInspector.showOnlyLlmCalls');
    try {
      await waitFor(
        () => vscode.workspace.getConfiguration('llmTraceInspector').get('view.llmCallsOnly') === true,
        'setting on',
      );
      await waitFor(async () => {
        const roots = await api.treeSnapshot(2);
        return (
          roots.length > 0 &&
          roots.every((r) => (r.children ?? []).every((c) => c.contextValue.startsWith('llmCall')))
        );
      }, 'only LLM calls under traces');
      const roots = await api.treeSnapshot(2);
      const tools = roots.find((r) => (r.children ?? []).length === 2);
      assert.ok(tools, 'a two-call trace lists both calls');
    } finally {
      await vscode.commands.executeCommand('llmTraceInspector.showAllSpans');
      await configure('view.llmCallsOnly', undefined);
    }
  });

  it('Pause Live Updates holds the list still and counts the traces that wait; Resume shows them', async () => {
    const before = (await api.treeSnapshot(1)).map((i) => i.node);
    assert.ok(before.length > 0);
    await vscode.commands.executeCommand('llmTraceInspector.pauseLive');
    try {
      assert.match(api.treeMessage() ?? '', /^Paused: new traces wait until you resume\.$/);
      const known = new Set(api.traces().map((t) => t.traceId));
      await replay((e) => e.library === 'traceloop-legacy' && e.scenario === 'chat' && e.encoding === 'json');
      await waitFor(() => api.traces().some((t) => !known.has(t.traceId)), 'the new trace in the store');
      assert.deepEqual(
        (await api.treeSnapshot(1)).map((i) => i.node),
        before,
        'the list holds still',
      );
      assert.match(api.treeMessage() ?? '', /^Paused: 1 new trace waits\. Resume to show it\.$/);
    } finally {
      await vscode.commands.executeCommand('llmTraceInspector.resumeLive');
    }
    assert.equal(api.treeMessage(), undefined);
    assert.equal((await api.treeSnapshot(1)).length, before.length + 1);
  });

  it('Clear Local Traces empties the store and the tree', async () => {
    assert.ok(api.traces().length > 0);
    await vscode.commands.executeCommand('llmTraceInspector.clearTraces');
    assert.equal(api.traces().length, 0);
    assert.equal((await api.treeSnapshot(1)).length, 0);
  });
});
