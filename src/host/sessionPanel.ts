// Session panels: one webview panel per session (of any source) showing the whole conversation across its
// turns. Each turn's trace is read whole once and only what the view shows of it is kept (readTurn), so a
// long session does not hold every trace whole; a turn whose trace changes is read again. Restored after
// a window reload from the ids alone (source, session), like the conversation panels.

import * as vscode from 'vscode';
import type { Logger } from '../core/logger';
import type { TraceSummary } from '../core/model';
import { LOCAL_SOURCE_ID, type TraceSource } from '../core/source';
import type { ConversationTarget } from '../protocol/conversation';
import {
  isSessionWebviewMessage,
  type SessionHostMessage,
  type SessionState,
  type SessionTarget,
} from '../protocol/session';
import { Views } from './ids';
import { PanelSync } from './panelSync';
import { buildSessionState, readTurn, shownTurns, type TurnContent } from './sessionViewModel';
import type { SourceCatalog } from './sources';
import { copyText, openTracedLink, pageHtml, panelOptions, registerPanelSerializer } from './webviewPage';

interface OpenSession {
  panel: vscode.WebviewPanel;
  target: SessionTarget;
  sync: PanelSync;
  /** Every trace of the session, as the source last listed them. */
  summaries: TraceSummary[];
  /** What was read of each turn shown, by trace id. */
  contents: Map<string, TurnContent>;
  /** A load runs; `again` says a change arrived meanwhile and another follows it. */
  running?: boolean;
  again?: boolean;
  searchAgain?: boolean;
  loading?: boolean;
  loadError?: string;
  disposed?: boolean;
}

/** Turns read at once: a local read is one round trip to the engine, a cloud one is already in the store. */
const READ_CONCURRENCY = 4;

