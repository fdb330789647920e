// Entry point of the conversation webview. It paints the state embedded in the page at once (no round
// trip), then follows the host's state and focus notifications. Links are never followed here: a click
// hands the target to the host, which opens only web and mail links.

import {
  INITIAL_STATE_ELEMENT_ID,
  isHostMessage,
  type ConversationState,
  type ConversationTarget,
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
    return typeof value === 'object' && value !== null && 'target' in value
      ? (value as ConversationState)
      : undefined;
  } catch {
    return undefined;
  }
}

function start(): void {
  const root =
    document.getElementById('lti-root') ?? document.body.appendChild(h('div', { className: 'lti-root' }));
  const host = connectToHost();
  let target: ConversationTarget | undefined;
  const saveTarget = (next: ConversationTarget): void => {
    target = next;
    host.saveTarget(next);
  };

  const view = new ConversationView(root, {
    copy: (text, what) => host.post({ type: 'copy', text, what }),
    copyMarkdown: (spanId) =>
      host.post(spanId === undefined ? { type: 'copyMarkdown' } : { type: 'copyMarkdown', spanId }),
    revealSpan: (spanId) => {
      if (target) host.post({ type: 'revealSpan', traceId: target.traceId, spanId });
    },
    onFocusChange: (spanId) => {
      if (target) saveTarget({ traceId: target.traceId, spanId });
    },
  });

  const show = (state: ConversationState): void => {
    saveTarget(state.target);
    try {
      view.render(state);
    } catch (error) {
      // Never leave a blank panel: say what happened; the host's log has the details of the state.
      root.replaceChildren(
        h(
          'div',
          { className: 'lti-empty', attrs: { role: 'alert' } },
          icon('error', 'lti-empty-icon'),
          h('h1', { text: 'The conversation could not be shown' }),
          h('p', { text: error instanceof Error ? error.message : String(error) }),
        ),
      );
    }
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
      show(message.state);
    } else if (target) {
      saveTarget({ traceId: target.traceId, spanId: message.spanId });
      view.focus(message.spanId);
    }
  });

  const initial = readInitialState();
  if (initial) show(initial);
  host.post({ type: 'ready' });
}

start();
