// The LLM Traces view's filter: criteria on a trace's summary (model, service, user, errors, tokens, cost),
// checked here on the host over summaries, plus a text that only the records can answer (core/search.ts,
// run where the records are). Text on both sides is folded the same way, so a search finds "Ångström"
// typed as "ÅNGSTRÖM" or composed differently, and "İstanbul" typed as "istanbul".

import { totalTokens } from './format';
import type { TraceSummary } from './model';

export interface TraceFilter {
  /** Words or a phrase in message content, span names or attribute values; matched by the source. */
  text?: string;
  /** One of the trace's models (request or response), exactly. */
  model?: string;
  service?: string;
  userId?: string;
  errorsOnly?: boolean;
  /** Total tokens of the trace, at least. */
  minTokens?: number;
  /** US dollars the trace's priced calls cost, at least. */
  minCostUsd?: number;
}

/** The filter without empty criteria; undefined when nothing is left to filter by. */
export function normalizeFilter(filter: TraceFilter | undefined): TraceFilter | undefined {
  if (!filter) return undefined;
  const out: TraceFilter = {};
  const text = filter.text?.trim();
  if (text) out.text = text;
  if (filter.model) out.model = filter.model;
  if (filter.service) out.service = filter.service;
  if (filter.userId) out.userId = filter.userId;
  if (filter.errorsOnly) out.errorsOnly = true;
  if (filter.minTokens !== undefined && Number.isFinite(filter.minTokens) && filter.minTokens > 0)
    out.minTokens = filter.minTokens;
  if (filter.minCostUsd !== undefined && Number.isFinite(filter.minCostUsd) && filter.minCostUsd > 0)
    out.minCostUsd = filter.minCostUsd;
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * Whether a summary passes the filter's summary criteria. The text criterion is left to the caller, who
 * holds the source's answer to it: `textMatches` (undefined while that answer is not known: nothing passes).
 */
export function matchesSummary(
  summary: TraceSummary,
  filter: TraceFilter,
  textMatches?: ReadonlySet<string>,
): boolean {
  if (filter.errorsOnly && !summary.hasError) return false;
  if (filter.model !== undefined && !summary.models.includes(filter.model)) return false;
  if (filter.service !== undefined && summary.service !== filter.service) return false;
  if (filter.userId !== undefined && summary.userId !== filter.userId) return false;
  if (filter.minTokens !== undefined && (totalTokens(summary.usage) ?? 0) < filter.minTokens) return false;
  if (filter.minCostUsd !== undefined && (summary.cost?.usd ?? 0) < filter.minCostUsd) return false;
  if (filter.text !== undefined && !textMatches?.has(summary.traceId)) return false;
  return true;
}

/** The models, services and users of these traces, each with how many traces have it, most used first. */
export function filterChoices(summaries: readonly TraceSummary[]): {
  models: { value: string; count: number }[];
  services: { value: string; count: number }[];
  users: { value: string; count: number }[];
} {
  const models = new Map<string, number>();
  const services = new Map<string, number>();
  const users = new Map<string, number>();
  const bump = (map: Map<string, number>, key: string | undefined): void => {
    if (key) map.set(key, (map.get(key) ?? 0) + 1);
  };
  for (const s of summaries) {
    for (const m of new Set(s.models)) bump(models, m);
    bump(services, s.service);
    bump(users, s.userId);
  }
  const sorted = (map: Map<string, number>) =>
    [...map].map(([value, count]) => ({ value, count })).sort((a, b) => b.count - a.count || cmp(a, b));
  return { models: sorted(models), services: sorted(services), users: sorted(users) };
}

function cmp(a: { value: string }, b: { value: string }): number {
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

const NON_ASCII = /[^\u0000-\u007f]/;
const UPPER_ASCII = /[A-Z]/;
const CASE_PAIRS = /i\u0307|ı|ß|ς/g;
const FOLDED: Record<string, string> = { 'i\u0307': 'i', ı: 'i', ß: 'ss', ς: 'σ' };

/**
 * Text as a search compares it: compatibility-composed (NFKC: "ﬁ" is "fi", full-width "ＡＢＣ" is "abc", a
 * decomposed "Å" is the composed one), lower-cased, and a few case pairs folded that lower-casing keeps
 * apart: "İ" lower-cases to "i" plus a combining dot, dotless "ı" is taken as "i", "ß" as "ss" and a final
 * "ς" as "σ". ASCII text only lower-cases, which is most of what a search reads.
 */
export function foldText(text: string): string {
  if (!NON_ASCII.test(text)) return UPPER_ASCII.test(text) ? text.toLowerCase() : text;
  const lower = text.normalize('NFKC').toLowerCase();
  return lower.replace(CASE_PAIRS, (pair) => FOLDED[pair] ?? pair);
}

/**
 * A minimum as typed: "2000", "2,000", "12.5k", "1M" (tokens), "$0.05" or "0.05" (dollars). Undefined for
 * an empty text (no minimum), NaN for one that is not a number.
 */
export function parseMinimum(text: string): number | undefined {
  const t = text
    .trim()
    .replace(/^\$/, '')
    .replace(/[,_\s]/g, '');
  if (t === '') return undefined;
  const m = /^(\d+(?:\.\d*)?|\.\d+)([kKmM]?)$/.exec(t);
  if (!m) return Number.NaN;
  const scale = m[2] === '' ? 1 : m[2]!.toLowerCase() === 'k' ? 1_000 : 1_000_000;
  return Number(m[1]) * scale;
}
