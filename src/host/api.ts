// What activate() returns. Other extensions (and this extension's own tests in a real VS Code) read the
// receiver and the store through it; it never exposes a way to change them except through commands.

import type * as vscode from 'vscode';
import type { Trace, TraceSummary } from '../core/model';
import type { TraceStore } from '../core/store';
import type { ConversationPanels } from './conversationPanel';
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
  traces(): TraceSummary[];
  trace(traceId: string): Trace | undefined;
  /** The sidebar as the user sees it now, `depth` levels deep. */
  treeSnapshot(depth?: number): TreeItemSnapshot[];
  /** The line shown above the tree (pause, session filter), if any. */
  treeMessage(): string | undefined;
  /** Trace ids with an open conversation panel. */
  openConversations(): string[];
}

export function createApi(deps: {
  store: TraceStore;
  receiver: ReceiverController;
  tree: TraceTreeProvider;
  panels: ConversationPanels;
  activationMs: number;
}): LlmTraceInspectorApi {
  const { store, receiver, tree, panels, activationMs } = deps;
  const snapshot = (nodes: TreeNode[], depth: number): TreeItemSnapshot[] =>
    nodes.map((node) => {
      const item = tree.getTreeItem(node);
      const out: TreeItemSnapshot = {
        node,
        label: typeof item.label === 'string' ? item.label : (item.label?.label ?? ''),
        description: typeof item.description === 'string' ? item.description : '',
        contextValue: item.contextValue ?? '',
        tooltip: tooltipText(item.tooltip),
        ariaLabel: item.accessibilityInformation?.label ?? '',
      };
      if (depth > 1 && item.collapsibleState !== 0)
        out.children = snapshot(tree.getChildren(node), depth - 1);
      return out;
    });
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
    traces: () => {
      store.flush();
      return store.list();
    },
    trace: (traceId) => store.getTrace(traceId),
    treeSnapshot: (depth = 1) => {
      store.flush();
      return snapshot(tree.getChildren(), depth);
    },
    treeMessage: () => {
      store.flush();
      return tree.message;
    },
    openConversations: () => panels.openTraceIds,
  };
}

function tooltipText(tooltip: string | vscode.MarkdownString | undefined): string {
  if (tooltip === undefined) return '';
  return typeof tooltip === 'string' ? tooltip : tooltip.value;
}
