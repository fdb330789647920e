// The sidebar's model, kept free of the VS Code API so it can be tested in milliseconds: which nodes a
// level has, and how each node reads (label, description, icon), and, apart, its tooltip: the view asks
// for a tooltip only on hover, so a refresh of thousands of nodes does not build one per node.
// traceTree.ts turns these plain descriptions into TreeItems in one place.

import {
  callCostLines,
  callCostText,
  formatAge,
  formatCost,
  formatDuration,
  formatInOut,
  formatTokens,
  plural,
  totalTokens,
  traceCostLines,
} from '../core/format';
import {
  NO_GROUP,
  userSessionKey,
  type GroupMode,
  type Grouping,
  type SessionGroup,
  type Totals,
  type UserGroup,
} from '../core/grouping';
import type { Span, Trace, TraceSummary } from '../core/model';
import { spanRole } from '../views/waterfallModel';

/**
 * A node of either tree; `sourceId` is set on nodes of a cloud source (absent: the local receiver).
 * `grouped` marks a session or user node of a grouped tree (it lists its traces), as opposed to the
 * header above a Find by Session ID list; a grouped session under a user node carries that `userId`.
 * NO_GROUP ('') as the id is the group of traces without a session (or user).
 */
export type TreeNode =
  | { kind: 'session'; sessionId: string; sourceId?: string; userId?: string; grouped?: true }
  | { kind: 'user'; userId: string; sourceId?: string; grouped?: true }
  | { kind: 'trace'; traceId: string; sourceId?: string }
  | { kind: 'span'; traceId: string; spanId: string; sourceId?: string };

export type NodeIcon =
  | 'error'
  | 'llm'
  | 'tool'
  | 'agent'
  | 'trace'
  | 'span'
  | 'session'
  | 'user'
  | 'cloud'
  | 'info'
  | 'warning'
  | 'loading'
  | 'more';

export interface NodeView {
  label: string;
  description: string;
  icon: NodeIcon;
  contextValue: string;
  collapsible: boolean;
  /** Screen-reader text: says in words what the icons and arrows say. */
  ariaLabel: string;
}

export interface TreeModelSource {
  list(): TraceSummary[];
  /** The trace's spans, when they are held (a mirror of another thread's store holds only some). */
  getTrace(traceId: string): Trace | undefined;
  has(traceId: string): boolean;
  summary(traceId: string): TraceSummary | undefined;
  /** The trace without message content, which is all the tree shows; getTrace() when absent. */
  getOutline?(traceId: string): Trace | undefined;
  findSession(sessionId: string): TraceSummary[];
  findUser(userId: string): TraceSummary[];
}

export interface TreeOptions {
  llmOnly: boolean;
  sessionFilter?: string;
  userFilter?: string;
  /** The view's filter (model, text ...): which traces are listed at all. */
  keep?: (summary: TraceSummary) => boolean;
}

/** Whether a trace is listed: it has an LLM call when only those show, and it passes the filter. */
export function listed(summary: TraceSummary, options: TreeOptions): boolean {
  return (!options.llmOnly || summary.llmCallCount > 0) && (options.keep?.(summary) ?? true);
}

/** The trace as the tree reads it: its outline when the source has one (no message content is read). */
export function treeTrace(source: TreeModelSource, traceId: string): Trace | undefined {
  return source.getOutline ? source.getOutline(traceId) : source.getTrace(traceId);
}

export function rootNodes(source: TreeModelSource, options: TreeOptions): TreeNode[] {
  if (options.sessionFilter !== undefined || options.userFilter !== undefined) {
    const byUser = options.sessionFilter === undefined;
    const value = (byUser ? options.userFilter : options.sessionFilter) as string;
    const traces = (byUser ? source.findUser(value) : source.findSession(value)).filter((t) =>
      listed(t, options),
    );
    const head: TreeNode = byUser ? { kind: 'user', userId: value } : { kind: 'session', sessionId: value };
    return [head, ...traces.map((t) => traceNode(t.traceId))];
  }
  return source
    .list()
    .filter((t) => listed(t, options))
    .map((t) => traceNode(t.traceId));
}

