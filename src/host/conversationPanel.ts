// Conversation panels: one webview panel per trace, kept in step with the store, restored after a window
// reload by a serializer that saves only the target ids and re-reads the store.

import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import type { Logger } from '../core/logger';
import type { TraceStore } from '../core/store';
import { isWebviewMessage, type ConversationTarget, type HostMessage } from '../protocol/conversation';
import { buildConversationState } from './conversationViewModel';
import { conversationMarkdown } from './conversationMarkdown';
import { Views } from './ids';
import { spanOf } from './treeModel';
import { buildWebviewHtml } from './webviewHtml';

export class ConversationPanels implements vscode.Disposable {
  private readonly panels = new Map<string, { panel: vscode.WebviewPanel; target: ConversationTarget }>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly store: TraceStore,
    private readonly logger: Logger,
    private readonly onRevealSpan: (traceId: string, spanId: string) => void,
  ) {
    this.disposables.push(
      store.onDidChange((change) => {
        for (const [traceId, open] of this.panels) {
          if (change.cleared || change.changed.includes(traceId) || change.removed.includes(traceId))
            this.post(open.panel, open.target);
        }
      }),
      vscode.window.registerWebviewPanelSerializer(Views.conversationPanel, {
        deserializeWebviewPanel: async (panel, state: unknown) => {
          const target = asTarget(state);
          if (!target) {
            panel.dispose();
            return;
          }
          this.attach(panel, target);
        },
      }),
    );
  }

  /** Opens (or reveals) the panel of a trace, focused on one LLM call when a span id is given. */
  show(target: ConversationTarget): void {
    const traceId = target.traceId.toLowerCase();
    const normalized: ConversationTarget = target.spanId ? { traceId, spanId: target.spanId } : { traceId };
    const open = this.panels.get(traceId);
    if (open) {
      open.target = normalized;
      open.panel.reveal(undefined, false);
      this.post(open.panel, normalized);
      return;
    }
    const panel = vscode.window.createWebviewPanel(
      Views.conversationPanel,
      this.title(normalized),
      vscode.ViewColumn.Active,
      this.options(),
    );
    this.attach(panel, normalized);
  }

  get openTraceIds(): string[] {
    return [...this.panels.keys()];
  }

  dispose(): void {
    for (const { panel } of this.panels.values()) panel.dispose();
    this.panels.clear();
    for (const d of this.disposables) d.dispose();
  }

  private options(): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return {
      enableScripts: true,
      enableFindWidget: true,
      retainContextWhenHidden: false,
      enableCommandUris: false,
      localResourceRoots: [
        vscode.Uri.joinPath(this.extensionUri, 'dist'),
        vscode.Uri.joinPath(this.extensionUri, 'media'),
      ],
    };
  }

  private attach(panel: vscode.WebviewPanel, target: ConversationTarget): void {
    const traceId = target.traceId;
    this.panels.get(traceId)?.panel.dispose();
    const entry = { panel, target };
    this.panels.set(traceId, entry);
    panel.webview.options = this.options();
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'activity.svg');
    panel.title = this.title(target);
    panel.webview.html = this.html(panel.webview, target);
    const subs: vscode.Disposable[] = [
      panel.webview.onDidReceiveMessage((message: unknown) => this.onMessage(entry, message)),
      panel.onDidDispose(() => {
        if (this.panels.get(traceId)?.panel === panel) this.panels.delete(traceId);
        for (const s of subs) s.dispose();
      }),
    ];
  }

  private html(webview: vscode.Webview, target: ConversationTarget): string {
    const dist = vscode.Uri.joinPath(this.extensionUri, 'dist');
    return buildWebviewHtml({
      cspSource: webview.cspSource,
      nonce: randomBytes(18).toString('base64url'),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.js')).toString(),
      styleUris: [
        webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'media', 'conversation.css')).toString(),
      ],
      codiconsUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'codicons', 'codicon.css')).toString(),
      initialState: buildConversationState(this.store.getTrace(target.traceId), target, Date.now()),
      title: this.title(target),
    });
  }

  private post(panel: vscode.WebviewPanel, target: ConversationTarget): void {
    panel.title = this.title(target);
    const message: HostMessage = {
      type: 'state',
      state: buildConversationState(this.store.getTrace(target.traceId), target, Date.now()),
    };
    void panel.webview.postMessage(message);
  }

  private async onMessage(
    entry: { panel: vscode.WebviewPanel; target: ConversationTarget },
    message: unknown,
  ): Promise<void> {
    if (!isWebviewMessage(message)) {
      this.logger.warn('[panel] ignored a malformed message from the webview');
      return;
    }
    switch (message.type) {
      case 'ready':
        this.post(entry.panel, entry.target);
        return;
      case 'openLink': {
        const uri = safeExternalUri(message.href);
        if (!uri) {
          void vscode.window.showWarningMessage(
            vscode.l10n.t('Links in traced messages open only when they are http, https or mailto links.'),
          );
          return;
        }
        await vscode.env.openExternal(uri);
        return;
      }
      case 'copy':
        await vscode.env.clipboard.writeText(message.text);
        vscode.window.setStatusBarMessage(vscode.l10n.t('Copied {0}', message.what), 2500);
        return;
      case 'copyMarkdown': {
        const target =
          message.spanId === undefined
            ? { traceId: entry.target.traceId }
            : { traceId: entry.target.traceId, spanId: message.spanId };
        await copyAsMarkdown(this.store, target);
        return;
      }
      case 'revealSpan':
        this.onRevealSpan(message.traceId, message.spanId);
        return;
    }
  }

  private title(target: ConversationTarget): string {
    const trace = this.store.getTrace(target.traceId);
    if (!trace) return vscode.l10n.t('Trace {0}', target.traceId.slice(0, 8));
    const span = target.spanId ? spanOf(trace, target.spanId) : undefined;
    const model = span?.llm?.responseModel ?? span?.llm?.requestModel ?? trace.summary.models[0];
    return model ? `${trace.summary.name} · ${model}` : trace.summary.name;
  }
}

