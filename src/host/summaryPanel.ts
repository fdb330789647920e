// Summary panels: one webview per source (the local receiver, each Application Insights connection, each
// file) with its calls, tokens, cost, errors and latency for a window. The source adds the figures up
// where its data is (the engine's worker, Kusto, a file's store); the panel asks again when the window is
// changed, on Refresh, and when the source's traces change, at most once per REFRESH_MS.

import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import type { Logger } from '../core/logger';
import { LOCAL_SOURCE_ID, type TraceSource } from '../core/source';
import {
  asSummaryTarget,
  isSummaryPageMessage,
  isSummaryWindowKey,
  summaryWindowOf,
  type SummaryHostMessage,
  type SummaryPageState,
  type SummaryWindowKey,
} from '../protocol/summary';
import { Commands, Views } from './ids';
import type { SourceCatalog } from './sources';
import { buildSummaryHtml } from './summaryHtml';
import { panelOptions, registerPanelSerializer } from './webviewPage';

/**
 * Show Summary: from a source's node (a connection, a file) that source; from a view's title, the local
 * receiver's, or a pick among the sources when more are open. `{ sourceId, window }` names the window too.
 */
export function registerSummaryCommand(
  panels: SummaryPanels,
  sources: { all(): TraceSource[] },
): vscode.Disposable {
  return vscode.commands.registerCommand(Commands.showSummary, async (arg?: unknown) => {
    const given = arg as { sourceId?: unknown; window?: unknown } | undefined;
    const named = typeof arg === 'string' ? arg : given?.sourceId;
    const window = typeof arg === 'object' && isSummaryWindowKey(given?.window) ? given.window : undefined;
    if (typeof named === 'string' && named) return panels.show(named, window);
    const all = sources.all().filter((s) => s.summarize);
    if (all.length <= 1) return panels.show(LOCAL_SOURCE_ID);
    const picked = await vscode.window.showQuickPick(
      all.map((s) => ({ label: s.label, description: s.id === LOCAL_SOURCE_ID ? '' : s.kind, id: s.id })),
      { title: vscode.l10n.t('Show Summary of'), placeHolder: vscode.l10n.t('Pick a source') },
    );
    if (picked) panels.show(picked.id);
  });
}

/** Changes of the source are added up again at most this often. */
const REFRESH_MS = 2000;

interface OpenSummary {
  panel: vscode.WebviewPanel;
  sourceId: string;
  window: SummaryWindowKey;
  state: SummaryPageState;
  /** Bumped per question asked, so an older answer that comes late is dropped. */
  generation: number;
  lastAskedMs: number;
  timer?: ReturnType<typeof setTimeout>;
}