// While live updates are paused, the top level is the one shown when the pause began, in its order (less
// the traces cleared or evicted since); the traces that would be listed now but are not are only counted,
// so the view can say how many wait.

/** The held top level, less the traces cleared or evicted since: cheap, no listing of the store. */
export function heldRootNodes(source: TreeModelSource, held: readonly TreeNode[]): TreeNode[] {
  return held.filter((n) => n.kind !== 'trace' || source.has(n.traceId));
}

/** How many traces would be listed now that the held top level does not show. */
export function waitingTraceCount(
  source: TreeModelSource,
  options: TreeOptions,
  held: readonly TreeNode[],
): number {
  const heldTraces = new Set<string>();
  for (const n of held) if (n.kind === 'trace') heldTraces.add(n.traceId);
  let waiting = 0;
  for (const n of rootNodes(source, options)) if (n.kind === 'trace' && !heldTraces.has(n.traceId)) waiting++;
  return waiting;
}

export function childNodes(source: TreeModelSource, node: TreeNode, options: TreeOptions): TreeNode[] {
  if (node.kind === 'session' || node.kind === 'user') return [];
  const trace = treeTrace(source, node.traceId);
  if (!trace) return [];
  if (options.llmOnly) {
    // A flat list of the trace's LLM calls in time order: the nesting rarely matters when only calls show.
    return node.kind === 'trace' ? trace.spans.filter((s) => s.llm).map((s) => spanNode(s)) : [];
  }
  const parentId = node.kind === 'trace' ? undefined : node.spanId;
  return childrenOf(trace, parentId).map((s) => spanNode(s));
}

export function parentNode(
  source: TreeModelSource,
  node: TreeNode,
  options: TreeOptions,
): TreeNode | undefined {
  if (node.kind !== 'span') return undefined;
  if (options.llmOnly) return traceNode(node.traceId);
  const trace = treeTrace(source, node.traceId);
  const parentId = trace && spanOf(trace, node.spanId)?.parentSpanId;
  if (!trace || !parentId || !spanOf(trace, parentId)) return traceNode(node.traceId);
  return { kind: 'span', traceId: node.traceId, spanId: parentId };
}

/** Spans whose parent is `parentId`; with no parent id, the roots (no parent, or a parent not received). */
export function childrenOf(trace: Trace, parentId: string | undefined): Span[] {
  return indexOf(trace).children.get(parentId ?? ROOT) ?? [];
}

/** A span of the trace by id, without a scan: every tree item and parent lookup goes through here. */
export function spanOf(trace: Trace, spanId: string): Span | undefined {
  return indexOf(trace).byId.get(spanId);
}

const ROOT = '';
// A built Trace is immutable (the store builds a new one when it changes), so its indexes are computed
// once per version; expanding a large trace stays linear.
const indexes = new WeakMap<Trace, { children: Map<string, Span[]>; byId: Map<string, Span> }>();

function indexOf(trace: Trace): { children: Map<string, Span[]>; byId: Map<string, Span> } {
  let index = indexes.get(trace);
  if (index) return index;
  const byId = new Map(trace.spans.map((s) => [s.spanId, s]));
  const children = new Map<string, Span[]>();
  for (const span of trace.spans) {
    const key = span.parentSpanId && byId.has(span.parentSpanId) ? span.parentSpanId : ROOT;
    const list = children.get(key);
    if (list) list.push(span);
    else children.set(key, [span]);
  }
  index = { children, byId };
  indexes.set(trace, index);
  return index;
}

export function describeSession(sessionId: string, traces: TraceSummary[]): NodeView {
  const tokens = traces.reduce((n, t) => n + (totalTokens(t.usage) ?? 0), 0);
  const calls = traces.reduce((n, t) => n + t.llmCallCount, 0);
  const description = `${plural(traces.length, 'trace')} · ${plural(calls, 'LLM call')} · ${formatTokens(tokens)} tokens`;
  return {
    label: `Session ${sessionId}`,
    description,
    icon: 'session',
    contextValue: 'session',
    collapsible: false,
    ariaLabel: `Session ${sessionId}: ${description}`,
  };
}

