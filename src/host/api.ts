// What activate() returns. Other extensions (and this extension's own tests in a real VS Code) read the
// receiver and the local traces through it; it never exposes a way to change them except through commands.
// The local traces live in the ingest engine's worker thread: summaries are here at once, a whole trace or
// the tree below the top level is asked for, so those reads are asynchronous.

import type * as vscode from 'vscode';
import type { SourceStatus } from '../appInsights/source';
import type { Trace, TraceSummary } from '../core/model';
import type { AppInsightsController } from './appInsightsController';
import type { CloudTreeProvider } from './cloudTree';
import type { LocalTraces } from '../core/source';
import type { ConversationPanels } from './conversationPanel';
import type { FileTreeProvider } from './fileSources';
import type { SourceCatalog } from './sources';
import type { SessionState } from '../protocol/session';
import type { SessionPanels } from './sessionPanel';
import { LOCAL_SOURCE_ID } from '../core/source';
import type { SummaryPageState } from '../protocol/summary';
import type { SummaryPanels } from './summaryPanel';
import type { ReceiverController, ReceiverState } from './receiverController';
import type { TraceTreeProvider } from './traceTree';
import type { TreeNode } from './treeModel';

export interface TreeItemSnapshot {
  node: TreeNode;
  label: string;
  description: string;
  contextValue: string;
  tooltip: string;
  ariaLabel: string;
  children?: TreeItemSnapshot[];
}

export interface LlmTraceInspectorApi {
  /** `http://host:port` while the receiver listens. */
  readonly endpoint: string | undefined;
  readonly receiverState: ReceiverState;
  /** LLM calls received since the receiver last started. */
  readonly receivedLlmCalls: number;
  /** Milliseconds activate() took. */
  readonly activationMs: number;
  /** The local traces' summaries as the host holds them now, newest first. */
  traces(): TraceSummary[];
  /** A local trace, whole. */
  trace(traceId: string): Promise<Trace | undefined>;
  /** Resolves once every change the engine has made is readable here. */
  sync(): Promise<void>;
  /** The sidebar as the user sees it now, `depth` levels deep. */
  treeSnapshot(depth?: number): Promise<TreeItemSnapshot[]>;
  /** The line shown above the tree (pause, session filter), if any. */
  treeMessage(): string | undefined;
  /** The line under the LLM Traces view's title (grouping, filters), if any. */
  treeDescription(): string | undefined;
  /** Trace ids with an open conversation panel (`sourceId|traceId` for a cloud trace). */
  openConversations(): string[];
  /** The trace the conversation preview tab shows (the next one opened from the sidebar replaces it). */
  previewConversation(): string | undefined;
  /** Session ids with an open session panel (`sourceId|sessionId` for a cloud session). */
  openSessions(): string[];
  /** What an open session panel shows, once it has read every turn (undefined: no such panel). */
  sessionView(sessionId: string, sourceId?: string): Promise<SessionState | undefined>;
  /** How the LLM Traces view groups its traces now. */
  readonly treeGrouping: 'trace' | 'session' | 'user';
  /** The Application Insights connections, with where each stands. */
  cloudConnections(): { sourceId: string; label: string; status: SourceStatus; schema: string }[];
  /** What a connection holds now (listed or fetched), newest first. */
  cloudTraces(sourceId: string): TraceSummary[];
  cloudTrace(sourceId: string, traceId: string): Trace | undefined;
  /** The Application Insights view as the user sees it, `depth` levels deep. */
  cloudTreeSnapshot(depth?: number): { label: string; description: string; contextValue: string }[][];
  /** The OTLP Files view as the user sees it, `depth` levels deep. */
  fileTreeSnapshot(depth?: number): { label: string; description: string; contextValue: string }[][];
  /**
   * The Application Insights or OTLP Files view's grouping and the lines under its title (grouping,
   * filter) and above its tree (what the filter found).
   */
  viewState(view: 'appInsights' | 'files'): {
    grouping: 'trace' | 'session' | 'user';
    description: string | undefined;
    message: string | undefined;
  };
  /** Every source's id, label and kind (local, each connection, each opened file). */
  sources(): { sourceId: string; label: string; kind: string }[];
  /** What a source holds now, newest first. */
  sourceTraces(sourceId: string): TraceSummary[];
  /** A trace of any source, brought whole. */
  sourceTrace(sourceId: string, traceId: string): Promise<Trace | undefined>;
  /** Source ids with an open Summary panel. */
  openSummaries(): string[];
  /** What the open Summary of a source (the local one by default) shows, once it has its figures. */
  summaryView(sourceId?: string): Promise<SummaryPageState | undefined>;
}

