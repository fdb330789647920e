// The trace's spans as a waterfall: one row per span on a shared time axis, nested by parent, with LLM
// calls, tool calls and agent steps told apart and errors in red. Rows are virtualised
// (@tanstack/virtual-core): a trace of 10,000 spans draws only the rows on screen. The layout comes from
// the host (rows depth first, with the size of each subtree), so folding a subtree skips a range here.
// Positions are set through the CSSOM (element.style), which the CSP allows; never a style attribute.

import { Virtualizer, elementScroll, observeElementOffset, observeElementRect } from '@tanstack/virtual-core';
import {
  barGeometry,
  visibleRows,
  type DimensionRow,
  type SpanDetails,
  type WaterfallRow,
  type WaterfallView,
} from '../src/protocol/conversation';
import { formatCount, formatDuration, plural } from '../src/core/format';
import { append, h, icon } from './dom';
import { formatOffset } from './format';

/** Height of one row (px); the CSS gives `.lti-wf-row` the same. */
export const ROW_HEIGHT = 24;
/** At most this many rows show before the list scrolls on its own. */
const MAX_VISIBLE_ROWS = 18;
const INDENT_PX = 14;

export interface WaterfallContext {
  /** Asks the host for a span's attributes, events and status; undefined when the trace is gone. */
  spanDetails(spanId: string): Promise<SpanDetails | undefined>;
  /** Asks the host for an attribute's whole value (the details cut it). */
  fullValue(spanId: string, key: string, from: DimensionRow['from']): Promise<string | undefined>;
  /** The user picked an LLM call's row: bring its conversation card into view. */
  showCall(spanId: string): void;
}

const ROLE_ICONS: Record<WaterfallRow['role'], string> = {
  llm: 'sparkle',
  tool: 'tools',
  agent: 'hubot',
  span: 'symbol-event',
};

/** What a row says it is, for its badge and for screen readers. */
export function roleLabel(row: WaterfallRow): string | undefined {
  switch (row.role) {
    case 'llm':
      return 'LLM call';
    case 'tool':
      return row.operation === 'execute_tool' || row.operation === undefined ? 'tool call' : row.operation;
    case 'agent':
      return row.operation === 'create_agent' ? 'create agent' : 'agent step';
    case 'span':
      return undefined;
  }
}

export class Waterfall {
  readonly element: HTMLElement;
  private readonly scroller: HTMLElement;
  private readonly inner: HTMLElement;
  private readonly details: HTMLElement;
  private readonly summary: HTMLElement;
  private readonly axis: HTMLElement;
  private view: WaterfallView = { startMs: 0, durationMs: 0, rows: [] };
  private indexOf = new Map<string, number>();
  private folded = new Set<string>();
  private visible: number[] = [];
  /** Position in `visible` of the row that holds the keyboard focus. */
  private active = 0;
  private selected: string | undefined;
  private focusWanted = false;
  private savedScrollTop = 0;
  private detailsRequest = 0;
  private readonly virtualizer: Virtualizer<HTMLElement, HTMLElement>;
  private unmount: (() => void) | undefined;

  constructor(private readonly ctx: WaterfallContext) {
    this.summary = h('span', { className: 'lti-muted' });
    this.axis = h('div', { className: 'lti-wf-axis', attrs: { 'aria-hidden': 'true' } });
    this.inner = h('div', { className: 'lti-wf-inner' });
    this.scroller = h(
      'div',
      {
        className: 'lti-wf-scroll',
        attrs: { role: 'tree', 'aria-label': 'Spans of this trace', tabindex: '-1' },
      },
      this.inner,
    );
    this.details = h('div', { className: 'lti-wf-details', attrs: { 'aria-live': 'polite' } });
    this.element = h(
      'section',
      { className: 'lti-waterfall', attrs: { 'aria-label': 'Waterfall of spans' } },
      h('h2', { className: 'lti-outline-title' }, icon('list-tree'), ' Spans ', this.summary),
      this.axis,
      this.scroller,
      this.details,
    );
    this.scroller.addEventListener('keydown', (e) => this.onKey(e));
    this.scroller.addEventListener('scroll', () => (this.savedScrollTop = this.scroller.scrollTop));
    this.virtualizer = new Virtualizer<HTMLElement, HTMLElement>({
      count: 0,
      getScrollElement: () => this.scroller,
      estimateSize: () => ROW_HEIGHT,
      scrollToFn: elementScroll,
      observeElementRect,
      observeElementOffset,
      overscan: 12,
      // Until the first resize report, paint as if the list had its full height.
      initialRect: { width: 800, height: ROW_HEIGHT * MAX_VISIBLE_ROWS },
      onChange: () => this.paint(),
    });
  }

