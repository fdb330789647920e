// Text search over a store's raw records: span names, attribute values (the message JSON of the GenAI
// conventions among them), span events and log record bodies. It reads records, not normalized traces,
// so nothing is parsed or built for a search, and it finds what the normalizer does not show too. Work
// is bounded: at most `limit` traces are found, and a caller that runs it beside other work gets control
// back between batches of traces.

import type { AttrValue, Attributes, LogRecordData, SpanRecord, TelemetryBatch } from './records';
import { foldText } from './traceFilter';

/** What a search reads of a store: TraceStore has both. */
export interface SearchableStore {
  /** Every trace, newest first (the order matches are listed in). */
  list(): readonly { traceId: string }[];
  records(traceIds: readonly string[]): TelemetryBatch;
}

export interface SearchOptions {
  /** Stop after this many matching traces. */
  limit?: number;
  /** Search only these traces (a change to known matches); otherwise every trace in the store. */
  traceIds?: readonly string[];
  /** Traces read between two pauses. */
  batchSize?: number;
  /** Awaited between batches, so a thread that answers other requests is not held up by one search. */
  pause?: () => Promise<void>;
}

export interface SearchResult {
  /** Matching traces, newest first. */
  traceIds: string[];
  /** False when the search stopped at its limit: more traces may match. */
  complete: boolean;
  /** Traces read. */
  scanned: number;
}

export const DEFAULT_SEARCH_LIMIT = 5000;
const DEFAULT_BATCH = 500;

/**
 * The terms a text stands for: each word must occur somewhere in the trace, and a "quoted phrase" must
 * occur as it is written. Empty when there is nothing to look for.
 */
export function searchTerms(text: string): string[] {
  const terms: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const term = foldText((m[1] ?? m[2] ?? '').trim());
    if (term && !terms.includes(term)) terms.push(term);
  }
  return terms;
}

/** The terms of a search, each also as a case-insensitive pattern: compiled once per search. */
export interface SearchMatcher {
  readonly terms: readonly string[];
  readonly patterns: readonly RegExp[];
}

export function searchMatcher(text: string): SearchMatcher {
  const terms = searchTerms(text);
  return { terms, patterns: terms.map(patternOf) };
}

/** Whether these records (of one trace) contain every term. */
export function recordsMatch(batch: TelemetryBatch, matcher: SearchMatcher): boolean {
  const { terms, patterns } = matcher;
  if (terms.length === 0) return false;
  const found = terms.map(() => false);
  let missing = terms.length;
  const see = (raw: string): boolean => {
    const text = unescapeJson(raw);
    for (let i = 0; i < terms.length; i++) {
      if (!found[i] && (patterns[i] as RegExp).test(text)) {
        found[i] = true;
        missing--;
      }
    }
    // Only text a pattern cannot compare as it is gets folded, and only for the terms still missing.
    if (missing > 0 && FOLD_FIRST.test(text)) {
      const folded = foldText(text);
      for (let i = 0; i < terms.length; i++) {
        if (!found[i] && folded.includes(terms[i] as string)) {
          found[i] = true;
          missing--;
        }
      }
    }
    return missing === 0;
  };
  for (const span of batch.spans) if (spanMatches(span, see)) return true;
  for (const log of batch.logs) if (logMatches(log, see)) return true;
  return false;
}

/**
 * Text whose folding a case-insensitive comparison does not match: characters NFKC changes or composes
 * (combining marks, Latin-1's compatibility symbols, spaces and letter-like symbols, enclosed and CJK
 * compatibility forms, ligatures, presentation and full-width forms, jamo, what is beyond the BMP) and the
 * case pairs foldText() folds. Other text (plain accented letters, CJK, typographic quotes) is compared
 * with a case-insensitive pattern as it is, which needs no copy of it: most of what a search reads.
 */
const FOLD_FIRST =
  // The class lists combining marks on purpose: any one of them sends the text to be folded.
  // eslint-disable-next-line no-misleading-character-class
  /[\u00a0-\u00bf\u00df\u0130\u0131\u0300-\u036f\u1100-\u11ff\u1e9e\u2000-\u200a\u2024-\u2026\u2070-\u2189\u2460-\u24ff\u3200-\u33ff\ufb00-\ufdff\ufe30-\ufe4f\ufe70-\uffef\ud800-\udfff]/;
const REGEXP_SYNTAX = /[\\^$.*+?()[\]{}|/]/g;

/** A folded term as a case-insensitive pattern (Unicode case folding: "Ö" is "ö", "Σ" and "ς" are "σ"). */
function patternOf(term: string): RegExp {
  return new RegExp(term.replace(REGEXP_SYNTAX, '\\$&'), 'iu');
}

/** The traces of the store whose records contain the text, newest first. */
export async function searchStore(
  store: SearchableStore,
  text: string,
  options: SearchOptions = {},
): Promise<SearchResult> {
  const matcher = searchMatcher(text);
  const limit = options.limit ?? DEFAULT_SEARCH_LIMIT;
  const batchSize = Math.max(1, options.batchSize ?? DEFAULT_BATCH);
  const ids = options.traceIds ?? store.list().map((s) => s.traceId);
  const found: string[] = [];
  let scanned = 0;
  if (matcher.terms.length === 0) return { traceIds: found, complete: true, scanned };
  for (let i = 0; i < ids.length; i++) {
    if (i > 0 && i % batchSize === 0 && options.pause) await options.pause();
    const id = ids[i] as string;
    const records = store.records([id]);
    if (records.spans.length === 0 && records.logs.length === 0) continue;
    scanned++;
    if (!recordsMatch(records, matcher)) continue;
    found.push(id.toLowerCase());
    if (found.length >= limit) return { traceIds: found, complete: i === ids.length - 1, scanned };
  }
  return { traceIds: found, complete: true, scanned };
}

type See = (text: string) => boolean;

function spanMatches(span: SpanRecord, see: See): boolean {
  if (see(span.name)) return true;
  if (span.status.message && see(span.status.message)) return true;
  if (attributesMatch(span.attributes, see)) return true;
  for (const event of span.events) {
    if (see(event.name)) return true;
    if (attributesMatch(event.attributes, see)) return true;
  }
  return false;
}

function logMatches(log: LogRecordData, see: See): boolean {
  if (log.eventName && see(log.eventName)) return true;
  if (log.body !== undefined && valueMatches(log.body, see)) return true;
  return attributesMatch(log.attributes, see);
}

function attributesMatch(attributes: Attributes, see: See): boolean {
  for (const key in attributes) if (valueMatches(attributes[key] as AttrValue, see)) return true;
  return false;
}

function valueMatches(value: AttrValue, see: See): boolean {
  if (typeof value === 'string') return see(value);
  if (typeof value === 'number' || typeof value === 'boolean') return see(String(value));
  if (value === null || value instanceof Uint8Array) return false;
  if (Array.isArray(value)) {
    for (const item of value) if (valueMatches(item, see)) return true;
    return false;
  }
  for (const key in value) if (valueMatches(value[key] as AttrValue, see)) return true;
  return false;
}

const JSON_ESCAPE = /\\u([0-9a-fA-F]{4})/g;

/**
 * Python's json.dumps writes every non-ASCII character as \uXXXX (its default), so content recorded by
 * Python instrumentations holds "\u6771\u4eac" where the user searches for "東京"; such escapes are read.
 */
function unescapeJson(text: string): string {
  if (!text.includes('\\u')) return text;
  return text.replace(JSON_ESCAPE, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}
