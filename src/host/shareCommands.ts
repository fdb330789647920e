// Files and sharing: export a trace or a session as OTLP JSON, open OTLP files, compare two calls or two
// turns, open a call's request or response as JSON, and links that open a trace or a session. Each
// command takes a tree node of any view, a target ({ traceId, spanId?, sourceId? }) from scripts, or
// nothing: then it acts on the conversation panel in front.

import * as vscode from 'vscode';
import type { Span } from '../core/model';
import type { TraceSource } from '../core/source';
import { otlpJsonLines } from '../otlp/jsonWriter';
import type { ConversationTarget } from '../protocol/conversation';
import type { CallDocumentRef } from './callJson';
import type { CallDocuments } from './callDocuments';
import type { ConversationPanels } from './conversationPanel';
import type { FileSources } from './fileSources';
import { Commands, EXTENSION_ID, Views } from './ids';
import { formatLink, LinkError, parseLink, type Link } from './links';
import type { SourceCatalog } from './sources';

export interface ShareDeps {
  sources: SourceCatalog;
  files: FileSources;
  panels: ConversationPanels;
  documents: CallDocuments;
  log: vscode.LogOutputChannel;
}

const APP_INSIGHTS_PREFIX = 'appInsights:';
const COMPARE_SELECTED = 'llmTraceInspector.compareSelected';
const TRACE_ID = /^[0-9a-f]{32}$/i;

/** What a command was given: a node or a target, or the panel in front. */
interface Picked {
  sourceId?: string;
  traceId?: string;
  spanId?: string;
  sessionId?: string;
}

function picked(arg: unknown, panels: ConversationPanels): Picked | undefined {
  if (typeof arg === 'string' && TRACE_ID.test(arg)) return { traceId: arg.toLowerCase() };
  if (typeof arg === 'object' && arg !== null && !(arg instanceof vscode.Uri)) {
    const a = arg as Record<string, unknown>;
    const out: Picked = {};
    if (typeof a.sourceId === 'string' && a.sourceId) out.sourceId = a.sourceId;
    if (typeof a.traceId === 'string' && TRACE_ID.test(a.traceId)) out.traceId = a.traceId.toLowerCase();
    if (typeof a.spanId === 'string' && a.kind !== 'trace') out.spanId = a.spanId.toLowerCase();
    if (typeof a.sessionId === 'string' && a.sessionId) out.sessionId = a.sessionId;
    return out.traceId || out.sessionId ? out : undefined;
  }
  const active: ConversationTarget | undefined = panels.activeTarget();
  return active ? { ...active } : undefined;
}

