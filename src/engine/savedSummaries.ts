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
    fs.rmSync(temporary, { force: true });
    return false;
  }
}

/** The saved summaries when the file is there, whole, and of the same fingerprint; else undefined. */
export function readSavedSummaries(
  dir: string,
  fingerprint: string,
  logger: Logger,
): SavedSummaries | undefined {
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
  if (typeof position?.segment !== 'string' || !Number.isSafeInteger(position.offset) || !traces) {
    logger.warn(`[persist] ${SAVED_FILE} is not as written: every kept request is read again`);
    return undefined;
  }
  return { position: position as LogPosition, traces };
}

/** The traces of the file with their facts read back; undefined if any is not as written. */
function savedTraces(items: unknown[]): SavedTrace[] | undefined {
  const out: SavedTrace[] = [];
  for (const item of items) {
    if (!isSavedTrace(item)) return undefined;
    const t = item as Omit<SavedTrace, 'facts'> & { facts: unknown[] };
    const facts: CallFact[] = [];
    for (const row of t.facts) {
      const fact = factOf(row);
      if (!fact) return undefined;
      facts.push(fact);
    }
    out.push({ traceId: t.traceId, spans: t.spans, logs: t.logs, summary: t.summary, facts });
  }
  return out;
}

export function deleteSavedSummaries(dir: string): void {
  fs.rmSync(path.join(dir, SAVED_FILE), { force: true });
}

function isSavedTrace(value: unknown): boolean {
  const t = value as Partial<Record<keyof SavedTrace, unknown>> | null;
  if (typeof t !== 'object' || t === null) return false;
  const s = t.summary as Record<string, unknown> | null;
  return (
    typeof t.traceId === 'string' &&
    Number.isSafeInteger(t.spans) &&
    Number.isSafeInteger(t.logs) &&
    Array.isArray(t.facts) &&
    typeof s === 'object' &&
    s !== null &&
    s.traceId === t.traceId &&
    typeof s.name === 'string' &&
    typeof s.service === 'string' &&
    typeof s.startMs === 'number' &&
    typeof s.durationMs === 'number' &&
    Number.isSafeInteger(s.spanCount) &&
    Number.isSafeInteger(s.llmCallCount) &&
    Array.isArray(s.models) &&
    typeof s.usage === 'object' &&
    s.usage !== null
  );
}
