// The typed protocol between the host and the session view: a whole conversation across the traces of one
// session, turn by turn. It shares the conversation panel's HTML builder and first-paint rule (the state
// rides in the page), and its own small set of messages; `isSessionWebviewMessage` guards what arrives.

import type { Totals } from '../core/grouping';
import type { Cost, Message, MissingContentReason, Usage } from '../core/model';
import { isPageCommand, type CopyCommand, type OpenLinkCommand, type ReadyCommand } from './conversation';

/** What a session panel shows, and all it saves for a reload: the session and the source holding it. */
export interface SessionTarget {
  sessionId: string;
  /** Which source holds the session; absent means the local receiver. */
  sourceId?: string;
}

/** A tool the model called in the turn, with what the tool answered when a later call of the turn says. */
export interface TurnToolCall {
  name: string;
  arguments: string;
  id?: string;
  result?: string;
}

/** One turn of the session (one trace), as the session view shows it. */
export interface TurnView {
  traceId: string;
  /** From 1, oldest first. */
  number: number;
  name: string;
  startMs: number;
  durationMs: number;
  models: string[];
  usage: Usage;
  cost?: Cost;
  llmCallCount: number;
  hasError: boolean;
  /** What failed, when a span of the turn did. */
  error?: string;
  /**
   * The input messages this turn adds: the user's new message, not the history the app sends again with
   * every request (what repeats an earlier turn's input and answer is left out).
   */
  newMessages: Message[];
  /** How many leading input messages of the turn's first call repeat earlier turns. */
  repeatedCount: number;
  toolCalls: TurnToolCall[];
  /** The last LLM call's answer. */
  answer: Message[];
  /** Set while the turn's content is not read yet (it is listed from its summary meanwhile). */
  pending?: true;
  /** Why the turn shows no messages, when its calls say. */
  missingContent?: MissingContentReason;
  /** Text parts longer than the view's bound were cut; the turn's own panel has them whole. */
  cut?: true;
}

export interface SessionState {
  kind: 'session';
  target: SessionTarget;
  /** Absent when the session has no trace (any more) in its source. */
  totals?: Totals;
  userIds: string[];
  /** Oldest first. */
  turns: TurnView[];
  /** Older turns left out past the view's bound. */
  hiddenTurns?: number;
  generatedMs: number;
  /** Where the session came from ("Application Insights · prod-insights"); absent for local traces. */
  sourceLabel?: string;
  loading?: boolean;
  loadError?: string;
}

export interface SessionStateNotification {
  type: 'sessionState';
  state: SessionState;
}

export type SessionHostMessage = SessionStateNotification;

/** Open one turn in its own conversation panel. */
export interface OpenTurnCommand {
  type: 'openTurn';
  traceId: string;
}

export type SessionWebviewMessage = ReadyCommand | OpenLinkCommand | CopyCommand | OpenTurnCommand;

export function isSessionWebviewMessage(value: unknown): value is SessionWebviewMessage {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  const page = isPageCommand(m);
  if (page !== undefined) return page;
  switch (m.type) {
    case 'openTurn':
      return typeof m.traceId === 'string' && /^[0-9a-f]{32}$/i.test(m.traceId);
    default:
      return false;
  }
}

export function isSessionHostMessage(value: unknown): value is SessionHostMessage {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  return m.type === 'sessionState' && typeof m.state === 'object' && m.state !== null;
}

/** Whether a state embedded in the page (or restored) is a session's rather than a trace's. */
export function isSessionState(value: unknown): value is SessionState {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { kind?: unknown }).kind === 'session' &&
    typeof (value as { target?: { sessionId?: unknown } }).target?.sessionId === 'string'
  );
}
