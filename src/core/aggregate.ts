// The Summary view's figures: calls, tokens, cost, errors and latency percentiles for a time window, per
// model, service and user, and series per time bucket. Pure: it reads per-call facts through a visitor, so
// the store can keep them in compact columns (CallFacts below) and a file source or a test in plain objects.
// Percentiles are exact, by nearest rank: the p-th of n sorted values is the ceil(p/100 * n)-th.

import type { MetricsSummary } from './genaiMetrics';
import type { Span } from './model';

/** What the summary needs of one LLM call. Missing token counts are 0; a missing model, service, user ''. */
export interface CallFact {
  startMs: number;
  durationMs: number;
  model: string;
  service: string;
  user: string;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  reasoningTokens: number;
  /** 'priced': `costUsd` holds its cost; 'unpriced': it had tokens but no price; 'none': no tokens. */
  cost: 'priced' | 'unpriced' | 'none';
  costUsd: number;
  error: boolean;
  /** `gen_ai.evaluation.result` events about the call. */
  evaluations: number;
}

/** Visits every stored fact; the visited object may be reused between calls, so read it, do not keep it. */
export type EachFact = (visit: (fact: Readonly<CallFact>) => void) => void;

/** A time window in Unix ms; an absent bound is the earliest or latest call. */
export interface SummaryWindow {
  fromMs?: number;
  toMs?: number;
  /** The bucket of the series; chosen from the window when absent (see bucketFor). */
  bucketMs?: number;
}

export interface SummaryFigures {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  reasoningTokens: number;
  /** The sum over priced calls. */
  costUsd: number;
  pricedCalls: number;
  /** Calls with tokens whose model has no price: not in costUsd. */
  unpricedCalls: number;
  errors: number;
  /** Evaluations of the calls (`gen_ai.evaluation.result`); absent where the source does not count them. */
  evaluations?: number;
  /** Latency (the call's span duration) by nearest rank; absent when there are no calls. */
  p50Ms?: number;
  p95Ms?: number;
  p99Ms?: number;
}

export interface SummaryGroup extends SummaryFigures {
  /** The model, service or user; '' for calls that name none. */
  key: string;
}

export interface SummaryBucket extends Omit<SummaryFigures, 'p99Ms'> {
  /** The bucket's start: a multiple of bucketMs since the Unix epoch (Kusto's bin_at from 1970-01-01). */
  startMs: number;
}

export interface Summary {
  fromMs: number;
  toMs: number;
  bucketMs: number;
  totals: SummaryFigures;
  /** Each sorted by total tokens, most first, at most MAX_GROUPS. */
  byModel: SummaryGroup[];
  byService: SummaryGroup[];
  byUser: SummaryGroup[];
  /** Every bucket from the window's start to its end, empty ones included. */
  buckets: SummaryBucket[];
  /** Groups left out past MAX_GROUPS, per dimension (their calls are still in the totals). */
  omittedGroups?: { model: number; service: number; user: number };
  /** What the app's own GenAI metrics say over the window; absent when there are none. */
  metrics?: MetricsSummary;
}

export const MAX_GROUPS = 200;
export const MAX_BUCKETS = 500;
const NICE_BUCKETS_MS = [
  1_000, 5_000, 10_000, 30_000, 60_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 10_800_000,
  21_600_000, 43_200_000, 86_400_000, 604_800_000,
];

/** A round bucket that cuts the span into at most about 120 points (at least a second). */
export function bucketFor(spanMs: number): number {
  for (const b of NICE_BUCKETS_MS) if (spanMs / b <= 120) return b;
  return Math.ceil(spanMs / 120 / 86_400_000) * 86_400_000;
}

/** The nearest-rank percentile of values sorted ascending; undefined for none. */
export function nearestRank(sorted: ArrayLike<number>, p: number): number | undefined {
  const n = sorted.length;
  if (n === 0) return undefined;
  const rank = Math.min(n, Math.max(1, Math.ceil((p / 100) * n)));
  return sorted[rank - 1];
}

class Acc {
  calls = 0;
  inputTokens = 0;
  outputTokens = 0;
  cachedInputTokens = 0;
  reasoningTokens = 0;
  costUsd = 0;
  pricedCalls = 0;
  unpricedCalls = 0;
  errors = 0;
  evaluations = 0;
  durations: number[] = [];

  add(f: Readonly<CallFact>): void {
    this.calls++;
    this.inputTokens += f.inputTokens;
    this.outputTokens += f.outputTokens;
    this.cachedInputTokens += f.cachedInputTokens;
    this.reasoningTokens += f.reasoningTokens;
    if (f.cost === 'priced') {
      this.costUsd += f.costUsd;
      this.pricedCalls++;
    } else if (f.cost === 'unpriced') this.unpricedCalls++;
    if (f.error) this.errors++;
    this.evaluations += f.evaluations;
    this.durations.push(f.durationMs);
  }

