// Every command of the extension, registered in one place with the collaborators it needs.

import * as vscode from 'vscode';
import { formatTokens, totalTokens } from '../core/format';
import type { TraceSummary } from '../core/model';
import type { TraceStore } from '../core/store';
import type { ConversationTarget } from '../protocol/conversation';
import { copyAsMarkdown, type ConversationPanels } from './conversationPanel';
import { updateEffectiveSetting } from './config';
import { Commands, Views } from './ids';
import type { ReceiverController } from './receiverController';
import type { TraceTreeProvider } from './traceTree';
import type { TreeNode } from './treeModel';

export interface CommandDeps {
  store: TraceStore;
  receiver: ReceiverController;
  tree: TraceTreeProvider;
  treeView: vscode.TreeView<TreeNode>;
  panels: ConversationPanels;
  log: vscode.LogOutputChannel;
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
    reg(Commands.clearTraces, () => {
      store.clear();
      tree.setSessionFilter(undefined);
    }),
    reg(Commands.showOnlyLlmCalls, () => updateEffectiveSetting('view.llmCallsOnly', true)),
    reg(Commands.showAllSpans, () => updateEffectiveSetting('view.llmCallsOnly', false)),
    reg(Commands.openConversation, (arg?: unknown) => openConversation(deps, arg)),
    reg(Commands.openTrace, (traceId?: unknown) =>
      openTrace(deps, typeof traceId === 'string' ? traceId : undefined),
    ),
    reg(Commands.findBySession, (sessionId?: unknown) =>
      findBySession(deps, typeof sessionId === 'string' ? sessionId : undefined),
    ),
    reg(Commands.clearSessionFilter, () => tree.setSessionFilter(undefined)),
    reg(Commands.receiverActions, () => receiverActions(deps)),
    reg(Commands.copyId, (node?: TreeNode) => copyId(node)),
    reg(Commands.copyMarkdown, (node?: TreeNode) => {
      if (node?.kind === 'trace') return copyAsMarkdown(store, { traceId: node.traceId });
      if (node?.kind === 'span') return copyAsMarkdown(store, { traceId: node.traceId, spanId: node.spanId });
      return undefined;
    }),
    reg(Commands.showLog, () => deps.log.show(true)),
    reg(Commands.pauseLive, () => tree.setPaused(true)),
    reg(Commands.resumeLive, () => tree.setPaused(false)),
  ];

  function copyId(node: TreeNode | undefined): Thenable<void> | undefined {
    if (!node) return undefined;
    const id = node.kind === 'session' ? node.sessionId : node.kind === 'trace' ? node.traceId : node.spanId;
    return vscode.env.clipboard.writeText(id).then(() => {
      vscode.window.setStatusBarMessage(vscode.l10n.t('Copied {0}', id), 2500);
    });
  }

  function openConversation(d: CommandDeps, arg: unknown): void {
    const target = toTarget(arg);
    if (!target) return;
    d.store.flush();
    panels.show(target);
  }
}

function toTarget(arg: unknown): ConversationTarget | undefined {
  if (typeof arg === 'string' && TRACE_ID.test(arg)) return { traceId: arg.toLowerCase() };
  if (typeof arg !== 'object' || arg === null) return undefined;
  const a = arg as Record<string, unknown>;
  if (typeof a.traceId !== 'string') return undefined;
  return typeof a.spanId === 'string' && a.kind !== 'trace'
    ? { traceId: a.traceId, spanId: a.spanId }
    : { traceId: a.traceId };
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
  deps.store.flush();
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
  if (!deps.store.getTrace(id)) {
    void vscode.window.showWarningMessage(
      vscode.l10n.t(
        'Trace {0} is not among the local traces. It may not have arrived yet, or it was cleared or evicted.',
        id,
      ),
    );
    return false;
  }
  deps.panels.show({ traceId: id });
  return true;
}

/**
 * Finds a session's traces in the local store and shows them in the sidebar, oldest turn first, under a
 * header with the session's totals. Returns what it found, so scripts and tests can use the command.
 */
async function findBySession(deps: CommandDeps, sessionId: string | undefined): Promise<TraceSummary[]> {
  deps.store.flush();
  let id = sessionId?.trim();
  if (!id) {
    const known = deps.store.sessions();
    id = await pickOrType(
      known.map((s) => ({
        label: s.sessionId,
        description: vscode.l10n.t('{0} traces', String(s.traceCount)),
        detail: new Date(s.lastMs).toLocaleString(),
        id: s.sessionId,
      })),
      vscode.l10n.t('Find by Session ID'),
      vscode.l10n.t(
        'Type or paste a session id (gen_ai.conversation.id, session.id ...) or pick a recent one',
      ),
    );
  }
  if (!id) return [];
  const traces = deps.store.findSession(id);
  if (traces.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('No local trace belongs to session "{0}".', id));
    return [];
  }
  deps.tree.setSessionFilter(id);
  await vscode.commands.executeCommand(`${Views.traces}.focus`);
  return traces;
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
  return new Promise((resolve) => {
    let done = false;
    qp.onDidAccept(() => {
      done = true;
      resolve(qp.selectedItems[0]?.id ?? (qp.value.trim() || undefined));
      qp.hide();
    });
    qp.onDidHide(() => {
      if (!done) resolve(undefined);
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