export class SessionPanels implements vscode.Disposable {
  private readonly panels = new Map<string, OpenSession>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly sources: SourceCatalog,
    private readonly logger: Logger,
    /** Opens one turn in its own conversation panel. */
    private readonly openTrace: (target: ConversationTarget) => void,
  ) {
    this.disposables.push(
      sources.onDidChangeTraces(({ sourceId, change }) => {
        for (const open of this.panels.values()) {
          if ((open.target.sourceId ?? LOCAL_SOURCE_ID) !== sourceId) continue;
          if (change.cleared || this.touches(open, [...change.changed, ...change.removed]))
            this.load(open, false);
        }
      }),
      sources.onDidChangeSources(() => {
        for (const open of this.panels.values()) if (open.target.sourceId) this.load(open);
      }),
      registerPanelSerializer(Views.sessionPanel, asSessionTarget, (panel, target) =>
        this.attach(panel, target),
      ),
    );
  }

  /** Opens (or reveals) the panel of a session. */
  show(target: SessionTarget): void {
    const normalized = normalize(target);
    const open = this.panels.get(keyOf(normalized));
    if (open) {
      open.panel.reveal(undefined, false);
      this.load(open);
      return;
    }
    const panel = vscode.window.createWebviewPanel(
      Views.sessionPanel,
      this.title(normalized),
      vscode.ViewColumn.Active,
      this.options(),
    );
    this.attach(panel, normalized);
  }

  /** Open sessions as `sourceId|sessionId` (the local source's as the bare session id). */
  get openSessionIds(): string[] {
    return [...this.panels.values()].map((p) =>
      p.target.sourceId ? `${p.target.sourceId}|${p.target.sessionId}` : p.target.sessionId,
    );
  }

  /** The state an open session panel shows now (for the API and tests). */
  stateOf(target: SessionTarget): SessionState | undefined {
    const open = this.panels.get(keyOf(normalize(target)));
    return open ? this.state(open) : undefined;
  }

  /** Resolves once the session panel has read every turn it shows (or failed to). */
  async settled(target: SessionTarget): Promise<void> {
    const open = this.panels.get(keyOf(normalize(target)));
    while (open && !open.disposed && (open.running || open.loading)) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  dispose(): void {
    for (const { panel } of this.panels.values()) panel.dispose();
    this.panels.clear();
    for (const d of this.disposables) d.dispose();
  }

  /** Whether a change to these traces concerns the session: one of its turns, or a new one of it. */
  private touches(open: OpenSession, traceIds: string[]): boolean {
    const store = this.sources.get(open.target.sourceId)?.store;
    const known = new Set(open.summaries.map((s) => s.traceId));
    return traceIds.some((id) => known.has(id) || store?.summary(id)?.sessionId === open.target.sessionId);
  }

  private options(): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return panelOptions(this.extensionUri);
  }

  private attach(panel: vscode.WebviewPanel, target: SessionTarget): void {
    const key = keyOf(target);
    this.panels.get(key)?.panel.dispose();
    const entry: OpenSession = { panel, target, sync: new PanelSync(), summaries: [], contents: new Map() };
    this.panels.set(key, entry);
    panel.webview.options = this.options();
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'activity.svg');
    panel.title = this.title(target);
    const subs: vscode.Disposable[] = [
      panel.webview.onDidReceiveMessage((message: unknown) => this.onMessage(entry, message)),
      panel.onDidDispose(() => {
        entry.disposed = true;
        if (this.panels.get(key)?.panel === panel) this.panels.delete(key);
        for (const s of subs) s.dispose();
      }),
    ];
    // The local summaries are here at once, so the first paint lists the turns; their content follows.
    const source = this.sources.get(target.sourceId);
    if (source && source.id === LOCAL_SOURCE_ID) entry.summaries = source.store.findSession(target.sessionId);
    entry.loading = true;
    this.paint(entry);
    this.load(entry);
  }

  private paint(entry: OpenSession): void {
    entry.panel.webview.html = this.html(entry.panel.webview, entry);
  }

  /**
   * Lists the session's traces again and reads the turns that are new or changed; one load at a time.
   * `search` asks the source (a cloud one queries); a change heard from a store lists what that store
   * holds, so the rows a search brings do not start another search.
   */
  private load(entry: OpenSession, search = true): void {
    if (entry.running) {
      entry.again = true;
      entry.searchAgain ||= search;
      return;
    }
    entry.running = true;
    void this.loadOnce(entry, search).finally(() => {
      entry.running = false;
      if (entry.again && !entry.disposed) {
        const again = entry.searchAgain === true;
        entry.again = false;
        entry.searchAgain = false;
        this.load(entry, again);
      }
    });
  }

  private async loadOnce(entry: OpenSession, search: boolean): Promise<void> {
    const source = this.sources.get(entry.target.sourceId);
    if (!source) {
      entry.loading = false;
      entry.loadError = vscode.l10n.t('The connection this session came from was removed.');
      this.post(entry);
      return;
    }
    delete entry.loadError;
    try {
      entry.summaries = search
        ? await source.find('session', entry.target.sessionId)
        : source.store.findSession(entry.target.sessionId);
      // The turns listed now, with what was read before; the rest come as they are read.
      this.post(entry);
      const wanted = shownTurns(entry.summaries).filter(
        (s) => entry.contents.get(s.traceId)?.updatedMs !== s.updatedMs,
      );
      await readTurns(source, wanted, READ_CONCURRENCY, (content) => {
        entry.contents.set(content.traceId, content);
      });
      const ids = new Set(entry.summaries.map((s) => s.traceId));
      for (const id of entry.contents.keys()) if (!ids.has(id)) entry.contents.delete(id);
    } catch (err) {
      const e = err as { message?: string; action?: string };
      entry.loadError = [e?.message ?? String(err), e?.action].filter(Boolean).join(' ');
      this.logger.warn(`[session] could not load session ${entry.target.sessionId}: ${entry.loadError}`);
    }
    entry.loading = false;
    if (!entry.disposed) this.post(entry);
  }

  private state(entry: OpenSession): SessionState {
    const source = this.sources.get(entry.target.sourceId);
    const context: { sourceLabel?: string; loading?: boolean; loadError?: string } = {};
    if (entry.target.sourceId)
      context.sourceLabel = source
        ? vscode.l10n.t('Application Insights · {0}', source.label)
        : vscode.l10n.t('Application Insights (a connection that no longer exists)');
    if (entry.loading) context.loading = true;
    if (entry.loadError) context.loadError = entry.loadError;
    return buildSessionState(entry.target, entry.summaries, entry.contents, Date.now(), context);
  }

  private html(webview: vscode.Webview, entry: OpenSession): string {
    const html = pageHtml(webview, this.extensionUri, {
      script: 'session.js',
      styles: ['conversation.css', 'session.css'],
      initialState: this.state(entry),
      title: this.title(entry.target),
    });
    entry.sync.htmlBuilt();
    return html;
  }

  private post(entry: OpenSession): void {
    if (entry.disposed) return;
    entry.panel.title = this.title(entry.target);
    // Nothing before the first HTML or while its page does not listen yet: `ready` brings the state then.
    if (!entry.sync.changed(entry.panel.visible)) return;
    const message: SessionHostMessage = { type: 'sessionState', state: this.state(entry) };
    void entry.panel.webview.postMessage(message);
  }

  private async onMessage(entry: OpenSession, message: unknown): Promise<void> {
    if (!isSessionWebviewMessage(message)) {
      this.logger.warn('[session] ignored a malformed message from the webview');
      return;
    }
    switch (message.type) {
      case 'ready':
        if (entry.sync.ready()) this.post(entry);
        return;
      case 'openLink':
        await openTracedLink(message.href);
        return;
      case 'copy':
        await copyText(message.text, message.what);
        return;
      case 'openTurn': {
        const target: ConversationTarget = { traceId: message.traceId.toLowerCase() };
        if (entry.target.sourceId) target.sourceId = entry.target.sourceId;
        this.openTrace(target);
        return;
      }
    }
  }

  private title(target: SessionTarget): string {
    return vscode.l10n.t('Session {0}', shortId(target.sessionId));
  }
}

