// Every command, view, context key and setting id the host uses, in one place. package.json declares
// the same ids; an extension test checks that each declared command is registered.

export const EXTENSION_ID = 'llm-trace-inspector.llm-trace-inspector';

export const Commands = {
  startReceiver: 'llmTraceInspector.startReceiver',
  stopReceiver: 'llmTraceInspector.stopReceiver',
  copyEndpoint: 'llmTraceInspector.copyEndpoint',
  choosePort: 'llmTraceInspector.choosePort',
  clearTraces: 'llmTraceInspector.clearTraces',
  showOnlyLlmCalls: 'llmTraceInspector.showOnlyLlmCalls',
  showAllSpans: 'llmTraceInspector.showAllSpans',
  openTrace: 'llmTraceInspector.openTrace',
  findBySession: 'llmTraceInspector.findBySession',
  clearSessionFilter: 'llmTraceInspector.clearSessionFilter',
  openConversation: 'llmTraceInspector.openConversation',
  receiverActions: 'llmTraceInspector.receiverActions',
  copyId: 'llmTraceInspector.copyId',
  copyMarkdown: 'llmTraceInspector.copyMarkdown',
  showLog: 'llmTraceInspector.showLog',
  pauseLive: 'llmTraceInspector.pauseLive',
  resumeLive: 'llmTraceInspector.resumeLive',
  findByUser: 'llmTraceInspector.findByUser',
  openSession: 'llmTraceInspector.openSession',
  groupBy: 'llmTraceInspector.groupBy',
  groupByTrace: 'llmTraceInspector.groupByTrace',
  groupBySession: 'llmTraceInspector.groupBySession',
  groupByUser: 'llmTraceInspector.groupByUser',
  filter: 'llmTraceInspector.filter',
  filterByText: 'llmTraceInspector.filterByText',
  clearFilter: 'llmTraceInspector.clearFilter',
  appInsightsConnect: 'llmTraceInspector.appInsights.connect',
  appInsightsDisconnect: 'llmTraceInspector.appInsights.disconnect',
  appInsightsRefresh: 'llmTraceInspector.appInsights.refresh',
  appInsightsLoadMore: 'llmTraceInspector.appInsights.loadMore',
  appInsightsTimeRange: 'llmTraceInspector.appInsights.timeRange',
  appInsightsCopyQuery: 'llmTraceInspector.appInsights.openQuery',
  appInsightsClearSearch: 'llmTraceInspector.appInsights.clearSearch',
  appInsightsSignIn: 'llmTraceInspector.appInsights.signIn',
  appInsightsFilter: 'llmTraceInspector.appInsights.filter',
  appInsightsClearFilter: 'llmTraceInspector.appInsights.clearFilter',
  appInsightsGroupBy: 'llmTraceInspector.appInsights.groupBy',
  openFile: 'llmTraceInspector.openFile',
  closeFile: 'llmTraceInspector.closeFile',
  filesFilter: 'llmTraceInspector.files.filter',
  filesClearFilter: 'llmTraceInspector.files.clearFilter',
  filesGroupBy: 'llmTraceInspector.files.groupBy',
  exportTrace: 'llmTraceInspector.exportTrace',
  exportSession: 'llmTraceInspector.exportSession',
  openRequest: 'llmTraceInspector.openRequest',
  openResponse: 'llmTraceInspector.openResponse',
  selectForCompare: 'llmTraceInspector.selectForCompare',
  compareWithSelected: 'llmTraceInspector.compareWithSelected',
  copyLink: 'llmTraceInspector.copyLink',
  openLink: 'llmTraceInspector.openLink',
  showSummary: 'llmTraceInspector.showSummary',
  keepConversationOpen: 'llmTraceInspector.keepConversationOpen',
} as const;

export const Views = {
  container: 'llmTraceInspector',
  traces: 'llmTraceInspector.traces',
  appInsights: 'llmTraceInspector.appInsights',
  files: 'llmTraceInspector.files',
  conversationPanel: 'llmTraceInspector.conversation',
  sessionPanel: 'llmTraceInspector.session',
  summaryPanel: 'llmTraceInspector.summary',
} as const;

export const ContextKeys = {
  receiverState: 'llmTraceInspector.receiverState',
  /** Who holds the port while the state is portInUse (llmTraceInspector, otlp, http, other), else ''. */
  portHolder: 'llmTraceInspector.portHolder',
  /** The receiver's endpoint while it listens, else ''; the welcome text names the default one. */
  endpoint: 'llmTraceInspector.endpoint',
  llmOnly: 'llmTraceInspector.llmOnly',
  sessionFilter: 'llmTraceInspector.sessionFilter',
  paused: 'llmTraceInspector.paused',
  /** Whether the LLM Traces view's filter (text, model, service ...) is set. */
  filtered: 'llmTraceInspector.filtered',
  /** How the LLM Traces view groups: trace, session or user. */
  groupBy: 'llmTraceInspector.groupBy',
  /** Whether the tab in front is the conversation preview, which Keep Open keeps. */
  conversationPreview: 'llmTraceInspector.conversationPreview',
} as const;

export const CONFIG_SECTION = 'llmTraceInspector';
