// Renders a ConversationState into the page and keeps it current. A state notification arrives on every
// store change of the trace, so a call whose content did not change keeps its card (and with it what the
// user opened, expanded or selected); only new or changed calls are rebuilt.

import type { CallView, ConversationState } from '../src/protocol/conversation';
import { h } from './dom';
import { callCard, callElementId, type CallCardContext } from './callCard';
import { callOutline, loadingTrace, missingTrace, noCalls, sourceNotes, traceHeader } from './header';

interface CardEntry {
  signature: string;
  element: HTMLElement;
}

export interface ConversationViewOptions extends CallCardContext {
  /** Called when the user puts another call in focus from the outline, so the target can be saved. */
  onFocusChange(spanId: string): void;
}

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
  private focusedSpanId: string | undefined;
  private scrolledTo: string | undefined;

  constructor(
    private readonly root: HTMLElement,
    private readonly options: ConversationViewOptions,
  ) {}

  render(state: ConversationState): void {
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
    const calls = h('div', { className: 'lti-calls' });
    const numberOf = new Map<string, number>();
    state.calls.forEach((call, i) => numberOf.set(call.spanId, i + 1));
    const next = new Map<string, CardEntry>();
    state.calls.forEach((call, i) => {
      const repeatsNumber = call.repeatedInput ? numberOf.get(call.repeatedInput.fromSpanId) : undefined;
      const sig = signature(call, i + 1, trace.startMs, repeatsNumber);
      const old = this.cards.get(call.spanId);
      const entry =
        old && old.signature === sig
          ? old
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
      calls.appendChild(entry.element);
    });
    this.cards = next;
    const parts: Node[] = [header];
    const notes = sourceNotes(state);
    if (notes) parts.push(notes);
    if (state.calls.length > 1) parts.push(callOutline(state.calls, trace, (spanId) => this.select(spanId)));
    parts.push(state.calls.length > 0 ? calls : noCalls(state));
    this.root.replaceChildren(...parts);
    this.root.setAttribute('aria-busy', state.loading ? 'true' : 'false');
    // Scroll only when the target changes: a live trace re-renders often and must not yank the reader back.
    const target = state.target.spanId;
    this.highlight(target);
    if (target !== undefined && target !== this.scrolledTo && this.cards.has(target)) {
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
    if (this.cards.has(spanId)) {
      this.scrolledTo = spanId;
      this.scrollTo(spanId);
    }
  }

  private select(spanId: string): void {
    this.focus(spanId);
    this.cards.get(spanId)?.element.focus({ preventScroll: true });
    this.options.onFocusChange(spanId);
  }

  private highlight(spanId: string | undefined): void {
    this.focusedSpanId = spanId;
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
    const el = document.getElementById(callElementId(spanId));
    el?.scrollIntoView({ block: 'start' });
  }

  get focused(): string | undefined {
    return this.focusedSpanId;
  }
}
