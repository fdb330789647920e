// The typed protocol between the extension host and the Summary page. Both bundles import it; what
// arrives from the page is untrusted and checked by `isSummaryPageMessage`.

import type { Summary, SummaryWindow } from '../core/aggregate';

/** The windows the picker offers; 'all' spans every call the source holds (or, for a cloud source, 30 d). */
export const SUMMARY_WINDOWS = ['15m', '1h', '24h', '7d', 'all'] as const;
export type SummaryWindowKey = (typeof SUMMARY_WINDOWS)[number];

export const SUMMARY_WINDOW_MS: Record<Exclude<SummaryWindowKey, 'all'>, number> = {
  '15m': 15 * 60_000,
  '1h': 60 * 60_000,
  '24h': 24 * 60 * 60_000,
  '7d': 7 * 24 * 60 * 60_000,
};

/** The window a key names, ending now. */
export function summaryWindowOf(key: SummaryWindowKey, nowMs: number): SummaryWindow {
  return key === 'all' ? {} : { fromMs: nowMs - SUMMARY_WINDOW_MS[key], toMs: nowMs };
}

export const SUMMARY_STATE_ELEMENT_ID = 'lti-summary-state';

export interface SummaryPageState {
  sourceId: string;
  /** The source as the user calls it ("Local", a connection's or a file's name). */
  sourceLabel: string;
  window: SummaryWindowKey;
  /** Absent while the first answer is on its way, or when it failed. */
  summary?: Summary;
  loading?: boolean;
  error?: string;
  /** When the host built this state (ms). */
  builtMs: number;
}

export type SummaryHostMessage = { type: 'state'; state: SummaryPageState };

export type SummaryPageMessage =
  { type: 'ready' } | { type: 'setWindow'; window: SummaryWindowKey } | { type: 'refresh' };

export function isSummaryWindowKey(value: unknown): value is SummaryWindowKey {
  return typeof value === 'string' && (SUMMARY_WINDOWS as readonly string[]).includes(value);
}

export function isSummaryPageMessage(value: unknown): value is SummaryPageMessage {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as { type?: unknown; window?: unknown };
  switch (m.type) {
    case 'ready':
    case 'refresh':
      return true;
    case 'setWindow':
      return isSummaryWindowKey(m.window);
    default:
      return false;
  }
}

/** What the page saves for a window reload: only ids, the host reads the figures again. */
export interface SummaryPanelTarget {
  sourceId: string;
  window: SummaryWindowKey;
}

/** The saved state of a restored page, checked: it comes back from the webview. */
export function asSummaryTarget(state: unknown): SummaryPanelTarget | undefined {
  if (typeof state !== 'object' || state === null) return undefined;
  const s = state as { sourceId?: unknown; window?: unknown };
  if (typeof s.sourceId !== 'string' || !/^[^\u0000-\u001f]{1,1000}$/.test(s.sourceId)) return undefined;
  return { sourceId: s.sourceId, window: isSummaryWindowKey(s.window) ? s.window : '24h' };
}
