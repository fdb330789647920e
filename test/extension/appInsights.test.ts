// Application Insights as a second source, in a real VS Code: a connection pasted as a workspace id,
// signed in
// through the real AzureCliCredential (a stand-in `az` on the login shell's PATH), queried with the real
// LogsQueryClient against the Logs API stand-in (rows from the real Azure Monitor exporter), over HTTPS that
// the extension host trusts through NODE_EXTRA_CA_CERTS. The runner (scripts/run-ext-tests.mjs) starts both.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { activateExtension, waitFor } from './util';

const endpoint = process.env.LTI_TEST_LOGS_API;
const workspaceId = process.env.LTI_TEST_WORKSPACE ?? '';
const forbidden = process.env.LTI_TEST_FORBIDDEN_WORKSPACE ?? '';
const sourceId = `appInsights:${workspaceId}`;

async function setting(key: string, value: unknown): Promise<void> {
  await vscode.workspace
    .getConfiguration('llmTraceInspector')
    .update(key, value, vscode.ConfigurationTarget.Global);
}

describe('Application Insights', function () {
  this.timeout(60_000);

  before(async function () {
    if (!endpoint) this.skip();
    await setting('appInsights.endpoint', endpoint);
    await setting('appInsights.credential', 'azureCli');
    await setting('appInsights.pageSize', 10);
    await setting('appInsights.connections', [{ name: 'prod-insights', workspaceId }]);
  });

  after(async () => {
    for (const key of ['connections', 'endpoint', 'credential', 'pageSize'])
      await setting(`appInsights.${key}`, undefined);
  });

  it('lists recent LLM calls of a pasted workspace id, grouped into traces, and pages on with Load More', async () => {
    const { api } = await activateExtension();
    await waitFor(() => api.cloudConnections().some((c) => c.sourceId === sourceId), 'the connection');
    await vscode.commands.executeCommand('llmTraceInspector.appInsights.refresh', sourceId);
    const status = () => api.cloudConnections().find((c) => c.sourceId === sourceId)!.status;
    await waitFor(() => status().state === 'ready', 'the first page', 30_000);
    assert.equal(api.cloudConnections()[0]!.schema, 'workspace');
    assert.equal(status().listed, 10);
    assert.equal(status().hasMore, true);
    const first = api.cloudTraces(sourceId);
    assert.ok(first.length > 0 && first.length <= 10);
    assert.ok(first.every((t) => t.llmCallCount > 0));
    assert.ok(
      first.some((t) => t.models.length > 0),
      'models',
    );
    await vscode.commands.executeCommand('llmTraceInspector.appInsights.loadMore', sourceId);
    await waitFor(() => status().state === 'ready' && status().listed === 20, 'the second page', 30_000);
    const tree = api.cloudTreeSnapshot(2).flat();
    assert.equal(tree[0]?.label, 'prod-insights');
    assert.match(tree[0]!.description, /last 1 hour · 20 GenAI spans/);
    assert.ok(
      tree.some((r) => r.contextValue === 'loadMore'),
      'a Load More row',
    );
    assert.ok(
      tree.some((r) => r.contextValue.startsWith('cloud.trace')),
      'trace rows',
    );
  });

  it('Show Summary of the connection: figures added up in Kusto, the app’s metrics beside them', async () => {
    const { api, extension } = await activateExtension();
    // Only otel-openai's app sends metrics; what it sent, added up from its envelopes.
    const manifest = JSON.parse(
      readFileSync(
        path.join(extension.extensionPath, 'test', 'fixtures', 'appinsights', 'manifest.json'),
        'utf8',
      ),
    ) as {
      libraries: Record<string, { metrics: { metric: string; tokenType: string | null; sum: number }[] }>;
    };
    const sent = (type: string) =>
      manifest.libraries['otel-openai']!.metrics.filter(
        (m) => m.metric === 'gen_ai.client.token.usage' && m.tokenType === type,
      ).reduce((n, m) => n + m.sum, 0);
    await vscode.commands.executeCommand('llmTraceInspector.showSummary', { sourceId, window: '24h' });
    try {
      await waitFor(
        async () => ((await api.summaryView(sourceId))?.summary?.metrics?.totals.inputTokens ?? 0) > 0,
        'the metrics in the connection’s Summary',
        30_000,
      );
      const summary = (await api.summaryView(sourceId))!.summary!;
      assert.ok(summary.totals.calls > 0, 'span-derived calls of every library');
      assert.ok(summary.byModel.length > 0);
      assert.equal(summary.metrics!.totals.inputTokens, sent('input'));
      assert.equal(summary.metrics!.totals.outputTokens, sent('output'));
      assert.ok(summary.metrics!.totals.calls! > 0);
      assert.deepEqual(
        summary.metrics!.byService.map((g) => g.key),
        ['wayfarer.wayfarer-trips'],
      );
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    }
  });

  it('groups the loaded traces by session and by user and filters them, the text searched in what is loaded', async () => {
    const { api } = await activateExtension();
    // Only the two pages are in the store yet: what the connection lists.
    const loaded = api.cloudTraces(sourceId);
    const rows = (depth = 2) => api.cloudTreeSnapshot(depth).flat().slice(1);
    const traceRows = (depth = 2) => rows(depth).filter((r) => r.contextValue.startsWith('cloud.trace'));
    await vscode.commands.executeCommand('llmTraceInspector.appInsights.groupBy', 'session');
    assert.equal(api.viewState('appInsights').grouping, 'session');
    assert.equal(api.viewState('appInsights').description, 'by session');
    const sessions = rows(2).filter((r) => r.contextValue.startsWith('cloud.session'));
    assert.deepEqual(
      new Set(sessions.map((r) => r.label)),
      new Set(loaded.map((t) => t.sessionId ?? '(no session)')),
    );
    assert.ok(
      sessions.every((r) => /^\d+ (turns?|traces?).* · .*(ago|just now)$/.test(r.description)),
      'each with its totals',
    );
    assert.equal(traceRows(2).length, 0, 'no trace right under the connection');
    assert.equal(traceRows(3).length, loaded.length, 'every loaded trace under its session');
    assert.ok(
      rows(2).some((r) => r.contextValue === 'loadMore'),
      'Load More stays',
    );

    await vscode.commands.executeCommand('llmTraceInspector.appInsights.groupBy', 'user');
    assert.deepEqual(
      new Set(
        rows(2)
          .filter((r) => r.contextValue.startsWith('cloud.user'))
          .map((r) => r.label),
      ),
      new Set(loaded.map((t) => t.userId ?? '(no user)')),
    );
    await vscode.commands.executeCommand('llmTraceInspector.appInsights.groupBy', 'trace');

    const model = loaded.find((t) => t.models.length > 0)!.models[0]!;
    await vscode.commands.executeCommand('llmTraceInspector.appInsights.filter', { model });
    assert.equal(api.viewState('appInsights').description, `model ${model}`);
    assert.equal(traceRows().length, loaded.filter((t) => t.models.includes(model)).length);

    // The session id is an attribute of each turn's rows (the exporter's session.id, put back).
    const session = loaded.find((t) => t.sessionId)!.sessionId!;
    await vscode.commands.executeCommand('llmTraceInspector.appInsights.filter', {
      model: null,
      text: session,
    });
    const inSession = loaded.filter((t) => t.sessionId === session).length;
    assert.equal(traceRows().length, inSession);
    const message = api.viewState('appInsights').message ?? '';
    assert.match(message, new RegExp(`^${inSession} traces? match(es)? the filter\\.`));
    assert.match(message, /searched in the traces loaded here, not in all of Application Insights/);
    await vscode.commands.executeCommand('llmTraceInspector.appInsights.clearFilter');
    assert.equal(api.viewState('appInsights').description, undefined);
    assert.equal(api.viewState('appInsights').message, undefined);
    assert.equal(traceRows().length, loaded.length);
  });

  it('opens a production trace whole: every row of the operation, messages from dimensions and log rows', async () => {
    const { api } = await activateExtension();
    await waitFor(() => api.cloudTraces(sourceId).length > 0, 'listed traces');
    const listed = api.cloudTraces(sourceId).find((t) => t.preview || t.models.length)!;
    await vscode.commands.executeCommand('llmTraceInspector.openConversation', {
      traceId: listed.traceId,
      sourceId,
    });
    await waitFor(
      () => api.openConversations().includes(`${sourceId}|${listed.traceId}`),
      'the conversation panel',
    );
    await waitFor(
      () => (api.cloudTrace(sourceId, listed.traceId)?.spans.length ?? 0) > listed.llmCallCount,
      'the whole operation (request and spans)',
      30_000,
    );
    const trace = api.cloudTrace(sourceId, listed.traceId)!;
    const calls = trace.spans.filter((s) => s.llm);
    assert.ok(
      calls.some((c) => c.llm!.messages.length > 0),
      'messages',
    );
    assert.equal(trace.source, 'appInsights');
  });

  it('Find by Session ID finds the turns of a production session, oldest first, beside local traces', async () => {
    const { api } = await activateExtension();
    const found = (await vscode.commands.executeCommand(
      'llmTraceInspector.findBySession',
      'sess-lisbon-weekend',
    )) as { traceId: string; startMs: number; sessionId?: string }[];
    const cloud = found.filter((t) => api.cloudTrace(sourceId, t.traceId));
    assert.ok(cloud.length >= 3, `three turns per library, found ${cloud.length}`);
    assert.ok(cloud.every((t) => t.sessionId === 'sess-lisbon-weekend'));
    const starts = cloud.map((t) => t.startMs);
    assert.deepEqual(
      starts,
      [...starts].sort((a, b) => a - b),
      'oldest turn first',
    );
    const tree = api.cloudTreeSnapshot(2).flat();
    assert.ok(
      tree.some((r) => r.label === 'Session sess-lisbon-weekend'),
      'a session row',
    );
    await vscode.commands.executeCommand('llmTraceInspector.appInsights.clearSearch');
  });

  it('Find by User finds a user’s turns', async () => {
    const { api } = await activateExtension();
    const found = (await vscode.commands.executeCommand('llmTraceInspector.findByUser', 'user-2077')) as {
      traceId: string;
      userId?: string;
    }[];
    const cloud = found.filter((t) => api.cloudTrace(sourceId, t.traceId));
    assert.ok(cloud.length >= 2, `found ${cloud.length}`);
    assert.ok(cloud.every((t) => t.userId === 'user-2077'));
    await vscode.commands.executeCommand('llmTraceInspector.appInsights.clearSearch');
  });

  it('a connection the account may not read says which role is missing, and local traces keep working', async () => {
    const { api } = await activateExtension();
    await setting('appInsights.connections', [
      { name: 'prod-insights', workspaceId },
      { name: 'locked', workspaceId: forbidden },
    ]);
    const locked = `appInsights:${forbidden}`;
    await waitFor(() => api.cloudConnections().some((c) => c.sourceId === locked), 'the second connection');
    await vscode.commands.executeCommand('llmTraceInspector.appInsights.refresh', locked);
    const status = () => api.cloudConnections().find((c) => c.sourceId === locked)!.status;
    await waitFor(() => status().state === 'error', 'the refusal', 30_000);
    assert.equal(status().error?.kind, 'forbidden');
    assert.match(status().error!.action, /Log Analytics Reader/);
    const rows = api
      .cloudTreeSnapshot(2)
      .flat()
      .map((r) => r.label);
    assert.ok(
      rows.some((l) => /403/.test(l)),
      `the error is in the view: ${rows.join(' | ')}`,
    );
    assert.equal(api.receiverState.state, 'listening');
    await setting('appInsights.connections', [{ name: 'prod-insights', workspaceId }]);
  });

  it('Open Query in Log Analytics copies the KQL behind the list', async () => {
    const query = (await vscode.commands.executeCommand(
      'llmTraceInspector.appInsights.openQuery',
      sourceId,
    )) as string;
    assert.match(query, /^AppDependencies\n/);
    assert.equal(await vscode.env.clipboard.readText(), query);
  });
});
