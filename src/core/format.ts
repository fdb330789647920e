// Short human formats shared by the tree, the status bar and the webview. Pure and locale-aware only
// through Intl, so the same numbers read the same everywhere.

import type { CallCost, TraceSummary, Usage } from './model';
import { costByKind } from './pricing';

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function formatCount(n: number): string {
  return integer.format(n);
}

/** Where a value was cut on the way, e.g. "cut at 262,144 bytes". */
export function formatCut(at: { limit: number; unit: 'bytes' | 'characters' }): string {
  return `cut at ${integer.format(at.limit)} ${at.unit}`;
}

/** 812 -> "812", 12345 -> "12.3k", 2500000 -> "2.5M". */
export function formatTokens(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '?';
  if (n < 10_000) return integer.format(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 100_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

/** 0.4 -> "0.4 ms", 35 -> "35 ms", 1234 -> "1.23 s", 95000 -> "1m 35s". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  if (ms < 1) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return m < 60 ? `${m}m ${s}s` : `${Math.floor(m / 60)}h ${m % 60}m`;
}

/** How long ago, coarse: "just now", "42s ago", "5m ago", "3h ago", "2d ago". */
export function formatAge(thenMs: number, nowMs: number): string {
  const s = Math.max(0, Math.round((nowMs - thenMs) / 1000));
  if (s < 5) return 'just now';
  if (s < 60) return `${s}s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ago`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ago`;
  return `${Math.floor(h / 24)}d ago`;
}

/** "812→64" for an LLM call's input and output tokens; "?" for a side that is unknown. */
export function formatInOut(input: number | undefined, output: number | undefined): string {
  return `${formatTokens(input)}→${formatTokens(output)}`;
}

/** Total tokens of a usage: the reported total, else input + output when either is known. */
export function totalTokens(u: {
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
}): number | undefined {
  if (u.totalTokens !== undefined) return u.totalTokens;
  if (u.inputTokens === undefined && u.outputTokens === undefined) return undefined;
  return (u.inputTokens ?? 0) + (u.outputTokens ?? 0);
}

/** "1 message", "3 messages", "1,204 spans": the count and the word that goes with it. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

const MAX_BYTES_SHOWN = 64;

/** Bytes as hex, the first 64 of them, then how many there were in all. */
export function bytesToHex(bytes: Uint8Array): string {
  const shown = Array.from(bytes.subarray(0, MAX_BYTES_SHOWN), (b) => b.toString(16).padStart(2, '0'));
  return bytes.length > MAX_BYTES_SHOWN ? `${shown.join('')}… (${bytes.length} bytes)` : shown.join('');
}

/** JSON.stringify replacer: byte arrays as hex (bytesToHex) instead of `{"0":1,"1":2,...}`. */
export function bytesAsHex(_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? bytesToHex(value) : value;
}

/** US dollars: "$1.23", "$0.12", "$0.0012", "$0.00042" (two significant digits below a dollar). */
export function formatUsd(usd: number): string {
  if (!Number.isFinite(usd) || usd < 0) return '?';
  if (usd === 0) return '$0.00';
  if (usd >= 1)
    return `$${usd.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  if (usd < 0.000001) return '< $0.000001';
  const rounded = Number(usd.toPrecision(2));
  const text = rounded.toFixed(Math.max(2, 1 - Math.floor(Math.log10(rounded))));
  // Below a cent the digits that matter are few: "$0.00005", not "$0.000050".
  return `$${rounded < 0.01 ? text.replace(/0+$/, '') : text}`;
}

/**
 * What some calls cost in one short figure: "$0.0012"; "≥ $0.0012" when some calls had no price (the sum
 * is then a floor); "no price" when none had one.
 */
type CostFigures = { usd: number; pricedCalls: number; unpricedCalls: number };
/** "$0.0012", "≥ $0.0012" when some calls had no price, "no price" when none had one; nothing for no cost. */
export function formatCost(cost: CostFigures): string;
export function formatCost(cost: CostFigures | undefined): string | undefined;
export function formatCost(cost: CostFigures | undefined): string | undefined {
  if (!cost) return undefined;
  if (cost.pricedCalls === 0) return 'no price';
  return cost.unpricedCalls > 0 ? `≥ ${formatUsd(cost.usd)}` : formatUsd(cost.usd);
}

/** Which price entry produced a figure: "gpt-4o-mini, shipped prices of 2025-08-15" or "…, from settings". */
export function formatPriceEntry(entry: {
  id: string;
  source: 'shipped' | 'settings';
  asOf?: string;
}): string {
  return entry.source === 'settings'
    ? `${entry.id}, from settings`
    : `${entry.id}, shipped prices${entry.asOf ? ` of ${entry.asOf}` : ''}`;
}

/** What the trace cost, over which calls, from which price entries and dates. */
export function traceCostLines(t: Pick<TraceSummary, 'cost' | 'costBasis'>): string[] {
  const cost = t.cost;
  if (!cost) return [];
  const lines: string[] = [];
  if (cost.pricedCalls === 0) lines.push(`Cost: no price for ${plural(cost.unpricedCalls, 'LLM call')}`);
  else
    lines.push(
      `Cost: ${formatUsd(cost.usd)} for ${plural(cost.pricedCalls, 'LLM call')}${cost.unpricedCalls ? `; ${plural(cost.unpricedCalls, 'call')} with no price not included` : ''}`,
    );
  for (const entry of t.costBasis?.entries ?? []) lines.push(`Priced as ${formatPriceEntry(entry)}`);
  if (t.costBasis?.unpricedModels.length)
    lines.push(`No price entry for: ${t.costBasis.unpricedModels.join(', ')}`);
  return lines;
}

/** A call's cost in a few characters: "$0.00042", or "no price" for a model the table lacks. */
export function callCostText(cost: CallCost): string {
  return cost.priced ? formatUsd(cost.usd) : 'no price';
}

/** What a call cost, by kind of token, and the entry and date that priced it. */
export function callCostLines(cost: CallCost, usage: Usage): string[] {
  if (!cost.priced)
    return [
      cost.models.length
        ? `Cost: no price for ${cost.models.join(', ')} (add it in llmTraceInspector.pricing.models)`
        : 'Cost: no price (the call names no model)',
    ];
  const kinds: string[] = [];
  const add = (tokens: number, usd: number, what: string): void => {
    if (tokens > 0) kinds.push(`${formatTokens(tokens)} ${what} ${formatUsd(usd)}`);
  };
  const { tokens: n, usd: d } = costByKind(cost, usage);
  add(n.input, d.input, 'input');
  add(n.cachedInput, d.cachedInput, 'cached');
  add(n.cacheWrite, d.cacheWrite, 'cache write');
  add(n.output, d.output, 'output');
  add(n.reasoning, d.reasoning, 'reasoning');
  return [
    `Cost: ${formatUsd(cost.usd)}${kinds.length ? ` (${kinds.join(', ')})` : ''}`,
    `Priced as ${formatPriceEntry(cost.entry)}${cost.model !== cost.entry.id.toLowerCase() ? ` (for ${cost.model})` : ''}`,
  ];
}
