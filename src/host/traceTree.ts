// The sidebar tree: a thin provider over the local traces (the host's mirror of the engine's store) and the
// pure tree model. The engine owns the data and its (debounced) change events; the mirror holds summaries,
// and a trace's outline once its node is expanded; this class only turns nodes into TreeItems and keeps
// the view's filters (LLM calls only, one session, the filter by text, model, service, user, errors, tokens
// or cost), its grouping (by trace, session or user) and its pause (the list holds still while traces keep
// arriving). The filter applies before grouping; its text is searched by the engine, where the records are.

import * as vscode from 'vscode';
import { formatTokens, totalTokens } from '../core/format';
import { groupModeOf, groupTraces, NO_GROUP, type GroupMode, type Grouping } from '../core/grouping';
import type { TraceSummary } from '../core/model';
import type { LocalTraces } from '../core/source';
import type { StoreChange } from '../core/store';
import { TextMatches } from '../core/textMatches';
import { matchesSummary, normalizeFilter, type TraceFilter } from '../core/traceFilter';
import { Commands, ContextKeys } from './ids';
import { filterLine, filterParts, groupPart } from './viewFilter';
import type { ReceiverController } from './receiverController';
import {
  childNodes,
  childrenOf,
  spanOf,
  describeSession,
  describeSpan,
  describeUser,
  describeTrace,
  describeSessionGroup,
  describeTurn,
  describeUserGroup,
  groupChildNodes,
  groupParentNode,
  groupRootNodes,
  heldRootNodes,
  listed,
  sessionGroupOf,
  nodeTooltip,
  parentNode,
  sessionGroupTooltip,
  userGroupTooltip,
  rootNodes,
  treeTrace,
  waitingTraceCount,
  type NodeIcon,
  type NodeView,
  type TreeModelSource,
  type TreeNode,
} from './treeModel';

/** Where the grouping is remembered, per workspace. */
const GROUP_BY_KEY = 'llmTraceInspector.groupBy';

export const ICONS: Record<NodeIcon, vscode.ThemeIcon> = {
  error: new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground')),
  user: new vscode.ThemeIcon('person'),
  cloud: new vscode.ThemeIcon('azure'),
  info: new vscode.ThemeIcon('info'),
  warning: new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground')),
  loading: new vscode.ThemeIcon('loading~spin'),
  more: new vscode.ThemeIcon('ellipsis'),
  llm: new vscode.ThemeIcon('sparkle', new vscode.ThemeColor('charts.purple')),
  tool: new vscode.ThemeIcon('tools'),
  agent: new vscode.ThemeIcon('hubot'),
  trace: new vscode.ThemeIcon('pulse'),
  span: new vscode.ThemeIcon('symbol-event'),
  session: new vscode.ThemeIcon('comment-discussion'),
};

