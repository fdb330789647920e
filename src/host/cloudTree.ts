// The Application Insights view: one node per connection, under it the recent LLM calls grouped into traces
// (newest first) with Load More, or what a search found (a session's or a user's turns, oldest first), or
// what went wrong and what to do. Traces and spans read exactly as in the local view: the same tree model,
// over the connection's own store; the view's grouping and filter (groupedListing.ts) apply to the traces
// each connection has loaded.

import * as vscode from 'vscode';
import { describeRange, type AppInsightsSource } from '../appInsights/source';
import { describeTarget } from '../appInsights/targets';
import type { PersonKind } from '../core/source';
import { GroupedListing } from './groupedListing';
import { Commands } from './ids';
import { describeNode, headerCommand, ICONS, missing, nodeTreeItem, tooltip } from './traceTree';
import { childNodes, nodeTooltip, spanOf, type NodeIcon, type TreeNode } from './treeModel';

export type CloudNode =
  | { kind: 'connection'; sourceId: string }
  | { kind: 'notice'; sourceId: string; id: string; text: string; icon: NodeIcon; command?: vscode.Command }
  | { kind: 'loadMore'; sourceId: string }
  | TreeNode;

/** What a search found on one connection, shown instead of the recent calls until it is cleared. */
interface Search {
  kind: PersonKind;
  value: string;
  traceIds: string[];
}

export interface CloudSources {
  list(): AppInsightsSource[];
  get(sourceId: string): AppInsightsSource | undefined;
  /** Whether Sign In to Azure can help (the VS Code sign-in is the credential in use). */
  readonly signsInWithVsCode: boolean;
}