export function createApi(deps: {
  cloud: AppInsightsController;
  cloudTree: CloudTreeProvider;
  fileTree: FileTreeProvider;
  store: LocalTraces;
  receiver: ReceiverController;
  tree: TraceTreeProvider;
  panels: ConversationPanels;
  sessionPanels: SessionPanels;
  summaryPanels: SummaryPanels;
  activationMs: number;
  sources: SourceCatalog;
}): LlmTraceInspectorApi {
  const { store, receiver, tree, panels, activationMs } = deps;
  const snapshot = (nodes: TreeNode[], depth: number): Promise<TreeItemSnapshot[]> =>
    Promise.all(
      nodes.map(async (node) => {
        // The tooltip as a hover would show it: the view resolves it then, not in getTreeItem.
        const item = tree.resolveTreeItem(tree.getTreeItem(node), node);
        const out: TreeItemSnapshot = {
          node,
          label: typeof item.label === 'string' ? item.label : (item.label?.label ?? ''),
          description: typeof item.description === 'string' ? item.description : '',
          contextValue: item.contextValue ?? '',
          tooltip: tooltipText(item.tooltip),
          ariaLabel: item.accessibilityInformation?.label ?? '',
        };
        if (depth > 1 && item.collapsibleState !== 0)
          out.children = await snapshot(await tree.getChildren(node), depth - 1);
        return out;
      }),
    );
  return {
    get endpoint() {
      return receiver.endpoint;
    },
    get receiverState() {
      return receiver.state;
    },
    get receivedLlmCalls() {
      return receiver.received.llmCalls;
    },
    activationMs,
    traces: () => store.list(),
    trace: (traceId) => store.load(traceId, 'full'),
    sync: () => store.sync(),
    treeSnapshot: async (depth = 1) => snapshot(await tree.getChildren(), depth),
    treeMessage: () => tree.message,
    treeDescription: () => tree.description,
    openConversations: () => panels.openTraceIds,
    previewConversation: () => panels.previewTraceId,
    openSessions: () => deps.sessionPanels.openSessionIds,
    openSummaries: () => deps.summaryPanels.openSourceIds,
    summaryView: (sourceId = LOCAL_SOURCE_ID) => deps.summaryPanels.stateOf(sourceId),
    sessionView: async (sessionId, sourceId) => {
      const target = sourceId ? { sessionId, sourceId } : { sessionId };
      await deps.sessionPanels.settled(target);
      return deps.sessionPanels.stateOf(target);
    },
    get treeGrouping() {
      return tree.grouped;
    },
    cloudConnections: () =>
      deps.cloud.list().map((s) => ({ sourceId: s.id, label: s.label, status: s.status, schema: s.schema })),
    cloudTraces: (sourceId) => {
      const store = deps.cloud.get(sourceId)?.store;
      store?.flush();
      return store?.list() ?? [];
    },
    cloudTrace: (sourceId, traceId) => deps.cloud.get(sourceId)?.store.getTrace(traceId),
    cloudTreeSnapshot: (depth = 2) => rowSnapshot(deps.cloudTree, depth),
    fileTreeSnapshot: (depth = 2) => rowSnapshot(deps.fileTree, depth),
    viewState: (view) => {
      const tree = view === 'files' ? deps.fileTree : deps.cloudTree;
      const { listing } = tree;
      return {
        grouping: listing.grouped,
        description: listing.shownDescription,
        message: listing.shownMessage,
      };
    },
    sources: () => deps.sources.all().map((s) => ({ sourceId: s.id, label: s.label, kind: s.kind })),
    sourceTraces: (sourceId) => deps.sources.get(sourceId)?.store.list() ?? [],
    sourceTrace: async (sourceId, traceId) => {
      const source = deps.sources.get(sourceId);
      await source?.loadTrace(traceId);
      return source?.store.getTrace(traceId);
    },
  };
}

/** A synchronous tree's rows, `depth` levels deep: each top-level node with the rows below it. */
function rowSnapshot<N>(
  tree: { getTreeItem(node: N): vscode.TreeItem; getChildren(node?: N): N[] },
  depth: number,
): { label: string; description: string; contextValue: string }[][] {
  const level = (nodes: N[], d: number): { label: string; description: string; contextValue: string }[][] =>
    nodes.map((node) => {
      const item = tree.getTreeItem(node);
      const row = {
        label: typeof item.label === 'string' ? item.label : (item.label?.label ?? ''),
        description: typeof item.description === 'string' ? item.description : '',
        contextValue: item.contextValue ?? '',
      };
      const children = d > 1 ? level(tree.getChildren(node), d - 1).flat() : [];
      return [row, ...children];
    });
  return level(tree.getChildren(), depth);
}

function tooltipText(tooltip: string | vscode.MarkdownString | undefined): string {
  if (tooltip === undefined) return '';
  return typeof tooltip === 'string' ? tooltip : tooltip.value;
}
