// Every command of the extension, registered in one place with the collaborators it needs.

import * as vscode from 'vscode';
import { formatAge, formatTokens, totalTokens } from '../core/format';
import { groupTraces, knownIds, matchIds, type KnownId } from '../core/grouping';
import type { TraceSummary } from '../core/model';
import type { LocalTraces, PersonKind } from '../core/source';
import type { ConversationTarget } from '../protocol/conversation';
import type { SessionTarget } from '../protocol/session';
import type { AppInsightsController } from './appInsightsController';
import type { CloudNode, CloudTreeProvider } from './cloudTree';
import { copyAsMarkdown, type ConversationPanels } from './conversationPanel';
import { updateEffectiveSetting } from './config';
import { chooseGrouping } from './filterCommands';
import { Commands, Views } from './ids';
import type { ReceiverController } from './receiverController';
import type { SessionPanels } from './sessionPanel';
import type { SourceCatalog } from './sources';
import type { TraceTreeProvider } from './traceTree';
import type { TreeNode } from './treeModel';

export interface CommandDeps {
  /** The local traces (the host's mirror of the ingest engine's store). */
  store: LocalTraces;
  receiver: ReceiverController;
  tree: TraceTreeProvider;
  treeView: vscode.TreeView<TreeNode>;
  panels: ConversationPanels;
  sessionPanels: SessionPanels;
  log: vscode.LogOutputChannel;
  sources: SourceCatalog;
  cloud: AppInsightsController;
  cloudTree: CloudTreeProvider;
}

/** A connection's source id from a tree node (or the id itself, from scripts). */
function sourceIdOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  const node = arg as Partial<CloudNode> | undefined;
  return typeof node?.sourceId === 'string' ? node.sourceId : undefined;
}

const TRACE_ID = /^[0-9a-f]{32}$/i;

