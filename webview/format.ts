// Formatting for the conversation view beyond the shared src/core/format.ts (which the sidebar uses too,
// so durations and counts read the same everywhere): times, offsets, JSON, sizes. Pure, no DOM.

import { bytesAsHex, formatCount, formatDuration } from '../src/core/format';

/** Local date and time with seconds, e.g. "2025-11-23 14:05:09". */
export function formatTime(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** Offset from the trace start, e.g. "+1.20 s". */
export function formatOffset(ms: number): string {
  return `+${formatDuration(Math.max(0, ms))}`;
}

/** Pretty JSON if `text` parses as a JSON object or array; otherwise undefined. */
export function prettyJsonText(text: string): string | undefined {
  const trimmed = text.trim();
  if (!(trimmed.startsWith('{') || trimmed.startsWith('['))) return undefined;
  try {
    return JSON.stringify(JSON.parse(trimmed), null, 2);
  } catch {
    return undefined;
  }
}

export function prettyJson(value: unknown): string {
  if (typeof value === 'string') return prettyJsonText(value) ?? value;
  try {
    return JSON.stringify(value, bytesAsHex, 2) ?? String(value);
  } catch {
    return String(value);
  }
}

/** A scalar-ish value on one line (request parameters). */
export function formatValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  try {
    return JSON.stringify(value, bytesAsHex) ?? String(value);
  } catch {
    return String(value);
  }
}

/** 812 -> "812", 12345 -> "12,345": the conversation view has room for exact figures. */
export function formatTokenCount(n: number | undefined): string {
  return n === undefined || !Number.isFinite(n) ? '—' : formatCount(n);
}

/** 512 -> "512 B", 20480 -> "20 KB", 3.5e6 -> "3.3 MB". */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '—';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}
