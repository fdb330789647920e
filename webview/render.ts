// Renders a ConversationState into the page and keeps it current. A state notification arrives on every
// store change of the trace, so a call whose content did not change keeps its card (and with it what the
// user opened, expanded or selected); only new or changed calls are rebuilt.

import {
  unpackWaterfall,
  WINDOWED_CALLS,
  type CallView,
  type ConversationState,
  type WaterfallView,
} from '../src/protocol/conversation';
import { h, icon } from './dom';
import { callCard, callElementId, type CallCardContext } from './callCard';
import { callOutline, loadingTrace, missingTrace, noCalls, sourceNotes, traceHeader } from './header';
import { Waterfall, type WaterfallContext } from './waterfall';
import type { PageLayout } from './vscodeApi';
import { WindowList } from './windowList';

/** Above this many calls, cards are built only near the screen (and the call outline gives way). */
export const VIRTUAL_CALLS = WINDOWED_CALLS;

interface CardEntry {
  signature: string;
  element: HTMLElement;
}

export interface ConversationViewOptions extends CallCardContext {
  /** Called when the user puts another call in focus from the outline, so the target can be saved. */
  onFocusChange(spanId: string): void;
  spanDetails: WaterfallContext['spanDetails'];
  /** Asks the host for the cards of some calls (a state with a call outline); undefined: trace gone. */
  callCards(spanIds: string[]): Promise<CallView[] | undefined>;
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

/** A card's height before it is measured, from what the outline says of it (px; a guess, then measured). */
function estimateHeight(messages: number | undefined, chars: number | undefined): number {
  if (messages === undefined) return 600;
  return Math.min(4000, 190 + messages * 70 + Math.ceil((chars ?? 0) / 100) * 20);
}

/** Cards of a windowed trace asked of the host together: the ids a paint wants, sent once it is done. */
const CARD_BATCH = 50;

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
  private rowsOf: { state: ConversationState; view: WaterfallView } | undefined;
  /** A windowed trace's cards as the host sent them for the current state, and those of the one before. */
  private bodies = new Map<string, CallView>();
  private staleBodies = new Map<string, CallView>();
  /** Ids asked for and not answered yet, and those to ask for once the paint is done. */
  private asked = new Set<string>();
  private toAsk: string[] = [];
  /** A windowed call picked before its card came: it takes the focus when it does. */
  private focusWanted: string | undefined;

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