export function registerCommands(deps: CommandDeps): vscode.Disposable[] {
  const { store, receiver, tree, panels } = deps;
  const reg = (id: string, fn: (...args: never[]) => unknown) => vscode.commands.registerCommand(id, fn);
  return [
    reg(Commands.startReceiver, () => receiver.start()),
    reg(Commands.stopReceiver, () => receiver.stop()),
    reg(Commands.copyEndpoint, () => copyEndpoint(receiver)),
    reg(Commands.choosePort, () => receiver.choosePort()),
    // The engine clears its store and the kept requests (a replay still running stops).
    reg(Commands.clearTraces, async () => {
      tree.setSessionFilter(undefined);
      await store.clear();
    }),
    reg(Commands.showOnlyLlmCalls, () => updateEffectiveSetting('view.llmCallsOnly', true)),
    reg(Commands.showAllSpans, () => updateEffectiveSetting('view.llmCallsOnly', false)),
    reg(Commands.openConversation, (arg?: unknown) => openConversation(deps, arg)),
    reg(Commands.keepConversationOpen, () => panels.keepOpen()),
    reg(Commands.openTrace, (traceId?: unknown) =>
      openTrace(deps, typeof traceId === 'string' ? traceId : undefined),
    ),
    reg(Commands.findBySession, (sessionId?: unknown) =>
      findPerson(deps, 'session', typeof sessionId === 'string' ? sessionId : undefined),
    ),
    reg(Commands.findByUser, (userId?: unknown) =>
      findPerson(deps, 'user', typeof userId === 'string' ? userId : undefined),
    ),
    reg(Commands.clearSessionFilter, () => tree.setSessionFilter(undefined)),
    reg(Commands.openSession, (arg?: unknown) => {
      const target = toSessionTarget(arg);
      if (target) deps.sessionPanels.show(target);
      else return findPerson(deps, 'session', undefined);
      return undefined;
    }),
    reg(Commands.groupBy, () => chooseGrouping(tree)),
    reg(Commands.groupByTrace, () => tree.setGroupBy('trace')),
    reg(Commands.groupBySession, () => tree.setGroupBy('session')),
    reg(Commands.groupByUser, () => tree.setGroupBy('user')),
    reg(Commands.appInsightsConnect, () => deps.cloud.connect()),
    reg(Commands.appInsightsSignIn, () => deps.cloud.signIn()),
    reg(Commands.appInsightsDisconnect, (node?: unknown) => deps.cloud.disconnect(sourceIdOf(node))),
    reg(Commands.appInsightsRefresh, (node?: unknown) => {
      const id = sourceIdOf(node);
      if (id) deps.cloudTree.setSearch(id, undefined);
      else deps.cloudTree.clearSearches();
      return deps.cloud.refresh(id);
    }),
    reg(Commands.appInsightsLoadMore, (node?: unknown) => {
      const id = sourceIdOf(node) ?? deps.cloud.list()[0]?.id;
      return id ? deps.cloud.loadMore(id) : undefined;
    }),
    reg(Commands.appInsightsTimeRange, (node?: unknown) => deps.cloud.chooseTimeRange(sourceIdOf(node))),
    reg(Commands.appInsightsCopyQuery, (node?: unknown) => deps.cloud.openQuery(sourceIdOf(node))),
    reg(Commands.appInsightsClearSearch, (node?: unknown) => {
      const id = sourceIdOf(node);
      if (id) deps.cloudTree.setSearch(id, undefined);
      else deps.cloudTree.clearSearches();
    }),
    reg(Commands.receiverActions, () => receiverActions(deps)),
    reg(Commands.copyId, (node?: TreeNode) => copyId(node)),
    reg(Commands.copyMarkdown, async (node?: TreeNode) => {
      if (node?.kind !== 'trace' && node?.kind !== 'span') return undefined;
      const source = deps.sources.get(node.sourceId);
      if (!source) return undefined;
      await source.loadTrace(node.traceId);
      const target: ConversationTarget = { traceId: node.traceId };
      if (node.kind === 'span') target.spanId = node.spanId;
      return copyAsMarkdown(source.store, target);
    }),
    reg(Commands.showLog, () => deps.log.show(true)),
    reg(Commands.pauseLive, () => tree.setPaused(true)),
    reg(Commands.resumeLive, () => tree.setPaused(false)),
  ];

  function copyId(node: TreeNode | undefined): Thenable<void> | undefined {
    if (!node) return undefined;
    const id =
      node.kind === 'session'
        ? node.sessionId
        : node.kind === 'user'
          ? node.userId
          : node.kind === 'trace'
            ? node.traceId
            : node.spanId;
    return vscode.env.clipboard.writeText(id).then(() => {
      vscode.window.setStatusBarMessage(vscode.l10n.t('Copied {0}', id), 2500);
    });
  }

  /** A tree node's trace or call, in the preview tab; a script's `{ traceId, preview: false }` keeps it. */
  function openConversation(_d: CommandDeps, arg: unknown): void {
    const target = toTarget(arg);
    if (!target) return;
    const keep = typeof arg === 'object' && arg !== null && (arg as { preview?: unknown }).preview === false;
    panels.show(target, keep ? { preview: false } : {});
  }
}

/** A session from a tree node, a script's `{ sessionId, sourceId }`, or a bare session id. */
function toSessionTarget(arg: unknown): SessionTarget | undefined {
  if (typeof arg === 'string') return arg.trim() ? { sessionId: arg.trim() } : undefined;
  if (typeof arg !== 'object' || arg === null) return undefined;
  const a = arg as Record<string, unknown>;
  if (typeof a.sessionId !== 'string' || !a.sessionId.trim()) return undefined;
  const target: SessionTarget = { sessionId: a.sessionId.trim() };
  if (typeof a.sourceId === 'string' && a.sourceId) target.sourceId = a.sourceId;
  return target;
}

