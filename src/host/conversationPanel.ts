// Conversation panels: a webview panel per open trace (of any source), kept in step with its source's store,
// restored after a window reload by a serializer that saves only the ids (source, trace, span) and reads
// the trace again: from the store, or, for a cloud source, by fetching it. A trace opened from the sidebar
// goes to the preview tab, as a file clicked in the Explorer does: the tab it opened last the same way
// shows it instead, its page kept (no new webview, which takes the editor the best part of a second),
// until that tab is kept open.

import * as vscode from 'vscode';
import type { Logger } from '../core/logger';
import { LOCAL_SOURCE_ID } from '../core/source';
import type { PanelStateOptions, TraceReader, TraceSource } from '../core/source';
import {
  encodeState,
  isWebviewMessage,
  WINDOWED_CALLS,
  type ConversationState,
  type ConversationTarget,
  type HostMessage,
} from '../protocol/conversation';
import {
  buildCallCards,
  buildConversationState,
  buildPanelState,
  buildSpanDetails,
  fullDimensionValue,
  type SourceContext,
} from '../views/conversationViewModel';
import { conversationMarkdown } from './conversationMarkdown';
import { ContextKeys, Views } from './ids';
import { PanelSync } from './panelSync';
import type { SourceCatalog } from './sources';
import { spanOf } from './treeModel';
import { copyText, openTracedLink, pageHtml, panelOptions, registerPanelSerializer } from './webviewPage';

interface OpenPanel {
  panel: vscode.WebviewPanel;
  target: ConversationTarget;
  /** Whether the page's HTML is stale: the state travels once, in the HTML, unless it changed since. */
  sync: PanelSync;
  /** A cloud trace's rows are being fetched, or could not be. */
  loading?: boolean;
  loadError?: string;
  /** The HTML is set: a local panel waits for its trace (a few milliseconds) before its first paint. */
  painted?: boolean;
  /**
   * A big local trace is being read: the engine builds its first state, then the trace comes whole. The
   * page was painted meanwhile ("reading"); its state follows.
   */
  reading?: boolean;
  /** Settles once a big trace read is whole (or failed): what the page asks for meanwhile waits for it. */
  whole?: Promise<void>;
  /**
   * A state built from the whole trace must follow once it is read: the trace or the settings changed
   * while it was read, or the page was given a "reading" state (it loaded its HTML again meanwhile).
   */
  followWhole?: boolean;
  /** The HTML says "reading": set it again with the trace once the page is hidden, for its next showing. */
  placeholderHtml?: boolean;
  /**
   * A big trace's first state, built by the engine (UTF-8 JSON) while the editor still creates the webview:
   * posted as it comes to a page that listens, else when the page says `ready`.
   */
  prebuilt?: Uint8Array;
  /** Called once the first state's bytes are posted or dropped: the whole trace is read after them. */
  prebuiltGone?: () => void;
  /** The engine is building the first state: the page gets its bytes, with no state to follow them. */
  building?: boolean;
  /** The preview tab: the next trace opened from the sidebar replaces this one in it, page and all. */
  preview?: boolean;
  /** The page's HTML was built for the trace this tab showed before: it is set again before a reload. */
  htmlStale?: boolean;
}

/** How a trace is opened: in the preview tab (the sidebar's click) or in a tab of its own that stays. */
export interface ShowOptions {
  /** Default true; the setting `view.previewConversations` turned off makes every tab stay. */
  preview?: boolean;
}

function dropPrebuilt(entry: OpenPanel): void {
  entry.prebuilt = undefined;
  entry.prebuiltGone?.();
}

/** Settles when the first state's bytes are posted (or dropped), or after a second whatever happens. */
function untilSent(entry: OpenPanel): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      if (entry.prebuiltGone === done) entry.prebuiltGone = undefined;
      resolve();
    };
    const timer = setTimeout(done, 1000);
    entry.prebuiltGone = done;
  });
}

/**
 * A local trace this big is not waited for before the panel's HTML is set: the engine builds its first
 * state (about 0.2 s for 10,000 spans) while the editor creates the webview, which takes longer. A smaller
 * one arrives in milliseconds, and paints whole with no message after.
 */