  /** New rows (a live trace grows): folds, the selection and the scroll position are kept. */
  update(view: WaterfallView): void {
    this.view = view;
    this.indexOf = new Map(view.rows.map((r, i) => [r.spanId, i]));
    for (const id of this.folded) if (!this.indexOf.has(id)) this.folded.delete(id);
    const n = view.rows.length;
    const errors = view.rows.reduce((k, r) => k + (r.error ? 1 : 0), 0);
    this.summary.textContent = `${formatCount(n)} · ${formatDuration(view.durationMs)}${errors > 0 ? ` · ${plural(errors, 'error')}` : ''}`;
    this.axis.replaceChildren(
      ...[0, 0.25, 0.5, 0.75, 1].map((f) => {
        const tick = h('span', { className: 'lti-wf-tick', text: formatOffset(view.durationMs * f) });
        tick.style.left = `${f * 100}%`;
        return tick;
      }),
    );
    this.relayout();
  }

  /** Called once the element is in the document (again): observers start, the scroll position returns. */
  attached(): void {
    // Its size is read as it is observed, at once: observed while it was out of the document (folded away
    // by the layout switch, say) the list measured 0 px and would show no rows until the resize observer
    // reported, a layout of the whole page later. So it is observed afresh.
    if (this.virtualizer.scrollRect?.height === 0) {
      this.unmount?.();
      this.unmount = undefined;
    }
    if (!this.unmount) this.unmount = this.virtualizer._didMount();
    this.scroller.scrollTop = this.savedScrollTop;
    this.virtualizer._willUpdate();
    this.paint();
  }

  dispose(): void {
    this.unmount?.();
    this.unmount = undefined;
  }

  /** Marks the row of the call in focus, without scrolling. */
  mark(spanId: string | undefined): void {
    if (spanId === this.selected) return;
    this.selected = spanId;
    this.paint();
  }

  /** Marks the row of a span picked elsewhere (the call outline, the host's focus) and scrolls to it. */
  reveal(spanId: string | undefined): void {
    this.selected = spanId;
    const i = spanId !== undefined ? this.indexOf.get(spanId) : undefined;
    if (i !== undefined) {
      this.unfoldAncestors(i);
      const pos = this.visible.indexOf(i);
      if (pos >= 0) {
        this.active = pos;
        this.virtualizer.scrollToIndex(pos, { align: 'auto' });
      }
    }
    this.paint();
  }

  private relayout(): void {
    this.visible = visibleRows(this.view.rows, this.folded);
    this.active = Math.min(this.active, Math.max(0, this.visible.length - 1));
    this.scroller.style.height = `${Math.min(this.visible.length, MAX_VISIBLE_ROWS) * ROW_HEIGHT + 2}px`;
    this.virtualizer.setOptions({ ...this.virtualizer.options, count: this.visible.length });
    // Out of the document (the first state, before render attaches it) it is observed in attached().
    if (this.scroller.isConnected) this.virtualizer._willUpdate();
    this.inner.style.height = `${this.virtualizer.getTotalSize()}px`;
    this.paint();
  }

