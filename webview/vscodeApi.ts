// The only door to the extension host. VS Code injects `acquireVsCodeApi` into the page (the browser test
// stubs it); it may be called once, so this module calls it once and hands out typed helpers.

import type { ConversationTarget, WebviewMessage } from '../src/protocol/conversation';

interface VsCodeApi {
  postMessage(message: unknown): void;
  setState(state: unknown): void;
  getState(): unknown;
}

declare function acquireVsCodeApi(): VsCodeApi;

/**
 * What the page keeps across being hidden and shown again, and what the panel serializer gets back after a
 * reload: identifiers only, never trace content (the host has the trace; the page's HTML carries it). The
 * target's span id is the call the user has in focus.
 */
export interface SavedState {
  target: ConversationTarget;
  /** What the page shows: the conversation, the waterfall or both; absent: both (the default). */
  layout?: PageLayout;
}

export type PageLayout = 'conversation' | 'waterfall' | 'both';

const LAYOUTS: readonly string[] = ['conversation', 'waterfall', 'both'];

export interface HostChannel {
  post(message: WebviewMessage): void;
  saveTarget(target: ConversationTarget): void;
  /** Keeps the layout the user picked with the target (same saved state). */
  saveLayout(layout: PageLayout): void;
  /** The state saved before the page was last torn down (hidden, or the window reloaded). */
  savedState(): SavedState | undefined;
}

export function connectToHost(): HostChannel {
  const api = acquireVsCodeApi();
  let lastTarget: ConversationTarget | undefined;
  let layout: PageLayout | undefined;
  const write = (): void => {
    if (!lastTarget) return;
    const saved: SavedState = { target: idsOf(lastTarget) };
    if (layout !== undefined && layout !== 'both') saved.layout = layout;
    api.setState(saved);
  };
  return {
    post: (message) => api.postMessage(message),
    saveTarget: (target) => {
      lastTarget = target;
      write();
    },
    saveLayout: (value) => {
      layout = value;
      write();
    },
    savedState: () => {
      const state = api.getState() as {
        target?: Partial<Record<keyof ConversationTarget, unknown>>;
        layout?: unknown;
      };
      const t = typeof state === 'object' && state !== null ? state.target : undefined;
      if (typeof t !== 'object' || t === null || typeof t.traceId !== 'string') return undefined;
      const target: ConversationTarget = { traceId: t.traceId };
      if (typeof t.spanId === 'string') target.spanId = t.spanId;
      if (typeof t.sourceId === 'string') target.sourceId = t.sourceId;
      const saved: SavedState = { target };
      if (typeof state.layout === 'string' && LAYOUTS.includes(state.layout))
        saved.layout = state.layout as PageLayout;
      return saved;
    },
  };
}

/** Only the ids, whatever else an object passed in carries. */
function idsOf(target: ConversationTarget): ConversationTarget {
  const out: ConversationTarget = { traceId: target.traceId };
  if (target.spanId !== undefined) out.spanId = target.spanId;
  if (target.sourceId !== undefined) out.sourceId = target.sourceId;
  return out;
}
