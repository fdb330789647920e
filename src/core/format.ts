// Short human formats shared by the tree, the status bar and the webview. Pure and locale-aware only
// through Intl, so the same numbers read the same everywhere.

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
