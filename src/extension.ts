// The composition root: builds the logger, configuration, the ingest engine (the receivers and the local
// store, in a worker thread), the views, hands each its collaborators, and registers every disposable.
// Nothing else lives here.

import * as vscode from 'vscode';
import { scopedLogger } from './core/logger';
import { createNormalizer } from './core/genai/normalize';
import type { Normalizer } from './core/store';
import { EngineClient } from './engine/client';
import * as path from 'node:path';
import { createApi, type LlmTraceInspectorApi } from './host/api';
import { registerCommands } from './host/commands';
import {
  affectsAppInsights,
  affectsNormalization,
  affectsReceiver,
  affectsStoreLimits,
  readConfig,
} from './host/config';
import { AppInsightsController } from './host/appInsightsController';
import { CloudTreeProvider } from './host/cloudTree';
import { TraceSources } from './host/sources';
import { LOCAL_SOURCE_ID, LocalSource } from './core/source';
import { ConversationPanels } from './host/conversationPanel';
import { SessionPanels } from './host/sessionPanel';
import { SummaryPanels, registerSummaryCommand } from './host/summaryPanel';
import { Commands, CONFIG_SECTION, Views } from './host/ids';
import { createLogChannel } from './host/logChannel';
import { ReceiverController } from './host/receiverController';
import { ReceiverStatusBar } from './host/statusBar';
import { TraceTreeProvider } from './host/traceTree';
import { CallDocuments } from './host/callDocuments';
import { FileSources, FileTreeProvider, otlpFileDrop, type FileNode } from './host/fileSources';
import { registerShareCommands } from './host/shareCommands';
import {
  registerFilterCommands,
  registerGroupCommand,
  registerViewFilterCommands,
} from './host/filterCommands';
import type { TreeNode } from './host/treeModel';
import { isFileSourceId } from './otlp/fileSource';

