// Entry point of the conversation webview. It paints the state embedded in the page at once (no round
// trip; a trace of thousands of calls embeds their outline, and their cards come as they near the screen),
// then follows the host's state and focus notifications. Links are never followed here: a click
// hands the target to the host, which opens only web and mail links.

import {
  INITIAL_STATE_ELEMENT_ID,
  isConversationState,
  isHostMessage,
  readStateNotification,
  type ConversationState,
  type CallView,
  type ConversationTarget,
  type SpanDetails,
} from '../src/protocol/conversation';
import { h, icon } from './dom';
import { LINK_HREF_ATTRIBUTE } from './markdown';
import { ConversationView } from './render';
import { connectToHost } from './vscodeApi';

function readInitialState(): ConversationState | undefined {
  const el = document.getElementById(INITIAL_STATE_ELEMENT_ID);
  if (!el?.textContent) return undefined;
  try {
    const value: unknown = JSON.parse(el.textContent);
    return isConversationState(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function start(): void {
  const root =
    document.getElementById('lti-root') ?? document.body.appendChild(h('div', { className: 'lti-root' }));
  const host = connectToHost();
  // The target the host last asked for, and the call the user has in focus: a live update of the same
  // target keeps the user's choice; a new target from the host (a click in the tree) replaces it.
  let hostTarget: ConversationTarget | undefined;
  let selected: string | undefined;
  const save = (): void => {
    if (!hostTarget) return;
    const target: ConversationTarget = { ...hostTarget };
    if (selected === undefined) delete target.spanId;
    else target.spanId = selected;
    host.saveTarget(target);
  };

  // Full values asked of the host, by request id; the reply settles the promise.
  let nextRequestId = 1;
  const waiting = new Map<number, (value: string | undefined) => void>();
  const waitingDetails = new Map<number, (value: SpanDetails | undefined) => void>();
  const waitingCards = new Map<number, (value: CallView[] | undefined) => void>();

  const saved = host.savedState();
  if (saved?.layout) host.saveLayout(saved.layout);
  let layout = saved?.layout ?? 'both';
  // A view per trace: the preview tab's page moves on to another trace, which starts from its top, with
  // none of the last one's cards, rows or scroll positions (what it still answers goes to the old view).
  const newView = (): ConversationView =>
    new ConversationView(root, {
      layout,
      onLayoutChange: (next) => {
        layout = next;
        host.saveLayout(next);
      },
      spanDetails: (spanId) =>
        new Promise((resolve) => {
          const requestId = nextRequestId++;
          waitingDetails.set(requestId, resolve);
          host.post({ type: 'spanDetails', requestId, spanId });
        }),
      callCards: (spanIds) =>
        new Promise((resolve) => {
          const requestId = nextRequestId++;
          waitingCards.set(requestId, resolve);
          host.post({ type: 'callCards', requestId, spanIds });
        }),
      fullValue: (spanId, key, from) =>
        new Promise((resolve) => {
          const requestId = nextRequestId++;
          waiting.set(requestId, resolve);
          host.post({ type: 'fullValue', requestId, spanId, key, from });
        }),
      copy: (text, what) => host.post({ type: 'copy', text, what }),
      copyMarkdown: (spanId) =>
        host.post(spanId === undefined ? { type: 'copyMarkdown' } : { type: 'copyMarkdown', spanId }),
      revealSpan: (spanId) => {
        if (hostTarget) host.post({ type: 'revealSpan', traceId: hostTarget.traceId, spanId });
      },
      onFocusChange: (spanId) => {
        selected = spanId;
        save();
      },
    });
  let view = newView();

  const show = (state: ConversationState): void => {
    if (hostTarget && !sameTrace(hostTarget, state.target)) {
      view.dispose();
      view = newView();
      window.scrollTo({ top: 0 });
    }
    if (!hostTarget || !sameTarget(hostTarget, state.target)) selected = state.target.spanId;
    hostTarget = state.target;
    save();
    const target: ConversationTarget = { ...state.target };
    if (selected === undefined) delete target.spanId;
    else target.spanId = selected;
    try {
      view.render({ ...state, target });
    } catch (error) {
      // Never leave a blank panel: say what happened; the host's log has the details of the state.
      failed(error instanceof Error ? error.message : String(error));
    }
  };
  const failed = (reason: string): void => {
    root.replaceChildren(
      h(
        'div',
        { className: 'lti-empty', attrs: { role: 'alert' } },
        icon('error', 'lti-empty-icon'),
        h('h1', { text: 'The conversation could not be shown' }),
        h('p', { text: reason }),
      ),
    );
    root.setAttribute('aria-busy', 'false');
  };

  document.addEventListener('click', (event) => {
    const anchor = event.target instanceof Element ? event.target.closest('a') : null;
    if (!anchor) return;
    event.preventDefault();
    const href = anchor.getAttribute(LINK_HREF_ATTRIBUTE);
    if (href) host.post({ type: 'openLink', href });
  });
  // Middle click would open a link in a new window without a click event.
  document.addEventListener('auxclick', (event) => {
    if (event.target instanceof Element && event.target.closest('a')) event.preventDefault();
  });

  window.addEventListener('message', (event: MessageEvent<unknown>) => {
    const message = event.data;
    if (!isHostMessage(message)) return;
    if (message.type === 'state') {
      const state = readStateNotification(message);
      if (state) show(state);
      else
        failed('The extension sent a state this page cannot read. Close the panel and open the trace again.');
    } else if (message.type === 'fullValue') {
      waiting.get(message.requestId)?.(message.value);
      waiting.delete(message.requestId);
    } else if (message.type === 'spanDetails') {
      waitingDetails.get(message.requestId)?.(message.details);
      waitingDetails.delete(message.requestId);
    } else if (message.type === 'callCards') {
      waitingCards.get(message.requestId)?.(message.calls);
      waitingCards.delete(message.requestId);
    } else if (hostTarget) {
      selected = message.spanId;
      save();
      view.focus(message.spanId);
    }
  });

  // First paint from the page's own HTML; after the page was hidden and shown again, with the call the
  // user had in focus. The host posts a state after `ready` only when the trace changed since the HTML.
  const initial = readInitialState();
  if (initial) {
    if (saved && sameTrace(saved.target, initial.target)) {
      hostTarget = initial.target;
      selected = saved.target.spanId;
    }
    show(initial);
  }
  host.post({ type: 'ready' });
}

function sameTrace(a: ConversationTarget, b: ConversationTarget): boolean {
  return a.traceId === b.traceId && (a.sourceId ?? '') === (b.sourceId ?? '');
}

function sameTarget(a: ConversationTarget, b: ConversationTarget): boolean {
  return sameTrace(a, b) && a.spanId === b.spanId;
}

start();
