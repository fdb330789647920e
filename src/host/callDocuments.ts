// Read-only documents of what an LLM call sent and got back (callJson.ts writes them), under a scheme of
// their own: Open Request / Open Response show one in an editor tab, Compare puts two side by side in VS
// Code's diff editor. The URI says which source, trace, call and part; the text is read from the source's
// store when VS Code asks, and again when the trace changes.

import * as vscode from 'vscode';
import type { TraceSummary } from '../core/model';
import {
  callDocumentQuery,
  callDocumentText,
  parseCallDocumentQuery,
  type CallDocumentRef,
} from './callJson';
import type { SourceCatalog } from './sources';
import { spanOf } from './treeModel';

export const CALL_DOCUMENT_SCHEME = 'llm-trace-inspector';

export class CallDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];

  constructor(private readonly sources: SourceCatalog) {
    this.disposables.push(
      vscode.workspace.registerTextDocumentContentProvider(CALL_DOCUMENT_SCHEME, this),
      sources.onDidChangeTraces(({ sourceId, change }) => {
        for (const doc of vscode.workspace.textDocuments) {
          if (doc.uri.scheme !== CALL_DOCUMENT_SCHEME) continue;
          const ref = parseCallDocumentQuery(doc.uri.query);
          if (!ref || (ref.sourceId ?? 'local') !== sourceId) continue;
          if (change.cleared || change.changed.includes(ref.traceId) || change.removed.includes(ref.traceId))
            this.changed.fire(doc.uri);
        }
      }),
    );
  }

  /** The document's URI; its path is what the tab shows. */
  async uriFor(ref: CallDocumentRef): Promise<vscode.Uri> {
    const title = await this.titleOf(ref);
    return vscode.Uri.from({
      scheme: CALL_DOCUMENT_SCHEME,
      path: `/${title.replace(/[\\/:*?"<>|]/g, '_')}.json`,
      query: callDocumentQuery(ref),
    });
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const ref = parseCallDocumentQuery(uri.query);
    if (!ref) return vscode.l10n.t('// Not a document of LLM Trace Inspector: {0}', uri.toString());
    const source = this.sources.get(ref.sourceId);
    if (!source)
      return vscode.l10n.t('// The source of this call is gone (a connection removed, a file closed).');
    try {
      await source.loadTrace(ref.traceId);
    } catch (err) {
      return vscode.l10n.t(
        '// The trace could not be fetched: {0}',
        err instanceof Error ? err.message : String(err),
      );
    }
    const trace = source.store.getTrace(ref.traceId);
    if (!trace) return vscode.l10n.t('// Trace {0} is no longer in {1}.', ref.traceId, source.label);
    return (
      callDocumentText(trace, ref.part, ref.spanId) ??
      vscode.l10n.t('// Span {0} of trace {1} is not an LLM call.', ref.spanId ?? '', ref.traceId)
    );
  }

  /** Opens the request or the response of a call in an editor tab. */
  async open(ref: CallDocumentRef): Promise<vscode.TextEditor> {
    // The path ends in .json, so the editor colours it as JSON.
    const doc = await vscode.workspace.openTextDocument(await this.uriFor(ref));
    return vscode.window.showTextDocument(doc, { preview: true });
  }

  private async titleOf(ref: CallDocumentRef): Promise<string> {
    const source = this.sources.get(ref.sourceId);
    await source?.loadTrace(ref.traceId).catch(() => undefined);
    const trace = source?.store.getTrace(ref.traceId);
    const summary: TraceSummary | undefined = source?.store.summary(ref.traceId);
    if (ref.part === 'turn') return `${summary?.name ?? 'trace'} ${ref.traceId.slice(0, 8)}`;
    const span = trace && ref.spanId ? spanOf(trace, ref.spanId) : undefined;
    const model = span?.llm?.responseModel ?? span?.llm?.requestModel;
    const name = [span?.name ?? 'call', model && !span?.name.includes(model) ? model : undefined]
      .filter(Boolean)
      .join(' ');
    const what = ref.part === 'call' ? '' : ` ${ref.part}`;
    return `${name}${what} ${(ref.spanId ?? '').slice(0, 8)}`;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
