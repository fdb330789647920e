// The top of the view: what the trace is (name, service, time, totals, session and user with copy
// buttons, error badge) and, for traces with several LLM calls, an outline that shows when each call ran
// and jumps to it. Timeline bars are SVG rectangles: the CSP allows no style attributes.

import { callModel, type CallView, type ConversationState } from '../src/protocol/conversation';
import type { TraceSummary } from '../src/core/model';
import { append, h, icon, iconButton } from './dom';
import {
  formatCost,
  formatCount,
  formatDuration,
  plural,
  totalTokens,
  traceCostLines,
} from '../src/core/format';
import { formatTime, formatTokenCount } from './format';
import type { ViewContext } from './messages';

const SVG_NS = 'http://www.w3.org/2000/svg';

function stat(label: string, value: string, sub?: string, title?: string): HTMLElement {
  return h(
    'div',
    { className: 'lti-stat', attrs: { title } },
    h('dt', { text: label }),
    h('dd', {}, value, sub ? h('span', { className: 'lti-stat-sub', text: sub }) : null),
  );
}

function idChip(label: string, value: string, what: string, ctx: ViewContext): HTMLElement {
  return h(
    'span',
    { className: 'lti-id-chip' },
    h('span', { className: 'lti-id-label', text: label }),
    h('code', { className: 'lti-id-value', text: value, attrs: { title: value } }),
    iconButton('copy', `Copy ${what}`, () => ctx.copy(value, what)),
  );
}

export function traceHeader(trace: TraceSummary, state: ConversationState, ctx: ViewContext): HTMLElement {
  const titleRow = h(
    'div',
    { className: 'lti-title-row' },
    icon('comment-discussion', 'lti-title-icon'),
    h('h1', { text: trace.name || '(unnamed trace)' }),
  );
  if (trace.hasError)
    titleRow.appendChild(h('span', { className: 'lti-badge lti-badge-error' }, icon('error'), 'error'));
  titleRow.appendChild(
    h(
      'span',
      { className: 'lti-title-actions' },
      iconButton('copy', 'Copy the conversation as Markdown', () => ctx.copyMarkdown()),
    ),
  );
  const meta = h('p', { className: 'lti-meta' });
  const metaParts = [
    state.sourceLabel,
    trace.service,
    `started ${formatTime(trace.startMs)}`,
    trace.models.length > 0 ? trace.models.join(', ') : undefined,
  ].filter((x): x is string => !!x);
  metaParts.forEach((part, i) => {
    if (i > 0)
      meta.appendChild(h('span', { className: 'lti-sep', text: '·', attrs: { 'aria-hidden': 'true' } }));
    meta.appendChild(h('span', { text: part }));
  });
  const total = totalTokens(trace.usage);
  const stats = h(
    'dl',
    { className: 'lti-stats' },
    stat('Duration', formatDuration(trace.durationMs)),
    stat(
      'LLM calls',
      formatCount(trace.llmCallCount),
      state.otherSpanCount > 0 ? `of ${formatCount(trace.spanCount)} spans` : undefined,
    ),
    stat(
      'Tokens in → out',
      `${formatTokenCount(trace.usage.inputTokens)} → ${formatTokenCount(trace.usage.outputTokens)}`,
      total !== undefined ? `${formatCount(total)} total` : undefined,
    ),
  );
  if (trace.usage.cachedInputTokens !== undefined)
    stats.appendChild(stat('Cached input', formatTokenCount(trace.usage.cachedInputTokens)));
  if (trace.usage.cacheCreationInputTokens !== undefined)
    stats.appendChild(stat('Cache write', formatTokenCount(trace.usage.cacheCreationInputTokens)));
  if (trace.usage.reasoningTokens !== undefined)
    stats.appendChild(stat('Reasoning', formatTokenCount(trace.usage.reasoningTokens)));
  if (trace.cost)
    stats.appendChild(
      stat(
        'Cost',
        formatCost(trace.cost),
        trace.cost.unpricedCalls > 0 && trace.cost.pricedCalls > 0
          ? `${plural(trace.cost.unpricedCalls, 'call')} with no price`
          : undefined,
        traceCostLines(trace).join('\n'),
      ),
    );
  stats.appendChild(stat('Tool calls', formatCount(trace.toolCallCount)));
  stats.appendChild(
    stat('Errors', formatCount(trace.errorCount), trace.errorCount > 0 ? 'failed spans' : undefined),
  );
  const ids = h('div', { className: 'lti-ids' });
  if (trace.sessionId !== undefined) ids.appendChild(idChip('Session', trace.sessionId, 'session id', ctx));
  if (trace.userId !== undefined) ids.appendChild(idChip('User', trace.userId, 'user id', ctx));
  ids.appendChild(idChip('Trace', trace.traceId, 'trace id', ctx));
  return h('header', { className: 'lti-trace-head' }, titleRow, meta, stats, ids);
}

