// Renders a ConversationState into the page and keeps it current. A state notification arrives on every
// store change of the trace, so a call whose content did not change keeps its card (and with it what the
// user opened, expanded or selected); only new or changed calls are rebuilt.

import type { CallView, ConversationState } from '../src/protocol/conversation';
import { h, icon } from './dom';
import { callCard, callElementId, type CallCardContext } from './callCard';
import { callOutline, loadingTrace, missingTrace, noCalls, sourceNotes, traceHeader } from './header';
import { Waterfall, type WaterfallContext } from './waterfall';
import type { PageLayout } from './vscodeApi';
import { WindowList } from './windowList';

/** Above this many calls, cards are built only near the screen (and the call outline gives way). */
export const VIRTUAL_CALLS = 200;

interface CardEntry {
  signature: string;
  element: HTMLElement;
}

export interface ConversationViewOptions extends CallCardContext {
  /** Called when the user puts another call in focus from the outline, so the target can be saved. */
  onFocusChange(spanId: string): void;
  spanDetails: WaterfallContext['spanDetails'];
  /** What the page shows first: the saved choice, or both. */
  layout: PageLayout;
  onLayoutChange(layout: PageLayout): void;
}

const LAYOUT_CHOICES: { layout: PageLayout; label: string; icon: string }[] = [
  { layout: 'both', label: 'Both', icon: 'split-vertical' },
  { layout: 'conversation', label: 'Conversation', icon: 'comment-discussion' },
  { layout: 'waterfall', label: 'Waterfall', icon: 'list-tree' },
];

/** Everything a card's content depends on; equal signatures mean the old card is still right. */
function signature(
  call: CallView,
  number: number,
  traceStartMs: number,
  repeatsNumber: number | undefined,
): string {
  return `${number}|${traceStartMs}|${repeatsNumber ?? ''}|${JSON.stringify(call)}`;
}

export class ConversationView {
  private cards = new Map<string, CardEntry>();
  /** Position of each call in the state: what exists, built or not. */
  private callIndex = new Map<string, number>();
  /** Set while the calls are many enough to be virtualised. */
  private callList: WindowList | undefined;
  private focusedSpanId: string | undefined;
  private scrolledTo: string | undefined;
  private layout: PageLayout;
  private last: ConversationState | undefined;
  private readonly waterfall: Waterfall;

  constructor(
    private readonly root: HTMLElement,
    private readonly options: ConversationViewOptions,
  ) {
    this.layout = options.layout;
    this.waterfall = new Waterfall({
      spanDetails: (spanId) => options.spanDetails(spanId),
      fullValue: (spanId, key, from) => options.fullValue(spanId, key, from),
      showCall: (spanId) => {
        if (this.layout === 'waterfall') this.setLayout('both');
        if (this.callIndex.has(spanId)) this.select(spanId);
      },
    });
  }

  private setLayout(layout: PageLayout): void {
    if (layout === this.layout) return;
    this.layout = layout;
    this.options.onLayoutChange(layout);
    if (this.last) this.render(this.last);
  }

  /** Conversation, waterfall or both, as a group of toggle buttons. */
  private layoutSwitch(): HTMLElement {
    const group = h('div', {
      className: 'lti-layout',
      attrs: { role: 'group', 'aria-label': 'Show the conversation, the waterfall of spans, or both' },
    });
    for (const choice of LAYOUT_CHOICES) {
      const on = choice.layout === this.layout;
      group.appendChild(
        h(
          'button',
          {
            className: `lti-layout-button${on ? ' lti-layout-on' : ''}`,
            attrs: { type: 'button', 'aria-pressed': String(on), 'data-layout': choice.layout },
            onClick: () => this.setLayout(choice.layout),
          },
          icon(choice.icon),
          choice.label,
        ),
      );
    }
    return group;
  }