function toTarget(arg: unknown): ConversationTarget | undefined {
  if (typeof arg === 'string' && TRACE_ID.test(arg)) return { traceId: arg.toLowerCase() };
  if (typeof arg !== 'object' || arg === null) return undefined;
  const a = arg as Record<string, unknown>;
  if (typeof a.traceId !== 'string') return undefined;
  const target: ConversationTarget = { traceId: a.traceId };
  if (typeof a.spanId === 'string' && a.kind !== 'trace') target.spanId = a.spanId;
  if (typeof a.sourceId === 'string' && a.sourceId) target.sourceId = a.sourceId;
  return target;
}

async function copyEndpoint(receiver: ReceiverController): Promise<string | undefined> {
  const endpoint = receiver.endpoint;
  if (!endpoint) {
    const start = vscode.l10n.t('Start Receiver');
    const pick = await vscode.window.showWarningMessage(
      vscode.l10n.t('The LLM Trace Inspector receiver is not listening.'),
      start,
    );
    if (pick === start) await receiver.start();
    return undefined;
  }
  await vscode.env.clipboard.writeText(endpoint);
  void vscode.window.showInformationMessage(
    vscode.l10n.t(
      "Copied {0}. Set OTEL_EXPORTER_OTLP_ENDPOINT={0} in your app's environment (OTLP over HTTP).",
      endpoint,
    ),
  );
  return endpoint;
}

/** Opens a trace by id: the argument, or one typed or picked from the recent traces. */
async function openTrace(deps: CommandDeps, traceId: string | undefined): Promise<boolean> {
  await deps.store.sync();
  let id = traceId?.trim();
  if (!id) {
    const recent = deps.store.list().slice(0, 200);
    id = await pickOrType(
      recent.map((t) => ({
        label: t.name,
        description: `${t.traceId}`,
        detail: summaryLine(t),
        id: t.traceId,
      })),
      vscode.l10n.t('Open Trace by ID'),
      vscode.l10n.t('Paste a trace id (32 hex characters) or pick a recent trace'),
    );
  }
  if (!id) return false;
  id = id.replace(/-/g, '').toLowerCase();
  if (!TRACE_ID.test(id)) {
    void vscode.window.showErrorMessage(
      vscode.l10n.t('"{0}" is not a trace id: a trace id is 32 hexadecimal characters.', id),
    );
    return false;
  }
  if (!deps.store.has(id)) {
    void vscode.window.showWarningMessage(
      vscode.l10n.t(
        'Trace {0} is not among the local traces. It may not have arrived yet, or it was cleared or evicted.',
        id,
      ),
    );
    return false;
  }
  // Asked for by its id: a tab of its own, as a link's.
  deps.panels.show({ traceId: id }, { preview: false });
  return true;
}

/**
 * Finds a session's (or a user's) traces in the local store and in every Application Insights connection,
 * and lists each source's turns oldest first under a header with the totals: the local ones in the LLM
 * Traces view, the cloud ones under their connection. Returns what it found, so scripts and tests can use
 * the command.
 */
