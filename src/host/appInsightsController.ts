// The Application Insights connections of this window: built from the setting
// `llmTraceInspector.appInsights.connections` (identifiers only, shareable in .vscode/settings.json), each a
// source of its own with its own bounded store; signed in with the user's Microsoft account in VS Code, the
// Azure CLI's login, or the default @azure/identity chain; and the commands that act on them: connect,
// disconnect, refresh, load more, time range, Open Query in Log Analytics.

import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TokenCredential } from '@azure/core-auth';
import { createQueryRunner } from '../appInsights/client';
import { sessionCredential, type CredentialChoice } from '../appInsights/credential';
import { operationRowsToBatch, recentCallRowsToBatch } from '../appInsights/rows';
import {
  AppInsightsSource,
  TIME_RANGE_PRESETS,
  describeRange,
  presetRange,
  type RowMapping,
  type TimeRange,
} from '../appInsights/source';
import {
  defaultName,
  describeTarget,
  parseTarget,
  readConnections,
  targetId,
  toSetting,
  type Connection,
} from '../appInsights/targets';
import type { Logger } from '../core/logger';
import { createPriceTable } from '../core/pricing';
import type { Normalizer } from '../core/store';
import { TraceStore } from '../core/store';
import type { CloudSources } from './cloudTree';
import { readConfig, type AppInsightsConfig } from './config';
import { CONFIG_SECTION } from './ids';
import type { TraceSources } from './sources';

const ARM_SCOPE = 'https://management.azure.com/.default';

/** Rows to records; rows that cannot be read are skipped, counted and logged, never fatal. */
function rowMapping(logger: Logger): RowMapping {
  const note = (what: string, r: { skipped: number; unplaced: number }): void => {
    if (r.skipped || r.unplaced)
      logger.warn(`[appInsights] ${what}: ${r.skipped} rows unreadable, ${r.unplaced} without their span`);
  };
  return {
    recentCalls: (schema, rows) => {
      const r = recentCallRowsToBatch(schema, rows);
      note('recent calls', r);
      return r.batch;
    },
    operations: (schema, rows, content) => {
      const r = operationRowsToBatch(schema, rows, content);
      note('operation rows', r);
      return r.batch;
    },
  };
}

/** What `dist/azureIdentity.js` (bundled apart, loaded only when chosen) exports. */
interface IdentityModule {
  AzureCliCredential: new (options?: { tenantId?: string }) => TokenCredential;
  DefaultAzureCredential: new (options?: { tenantId?: string }) => TokenCredential;
}

export class AppInsightsController implements CloudSources, vscode.Disposable {
  private readonly byId = new Map<string, AppInsightsSource>();
  private readonly subscriptions = new Map<string, { dispose(): void }>();
  private readonly changed = new vscode.EventEmitter<void>();
  /** A connection was added or removed, or one's status changed. */
  readonly onDidChange = this.changed.event;
  private config: AppInsightsConfig;
  private identity: IdentityModule | undefined;
  private viewVisible = false;
  /** Credentials of the identity bundle, one per kind: they cache their tokens. */
  private readonly identityCredentials = new Map<string, TokenCredential>();
  private readonly dropped = new vscode.EventEmitter<string>();
  /** A connection's source was dropped (removed, or rebuilt with new settings). */
  readonly onDidDropSource = this.dropped.event;

  constructor(
    private readonly sources: TraceSources,
    private readonly logger: Logger,
    private readonly normalizer: () => Normalizer,
    private readonly extensionPath: string,
  ) {
    this.config = readConfig().appInsights;
    this.reload();
  }

  list(): AppInsightsSource[] {
    return [...this.byId.values()];
  }

  get(sourceId: string): AppInsightsSource | undefined {
    return this.byId.get(sourceId);
  }

  /** The view became visible: list each connection that has not been queried yet. */
  setViewVisible(visible: boolean): void {
    this.viewVisible = visible;
    if (!visible) return;
    for (const source of this.byId.values()) if (source.status.state === 'idle') void source.refresh();
  }