export class CloudTreeProvider implements vscode.TreeDataProvider<CloudNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<CloudNode | undefined | void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly searches = new Map<string, Search>();
  private readonly disposables: vscode.Disposable[] = [this.changed];
  /** The view's grouping and filter, over what each connection has loaded. */
  readonly listing: GroupedListing<AppInsightsSource>;

  constructor(
    private readonly sources: CloudSources,
    memento?: vscode.Memento,
  ) {
    this.listing = new GroupedListing({
      sources: () => this.sources.list(),
      listedOf: (source) => source.listedTraceIds(),
      redraw: () => this.changed.fire(),
      memento,
      mementoKey: 'llmTraceInspector.appInsights.groupBy',
      filteredContextKey: 'llmTraceInspector.appInsights.filtered',
      filterTitle: vscode.l10n.t('Filter the Application Insights view'),
      groupTitle: vscode.l10n.t('Group Application Insights traces by'),
      textScope: vscode.l10n.t(
        'The text is searched in the traces loaded here, not in all of Application Insights.',
      ),
    });
    this.disposables.push(this.listing);
  }

  /** The view whose description and message show the grouping and the filter. */
  attach(view: vscode.TreeView<CloudNode>): void {
    this.listing.attach(view);
  }

  refresh(): void {
    this.listing.invalidate();
    this.listing.redraw();
  }

  /** Whether a connection lists its loaded traces (grouped, filtered), not what a search found. */
  private listsLoaded(sourceId: string | undefined): boolean {
    return sourceId !== undefined && !this.searches.has(sourceId);
  }

  /** Shows a search's result under a connection (or clears it with undefined). */
  setSearch(sourceId: string, search: Search | undefined): void {
    if (search) this.searches.set(sourceId, search);
    else this.searches.delete(sourceId);
    void vscode.commands.executeCommand(
      'setContext',
      'llmTraceInspector.cloudSearch',
      this.searches.size > 0,
    );
    this.refresh();
  }

  clearSearches(): void {
    this.searches.clear();
    void vscode.commands.executeCommand('setContext', 'llmTraceInspector.cloudSearch', false);
    this.refresh();
  }

  getChildren(element?: CloudNode): CloudNode[] {
    if (!element) return this.sources.list().map((s) => ({ kind: 'connection', sourceId: s.id }));
    const source = this.sources.get(element.sourceId ?? '');
    if (!source) return [];
    if (element.kind === 'connection') return this.connectionChildren(source);
    if (element.kind === 'notice' || element.kind === 'loadMore') return [];
    if (element.kind === 'session' || element.kind === 'user')
      return this.listsLoaded(source.id) ? this.listing.children(source, element) : [];
    if (element.kind === 'trace' && !source.isComplete(element.traceId)) {
      // The list holds only the LLM calls; the whole trace comes when it is expanded.
      void source.loadTrace(element.traceId).catch(() => undefined);
    }
    source.store.flush();
    return childNodes(source.store, element, { llmOnly: false }).map((n) => ({ ...n, sourceId: source.id }));
  }

  getParent(element: CloudNode): CloudNode | undefined {
    if (element.kind === 'connection') return undefined;
    const source = this.sources.get(element.sourceId ?? '');
    if (element.kind !== 'span') {
      const grouped =
        source && element.kind !== 'notice' && element.kind !== 'loadMore' && this.listsLoaded(source.id)
          ? this.listing.parent(source, element)
          : undefined;
      return grouped ?? { kind: 'connection', sourceId: element.sourceId ?? '' };
    }
    const trace = source?.store.getTrace(element.traceId);
    const parentId = trace && spanOf(trace, element.spanId)?.parentSpanId;
    if (!trace || !parentId || !spanOf(trace, parentId))
      return { kind: 'trace', traceId: element.traceId, sourceId: element.sourceId ?? '' };
    return { kind: 'span', traceId: element.traceId, spanId: parentId, sourceId: element.sourceId ?? '' };
  }

  private connectionChildren(source: AppInsightsSource): CloudNode[] {
    const sourceId = source.id;
    const status = source.status;
    const out: CloudNode[] = [];
    const search = this.searches.get(sourceId);
    if (search) {
      const head: TreeNode =
        search.kind === 'session'
          ? { kind: 'session', sessionId: search.value, sourceId }
          : { kind: 'user', userId: search.value, sourceId };
      out.push(head, ...search.traceIds.map((traceId): CloudNode => ({ kind: 'trace', traceId, sourceId })));
      if (search.traceIds.length === 0) {
        out.push(notice(sourceId, 'none', vscode.l10n.t('Nothing found in the last 30 days'), 'info'));
      }
      return out;
    }
    if (status.state === 'error' && status.error) {
      out.push(notice(sourceId, 'error', status.error.message, 'error'));
      if (status.error.kind === 'notSignedIn' && this.sources.signsInWithVsCode) {
        out.push(
          notice(sourceId, 'signIn', vscode.l10n.t('Sign in to Azure with your Microsoft account'), 'user', {
            command: Commands.appInsightsSignIn,
            title: vscode.l10n.t('Sign In to Azure'),
          }),
        );
      } else {
        out.push(
          notice(sourceId, 'action', vscode.l10n.t('{0} Click to retry.', status.error.action), 'info', {
            command: Commands.appInsightsRefresh,
            title: vscode.l10n.t('Retry'),
            arguments: [{ kind: 'connection', sourceId }],
          }),
        );
      }
    }
    if (status.partial) {
      out.push(notice(sourceId, 'partial', vscode.l10n.t('Partial result: {0}', status.partial), 'warning'));
    }
    if (status.state === 'loading' && status.listed === 0) {
      out.push(notice(sourceId, 'loading', vscode.l10n.t('Querying…'), 'loading'));
    }
    if (status.state === 'idle') {
      out.push(
        notice(sourceId, 'idle', vscode.l10n.t('Not queried yet: click to list recent LLM calls'), 'info', {
          command: Commands.appInsightsRefresh,
          title: vscode.l10n.t('Refresh'),
          arguments: [{ kind: 'connection', sourceId }],
        }),
      );
    }
    source.store.flush();
    // What the pages listed, not whatever else a search or an opened panel brought into the store.
    const traces = source.listedTraceIds();
    out.push(...this.listing.nodes(source));
    if (status.state === 'ready' && traces.length === 0) {
      out.push(
        notice(
          sourceId,
          'empty',
          vscode.l10n.t('No LLM calls in {0}', describeRange(source.timeRange)),
          'info',
          {
            command: Commands.appInsightsTimeRange,
            title: vscode.l10n.t('Change Time Range'),
            arguments: [{ kind: 'connection', sourceId }],
          },
        ),
      );
    }
    if (status.hasMore) out.push({ kind: 'loadMore', sourceId });
    return out;
  }

  getTreeItem(node: CloudNode): vscode.TreeItem {
    switch (node.kind) {
      case 'connection':
        return this.connectionItem(node.sourceId);
      case 'notice': {
        const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
        item.id = `${node.sourceId}:notice:${node.id}`;
        item.iconPath = ICONS[node.icon];
        item.contextValue = `notice.${node.icon}`;
        item.tooltip = node.text;
        item.accessibilityInformation = { label: node.text, role: node.command ? 'button' : 'text' };
        if (node.command) item.command = node.command;
        return item;
      }
      case 'loadMore': {
        const item = new vscode.TreeItem(vscode.l10n.t('Load More'), vscode.TreeItemCollapsibleState.None);
        item.id = `${node.sourceId}:loadMore`;
        item.iconPath = ICONS.more;
        item.contextValue = 'loadMore';
        item.command = {
          command: Commands.appInsightsLoadMore,
          title: vscode.l10n.t('Load More'),
          arguments: [node],
        };
        item.accessibilityInformation = { label: vscode.l10n.t('Load more LLM calls'), role: 'button' };
        return item;
      }
      default:
        return this.traceItem(node);
    }
  }

  private connectionItem(sourceId: string): vscode.TreeItem {
    const source = this.sources.get(sourceId);
    const item = new vscode.TreeItem(source?.label ?? sourceId, vscode.TreeItemCollapsibleState.Expanded);
    item.id = sourceId;
    item.iconPath = ICONS.cloud;
    item.contextValue = 'connection';
    if (!source) return item;
    const s = source.status;
    const parts = [describeRange(source.timeRange)];
    if (s.state === 'loading') parts.push(vscode.l10n.t('querying…'));
    else if (s.state === 'error') parts.push(vscode.l10n.t('failed'));
    else if (s.state === 'ready') parts.push(vscode.l10n.t('{0} GenAI spans', String(s.listed)));
    item.description = parts.join(' · ');
    item.accessibilityInformation = {
      label: vscode.l10n.t('Application Insights connection {0}, {1}', source.label, parts.join(', ')),
    };
    return item;
  }

  /** Tooltips are built on hover only, as in the local view. */
  resolveTreeItem(item: vscode.TreeItem, node: CloudNode): vscode.TreeItem {
    if (node.kind === 'notice' || node.kind === 'loadMore') return item;
    const source = this.sources.get(node.sourceId ?? '');
    if (node.kind === 'connection') {
      if (source) item.tooltip = connectionTooltip(source);
      return item;
    }
    item.tooltip = tooltip(
      !source
        ? [node.kind === 'span' ? node.spanId : node.kind]
        : this.listsLoaded(source.id)
          ? this.listing.tooltip(source, node)
          : nodeTooltip(source.store, node),
    );
    return item;
  }

  private traceItem(node: TreeNode): vscode.TreeItem {
    const source = this.sources.get(node.sourceId ?? '');
    if (source && this.listsLoaded(source.id) && this.listing.mode && node.kind !== 'span')
      return nodeTreeItem(node, this.listing.describe(source, node), headerCommand(node));
    const store = source?.store;
    const view = store
      ? describeNode(store, node, false)
      : missing(node.kind === 'span' ? node.spanId : node.kind);
    // A session found opens as one conversation across its turns; a user's header goes back to the list.
    if (node.kind === 'session')
      return nodeTreeItem(node, view, {
        command: Commands.openSession,
        title: vscode.l10n.t('Open Session'),
        arguments: [{ sessionId: node.sessionId, sourceId: node.sourceId }],
      });
    return nodeTreeItem(node, view, {
      command: Commands.appInsightsClearSearch,
      title: vscode.l10n.t('Back to Recent Calls'),
      arguments: [{ kind: 'connection', sourceId: node.sourceId }],
    });
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

function connectionTooltip(source: AppInsightsSource): vscode.MarkdownString {
  const target = source.connection.target;
  const id = target.kind === 'workspace' ? target.workspaceId : target.resourceId;
  return tooltip([
    source.label,
    `${describeTarget(target)}: ${id}`,
    `Schema: ${source.schema === 'classic' ? 'classic (requests, dependencies, traces)' : 'workspace (AppRequests, AppDependencies, AppTraces)'}`,
    `Time range: ${describeRange(source.timeRange)}`,
  ]);
}

function notice(
  sourceId: string,
  id: string,
  text: string,
  icon: NodeIcon,
  command?: vscode.Command,
): CloudNode {
  return command
    ? { kind: 'notice', sourceId, id, text, icon, command }
    : { kind: 'notice', sourceId, id, text, icon };
}
