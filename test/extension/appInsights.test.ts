// Application Insights as a second source, in a real VS Code: a connection pasted as a workspace id,
// signed in
// through the real AzureCliCredential (a stand-in `az` on the login shell's PATH), queried with the real
// LogsQueryClient against the Logs API stand-in (rows from the real Azure Monitor exporter), over HTTPS that
// the extension host trusts through NODE_EXTRA_CA_CERTS. The runner (scripts/run-ext-tests.mjs) starts both.
import * as assert from 'node:assert/strict';
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