/** Markdown-free lines; the provider renders them as the tooltip, on hover. */
export function sessionTooltip(sessionId: string, traces: TraceSummary[]): string[] {
  const tokens = traces.reduce((n, t) => n + (totalTokens(t.usage) ?? 0), 0);
  const calls = traces.reduce((n, t) => n + t.llmCallCount, 0);
  const users = [...new Set(traces.map((t) => t.userId).filter((u): u is string => !!u))];
  return [
    `Session ${sessionId}`,
    `${plural(traces.length, 'trace')}, oldest turn first`,
    `${plural(calls, 'LLM call')}, ${formatTokens(tokens)} tokens in all`,
    ...(users.length ? [`User: ${users.join(', ')}`] : []),
  ];
}

export function describeUser(userId: string, traces: TraceSummary[]): NodeView {
  const tokens = traces.reduce((n, t) => n + (totalTokens(t.usage) ?? 0), 0);
  const sessions = new Set(traces.map((t) => t.sessionId).filter((s): s is string => !!s)).size;
  const description = `${plural(traces.length, 'trace')} · ${plural(sessions, 'session')} · ${formatTokens(tokens)} tokens`;
  return {
    label: `User ${userId}`,
    description,
    icon: 'user',
    contextValue: 'user',
    collapsible: false,
    ariaLabel: `User ${userId}: ${description}`,
  };
}

export function userTooltip(userId: string, traces: TraceSummary[]): string[] {
  const tokens = traces.reduce((n, t) => n + (totalTokens(t.usage) ?? 0), 0);
  const calls = traces.reduce((n, t) => n + t.llmCallCount, 0);
  const sessions = new Set(traces.map((t) => t.sessionId).filter((s): s is string => !!s)).size;
  return [
    `User ${userId}`,
    `${plural(traces.length, 'trace')} in ${plural(sessions, 'session')}, oldest first`,
    `${plural(calls, 'LLM call')}, ${formatTokens(tokens)} tokens in all`,
  ];
}

export function describeTrace(t: TraceSummary, nowMs: number): NodeView {
  const tokens = totalTokens(t.usage);
  // What tells traces apart comes first: a narrow sidebar cuts the end, and one app's traces share a service.
  const parts: string[] = [];
  if (t.preview)
    parts.push(`“${t.preview.length > 60 ? `${t.preview.slice(0, 59).trimEnd()}…` : t.preview}”`);
  if (t.models.length) parts.push(t.models.join(', '));
  if (tokens !== undefined) parts.push(`${formatTokens(tokens)} tok`);
  if (t.cost) parts.push(formatCost(t.cost));
  if (t.droppedSpans) parts.push(`${plural(t.droppedSpans, 'span')} dropped`);
  parts.push(formatDuration(t.durationMs), formatAge(t.startMs, nowMs), t.service);
  return {
    label: t.name,
    description: parts.join(' · '),
    icon: t.hasError ? 'error' : t.llmCallCount > 0 ? 'llm' : 'trace',
    contextValue: t.hasError ? 'trace.error' : 'trace',
    collapsible: t.spanCount > 0,
    ariaLabel: `Trace ${t.name}${t.hasError ? ', failed' : ''}, ${parts.join(', ')}`,
  };
}

export function traceTooltip(t: TraceSummary): string[] {
  const tokens = totalTokens(t.usage);
  const tooltip = [
    t.name,
    `Service: ${t.service}`,
    `Trace ID: ${t.traceId}`,
    `Started: ${new Date(t.startMs).toISOString()}  (${formatDuration(t.durationMs)})`,
    `${plural(t.spanCount, 'span')}, ${plural(t.llmCallCount, 'LLM call')}, ${plural(t.toolCallCount, 'tool call')}${t.errorCount ? `, ${plural(t.errorCount, 'failed span')}` : ''}`,
  ];
  if (t.preview) tooltip.push(`Asked: ${t.preview}`);
  if (t.models.length) tooltip.push(`Models: ${t.models.join(', ')}`);
  if (tokens !== undefined)
    tooltip.push(
      `Tokens: ${formatInOut(t.usage.inputTokens, t.usage.outputTokens)} (${formatTokens(tokens)} total)${tokenKinds(t.usage)}`,
    );
  tooltip.push(...traceCostLines(t));
  if (t.sessionId) tooltip.push(`Session: ${t.sessionId}`);
  if (t.userId) tooltip.push(`User: ${t.userId}`);
  if (t.hasError) tooltip.push('A span in this trace failed');
  if (t.droppedSpans)
    tooltip.push(
      `${plural(t.droppedSpans, 'span')} not kept: the trace reached the limit of spans per trace`,
    );
  return tooltip;
}

