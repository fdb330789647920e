// Sessions and users out of trace summaries: the sidebar's "group by session / by user" and the session
// view's totals read these groups. Pure and linear in the number of summaries, so a refresh under load
// groups every summary once and describes each node from the groups, never by another scan.

import { totalTokens } from './format';
import type { Cost, TraceSummary, Usage } from './model';
import { addUsage } from './model';

export type GroupMode = 'trace' | 'session' | 'user';

export const GROUP_MODES: readonly GroupMode[] = ['trace', 'session', 'user'];

/** A remembered grouping as a mode: by trace when none was remembered or the value is not one. */
export function groupModeOf(saved: unknown): GroupMode {
  return GROUP_MODES.find((mode) => mode === saved) ?? 'trace';
}

/** The key of the group of traces that carry no session (or no user). */
export const NO_GROUP = '';

/** What a set of traces (a session, a user, a session's turns) adds up to. */
export interface Totals {
  /** Traces: a session's turns. */
  turns: number;
  llmCalls: number;
  usage: Usage;
  /** Absent when no trace had a cost (none was priced or had tokens). */
  cost?: Cost;
  /** The sum of the traces' durations: the time spent answering, not the session's wall-clock span. */
  durationMs: number;
  /** Traces with a failed span. */
  errors: number;
  firstMs: number;
  lastMs: number;
}

/** Sums two costs; absent stays absent, so "no cost known" never reads as "$0.00". */
export function addCost(a: Cost | undefined, b: Cost | undefined): Cost | undefined {
  if (!a) return b ? { ...b } : undefined;
  if (!b) return { ...a };
  return {
    usd: a.usd + b.usd,
    pricedCalls: a.pricedCalls + b.pricedCalls,
    unpricedCalls: a.unpricedCalls + b.unpricedCalls,
  };
}

export function emptyTotals(): Totals {
  return { turns: 0, llmCalls: 0, usage: {}, durationMs: 0, errors: 0, firstMs: 0, lastMs: 0 };
}

/** Adds one trace to running totals (in place: a grouping adds thousands). */
export function addToTotals(totals: Totals, t: TraceSummary): Totals {
  totals.firstMs = totals.turns === 0 ? t.startMs : Math.min(totals.firstMs, t.startMs);
  totals.lastMs = totals.turns === 0 ? t.startMs : Math.max(totals.lastMs, t.startMs);
  totals.turns++;
  totals.llmCalls += t.llmCallCount;
  // A sum of reported totals would leave out the traces that report none: each adds its own total.
  const total = totalTokens(t.usage);
  totals.usage = addUsage(totals.usage, total === undefined ? t.usage : { ...t.usage, totalTokens: total });
  const cost = addCost(totals.cost, t.cost);
  if (cost) totals.cost = cost;
  totals.durationMs += t.durationMs;
  if (t.hasError) totals.errors++;
  return totals;
}

export function rollUp(traces: readonly TraceSummary[]): Totals {
  const totals = emptyTotals();
  for (const t of traces) addToTotals(totals, t);
  return totals;
}

export interface SessionGroup {
  /** NO_GROUP for the traces without a session. */
  sessionId: string;
  /** Oldest first: a session reads turn by turn. */
  traces: TraceSummary[];
  totals: Totals;
  /** The users seen in the session (usually one). */
  userIds: string[];
}

export interface UserGroup {
  /** NO_GROUP for the traces without a user. */
  userId: string;
  /** The user's sessions, the most recently active first; the traces without a session last. */
  sessions: SessionGroup[];
  totals: Totals;
}

export interface Grouping {
  /** Most recently active first; the "(no session)" group last. */
  sessions: SessionGroup[];
  users: UserGroup[];
  sessionById: Map<string, SessionGroup>;
  userById: Map<string, UserGroup>;
  /** `${userId}\u0000${sessionId}`: a session as one user's part of it. */
  userSessionByKey: Map<string, SessionGroup>;
  /** Each trace's place in its session, from 1 (the oldest turn). */
  turnOf: Map<string, number>;
}

export function userSessionKey(userId: string, sessionId: string): string {
  return `${userId}\u0000${sessionId}`;
}