export function activate(context: vscode.ExtensionContext): LlmTraceInspectorApi {
  const started = performance.now();
  const { logger: rootLogger, channel } = createLogChannel('LLM Trace Inspector');
  const logger = scopedLogger(rootLogger, 'host');
  const config = readConfig();
  for (const problem of config.pricingProblems) logger.warn(`settings: ${problem}`);

  // The receivers, the decoder, the request log and the local store run in a worker thread: however fast
  // an app sends, the extension host (which every extension shares) only hears summaries. Local traces
  // survive a reload: every accepted request is kept in the extension's storage and replayed there.
  const receiver = new ReceiverController(
    { listen: (settings) => engine.listen(settings), stopListening: () => engine.stopListening() },
    rootLogger,
  );
  const requestsDir = path.join((context.storageUri ?? context.globalStorageUri).fsPath, 'requests');
  const persistOf = (bytes: number | undefined) =>
    bytes === undefined ? undefined : { dir: requestsDir, maxBytes: bytes };
  const persist = persistOf(config.persistBytes);
  const engine = new EngineClient({
    workerPath: path.join(context.extensionPath, 'dist', 'engineWorker.js'),
    engine: {
      limits: {
        maxTraces: config.maxTraces,
        maxBytes: config.maxMemoryBytes,
        maxSpansPerTrace: config.maxSpansPerTrace,
      },
      sessionAttributes: config.sessionAttributes,
      userAttributes: config.userAttributes,
      pricing: config.pricing,
      ...(persist ? { persist } : {}),
    },
    logger: rootLogger,
    onReceived: (counts) => receiver.noteReceived(counts),
    onReplayed: (r) =>
      logger.info(
        `replayed ${r.requests} kept requests in ${r.ms} ms: ${r.spans} spans, ${r.logs} logs${r.skipped ? `, ${r.skipped} unreadable skipped` : ''}${r.savedTraces ? `; ${r.savedTraces} traces took their saved summaries` : ''}`,
      ),
    onRestarted: () => {
      void engine.replay();
      receiver.engineRestarted();
    },
  });
  const store = engine.mirror;
  const tree = new TraceTreeProvider(
    store,
    receiver,
    { llmOnly: config.llmCallsOnly },
    context.workspaceState,
  );
  // A file dropped onto the LLM Traces or the Files view opens as an OTLP file.
  const treeView = vscode.window.createTreeView(Views.traces, {
    treeDataProvider: tree,
    showCollapseAll: true,
    dragAndDropController: otlpFileDrop<TreeNode>(),
  });
  tree.attach(treeView);

  // Every source behind one interface; each Application Insights connection has a store of its own, so a
  // cloud query never evicts a local trace.
  const sources = new TraceSources(new LocalSource(store));
  const currentNormalizer = (): Normalizer => {
    const c = readConfig();
    return createNormalizer({
      sessionAttributes: c.sessionAttributes,
      userAttributes: c.userAttributes,
      pricing: c.pricing,
    });
  };
  const cloud = new AppInsightsController(sources, rootLogger, currentNormalizer, context.extensionPath);
  const cloudTree = new CloudTreeProvider(cloud, context.workspaceState);
  const cloudView = vscode.window.createTreeView(Views.appInsights, {
    treeDataProvider: cloudTree,
    showCollapseAll: true,
  });
  cloudTree.attach(cloudView);
  // Opened OTLP files: read-only sources with a store each, in a view of their own.
  const files = new FileSources(sources, rootLogger, currentNormalizer);
  const fileTree = new FileTreeProvider(files, context.workspaceState);
  const fileView = vscode.window.createTreeView(Views.files, {
    treeDataProvider: fileTree,
    showCollapseAll: true,
    dragAndDropController: otlpFileDrop<FileNode>(),
  });
  fileTree.attach(fileView);
  const panels = new ConversationPanels(
    context.extensionUri,
    sources,
    rootLogger,
    (target) => {
      const node = { kind: 'span' as const, traceId: target.traceId, spanId: target.spanId };
      const reveal = { select: true, focus: false, expand: true };
      if (isFileSourceId(target.sourceId))
        void fileView.reveal({ ...node, sourceId: target.sourceId! }, reveal);
      else if (target.sourceId) void cloudView.reveal({ ...node, sourceId: target.sourceId }, reveal);
      else void treeView.reveal(node, reveal);
    },
    config.maxAttributeLength,
  );
  panels.setPreviewEnabled(config.previewConversations);
  const summaries = new SummaryPanels(context.extensionUri, sources, rootLogger);
  const documents = new CallDocuments(sources);
  const sessionPanels = new SessionPanels(context.extensionUri, sources, rootLogger, (target) =>
    panels.show(target),
  );
  const statusBar = new ReceiverStatusBar(receiver);
  // A connection is queried when its view is first shown, not at activation.
  cloud.setViewVisible(cloudView.visible);

  context.subscriptions.push(
    channel,
    receiver,
    // After the receiver (whose stop asks the engine to stop listening): the worker ends last.
    { dispose: () => void engine.dispose() },
    tree,
    treeView,
    panels,
    sessionPanels,
    summaries,
    registerSummaryCommand(summaries, sources),
    statusBar,
    sources,
    cloud,
    cloudTree,
    cloudView,
    cloud.onDidChange(() => cloudTree.refresh()),
    cloud.onDidDropSource((sourceId) => {
      cloudTree.listing.forget(sourceId);
      cloudTree.setSearch(sourceId, undefined);
    }),
    sources.onDidChangeTraces(({ sourceId }) => {
      if (sourceId !== LOCAL_SOURCE_ID) cloudTree.refresh();
    }),
    cloudView.onDidChangeVisibility((e) => cloud.setViewVisible(e.visible)),
    files,
    fileTree,
    fileView,
    documents,
    ...registerShareCommands({ sources, files, panels, documents, log: channel }),
    ...registerFilterCommands({ store, tree }),
    ...registerViewFilterCommands(cloudTree.listing, {
      filter: Commands.appInsightsFilter,
      clearFilter: Commands.appInsightsClearFilter,
    }),
    registerGroupCommand(cloudTree.listing, Commands.appInsightsGroupBy),
    ...registerViewFilterCommands(fileTree.listing, {
      filter: Commands.filesFilter,
      clearFilter: Commands.filesClearFilter,
    }),
    registerGroupCommand(fileTree.listing, Commands.filesGroupBy),
    ...registerCommands({
      store,
      receiver,
      tree,
      treeView,
      panels,
      sessionPanels,
      log: channel,
      sources,
      cloud,
      cloudTree,
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration(CONFIG_SECTION)) return;
      const next = readConfig();
      if (affectsReceiver(e)) void receiver.settingsChanged();
      if (affectsStoreLimits(e))
        void engine.configure({
          limits: {
            maxTraces: next.maxTraces,
            maxBytes: next.maxMemoryBytes,
            maxSpansPerTrace: next.maxSpansPerTrace,
          },
        });
      // Turned on, requests are kept from now on; turned off, what was kept is deleted.
      if (
        e.affectsConfiguration(`${CONFIG_SECTION}.store.persist`) ||
        e.affectsConfiguration(`${CONFIG_SECTION}.store.persistMaxMB`)
      )
        void engine.configure({ persist: persistOf(next.persistBytes) ?? null });
      if (e.affectsConfiguration(`${CONFIG_SECTION}.view.llmCallsOnly`)) tree.setLlmOnly(next.llmCallsOnly);
      panels.setMaxAttributeLength(next.maxAttributeLength);
      panels.setPreviewEnabled(next.previewConversations);
      if (affectsNormalization(e)) {
        for (const problem of next.pricingProblems) logger.warn(`settings: ${problem}`);
        void engine.configure({
          sessionAttributes: next.sessionAttributes,
          userAttributes: next.userAttributes,
          pricing: next.pricing,
        });
      }
      if (affectsAppInsights(e) || affectsNormalization(e)) cloud.reload();
    }),
  );

  // The kept requests are read again in the worker; the window is usable meanwhile.
  if (config.persistBytes !== undefined) void engine.replay();

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
    sessionPanels,
    summaryPanels: summaries,
    cloud,
    cloudTree,
    fileTree,
    sources,
    activationMs: performance.now() - started,
  });
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions; the receiver's socket closes with it.
}
