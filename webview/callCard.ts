// The card of one LLM call: its own facts (model, tokens, latency, finish, status, parameters), the
// messages that are new in it, and the folded details (earlier conversation, tool definitions,
// dimensions, raw attributes) that are built only when opened.

import type { Message } from '../src/core/model';
import { callModel, type CallView, type DimensionRow } from '../src/protocol/conversation';
import { append, h, icon, iconButton, lazyDetails, type Child } from './dom';
import {
  callCostLines,
  callCostText,
  formatCount,
  formatDuration,
  plural,
  totalTokens,
} from '../src/core/format';
import { formatOffset, formatTokenCount, formatValue } from './format';
import { codeBlock } from './markdown';
import { messageElement, type ViewContext } from './messages';
import { missingContentElement } from './missingContent';

export interface CallCardContext extends ViewContext {
  revealSpan(spanId: string): void;
  /** Asks the host for a dimension's whole value (the state cut it); undefined when the trace is gone. */
  fullValue(spanId: string, key: string, from: DimensionRow['from']): Promise<string | undefined>;
}

export interface CallCardInfo {
  /** 1-based position of the call in the trace. */
  number: number;
  traceStartMs: number;
  /** Number of the earlier call whose conversation this call's input repeats. */
  repeatsNumber?: number;
}