const PAINT_BEFORE_READING = { spans: 2_000, calls: WINDOWED_CALLS };

export class ConversationPanels implements vscode.Disposable {
  /** Keyed by source and trace: the same trace id may come from two sources. */
  private readonly panels = new Map<string, OpenPanel>();
  /** What each tab shows now: a preview tab's page moves on to the next trace. */
  private readonly byPanel = new Map<vscode.WebviewPanel, OpenPanel>();
  private readonly disposables: vscode.Disposable[] = [];
  /** The context key's value last set: whether the tab in front is the preview (Keep Open shows). */
  private previewInFront = false;
  private previewEnabled = true;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly sources: SourceCatalog,
    private readonly logger: Logger,
    private readonly onRevealSpan: (target: ConversationTarget & { spanId: string }) => void,
    /** `view.maxAttributeLength`: longer attribute and dimension values reach the page cut. */
    private maxAttributeLength: number,
  ) {
    this.disposables.push(
      sources.onDidChangeTraces(({ sourceId, change }) => {
        for (const open of this.panels.values()) {
          if ((open.target.sourceId ?? LOCAL_SOURCE_ID) !== sourceId) continue;
          const traceId = open.target.traceId;
          if (change.cleared || change.changed.includes(traceId) || change.removed.includes(traceId)) {
            // A cloud list refreshed under an open panel, or its trace evicted: fetch it whole again.
            this.refresh(open);
          }
        }
      }),
      // A connection removed, rebuilt or added again: its panels say so, or fetch their trace anew.
      sources.onDidChangeSources(() => {
        for (const open of this.panels.values()) {
          if (!open.target.sourceId) continue;
          this.refresh(open);
        }
      }),
      registerPanelSerializer(Views.conversationPanel, asTarget, (panel, target) =>
        this.attach(panel, target),
      ),
    );
  }

  /**
   * Opens (or reveals) the panel of a trace, focused on one LLM call when a span id is given: in the
   * preview tab, reusing its page, unless told otherwise or that tab was kept open.
   */
  show(target: ConversationTarget, options: ShowOptions = {}): void {
    const normalized = normalizeTarget(target);
    const preview = this.previewEnabled && options.preview !== false;
    const open = this.panels.get(keyOf(normalized));
    if (open) {
      if (!preview) this.keep(open);
      open.target = normalized;
      open.panel.reveal(undefined, false);
      this.refresh(open);
      // The same call again brings it into view even if the user had put another one in focus.
      if (normalized.spanId !== undefined && open.panel.visible) {
        const focus: HostMessage = { type: 'focus', spanId: normalized.spanId };
        void open.panel.webview.postMessage(focus);
      }
      return;
    }
    const reused = preview ? this.previewEntry() : undefined;
    // Only a page on screen that has its HTML is kept: one in the background is made again when shown
    // anyway, so the preview tab is closed and the trace opens in a new one, as it would at first.
    if (reused && reused.painted && reused.panel.visible) {
      this.retarget(reused, normalized);
      return;
    }
    reused?.panel.dispose();
    const panel = vscode.window.createWebviewPanel(
      Views.conversationPanel,
      this.title(normalized),
      vscode.ViewColumn.Active,
      this.options(),
    );
    this.attach(panel, normalized, preview);
  }

  /** Keep Open: the tab in front (or the one of a target) stays when the next trace is opened. */
  keepOpen(target?: ConversationTarget): boolean {
    const entry = target
      ? this.panels.get(keyOf(normalizeTarget(target)))
      : [...this.byPanel.values()].find((e) => e.panel.active);
    if (!entry) return false;
    this.keep(entry);
    return true;
  }

  /** `view.previewConversations`: off, every trace opens in a tab of its own (the preview tab stays). */
  setPreviewEnabled(on: boolean): void {
    this.previewEnabled = on;
    if (on) return;
    for (const entry of this.byPanel.values()) entry.preview = false;
    this.updatePreviewContext();
  }

  /** The trace the preview tab shows (`sourceId|traceId` for a connection's), if there is that tab. */
  get previewTraceId(): string | undefined {
    const entry = this.previewEntry();
    return entry && idOf(entry.target);
  }

  /** The preview tab: at most one, since a new one is made only when there is none (or it was closed). */
  private previewEntry(): OpenPanel | undefined {
    for (const entry of this.byPanel.values()) if (entry.preview) return entry;
    return undefined;
  }

  private keep(entry: OpenPanel): void {
    if (!entry.preview) return;
    entry.preview = false;
    this.updatePreviewContext();
  }

  /**
   * The preview tab shows another trace: its page stays and is posted the new state (a big trace's as the
   * engine builds it, after a "reading" state at once), so no webview is created. What is still under way
   * for the trace it showed sees it gone, as for a closed panel.
   */
  private retarget(old: OpenPanel, target: ConversationTarget): void {
    dropPrebuilt(old);
    if (this.panels.get(keyOf(old.target)) === old) this.panels.delete(keyOf(old.target));
    const entry: OpenPanel = {
      panel: old.panel,
      target,
      sync: old.sync,
      preview: true,
      painted: true,
      htmlStale: true,
    };
    this.panels.set(keyOf(target), entry);
    this.byPanel.set(entry.panel, entry);
    entry.panel.title = this.title(target);
    entry.panel.reveal(undefined, false);
    this.load(entry, true);
    if (this.isWhole(entry) || entry.loading || entry.reading) this.post(entry);
    this.updatePreviewContext();
  }

  private updatePreviewContext(): void {
    const inFront = [...this.byPanel.values()].some((e) => e.preview && e.panel.active);
    if (inFront === this.previewInFront) return;
    this.previewInFront = inFront;
    void vscode.commands.executeCommand('setContext', ContextKeys.conversationPreview, inFront);
  }

  /** The setting changed: every open panel shows its values cut anew. */
  setMaxAttributeLength(value: number): void {
    if (value === this.maxAttributeLength) return;
    this.maxAttributeLength = value;
    for (const open of this.panels.values()) {
      if (open.reading) {
        open.followWhole = true;
        continue;
      }
      dropPrebuilt(open);
      this.post(open);
    }
  }

  /** Open panels as `sourceId|traceId` (the local source's as the bare trace id). */
  get openTraceIds(): string[] {
    return [...this.panels.values()].map((p) => idOf(p.target));
  }

  /** What the panel in front shows (its source, trace and call in focus), for commands run from it. */
  activeTarget(): ConversationTarget | undefined {
    for (const open of this.panels.values()) if (open.panel.active) return { ...open.target };
    return undefined;
  }

  dispose(): void {
    for (const panel of this.byPanel.keys()) panel.dispose();
    this.panels.clear();
    this.byPanel.clear();
    for (const d of this.disposables) d.dispose();
  }

  private options(): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return panelOptions(this.extensionUri);
  }

  /** A new tab (or one restored after a reload, which stays: it is not the preview). */
  private attach(panel: vscode.WebviewPanel, target: ConversationTarget, preview = false): void {
    const key = keyOf(target);
    this.panels.get(key)?.panel.dispose();
    const entry: OpenPanel = { panel, target, sync: new PanelSync() };
    if (preview) entry.preview = true;
    this.panels.set(key, entry);
    this.byPanel.set(panel, entry);
    panel.webview.options = this.options();
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'activity.svg');
    panel.title = this.title(target);
    // What the tab shows now: a preview tab's page moves on to other traces.
    const current = (): OpenPanel | undefined => this.byPanel.get(panel);
    const subs: vscode.Disposable[] = [
      panel.webview.onDidReceiveMessage((message: unknown) => {
        const now = current();
        if (now) void this.onMessage(now, message);
      }),
      panel.onDidChangeViewState(() => {
        const now = current();
        if (now && !panel.visible) this.hidden(now);
        this.updatePreviewContext();
      }),
      panel.onDidDispose(() => {
        const now = current();
        if (now && this.panels.get(keyOf(now.target)) === now) this.panels.delete(keyOf(now.target));
        this.byPanel.delete(panel);
        for (const s of subs) s.dispose();
        this.updatePreviewContext();
      }),
    ];
    this.load(entry);
    if (this.isWhole(entry) || entry.loading || entry.reading) this.paint(entry);
    this.updatePreviewContext();
  }

  /**
   * A hidden page is torn down and loads its HTML again when shown: that HTML must hold the trace it shows
   * now (or say it is being read, with the trace's state to follow).
   */
  private hidden(entry: OpenPanel): void {
    if (entry.reading) {
      if (!entry.htmlStale) return;
      entry.followWhole = true;
      this.paint(entry);
      return;
    }
    if (entry.placeholderHtml || entry.htmlStale) this.paint(entry);
  }

  private paint(entry: OpenPanel): void {
    if (!this.isOpen(entry)) return;
    entry.panel.title = this.title(entry.target);
    dropPrebuilt(entry);
    entry.painted = true;
    entry.htmlStale = false;
    entry.placeholderHtml = entry.reading === true;
    entry.panel.webview.html = this.html(entry.panel.webview, entry);
  }

  /** Shows the trace as it is now, bringing it whole first when it is not. */
  private refresh(entry: OpenPanel): void {
    if (entry.reading) {
      // Its first state (if it has not gone yet) still goes; the whole trace's follows.
      entry.followWhole = true;
      return;
    }
    dropPrebuilt(entry);
    if (this.isWhole(entry)) {
      this.post(entry);
      return;
    }
    this.load(entry);
    // A cloud trace says it is being fetched meanwhile; a local one arrives before anyone would notice.
    if (entry.loading) this.post(entry);
  }

  /** Whether the panel's trace is whole in its source (or there is nothing to fetch). */
  private isWhole(entry: OpenPanel): boolean {
    const source = this.sources.get(entry.target.sourceId);
    return !source || entry.loading === true || source.isComplete(entry.target.traceId);
  }

  /**
   * A trace is brought whole before it is shown: a cloud one fetched (the panel says so meanwhile), a local
   * one asked of the ingest engine.
   */
  private load(entry: OpenPanel, reused = false): void {
    const source = this.sources.get(entry.target.sourceId);
    if (!source || entry.loading || entry.reading || source.isComplete(entry.target.traceId)) return;
    const local = source.id === LOCAL_SOURCE_ID;
    if (!local) entry.loading = true;
    else if ((!entry.painted || reused) && source.panelState) {
      const summary = source.store.summary(entry.target.traceId);
      if (
        summary !== undefined &&
        (summary.spanCount > PAINT_BEFORE_READING.spans || summary.llmCallCount > PAINT_BEFORE_READING.calls)
      ) {
        this.readBig(entry, source, source.panelState.bind(source));
        return;
      }
    }
    delete entry.loadError;
    source.loadTrace(entry.target.traceId).then(
      () => {
        entry.loading = false;
        if (!entry.painted) this.paint(entry);
        else this.post(entry);
      },
      (err: unknown) => this.failed(entry, err),
    );
  }

  /**
   * A big local trace: the engine builds its first state where the trace is, which goes to the page as
   * it comes (or when the page listens), while the editor still creates the webview; the trace itself
   * comes whole after it, for what the page asks next (cards, span details) and for later changes. Its
   * thousands of spans cross to this thread, and are read here, only once that state has gone to the page.
   */
  private readBig(
    entry: OpenPanel,
    source: TraceSource,
    panelState: NonNullable<TraceSource['panelState']>,
  ): void {
    entry.reading = true;
    entry.building = true;
    delete entry.loadError;
    const { traceId, spanId } = entry.target;
    const options: PanelStateOptions = { maxAttributeLength: this.maxAttributeLength };
    if (spanId !== undefined) options.spanId = spanId;
    entry.whole = panelState(traceId, options)
      .then(
        (json) => {
          entry.building = false;
          // Closed, or its tab moved on to another trace: nothing waits for these bytes.
          if (!this.isOpen(entry)) return;
          if (!json) {
            // Gone from the store meanwhile: the state built from the store says so.
            entry.followWhole = true;
            return;
          }
          entry.prebuilt = json;
          this.post(entry);
          // The spans follow once the bytes have gone: read on this thread while the page's `ready` is
          // on its way, they would hold the bytes back.
          return entry.prebuilt ? untilSent(entry) : undefined;
        },
        (err: unknown) => {
          entry.building = false;
          this.logger.warn(`[panel] the engine could not build trace ${traceId}'s view: ${String(err)}`);
          entry.followWhole = true;
        },
      )
      // A panel closed meanwhile needs the trace no more.
      .then(() => (this.isOpen(entry) ? source.loadTrace(traceId) : undefined))
      .then(
        () => {
          if (!this.isOpen(entry)) return;
          entry.reading = false;
          // A page hidden meanwhile loads its HTML when shown again: that HTML must hold the trace.
          if (entry.placeholderHtml && !entry.panel.visible) {
            entry.followWhole = false;
            return this.paint(entry);
          }
          if (!entry.followWhole) return;
          entry.followWhole = false;
          dropPrebuilt(entry);
          this.post(entry);
        },
        (err: unknown) => this.failed(entry, err),
      )
      // Never a rejection: what the page asks meanwhile waits for this.
      .catch((err: unknown) => this.logger.error(err instanceof Error ? err : String(err)));
  }

  /** Whether the panel is still open (not closed, nor replaced by a newer one for its trace). */
  private isOpen(entry: OpenPanel): boolean {
    return this.panels.get(keyOf(entry.target)) === entry;
  }

  private failed(entry: OpenPanel, err: unknown): void {
    if (!this.isOpen(entry)) return;
    entry.loading = false;
    entry.reading = false;
    entry.building = false;
    entry.followWhole = false;
    dropPrebuilt(entry);
    const e = err as { message?: string; action?: string };
    entry.loadError = [e?.message ?? String(err), e?.action].filter(Boolean).join(' ');
    this.logger.warn(`[panel] could not fetch trace ${entry.target.traceId}: ${entry.loadError}`);
    if (entry.painted) this.post(entry);
    else this.paint(entry);
  }

  private state(entry: OpenPanel): ConversationState {
    const source = this.sources.get(entry.target.sourceId);
    const trace = source?.store.getTrace(entry.target.traceId);
    const context: SourceContext = {};
    if (entry.target.sourceId) {
      context.sourceLabel = source
        ? vscode.l10n.t('Application Insights · {0}', source.label)
        : vscode.l10n.t('Application Insights (a connection that no longer exists)');
      const note = source?.noteFor(entry.target.traceId);
      if (note) context.notes = [note];
      if (!source) context.loadError = vscode.l10n.t('The connection this trace came from was removed.');
    }
    if (entry.loading || entry.reading) context.loading = true;
    if (entry.loadError) context.loadError = entry.loadError;
    // While a big local trace is read, the store may hold its outline (no messages): show neither.
    return buildPanelState(
      entry.reading ? undefined : trace,
      entry.target,
      Date.now(),
      context,
      this.maxAttributeLength,
    );
  }

  private html(webview: vscode.Webview, entry: OpenPanel): string {
    const html = pageHtml(webview, this.extensionUri, {
      script: 'webview.js',
      styles: ['conversation.css'],
      initialState: this.state(entry),
      title: this.title(entry.target),
    });
    entry.sync.htmlBuilt();
    return html;
  }

  private post(entry: OpenPanel): void {
    if (!this.isOpen(entry)) return;
    entry.panel.title = this.title(entry.target);
    // A page still loading says `ready` when it can listen, and gets the state then (once, not twice).
    if (!entry.sync.changed(entry.panel.visible)) return;
    // A "reading" state: the trace's must follow, unless the engine's bytes are still to come.
    if (!entry.prebuilt && entry.reading && !entry.building) entry.followWhole = true;
    const message: HostMessage = { type: 'state', json: entry.prebuilt ?? encodeState(this.state(entry)) };
    dropPrebuilt(entry);
    void entry.panel.webview.postMessage(message);
  }

  private async onMessage(entry: OpenPanel, message: unknown): Promise<void> {
    if (!isWebviewMessage(message)) {
      this.logger.warn('[panel] ignored a malformed message from the webview');
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
      case 'copyMarkdown': {
        const source = this.sources.get(entry.target.sourceId);
        if (!source) return;
        const target: ConversationTarget = { traceId: entry.target.traceId };
        if (message.spanId !== undefined) target.spanId = message.spanId;
        await source.loadTrace(target.traceId);
        await copyAsMarkdown(source.store, target);
        return;
      }
      case 'fullValue': {
        // Answered from the store, whatever the page says it showed: the page only names the row.
        await entry.whole;
        const trace = this.sources.get(entry.target.sourceId)?.store.getTrace(entry.target.traceId);
        const span = trace && spanOf(trace, message.spanId);
        const reply: HostMessage = { type: 'fullValue', requestId: message.requestId };
        const value = trace && span ? fullDimensionValue(trace, span, message.key, message.from) : undefined;
        if (value !== undefined) reply.value = value;
        void entry.panel.webview.postMessage(reply);
        return;
      }
      case 'spanDetails': {
        await entry.whole;
        const trace = this.sources.get(entry.target.sourceId)?.store.getTrace(entry.target.traceId);
        const span = trace && spanOf(trace, message.spanId);
        const reply: HostMessage = { type: 'spanDetails', requestId: message.requestId };
        if (span) reply.details = buildSpanDetails(span, { maxAttributeLength: this.maxAttributeLength });
        void entry.panel.webview.postMessage(reply);
        return;
      }
      case 'callCards': {
        // A windowed page's cards near its screen, built from the trace as it is now.
        await entry.whole;
        const trace = this.sources.get(entry.target.sourceId)?.store.getTrace(entry.target.traceId);
        const reply: HostMessage = { type: 'callCards', requestId: message.requestId };
        if (trace)
          reply.calls = buildCallCards(trace, message.spanIds, {
            maxAttributeLength: this.maxAttributeLength,
          });
        void entry.panel.webview.postMessage(reply);
        return;
      }
      case 'revealSpan': {
        const target: ConversationTarget & { spanId: string } = {
          traceId: message.traceId,
          spanId: message.spanId,
        };
        if (entry.target.sourceId) target.sourceId = entry.target.sourceId;
        this.onRevealSpan(target);
        return;
      }
    }
  }

  /** The trace's name and model; its summary's while the trace itself is still being read (a restore). */
  private title(target: ConversationTarget): string {
    const store = this.sources.get(target.sourceId)?.store;
    const trace = store?.getTrace(target.traceId);
    const summary = trace?.summary ?? store?.summary(target.traceId);
    if (!summary) return vscode.l10n.t('Trace {0}', target.traceId.slice(0, 8));
    const span = trace && target.spanId ? spanOf(trace, target.spanId) : undefined;
    const model = span?.llm?.responseModel ?? span?.llm?.requestModel ?? summary.models[0];
    return model ? `${summary.name} · ${model}` : summary.name;
  }
}