/** Groups summaries by session and by user in one pass (plus a sort of each group's traces). */
export function groupTraces(summaries: readonly TraceSummary[]): Grouping {
  const sessionById = new Map<string, SessionGroup>();
  const userById = new Map<string, UserGroup>();
  const userSessionByKey = new Map<string, SessionGroup>();
  const userSessionLists = new Map<string, SessionGroup[]>();
  for (const t of summaries) {
    const sessionId = t.sessionId ?? NO_GROUP;
    const userId = t.userId ?? NO_GROUP;
    let session = sessionById.get(sessionId);
    if (!session) {
      session = { sessionId, traces: [], totals: emptyTotals(), userIds: [] };
      sessionById.set(sessionId, session);
    }
    session.traces.push(t);
    addToTotals(session.totals, t);
    if (t.userId !== undefined && !session.userIds.includes(t.userId)) session.userIds.push(t.userId);

    let user = userById.get(userId);
    if (!user) {
      user = { userId, sessions: [], totals: emptyTotals() };
      userById.set(userId, user);
      userSessionLists.set(userId, user.sessions);
    }
    addToTotals(user.totals, t);
    const key = userSessionKey(userId, sessionId);
    let part = userSessionByKey.get(key);
    if (!part) {
      part = { sessionId, traces: [], totals: emptyTotals(), userIds: t.userId ? [t.userId] : [] };
      userSessionByKey.set(key, part);
      user.sessions.push(part);
    }
    part.traces.push(t);
    addToTotals(part.totals, t);
  }
  for (const group of [...sessionById.values(), ...userSessionByKey.values()]) sortOldestFirst(group.traces);
  for (const user of userById.values()) user.sessions.sort(byRecentActivity);
  const turnOf = new Map<string, number>();
  for (const group of sessionById.values()) group.traces.forEach((t, i) => turnOf.set(t.traceId, i + 1));
  return {
    sessions: [...sessionById.values()].sort(byRecentActivity),
    users: [...userById.values()].sort((a, b) =>
      a.userId === NO_GROUP ? 1 : b.userId === NO_GROUP ? -1 : b.totals.lastMs - a.totals.lastMs,
    ),
    sessionById,
    userById,
    userSessionByKey,
    turnOf,
  };
}

function sortOldestFirst(traces: TraceSummary[]): void {
  traces.sort((a, b) => a.startMs - b.startMs || a.traceId.localeCompare(b.traceId));
}

function byRecentActivity(a: SessionGroup, b: SessionGroup): number {
  if (a.sessionId === NO_GROUP) return b.sessionId === NO_GROUP ? 0 : 1;
  if (b.sessionId === NO_GROUP) return -1;
  return b.totals.lastMs - a.totals.lastMs;
}

export interface KnownId {
  id: string;
  turns: number;
  lastMs: number;
}

/** The sessions (or users) of a grouping as Find by Session ID / Find by User offers them. */
export function knownIds(groups: readonly (SessionGroup | UserGroup)[]): KnownId[] {
  const out: KnownId[] = [];
  for (const g of groups) {
    const id = 'userId' in g ? g.userId : g.sessionId;
    if (id === NO_GROUP) continue;
    out.push({ id, turns: g.totals.turns, lastMs: g.totals.lastMs });
  }
  return out;
}

/**
 * The known ids that match what was typed, best first: the exact id, then ids that start with it, then
 * ids that contain it (case-insensitive), each by most recent activity. Empty text matches every id.
 */
export function matchIds(known: readonly KnownId[], typed: string, limit = 200): KnownId[] {
  const q = typed.trim().toLowerCase();
  const rank = (k: KnownId): number => {
    if (!q) return 2;
    const id = k.id.toLowerCase();
    if (id === q) return 0;
    if (id.startsWith(q)) return 1;
    return id.includes(q) ? 2 : -1;
  };
  return known
    .map((k) => ({ k, r: rank(k) }))
    .filter((x) => x.r >= 0)
    .sort((a, b) => a.r - b.r || b.k.lastMs - a.k.lastMs)
    .slice(0, limit)
    .map((x) => x.k);
}
