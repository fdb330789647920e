// Opened OTLP JSON files: each one a read-only source (src/otlp/fileSource.ts) with a store of its own,
// listed in the Files view with its traces under it (read through the same tree model, grouping and filter
// as the other views), closable. Files come from Open OTLP File… or a drop onto the LLM Traces or the
// Files view.

import * as vscode from 'vscode';
import type { Logger } from '../core/logger';
import type { Normalizer } from '../core/store';
import { MAX_OTLP_FILE_BYTES, OtlpFileTooLargeError, describeProblems } from '../otlp/fileReader';
import { FileSource } from '../otlp/fileSource';
import { plural } from '../core/format';
import { GroupedListing } from './groupedListing';
import { Commands } from './ids';
import type { TraceSources } from './sources';
import { headerCommand, missing, nodeTreeItem, tooltip } from './traceTree';
import { childNodes, spanOf, type TreeNode } from './treeModel';

export type FileNode = { kind: 'file'; sourceId: string } | TreeNode;

export class FileSources implements vscode.Disposable {
  private readonly files = new Map<string, FileSource>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly sources: TraceSources,
    private readonly logger: Logger,
    private readonly normalizer: () => Normalizer,
  ) {}

  list(): FileSource[] {
    return [...this.files.values()];
  }

  get(sourceId: string): FileSource | undefined {
    return this.files.get(sourceId);
  }

  /**
   * Reads the file into a source of its own (opened again, it is read afresh) and says what it held.
   * Returns the source, or undefined when the file could not be opened (the user was told why).
   */
  async open(uri: vscode.Uri): Promise<FileSource | undefined> {
    const name = uri.path.split('/').pop() || uri.toString();
    let source: FileSource;
    try {
      const stat = await vscode.workspace.fs.stat(uri);
      // Refused before reading: a file this size would be read whole into the window's memory.
      if (stat.size > MAX_OTLP_FILE_BYTES) throw new OtlpFileTooLargeError(stat.size, MAX_OTLP_FILE_BYTES);
      const bytes = await vscode.workspace.fs.readFile(uri);
      source = FileSource.read(uri.toString(), name, bytes, this.normalizer());
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      this.logger.warn(`[files] could not open ${uri.toString()}: ${reason}`);
      void vscode.window.showErrorMessage(vscode.l10n.t('Could not open {0}: {1}', name, reason));
      return undefined;
    }
    this.close(source.id);
    this.files.set(source.id, source);
    this.sources.add(source);
    this.changed.fire();
    this.report(source);
    return source;
  }

  close(sourceId: string): void {
    const source = this.files.get(sourceId);
    if (!source) return;
    this.files.delete(sourceId);
    this.sources.remove(sourceId);
    source.dispose();
    this.changed.fire();
  }

  private report(source: FileSource): void {
    const s = source.summary;
    const held = vscode.l10n.t(
      '{0}: {1}, {2}, {3}',
      source.label,
      plural(s.traces, 'trace'),
      plural(s.spans, 'span'),
      plural(s.logs, 'log record'),
    );
    this.logger.info(
      `[files] opened ${source.uri} (${s.bytes} bytes, ${s.format}): ${s.traces} traces, ${s.spans} spans, ` +
        `${s.logs} log records, ${s.metricCount} metric data points, ${s.problemCount} problems`,
    );
    const problems = describeProblems(s);
    for (const line of problems) this.logger.warn(`[files] ${source.label}: ${line}`);
    if (s.evictedTraces > 0)
      void vscode.window.showWarningMessage(
        vscode.l10n.t(
          '{0}: {1} traces were not kept: the file holds more than a source keeps in memory.',
          source.label,
          String(s.evictedTraces),
        ),
      );
    if (s.problemCount > 0) {
      const showLog = vscode.l10n.t('Show Log');
      void vscode.window
        .showWarningMessage(
          vscode.l10n.t(
            'Opened {0}. {1} could not be read: {2}',
            held,
            s.format === 'document'
              ? vscode.l10n.t('Part of the file')
              : s.problemCount === 1
                ? vscode.l10n.t('1 line')
                : vscode.l10n.t('{0} lines', String(s.problemCount)),
            problems.slice(0, 3).join('; '),
          ),
          showLog,
        )
        .then((pick) => (pick === showLog ? vscode.commands.executeCommand(Commands.showLog) : undefined));
    } else if (s.traces === 0 && s.genAiMetricPoints > 0) {
      // A file of the app's metrics alone (a Collector's metrics pipeline): its figures are in the Summary.
      const show = vscode.l10n.t('Show Summary');
      void vscode.window
        .showInformationMessage(
          vscode.l10n.t(
            "{0} holds no spans, only the app's GenAI metrics: they are in its Summary.",
            source.label,
          ),
          show,
        )
        .then((pick) =>
          pick === show
            ? vscode.commands.executeCommand(Commands.showSummary, { sourceId: source.id, window: 'all' })
            : undefined,
        );
    } else if (s.traces === 0) {
      void vscode.window.showWarningMessage(
        vscode.l10n.t(
          '{0} holds no spans{1}.',
          source.label,
          s.metricCount ? vscode.l10n.t(' (only metrics)') : '',
        ),
      );
    } else {
      vscode.window.setStatusBarMessage(vscode.l10n.t('Opened {0}', held), 4000);
    }
  }

  dispose(): void {
    for (const id of [...this.files.keys()]) this.close(id);
    this.changed.dispose();
  }
}

