// Small readers for attribute values as they really arrive: ints as numbers or decimal strings (int64
// over OTLP JSON, Application Insights custom dimensions), arrays as arrays or as JSON text, structured
// values as AnyValue maps or as JSON text. Every reader returns undefined instead of throwing.

import type { AttrValue, Attributes } from '../records';
import { isPlainObject } from '../objects';
import { parseJsonLenient } from './lenientJson';

/** A non-empty string, or a number/boolean as text; anything else is undefined. */
export function asString(v: unknown): string | undefined {
  if (typeof v === 'string') return v.length > 0 ? v : undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  return undefined;
}

/** A non-negative-or-negative integer from a number or a decimal string ("812", "812.0"). */
export function asInt(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : undefined;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string') {
    const t = v.trim();
    if (!/^-?\d+(\.\d+)?$/.test(t)) return undefined;
    return Math.trunc(Number(t));
  }
  return undefined;
}

export function asBool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'True') return true;
  if (v === 'false' || v === 'False') return false;
  return undefined;
}

/** A string array from an array, a JSON array text, or a single string. */
export function asStringList(v: unknown): string[] {
  if (Array.isArray(v)) {
    // Kept on every call: map() sizes the array once, where filter() leaves room for 17 or more.
    const out = v.map(asString);
    return out.includes(undefined) ? out.filter((s): s is string => s !== undefined) : (out as string[]);
  }
  if (typeof v === 'string') {
    const t = v.trim();
    if (t.startsWith('[')) {
      const parsed = parseJsonLenient(t);
      if (parsed && Array.isArray(parsed.value)) return asStringList(parsed.value);
    }
    return t ? [t] : [];
  }
  const s = asString(v);
  return s === undefined ? [] : [s];
}

export interface Structured {
  value: unknown;
  /** False when the value was JSON text that was cut or malformed. */
  complete: boolean;
}

/**
 * A structured value from an AnyValue (already an object or array) or from JSON text. Plain text that is
 * not JSON comes back as undefined unless `textFallback` is set, in which case it is returned as is.
 */
export function readStructured(v: unknown, textFallback = false): Structured | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') {
    // Only the start is trimmed for the test: a cut value's trailing spaces are part of its text.
    const t = v.trimStart();
    if (t.startsWith('{') || t.startsWith('[')) {
      const parsed = parseJsonLenient(t);
      if (parsed) return parsed;
      // Not even the first value reads as JSON: it is text that happens to start with a bracket.
      return textFallback ? { value: v, complete: true } : undefined;
    }
    return textFallback ? { value: v, complete: true } : undefined;
  }
  return { value: v, complete: true };
}

/** Any value as display text: strings unchanged, everything else as compact JSON. */
export function toText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === undefined) return '';
  if (v instanceof Uint8Array) return `<${v.length} bytes>`;
  try {
    return (
      JSON.stringify(v, (_k, x: unknown) =>
        x instanceof Uint8Array ? `<${x.length} bytes>` : typeof x === 'bigint' ? String(x) : x,
      ) ?? String(v)
    );
  } catch {
    return String(v);
  }
}

/** Turns arbitrary parsed JSON into an AttrValue (for `other` parts and parameters). */
export function toAttrValue(v: unknown): AttrValue {
  if (
    v === null ||
    typeof v === 'string' ||
    typeof v === 'number' ||
    typeof v === 'boolean' ||
    v instanceof Uint8Array
  )
    return v;
  if (Array.isArray(v)) return v.map(toAttrValue);
  if (isPlainObject(v)) {
    const out: Record<string, AttrValue> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = toAttrValue(x);
    return out;
  }
  return v === undefined ? null : String(v);
}

/** The first of `keys` present in `attrs` (undefined and null count as absent). */
export function firstPresent(attrs: Attributes, keys: readonly string[]): AttrValue | undefined {
  for (const k of keys) {
    const v = attrs[k];
    if (v !== undefined && v !== null) return v;
  }
  return undefined;
}

/** OTLP nanosecond times (decimal strings, up to 19 digits) to fractional ms without losing ms precision. */
export function nanosToMs(ns: string | number | undefined): number {
  if (ns === undefined) return 0;
  if (typeof ns === 'number') return Number.isFinite(ns) ? ns / 1e6 : 0;
  // Every span has two: the common case (a plain run of digits) is read digit by digit, the whole
  // milliseconds (at most 15 digits, exact in a double) apart from the six digits below them.
  const length = ns.length;
  if (length > 6 && length <= 21) {
    const cut = length - 6;
    let ms = 0;
    let i = 0;
    for (; i < cut; i++) {
      const d = ns.charCodeAt(i) - 0x30;
      if (d < 0 || d > 9) break;
      ms = ms * 10 + d;
    }
    let below = 0;
    if (i === cut)
      for (; i < length; i++) {
        const d = ns.charCodeAt(i) - 0x30;
        if (d < 0 || d > 9) break;
        below = below * 10 + d;
      }
    if (i === length) return ms + below / 1e6;
  }
  const s = ns.trim();
  if (!/^\d+$/.test(s)) {
    const n = Number(s);
    return Number.isFinite(n) ? n / 1e6 : 0;
  }
  if (s.length <= 6) return Number(s) / 1e6;
  return Number(s.slice(0, -6)) + Number(s.slice(-6)) / 1e6;
}