export class TraceTreeProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<TreeNode | undefined | void>();
  readonly onDidChangeTreeData = this.changed.event;
  private llmOnly: boolean;
  private sessionFilter: string | undefined;
  private userFilter: string | undefined;
  private filter: TraceFilter | undefined;
  /** The engine's answer to the filter's text. */
  private readonly text: TextMatches;
  /** The top-level nodes shown when live updates were paused; undefined while live. */
  private held: TreeNode[] | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private view: vscode.TreeView<TreeNode> | undefined;
  private ageTimer: ReturnType<typeof setInterval> | undefined;
  private groupBy: GroupMode;
  /**
   * The sessions and users of the listed traces, built once per store change (not once per node) and only
   * while the tree is grouped; while paused, the grouping of the moment the pause began.
   */
  private grouping: Grouping | undefined;

  constructor(
    private readonly store: LocalTraces,
    private readonly receiver: ReceiverController,
    options: { llmOnly: boolean },
    private readonly memento?: vscode.Memento,
  ) {
    this.llmOnly = options.llmOnly;
    this.groupBy = groupModeOf(memento?.get<unknown>(GROUP_BY_KEY));
    this.text = new TextMatches(
      (text, options) => store.search(text, options),
      (whole) => {
        // The first answer is the filter's list (held, while paused); later ones are about traces that
        // changed, which a paused list shows only on resume.
        if (whole) this.hold();
        if (!this.held) this.grouping = undefined;
        this.refresh();
      },
    );
    this.disposables.push(
      this.changed,
      store.onDidChange((change) => this.onStoreChange(change)),
      receiver.onDidChange(() => this.updateMessage()),
    );
    void this.updateContext();
  }

  get options(): {
    llmOnly: boolean;
    sessionFilter?: string;
    userFilter?: string;
    keep?: (t: TraceSummary) => boolean;
  } {
    const filter = this.filter;
    return {
      llmOnly: this.llmOnly,
      sessionFilter: this.sessionFilter,
      userFilter: this.userFilter,
      ...(filter ? { keep: (t: TraceSummary) => matchesSummary(t, filter, this.text.set) } : {}),
    };
  }

  /** The filter in effect (criteria left empty are absent). */
  get currentFilter(): TraceFilter | undefined {
    return this.filter && { ...this.filter };
  }

  /** The line under the view's title, as the view shows it. */
  get description(): string | undefined {
    return this.view?.description;
  }

  /**
   * Lists only the traces that pass the filter (undefined: every trace); resolves once the text, if any,
   * has been searched and the tree shows the answer.
   */
  setFilter(filter: TraceFilter | undefined): Promise<void> {
    const next = normalizeFilter(filter);
    this.filter = next;
    const searched = this.text.setText(next?.text);
    this.grouping = undefined;
    this.hold();
    void this.updateContext();
    this.refresh();
    return searched;
  }

  get grouped(): GroupMode {
    return this.groupBy;
  }

  get groupTitle(): string {
    return vscode.l10n.t('Group LLM Traces by');
  }

  /** Lists traces one by one, or under their sessions or users; remembered for the workspace. */
  setGroupBy(mode: GroupMode): void {
    if (mode === this.groupBy) return;
    this.groupBy = mode;
    void this.memento?.update(GROUP_BY_KEY, mode);
    this.grouping = undefined;
    this.hold();
    void this.updateContext();
    this.refresh();
  }

  /** The grouping shown (a session filter shows its own flat list, so it is not grouped). */
  private get groupMode(): Exclude<GroupMode, 'trace'> | undefined {
    if (this.sessionFilter !== undefined || this.userFilter !== undefined) return undefined;
    return this.groupBy === 'trace' ? undefined : this.groupBy;
  }

  private currentGrouping(): Grouping {
    const options = this.options;
    this.grouping ??= groupTraces(this.store.list().filter((t) => listed(t, options)));
    return this.grouping;
  }

  /** The line above the tree, as the view shows it. */
  get message(): string | undefined {
    return this.view?.message;
  }

  get paused(): boolean {
    return this.held !== undefined;
  }

  /**
   * Paused, the list holds still: the traces shown stay in place (their details still update), new ones
   * are counted above the tree and appear on resume. The receiver and the store carry on as before.
   */
  setPaused(value: boolean): void {
    if (value === this.paused) return;
    this.held = value ? this.liveRootNodes() : undefined;
    if (!value) this.grouping = undefined;
    void this.updateContext();
    this.refresh();
  }

  setLlmOnly(value: boolean): void {
    this.llmOnly = value;
    this.grouping = undefined;
    this.hold();
    void this.updateContext();
    this.refresh();
  }

  /** The view whose message line shows the session filter's totals. */
  attach(view: vscode.TreeView<TreeNode>): void {
    this.view = view;
    // Ages ("2m ago") go stale without new data: refresh them while the view is visible.
    const tick = (visible: boolean): void => {
      if (this.ageTimer) clearInterval(this.ageTimer);
      this.ageTimer = visible ? setInterval(() => this.refresh(), 30_000) : undefined;
    };
    tick(view.visible);
    this.disposables.push(
      view.onDidChangeVisibility((e) => tick(e.visible)),
      { dispose: () => tick(false) },
    );
    this.updateMessage();
  }

  setSessionFilter(sessionId: string | undefined): void {
    this.sessionFilter = sessionId;
    this.userFilter = undefined;
    this.hold();
    void this.updateContext();
    this.refresh();
  }

  /** Lists one user's traces, oldest first, under a user node; undefined lists everything again. */
  setUserFilter(userId: string | undefined): void {
    this.userFilter = userId;
    this.sessionFilter = undefined;
    this.hold();
    void this.updateContext();
    this.refresh();
  }

  /** A filter the user changes while paused shows its own list at once, and holds that one. */
  private hold(): void {
    if (this.held) {
      this.grouping = undefined;
      this.held = this.liveRootNodes();
    }
  }

  /** The top level as it would be listed now. */
  private liveRootNodes(): TreeNode[] {
    const mode = this.groupMode;
    return mode ? groupRootNodes(this.currentGrouping(), mode) : rootNodes(this.store, this.options);
  }

  private onStoreChange(change: StoreChange): void {
    // Clearing is the user's own act: while paused it empties the held list too.
    if (change.cleared && this.held) this.held = [];
    this.text.storeChanged(change);
    // Paused, a grouped tree keeps the sessions it showed; their turns come on resume.
    if (!this.held || change.cleared) this.grouping = undefined;
    this.refresh();
  }

  refresh(): void {
    this.updateMessage();
    this.changed.fire();
  }

  /**
   * The line above the tree shows a session filter's totals; the title's description, where the receiver
   * listens.
   */
  private updateMessage(): void {
    if (!this.view) return;
    // A lone view's description is not shown, so where the receiver listens goes into the title.
    const endpoint = this.receiver.endpoint?.replace(/^http:\/\//, '');
    this.view.title = endpoint ? vscode.l10n.t('Traces · {0}', endpoint) : vscode.l10n.t('Traces');
    const description = [
      groupPart(this.groupBy),
      this.llmOnly ? vscode.l10n.t('LLM calls only') : undefined,
      ...filterParts(this.filter),
    ].filter((d): d is string => d !== undefined);
    this.view.description = description.length > 0 ? description.join(' · ') : undefined;
    const lines: string[] = [];
    if (this.held) {
      // The one full listing per refresh while paused; getChildren only filters the held nodes.
      const waiting = this.waitingCount(this.held);
      lines.push(
        waiting === 0
          ? vscode.l10n.t('Paused: new traces wait until you resume.')
          : waiting === 1
            ? vscode.l10n.t('Paused: 1 new trace waits. Resume to show it.')
            : vscode.l10n.t('Paused: {0} new traces wait. Resume to show them.', String(waiting)),
      );
    }
    if (this.sessionFilter !== undefined) {
      const traces = this.store.findSession(this.sessionFilter);
      const tokens = traces.reduce((n, t) => n + (totalTokens(t.usage) ?? 0), 0);
      const calls = traces.reduce((n, t) => n + t.llmCallCount, 0);
      // Whole phrases per count, so a translation can say "1 trace" and "2 traces" its own way.
      const traceCount =
        traces.length === 1 ? vscode.l10n.t('1 trace') : vscode.l10n.t('{0} traces', String(traces.length));
      const callCount =
        calls === 1 ? vscode.l10n.t('1 LLM call') : vscode.l10n.t('{0} LLM calls', String(calls));
      lines.push(
        vscode.l10n.t(
          'Session {0}: {1}, {2}, {3} tokens, oldest turn first.',
          this.sessionFilter,
          traceCount,
          callCount,
          formatTokens(tokens),
        ),
      );
    }
    if (this.userFilter !== undefined) {
      const traces = this.store.findUser(this.userFilter);
      const tokens = traces.reduce((n, t) => n + (totalTokens(t.usage) ?? 0), 0);
      const traceCount =
        traces.length === 1 ? vscode.l10n.t('1 trace') : vscode.l10n.t('{0} traces', String(traces.length));
      lines.push(
        vscode.l10n.t(
          'User {0}: {1}, {2} tokens, oldest first.',
          this.userFilter,
          traceCount,
          formatTokens(tokens),
        ),
      );
    }
    if (this.filter) lines.push(this.filterLine());
    // A message would hide the welcome content of an empty view, so there is none while live and unfiltered.
    this.view.message = lines.length > 0 ? lines.join(' ') : undefined;
  }

  /** How many traces pass the filter, and what of the text search is still to come or was cut short. */
  private filterLine(): string {
    const keep = this.options;
    let shown = 0;
    for (const t of this.store.list()) if (listed(t, keep)) shown++;
    return filterLine(this.text, shown);
  }

  /** Traces that would be listed now and the held list does not show (directly or in its groups). */
  private waitingCount(held: readonly TreeNode[]): number {
    if (!this.groupMode || !this.grouping) return waitingTraceCount(this.store, this.options, held);
    const options = this.options;
    let waiting = 0;
    for (const t of this.store.list())
      if (listed(t, options) && !this.grouping.turnOf.has(t.traceId)) waiting++;
    return waiting;
  }

  getChildren(element?: TreeNode): TreeNode[] | Promise<TreeNode[]> {
    const mode = this.groupMode;
    if (!element) {
      if (!this.held) return this.liveRootNodes();
      return mode ? this.held : heldRootNodes(this.store, this.held);
    }
    // A trace's spans are brought from the engine when its node is first expanded, and kept up to date.
    const node = element;
    if (node.kind === 'session' || node.kind === 'user') {
      if (!mode || !node.grouped) return [];
      // Held or live, the turns listed are those still in the store.
      return groupChildNodes(this.currentGrouping(), node).filter(
        (n) => n.kind !== 'trace' || this.store.has(n.traceId),
      );
    }
    if (this.store.getTrace(node.traceId)) return childNodes(this.store, node, this.options);
    return this.store.load(node.traceId, 'outline').then(() => childNodes(this.store, node, this.options));
  }

  getParent(element: TreeNode): TreeNode | undefined | Promise<TreeNode | undefined> {
    const mode = this.groupMode;
    if (mode && element.kind !== 'span')
      return groupParentNode(this.currentGrouping(), mode, element, (id) => this.store.summary(id));
    if (element.kind !== 'span' || this.store.getTrace(element.traceId))
      return parentNode(this.store, element, this.options);
    return this.store
      .load(element.traceId, 'outline')
      .then(() => parentNode(this.store, element, this.options));
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    const mode = this.groupMode;
    const view = mode
      ? describeGroupedNode(this.currentGrouping(), this.store, node, this.llmOnly)
      : describeNode(this.store, node, this.llmOnly);
    return nodeTreeItem(node, view, headerCommand(node));
  }

  /** The tooltip, built only when the user hovers: a refresh under load describes many nodes. */
  resolveTreeItem(item: vscode.TreeItem, node: TreeNode): vscode.TreeItem {
    const grouping = this.groupMode ? this.currentGrouping() : undefined;
    item.tooltip = tooltip(
      grouping ? groupedTooltip(grouping, node, this.store) : nodeTooltip(this.store, node),
    );
    return item;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }

  private async updateContext(): Promise<void> {
    await vscode.commands.executeCommand('setContext', ContextKeys.llmOnly, this.llmOnly);
    await vscode.commands.executeCommand(
      'setContext',
      ContextKeys.sessionFilter,
      this.sessionFilter !== undefined || this.userFilter !== undefined,
    );
    await vscode.commands.executeCommand('setContext', ContextKeys.paused, this.paused);
    await vscode.commands.executeCommand('setContext', ContextKeys.filtered, this.filter !== undefined);
    await vscode.commands.executeCommand('setContext', ContextKeys.groupBy, this.groupBy);
  }
}

