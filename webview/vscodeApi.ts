// The only door to the extension host. VS Code injects `acquireVsCodeApi` into the page (the browser test
// stubs it); it may be called once, so this module calls it once and hands out typed helpers.

import type { ConversationTarget, WebviewMessage } from '../src/protocol/conversation';

interface VsCodeApi {
  postMessage(message: unknown): void;
  setState(state: unknown): void;
  getState(): unknown;
}

declare function acquireVsCodeApi(): VsCodeApi;

/** What the panel serializer gets back after a reload: identifiers only, never trace content. */
export interface SavedState {
  target: ConversationTarget;
}

export interface HostChannel {
  post(message: WebviewMessage): void;
  saveTarget(target: ConversationTarget): void;
}

export function connectToHost(): HostChannel {
  const api = acquireVsCodeApi();
  return {
    post: (message) => api.postMessage(message),
    saveTarget: (target) => {
      const saved: SavedState = {
        target: target.spanId
          ? { traceId: target.traceId, spanId: target.spanId }
          : { traceId: target.traceId },
      };
      api.setState(saved);
    },
  };
}
