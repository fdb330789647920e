// The Summary in a real VS Code: the app's own GenAI metrics (the OpenAI instrumentation's histograms, as
// captured) appear beside the span figures once they arrive, agree with them, and go with Clear Local Traces.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { LlmTraceInspectorApi } from '../../src/host/api';
import { activateExtension, postFixtures, waitFor } from './util';

describe('the Summary with GenAI metrics', () => {
  let api: LlmTraceInspectorApi;
  let extensionPath: string;
  const sessions = (e: { library: string; scenario: string; encoding: string }): boolean =>
    e.library === 'otel-openai' && e.scenario === 'sessions' && e.encoding === 'protobuf';

  before(async () => {
    const activated = await activateExtension();
    api = activated.api;
    extensionPath = activated.extension.extensionPath;
    await waitFor(() => api.endpoint !== undefined, 'receiver listening');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('llmTraceInspector.clearTraces');
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('llmTraceInspector.clearTraces');
  });

  it('shows nothing of metrics while only spans came, then the metrics beside them', async () => {
    await postFixtures(extensionPath, api.endpoint!, (e) => sessions(e) && e.signal !== 'metrics');
    await waitFor(() => api.traces().length === 8, 'the eight turns');
    await vscode.commands.executeCommand('llmTraceInspector.showSummary', {
      sourceId: 'local',
      window: 'all',
    });
    await waitFor(
      async () => (await api.summaryView())?.summary?.totals.calls === 9,
      'the summary of the spans',
    );
    assert.equal((await api.summaryView())!.summary!.metrics, undefined);

    await postFixtures(extensionPath, api.endpoint!, (e) => sessions(e) && e.signal === 'metrics', {
      metrics: true,
    });
    await waitFor(
      async () => (await api.summaryView())?.summary?.metrics?.totals.calls === 9,
      'the metrics in the open summary',
    );
    const summary = (await api.summaryView())!.summary!;
    const metrics = summary.metrics!;
    assert.deepEqual(metrics.metrics, ['gen_ai.client.operation.duration', 'gen_ai.client.token.usage']);
    assert.equal(metrics.totals.errors, summary.totals.errors);
    assert.equal(metrics.totals.inputTokens, summary.totals.inputTokens);
    assert.equal(metrics.totals.outputTokens, summary.totals.outputTokens);
    assert.ok(metrics.totals.p50Ms! > 0, 'a duration estimated from the buckets');
    const byModel = (groups: { key: string; inputTokens: number }[]): [string, number][] =>
      groups
        .filter((g) => g.inputTokens > 0)
        .map((g): [string, number] => [g.key, g.inputTokens])
        .sort();
    assert.deepEqual(byModel(metrics.byModel), byModel(summary.byModel));
    assert.deepEqual(
      metrics.byService.map((g) => g.key),
      ['wayfarer-trips'],
    );
  });

  it('counts metrics sent again once, and clears them with the traces', async () => {
    await postFixtures(extensionPath, api.endpoint!, (e) => sessions(e) && e.signal === 'metrics', {
      metrics: true,
    });
    await vscode.commands.executeCommand('llmTraceInspector.showSummary', {
      sourceId: 'local',
      window: 'all',
    });
    await new Promise((resolve) => setTimeout(resolve, 2500));
    assert.equal((await api.summaryView())?.summary?.metrics?.totals.calls, 9);
    await vscode.commands.executeCommand('llmTraceInspector.clearTraces');
    await waitFor(
      async () => (await api.summaryView())?.summary?.metrics === undefined,
      'the metrics cleared',
    );
  });
});