  /**
   * The settings changed. A new credential, tenant, endpoint, audience, timeout, page size or bound rebuilds
   * the sources (panels fetch their traces again); a rename, a new default time range or new session and
   * user attribute names apply in place.
   */
  reload(): void {
    const previous = this.config;
    this.config = readConfig().appInsights;
    const cfg = readConfig();
    this.identityCredentials.clear();
    const rebuild =
      previous.credential !== this.config.credential ||
      previous.tenant !== this.config.tenant ||
      previous.endpoint !== this.config.endpoint ||
      previous.audience !== this.config.audience ||
      previous.queryTimeoutMs !== this.config.queryTimeoutMs ||
      previous.pageSize !== this.config.pageSize ||
      previous.maxTraces !== this.config.maxTraces;
    const { connections, invalid } = readConnections(this.config.connections);
    for (const bad of invalid) {
      this.logger.warn(`[appInsights] ignored a connection that names no resource or workspace id: ${bad}`);
    }
    const wanted = new Map(connections.map((c) => [`appInsights:${c.id}`, c]));
    for (const id of [...this.byId.keys()]) {
      const c = wanted.get(id);
      if (!c || rebuild) {
        this.drop(id);
        continue;
      }
      const source = this.byId.get(id)!;
      if (c.name !== source.label) source.rename(c.name);
      source.setPersonKeys(cfg.sessionAttributes, cfg.userAttributes);
      source.store.setNormalizer(this.normalizer());
      if (previous.timeRange !== this.config.timeRange)
        void source.setTimeRange(presetRange(this.config.timeRange));
    }
    for (const [id, connection] of wanted) {
      if (!this.byId.has(id)) this.create(connection);
    }
    this.changed.fire();
  }

  private create(connection: Connection): void {
    const store = new TraceStore({ maxTraces: this.config.maxTraces, normalizer: this.normalizer() });
    const runner = createQueryRunner(connection.target, this.credential(), {
      endpoint: this.config.endpoint,
      audience: this.config.audience,
      timeoutMs: this.config.queryTimeoutMs,
    });
    const cfg = readConfig();
    const source = new AppInsightsSource({
      connection,
      runner,
      store,
      mapping: rowMapping(this.logger),
      logger: this.logger,
      pageSize: this.config.pageSize,
      range: presetRange(this.config.timeRange),
      sessionKeys: cfg.sessionAttributes,
      userKeys: cfg.userAttributes,
      prices: () => createPriceTable(readConfig().pricing),
    });
    this.byId.set(source.id, source);
    this.subscriptions.set(
      source.id,
      source.onDidChange(() => this.changed.fire()),
    );
    this.sources.add(source);
    if (this.viewVisible) void source.refresh();
  }

  private drop(sourceId: string): void {
    this.subscriptions.get(sourceId)?.dispose();
    this.subscriptions.delete(sourceId);
    const source = this.byId.get(sourceId);
    this.byId.delete(sourceId);
    source?.dispose();
    this.sources.remove(sourceId);
    source?.store.dispose();
    this.dropped.fire(sourceId);
  }

  /** Refreshes one connection (or all). */
  async refresh(sourceId?: string): Promise<void> {
    const targets = sourceId ? [this.byId.get(sourceId)].filter((s) => !!s) : this.list();
    await Promise.all(targets.map((s) => s!.refresh()));
  }

  async loadMore(sourceId: string): Promise<void> {
    await this.byId.get(sourceId)?.loadMore();
  }

  /** The time-range picker: 15 minutes to 30 days, or a custom range. */
  async chooseTimeRange(sourceId?: string): Promise<void> {
    const source = sourceId ? this.byId.get(sourceId) : undefined;
    const current = source ? describeRange(source.timeRange) : undefined;
    type Pick = vscode.QuickPickItem & { range?: TimeRange; custom?: boolean };
    const items: Pick[] = [
      ...TIME_RANGE_PRESETS.map((p) => ({
        label: vscode.l10n.t('Last {0}', p.label),
        range: { kind: 'last', ms: p.ms } as TimeRange,
      })),
      { label: vscode.l10n.t('Custom range...'), custom: true },
    ];
    const pick = await vscode.window.showQuickPick(items, {
      title: vscode.l10n.t('Application Insights: Time Range'),
      placeHolder: current ? vscode.l10n.t('Now: {0}', current) : undefined,
    });
    if (!pick) return;
    let range = pick.range;
    if (pick.custom) range = await askCustomRange();
    if (!range) return;
    const targets = source ? [source] : this.list();
    await Promise.all(targets.map((s) => s.setTimeRange(range)));
  }