  /** Stops following the window's scroll and the lists' sizes: another view (another trace) takes over. */
  dispose(): void {
    this.callList?.dispose();
    this.callList = undefined;
    this.waterfall.dispose();
    this.cards.clear();
    // Cards asked for before and answered after change nothing: the page is the new view's now.
    this.last = undefined;
    this.toAsk = [];
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
    const trace = state.trace;
    if (!trace || (state.loading && state.calls.length === 0 && !state.callOutline)) {
      this.last = state;
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
    const outline = state.callOutline;
    const ids = outline?.spanIds ?? state.calls.map((c) => c.spanId);
    if (state !== this.last || !outline) {
      // Cards of the state before stay shown until the host's newer ones come, so nothing blinks.
      for (const [id, call] of this.bodies) this.staleBodies.set(id, call);
      this.bodies = new Map();
      this.asked.clear();
      if (!outline) this.staleBodies.clear();
    }
    const estimateOf = (i: number): number => estimateHeight(outline?.messages[i], outline?.chars[i]);
    const numberOf = new Map<string, number>();
    ids.forEach((id, i) => numberOf.set(id, i + 1));
    this.callIndex = new Map(ids.map((id, i) => [id, i]));
    const cardAt = (i: number, old: Map<string, CardEntry>, next: Map<string, CardEntry>): CardEntry => {
      const spanId = ids[i] as string;
      const fresh = outline ? this.bodies.get(spanId) : state.calls[i];
      if (!fresh) this.ask(spanId);
      const call = fresh ?? this.staleBodies.get(spanId);
      if (!call) {
        const pending = { signature: '', element: pendingCard(spanId, i + 1, estimateOf(i)) };
        next.set(spanId, pending);
        return pending;
      }
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
    this.last = state;
    let calls: HTMLElement;
    const virtual = ids.length > VIRTUAL_CALLS;
    if (virtual) {
      // Cards are built as they come near the screen; one still right is kept (with what the user opened).
      const old = this.cards;
      this.cards = new Map();
      const list = (this.callList ??= new WindowList('lti-calls', 600));
      list.reset(ids.length, (index) => cardAt(index, old, this.cards).element, estimateOf);
      calls = list.element;
    } else {
      calls = h('div', { className: 'lti-calls' });
      const next = new Map<string, CardEntry>();
      for (let i = 0; i < ids.length; i++) calls.appendChild(cardAt(i, this.cards, next).element);
      this.cards = next;
      this.callList?.dispose();
      this.callList = undefined;
    }
    const parts: Node[] = [header];
    const notes = sourceNotes(state);
    if (notes) parts.push(notes);
    const rows = this.waterfallOf(state);
    const hasWaterfall = (rows?.rows.length ?? 0) > 0;
    if (hasWaterfall) parts.push(this.layoutSwitch());
    const showWaterfall = hasWaterfall && this.layout !== 'conversation';
    const showCalls = !hasWaterfall || this.layout !== 'waterfall';
    if (showWaterfall && rows) {
      this.waterfall.update(rows);
      parts.push(this.waterfall.element);
    }
    if (showCalls) {
      // Above VIRTUAL_CALLS calls the waterfall is the outline: a row per call would be a second long list.
      if (state.calls.length > 1 && !virtual)
        parts.push(callOutline(state.calls, trace, (spanId) => this.select(spanId)));
      parts.push(ids.length > 0 ? calls : noCalls(state));
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

  /** The state's waterfall rows, unpacked once per state. */
  private waterfallOf(state: ConversationState): WaterfallView | undefined {
    if (!state.waterfall) return undefined;
    if (this.rowsOf?.state !== state) this.rowsOf = { state, view: unpackWaterfall(state.waterfall) };
    return this.rowsOf.view;
  }

  /** Notes a card to ask for; the ids a paint (of a render or of a scroll) wants go out together after it. */
  private ask(spanId: string): void {
    if (this.asked.has(spanId)) return;
    this.asked.add(spanId);
    if (this.toAsk.push(spanId) === 1) queueMicrotask(() => this.sendAsked());
  }

  /** Asks the host for the cards a paint wanted; each answer rebuilds those cards where they are. */
  private sendAsked(): void {
    const state = this.last;
    if (!state) return;
    while (this.toAsk.length > 0) {
      const batch = this.toAsk.splice(0, CARD_BATCH);
      void this.options.callCards(batch).then((calls) => {
        if (this.last !== state || !calls) return;
        const indexes: number[] = [];
        for (const call of calls) {
          this.bodies.set(call.spanId, call);
          this.staleBodies.delete(call.spanId);
          const i = this.callIndex.get(call.spanId);
          if (i !== undefined) indexes.push(i);
        }
        this.callList?.rebuild(indexes);
        this.highlight(this.focusedSpanId);
        // The call picked (in the waterfall, the outline or by the host) takes the focus once its card is in,
        // unless the user has put the focus somewhere else meanwhile.
        // Its real height is known now: scrolled to again, so the list's corrections do not carry it away.
        const picked = this.focusWanted;
        const at = picked === undefined ? undefined : this.callIndex.get(picked);
        if (picked !== undefined && at !== undefined && this.bodies.has(picked)) {
          this.focusWanted = undefined;
          const active = document.activeElement;
          const card = this.cards.get(picked)?.element;
          const free = !active || active === document.body || !!card?.contains(active);
          this.callList?.scrollToIndex(at, free);
        }
      });
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
    if (this.last?.callOutline && !this.bodies.has(spanId)) this.focusWanted = spanId;
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

/** Where a windowed call's card will be while the host sends it: its number, and that it is on its way. */
function pendingCard(spanId: string, number: number, height: number): HTMLElement {
  const id = callElementId(spanId);
  const card = h(
    'section',
    {
      className: 'lti-call lti-call-pending',
      attrs: {
        id,
        tabindex: '-1',
        'data-span-id': spanId,
        'aria-busy': 'true',
        'aria-label': `Call #${number}`,
      },
    },
    h('span', { className: 'lti-call-number', text: `#${number}` }),
    h('span', { className: 'lti-muted', text: ' Loading the call…' }),
  );
  // As tall as the list guessed, so the card replacing it moves the list only by the guess's error.
  card.style.minHeight = `${height}px`;
  return card;
}