/** ", 41 cached, 104 reasoning" for the kinds of token that were reported. */
function tokenKinds(u: TraceSummary['usage']): string {
  const kinds: string[] = [];
  if (u.cachedInputTokens) kinds.push(`${formatTokens(u.cachedInputTokens)} cached`);
  if (u.cacheCreationInputTokens)
    kinds.push(`${formatTokens(u.cacheCreationInputTokens)} written to the cache`);
  if (u.reasoningTokens) kinds.push(`${formatTokens(u.reasoningTokens)} reasoning`);
  return kinds.length ? `, ${kinds.join(', ')}` : '';
}

export function describeSpan(span: Span, hasChildren: boolean): NodeView {
  const role = spanRole(span);
  const failed = span.status.code === 'error';
  const parts: string[] = [];
  if (span.llm) {
    const u = span.llm.usage;
    // A call that failed before the model answered has no usage: say nothing rather than "?→?".
    if (u.inputTokens !== undefined || u.outputTokens !== undefined)
      parts.push(`${formatInOut(u.inputTokens, u.outputTokens)} tok`);
    else if (failed) parts.push('failed');
    if (span.llm.cost) parts.push(callCostText(span.llm.cost));
  }
  parts.push(formatDuration(span.durationMs));
  const label = span.llm ? llmLabel(span) : span.name;
  return {
    label,
    description: parts.join(' · '),
    icon: failed ? 'error' : role,
    contextValue: span.llm ? (failed ? 'llmCall.error' : 'llmCall') : failed ? 'span.error' : 'span',
    collapsible: hasChildren,
    ariaLabel: `${span.llm ? 'LLM call ' : ''}${label}${failed ? ', failed' : ''}, ${span.llm ? `${span.llm.usage.inputTokens ?? 'unknown'} tokens in, ${span.llm.usage.outputTokens ?? 'unknown'} tokens out, ` : ''}${formatDuration(span.durationMs)}`,
  };
}

export function spanTooltip(span: Span): string[] {
  const failed = span.status.code === 'error';
  const tooltip = [
    span.name,
    `Span ID: ${span.spanId}`,
    `Trace ID: ${span.traceId}`,
    `Service: ${span.service}`,
    `Duration: ${formatDuration(span.durationMs)}`,
  ];
  if (span.llm) {
    const l = span.llm;
    const model = l.responseModel ?? l.requestModel;
    if (model) tooltip.push(`Model: ${model}${l.provider ? ` (${l.provider})` : ''}`);
    tooltip.push(
      `Tokens: ${formatInOut(l.usage.inputTokens, l.usage.outputTokens)}${l.usage.cachedInputTokens ? `, ${l.usage.cachedInputTokens} cached` : ''}`,
    );
    if (l.cost) tooltip.push(...callCostLines(l.cost, l.usage));
    if (l.finishReasons.length) tooltip.push(`Finish: ${l.finishReasons.join(', ')}`);
  }
  if (span.sessionId) tooltip.push(`Session: ${span.sessionId}`);
  if (failed)
    tooltip.push(`Error: ${span.error?.message ?? span.status.message ?? span.error?.type ?? 'failed'}`);
  return tooltip;
}

/** A node's tooltip lines, read from the store when the view asks (on hover); a node gone from it, its id. */
export function nodeTooltip(source: TreeModelSource, node: TreeNode): string[] {
  switch (node.kind) {
    case 'session':
      return sessionTooltip(node.sessionId, source.findSession(node.sessionId));
    case 'user':
      return userTooltip(node.userId, source.findUser(node.userId));
    case 'trace': {
      const summary = source.summary(node.traceId);
      return summary ? traceTooltip(summary) : [node.traceId];
    }
    case 'span': {
      const trace = treeTrace(source, node.traceId);
      const span = trace && spanOf(trace, node.spanId);
      return span ? spanTooltip(span) : [node.spanId];
    }
  }
}