export function registerShareCommands(deps: ShareDeps): vscode.Disposable[] {
  const { sources, files, panels, documents } = deps;
  let selected: { ref: CallDocumentRef; label: string } | undefined;
  const reg = (id: string, fn: (...args: never[]) => unknown) => vscode.commands.registerCommand(id, fn);

  const sourceOf = (p: Picked): TraceSource | undefined => {
    const source = sources.get(p.sourceId);
    if (!source)
      void vscode.window.showWarningMessage(
        vscode.l10n.t('The source of this trace is gone (a connection removed or a file closed).'),
      );
    return source;
  };
  const nothingPicked = (): undefined => {
    void vscode.window.showInformationMessage(
      vscode.l10n.t('Pick a trace or an LLM call in the sidebar, or open its conversation, first.'),
    );
    return undefined;
  };

  /** The call a command about one call acts on: the one given, or the trace's first LLM call. */
  async function callOf(p: Picked, source: TraceSource): Promise<Span | undefined> {
    if (!p.traceId) return undefined;
    await source.loadTrace(p.traceId);
    const trace = source.store.getTrace(p.traceId);
    const span = p.spanId ? trace?.spans.find((s) => s.spanId === p.spanId) : trace?.spans.find((s) => s.llm);
    if (!span?.llm) {
      void vscode.window.showInformationMessage(vscode.l10n.t('This span is not an LLM call.'));
      return undefined;
    }
    return span;
  }

  async function save(text: string, suggested: string, saveTo: unknown): Promise<vscode.Uri | undefined> {
    let target =
      saveTo instanceof vscode.Uri
        ? saveTo
        : typeof saveTo === 'string'
          ? vscode.Uri.parse(saveTo)
          : undefined;
    if (!target) {
      const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
      target = await vscode.window.showSaveDialog({
        title: vscode.l10n.t('Export as OTLP JSON'),
        saveLabel: vscode.l10n.t('Export'),
        filters: { [vscode.l10n.t('OTLP JSON lines')]: ['jsonl', 'json'] },
        ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, suggested) } : {}),
      });
    }
    if (!target) return undefined;
    await vscode.workspace.fs.writeFile(target, Buffer.from(text, 'utf8'));
    return target;
  }

  async function exportTraces(
    source: TraceSource,
    traceIds: string[],
    what: string,
    suggested: string,
    saveTo: unknown,
  ): Promise<string | undefined> {
    const batch = await source.records(traceIds);
    if (batch.spans.length === 0) {
      void vscode.window.showWarningMessage(
        vscode.l10n.t('{0} is no longer in {1}: nothing to export.', what, source.label),
      );
      return undefined;
    }
    const written = await save(otlpJsonLines(batch), suggested, saveTo);
    if (!written) return undefined;
    deps.log.info(
      `[export] ${what}: ${traceIds.length} traces, ${batch.spans.length} spans, ${batch.logs.length} log records to ${written.toString()}`,
    );
    vscode.window.setStatusBarMessage(
      vscode.l10n.t(
        'Exported {0} ({1} spans, {2} log records)',
        what,
        String(batch.spans.length),
        String(batch.logs.length),
      ),
      4000,
    );
    return written.toString();
  }

  function refOf(p: Picked): CallDocumentRef | undefined {
    if (!p.traceId) return undefined;
    const ref: CallDocumentRef = { traceId: p.traceId, part: p.spanId ? 'call' : 'turn' };
    if (p.spanId) ref.spanId = p.spanId;
    if (p.sourceId) ref.sourceId = p.sourceId;
    return ref;
  }

  async function openPart(arg: unknown, part: 'request' | 'response'): Promise<string | undefined> {
    const p = picked(arg, panels);
    if (!p?.traceId) return nothingPicked();
    const source = sourceOf(p);
    if (!source) return undefined;
    const span = await callOf(p, source);
    if (!span) return undefined;
    const ref: CallDocumentRef = { traceId: p.traceId, spanId: span.spanId, part };
    if (p.sourceId) ref.sourceId = p.sourceId;
    const editor = await documents.open(ref);
    return editor.document.uri.toString();
  }

  async function openLink(given: unknown): Promise<boolean> {
    let text = typeof given === 'string' ? given : given instanceof vscode.Uri ? given.toString() : undefined;
    text ??= await vscode.window.showInputBox({
      title: vscode.l10n.t('Open Link'),
      prompt: vscode.l10n.t('Paste a link to a trace or a session that LLM Trace Inspector copied'),
      ignoreFocusOut: true,
    });
    if (!text) return false;
    let link: Link;
    try {
      const uri = vscode.Uri.parse(text.trim(), true);
      if (uri.authority.toLowerCase() !== EXTENSION_ID)
        throw new LinkError('the link is not for LLM Trace Inspector');
      link = parseLink(uri.path, uri.query);
    } catch (err) {
      const reason = err instanceof LinkError ? err.message : vscode.l10n.t('it is not a valid URI');
      void vscode.window.showErrorMessage(vscode.l10n.t('This link cannot be opened: {0}.', reason));
      return false;
    }
    return openParsed(link);
  }

  async function openParsed(link: Link): Promise<boolean> {
    let source: TraceSource | undefined;
    if (link.connection) {
      source = sources.get(`${APP_INSIGHTS_PREFIX}${link.connection}`);
      if (!source) {
        const connect = vscode.l10n.t('Connect to Application Insights…');
        void vscode.window
          .showErrorMessage(
            vscode.l10n.t(
              'The link names the Application Insights connection {0}, which this window does not have. Connect to it, then open the link again.',
              link.connection,
            ),
            connect,
          )
          .then((pick) =>
            pick === connect ? vscode.commands.executeCommand(Commands.appInsightsConnect) : undefined,
          );
        return false;
      }
    }
    if (link.kind === 'session') {
      const found = (await vscode.commands.executeCommand(
        Commands.findBySession,
        link.sessionId,
      )) as unknown[];
      return Array.isArray(found) && found.length > 0;
    }
    const traceId = link.traceId;
    if (source) {
      try {
        await source.loadTrace(traceId);
      } catch (err) {
        void vscode.window.showErrorMessage(
          vscode.l10n.t(
            'Trace {0} could not be fetched from {1}: {2}',
            traceId,
            source.label,
            err instanceof Error ? err.message : String(err),
          ),
        );
        return false;
      }
    } else {
      // A link without a connection: the local traces first, then every opened file.
      for (const candidate of sources.all().filter((s) => !s.id.startsWith(APP_INSIGHTS_PREFIX))) {
        await candidate.loadTrace(traceId).catch(() => undefined);
        if (candidate.store.has(traceId)) {
          source = candidate;
          break;
        }
      }
    }
    if (!source?.store.has(traceId)) {
      void vscode.window.showWarningMessage(
        source
          ? vscode.l10n.t('Trace {0} was not found in {1}.', traceId, source.label)
          : vscode.l10n.t(
              'Trace {0} is not among the local traces or the open files. Open the file that holds it, or send the trace again.',
              traceId,
            ),
      );
      return false;
    }
    const target: ConversationTarget = { traceId };
    if (source.id !== sources.get(undefined)?.id) target.sourceId = source.id;
    // A link names one trace to look at: a tab of its own, which stays.
    panels.show(target, { preview: false });
    return true;
  }

  return [
    vscode.window.registerUriHandler({ handleUri: (uri) => void openLink(uri) }),
    reg(Commands.openLink, (arg?: unknown) => openLink(arg)),
    reg(Commands.openFile, async (arg?: unknown) => {
      let uris: vscode.Uri[] | undefined =
        arg instanceof vscode.Uri
          ? [arg]
          : typeof arg === 'string'
            ? [vscode.Uri.parse(arg)]
            : Array.isArray(arg)
              ? arg.filter((u): u is vscode.Uri => u instanceof vscode.Uri)
              : undefined;
      uris ??= await vscode.window.showOpenDialog({
        title: vscode.l10n.t('Open OTLP File'),
        openLabel: vscode.l10n.t('Open'),
        canSelectMany: true,
        filters: {
          [vscode.l10n.t('OTLP JSON')]: ['json', 'jsonl', 'ndjson'],
          [vscode.l10n.t('All files')]: ['*'],
        },
      });
      const opened: string[] = [];
      for (const uri of uris ?? []) {
        const source = await files.open(uri);
        if (source) opened.push(source.id);
      }
      if (opened.length) await vscode.commands.executeCommand(`${Views.files}.focus`);
      return opened;
    }),
    reg(Commands.closeFile, (arg?: unknown) => {
      const id = typeof arg === 'string' ? arg : (arg as { sourceId?: unknown } | undefined)?.sourceId;
      if (typeof id === 'string') files.close(id);
    }),
    reg(Commands.exportTrace, async (arg?: unknown, saveTo?: unknown) => {
      const p = picked(arg, panels);
      if (!p?.traceId) return nothingPicked();
      const source = sourceOf(p);
      if (!source) return undefined;
      return exportTraces(
        source,
        [p.traceId],
        vscode.l10n.t('Trace {0}', p.traceId),
        `trace-${p.traceId.slice(0, 8)}.jsonl`,
        saveTo,
      );
    }),
    reg(Commands.exportSession, async (arg?: unknown, saveTo?: unknown) => {
      const p = picked(arg, panels);
      if (!p) return nothingPicked();
      const source = sourceOf(p);
      if (!source) return undefined;
      const sessionId = p.sessionId ?? (p.traceId ? source.store.summary(p.traceId)?.sessionId : undefined);
      if (!sessionId) {
        void vscode.window.showInformationMessage(vscode.l10n.t('This trace belongs to no session.'));
        return undefined;
      }
      const traces = await source.find('session', sessionId);
      const safe = sessionId.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 60);
      return exportTraces(
        source,
        traces.map((t) => t.traceId),
        vscode.l10n.t('Session {0}', sessionId),
        `session-${safe}.jsonl`,
        saveTo,
      );
    }),
    reg(Commands.openRequest, (arg?: unknown) => openPart(arg, 'request')),
    reg(Commands.openResponse, (arg?: unknown) => openPart(arg, 'response')),
    reg(Commands.selectForCompare, async (arg?: unknown) => {
      const p = picked(arg, panels);
      const ref = p && refOf(p);
      if (!ref) return nothingPicked();
      const uri = await documents.uriFor(ref);
      selected = { ref, label: uri.path.replace(/^\//, '').replace(/\.json$/, '') };
      await vscode.commands.executeCommand('setContext', COMPARE_SELECTED, true);
      vscode.window.setStatusBarMessage(vscode.l10n.t('Selected {0} for compare', selected.label), 4000);
      return uri.toString();
    }),
    reg(Commands.compareWithSelected, async (arg?: unknown) => {
      const p = picked(arg, panels);
      const ref = p && refOf(p);
      if (!ref) return nothingPicked();
      if (!selected) {
        void vscode.window.showInformationMessage(
          vscode.l10n.t(
            'Choose Select for Compare on a call or a trace first, then Compare with Selected on another.',
          ),
        );
        return undefined;
      }
      const left = await documents.uriFor(selected.ref);
      const right = await documents.uriFor(ref);
      const title = vscode.l10n.t(
        '{0} ↔ {1}',
        selected.label,
        right.path.replace(/^\//, '').replace(/\.json$/, ''),
      );
      await vscode.commands.executeCommand('vscode.diff', left, right, title, { preview: false });
      return [left.toString(), right.toString()];
    }),
    reg(Commands.copyLink, async (arg?: unknown) => {
      const p = picked(arg, panels);
      if (!p) return nothingPicked();
      const connection = p.sourceId?.startsWith(APP_INSIGHTS_PREFIX)
        ? p.sourceId.slice(APP_INSIGHTS_PREFIX.length)
        : undefined;
      const base =
        p.sessionId && !p.traceId
          ? { kind: 'session' as const, sessionId: p.sessionId }
          : { kind: 'trace' as const, traceId: p.traceId! };
      const link = formatLink(
        vscode.env.uriScheme,
        EXTENSION_ID,
        connection ? { ...base, connection } : base,
      );
      await vscode.env.clipboard.writeText(link);
      vscode.window.setStatusBarMessage(
        p.sourceId?.startsWith('file:')
          ? vscode.l10n.t('Copied a link: it opens where the file is open, or the trace was received')
          : vscode.l10n.t('Copied {0}', link),
        4000,
      );
      return link;
    }),
  ];
}
