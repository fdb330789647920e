// Entry point of the session view's page: paints the state embedded in the page at once, then follows the
// host's session state notifications. Like the conversation view, links go through the host.

import { INITIAL_STATE_ELEMENT_ID } from '../src/protocol/conversation';
import {
  isSessionHostMessage,
  isSessionState,
  type SessionState,
  type SessionWebviewMessage,
} from '../src/protocol/session';
import { h } from './dom';
import { LINK_HREF_ATTRIBUTE } from './markdown';
import { SessionView } from './session';

interface VsCodeApi {
  postMessage(message: SessionWebviewMessage): void;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

function readInitialState(): SessionState | undefined {
  const el = document.getElementById(INITIAL_STATE_ELEMENT_ID);
  if (!el?.textContent) return undefined;
  try {
    const value: unknown = JSON.parse(el.textContent);
    return isSessionState(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function start(): void {
  const root =
    document.getElementById('lti-root') ?? document.body.appendChild(h('div', { className: 'lti-root' }));
  const api = acquireVsCodeApi();
  const view = new SessionView(root, {
    copy: (text, what) => api.postMessage({ type: 'copy', text, what }),
    // The session view has no Markdown copy of its own; a turn's panel has one.
    copyMarkdown: () => undefined,
    openTurn: (traceId) => api.postMessage({ type: 'openTurn', traceId }),
  });
  const show = (state: SessionState): void => {
    // Only the ids are saved: after a reload the host reads the session again.
    const target: { sessionId: string; sourceId?: string } = { sessionId: state.target.sessionId };
    if (state.target.sourceId !== undefined) target.sourceId = state.target.sourceId;
    api.setState({ target });
    view.render(state);
  };
  document.addEventListener('click', (event) => {
    const anchor = event.target instanceof Element ? event.target.closest('a') : null;
    if (!anchor) return;
    event.preventDefault();
    const href = anchor.getAttribute(LINK_HREF_ATTRIBUTE);
    if (href) api.postMessage({ type: 'openLink', href });
  });
  document.addEventListener('auxclick', (event) => {
    if (event.target instanceof Element && event.target.closest('a')) event.preventDefault();
  });
  window.addEventListener('message', (event: MessageEvent<unknown>) => {
    if (isSessionHostMessage(event.data)) show(event.data.state);
  });
  const initial = readInitialState();
  if (initial) show(initial);
  api.postMessage({ type: 'ready' });
}

start();