  /** Connect to Application Insights...: pick from what the account can read, or paste an id. */
  async connect(): Promise<Connection | undefined> {
    // The user asked: listing their resources may sign them in.
    type Pick = vscode.QuickPickItem & { id?: string; paste?: boolean };
    const qp = vscode.window.createQuickPick<Pick>();
    qp.title = vscode.l10n.t('Connect to Application Insights');
    qp.placeholder = vscode.l10n.t(
      'Pick a resource, or paste a resource id, a workspace resource id or a workspace id (GUID)',
    );
    qp.matchOnDescription = true;
    qp.matchOnDetail = true;
    const paste: Pick = {
      label: `$(edit) ${vscode.l10n.t('Paste an ID...')}`,
      detail: vscode.l10n.t(
        'An Application Insights resource id, a Log Analytics workspace resource id, or a workspace id',
      ),
      paste: true,
      alwaysShow: true,
    };
    qp.items = [paste];
    qp.busy = true;
    void this.listResources().then(
      (found) => {
        qp.busy = false;
        qp.items = [
          paste,
          ...found.map((r) => ({
            label: r.name,
            description: r.kind,
            detail: r.id,
            id: r.id,
          })),
        ];
      },
      (err: unknown) => {
        qp.busy = false;
        const why = err instanceof Error ? err.message : String(err);
        this.logger.warn(`[appInsights] could not list resources: ${why}`);
        qp.items = [
          paste,
          {
            label: `$(warning) ${vscode.l10n.t('Could not list your resources')}`,
            detail: vscode.l10n.t('{0}. Paste an id instead.', why.slice(0, 200)),
          },
        ];
      },
    );
    const picked = await new Promise<{ id?: string; typed?: string; paste?: boolean } | undefined>(
      (resolve) => {
        qp.onDidAccept(() => {
          const item = qp.selectedItems[0];
          const typed = qp.value.trim();
          if (item?.id) resolve({ id: item.id });
          else if (item?.paste && !typed) resolve({ paste: true });
          else if (typed) resolve({ typed });
          else return;
          qp.hide();
        });
        qp.onDidHide(() => resolve(undefined));
        qp.show();
      },
    );
    qp.dispose();
    if (!picked) return undefined;
    let raw = picked.id ?? picked.typed;
    if (picked.paste) {
      raw = await vscode.window.showInputBox({
        title: vscode.l10n.t('Connect to Application Insights'),
        prompt: vscode.l10n.t(
          'An Application Insights resource id (/subscriptions/.../providers/microsoft.insights/components/NAME), a Log Analytics workspace resource id, or a workspace id (GUID)',
        ),
        ignoreFocusOut: true,
        validateInput: (v) =>
          parseTarget(v)
            ? undefined
            : vscode.l10n.t('Not a resource id, workspace resource id or workspace id'),
      });
    }
    const target = raw ? parseTarget(raw) : undefined;
    if (!target) {
      if (raw)
        void vscode.window.showErrorMessage(vscode.l10n.t('"{0}" names no resource or workspace.', raw));
      return undefined;
    }
    const name = await vscode.window.showInputBox({
      title: vscode.l10n.t('Name this connection'),
      prompt: vscode.l10n.t('{0}: shown in the Application Insights view', describeTarget(target)),
      value: defaultName(target),
      validateInput: (v) => (v.trim() ? undefined : vscode.l10n.t('Enter a name')),
    });
    if (!name) return undefined;
    const connection: Connection = { id: targetId(target), name: name.trim(), target };
    await this.writeConnections((list) => [
      ...list.filter((c) => {
        const t = readConnections([c]).connections[0];
        return !t || t.id !== connection.id;
      }),
      toSetting(connection.name, target),
    ]);
    this.reload();
    await this.byId.get(`appInsights:${connection.id}`)?.refresh();
    return connection;
  }