  private paint(): void {
    const items = this.virtualizer.getVirtualItems();
    const rows: HTMLElement[] = [];
    for (const item of items) {
      const index = this.visible[item.index];
      if (index === undefined) continue;
      const el = this.rowElement(this.view.rows[index] as WaterfallRow, item.index);
      el.style.transform = `translateY(${item.start}px)`;
      rows.push(el);
    }
    this.inner.style.height = `${this.virtualizer.getTotalSize()}px`;
    this.inner.replaceChildren(...rows);
    if (this.focusWanted) {
      const el = this.inner.querySelector<HTMLElement>('.lti-wf-row[tabindex="0"]');
      if (el) {
        el.focus({ preventScroll: true });
        this.focusWanted = false;
      }
    }
  }

  private rowElement(row: WaterfallRow, pos: number): HTMLElement {
    const role = roleLabel(row);
    const folded = this.folded.has(row.spanId);
    const classes = ['lti-wf-row', `lti-wf-${row.role}`];
    if (row.error) classes.push('lti-wf-error');
    if (row.spanId === this.selected) classes.push('lti-wf-selected');
    const label = [row.name, role, row.error ? 'failed' : undefined, formatDuration(row.durationMs)]
      .filter(Boolean)
      .join(', ');
    const el = h('div', {
      className: classes.join(' '),
      attrs: {
        role: 'treeitem',
        'aria-level': String(row.depth + 1),
        'aria-expanded': row.descendants > 0 ? String(!folded) : undefined,
        'aria-selected': String(row.spanId === this.selected),
        'aria-label': label,
        'aria-posinset': undefined,
        tabindex: pos === this.active ? '0' : '-1',
        'data-span-id': row.spanId,
      },
    });
    const name = h('div', { className: 'lti-wf-name' });
    name.style.paddingLeft = `${row.depth * INDENT_PX}px`;
    if (row.descendants > 0) {
      const twisty = h('span', {
        className: 'lti-wf-twisty',
        attrs: { 'aria-hidden': 'true', 'data-twisty': 'true' },
      });
      twisty.appendChild(icon(folded ? 'chevron-right' : 'chevron-down'));
      name.appendChild(twisty);
    } else {
      name.appendChild(h('span', { className: 'lti-wf-twisty' }));
    }
    append(
      name,
      icon(row.error ? 'error' : ROLE_ICONS[row.role], 'lti-wf-icon'),
      h('span', { className: 'lti-wf-label', text: row.name, attrs: { title: row.name } }),
      role && row.role !== 'llm' ? h('span', { className: 'lti-wf-badge', text: role }) : null,
      row.orphan ? h('span', { className: 'lti-wf-badge', text: 'parent missing' }) : null,
      row.skewed ? h('span', { className: 'lti-wf-badge', text: 'starts before its parent' }) : null,
    );
    const track = h('div', { className: 'lti-wf-track' });
    const geometry = barGeometry(row, this.view.durationMs);
    const bar = h('div', { className: 'lti-wf-bar' });
    bar.style.left = `${geometry.left * 100}%`;
    bar.style.width = `${geometry.width * 100}%`;
    const duration = h('span', { className: 'lti-wf-duration', text: formatDuration(row.durationMs) });
    // The label sits after the bar, or before it when the bar ends near the right edge.
    if (geometry.left + geometry.width > 0.8) {
      duration.classList.add('lti-wf-duration-before');
      duration.style.right = `${(1 - geometry.left) * 100}%`;
    } else {
      duration.style.left = `${(geometry.left + geometry.width) * 100}%`;
    }
    append(track, bar, duration);
    append(el, name, track);
    el.addEventListener('click', (e) => {
      this.active = pos;
      const onTwisty = e.target instanceof Element && e.target.closest('[data-twisty]');
      if (onTwisty) this.toggle(row);
      else this.select(row);
    });
    return el;
  }

