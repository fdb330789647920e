// The composition root: builds the logger, configuration, store, receiver and views, hands each its
// collaborators, and registers every disposable. Nothing else lives here.

import * as vscode from 'vscode';
import { scopedLogger } from './core/logger';
import { TraceStore } from './core/store';
import { createNormalizer } from './core/genai/normalize';
import type { Normalizer } from './core/store';
import { noopTracer } from './otlp/httpReceiver';
import { RequestLog } from './otlp/requestLog';
import { replayRequestLog } from './otlp/requestReplay';
import * as path from 'node:path';
import { createApi, type LlmTraceInspectorApi } from './host/api';
import { registerCommands } from './host/commands';
import { affectsAppInsights, affectsNormalization, affectsReceiver, readConfig } from './host/config';
import { AppInsightsController } from './host/appInsightsController';
import { CloudTreeProvider } from './host/cloudTree';
import { TraceSources } from './host/sources';
import { LOCAL_SOURCE_ID, LocalSource } from './core/source';
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
  // Local traces survive a reload: every accepted request is kept in the extension's storage and replayed.
  let replayCancelled = false;
  const requestLog =
    config.persistBytes === undefined
      ? undefined
      : new RequestLog({
          dir: path.join((context.storageUri ?? context.globalStorageUri).fsPath, 'requests'),
          maxBytes: config.persistBytes,
          logger: rootLogger,
        });
  const receiver = new ReceiverController(store, rootLogger, noopTracer(), requestLog);
  const tree = new TraceTreeProvider(store, receiver, { llmOnly: config.llmCallsOnly });
  const treeView = vscode.window.createTreeView(Views.traces, {
    treeDataProvider: tree,
    showCollapseAll: true,
  });
  tree.attach(treeView);

  // Every source behind one interface; each Application Insights connection has a store of its own, so a
  // cloud query never evicts a local trace.
  const sources = new TraceSources(new LocalSource(store));
  const currentNormalizer = (): Normalizer => {
    const c = readConfig();
    return createNormalizer({ sessionAttributes: c.sessionAttributes, userAttributes: c.userAttributes });
  };
  const cloud = new AppInsightsController(sources, rootLogger, currentNormalizer, context.extensionPath);
  const cloudTree = new CloudTreeProvider(cloud);
  const cloudView = vscode.window.createTreeView(Views.appInsights, {
    treeDataProvider: cloudTree,
    showCollapseAll: true,
  });
  const panels = new ConversationPanels(
    context.extensionUri,
    sources,
    rootLogger,
    (target) => {
      const node = { kind: 'span' as const, traceId: target.traceId, spanId: target.spanId };
      const reveal = { select: true, focus: false, expand: true };
      if (target.sourceId) void cloudView.reveal({ ...node, sourceId: target.sourceId }, reveal);
      else void treeView.reveal(node, reveal);
    },
    config.maxAttributeLength,
  );
  const statusBar = new ReceiverStatusBar(receiver);
  // A connection is queried when its view is first shown, not at activation.
  cloud.setViewVisible(cloudView.visible);

  context.subscriptions.push(
    channel,
    { dispose: () => store.dispose() },
    receiver,
    tree,
    treeView,
    panels,
    statusBar,
    sources,
    cloud,
    cloudTree,
    cloudView,
    cloud.onDidChange(() => cloudTree.refresh()),
    cloud.onDidDropSource((sourceId) => cloudTree.setSearch(sourceId, undefined)),
    sources.onDidChangeTraces(({ sourceId }) => {
      if (sourceId !== LOCAL_SOURCE_ID) cloudTree.refresh();
    }),
    cloudView.onDidChangeVisibility((e) => cloud.setViewVisible(e.visible)),
    ...registerCommands({
      store,
      receiver,
      tree,
      treeView,
      panels,
      log: channel,
      sources,
      cloud,
      cloudTree,
      ...(requestLog
        ? {
            requestLog: {
              clear: () => {
                replayCancelled = true;
                requestLog.clear();
              },
            },
          }
        : {}),
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration(CONFIG_SECTION)) return;
      const next = readConfig();
      if (affectsReceiver(e)) void receiver.settingsChanged();
      if (e.affectsConfiguration(`${CONFIG_SECTION}.store.maxTraces`)) store.setMaxTraces(next.maxTraces);
      if (e.affectsConfiguration(`${CONFIG_SECTION}.view.llmCallsOnly`)) tree.setLlmOnly(next.llmCallsOnly);
      panels.setMaxAttributeLength(next.maxAttributeLength);
      if (affectsNormalization(e)) {
        store.setNormalizer(
          createNormalizer({
            sessionAttributes: next.sessionAttributes,
            userAttributes: next.userAttributes,
          }),
        );
      }
      if (affectsAppInsights(e) || affectsNormalization(e)) cloud.reload();
    }),
  );

  if (requestLog) {
    context.subscriptions.push({ dispose: () => requestLog.dispose() });
    void replayRequestLog(requestLog, (batch) => store.ingest(batch, 'otlp'), {
      // Clear Local Traces during the replay: what is still to come stays cleared.
      cancelled: () => replayCancelled,
    }).then((r) =>
      logger.info(
        `replayed ${r.requests} kept requests: ${r.spans} spans, ${r.logs} logs${r.skipped ? `, ${r.skipped} unreadable skipped` : ''}`,
      ),
    );
  }

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
  return createApi({
    store,
    receiver,
    tree,
    panels,
    cloud,
    cloudTree,
    activationMs: performance.now() - started,
  });
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions; the receiver's socket closes with it.
}