/** "chat gpt-4o-mini" whatever the instrumentation named the span ("ChatCompletion", "openai.chat"...). */
function llmLabel(span: Span): string {
  const l = span.llm!;
  const model = l.responseModel ?? l.requestModel;
  if (!model || span.name.includes(model)) return span.name;
  return `${l.operation ?? span.name} ${model}`;
}

function traceNode(traceId: string): TreeNode {
  return { kind: 'trace', traceId };
}

function spanNode(span: Span): TreeNode {
  return { kind: 'span', traceId: span.traceId, spanId: span.spanId };
}

// ---- grouped by session or by user ----

/** The top level of a grouped tree: sessions (the "(no session)" group last), or users. */
export function groupRootNodes(grouping: Grouping, mode: Exclude<GroupMode, 'trace'>): TreeNode[] {
  if (mode === 'session')
    return grouping.sessions.map((g) => ({ kind: 'session', sessionId: g.sessionId, grouped: true }));
  return grouping.users.map((g) => ({ kind: 'user', userId: g.userId, grouped: true }));
}

/** A session's turns oldest first; a user's sessions, most recently active first. */
export function groupChildNodes(grouping: Grouping, node: TreeNode): TreeNode[] {
  if (node.kind === 'user' && node.grouped) {
    const user = grouping.userById.get(node.userId);
    return (user?.sessions ?? []).map((g) => ({
      kind: 'session',
      sessionId: g.sessionId,
      userId: node.userId,
      grouped: true,
    }));
  }
  if (node.kind === 'session' && node.grouped) {
    return (sessionGroupOf(grouping, node)?.traces ?? []).map((t) => traceNode(t.traceId));
  }
  return [];
}

/** The group a grouped session node lists: the whole session, or one user's part of it. */
export function sessionGroupOf(
  grouping: Grouping,
  node: { sessionId: string; userId?: string },
): SessionGroup | undefined {
  return node.userId === undefined
    ? grouping.sessionById.get(node.sessionId)
    : grouping.userSessionByKey.get(userSessionKey(node.userId, node.sessionId));
}

/** Where a trace sits in a grouped tree: under its session (under its user, by user). */
export function groupParentNode(
  grouping: Grouping,
  mode: Exclude<GroupMode, 'trace'>,
  node: TreeNode,
  summary: (traceId: string) => TraceSummary | undefined,
): TreeNode | undefined {
  if (node.kind === 'trace') {
    const t = summary(node.traceId);
    if (!t) return undefined;
    const sessionId = t.sessionId ?? NO_GROUP;
    return mode === 'session'
      ? { kind: 'session', sessionId, grouped: true }
      : { kind: 'session', sessionId, userId: t.userId ?? NO_GROUP, grouped: true };
  }
  if (
    node.kind === 'session' &&
    node.grouped &&
    node.userId !== undefined &&
    grouping.userById.has(node.userId)
  )
    return { kind: 'user', userId: node.userId, grouped: true };
  return undefined;
}

/** "12.3k tokens · $0.0123 · 4.2 s · 1 error": a group's totals, the parts that have something to say. */
export function totalsLine(totals: Totals): string {
  const parts: string[] = [];
  const tokens = totalTokens(totals.usage);
  if (tokens !== undefined) parts.push(`${formatTokens(tokens)} tok`);
  const cost = formatCost(totals.cost);
  if (cost) parts.push(cost);
  parts.push(formatDuration(totals.durationMs));
  if (totals.errors > 0) parts.push(plural(totals.errors, 'error'));
  return parts.join(' · ');
}

