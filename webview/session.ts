// The session view: the whole conversation of a session, turn by turn. Each turn shows only what it adds
// (its new user message), the tools it called and the answer, with its model, tokens, cost and latency; a
// failed turn says what failed. The session's totals head the page. Built with textContent and the same
// message renderer as the conversation view, so untrusted text stays text.

import { formatCost } from '../src/core/format';
import { formatCount, formatDuration, plural, totalTokens } from '../src/core/format';
import type { SessionState, TurnToolCall, TurnView } from '../src/protocol/session';
import { h, icon, iconButton, lazyDetails } from './dom';
import { formatTime, formatTokenCount, prettyJsonText } from './format';
import { codeBlock } from './markdown';
import { messageElement, type ViewContext } from './messages';

export interface SessionViewContext extends ViewContext {
  openTurn(traceId: string): void;
}

function stat(label: string, value: string, sub?: string): HTMLElement {
  return h(
    'div',
    { className: 'lti-stat' },
    h('dt', { text: label }),
    h('dd', {}, value, sub ? h('span', { className: 'lti-stat-sub', text: sub }) : null),
  );
}

function sessionHeader(state: SessionState, ctx: SessionViewContext): HTMLElement {
  const t = state.totals;
  const titleRow = h(
    'div',
    { className: 'lti-title-row' },
    icon('comment-discussion', 'lti-title-icon'),
    h('h1', { text: `Session ${state.target.sessionId}` }),
  );
  if (t && t.errors > 0)
    titleRow.appendChild(
      h('span', { className: 'lti-badge lti-badge-error' }, icon('error'), plural(t.errors, 'failed turn')),
    );
  titleRow.appendChild(
    h(
      'span',
      { className: 'lti-title-actions' },
      iconButton('copy', 'Copy the session id', () => ctx.copy(state.target.sessionId, 'session id')),
    ),
  );
  const meta = h('p', { className: 'lti-meta' });
  const parts = [
    state.sourceLabel,
    state.userIds.length > 0 ? `user ${state.userIds.join(', ')}` : undefined,
    t ? `${formatTime(t.firstMs)} to ${formatTime(t.lastMs)}` : undefined,
  ].filter((x): x is string => !!x);
  parts.forEach((part, i) => {
    if (i > 0)
      meta.appendChild(h('span', { className: 'lti-sep', text: '·', attrs: { 'aria-hidden': 'true' } }));
    meta.appendChild(h('span', { text: part }));
  });
  const stats = h('dl', { className: 'lti-stats', attrs: { 'aria-label': 'Session totals' } });
  if (t) {
    const total = totalTokens(t.usage);
    stats.append(
      stat('Turns', formatCount(t.turns), plural(t.llmCalls, 'LLM call')),
      stat(
        'Tokens in → out',
        `${formatTokenCount(t.usage.inputTokens)} → ${formatTokenCount(t.usage.outputTokens)}`,
        total !== undefined ? `${formatCount(total)} total` : undefined,
      ),
    );
    const cost = formatCost(t.cost);
    if (cost) stats.appendChild(stat('Cost', cost));
    stats.append(
      stat('Latency', formatDuration(t.durationMs), 'time answering'),
      stat('Errors', formatCount(t.errors)),
    );
  }
  return h('header', { className: 'lti-trace-head lti-session-head' }, titleRow, meta, stats);
}

function turnFacts(turn: TurnView): string {
  const parts: string[] = [];
  if (turn.models.length > 0) parts.push(turn.models.join(', '));
  const tokens = totalTokens(turn.usage);
  if (turn.usage.inputTokens !== undefined || turn.usage.outputTokens !== undefined)
    parts.push(
      `${formatTokenCount(turn.usage.inputTokens)} → ${formatTokenCount(turn.usage.outputTokens)} tokens`,
    );
  else if (tokens !== undefined) parts.push(`${formatCount(tokens)} tokens`);
  const cost = formatCost(turn.cost);
  if (cost) parts.push(cost);
  parts.push(formatDuration(turn.durationMs));
  if (turn.llmCallCount > 1) parts.push(plural(turn.llmCallCount, 'LLM call'));
  return parts.join(' · ');
}

function toolCallElement(call: TurnToolCall): HTMLElement {
  const args = prettyJsonText(call.arguments) ?? call.arguments;
  return h(
    'div',
    { className: 'lti-session-tool' },
    lazyDetails(
      [
        icon('tools'),
        h('span', { className: 'lti-mono', text: call.name }),
        call.result === undefined ? h('span', { className: 'lti-muted', text: ' (no result seen)' }) : null,
      ],
      () =>
        h(
          'div',
          {},
          h('div', { className: 'lti-label', text: 'Arguments' }),
          codeBlock(args, { language: 'json' }),
          call.result !== undefined ? h('div', { className: 'lti-label', text: 'Result' }) : null,
          call.result !== undefined ? codeBlock(prettyJsonText(call.result) ?? call.result) : null,
        ),
    ),
  );
}

