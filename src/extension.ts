// The composition root: builds the logger, configuration, store, receiver and views, hands each its
// collaborators, and registers every disposable. Nothing else lives here.

import * as vscode from 'vscode';
import { scopedLogger } from './core/logger';
import { TraceStore } from './core/store';
import { createNormalizer } from './core/genai/normalize';
import { noopTracer } from './otlp/httpReceiver';
import { createApi, type LlmTraceInspectorApi } from './host/api';
import { registerCommands } from './host/commands';
import { affectsNormalization, affectsReceiver, readConfig } from './host/config';
import { ConversationPanels } from './host/conversationPanel';
import { CONFIG_SECTION, Views } from './host/ids';
import { createLogChannel } from './host/logChannel';
import { ReceiverController } from './host/receiverController';
import { ReceiverStatusBar } from './host/statusBar';
import { TraceTreeProvider } from './host/traceTree';

export function activate(context: vscode.ExtensionContext): LlmTraceInspectorApi {
  const started = performance.now();
  const { logger: rootLogger, channel } = createLogChannel('LLM Trace Inspector');
  const logger = scopedLogger(rootLogger, 'host');
  const config = readConfig();

  const store = new TraceStore({
    maxTraces: config.maxTraces,
    normalizer: createNormalizer({
      sessionAttributes: config.sessionAttributes,
      userAttributes: config.userAttributes,
    }),
  });
  // The receiver's own spans are recorded nowhere: never through the process-global OpenTelemetry API,
  // which another extension in this host may have claimed.
  const receiver = new ReceiverController(store, rootLogger, noopTracer());
  const tree = new TraceTreeProvider(store, receiver, { llmOnly: config.llmCallsOnly });
  const treeView = vscode.window.createTreeView(Views.traces, {
    treeDataProvider: tree,
    showCollapseAll: true,
  });
  tree.attach(treeView);
  const panels = new ConversationPanels(context.extensionUri, store, rootLogger, (traceId, spanId) => {
    void treeView.reveal({ kind: 'span', traceId, spanId }, { select: true, focus: false, expand: true });
  });
  const statusBar = new ReceiverStatusBar(receiver);

  context.subscriptions.push(
    channel,
    { dispose: () => store.dispose() },
    receiver,
    tree,
    treeView,
    panels,
    statusBar,
    ...registerCommands({ store, receiver, tree, treeView, panels, log: channel }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration(CONFIG_SECTION)) return;
      const next = readConfig();
      if (affectsReceiver(e)) void receiver.settingsChanged();
      if (e.affectsConfiguration(`${CONFIG_SECTION}.store.maxTraces`)) store.setMaxTraces(next.maxTraces);
      if (e.affectsConfiguration(`${CONFIG_SECTION}.view.llmCallsOnly`)) tree.setLlmOnly(next.llmCallsOnly);
      if (affectsNormalization(e)) {
        store.setNormalizer(
          createNormalizer({
            sessionAttributes: next.sessionAttributes,
            userAttributes: next.userAttributes,
          }),
        );
      }
    }),
  );

  if (config.receiver.startOnStartup) {
    void receiver.startWithWindow();
  } else {
    // Lazy start: the first time the user looks at the traces, the receiver they expect is there.
    const once = treeView.onDidChangeVisibility((e) => {
      if (!e.visible) return;
      once.dispose();
      if (receiver.state.state === 'stopped') void receiver.startWithWindow();
    });
    context.subscriptions.push(once);
  }

  logger.info(`activated in ${(performance.now() - started).toFixed(1)} ms`);
  return createApi({ store, receiver, tree, panels, activationMs: performance.now() - started });
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions; the receiver's socket closes with it.
}
