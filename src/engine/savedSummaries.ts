// The store's summaries saved beside the request log, so a start does not normalize again what the last
// session already read. The file names the point of the log it matches and a fingerprint of everything the
// summaries depend on (the settings that shape them, and the engine's own code): replay takes a saved
// trace's summary once the records up to that point have brought it back whole, and reads as usual every
// trace that the log holds more or less of. A missing, stale or damaged file only costs that time.

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CallFact } from '../core/aggregate';
import type { Logger } from '../core/logger';
import { USAGE_KEYS, type PriceEntryRef, type TraceSummary, type Usage } from '../core/model';
import type { SavedTrace } from '../core/store';
import type { LogPosition } from '../otlp/requestLog';

export const SAVED_FILE = 'summaries.json';
const FORMAT = 1;

/** A call's facts in the file: the fields of CallFact in this order (a third of the size with names). */
type FactRow = [
  startMs: number,
  durationMs: number,
  model: string,
  service: string,
  user: string,
  inputTokens: number,
  outputTokens: number,
  cachedInputTokens: number,
  reasoningTokens: number,
  cost: CallFact['cost'],
  costUsd: number,
  error: boolean,
  evaluations: number,
];

const COSTS: readonly CallFact['cost'][] = ['priced', 'unpriced', 'none'];

function factRow(f: CallFact): FactRow {
  return [
    f.startMs,
    f.durationMs,
    f.model,
    f.service,
    f.user,
    f.inputTokens,
    f.outputTokens,
    f.cachedInputTokens,
    f.reasoningTokens,
    f.cost,
    f.costUsd,
    f.error,
    f.evaluations,
  ];
}

/** The row as a fact, or undefined when it is not one this file's writer would have written. */
function factOf(row: unknown): CallFact | undefined {
  if (!Array.isArray(row) || row.length !== 13) return undefined;
  const [
    startMs,
    durationMs,
    model,
    service,
    user,
    input,
    output,
    cached,
    reasoning,
    cost,
    usd,
    error,
    evals,
  ] = row as unknown[];
  const numbers = [startMs, durationMs, input, output, cached, reasoning, usd, evals];
  if (!numbers.every((n) => typeof n === 'number')) return undefined;
  if (typeof model !== 'string' || typeof service !== 'string' || typeof user !== 'string') return undefined;
  if (!COSTS.includes(cost as CallFact['cost']) || typeof error !== 'boolean') return undefined;
  return {
    startMs: startMs as number,
    durationMs: durationMs as number,
    model,
    service,
    user,
    inputTokens: input as number,
    outputTokens: output as number,
    cachedInputTokens: cached as number,
    reasoningTokens: reasoning as number,
    cost: cost as CallFact['cost'],
    costUsd: usd as number,
    error,
    evaluations: evals as number,
  };
}

export interface SavedSummaries {
  /** The log's end when they were saved: its records up to there are what the summaries were built from. */
  position: LogPosition;
  traces: SavedTrace[];
}

let codeDigest: string | undefined;

/**
 * What the summaries depend on: the settings given, and the code that read them (this bundle's bytes, so a
 * new version of the extension never takes the summaries of an older one).
 */
export function summariesFingerprint(settings: unknown): string {
  codeDigest ??= (() => {
    try {
      return createHash('sha256').update(fs.readFileSync(__filename)).digest('hex');
    } catch {
      return 'unknown';
    }
  })();
  return createHash('sha256')
    .update(codeDigest)
    .update(JSON.stringify(settings ?? null))
    .digest('hex');
}

/** Writes the file whole (a temporary file renamed over it), so a crash never leaves half of one. */
export function writeSavedSummaries(
  dir: string,
  fingerprint: string,
  saved: SavedSummaries,
  logger: Logger,
): boolean {
  const file = path.join(dir, SAVED_FILE);
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(dir, { recursive: true });
    const traces = saved.traces.map((t) => ({ ...t, facts: t.facts.map(factRow) }));
    fs.writeFileSync(
      temporary,
      JSON.stringify({ format: FORMAT, fingerprint, position: saved.position, traces }),
    );
    fs.renameSync(temporary, file);
    return true;
  } catch (err) {
    logger.warn(
      `[persist] could not save the summaries: ${err instanceof Error ? err.message : String(err)}`,
    );
    removeQuietly(temporary);
    return false;
  }
}

/** The saved summaries when the file is there, whole, and of the same fingerprint; else undefined. */
export function readSavedSummaries(
  dir: string,
  fingerprint: string,
  logger: Logger,
): SavedSummaries | undefined {
  removeLeftovers(dir);
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, SAVED_FILE), 'utf8');
  } catch {
    return undefined;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    logger.warn(`[persist] ${SAVED_FILE} is damaged: every kept request is read again`);
    return undefined;
  }
  const v = value as Partial<Record<'format' | 'fingerprint' | 'position' | 'traces', unknown>>;
  if (v?.format !== FORMAT || v.fingerprint !== fingerprint) {
    logger.info(`[persist] ${SAVED_FILE} is of other settings or another version: not used`);
    return undefined;
  }
  const position = v.position as Partial<LogPosition> | undefined;
  const traces = Array.isArray(v.traces) ? savedTraces(v.traces) : undefined;
  if (typeof position?.segment !== 'string' || !isCount(position.offset) || !traces) {
    logger.warn(`[persist] ${SAVED_FILE} is not as written: every kept request is read again`);
    return undefined;
  }
  return { position: { segment: position.segment, offset: position.offset as number }, traces };
}