export function describeSessionGroup(group: SessionGroup, nowMs: number, underUser = false): NodeView {
  const none = group.sessionId === NO_GROUP;
  const label = none ? '(no session)' : group.sessionId;
  const count = none ? plural(group.totals.turns, 'trace') : plural(group.totals.turns, 'turn');
  const description = [count, totalsLine(group.totals), formatAge(group.totals.lastMs, nowMs)].join(' · ');
  return {
    label,
    description,
    icon: group.totals.errors > 0 && !none ? 'error' : 'session',
    contextValue: none ? 'session.none' : underUser ? 'session.ofUser' : 'session',
    collapsible: group.traces.length > 0,
    ariaLabel: `${none ? 'Traces without a session' : `Session ${group.sessionId}`}: ${description}`,
  };
}

export function describeUserGroup(group: UserGroup, nowMs: number): NodeView {
  const none = group.userId === NO_GROUP;
  const sessions = group.sessions.filter((s) => s.sessionId !== NO_GROUP).length;
  const description = [
    plural(sessions, 'session'),
    plural(group.totals.turns, 'trace'),
    totalsLine(group.totals),
    formatAge(group.totals.lastMs, nowMs),
  ].join(' · ');
  return {
    label: none ? '(no user)' : group.userId,
    description,
    icon: 'user',
    contextValue: none ? 'user.none' : 'user',
    collapsible: group.sessions.length > 0,
    ariaLabel: `${none ? 'Traces without a user' : `User ${group.userId}`}: ${description}`,
  };
}

/** A trace as a turn of its session: its place, what was asked, then tokens, cost and latency. */
export function describeTurn(t: TraceSummary, turn: number | undefined, nowMs: number): NodeView {
  const base = describeTrace(t, nowMs);
  const asked = t.preview
    ? `“${t.preview.length > 60 ? `${t.preview.slice(0, 59).trimEnd()}…` : t.preview}”`
    : t.name;
  const parts: string[] = [];
  const tokens = totalTokens(t.usage);
  if (tokens !== undefined) parts.push(`${formatTokens(tokens)} tok`);
  const cost = formatCost(t.cost);
  if (cost) parts.push(cost);
  parts.push(formatDuration(t.durationMs));
  if (t.models.length) parts.push(t.models.join(', '));
  if (t.hasError) parts.push('failed');
  const label = turn === undefined ? asked : `${turn}. ${asked}`;
  return {
    ...base,
    label,
    description: parts.join(' · '),
    ariaLabel: `Turn ${turn ?? ''} ${asked}${t.hasError ? ', failed' : ''}, ${parts.join(', ')}`,
  };
}

function totalsTooltip(totals: Totals): string[] {
  const u = totals.usage;
  const lines = [
    `${plural(totals.llmCalls, 'LLM call')}, ${formatTokens(totalTokens(u) ?? 0)} tokens` +
      (u.inputTokens !== undefined || u.outputTokens !== undefined
        ? ` (${formatInOut(u.inputTokens, u.outputTokens)})`
        : ''),
  ];
  const cost = formatCost(totals.cost);
  if (cost) lines.push(`Cost: ${cost}`);
  lines.push(`Time answering: ${formatDuration(totals.durationMs)}`);
  if (totals.errors > 0) lines.push(`${plural(totals.errors, 'failed trace')}`);
  if (totals.turns > 0)
    lines.push(`From ${new Date(totals.firstMs).toISOString()} to ${new Date(totals.lastMs).toISOString()}`);
  return lines;
}

export function sessionGroupTooltip(group: SessionGroup): string[] {
  const none = group.sessionId === NO_GROUP;
  return [
    none ? 'Traces without a session' : `Session ${group.sessionId}`,
    none
      ? `${plural(group.totals.turns, 'trace')}, oldest first`
      : `${plural(group.totals.turns, 'turn')}, oldest first`,
    ...totalsTooltip(group.totals),
    ...(group.userIds.length ? [`User: ${group.userIds.join(', ')}`] : []),
  ];
}

export function userGroupTooltip(group: UserGroup): string[] {
  const none = group.userId === NO_GROUP;
  const sessions = group.sessions.filter((s) => s.sessionId !== NO_GROUP).length;
  return [
    none ? 'Traces without a user' : `User ${group.userId}`,
    `${plural(sessions, 'session')}, ${plural(group.totals.turns, 'trace')}`,
    ...totalsTooltip(group.totals),
  ];
}