  private toggle(row: WaterfallRow): void {
    if (row.descendants === 0) return;
    if (this.folded.has(row.spanId)) this.folded.delete(row.spanId);
    else this.folded.add(row.spanId);
    this.focusWanted = true;
    this.relayout();
  }

  private unfoldAncestors(index: number): void {
    let changed = false;
    for (let i = index - 1; i >= 0; i--) {
      const r = this.view.rows[i] as WaterfallRow;
      if (i + r.descendants >= index && this.folded.delete(r.spanId)) changed = true;
    }
    if (changed) this.visible = visibleRows(this.view.rows, this.folded);
    if (changed) this.relayout();
  }

  private select(row: WaterfallRow): void {
    this.selected = row.spanId;
    this.focusWanted = true;
    this.paint();
    void this.showDetails(row);
    if (row.role === 'llm') this.ctx.showCall(row.spanId);
  }

  private async showDetails(row: WaterfallRow): Promise<void> {
    const request = ++this.detailsRequest;
    this.details.replaceChildren(h('p', { className: 'lti-muted', text: `Loading ${row.name}…` }));
    const details = await this.ctx.spanDetails(row.spanId);
    if (request !== this.detailsRequest) return;
    if (!details) {
      this.details.replaceChildren(
        h('p', { className: 'lti-muted', text: 'The trace is no longer in the store.' }),
      );
      return;
    }
    this.details.replaceChildren(detailsElement(details, row, this.ctx));
  }

  private onKey(e: KeyboardEvent): void {
    const n = this.visible.length;
    if (n === 0) return;
    const row = this.view.rows[this.visible[this.active] as number] as WaterfallRow;
    let next = this.active;
    switch (e.key) {
      case 'ArrowDown':
        next = Math.min(n - 1, this.active + 1);
        break;
      case 'ArrowUp':
        next = Math.max(0, this.active - 1);
        break;
      case 'Home':
        next = 0;
        break;
      case 'End':
        next = n - 1;
        break;
      case 'PageDown':
        next = Math.min(n - 1, this.active + MAX_VISIBLE_ROWS - 1);
        break;
      case 'PageUp':
        next = Math.max(0, this.active - MAX_VISIBLE_ROWS + 1);
        break;
      case 'ArrowRight':
        if (row.descendants > 0 && this.folded.has(row.spanId)) {
          this.toggle(row);
          e.preventDefault();
          return;
        }
        if (row.descendants > 0) next = Math.min(n - 1, this.active + 1);
        break;
      case 'ArrowLeft': {
        if (row.descendants > 0 && !this.folded.has(row.spanId)) {
          this.toggle(row);
          e.preventDefault();
          return;
        }
        // To the parent: the nearest row above with a smaller depth.
        for (let p = this.active - 1; p >= 0; p--) {
          const r = this.view.rows[this.visible[p] as number] as WaterfallRow;
          if (r.depth < row.depth) {
            next = p;
            break;
          }
        }
        break;
      }
      case 'Enter':
      case ' ':
        e.preventDefault();
        this.select(row);
        return;
      default:
        return;
    }
    e.preventDefault();
    this.active = next;
    this.focusWanted = true;
    this.virtualizer.scrollToIndex(next, { align: 'auto' });
    this.paint();
  }
}

function statusText(details: SpanDetails): string {
  const code = details.status.code;
  const message = details.error?.message ?? details.status.message;
  return message ? `${code}: ${message}` : code;
}