export class SummaryPanels implements vscode.Disposable {
  private readonly panels = new Map<string, OpenSummary>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly sources: SourceCatalog,
    private readonly logger: Logger,
  ) {
    this.disposables.push(
      sources.onDidChangeTraces(({ sourceId }) => {
        const open = this.panels.get(sourceId);
        if (open) this.scheduleRefresh(open);
      }),
      sources.onDidChangeSources(() => {
        for (const open of this.panels.values()) this.scheduleRefresh(open);
      }),
      // A summary open before a window reload comes back with its source and window; a source not open
      // again yet (a connection, a file) says so until it is.
      // A second panel of the same source (two were open in another window's layout) is not restored.
      registerPanelSerializer(
        Views.summaryPanel,
        (state) => {
          const target = asSummaryTarget(state);
          return target && !this.panels.has(target.sourceId) ? target : undefined;
        },
        (panel, target) => this.attach(panel, target.sourceId, target.window),
      ),
    );
  }

  /** Opens (or reveals) the summary of a source; the local receiver's when none is named. */
  show(sourceId: string = LOCAL_SOURCE_ID, window: SummaryWindowKey = '24h'): void {
    const existing = this.panels.get(sourceId);
    if (existing) {
      existing.panel.reveal(undefined, false);
      return;
    }
    const label = this.sources.get(sourceId)?.label ?? sourceId;
    const panel = vscode.window.createWebviewPanel(
      Views.summaryPanel,
      vscode.l10n.t('Summary · {0}', label),
      vscode.ViewColumn.Active,
      this.options(),
    );
    this.attach(panel, sourceId, window);
  }

  private options(): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return panelOptions(this.extensionUri, { find: false, folders: ['dist'] });
  }

  /** A new panel, or one restored after a reload, showing a source's summary. */
  private attach(panel: vscode.WebviewPanel, sourceId: string, window: SummaryWindowKey): void {
    const label = this.sources.get(sourceId)?.label ?? sourceId;
    panel.title = vscode.l10n.t('Summary · {0}', label);
    panel.webview.options = this.options();
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'activity.svg');
    const open: OpenSummary = {
      panel,
      sourceId,
      window,
      state: { sourceId, sourceLabel: label, window, loading: true, builtMs: Date.now() },
      generation: 0,
      lastAskedMs: 0,
    };
    this.panels.set(sourceId, open);
    panel.webview.html = this.html(panel.webview, open.state);
    const subs = [
      panel.webview.onDidReceiveMessage((m: unknown) => this.onMessage(open, m)),
      panel.onDidDispose(() => {
        if (this.panels.get(sourceId) === open) this.panels.delete(sourceId);
        if (open.timer !== undefined) clearTimeout(open.timer);
        open.generation++;
        for (const s of subs) s.dispose();
      }),
    ];
    this.refresh(open);
  }

  /** Source ids with an open summary (for tests). */
  get openSourceIds(): string[] {
    return [...this.panels.keys()];
  }

  /** What the open summary of a source shows once its figures have come (for the API and tests). */
  async stateOf(sourceId: string): Promise<SummaryPageState | undefined> {
    for (;;) {
      const open = this.panels.get(sourceId);
      if (!open || !open.state.loading) return open?.state;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  dispose(): void {
    for (const open of [...this.panels.values()]) open.panel.dispose();
    this.panels.clear();
    for (const d of this.disposables) d.dispose();
  }

  private onMessage(open: OpenSummary, message: unknown): void {
    if (!isSummaryPageMessage(message)) return;
    switch (message.type) {
      case 'ready':
        // A page shown again loads its first HTML: bring it up to date.
        this.post(open);
        return;
      case 'setWindow':
        open.window = message.window;
        this.refresh(open);
        return;
      case 'refresh':
        this.refresh(open);
        return;
    }
  }

  private scheduleRefresh(open: OpenSummary): void {
    if (open.timer !== undefined) return;
    const wait = Math.max(0, open.lastAskedMs + REFRESH_MS - Date.now());
    open.timer = setTimeout(() => {
      open.timer = undefined;
      this.refresh(open);
    }, wait);
  }

  private refresh(open: OpenSummary): void {
    const source = this.sources.get(open.sourceId);
    const generation = ++open.generation;
    open.lastAskedMs = Date.now();
    const base = {
      sourceId: open.sourceId,
      sourceLabel: source?.label ?? open.state.sourceLabel,
      window: open.window,
    };
    if (!source?.summarize) {
      open.state = {
        ...base,
        error: source
          ? vscode.l10n.t('This source cannot add up its calls.')
          : vscode.l10n.t('This source is no longer open.'),
        builtMs: Date.now(),
      };
      this.post(open);
      return;
    }
    // A panel restored before its source was open again is named after it once it is.
    open.panel.title = vscode.l10n.t('Summary · {0}', source.label);
    // The figures shown stay until the new ones come, so the page does not flicker on each change.
    open.state = { ...open.state, ...base, loading: true };
    delete open.state.error;
    this.post(open);
    source.summarize(summaryWindowOf(open.window, Date.now())).then(
      (summary) => {
        if (generation !== open.generation) return;
        open.state = { ...base, summary, builtMs: Date.now() };
        this.post(open);
      },
      (err: unknown) => {
        if (generation !== open.generation) return;
        const message = err instanceof Error ? err.message : String(err);
        this.logger.warn(`summary of ${open.sourceId} failed: ${message}`);
        open.state = {
          ...base,
          error: vscode.l10n.t('Could not add up the calls: {0}', message),
          builtMs: Date.now(),
        };
        this.post(open);
      },
    );
  }

  private post(open: OpenSummary): void {
    const message: SummaryHostMessage = { type: 'state', state: open.state };
    void open.panel.webview.postMessage(message);
  }

  private html(webview: vscode.Webview, state: SummaryPageState): string {
    const dist = vscode.Uri.joinPath(this.extensionUri, 'dist');
    return buildSummaryHtml({
      cspSource: webview.cspSource,
      nonce: randomBytes(18).toString('base64url'),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'summary.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'summary.css')).toString(),
      initialState: state,
      title: vscode.l10n.t('Summary · {0}', state.sourceLabel),
    });
  }
}