/** A session row opens the session's conversation; a user header (a Find by User list) clears the filter. */
export function headerCommand(node: TreeNode): vscode.Command | undefined {
  if (node.kind === 'session' && node.sessionId !== NO_GROUP) {
    const target: Record<string, string> = { sessionId: node.sessionId };
    if (node.sourceId) target.sourceId = node.sourceId;
    return { command: Commands.openSession, title: vscode.l10n.t('Open Session'), arguments: [target] };
  }
  if (node.kind === 'user' && !node.grouped)
    return { command: Commands.clearSessionFilter, title: vscode.l10n.t('Clear Session Filter') };
  return undefined;
}

/** How a node of a grouped tree reads: a session or user with its totals, a trace as a turn. */
export function describeGroupedNode(
  grouping: Grouping,
  store: TreeModelSource,
  node: TreeNode,
  llmOnly: boolean,
): NodeView {
  const now = Date.now();
  if (node.kind === 'session' && node.grouped) {
    const group = sessionGroupOf(grouping, node);
    return group ? describeSessionGroup(group, now, node.userId !== undefined) : missing(node.sessionId);
  }
  if (node.kind === 'user' && node.grouped) {
    const group = grouping.userById.get(node.userId);
    return group ? describeUserGroup(group, now) : missing(node.userId);
  }
  if (node.kind === 'trace') {
    const summary = store.summary(node.traceId);
    if (!summary) return missing(node.traceId);
    // The "(no session)" group lists traces, not turns of one conversation.
    const turn = summary.sessionId !== undefined ? grouping.turnOf.get(node.traceId) : undefined;
    return describeTurn(summary, turn, now);
  }
  return describeNode(store, node, llmOnly);
}