  async disconnect(sourceId?: string): Promise<void> {
    let source = sourceId ? this.byId.get(sourceId) : undefined;
    if (!source) {
      const pick = await vscode.window.showQuickPick(
        this.list().map((s) => ({
          label: s.label,
          description: describeTarget(s.connection.target),
          id: s.id,
        })),
        { title: vscode.l10n.t('Disconnect from Application Insights') },
      );
      source = pick ? this.byId.get(pick.id) : undefined;
    }
    if (!source) return;
    const id = source.connection.id;
    await this.writeConnections((list) =>
      list.filter((c) => {
        const t = readConnections([c]).connections[0];
        return !t || t.id !== id;
      }),
    );
    this.reload();
  }

  /** Open Query in Log Analytics: the KQL behind the list goes to the clipboard, and the portal opens. */
  async openQuery(sourceId?: string): Promise<string | undefined> {
    const source = sourceId ? this.byId.get(sourceId) : this.list()[0];
    if (!source) return undefined;
    const query = source.listQuery;
    await vscode.env.clipboard.writeText(query);
    const target = source.connection.target;
    const open = vscode.l10n.t('Open Log Analytics');
    const portal = target.kind === 'workspace' ? undefined : target.resourceId;
    void vscode.window
      .showInformationMessage(
        vscode.l10n.t(
          'Copied the query behind {0} ({1} schema). Paste it into Logs in the Azure portal; set the time range there to {2}.',
          source.label,
          source.schema,
          describeRange(source.timeRange),
        ),
        ...(portal ? [open] : []),
      )
      .then((choice) => {
        if (choice === open && portal)
          void vscode.env.openExternal(vscode.Uri.parse(`https://portal.azure.com/#resource${portal}/logs`));
      });
    return query;
  }

  private async writeConnections(edit: (list: unknown[]) => unknown[]): Promise<void> {
    const c = vscode.workspace.getConfiguration(CONFIG_SECTION);
    const where = c.inspect<unknown[]>('appInsights.connections');
    const inWorkspace = where?.workspaceValue !== undefined;
    const current = (inWorkspace ? where?.workspaceValue : where?.globalValue) ?? [];
    await c.update(
      'appInsights.connections',
      edit(Array.isArray(current) ? current : []),
      inWorkspace ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global,
    );
  }

  /** Every Application Insights component and Log Analytics workspace the account can read. */
  private async listResources(): Promise<{ id: string; name: string; kind: string }[]> {
    const { ResourceGraphClient } = await import('@azure/arm-resourcegraph');
    // Listing is something the user asked for (Connect): it may sign them in.
    const client = new ResourceGraphClient(this.credential(ARM_SCOPE, true));
    const result = await client.resources({
      query:
        "resources | where type =~ 'microsoft.insights/components' or type =~ 'microsoft.operationalinsights/workspaces' | project id, name, type, resourceGroup | order by name asc | take 1000",
    });
    const rows = (Array.isArray(result.data) ? result.data : []) as Record<string, unknown>[];
    return rows
      .filter((r) => typeof r.id === 'string' && parseTarget(r.id))
      .map((r) => ({
        id: String(r.id),
        name: String(r.name ?? r.id),
        kind: /components/i.test(String(r.type)) ? 'Application Insights' : 'Log Analytics workspace',
      }));
  }

  /** Whether the VS Code sign-in is the credential in use (then Sign In can help). */
  get signsInWithVsCode(): boolean {
    return this.config.credential === 'vscode';
  }