function timeline(call: CallView, trace: TraceSummary): SVGSVGElement {
  const span = Math.max(trace.durationMs, 1);
  const x = Math.min(1000, Math.max(0, ((call.startMs - trace.startMs) / span) * 1000));
  const width = Math.max(6, Math.min(1000 - x, (call.durationMs / span) * 1000));
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('class', 'lti-timeline');
  svg.setAttribute('viewBox', '0 0 1000 10');
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('aria-hidden', 'true');
  const track = document.createElementNS(SVG_NS, 'rect');
  track.setAttribute('class', 'lti-timeline-track');
  for (const [k, v] of [
    ['x', '0'],
    ['y', '0'],
    ['width', '1000'],
    ['height', '10'],
  ])
    track.setAttribute(k as string, v as string);
  const bar = document.createElementNS(SVG_NS, 'rect');
  bar.setAttribute('class', `lti-timeline-bar${call.status.code === 'error' ? ' lti-timeline-error' : ''}`);
  for (const [k, v] of [
    ['x', x.toFixed(1)],
    ['y', '0'],
    ['width', width.toFixed(1)],
    ['height', '10'],
  ])
    bar.setAttribute(k as string, v as string);
  svg.append(track, bar);
  return svg;
}

/** A list of the calls with their timing; activating one scrolls to its card and puts it in focus. */
export function callOutline(
  calls: readonly CallView[],
  trace: TraceSummary,
  onSelect: (spanId: string) => void,
): HTMLElement {
  const list = h('ol', { className: 'lti-outline-list' });
  calls.forEach((call, i) => {
    const failed = call.status.code === 'error' || call.error !== undefined;
    const label = `Call ${i + 1}: ${callModel(call)}, ${formatDuration(call.durationMs)}${failed ? ', failed' : ''}`;
    const button = h(
      'button',
      {
        className: 'lti-outline-item',
        attrs: { type: 'button', 'aria-label': label, 'data-span-id': call.spanId },
        onClick: () => onSelect(call.spanId),
      },
      h('span', { className: 'lti-outline-number', text: `#${i + 1}` }),
      h('span', { className: 'lti-outline-model', text: callModel(call) }),
      h('span', { className: 'lti-outline-op', text: call.llm.operation ?? '' }),
      timeline(call, trace),
      h('span', { className: 'lti-outline-duration', text: formatDuration(call.durationMs) }),
      h('span', {
        className: 'lti-outline-tokens',
        text: `${formatTokenCount(call.llm.usage.inputTokens)} → ${formatTokenCount(call.llm.usage.outputTokens)}`,
      }),
    );
    if (failed) button.appendChild(icon('error', 'lti-outline-error'));
    list.appendChild(h('li', {}, button));
  });
  const nav = h('nav', { className: 'lti-outline', attrs: { 'aria-label': 'LLM calls in this trace' } });
  append(nav, h('h2', { className: 'lti-outline-title', text: plural(calls.length, 'LLM call') }), list);
  return nav;
}

