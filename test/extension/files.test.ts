// Files and sharing in a real VS Code: a tool-calling turn received from the captured fixtures is
// exported as OTLP JSON and opened again as a file source with the same traces; two calls open side by
// side in the diff editor; a call's request opens as JSON; a copied link opens the trace, and hostile or
// dangling links are refused.
import * as assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as vscode from 'vscode';
import type { LlmTraceInspectorApi } from '../../src/host/api';
import type { Trace } from '../../src/core/model';
import { activateExtension, postFixtures, waitFor } from './util';

let api: LlmTraceInspectorApi;
let dir: string;

/** A trace as the views read it, less when and from where it was stored. */
const comparable = (t: Trace | undefined) =>
  t && { ...t, source: undefined, summary: { ...t.summary, updatedMs: 0 } };

describe('files and sharing', () => {
  let traceId: string;
  let calls: string[];
  let fileSourceId: string;

  before(async () => {
    const activated = await activateExtension();
    api = activated.api;
    dir = mkdtempSync(path.join(os.tmpdir(), 'lti-files-'));
    await waitFor(() => api.endpoint !== undefined, 'receiver listening');
    await postFixtures(
      activated.extension.extensionPath,
      api.endpoint!,
      (x) => x.library === 'otel-openai' && x.scenario === 'tools' && x.encoding === 'protobuf',
      { logsFirst: false },
    );
    await waitFor(
      () =>
        api
          .traces()
          .some((t) => t.name === 'handle_turn' && t.llmCallCount === 2 && t.sessionId !== undefined),
      'the otel-openai tools trace',
    );
    traceId = api.traces().find((t) => t.name === 'handle_turn' && t.llmCallCount === 2)!.traceId;
    const whole = await api.trace(traceId);
    calls = whole!.spans.filter((s) => s.llm).map((s) => s.spanId);
  });

  after(async () => {
    if (fileSourceId) await vscode.commands.executeCommand('llmTraceInspector.closeFile', fileSourceId);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    rmSync(dir, { recursive: true, force: true });
  });

  it('exports a trace as OTLP JSON lines and opens the file as a source with the same trace', async () => {
    const target = vscode.Uri.file(path.join(dir, 'turn.jsonl'));
    const written = await vscode.commands.executeCommand<string>(
      'llmTraceInspector.exportTrace',
      { kind: 'trace', traceId },
      target,
    );
    assert.equal(written, target.toString());
    const lines = readFileSync(target.fsPath, 'utf8').trim().split('\n');
    assert.deepEqual(
      lines.map((l) => Object.keys(JSON.parse(l) as object)[0]),
      ['resourceSpans', 'resourceLogs'],
    );
    const opened = await vscode.commands.executeCommand<string[]>('llmTraceInspector.openFile', target);
    assert.equal(opened.length, 1);
    fileSourceId = opened[0]!;
    assert.equal(fileSourceId, `file:${target.toString()}`);
    const source = api.sources().find((s) => s.sourceId === fileSourceId);
    assert.deepEqual(source && { label: source.label, kind: source.kind }, {
      label: 'turn.jsonl',
      kind: 'file',
    });
    assert.deepEqual(
      api.sourceTraces(fileSourceId).map((t) => t.traceId),
      [traceId],
    );
    assert.deepEqual(
      comparable(await api.sourceTrace(fileSourceId, traceId)),
      comparable(await api.trace(traceId)),
    );
  });

  it('exports the session of a trace: every turn of it', async () => {
    const target = vscode.Uri.file(path.join(dir, 'session.jsonl'));
    await vscode.commands.executeCommand(
      'llmTraceInspector.exportSession',
      { kind: 'trace', traceId },
      target,
    );
    const spans = readFileSync(target.fsPath, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { resourceSpans?: { scopeSpans: { spans: { traceId: string }[] }[] }[] })
      .flatMap((r) => r.resourceSpans ?? [])
      .flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
    const sessionId = api.traces().find((t) => t.traceId === traceId)!.sessionId!;
    const turns = api.traces().filter((t) => t.sessionId === sessionId);
    assert.deepEqual([...new Set(spans.map((s) => s.traceId))].sort(), turns.map((t) => t.traceId).sort());
  });

  it('compares two calls in the diff editor, each document with its call', async () => {
    await vscode.commands.executeCommand('llmTraceInspector.selectForCompare', {
      kind: 'span',
      traceId,
      spanId: calls[0],
    });
    const uris = await vscode.commands.executeCommand<string[]>('llmTraceInspector.compareWithSelected', {
      kind: 'span',
      traceId,
      spanId: calls[1],
      sourceId: fileSourceId,
    });
    assert.equal(uris.length, 2);
    await waitFor(
      () =>
        vscode.window.tabGroups.all
          .flatMap((g) => g.tabs)
          .some(
            (t) =>
              t.input instanceof vscode.TabInputTextDiff &&
              t.input.original.toString() === uris[0] &&
              t.input.modified.toString() === uris[1],
          ),
      'the diff editor of the two calls',
    );
    const [left, right] = await Promise.all(
      uris.map(async (u) =>
        JSON.parse((await vscode.workspace.openTextDocument(vscode.Uri.parse(u))).getText()),
      ),
    );
    const local = await api.trace(traceId);
    const first = local!.spans.find((s) => s.spanId === calls[0])!;
    assert.equal(left.call.spanId, calls[0]);
    assert.equal(right.call.spanId, calls[1]);
    assert.equal(left.request.model, first.llm!.requestModel);
    assert.equal(left.response.usage.inputTokens, first.llm!.usage.inputTokens);
    // The second call was read from the file: the same turn, so its history holds the first call's answer.
    assert.ok(right.request.messages.length > left.request.messages.length);
  });

  it('opens the request of a call as a JSON document', async () => {
    const uri = await vscode.commands.executeCommand<string>('llmTraceInspector.openRequest', {
      kind: 'span',
      traceId,
      spanId: calls[0],
    });
    const doc = vscode.window.activeTextEditor?.document;
    assert.equal(doc?.uri.toString(), uri);
    assert.equal(doc?.languageId, 'json');
    const request = JSON.parse(doc!.getText()) as { messages: unknown[] };
    assert.ok(request.messages.length > 0);
  });

  it('copies a link that opens the trace, and refuses hostile or dangling links', async () => {
    const link = await vscode.commands.executeCommand<string>('llmTraceInspector.copyLink', {
      kind: 'trace',
      traceId,
    });
    assert.equal(await vscode.env.clipboard.readText(), link);
    assert.match(
      link,
      new RegExp(
        `^${vscode.env.uriScheme}://llm-trace-inspector\\.llm-trace-inspector/trace\\?id=${traceId}$`,
      ),
    );
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    assert.equal(await vscode.commands.executeCommand('llmTraceInspector.openLink', link), true);
    await waitFor(() => api.openConversations().includes(traceId), 'the linked trace opened');

    const base = `${vscode.env.uriScheme}://llm-trace-inspector.llm-trace-inspector`;
    for (const bad of [
      `${base}/trace?id=${traceId}&connection=1b2c3d4e-0000-4000-8000-00000000abcd`,
      `${base}/trace?id=${traceId.slice(2)}`,
      `${base}/trace?id=${'f'.repeat(32)}`,
      `${base}/exec?id=${traceId}`,
      `${vscode.env.uriScheme}://other.extension/trace?id=${traceId}`,
    ])
      assert.equal(await vscode.commands.executeCommand('llmTraceInspector.openLink', bad), false, bad);
  });
});