/** Deletes the file (and any temporary one a stop cut short). */
export function deleteSavedSummaries(dir: string): void {
  fs.rmSync(path.join(dir, SAVED_FILE), { force: true });
  removeLeftovers(dir, 0);
}

/** Temporary files of saves cut short (the worker ended mid-write) older than `ageMs`. */
function removeLeftovers(dir: string, ageMs = 60_000): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  const now = Date.now();
  for (const name of names) {
    if (!name.startsWith(`${SAVED_FILE}.`) || !name.endsWith('.tmp')) continue;
    const file = path.join(dir, name);
    try {
      if (now - fs.statSync(file).mtimeMs >= ageMs) fs.rmSync(file, { force: true });
    } catch {
      /* gone meanwhile, or not ours to delete */
    }
  }
}

function removeQuietly(file: string): void {
  try {
    fs.rmSync(file, { force: true });
  } catch {
    /* the next start removes it */
  }
}

/** The traces of the file, each rebuilt from checked fields; undefined if any is not as written. */
function savedTraces(items: unknown[]): SavedTrace[] | undefined {
  const out: SavedTrace[] = [];
  for (const item of items) {
    const t = item as Partial<Record<keyof SavedTrace, unknown>> | null;
    if (typeof t !== 'object' || t === null) return undefined;
    const { traceId, spans, logs, digest } = t;
    if (typeof traceId !== 'string' || traceId === '' || traceId !== traceId.toLowerCase()) return undefined;
    if (!isCount(spans) || !isCount(logs) || !isCount(digest) || !Array.isArray(t.facts)) return undefined;
    const summary = summaryOf(t.summary, traceId);
    if (!summary) return undefined;
    const facts: CallFact[] = [];
    for (const row of t.facts) {
      const fact = factOf(row);
      if (!fact) return undefined;
      facts.push(fact);
    }
    out.push({ traceId, spans, logs, digest, summary, facts });
  }
  return out;
}

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isText = (v: unknown): v is string => typeof v === 'string';
const isTexts = (v: unknown): v is string[] => Array.isArray(v) && v.every(isText);

/**
 * A TraceSummary from the file, field by field: each of the right type (what the host's tree and panels
 * read without checking), nothing else carried over. Undefined when one is not.
 */
function summaryOf(value: unknown, traceId: string): TraceSummary | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  if (v.traceId !== traceId || !isText(v.name) || !isText(v.service) || !isTexts(v.models)) return undefined;
  if (!isTime(v.startMs) || !isTime(v.durationMs) || !isTime(v.updatedMs)) return undefined;
  const counts = [v.spanCount, v.llmCallCount, v.toolCallCount, v.errorCount];
  if (!counts.every(isCount) || typeof v.hasError !== 'boolean') return undefined;
  const rawUsage = v.usage as Record<string, unknown> | null;
  if (typeof rawUsage !== 'object' || rawUsage === null) return undefined;
  const usage: Usage = {};
  for (const key of USAGE_KEYS) {
    const n = rawUsage[key];
    if (n === undefined) continue;
    if (!isTime(n)) return undefined;
    usage[key] = n;
  }
  const summary: TraceSummary = {
    traceId,
    name: v.name,
    service: v.service,
    startMs: v.startMs,
    durationMs: v.durationMs,
    spanCount: v.spanCount as number,
    llmCallCount: v.llmCallCount as number,
    toolCallCount: v.toolCallCount as number,
    errorCount: v.errorCount as number,
    models: v.models,
    usage,
    hasError: v.hasError,
    updatedMs: v.updatedMs,
  };
  for (const key of ['rootSpanId', 'preview', 'sessionId', 'userId'] as const) {
    const text = v[key];
    if (text === undefined) continue;
    if (!isText(text)) return undefined;
    summary[key] = text;
  }
  if (v.droppedSpans !== undefined) {
    if (!isCount(v.droppedSpans)) return undefined;
    summary.droppedSpans = v.droppedSpans;
  }
  if (v.cost !== undefined || v.costBasis !== undefined) {
    const cost = v.cost as Record<string, unknown> | null;
    const basis = v.costBasis as Record<string, unknown> | null;
    if (typeof cost !== 'object' || cost === null || typeof basis !== 'object' || basis === null)
      return undefined;
    if (!isTime(cost.usd) || !isCount(cost.pricedCalls) || !isCount(cost.unpricedCalls)) return undefined;
    if (!Array.isArray(basis.entries) || !isTexts(basis.unpricedModels)) return undefined;
    const entries: PriceEntryRef[] = [];
    for (const e of basis.entries as unknown[]) {
      const entry = e as Record<string, unknown> | null;
      if (typeof entry !== 'object' || entry === null || !isText(entry.id)) return undefined;
      if (entry.source !== 'shipped' && entry.source !== 'settings') return undefined;
      const ref: PriceEntryRef = { id: entry.id, source: entry.source };
      if (entry.asOf !== undefined) {
        if (!isText(entry.asOf)) return undefined;
        ref.asOf = entry.asOf;
      }
      entries.push(ref);
    }
    summary.cost = { usd: cost.usd, pricedCalls: cost.pricedCalls, unpricedCalls: cost.unpricedCalls };
    summary.costBasis = { entries, unpricedModels: basis.unpricedModels };
  }
  return summary;
}