/**
 * Reads the turns whole, a few at a time, handing each one's content on as soon as it is read: a local
 * source keeps only a few traces whole, so each is read right after it arrives.
 */
async function readTurns(
  source: TraceSource,
  turns: TraceSummary[],
  concurrency: number,
  onRead: (content: TurnContent) => void,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < turns.length) {
      const summary = turns[next++] as TraceSummary;
      if (!source.isComplete(summary.traceId)) await source.loadTrace(summary.traceId);
      const trace = source.store.getTrace(summary.traceId);
      if (trace && source.isComplete(summary.traceId)) onRead(readTurn(trace));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, turns.length) }, worker));
}

function shortId(id: string): string {
  return id.length > 24 ? `${id.slice(0, 23)}…` : id;
}

function keyOf(target: SessionTarget): string {
  return `${target.sourceId ?? LOCAL_SOURCE_ID}|${target.sessionId}`;
}

function normalize(target: SessionTarget): SessionTarget {
  const out: SessionTarget = { sessionId: target.sessionId.trim() };
  if (target.sourceId && target.sourceId !== LOCAL_SOURCE_ID) out.sourceId = target.sourceId;
  return out;
}

/** The saved state of a session page: its target's ids, checked as untrusted input. */
export function asSessionTarget(state: unknown): SessionTarget | undefined {
  if (typeof state !== 'object' || state === null) return undefined;
  const s = state as Record<string, unknown>;
  const t = (typeof s.target === 'object' && s.target !== null ? s.target : s) as Record<string, unknown>;
  if (typeof t.sessionId !== 'string' || t.sessionId.trim().length === 0 || t.sessionId.length > 1000)
    return undefined;
  const target: SessionTarget = { sessionId: t.sessionId };
  if (typeof t.sourceId === 'string' && /^appInsights:[\w./:() -]{1,400}$/i.test(t.sourceId))
    target.sourceId = t.sourceId;
  return normalize(target);
}