export function callElementId(spanId: string): string {
  return `lti-call-${spanId.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

function fact(label: string, value: Child, sub?: Child, className = ''): HTMLElement {
  const item = h(
    'div',
    { className: `lti-fact${className ? ` ${className}` : ''}` },
    h('dt', { text: label }),
  );
  const dd = h('dd');
  append(dd, value);
  if (sub) append(dd, h('span', { className: 'lti-fact-sub' }, sub));
  item.appendChild(dd);
  return item;
}

function facts(call: CallView): HTMLElement {
  const { llm } = call;
  const dl = h('dl', { className: 'lti-facts' });
  const requested =
    llm.requestModel && llm.responseModel && llm.requestModel !== llm.responseModel
      ? `requested ${llm.requestModel}`
      : undefined;
  dl.appendChild(fact('Model', llm.responseModel ?? llm.requestModel ?? '—', requested, 'lti-fact-wide'));
  if (llm.provider) dl.appendChild(fact('Provider', llm.provider));
  if (llm.operation) dl.appendChild(fact('Operation', llm.operation));
  const { usage } = llm;
  const total = totalTokens(usage);
  dl.appendChild(
    fact(
      'Tokens in → out',
      h(
        'span',
        { className: 'lti-tokens' },
        formatTokenCount(usage.inputTokens),
        h('span', { className: 'lti-arrow', text: ' → ' }),
        formatTokenCount(usage.outputTokens),
      ),
      total !== undefined ? `${formatCount(total)} total` : undefined,
    ),
  );
  if (usage.cachedInputTokens !== undefined)
    dl.appendChild(fact('Cached input', formatTokenCount(usage.cachedInputTokens)));
  if (usage.cacheCreationInputTokens !== undefined)
    dl.appendChild(fact('Cache write', formatTokenCount(usage.cacheCreationInputTokens)));
  if (usage.reasoningTokens !== undefined)
    dl.appendChild(fact('Reasoning', formatTokenCount(usage.reasoningTokens)));
  if (llm.cost) {
    // The breakdown by kind, and the entry and date that priced it, on hover.
    const lines = callCostLines(llm.cost, llm.usage);
    dl.appendChild(
      fact(
        'Cost',
        h('span', {
          className: 'lti-cost',
          text: callCostText(llm.cost),
          attrs: { title: lines.join('\n') },
        }),
        llm.cost.priced ? llm.cost.entry.id : undefined,
      ),
    );
  }
  dl.appendChild(fact('Latency', formatDuration(call.durationMs)));
  if (llm.finishReasons.length > 0) dl.appendChild(fact('Finish', llm.finishReasons.join(', ')));
  if (llm.isStreaming !== undefined) dl.appendChild(fact('Streaming', llm.isStreaming ? 'yes' : 'no'));
  const status = call.status.code === 'error' ? 'error' : call.status.code === 'ok' ? 'ok' : 'unset';
  const statusTitle =
    status === 'unset'
      ? 'The instrumentation set no span status: no error was reported'
      : `Span status: ${status}`;
  dl.appendChild(
    fact(
      'Status',
      h(
        'span',
        { className: `lti-status lti-status-${status}`, attrs: { title: statusTitle } },
        icon(status === 'error' ? 'error' : status === 'ok' ? 'pass' : 'circle-large-outline'),
        status,
      ),
    ),
  );
  if (llm.responseId)
    dl.appendChild(
      fact(
        'Response id',
        h('span', {
          className: 'lti-mono lti-ellipsis',
          text: llm.responseId,
          attrs: { title: llm.responseId },
        }),
        undefined,
        'lti-fact-wide',
      ),
    );
  return dl;
}

function errorCallout(call: CallView): HTMLElement | undefined {
  if (call.status.code !== 'error' && !call.error) return undefined;
  const message = call.error?.message ?? call.status.message;
  const box = h(
    'div',
    { className: 'lti-callout lti-callout-error' },
    h(
      'div',
      { className: 'lti-callout-title' },
      icon('error'),
      h('strong', { text: 'This call failed' }),
      call.error?.type ? h('code', { className: 'lti-error-type', text: call.error.type }) : null,
    ),
  );
  if (message) box.appendChild(h('p', { className: 'lti-error-message', text: message }));
  return box;
}

function parameters(call: CallView): HTMLElement | undefined {
  const entries = Object.entries(call.llm.parameters);
  if (entries.length === 0) return undefined;
  const list = h('ul', { className: 'lti-params', attrs: { 'aria-label': 'Request parameters' } });
  for (const [key, value] of entries) {
    list.appendChild(
      h(
        'li',
        { className: 'lti-chip' },
        h('span', { className: 'lti-chip-key', text: key }),
        h('span', { className: 'lti-chip-value', text: formatValue(value) }),
      ),
    );
  }
  return h(
    'div',
    { className: 'lti-params-row' },
    h('span', { className: 'lti-label', text: 'Parameters' }),
    list,
  );
}

/** The evaluators' verdicts on this call (gen_ai.evaluation.result): name, score, label, explanation. */
function evaluations(call: CallView): HTMLElement | undefined {
  const list = call.llm.evaluations ?? [];
  if (list.length === 0) return undefined;
  const items = h('ul', { className: 'lti-evals', attrs: { 'aria-label': 'Evaluations' } });
  for (const e of list) {
    const verdict = [e.score !== undefined ? formatValue(e.score) : undefined, e.label]
      .filter((x): x is string => x !== undefined)
      .join(' · ');
    items.appendChild(
      h(
        'li',
        { className: 'lti-eval' },
        h(
          'span',
          { className: 'lti-chip' },
          h('span', { className: 'lti-chip-key', text: e.name }),
          verdict ? h('span', { className: 'lti-chip-value', text: verdict }) : null,
        ),
        e.explanation ? h('span', { className: 'lti-eval-why', text: e.explanation }) : null,
      ),
    );
  }
  return h(
    'div',
    { className: 'lti-params-row lti-evals-row' },
    h('span', { className: 'lti-label', text: 'Evaluations' }),
    items,
  );
}

function divider(label: string, iconName: string, note?: string): HTMLElement {
  return h(
    'div',
    { className: 'lti-divider', attrs: { role: 'separator' } },
    icon(iconName),
    h('span', { text: label }),
    note ? h('span', { className: 'lti-muted', text: note }) : null,
  );
}

function messageList(messages: readonly Message[], ctx: ViewContext): DocumentFragment {
  const fragment = document.createDocumentFragment();
  for (const m of messages) fragment.appendChild(messageElement(m, ctx));
  return fragment;
}

function conversation(call: CallView, info: CallCardInfo, ctx: ViewContext): HTMLElement {
  const box = h('div', { className: 'lti-conversation' });
  const { messages } = call.llm;
  if (messages.length === 0) {
    box.appendChild(missingContentElement(call.llm));
    return box;
  }
  const inputs = messages.filter((m) => m.direction === 'input');
  const outputs = messages.filter((m) => m.direction === 'output');
  const repeated = Math.min(call.repeatedInput?.count ?? 0, inputs.length);
  const fresh = inputs.slice(repeated);
  if (repeated > 0) {
    const from = info.repeatsNumber !== undefined ? `call #${info.repeatsNumber}` : 'an earlier call';
    box.appendChild(
      lazyDetails(
        [
          icon('history'),
          h('span', {
            text: `Earlier conversation: ${plural(repeated, 'message')} already shown in ${from}`,
          }),
          h('span', { className: 'lti-muted', text: ' · show the full input' }),
        ],
        () => h('div', { className: 'lti-repeated' }, messageList(inputs.slice(0, repeated), ctx)),
        { className: 'lti-earlier' },
      ),
    );
  }
  if (inputs.length > 0) {
    box.appendChild(
      divider(
        repeated > 0 ? 'New input' : 'Input',
        'arrow-right',
        fresh.length === 0
          ? 'nothing new: the input repeats the earlier conversation'
          : plural(fresh.length, 'message'),
      ),
    );
    box.appendChild(messageList(fresh, ctx));
  }
  if (outputs.length > 0) {
    box.appendChild(divider('Output', 'reply', plural(outputs.length, 'message')));
    box.appendChild(messageList(outputs, ctx));
  } else if (inputs.length > 0) {
    box.appendChild(
      divider(
        'Output',
        'reply',
        call.status.code === 'error' ? 'none: the call failed' : 'no answer was recorded',
      ),
    );
  }
  return box;
}