  figures(withP99: boolean): SummaryFigures {
    const sorted = Float64Array.from(this.durations).sort();
    const out: SummaryFigures = {
      calls: this.calls,
      inputTokens: this.inputTokens,
      outputTokens: this.outputTokens,
      cachedInputTokens: this.cachedInputTokens,
      reasoningTokens: this.reasoningTokens,
      costUsd: this.costUsd,
      pricedCalls: this.pricedCalls,
      unpricedCalls: this.unpricedCalls,
      errors: this.errors,
      evaluations: this.evaluations,
    };
    if (sorted.length > 0) {
      out.p50Ms = nearestRank(sorted, 50);
      out.p95Ms = nearestRank(sorted, 95);
      if (withP99) out.p99Ms = nearestRank(sorted, 99);
    }
    return out;
  }
}

function groups(map: Map<string, Acc>): { groups: SummaryGroup[]; omitted: number } {
  const all = [...map].map(([key, acc]) => ({ key, acc }));
  const tokens = (a: Acc): number => a.inputTokens + a.outputTokens;
  all.sort((a, b) => tokens(b.acc) - tokens(a.acc) || b.acc.calls - a.acc.calls || cmp(a.key, b.key));
  const kept = all.slice(0, MAX_GROUPS);
  return {
    groups: kept.map((g) => ({ key: g.key, ...g.acc.figures(true) })),
    omitted: all.length - kept.length,
  };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The summary of the calls that start within the window. `nowMs` ends a window without `toMs` when a
 * `fromMs` is given (the last 15 minutes); a window with neither bound spans the calls there are.
 */
export function summarizeCalls(each: EachFact, window: SummaryWindow, nowMs: number): Summary {
  let fromMs = window.fromMs;
  let toMs = window.toMs ?? (fromMs !== undefined ? nowMs : undefined);
  if (fromMs === undefined || toMs === undefined) {
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    each((f) => {
      if (f.startMs < min) min = f.startMs;
      if (f.startMs > max) max = f.startMs;
    });
    if (min > max) min = max = nowMs;
    fromMs ??= min;
    toMs ??= max;
  }
  if (toMs < fromMs) toMs = fromMs;
  let bucketMs = Math.max(1, window.bucketMs ?? bucketFor(toMs - fromMs));
  // Never more than MAX_BUCKETS points, whatever was asked for.
  while (Math.floor(toMs / bucketMs) - Math.floor(fromMs / bucketMs) >= MAX_BUCKETS) bucketMs *= 2;
  const firstBucket = Math.floor(fromMs / bucketMs);
  const bucketCount = Math.floor(toMs / bucketMs) - firstBucket + 1;
  const buckets: Acc[] = Array.from({ length: bucketCount }, () => new Acc());

  const totals = new Acc();
  const byModel = new Map<string, Acc>();
  const byService = new Map<string, Acc>();
  const byUser = new Map<string, Acc>();
  const into = (map: Map<string, Acc>, key: string, f: Readonly<CallFact>): void => {
    let acc = map.get(key);
    if (!acc) map.set(key, (acc = new Acc()));
    acc.add(f);
  };
  const from = fromMs;
  const to = toMs;
  each((f) => {
    if (!(f.startMs >= from && f.startMs <= to)) return;
    totals.add(f);
    into(byModel, f.model, f);
    into(byService, f.service, f);
    into(byUser, f.user, f);
    buckets[Math.floor(f.startMs / bucketMs) - firstBucket]!.add(f);
  });

  const model = groups(byModel);
  const service = groups(byService);
  const user = groups(byUser);
  const summary: Summary = {
    fromMs,
    toMs,
    bucketMs,
    totals: totals.figures(true),
    byModel: model.groups,
    byService: service.groups,
    byUser: user.groups,
    buckets: buckets.map((acc, i) => {
      const { p99Ms: _p99, ...figures } = acc.figures(false);
      return { startMs: (firstBucket + i) * bucketMs, ...figures };
    }),
  };
  if (model.omitted + service.omitted + user.omitted > 0)
    summary.omittedGroups = { model: model.omitted, service: service.omitted, user: user.omitted };
  return summary;
}

const PRICED = 1;
const UNPRICED = 2;
const ERROR = 4;
const DEAD = 8;
/** Three float64s, seven uint32s (four token counts, three names), a byte of flags, one of evaluations. */
const ROW_BYTES = 3 * 8 + 7 * 4 + 2;

/**
 * Per-call facts of a whole store in columns: about 54 bytes a call (numbers in typed arrays, strings as
 * indexes into one table), instead of re-reading every trace's spans for each summary. A trace owns a run
 * of rows; rows a trace lets go are marked dead and squeezed out when they outnumber the live ones.
 */
export class CallFacts {
  private capacity = 0;
  private rows = 0;
  private dead = 0;
  private startMs: Float64Array = new Float64Array(0);
  private durationMs: Float64Array = new Float64Array(0);
  private costUsd: Float64Array = new Float64Array(0);
  private tokens: Uint32Array = new Uint32Array(0); // four a row: input, output, cached, reasoning
  /** Three a row: model, service and user, as indexes into strings. */
  private names: Uint32Array = new Uint32Array(0);
  private flags: Uint8Array = new Uint8Array(0);
  /** Evaluations per call, 255 at most. */
  private evaluations: Uint8Array = new Uint8Array(0);
  private strings: string[] = [''];
  private stringIds = new Map<string, number>([['', 0]]);

  /** Rows in use, dead ones included. */
  get length(): number {
    return this.rows;
  }

  get live(): number {
    return this.rows - this.dead;
  }

  /** What the columns take (outside the JS heap: typed arrays' buffers), slack included. */
  get bytes(): number {
    return this.capacity * ROW_BYTES;
  }

  /** Appends a trace's calls and returns where they start. */
  append(facts: readonly Readonly<CallFact>[]): number {
    const at = this.rows;
    if (at + facts.length > this.capacity) this.grow(at + facts.length);
    for (let i = 0; i < facts.length; i++) this.write(at + i, facts[i]!);
    this.rows += facts.length;
    return at;
  }

  /** Overwrites the trace's run in place when the new calls fit in it; otherwise moves them to the end. */
  replace(at: number, count: number, facts: readonly Readonly<CallFact>[]): number {
    if (facts.length <= count && count > 0) {
      for (let i = 0; i < facts.length; i++) this.write(at + i, facts[i]!);
      this.release(at + facts.length, count - facts.length);
      return at;
    }
    this.release(at, count);
    return this.append(facts);
  }

  release(at: number, count: number): void {
    for (let i = at; i < at + count; i++) {
      if (this.flags[i]! & DEAD) continue;
      this.flags[i]! |= DEAD;
      this.dead++;
    }
  }

  /** Whether enough rows are dead that squeezing them out pays (the store then calls compact). */
  get wantsCompaction(): boolean {
    return this.dead > 1024 && this.dead > this.rows - this.dead;
  }

  /**
   * A new table holding only the runs named, in that order; `moved` learns each run's new start. Strings
   * no live row names are dropped with it.
   */
  compact(
    runs: Iterable<{ at: number; count: number }>,
    moved: (oldAt: number, newAt: number) => void,
  ): CallFacts {
    const next = new CallFacts();
    const view = this.view();
    const batch: CallFact[] = [];
    for (const run of runs) {
      batch.length = 0;
      for (let i = run.at; i < run.at + run.count; i++) if (!(this.flags[i]! & DEAD)) batch.push(view(i));
      moved(run.at, next.append(batch));
    }
    return next;
  }

  /** The live rows of one run, each as a fresh object. */
  rowsOf(at: number, count: number): CallFact[] {
    const view = this.view();
    const out: CallFact[] = [];
    for (let i = at; i < at + count && i < this.rows; i++) if (!(this.flags[i]! & DEAD)) out.push(view(i));
    return out;
  }

  /** Visits the live rows. */
  readonly each: EachFact = (visit) => {
    const view = this.view();
    for (let i = 0; i < this.rows; i++) if (!(this.flags[i]! & DEAD)) visit(view(i, true));
  };

  /** Reads row i into a fresh object, or (`reuse`) into one object shared by every call. */
  private view(): (i: number, reuse?: boolean) => CallFact {
    const shared = emptyFact();
    return (i, reuse) => {
      const f = reuse ? shared : emptyFact();
      const flags = this.flags[i]!;
      f.startMs = this.startMs[i]!;
      f.durationMs = this.durationMs[i]!;
      f.inputTokens = this.tokens[i * 4]!;
      f.outputTokens = this.tokens[i * 4 + 1]!;
      f.cachedInputTokens = this.tokens[i * 4 + 2]!;
      f.reasoningTokens = this.tokens[i * 4 + 3]!;
      f.model = this.strings[this.names[i * 3]!]!;
      f.service = this.strings[this.names[i * 3 + 1]!]!;
      f.user = this.strings[this.names[i * 3 + 2]!]!;
      f.cost = flags & PRICED ? 'priced' : flags & UNPRICED ? 'unpriced' : 'none';
      f.costUsd = this.costUsd[i]!;
      f.error = (flags & ERROR) !== 0;
      f.evaluations = this.evaluations[i]!;
      return f;
    };
  }

  private write(i: number, f: Readonly<CallFact>): void {
    this.startMs[i] = f.startMs;
    this.durationMs[i] = f.durationMs;
    this.costUsd[i] = f.cost === 'priced' ? f.costUsd : 0;
    this.tokens[i * 4] = count(f.inputTokens);
    this.tokens[i * 4 + 1] = count(f.outputTokens);
    this.tokens[i * 4 + 2] = count(f.cachedInputTokens);
    this.tokens[i * 4 + 3] = count(f.reasoningTokens);
    this.names[i * 3] = this.intern(f.model);
    this.names[i * 3 + 1] = this.intern(f.service);
    this.names[i * 3 + 2] = this.intern(f.user);
    this.flags[i] =
      (f.cost === 'priced' ? PRICED : f.cost === 'unpriced' ? UNPRICED : 0) | (f.error ? ERROR : 0);
    this.evaluations[i] = Math.min(255, Math.max(0, f.evaluations | 0));
  }

  private intern(s: string): number {
    let id = this.stringIds.get(s);
    if (id === undefined) {
      id = this.strings.length;
      this.strings.push(s);
      this.stringIds.set(s, id);
    }
    return id;
  }

  private grow(min: number): void {
    // Half again, not double: the table lives as long as the store, and its slack is paid per call.
    const capacity = Math.max(min, Math.ceil(this.capacity * 1.5), 256);
    const f64 = (old: Float64Array): Float64Array => {
      const a = new Float64Array(capacity);
      a.set(old.subarray(0, this.rows));
      return a;
    };
    this.startMs = f64(this.startMs);
    this.durationMs = f64(this.durationMs);
    this.costUsd = f64(this.costUsd);
    const tokens = new Uint32Array(capacity * 4);
    tokens.set(this.tokens.subarray(0, this.rows * 4));
    this.tokens = tokens;
    const names = new Uint32Array(capacity * 3);
    names.set(this.names.subarray(0, this.rows * 3));
    this.names = names;
    const flags = new Uint8Array(capacity);
    flags.set(this.flags.subarray(0, this.rows));
    this.flags = flags;
    const evaluations = new Uint8Array(capacity);
    evaluations.set(this.evaluations.subarray(0, this.rows));
    this.evaluations = evaluations;
    this.capacity = capacity;
  }
}

/** A token count as a Uint32Array holds it (a count past 4e9 is clamped, not wrapped). */
function count(n: number): number {
  return Number.isFinite(n) ? Math.min(0xffffffff, Math.max(0, Math.round(n))) : 0;
}

/**
 * The facts of a trace's LLM calls, from its spans (outlines will do: they carry usage and cost). A call
 * with an LLM call below it (a framework's span repeating its children's usage) counts as a call, with its
 * latency, but its tokens and cost are its children's and are not counted again: the trace's usage is
 * summed the same way.
 */
export function callFactsOf(spans: readonly Span[], traceUser: string | undefined): CallFact[] {
  const out: CallFact[] = [];
  const byId = new Map<string, Span>();
  for (const s of spans) byId.set(s.spanId, s);
  const hasLlmBelow = new Set<string>();
  for (const s of spans) {
    if (!s.llm) continue;
    for (let p = s.parentSpanId; p && !hasLlmBelow.has(p); p = byId.get(p)?.parentSpanId) {
      if (!byId.has(p)) break;
      hasLlmBelow.add(p);
    }
  }
  for (const span of spans) {
    const llm = span.llm;
    if (!llm) continue;
    const repeats = hasLlmBelow.has(span.spanId);
    const u = repeats ? {} : llm.usage;
    const c = repeats ? undefined : llm.cost;
    out.push({
      startMs: span.startMs,
      durationMs: span.durationMs,
      model: llm.responseModel ?? llm.requestModel ?? '',
      service: span.service,
      user: span.userId ?? traceUser ?? '',
      inputTokens: u.inputTokens ?? 0,
      outputTokens: u.outputTokens ?? 0,
      cachedInputTokens: u.cachedInputTokens ?? 0,
      reasoningTokens: u.reasoningTokens ?? 0,
      cost: c ? (c.priced ? 'priced' : 'unpriced') : 'none',
      costUsd: c?.priced ? c.usd : 0,
      error: span.status.code === 'error' || span.error !== undefined,
      evaluations: llm.evaluations?.length ?? 0,
    });
  }
  return out;
}

function emptyFact(): CallFact {
  return {
    startMs: 0,
    durationMs: 0,
    model: '',
    service: '',
    user: '',
    inputTokens: 0,
    outputTokens: 0,
    cachedInputTokens: 0,
    reasoningTokens: 0,
    cost: 'none',
    costUsd: 0,
    error: false,
    evaluations: 0,
  };
}