function asTarget(state: unknown): ConversationTarget | undefined {
  if (typeof state !== 'object' || state === null) return undefined;
  const s = state as Record<string, unknown>;
  const t = (typeof s.target === 'object' && s.target !== null ? s.target : s) as Record<string, unknown>;
  if (typeof t.traceId !== 'string' || !/^[0-9a-f]{32}$/i.test(t.traceId)) return undefined;
  return typeof t.spanId === 'string' ? { traceId: t.traceId, spanId: t.spanId } : { traceId: t.traceId };
}

/** Only plain web and mail links leave the webview; `command:`, `file:`, `vscode:` and the like never do. */
export function safeExternalUri(href: string): vscode.Uri | undefined {
  try {
    const uri = vscode.Uri.parse(href, true);
    return ['http', 'https', 'mailto'].includes(uri.scheme) ? uri : undefined;
  } catch {
    return undefined;
  }
}

/** Copies a trace, or one call of it (with its whole input), as Markdown; says so, or why not. */
export async function copyAsMarkdown(store: TraceStore, target: ConversationTarget): Promise<void> {
  store.flush();
  const state = buildConversationState(
    store.getTrace(target.traceId),
    { traceId: target.traceId },
    Date.now(),
  );
  const markdown = conversationMarkdown(state, target.spanId === undefined ? {} : { spanId: target.spanId });
  if (!markdown) {
    void vscode.window.showWarningMessage(
      vscode.l10n.t('Trace {0} is no longer in the store, so there is nothing to copy.', target.traceId),
    );
    return;
  }
  await vscode.env.clipboard.writeText(markdown);
  vscode.window.setStatusBarMessage(
    target.spanId === undefined
      ? vscode.l10n.t('Copied the conversation as Markdown')
      : vscode.l10n.t('Copied the call as Markdown'),
    2500,
  );
}