async function findPerson(
  deps: CommandDeps,
  kind: PersonKind,
  given: string | undefined,
): Promise<TraceSummary[]> {
  await deps.store.sync();
  const known = knownPeople(deps, kind);
  let id = given?.trim();
  if (!id) {
    id = await pickPerson(
      known,
      kind === 'session' ? vscode.l10n.t('Find by Session ID') : vscode.l10n.t('Find by User'),
      kind === 'session'
        ? vscode.l10n.t(
            'Type part of a session id (gen_ai.conversation.id, session.id ...) or pick a recent one',
          )
        : vscode.l10n.t('Type part of a user id (enduser.id, user.id ...) or pick a recent one'),
    );
  } else if (!known.some((k) => k.id === id)) {
    // Part of an id from a script or a link: the one known id it matches, if only one does.
    const matches = matchIds(known, id, 2);
    if (matches.length === 1) id = (matches[0] as KnownId).id;
  }
  if (!id) return [];
  const value = id;
  const local = kind === 'session' ? deps.store.findSession(value) : deps.store.findUser(value);
  const cloud = deps.cloud.list();
  const found: { label: string; sourceId: string; traces: TraceSummary[]; error?: string }[] = [];
  if (cloud.length > 0) {
    await vscode.window.withProgress(
      {
        location: { viewId: Views.appInsights },
        title: vscode.l10n.t('Searching Application Insights for {0} {1}', kind, value),
      },
      () =>
        Promise.all(
          cloud.map(async (source) => {
            try {
              const traces = await source.find(kind, value);
              deps.cloudTree.setSearch(source.id, { kind, value, traceIds: traces.map((t) => t.traceId) });
              found.push({ label: source.label, sourceId: source.id, traces });
            } catch (err) {
              const e = err as { message?: string; action?: string };
              found.push({
                label: source.label,
                sourceId: source.id,
                traces: [],
                error: [e.message, e.action].filter(Boolean).join(' '),
              });
            }
          }),
        ),
    );
  }
  if (local.length > 0) {
    if (kind === 'session') deps.tree.setSessionFilter(value);
    else deps.tree.setUserFilter(value);
    await vscode.commands.executeCommand(`${Views.traces}.focus`);
  }
  const cloudFound = found.filter((f) => f.traces.length > 0);
  // A session opens as one conversation across its turns: the local one, else the first connection's.
  if (kind === 'session') {
    const first = cloudFound[0];
    if (local.length > 0) deps.sessionPanels.show({ sessionId: value });
    else if (first) deps.sessionPanels.show({ sessionId: value, sourceId: first.sourceId });
  }
  if (cloudFound.length > 0 && local.length === 0)
    await vscode.commands.executeCommand(`${Views.appInsights}.focus`);
  for (const f of found.filter((x) => x.error)) {
    void vscode.window.showWarningMessage(vscode.l10n.t('Searching {0} failed: {1}', f.label, f.error ?? ''));
  }
  if (local.length === 0 && cloudFound.length === 0 && !found.some((f) => f.error)) {
    const where =
      cloud.length > 0 ? vscode.l10n.t('locally or in Application Insights') : vscode.l10n.t('locally');
    void vscode.window.showInformationMessage(
      kind === 'session'
        ? vscode.l10n.t('No trace of session "{0}" was found {1}.', value, where)
        : vscode.l10n.t('No trace of user "{0}" was found {1}.', value, where),
    );
  }
  return [...local, ...cloudFound.flatMap((f) => f.traces)];
}

async function receiverActions(deps: CommandDeps): Promise<void> {
  const { receiver } = deps;
  const s = receiver.state;
  type Action = vscode.QuickPickItem & { run: () => unknown };
  const actions: Action[] = [];
  if (s.state === 'listening') {
    actions.push(
      {
        label: `$(copy) ${vscode.l10n.t('Copy Endpoint')}`,
        description: receiver.endpoint,
        run: () => copyEndpoint(receiver),
      },
      { label: `$(debug-stop) ${vscode.l10n.t('Stop Receiver')}`, run: () => receiver.stop() },
    );
  } else {
    actions.push({
      label: `$(play) ${vscode.l10n.t('Start Receiver')}`,
      description: `${s.host}:${s.port}`,
      run: () => receiver.start(),
    });
  }
  actions.push(
    {
      label: `$(list-tree) ${vscode.l10n.t('Show Traces')}`,
      run: () => vscode.commands.executeCommand(`${Views.traces}.focus`),
    },
    {
      label: `$(plug) ${vscode.l10n.t('Change Port...')}`,
      description: String(s.port),
      run: () => receiver.choosePort(),
    },
    { label: `$(output) ${vscode.l10n.t('Show Log')}`, run: () => deps.log.show(true) },
  );
  const where =
    s.state === 'listening'
      ? vscode.l10n.t('Listening on {0} {1}', receiver.endpoint ?? '', receiver.machineDescription)
      : vscode.l10n.t('Receiver: {0}', s.state);
  const pick = await vscode.window.showQuickPick(actions, {
    title: 'LLM Trace Inspector',
    placeHolder: where,
  });
  await pick?.run();
}

