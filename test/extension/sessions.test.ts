// Sessions and users in a real VS Code: the LLM Traces view grouped by session and by user, and Find by
// Session ID opening the session as one conversation across its turns, fed with real captures.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { LlmTraceInspectorApi } from '../../src/host/api';
import { activateExtension, postFixtures, waitFor } from './util';

const LISBON = 'sess-lisbon-weekend';

describe('sessions and users', () => {
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
        ['chat', 'tools', 'error', 'stream'].includes(e.scenario) &&
        e.encoding === 'protobuf',
    );
    await waitFor(
      () => api.traces().filter((t) => t.sessionId === LISBON).length === 2 && api.traces().length === 4,
      'the Lisbon and Porto sessions',
    );
  });

  after(async () => {
    await vscode.commands.executeCommand('llmTraceInspector.groupByTrace');
    await vscode.commands.executeCommand('llmTraceInspector.clearSessionFilter');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('groups the view by session, each session with its turns oldest first and its totals', async () => {
    await vscode.commands.executeCommand('llmTraceInspector.groupBySession');
    assert.equal(api.treeGrouping, 'session');
    const roots = await api.treeSnapshot(2);
    assert.deepEqual(
      roots.map((r) => r.label),
      ['sess-porto-trip', LISBON],
      'the most recently active session first',
    );
    const lisbon = roots[1]!;
    assert.match(lisbon.description, /^2 turns · 756 tok · .* · .*ago$/);
    assert.match(lisbon.tooltip.replace(/&nbsp;/g, ' '), /3 LLM calls, 756 tokens/);
    const turns = lisbon.children!.map((c) => (c.node.kind === 'trace' ? c.node.traceId : ''));
    const oldestFirst = api
      .traces()
      .filter((t) => t.sessionId === LISBON)
      .sort((a, b) => a.startMs - b.startMs)
      .map((t) => t.traceId);
    assert.deepEqual(turns, oldestFirst);
    assert.match(lisbon.children![1]!.label, /^2\. “Will it rain in Lisbon/);
    assert.match(lisbon.children![1]!.description, /^630 tok · /);
    assert.match(roots[0]!.description, /1 error/);
  });

  it('groups the view by user, each user with their sessions, and back to one trace per row', async () => {
    await vscode.commands.executeCommand('llmTraceInspector.groupByUser');
    assert.equal(api.treeGrouping, 'user');
    const roots = await api.treeSnapshot(3);
    assert.deepEqual(
      roots.map((r) => r.label),
      ['user-2077', 'user-1042'],
    );
    const user = roots[1]!;
    assert.match(user.description, /^1 session · 2 traces · /);
    assert.deepEqual(
      user.children!.map((c) => c.label),
      [LISBON],
    );
    assert.equal(user.children![0]!.children!.length, 2);
    await vscode.commands.executeCommand('llmTraceInspector.groupByTrace');
    assert.equal(api.treeGrouping, 'trace');
    const flat = await api.treeSnapshot(1);
    assert.equal(flat.length, 4);
    assert.ok(flat.every((r) => r.node.kind === 'trace'));
  });

  it('Find by Session ID opens the session as one conversation: each turn with only its new message', async () => {
    const found = (await vscode.commands.executeCommand('llmTraceInspector.findBySession', LISBON)) as {
      traceId: string;
    }[];
    assert.equal(found.length, 2);
    await waitFor(() => api.openSessions().includes(LISBON), 'the session panel');
    const state = (await api.sessionView(LISBON))!;
    assert.equal(state.totals?.turns, 2);
    assert.deepEqual(
      state.turns.map((t) => t.traceId),
      found.map((t) => t.traceId),
    );
    const [first, second] = state.turns;
    assert.deepEqual(
      first!.newMessages.map((m) => m.role),
      ['system', 'user'],
    );
    assert.equal(second!.repeatedCount, 3, 'the history sent again is left out');
    assert.deepEqual(
      second!.newMessages.map((m) => m.role),
      ['user'],
    );
    assert.deepEqual(
      second!.toolCalls.map((c) => c.name),
      ['get_weather'],
    );
    assert.ok(second!.answer.length > 0);
    // The tree lists the session too, under its header.
    assert.equal((await api.treeSnapshot(1))[0]?.node.kind, 'session');
  });

  it('Find by Session ID takes part of an id when only one session matches it', async () => {
    const found = (await vscode.commands.executeCommand('llmTraceInspector.findBySession', 'porto')) as {
      sessionId?: string;
    }[];
    assert.equal(found.length, 2);
    assert.ok(found.every((t) => t.sessionId === 'sess-porto-trip'));
    await waitFor(() => api.openSessions().includes('sess-porto-trip'), 'the Porto session panel');
    const state = (await api.sessionView('sess-porto-trip'))!;
    assert.equal(state.totals?.errors, 1);
    const failed = state.turns.find((t) => t.hasError);
    assert.ok(failed?.error, 'the failed turn says what failed');
  });
});
