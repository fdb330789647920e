// Turns a session's traces into the state the session view renders: one turn per trace, oldest first, each
// with only what it adds to the conversation. Apps send the whole history again with every request, so a
// turn's first call starts with the earlier turns' inputs and answers; that prefix is left out. Pure, so it
// is tested without an editor. Each turn's content is read once from its whole trace (`readTurn`) and kept
// by the panel, so a session of many turns does not need all its traces whole at once.

import { rollUp } from '../core/grouping';
import type { Message, MessagePart, Span, Trace, TraceSummary } from '../core/model';
import type { SessionState, SessionTarget, TurnToolCall, TurnView } from '../protocol/session';
import { commonPrefix, messageKey } from '../views/conversationViewModel';

/** What the session view keeps of one turn's whole trace: its messages, and their keys to compare. */
export interface TurnContent {
  traceId: string;
  /** The summary's updatedMs when it was read: a turn that changed since is read again. */
  updatedMs: number;
  /** The first LLM call's input messages, and their keys. */
  inputs: Message[];
  inputKeys: string[];
  /** What the next turn would send again: the last call's input followed by its answer. */
  historyKeys: string[];
  toolCalls: TurnToolCall[];
  answer: Message[];
  error?: string;
  missingContent?: TurnView['missingContent'];
  cut?: true;
}

/** How many earlier turns a turn is compared with; bounds the work on long sessions. */
const LOOKBACK = 4;
/** Text parts longer than this reach the page cut: a session state carries every turn at once. */
export const MAX_PART_TEXT = 20_000;

function llmCalls(trace: Trace): Span[] {
  return trace.spans
    .map((span, i) => ({ span, i }))
    .filter(({ span }) => span.llm !== undefined)
    .sort((a, b) => a.span.startMs - b.span.startMs || a.i - b.i)
    .map(({ span }) => span);
}

function firstAnswer(span: Span): Message[] {
  return (span.llm?.messages ?? []).filter(
    (m) => m.direction === 'output' && (m.index === undefined || m.index === 0),
  );
}

function cutMessage(message: Message, max: number): { message: Message; cut: boolean } {
  let cut = false;
  const parts = message.parts.map((p): MessagePart => {
    if ((p.type === 'text' || p.type === 'reasoning') && p.text.length > max) {
      cut = true;
      return { ...p, text: `${p.text.slice(0, max)}…` };
    }
    if (p.type === 'toolResult' && p.result.length > max) {
      cut = true;
      return { ...p, result: `${p.result.slice(0, max)}…` };
    }
    return p;
  });
  return { message: cut ? { ...message, parts } : message, cut };
}

/** The failure of a trace in words: its first failed span's error. */
export function traceError(trace: Trace): string | undefined {
  const failed = trace.spans.find((s) => s.status.code === 'error');
  if (!failed) return undefined;
  const what = failed.error?.message ?? failed.status.message ?? failed.error?.type ?? 'failed';
  return `${failed.name}: ${what}`;
}

/**
 * Tool calls the turn's answers asked for, each with the result a later call of the turn sent back (by
 * call id, else in order among the results without one).
 */