export function groupedTooltip(grouping: Grouping, node: TreeNode, store: TreeModelSource): string[] {
  if (node.kind === 'session' && node.grouped) {
    const group = sessionGroupOf(grouping, node);
    return group ? sessionGroupTooltip(group) : [node.sessionId];
  }
  if (node.kind === 'user' && node.grouped) {
    const group = grouping.userById.get(node.userId);
    return group ? userGroupTooltip(group) : [node.userId];
  }
  return nodeTooltip(store, node);
}

/** How a node of either tree reads, from the store of its source. */
export function describeNode(store: TreeModelSource, node: TreeNode, llmOnly: boolean): NodeView {
  switch (node.kind) {
    case 'session':
      return describeSession(node.sessionId, store.findSession(node.sessionId));
    case 'user':
      return describeUser(node.userId, store.findUser(node.userId));
    case 'trace': {
      const summary = store.summary(node.traceId);
      return summary ? describeTrace(summary, Date.now()) : missing(node.traceId);
    }
    case 'span': {
      const trace = treeTrace(store, node.traceId);
      const span = trace && spanOf(trace, node.spanId);
      if (!trace || !span) return missing(node.spanId);
      return describeSpan(span, !llmOnly && childrenOf(trace, span.spanId).length > 0);
    }
  }
}