/** A panel's trace as the API names it: `sourceId|traceId`, the local source's as the bare trace id. */
function idOf(target: ConversationTarget): string {
  return target.sourceId ? `${target.sourceId}|${target.traceId}` : target.traceId;
}

function keyOf(target: ConversationTarget): string {
  return `${target.sourceId ?? LOCAL_SOURCE_ID}|${target.traceId}`;
}

function normalizeTarget(target: ConversationTarget): ConversationTarget {
  const out: ConversationTarget = { traceId: target.traceId.toLowerCase() };
  if (target.spanId) out.spanId = target.spanId;
  if (target.sourceId && target.sourceId !== LOCAL_SOURCE_ID) out.sourceId = target.sourceId;
  return out;
}

function asTarget(state: unknown): ConversationTarget | undefined {
  if (typeof state !== 'object' || state === null) return undefined;
  const s = state as Record<string, unknown>;
  const t = (typeof s.target === 'object' && s.target !== null ? s.target : s) as Record<string, unknown>;
  if (typeof t.traceId !== 'string' || !/^[0-9a-f]{32}$/i.test(t.traceId)) return undefined;
  const target: ConversationTarget = { traceId: t.traceId };
  if (typeof t.spanId === 'string') target.spanId = t.spanId;
  if (typeof t.sourceId === 'string' && /^appInsights:[\w./:() -]{1,400}$/i.test(t.sourceId))
    target.sourceId = t.sourceId;
  return normalizeTarget(target);
}

/** Copies a trace, or one call of it (with its whole input), as Markdown; says so, or why not. */
export async function copyAsMarkdown(store: TraceReader, target: ConversationTarget): Promise<void> {
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