/**
 * What the view shows for a trace the store does not have: a local one cleared, evicted or from an earlier
 * session; a cloud one whose rows could not be fetched (the error says why and what to do).
 */
export function missingTrace(
  traceId: string,
  ctx: ViewContext,
  sourceLabel?: string,
  loadError?: string,
): HTMLElement {
  const cloud = sourceLabel !== undefined;
  const text = loadError
    ? loadError
    : cloud
      ? `No rows of this operation were found in ${sourceLabel} within the last 30 days: it may be older, or the connection has changed.`
      : 'This one was cleared, evicted to keep the store within its limits (llmTraceInspector.store.maxTraces in memory, store.persistMaxMB on disk), or received while llmTraceInspector.store.persist was off. Run the app again to send a new trace.';
  return h(
    'div',
    { className: 'lti-empty', attrs: { role: loadError ? 'alert' : 'status' } },
    icon(loadError ? 'error' : 'search-stop', 'lti-empty-icon'),
    h('h1', {
      text: loadError
        ? 'This trace could not be fetched'
        : cloud
          ? 'This trace was not found'
          : 'This trace is no longer in the store',
    }),
    h('p', { text }),
    h('div', { className: 'lti-ids' }, idChip('Trace', traceId, 'trace id', ctx)),
  );
}

/** While a cloud source fetches the rows of the trace. */
export function loadingTrace(state: ConversationState): HTMLElement {
  return h(
    'div',
    { className: 'lti-empty', attrs: { role: 'status' } },
    icon('loading', 'lti-empty-icon codicon-modifier-spin'),
    // A local trace is read from the receiver's store; only a big one takes long enough to be seen.
    h('h1', { text: state.sourceLabel ? 'Fetching the trace' : 'Reading the trace' }),
    h('p', {
      text: state.sourceLabel
        ? `Reading every row of operation ${state.target.traceId} from ${state.sourceLabel}...`
        : `Reading the spans of trace ${state.target.traceId} from the receiver's store...`,
    }),
  );
}

/**
 * What the source says about a trace that is shown: still being fetched whole (the list holds only its LLM
 * calls), could not be fetched (why, and what to do), or lacks content for a reason it knows.
 */
export function sourceNotes(state: ConversationState): HTMLElement | undefined {
  const lines: HTMLElement[] = [];
  if (state.loading)
    lines.push(
      h(
        'p',
        { attrs: { role: 'status' } },
        icon('loading', 'codicon-modifier-spin'),
        h('span', { text: `Fetching every row of this trace from ${state.sourceLabel ?? 'its source'}…` }),
      ),
    );
  if (state.loadError)
    lines.push(
      h(
        'p',
        { className: 'lti-source-error', attrs: { role: 'alert' } },
        icon('error'),
        h('span', {
          text: `Showing only what the list holds: the whole trace could not be fetched. ${state.loadError}`,
        }),
      ),
    );
  for (const note of state.notes ?? []) lines.push(h('p', {}, icon('info'), h('span', { text: note })));
  if (lines.length === 0) return undefined;
  return h('div', { className: 'lti-source-notes', attrs: { role: 'note' } }, ...lines);
}

/** What the view shows for a trace that has arrived but has no LLM call (yet). */
export function noCalls(state: ConversationState): HTMLElement {
  return h(
    'div',
    { className: 'lti-empty lti-empty-inline', attrs: { role: 'status' } },
    icon('info', 'lti-empty-icon'),
    h('h2', { text: 'No LLM calls in this trace' }),
    h('p', {
      text: `${plural(state.otherSpanCount, 'span')} arrived, none with GenAI attributes (gen_ai.*, OpenLLMetry or OpenInference). If the app is still running, the LLM spans may not have been exported yet: they appear here as soon as they arrive.`,
    }),
  );
}