const MISSING: Record<string, string> = {
  captureDisabled: 'The instrumentation did not record message content for this turn.',
  logsNotExported: 'This turn sends its messages as log records, and none arrived.',
  truncated: 'The content of this turn was cut before it arrived.',
};

function turnElement(turn: TurnView, ctx: SessionViewContext): HTMLElement {
  const head = h(
    'div',
    { className: 'lti-call-head' },
    h('span', {
      className: 'lti-call-number',
      text: String(turn.number),
      attrs: { 'aria-label': `Turn ${turn.number}` },
    }),
    h(
      'div',
      { className: 'lti-call-title' },
      h('h2', { text: `${turn.name}` }),
      h('div', { className: 'lti-call-sub', text: `${formatTime(turn.startMs)} · ${turnFacts(turn)}` }),
    ),
    h(
      'button',
      {
        className: 'lti-button lti-session-open',
        attrs: { type: 'button', title: 'Open this turn in its own panel' },
        onClick: () => ctx.openTurn(turn.traceId),
      },
      icon('go-to-file'),
      'Open turn',
    ),
  );
  const body = h('div', { className: 'lti-session-turn-body' });
  if (turn.error)
    body.appendChild(
      h(
        'div',
        { className: 'lti-callout lti-callout-error', attrs: { role: 'note' } },
        h(
          'div',
          { className: 'lti-callout-title' },
          icon('error'),
          h('strong', { text: 'This turn failed' }),
        ),
        h('p', { text: turn.error }),
      ),
    );
  if (turn.pending) {
    body.appendChild(h('p', { className: 'lti-muted', text: 'Reading this turn…' }));
  } else {
    if (turn.repeatedCount > 0)
      body.appendChild(
        h('p', {
          className: 'lti-muted lti-session-repeated',
          text: `${plural(turn.repeatedCount, 'earlier message')} sent again, not shown`,
        }),
      );
    for (const m of turn.newMessages) body.appendChild(messageElement(m, ctx));
    if (turn.toolCalls.length > 0) {
      const tools = h(
        'div',
        { className: 'lti-session-tools' },
        h('div', { className: 'lti-label', text: plural(turn.toolCalls.length, 'tool call') }),
      );
      for (const c of turn.toolCalls) tools.appendChild(toolCallElement(c));
      body.appendChild(tools);
    }
    for (const m of turn.answer) body.appendChild(messageElement(m, ctx));
    if (turn.newMessages.length === 0 && turn.answer.length === 0 && turn.toolCalls.length === 0)
      body.appendChild(
        h('p', {
          className: 'lti-muted',
          text:
            (turn.missingContent && MISSING[turn.missingContent]) ??
            'No messages were recorded for this turn.',
        }),
      );
    if (turn.cut)
      body.appendChild(
        h('p', {
          className: 'lti-muted',
          text: 'Long texts are cut here; open the turn to read them whole.',
        }),
      );
  }
  return h(
    'section',
    {
      className: `lti-call lti-session-turn${turn.hasError ? ' lti-call-failed' : ''}`,
      attrs: {
        'aria-label': `Turn ${turn.number}${turn.hasError ? ', failed' : ''}`,
        'data-trace-id': turn.traceId,
      },
    },
    head,
    body,
  );
}

/** Renders the whole session; a turn whose content did not change keeps its element (and what was opened). */
export class SessionView {
  private turns = new Map<string, { signature: string; element: HTMLElement }>();

  constructor(
    private readonly root: HTMLElement,
    private readonly ctx: SessionViewContext,
  ) {}

  render(state: SessionState): void {
    this.root.setAttribute('aria-busy', state.loading ? 'true' : 'false');
    const parts: Node[] = [sessionHeader(state, this.ctx)];
    if (state.loadError)
      parts.push(
        h(
          'div',
          { className: 'lti-callout lti-callout-error', attrs: { role: 'alert' } },
          h(
            'div',
            { className: 'lti-callout-title' },
            icon('error'),
            h('strong', { text: 'The session could not be loaded' }),
          ),
          h('p', { text: state.loadError }),
        ),
      );
    if (state.hiddenTurns)
      parts.push(
        h('p', { className: 'lti-muted', text: `${plural(state.hiddenTurns, 'older turn')} not shown.` }),
      );
    const list = h('div', { className: 'lti-calls lti-session-turns' });
    const next = new Map<string, { signature: string; element: HTMLElement }>();
    for (const turn of state.turns) {
      const signature = JSON.stringify(turn);
      const old = this.turns.get(turn.traceId);
      const entry =
        old && old.signature === signature ? old : { signature, element: turnElement(turn, this.ctx) };
      next.set(turn.traceId, entry);
      list.appendChild(entry.element);
    }
    this.turns = next;
    if (state.turns.length > 0) parts.push(list);
    else
      parts.push(
        h('p', {
          className: 'lti-empty-note',
          text: state.loading
            ? 'Looking for the turns of this session…'
            : 'No trace of this session is in the store.',
        }),
      );
    this.root.replaceChildren(...parts);
  }
}