function valueCell(
  spanId: string,
  row: DimensionRow,
  ctx: WaterfallContext,
  fetchable: boolean,
): HTMLElement {
  const cell = h('td', { className: 'lti-dim-value', text: row.value });
  if (row.fullLength === undefined) return cell;
  cell.textContent = `${row.value}…`;
  if (!fetchable) {
    cell.appendChild(
      h('div', { className: 'lti-muted', text: `cut: ${formatCount(row.fullLength)} characters in all` }),
    );
    return cell;
  }
  const button = h('button', {
    className: 'lti-button lti-show-full',
    attrs: { type: 'button', 'aria-label': `Show the full value of ${row.key}` },
    text: `Show all (${formatCount(row.fullLength)} characters)`,
  });
  button.addEventListener('click', () => {
    button.disabled = true;
    void ctx.fullValue(spanId, row.key, row.from).then((value) => {
      if (value !== undefined) cell.textContent = value;
      else button.remove();
    });
  });
  cell.appendChild(h('div', {}, button));
  return cell;
}

/** `fetchable`: a cut value can be asked for whole (the span's own attributes; not an event's). */
function attributeTable(
  spanId: string,
  rows: readonly DimensionRow[],
  ctx: WaterfallContext,
  fetchable = true,
): HTMLElement {
  if (rows.length === 0) return h('p', { className: 'lti-muted', text: 'No attributes.' });
  const body = h('tbody');
  for (const row of rows) {
    body.appendChild(
      h(
        'tr',
        {},
        h('th', { attrs: { scope: 'row' }, className: 'lti-dim-key', text: row.key }),
        valueCell(spanId, row, ctx, fetchable),
        h(
          'td',
          { className: 'lti-dim-from' },
          h('span', { className: `lti-from lti-from-${row.from}`, text: row.from }),
        ),
      ),
    );
  }
  return h('div', { className: 'lti-dims-wrap' }, h('table', { className: 'lti-dims' }, body));
}

/** The details pane of one span: what it is, its status, attributes and events. Everything as text. */
function detailsElement(details: SpanDetails, row: WaterfallRow, ctx: WaterfallContext): HTMLElement {
  const failed = details.status.code === 'error' || details.error !== undefined;
  const box = h('div', {
    className: `lti-wf-detail${failed ? ' lti-wf-detail-error' : ''}`,
    attrs: { 'data-span-id': details.spanId },
  });
  const facts = [
    roleLabel(row) ?? `${details.kind} span`,
    details.service,
    details.scope ? `scope ${details.scope}` : undefined,
    `started ${formatOffset(row.offsetMs)}`,
    formatDuration(details.durationMs),
  ]
    .filter(Boolean)
    .join(' · ');
  append(
    box,
    h(
      'h3',
      { className: 'lti-wf-detail-title' },
      icon(failed ? 'error' : ROLE_ICONS[row.role]),
      details.name,
    ),
    h('p', { className: 'lti-muted', text: facts }),
    h(
      'p',
      { className: `lti-status lti-status-${details.status.code}` },
      `Status: ${statusText(details)}`,
      details.error?.type ? h('code', { className: 'lti-error-type', text: details.error.type }) : null,
    ),
  );
  if (details.isLlmCall) {
    box.appendChild(
      h(
        'button',
        {
          className: 'lti-button',
          attrs: { type: 'button' },
          onClick: () => ctx.showCall(details.spanId),
        },
        icon('comment-discussion'),
        ' Show its conversation',
      ),
    );
  }
  box.appendChild(h('h4', { text: `Attributes (${formatCount(details.attributes.length)})` }));
  box.appendChild(attributeTable(details.spanId, details.attributes, ctx));
  if (details.events.length > 0) {
    box.appendChild(h('h4', { text: `Events (${formatCount(details.events.length)})` }));
    const list = h('ol', { className: 'lti-wf-events' });
    for (const event of details.events) {
      list.appendChild(
        h(
          'li',
          {},
          h(
            'div',
            { className: 'lti-wf-event-head' },
            h('code', { text: event.name }),
            h('span', {
              className: 'lti-muted',
              text: ` at +${formatDuration(Math.max(0, event.offsetMs))}`,
            }),
          ),
          event.attributes.length > 0 ? attributeTable(details.spanId, event.attributes, ctx, false) : null,
        ),
      );
    }
    box.appendChild(list);
  }
  return box;
}