function turnToolCalls(calls: Span[], max: number): TurnToolCall[] {
  const out: TurnToolCall[] = [];
  const seen = new Set<string>();
  for (const span of calls) {
    for (const m of firstAnswer(span)) {
      for (const p of m.parts) {
        if (p.type !== 'toolCall') continue;
        const key = p.id ?? `${p.name}\u0000${p.arguments}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const call: TurnToolCall = { name: p.name, arguments: p.arguments };
        if (p.id !== undefined) call.id = p.id;
        out.push(call);
      }
    }
  }
  const byId = new Map(out.filter((c) => c.id !== undefined).map((c) => [c.id as string, c]));
  const unmatched = out.filter((c) => c.id === undefined);
  for (const span of calls) {
    for (const m of span.llm?.messages ?? []) {
      if (m.direction !== 'input') continue;
      for (const p of m.parts) {
        if (p.type !== 'toolResult') continue;
        const call = p.id !== undefined ? byId.get(p.id) : unmatched.find((c) => c.result === undefined);
        if (call && call.result === undefined)
          call.result = p.result.length > max ? `${p.result.slice(0, max)}…` : p.result;
      }
    }
  }
  return out;
}

/** Reads what the session view shows of one turn from its whole trace. */
export function readTurn(trace: Trace, max = MAX_PART_TEXT): TurnContent {
  const calls = llmCalls(trace);
  const first = calls[0];
  const last = calls[calls.length - 1];
  const rawInputs = (first?.llm?.messages ?? []).filter((m) => m.direction === 'input');
  let cut = false;
  const shorten = (m: Message): Message => {
    const r = cutMessage(m, max);
    if (r.cut) cut = true;
    return r.message;
  };
  const lastInputs = (last?.llm?.messages ?? []).filter((m) => m.direction === 'input');
  const answer = last ? firstAnswer(last) : [];
  const content: TurnContent = {
    traceId: trace.traceId,
    updatedMs: trace.summary.updatedMs,
    inputs: rawInputs.map(shorten),
    inputKeys: rawInputs.map(messageKey),
    historyKeys: [...lastInputs, ...answer].map(messageKey),
    toolCalls: turnToolCalls(calls, max),
    // An answer that only asks for tools is shown as the tool calls, not again as the answer.
    answer: answer.filter((m) => m.parts.some((p) => p.type !== 'toolCall')).map(shorten),
  };
  const error = traceError(trace);
  if (error) content.error = error;
  const missing = calls.find((s) => s.llm?.missingContent)?.llm?.missingContent;
  if (missing) content.missingContent = missing;
  if (cut) content.cut = true;
  return content;
}

/**
 * How many leading input messages of each turn repeat what an earlier turn sent and got back. A turn is
 * compared with the few turns before it (an app may drop a turn from the history it sends).
 */
export function repeatedPrefixes(contents: readonly (TurnContent | undefined)[]): number[] {
  return contents.map((c, i) => {
    if (!c) return 0;
    let best = 0;
    for (let j = i - 1; j >= 0 && j >= i - LOOKBACK; j--) {
      const earlier = contents[j];
      if (earlier) best = Math.max(best, commonPrefix(c.inputKeys, earlier.historyKeys));
    }
    return best;
  });
}

export interface SessionContext {
  sourceLabel?: string;
  loading?: boolean;
  loadError?: string;
}

/** The most turns a session view lists: the newest ones; the totals still count every turn. */
export const MAX_TURNS = 200;

/** The turns a session view lists (the newest MAX_TURNS), oldest first. */
export function shownTurns(summaries: readonly TraceSummary[], maxTurns = MAX_TURNS): TraceSummary[] {
  const ordered = [...summaries].sort((a, b) => a.startMs - b.startMs || a.traceId.localeCompare(b.traceId));
  return ordered.slice(Math.max(0, ordered.length - maxTurns));
}

/**
 * The whole state of a session panel from the session's summaries (oldest first) and the content read so
 * far of each turn; a turn not read yet is listed from its summary, marked pending.
 */
export function buildSessionState(
  target: SessionTarget,
  summaries: readonly TraceSummary[],
  contents: ReadonlyMap<string, TurnContent>,
  nowMs: number,
  context: SessionContext = {},
  maxTurns = MAX_TURNS,
): SessionState {
  const safeTarget: SessionTarget = { sessionId: target.sessionId };
  if (target.sourceId !== undefined) safeTarget.sourceId = target.sourceId;
  const ordered = shownTurns(summaries, maxTurns);
  const offset = summaries.length - ordered.length;
  const read = ordered.map((s) => contents.get(s.traceId));
  const repeated = repeatedPrefixes(read);
  const turns = ordered.map((s, i): TurnView => {
    const c = read[i];
    const turn: TurnView = {
      traceId: s.traceId,
      number: offset + i + 1,
      name: s.name,
      startMs: s.startMs,
      durationMs: s.durationMs,
      models: s.models,
      usage: s.usage,
      llmCallCount: s.llmCallCount,
      hasError: s.hasError,
      newMessages: c ? c.inputs.slice(repeated[i]) : [],
      repeatedCount: repeated[i] ?? 0,
      toolCalls: c?.toolCalls ?? [],
      answer: c?.answer ?? [],
    };
    if (s.cost) turn.cost = s.cost;
    if (!c) turn.pending = true;
    if (c?.error) turn.error = c.error;
    else if (s.hasError) turn.error = 'A span of this turn failed';
    if (c?.missingContent) turn.missingContent = c.missingContent;
    if (c?.cut) turn.cut = true;
    return turn;
  });
  const userIds = [...new Set(summaries.map((s) => s.userId).filter((u): u is string => u !== undefined))];
  const state: SessionState = {
    kind: 'session',
    target: safeTarget,
    userIds,
    turns,
    generatedMs: nowMs,
  };
  if (summaries.length > 0) state.totals = rollUp(summaries);
  if (offset > 0) state.hiddenTurns = offset;
  if (context.sourceLabel) state.sourceLabel = context.sourceLabel;
  if (context.loading) state.loading = true;
  if (context.loadError) state.loadError = context.loadError;
  return state;
}