function toolDefinitions(call: CallView, ctx: ViewContext): HTMLElement | undefined {
  const tools = call.llm.toolDefinitions;
  if (tools.length === 0) return undefined;
  return lazyDetails(
    [
      icon('tools'),
      h('span', { text: `Tool definitions (${formatCount(tools.length)})` }),
      h('span', { className: 'lti-muted', text: ` ${tools.map((t) => t.name).join(', ')}` }),
    ],
    () => {
      const list = h('div', { className: 'lti-tool-defs' });
      for (const tool of tools) {
        const item = h(
          'div',
          { className: 'lti-tool-def' },
          h(
            'div',
            { className: 'lti-part-head' },
            icon('symbol-method'),
            h('code', { className: 'lti-tool-name', text: tool.name }),
          ),
        );
        if (tool.description)
          item.appendChild(h('p', { className: 'lti-tool-desc', text: tool.description }));
        if (tool.parameters) {
          const pretty = formatParameters(tool.parameters);
          item.appendChild(
            codeBlock(pretty, {
              language: 'json',
              onCopy: () => ctx.copy(tool.parameters ?? '', `parameters of ${tool.name}`),
              copyLabel: `Copy parameters of ${tool.name}`,
            }),
          );
        }
        list.appendChild(item);
      }
      return list;
    },
    { className: 'lti-section' },
  );
}

function formatParameters(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/**
 * A value cell. A value cut for display shows its first characters, its whole length and a button that
 * asks the host for the rest; the answer is set as text, like every value.
 */
function dimensionValue(call: CallView, row: DimensionRow, ctx: CallCardContext): HTMLElement {
  const cell = h('td', { className: 'lti-dim-value' });
  if (row.fullLength === undefined) {
    cell.textContent = row.value;
    return cell;
  }
  const text = h('span', { className: 'lti-dim-text', text: `${row.value}…` });
  const note = h('span', {
    className: 'lti-muted',
    text: `${formatCount(row.value.length)} of ${formatCount(row.fullLength)} characters shown`,
  });
  const button = h('button', {
    className: 'lti-button lti-show-full',
    attrs: { type: 'button', 'aria-label': `Show the full value of ${row.key}` },
    text: 'Show full value',
  });
  const cut = h('div', { className: 'lti-dim-cut' }, note, button);
  button.addEventListener('click', () => {
    button.disabled = true;
    button.textContent = 'Loading…';
    void ctx.fullValue(call.spanId, row.key, row.from).then((value) => {
      if (value === undefined) {
        note.textContent = 'The trace is no longer in the store: only the start of the value is known.';
        button.remove();
        return;
      }
      text.textContent = value;
      cut.remove();
    });
  });
  append(cell, text, cut);
  return cell;
}

function dimensions(call: CallView, ctx: CallCardContext): HTMLElement {
  const rows = call.dimensions;
  return lazyDetails(
    [
      icon('symbol-field'),
      h('span', { text: `Dimensions (${formatCount(rows.length)})` }),
      h('span', { className: 'lti-muted', text: ' session, user, span and resource attributes' }),
    ],
    () => {
      const body = h('tbody');
      const rowEls: { el: HTMLTableRowElement; haystack: string }[] = [];
      for (const row of rows) {
        const el = h(
          'tr',
          { className: row.key === 'session' || row.key === 'user' ? 'lti-dim-key-row' : '' },
          h('th', { attrs: { scope: 'row' }, className: 'lti-dim-key', text: row.key }),
          dimensionValue(call, row, ctx),
          h(
            'td',
            { className: 'lti-dim-from' },
            h('span', { className: `lti-from lti-from-${row.from}`, text: row.from }),
          ),
        );
        body.appendChild(el);
        rowEls.push({ el, haystack: `${row.key}\n${row.value}`.toLowerCase() });
      }
      const table = h(
        'table',
        { className: 'lti-dims' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { attrs: { scope: 'col' }, text: 'Key' }),
            h('th', { attrs: { scope: 'col' }, text: 'Value' }),
            h('th', { attrs: { scope: 'col' }, text: 'From' }),
          ),
        ),
        body,
      );
      const wrapper = h('div', { className: 'lti-dims-wrap' });
      if (rows.length > 12) {
        const filter = h('input', {
          className: 'lti-filter',
          attrs: { type: 'search', placeholder: 'Filter dimensions', 'aria-label': 'Filter dimensions' },
        });
        filter.addEventListener('input', () => {
          const q = filter.value.trim().toLowerCase();
          for (const { el, haystack } of rowEls) el.hidden = q !== '' && !haystack.includes(q);
        });
        wrapper.appendChild(filter);
      }
      wrapper.appendChild(table);
      return wrapper;
    },
    { className: 'lti-section' },
  );
}