/** The sessions (or users) every source holds now, the most recently active first. */
function knownPeople(deps: CommandDeps, kind: PersonKind): KnownId[] {
  const byId = new Map<string, KnownId>();
  for (const source of deps.sources.all()) {
    const grouping = groupTraces(source.store.list());
    for (const k of knownIds(kind === 'session' ? grouping.sessions : grouping.users)) {
      const seen = byId.get(k.id);
      if (!seen) byId.set(k.id, { ...k });
      else {
        seen.turns += k.turns;
        seen.lastMs = Math.max(seen.lastMs, k.lastMs);
      }
    }
  }
  return [...byId.values()].sort((a, b) => b.lastMs - a.lastMs);
}

/**
 * A quick pick over the known ids that narrows to those matching what is typed (anywhere in the id, not
 * only by VS Code's fuzzy match), with their turn counts and last activity; the text itself can be taken
 * too, to search for an id no source holds yet (a cloud search).
 */
async function pickPerson(known: KnownId[], title: string, placeholder: string): Promise<string | undefined> {
  type Item = vscode.QuickPickItem & { id: string };
  const now = Date.now();
  const itemsFor = (typed: string): Item[] => {
    const matches = matchIds(known, typed).map((k): Item => ({
      label: k.id,
      description: k.turns === 1 ? vscode.l10n.t('1 trace') : vscode.l10n.t('{0} traces', String(k.turns)),
      detail: vscode.l10n.t('last active {0}', formatAge(k.lastMs, now)),
      id: k.id,
      alwaysShow: true,
    }));
    const text = typed.trim();
    if (text && !matches.some((m) => m.id === text))
      matches.push({
        label: text,
        description: vscode.l10n.t('search for this id'),
        id: text,
        alwaysShow: true,
      });
    return matches;
  };
  const qp = vscode.window.createQuickPick<Item>();
  qp.title = title;
  qp.placeholder = placeholder;
  qp.items = itemsFor('');
  qp.matchOnDescription = false;
  const sub = qp.onDidChangeValue((value) => {
    qp.items = itemsFor(value);
  });
  return chosenOrTyped(qp, sub);
}

/** A quick pick that also accepts free text (an id that is not in the list). */
async function pickOrType(
  items: (vscode.QuickPickItem & { id: string })[],
  title: string,
  placeholder: string,
): Promise<string | undefined> {
  const qp = vscode.window.createQuickPick<vscode.QuickPickItem & { id: string }>();
  qp.title = title;
  qp.placeholder = placeholder;
  qp.items = items;
  qp.matchOnDescription = true;
  return chosenOrTyped(qp);
}

/** Shows the pick; its answer is the chosen item's id, or the text typed when none is chosen. */
function chosenOrTyped(
  qp: vscode.QuickPick<vscode.QuickPickItem & { id: string }>,
  alsoDispose?: vscode.Disposable,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    let done = false;
    qp.onDidAccept(() => {
      done = true;
      resolve(qp.selectedItems[0]?.id ?? (qp.value.trim() || undefined));
      qp.hide();
    });
    qp.onDidHide(() => {
      if (!done) resolve(undefined);
      alsoDispose?.dispose();
      qp.dispose();
    });
    qp.show();
  });
}

function summaryLine(t: TraceSummary): string {
  const tokens = totalTokens(t.usage);
  return [
    t.service,
    ...t.models,
    tokens !== undefined ? `${formatTokens(tokens)} tokens` : undefined,
    new Date(t.startMs).toLocaleString(),
  ]
    .filter(Boolean)
    .join(' · ');
}