/** The Files view: a node per opened file, its traces under it (newest first), their spans below. */
export class FileTreeProvider implements vscode.TreeDataProvider<FileNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<FileNode | undefined | void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];
  /** The files listed at the last change. */
  private known = new Set<string>();
  /** The view's grouping and filter, over each file's traces. */
  readonly listing: GroupedListing<FileSource>;

  constructor(
    private readonly files: FileSources,
    memento?: vscode.Memento,
  ) {
    this.listing = new GroupedListing({
      sources: () => this.files.list(),
      listedOf: (source) => source.store.list().map((t) => t.traceId),
      redraw: () => this.changed.fire(),
      memento,
      mementoKey: 'llmTraceInspector.files.groupBy',
      filteredContextKey: 'llmTraceInspector.files.filtered',
      filterTitle: vscode.l10n.t('Filter the OTLP Files view'),
      groupTitle: vscode.l10n.t('Group OTLP Files traces by'),
    });
    this.disposables.push(
      this.listing,
      files.onDidChange(() => {
        // A file closed (or opened again, as a new source of the same id) takes its answers with it.
        for (const id of this.known) if (!this.files.get(id)) this.listing.forget(id);
        this.known = new Set(this.files.list().map((f) => f.id));
        this.refresh();
      }),
    );
  }

  /** The view whose description and message show the grouping and the filter. */
  attach(view: vscode.TreeView<FileNode>): void {
    this.listing.attach(view);
  }

  refresh(): void {
    this.listing.invalidate();
    this.listing.redraw();
  }

  getChildren(element?: FileNode): FileNode[] {
    if (!element) return this.files.list().map((f) => ({ kind: 'file', sourceId: f.id }));
    const source = this.files.get(element.sourceId ?? '');
    if (!source) return [];
    if (element.kind === 'file') return this.listing.nodes(source);
    if (element.kind === 'session' || element.kind === 'user') return this.listing.children(source, element);
    return childNodes(source.store, element, { llmOnly: false }).map((n) => ({ ...n, sourceId: source.id }));
  }

  getParent(element: FileNode): FileNode | undefined {
    if (element.kind === 'file') return undefined;
    const sourceId = element.sourceId ?? '';
    const source = this.files.get(sourceId);
    if (element.kind !== 'span')
      return (source && this.listing.parent(source, element)) ?? { kind: 'file', sourceId };
    const trace = source?.store.getOutline(element.traceId);
    const parentId = trace && spanOf(trace, element.spanId)?.parentSpanId;
    if (!trace || !parentId || !spanOf(trace, parentId))
      return { kind: 'trace', traceId: element.traceId, sourceId };
    return { kind: 'span', traceId: element.traceId, spanId: parentId, sourceId };
  }

  getTreeItem(node: FileNode): vscode.TreeItem {
    if (node.kind === 'file') {
      const source = this.files.get(node.sourceId);
      const item = new vscode.TreeItem(
        source?.label ?? node.sourceId,
        vscode.TreeItemCollapsibleState.Expanded,
      );
      item.id = node.sourceId;
      item.iconPath = new vscode.ThemeIcon('file');
      item.contextValue = 'file';
      if (source) {
        const s = source.summary;
        const parts = [plural(s.traces, 'trace')];
        if (s.problemCount) parts.push(vscode.l10n.t('{0} unreadable', plural(s.problemCount, 'line')));
        item.description = parts.join(' · ');
        item.resourceUri = vscode.Uri.parse(source.uri);
        item.accessibilityInformation = {
          label: vscode.l10n.t('OTLP file {0}, {1}', source.label, parts.join(', ')),
        };
      }
      return item;
    }
    const source = this.files.get(node.sourceId ?? '');
    const view = source
      ? this.listing.describe(source, node)
      : missing(node.kind === 'span' ? node.spanId : node.kind);
    return nodeTreeItem(node, view, headerCommand(node));
  }

  resolveTreeItem(item: vscode.TreeItem, node: FileNode): vscode.TreeItem {
    const source = this.files.get(node.sourceId ?? '');
    if (node.kind === 'file') {
      if (source) {
        const s = source.summary;
        item.tooltip = tooltip([
          source.label,
          vscode.Uri.parse(source.uri).fsPath || source.uri,
          `${plural(s.traces, 'trace')}, ${plural(s.spans, 'span')}, ${plural(s.logs, 'log record')}`,
          ...(s.metricCount
            ? [
                s.genAiMetricPoints
                  ? `${plural(s.metricCount, 'metric')} (GenAI metrics in the Summary)`
                  : `${plural(s.metricCount, 'metric')} (not shown)`,
              ]
            : []),
          ...describeProblems(s),
        ]);
      }
      return item;
    }
    item.tooltip = tooltip(source ? this.listing.tooltip(source, node) : [node.kind]);
    return item;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

/**
 * Files dropped onto a view (from the Explorer or the desktop) are opened as OTLP files. Nothing is
 * dragged out of the views.
 */
export class OtlpFileDrop<T> implements vscode.TreeDragAndDropController<T> {
  readonly dropMimeTypes = ['text/uri-list', 'files'];
  readonly dragMimeTypes: string[] = [];

  constructor(private readonly open: (uris: vscode.Uri[]) => Thenable<unknown>) {}

  async handleDrop(_target: T | undefined, data: vscode.DataTransfer): Promise<void> {
    const uris: vscode.Uri[] = [];
    const list = await data.get('text/uri-list')?.asString();
    for (const line of (list ?? '').split(/\r?\n/)) {
      const text = line.trim();
      // text/uri-list comments start with '#'.
      if (!text || text.startsWith('#')) continue;
      try {
        uris.push(vscode.Uri.parse(text, true));
      } catch {
        // Not a URI: nothing to open.
      }
    }
    if (uris.length === 0) {
      data.forEach((item) => {
        const file = item.asFile();
        if (file?.uri) uris.push(file.uri);
      });
    }
    if (uris.length) await this.open(uris);
  }
}

/** The drop controller of the LLM Traces and Files views: what is dropped opens as by Open OTLP File…. */
export function otlpFileDrop<T>(): OtlpFileDrop<T> {
  return new OtlpFileDrop<T>((uris) => vscode.commands.executeCommand(Commands.openFile, uris));
}
