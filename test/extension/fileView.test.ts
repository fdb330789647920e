// The OTLP Files view in a real VS Code: the captured multi-turn sessions (otel-openai), written as the
// Collector's file exporter writes them (one request a line), are dropped on the view through its drop
// controller with a real DataTransfer and open as a file source; the view then groups the file's traces
// by session and by user, and filters them by errors and by text, saying so under its title.
import * as assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as vscode from 'vscode';
import type { LlmTraceInspectorApi } from '../../src/host/api';
import { otlpFileDrop, type FileNode } from '../../src/host/fileSources';
import { activateExtension, waitFor } from './util';

describe('the OTLP Files view', () => {
  let api: LlmTraceInspectorApi;
  let dir: string;
  let file: string;
  let sourceId: string | undefined;
  let fixtures: string;

  before(async () => {
    const activated = await activateExtension();
    api = activated.api;
    dir = mkdtempSync(path.join(os.tmpdir(), 'lti-drop-'));
    fixtures = path.join(activated.extension.extensionPath, 'test', 'fixtures', 'otel-openai');
    const lines = readdirSync(fixtures)
      .filter((f) => /^sessions\.(traces|logs)\.\d+\.json$/.test(f))
      .sort()
      .map((f) => JSON.stringify(JSON.parse(readFileSync(path.join(fixtures, f), 'utf8'))));
    file = path.join(dir, 'sessions.otlp.jsonl');
    writeFileSync(file, `${lines.join('\n')}\n`);
  });

  after(async () => {
    await vscode.commands.executeCommand('llmTraceInspector.files.clearFilter');
    await vscode.commands.executeCommand('llmTraceInspector.files.groupBy', 'trace');
    if (sourceId) await vscode.commands.executeCommand('llmTraceInspector.closeFile', sourceId);
    rmSync(dir, { recursive: true, force: true });
  });

  const traces = () => api.sourceTraces(sourceId!);
  /** The rows under the file's node. */
  const rows = (depth = 2) => api.fileTreeSnapshot(depth).flat().slice(1);

  it('opens a file dropped on it (a text/uri-list) as a file source with its traces', async () => {
    const data = new vscode.DataTransfer();
    data.set(
      'text/uri-list',
      new vscode.DataTransferItem(`# dragged from the Explorer\r\n${vscode.Uri.file(file).toString()}\r\n`),
    );
    await otlpFileDrop<FileNode>().handleDrop(undefined, data);
    const opened = api.sources().find((s) => s.kind === 'file' && s.label === 'sessions.otlp.jsonl');
    assert.ok(opened, 'the file is a source');
    sourceId = opened.sourceId;
    const sessions = new Set(traces().map((t) => t.sessionId));
    assert.ok(traces().length >= 4, `the turns of the fixture, found ${traces().length}`);
    assert.ok(sessions.size >= 3, 'three sessions');
    assert.ok(traces().every((t) => t.llmCallCount > 0));
    const [fileRow, ...under] = api.fileTreeSnapshot(2).flat();
    assert.equal(fileRow?.label, 'sessions.otlp.jsonl');
    assert.equal(under.filter((r) => r.contextValue.startsWith('cloud.trace')).length, traces().length);
    // One whole trace reads back with its calls.
    const whole = await api.sourceTrace(sourceId, traces()[0]!.traceId);
    assert.ok(whole?.spans.some((s) => s.llm));
  });

  it('groups the file’s traces by session, with totals, and by user', async () => {
    await vscode.commands.executeCommand('llmTraceInspector.files.groupBy', 'session');
    assert.equal(api.viewState('files').grouping, 'session');
    assert.equal(api.viewState('files').description, 'by session');
    const sessions = new Set(traces().map((t) => t.sessionId ?? '(no session)'));
    const top = rows(2);
    assert.deepEqual(new Set(top.map((r) => r.label)), sessions);
    assert.ok(top.every((r) => /^(\d+ turns?|\d+ traces?) · /.test(r.description)));
    assert.ok(top.every((r) => r.contextValue.startsWith('cloud.session')));
    // Under each session, its turns, numbered oldest first.
    const turns = rows(3).filter((r) => r.contextValue.startsWith('cloud.trace'));
    assert.equal(turns.length, traces().length);
    assert.ok(turns.some((r) => r.label.startsWith('1. ')));

    await vscode.commands.executeCommand('llmTraceInspector.files.groupBy', 'user');
    const users = new Set(traces().map((t) => t.userId ?? '(no user)'));
    assert.deepEqual(new Set(rows(2).map((r) => r.label)), users);
    assert.ok(rows(2).every((r) => r.contextValue.startsWith('cloud.user')));
    await vscode.commands.executeCommand('llmTraceInspector.files.groupBy', 'trace');
    assert.equal(api.viewState('files').description, undefined);
  });

  it('filters by errors and by text, names the filter under the title, and Clear Filter lists all again', async () => {
    const failed = traces().filter((t) => t.hasError).length;
    await vscode.commands.executeCommand('llmTraceInspector.files.filter', { errorsOnly: true });
    assert.equal(api.viewState('files').description, 'errors only');
    assert.equal(rows().length, failed);
    assert.ok(failed > 0, 'the fixture has a failed turn');

    // A session id is an attribute value of its turns: the text finds exactly them.
    const session = traces().find((t) => t.sessionId)!.sessionId!;
    const inSession = traces().filter((t) => t.sessionId === session);
    await vscode.commands.executeCommand('llmTraceInspector.files.filter', {
      errorsOnly: null,
      text: session.toUpperCase(),
    });
    assert.equal(api.viewState('files').description, `“${session.toUpperCase()}”`);
    assert.equal(rows().length, inSession.length);
    assert.match(
      api.viewState('files').message ?? '',
      new RegExp(`^${inSession.length} traces? match(es)? the filter\\.`),
    );
    // Grouped, the filter applies first: one session is left.
    await vscode.commands.executeCommand('llmTraceInspector.files.groupBy', 'session');
    assert.deepEqual(
      rows().map((r) => r.label),
      [session],
    );
    assert.match(api.viewState('files').description ?? '', /^by session · “/);

    await vscode.commands.executeCommand('llmTraceInspector.files.clearFilter');
    await vscode.commands.executeCommand('llmTraceInspector.files.groupBy', 'trace');
    assert.equal(api.viewState('files').description, undefined);
    assert.equal(api.viewState('files').message, undefined);
    assert.equal(rows().length, traces().length);
  });

  it('a file of the app’s metrics alone opens, and its Summary shows them', async () => {
    const lines = readdirSync(fixtures)
      .filter((f) => /^sessions\.metrics\.\d+\.json$/.test(f))
      .map((f) => JSON.stringify(JSON.parse(readFileSync(path.join(fixtures, f), 'utf8'))));
    const only = path.join(dir, 'metrics.otlp.jsonl');
    writeFileSync(only, `${lines.join('\n')}\n`);
    await vscode.commands.executeCommand('llmTraceInspector.openFile', [vscode.Uri.file(only)]);
    const opened = api.sources().find((s) => s.kind === 'file' && s.label === 'metrics.otlp.jsonl');
    assert.ok(opened, 'the file is a source');
    try {
      assert.equal(api.sourceTraces(opened.sourceId).length, 0);
      await vscode.commands.executeCommand('llmTraceInspector.showSummary', {
        sourceId: opened.sourceId,
        window: 'all',
      });
      await waitFor(
        async () => ((await api.summaryView(opened.sourceId))?.summary?.metrics?.totals.calls ?? 0) > 0,
        'the metrics in the file’s Summary',
      );
      const summary = (await api.summaryView(opened.sourceId))!.summary!;
      assert.equal(summary.totals.calls, 0, 'no span-derived calls');
      assert.ok(summary.metrics!.totals.inputTokens > 0);
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
      await vscode.commands.executeCommand('llmTraceInspector.closeFile', opened.sourceId);
    }
  });

  it('a file opened again under a filter is searched afresh', async () => {
    await vscode.commands.executeCommand('llmTraceInspector.files.filter', { text: 'no-such-word-zqxj' });
    assert.equal(rows().length, 0);
    assert.match(api.viewState('files').message ?? '', /No trace matches the filter/);
    await vscode.commands.executeCommand('llmTraceInspector.openFile', [vscode.Uri.file(file)]);
    await waitFor(
      () => /No trace matches the filter/.test(api.viewState('files').message ?? ''),
      'the search',
    );
    assert.equal(rows().length, 0);
    await vscode.commands.executeCommand('llmTraceInspector.files.clearFilter');
    assert.equal(rows().length, traces().length);
  });
});