/**
 * The TreeItem of a node of either tree: a trace or an LLM call opens its conversation (of its source);
 * a session or user header runs `headerCommand`. Cloud nodes' context values start with `cloud.`.
 */
export function nodeTreeItem(
  node: TreeNode,
  view: NodeView,
  headerCommand: vscode.Command | undefined,
): vscode.TreeItem {
  const item = new vscode.TreeItem(
    view.label,
    view.collapsible ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
  );
  item.id = nodeId(node);
  item.description = view.description;
  item.iconPath = ICONS[view.icon];
  item.contextValue = node.sourceId ? `cloud.${view.contextValue}` : view.contextValue;
  item.accessibilityInformation = { label: view.ariaLabel };
  // No tooltip: the provider's resolveTreeItem builds it on hover.
  if (node.kind === 'session' || node.kind === 'user') {
    if (headerCommand) item.command = headerCommand;
  } else if (node.kind === 'trace' || view.contextValue.startsWith('llmCall')) {
    const target: Record<string, string> = { traceId: node.traceId };
    if (node.kind === 'span') target.spanId = node.spanId;
    if (node.sourceId) target.sourceId = node.sourceId;
    item.command = {
      command: Commands.openConversation,
      title: vscode.l10n.t('Open Conversation'),
      arguments: [target],
    };
  }
  return item;
}

export function nodeId(node: TreeNode): string {
  switch (node.kind) {
    case 'session':
      return `${node.sourceId ? `${node.sourceId}:` : ''}session:${node.userId !== undefined ? `${node.userId}\u0000` : ''}${node.sessionId}`;
    case 'user':
      return `${node.sourceId ?? 'local'}:user:${node.userId}`;
    case 'trace':
      return `${node.sourceId ? `${node.sourceId}:` : ''}trace:${node.traceId}`;
    case 'span':
      return `${node.sourceId ? `${node.sourceId}:` : ''}span:${node.traceId}:${node.spanId}`;
  }
}

export function tooltip(lines: string[]): vscode.MarkdownString {
  // Values come from the traced app: escape them, never let them become links or HTML.
  const md = new vscode.MarkdownString(undefined, false);
  md.isTrusted = false;
  md.supportHtml = false;
  lines.forEach((line, i) => {
    if (i === 0) md.appendMarkdown('**').appendText(line).appendMarkdown('**');
    else md.appendText(line);
    md.appendMarkdown('  \n');
  });
  return md;
}

export function missing(id: string): NodeView {
  return {
    label: id,
    description: vscode.l10n.t('no longer in the store'),
    icon: 'span',
    contextValue: 'missing',
    collapsible: false,
    ariaLabel: id,
  };
}