  render(state: ConversationState): void {
    this.last = state;
    const trace = state.trace;
    if (!trace || (state.loading && state.calls.length === 0)) {
      this.cards.clear();
      this.root.replaceChildren(
        state.loading
          ? loadingTrace(state)
          : missingTrace(state.target.traceId, this.options, state.sourceLabel, state.loadError),
      );
      this.root.setAttribute('aria-busy', state.loading ? 'true' : 'false');
      return;
    }
    this.root.setAttribute('aria-busy', state.loading ? 'true' : 'false');
    const header = traceHeader(trace, state, this.options);
    const numberOf = new Map<string, number>();
    state.calls.forEach((call, i) => numberOf.set(call.spanId, i + 1));
    this.callIndex = new Map(state.calls.map((c, i) => [c.spanId, i]));
    const cardAt = (i: number, old: Map<string, CardEntry>, next: Map<string, CardEntry>): CardEntry => {
      const call = state.calls[i] as CallView;
      const repeatsNumber = call.repeatedInput ? numberOf.get(call.repeatedInput.fromSpanId) : undefined;
      const sig = signature(call, i + 1, trace.startMs, repeatsNumber);
      const kept = old.get(call.spanId);
      const entry =
        kept && kept.signature === sig
          ? kept
          : {
              signature: sig,
              element: callCard(
                call,
                {
                  number: i + 1,
                  traceStartMs: trace.startMs,
                  ...(repeatsNumber !== undefined ? { repeatsNumber } : {}),
                },
                this.options,
              ),
            };
      next.set(call.spanId, entry);
      if (entry !== kept)
        entry.element.classList.toggle('lti-call-focus', call.spanId === this.focusedSpanId);
      return entry;
    };
    let calls: HTMLElement;
    const virtual = state.calls.length > VIRTUAL_CALLS;
    if (virtual) {
      // Cards are built as they come near the screen; one still right is kept (with what the user opened).
      const old = this.cards;
      this.cards = new Map();
      this.callList ??= new WindowList('lti-calls', (i) => cardAt(i, old, this.cards).element, 600);
      this.callList.reset(state.calls.length);
      calls = this.callList.element;
    } else {
      calls = h('div', { className: 'lti-calls' });
      const next = new Map<string, CardEntry>();
      for (let i = 0; i < state.calls.length; i++) calls.appendChild(cardAt(i, this.cards, next).element);
      this.cards = next;
      this.callList?.dispose();
      this.callList = undefined;
    }
    const parts: Node[] = [header];
    const notes = sourceNotes(state);
    if (notes) parts.push(notes);
    const hasWaterfall = (state.waterfall?.rows.length ?? 0) > 0;
    if (hasWaterfall) parts.push(this.layoutSwitch());
    const showWaterfall = hasWaterfall && this.layout !== 'conversation';
    const showCalls = !hasWaterfall || this.layout !== 'waterfall';
    if (showWaterfall && state.waterfall) {
      this.waterfall.update(state.waterfall);
      parts.push(this.waterfall.element);
    }
    if (showCalls) {
      // Above VIRTUAL_CALLS calls the waterfall is the outline: a row per call would be a second long list.
      if (state.calls.length > 1 && !virtual)
        parts.push(callOutline(state.calls, trace, (spanId) => this.select(spanId)));
      parts.push(state.calls.length > 0 ? calls : noCalls(state));
    }
    this.root.replaceChildren(...parts);
    if (showWaterfall) this.waterfall.attached();
    if (showCalls) this.callList?.attached();
    this.root.setAttribute('aria-busy', state.loading ? 'true' : 'false');
    // Scroll only when the target changes: a live trace re-renders often and must not yank the reader back.
    const target = state.target.spanId;
    this.highlight(target);
    if (target !== undefined && target !== this.scrolledTo && this.callIndex.has(target)) {
      this.scrolledTo = target;
      this.scrollTo(target);
    } else if (target === undefined && this.scrolledTo !== undefined) {
      // The whole trace was asked for after a single call: start from its header again.
      this.scrolledTo = undefined;
      window.scrollTo({ top: 0 });
    }
  }

  /** A focus notification from the host: highlight the call and bring it into view. */
  focus(spanId: string): void {
    this.highlight(spanId);
    this.waterfall.reveal(spanId);
    if (this.callIndex.has(spanId)) {
      this.scrolledTo = spanId;
      this.scrollTo(spanId);
    }
  }

  private select(spanId: string): void {
    this.focus(spanId);
    const index = this.callIndex.get(spanId);
    if (this.callList && index !== undefined) this.callList.scrollToIndex(index, true);
    else this.cards.get(spanId)?.element.focus({ preventScroll: true });
    this.options.onFocusChange(spanId);
  }

  private highlight(spanId: string | undefined): void {
    this.focusedSpanId = spanId;
    this.waterfall.mark(spanId);
    for (const [id, entry] of this.cards) {
      const on = id === spanId;
      entry.element.classList.toggle('lti-call-focus', on);
      if (on) entry.element.setAttribute('aria-current', 'true');
      else entry.element.removeAttribute('aria-current');
    }
    for (const item of Array.from(this.root.querySelectorAll<HTMLElement>('.lti-outline-item'))) {
      const on = item.dataset.spanId === spanId;
      item.classList.toggle('lti-outline-current', on);
      if (on) item.setAttribute('aria-current', 'true');
      else item.removeAttribute('aria-current');
    }
  }

  private scrollTo(spanId: string): void {
    const index = this.callIndex.get(spanId);
    if (this.callList && index !== undefined) {
      this.callList.scrollToIndex(index, false);
      return;
    }
    const el = document.getElementById(callElementId(spanId));
    el?.scrollIntoView({ block: 'start' });
  }

  get focused(): string | undefined {
    return this.focusedSpanId;
  }
}