  /**
   * Sign In to Azure: asks VS Code for the Logs API session (the one dialog the extension ever shows for it),
   * then lists every connection again. Queries themselves never prompt: they use the session silently.
   */
  async signIn(): Promise<boolean> {
    if (this.config.credential !== 'vscode') {
      void vscode.window.showInformationMessage(
        this.config.credential === 'azureCli'
          ? vscode.l10n.t(
              'Application Insights signs in with the Azure CLI: run "az login" in a terminal, then refresh.',
            )
          : vscode.l10n.t(
              'Application Insights signs in with the default Azure credential chain (environment, managed identity, Azure CLI); set it up, then refresh.',
            ),
      );
      return false;
    }
    const scopes = [`${this.config.audience}/.default`];
    if (this.config.tenant) scopes.push(`VSCODE_TENANT:${this.config.tenant}`);
    try {
      await vscode.authentication.getSession('microsoft', scopes, { createIfNone: true });
    } catch (err) {
      this.logger.warn(
        `[appInsights] sign-in did not complete: ${err instanceof Error ? err.message : String(err)}`,
      );
      void vscode.window.showWarningMessage(vscode.l10n.t('Signing in to Azure did not complete.'));
      return false;
    }
    await this.refresh();
    return true;
  }

  /**
   * The credential the setting chooses. The VS Code one uses the session silently: only Sign In (and
   * Connect, to list resources) may show VS Code's sign-in dialog.
   */
  private credential(scopeOverride?: string, interactive = false): TokenCredential {
    const choice: CredentialChoice = this.config.credential;
    const tenantId = this.config.tenant;
    if (choice === 'vscode') {
      return sessionCredential(async (scopes) => {
        const asked = scopeOverride
          ? [scopeOverride, ...scopes.filter((s) => s.startsWith('VSCODE_'))]
          : scopes;
        const session = await vscode.authentication.getSession(
          'microsoft',
          asked,
          interactive ? { createIfNone: true } : { silent: true },
        );
        return session ? { accessToken: session.accessToken } : undefined;
      }, tenantId);
    }
    // @azure/identity is bundled apart (about 1 MB) and loaded only when it is chosen.
    const lazy: TokenCredential = {
      getToken: async (scopes, options) => {
        // A path computed at run time, so esbuild leaves the bundle apart instead of inlining it.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const identity = (this.identity ??= require(
          path.join(this.extensionPath, 'dist', 'azureIdentity.js'),
        ));
        const made =
          this.identityCredentials.get(choice) ??
          (choice === 'azureCli'
            ? new identity!.AzureCliCredential(tenantId ? { tenantId } : {})
            : new identity!.DefaultAzureCredential(tenantId ? { tenantId } : {}));
        this.identityCredentials.set(choice, made);
        return made.getToken(scopeOverride ?? scopes, options);
      },
    };
    return lazy;
  }

  dispose(): void {
    for (const id of [...this.byId.keys()]) this.drop(id);
    this.changed.dispose();
    this.dropped.dispose();
  }
}

async function askCustomRange(): Promise<TimeRange | undefined> {
  const now = new Date();
  const iso = (d: Date): string => d.toISOString().slice(0, 16);
  const start = await vscode.window.showInputBox({
    title: vscode.l10n.t('Custom time range: start (UTC)'),
    value: iso(new Date(now.getTime() - 24 * 3600_000)),
    prompt: vscode.l10n.t('YYYY-MM-DDTHH:MM, in UTC; at most 30 days ago'),
    validateInput: (v) => (parseUtc(v) === undefined ? vscode.l10n.t('Use YYYY-MM-DDTHH:MM') : undefined),
  });
  const startMs = start ? parseUtc(start) : undefined;
  if (startMs === undefined) return undefined;
  const end = await vscode.window.showInputBox({
    title: vscode.l10n.t('Custom time range: end (UTC)'),
    value: iso(now),
    validateInput: (v) => {
      const ms = parseUtc(v);
      if (ms === undefined) return vscode.l10n.t('Use YYYY-MM-DDTHH:MM');
      if (ms <= startMs) return vscode.l10n.t('The end must come after the start');
      if (ms - startMs > 30 * 24 * 3600_000) return vscode.l10n.t('At most 30 days');
      return undefined;
    },
  });
  const endMs = end ? parseUtc(end) : undefined;
  return endMs === undefined ? undefined : { kind: 'between', startMs, endMs };
}

function parseUtc(text: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(text.trim())) return undefined;
  const ms = Date.parse(`${text.trim()}:00Z`);
  return Number.isNaN(ms) ? undefined : ms;
}