function rawAttributes(call: CallView, ctx: ViewContext): HTMLElement {
  const cut = call.rawAttributesCut ?? 0;
  return lazyDetails(
    [
      icon('json'),
      h('span', { text: 'Raw span attributes' }),
      cut > 0
        ? h('span', {
            className: 'lti-muted',
            text: ` · ${plural(cut, 'long value')} cut here, shown whole from the table above`,
          })
        : null,
    ],
    () =>
      codeBlock(call.rawAttributes, {
        language: 'json',
        onCopy: () => ctx.copy(call.rawAttributes, 'raw attributes'),
        copyLabel: 'Copy raw attributes',
      }),
    { className: 'lti-section' },
  );
}

export function callCard(call: CallView, info: CallCardInfo, ctx: CallCardContext): HTMLElement {
  const id = callElementId(call.spanId);
  const failed = call.status.code === 'error' || call.error !== undefined;
  const card = h('section', {
    className: `lti-call${failed ? ' lti-call-failed' : ''}`,
    attrs: { id, 'aria-labelledby': `${id}-title`, tabindex: '-1', 'data-span-id': call.spanId },
  });
  const sub = [
    call.llm.provider,
    call.llm.operation,
    `started ${formatOffset(call.startMs - info.traceStartMs)}`,
    `span “${call.name}”`,
  ]
    .filter(Boolean)
    .join(' · ');
  const head = h(
    'header',
    { className: 'lti-call-head' },
    h('span', { className: 'lti-call-number', text: `#${info.number}` }),
    h(
      'div',
      { className: 'lti-call-title' },
      h(
        'h2',
        { attrs: { id: `${id}-title` } },
        h('span', { className: 'lti-visually-hidden', text: `Call ${info.number}: ` }),
        callModel(call),
      ),
      h('div', { className: 'lti-call-sub', text: sub }),
    ),
    failed ? h('span', { className: 'lti-badge lti-badge-error' }, icon('error'), 'failed') : null,
    h(
      'span',
      { className: 'lti-call-latency', attrs: { title: 'Latency' } },
      icon('clock'),
      formatDuration(call.durationMs),
    ),
    iconButton('copy', 'Copy this call as Markdown', () => ctx.copyMarkdown(call.spanId)),
    iconButton('list-tree', 'Show this span in the Traces view', () => ctx.revealSpan(call.spanId)),
  );
  append(
    card,
    head,
    errorCallout(call),
    facts(call),
    parameters(call),
    evaluations(call),
    conversation(call, info, ctx),
    toolDefinitions(call, ctx),
    dimensions(call, ctx),
    rawAttributes(call, ctx),
  );
  return card;
}
