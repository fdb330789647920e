// Sessions and users out of trace summaries (the sidebar's grouping, the session view's totals), on
// traces normalized from the real captures, some ingested again with their session or user rewritten.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  groupModeOf,
  addCost,
  groupTraces,
  knownIds,
  matchIds,
  NO_GROUP,
  rollUp,
  userSessionKey,
} from '../../../src/core/grouping';
import { formatCost } from '../../../src/core/format';
import type { Cost, TraceSummary } from '../../../src/core/model';
import { ingest, newStore, scenario } from '../helpers/sessions';

const LIB = 'otel-openai';

/** One library's captures: Lisbon (chat, tools), Porto (error, stream, large), Kyoto (unicode). */
function captured(): TraceSummary[] {
  const store = newStore();
  for (const s of ['chat', 'tools', 'error', 'stream', 'unicode', 'large']) ingest(store, scenario(LIB, s));
  return store.list();
}

describe('groupModeOf', () => {
  it('reads a remembered grouping, and anything else as by trace', () => {
    assert.equal(groupModeOf('session'), 'session');
    assert.equal(groupModeOf('user'), 'user');
    for (const other of [undefined, null, '', 'Session', 'model', 3, {}, ['user']])
      assert.equal(groupModeOf(other), 'trace', JSON.stringify(other));
  });
});

describe('groupTraces', () => {
  it('groups by session, each oldest turn first, the most recently active session first', () => {
    const all = captured();
    const g = groupTraces(all);
    assert.deepEqual(
      g.sessions.map((s) => [s.sessionId, s.traces.length]),
      [
        ['sess-porto-trip', 3],
        ['sess-kyoto-autumn', 1],
        ['sess-lisbon-weekend', 2],
      ],
    );
    for (const s of g.sessions) {
      const starts = s.traces.map((t) => t.startMs);
      assert.deepEqual(
        starts,
        [...starts].sort((a, b) => a - b),
      );
      s.traces.forEach((t, i) => assert.equal(g.turnOf.get(t.traceId), i + 1));
    }
    const lisbon = g.sessionById.get('sess-lisbon-weekend')!;
    assert.deepEqual(lisbon.userIds, ['user-1042']);
    assert.equal(lisbon.totals.turns, 2);
    assert.equal(lisbon.totals.llmCalls, 3);
    assert.deepEqual(lisbon.totals.usage, {
      inputTokens: 71 + 565,
      outputTokens: 55 + 65,
      totalTokens: 71 + 565 + 55 + 65,
    });
    assert.equal(lisbon.totals.errors, 0);
    // gpt-4o-mini, priced by the store as the calls were read.
    assert.deepEqual(lisbon.totals.cost, lisbon.traces.map((t) => t.cost).reduce(addCost, undefined));
    assert.equal(lisbon.totals.cost!.pricedCalls, 3);
    const porto = g.sessionById.get('sess-porto-trip')!;
    assert.equal(porto.totals.errors, 1, 'the failed turn');
    const durations = porto.traces.reduce((n, t) => n + t.durationMs, 0);
    assert.equal(porto.totals.durationMs, durations);
    assert.equal(porto.totals.firstMs, porto.traces[0]!.startMs);
    assert.equal(porto.totals.lastMs, porto.traces[2]!.startMs);
  });

  it('puts traces without a session or user under the "(no session)" and "(no user)" groups, last', () => {
    const store = newStore();
    ingest(store, scenario(LIB, 'tools'));
    // Later than everything else, yet its groups still come last.
    ingest(store, scenario(LIB, 'chat'), { session: null, user: null, tracePrefix: 'aa', shiftMs: 60_000 });
    const g = groupTraces(store.list());
    assert.deepEqual(
      g.sessions.map((s) => s.sessionId),
      ['sess-lisbon-weekend', NO_GROUP],
    );
    assert.deepEqual(
      g.users.map((u) => u.userId),
      ['user-1042', NO_GROUP],
    );
    const none = g.userById.get(NO_GROUP)!;
    assert.deepEqual(
      none.sessions.map((s) => s.sessionId),
      [NO_GROUP],
    );
    assert.equal(none.totals.turns, 1);
  });

  it("lists a user's sessions with their totals, a session's traces of that user under it", () => {
    const store = newStore();
    ingest(store, scenario(LIB, 'chat'));
    ingest(store, scenario(LIB, 'tools'));
    // The Kyoto turn as user-1042's second session, a minute later; a Porto turn of theirs without a session.
    ingest(store, scenario(LIB, 'unicode'), { user: 'user-1042', shiftMs: 60_000 });
    ingest(store, scenario(LIB, 'stream'), { user: 'user-1042', session: null, shiftMs: 30_000 });
    const g = groupTraces(store.list());
    const user = g.userById.get('user-1042')!;
    assert.deepEqual(
      user.sessions.map((s) => [s.sessionId, s.traces.length]),
      [
        ['sess-kyoto-autumn', 1],
        ['sess-lisbon-weekend', 2],
        [NO_GROUP, 1],
      ],
    );
    assert.equal(user.totals.turns, 4);
    assert.deepEqual(user.totals, rollUp(store.list()));
    assert.equal(
      g.userSessionByKey.get(userSessionKey('user-1042', 'sess-lisbon-weekend'))?.traces.length,
      2,
    );
  });
});

describe('token roll-ups', () => {
  it("adds each trace's own total, reported or not, so a mix of exporters adds up", () => {
    const [reported, unreported] = captured().filter((t) => t.sessionId === 'sess-lisbon-weekend');
    const a = { ...reported!, usage: { inputTokens: 10, outputTokens: 5, totalTokens: 15 } };
    const b = { ...unreported!, usage: { inputTokens: 7, outputTokens: 3 } };
    assert.deepEqual(rollUp([a, b]).usage, { inputTokens: 17, outputTokens: 8, totalTokens: 25 });
  });
});

describe('cost roll-ups', () => {
  const priced: Cost = { usd: 0.0012, pricedCalls: 2, unpricedCalls: 0 };
  const unpriced: Cost = { usd: 0, pricedCalls: 0, unpricedCalls: 1 };

  it('adds costs, keeping "no cost known" apart from $0', () => {
    assert.equal(addCost(undefined, undefined), undefined);
    assert.deepEqual(addCost(priced, undefined), priced);
    assert.deepEqual(addCost(undefined, unpriced), unpriced);
    assert.deepEqual(addCost(priced, unpriced), { usd: 0.0012, pricedCalls: 2, unpricedCalls: 1 });
  });

  it('says "$…" when a call had a price, "no price" when only unpriced calls had tokens, nothing when absent', () => {
    assert.equal(formatCost(undefined), undefined);
    assert.equal(formatCost(unpriced), 'no price');
    assert.equal(formatCost(priced), '$0.0012');
    assert.equal(formatCost(addCost(priced, unpriced)), '≥ $0.0012');
  });

  it('sums the costs the store put on each trace over a session', () => {
    const all = captured().map((t) =>
      t.sessionId === 'sess-porto-trip'
        ? { ...t, cost: t.hasError ? unpriced : { usd: 0.01, pricedCalls: 1, unpricedCalls: 0 } }
        : t,
    );
    const g = groupTraces(all);
    assert.deepEqual(g.sessionById.get('sess-porto-trip')!.totals.cost, {
      usd: 0.02,
      pricedCalls: 2,
      unpricedCalls: 1,
    });
    const kyoto = g.sessionById.get('sess-kyoto-autumn')!;
    assert.deepEqual(kyoto.totals.cost, kyoto.traces.map((t) => t.cost).reduce(addCost, undefined));
    assert.deepEqual(
      g.userById.get('user-2077')!.totals.cost,
      g.sessionById.get('sess-porto-trip')!.totals.cost,
    );
  });
});

describe('matchIds', () => {
  const known = knownIds(groupTraces(captured()).sessions);

  it('offers the sessions matching part of an id: exact, then prefix, then anywhere, case-insensitive', () => {
    assert.deepEqual(
      matchIds(known, 'PORTO').map((k) => k.id),
      ['sess-porto-trip'],
    );
    assert.deepEqual(
      matchIds(known, 'sess-').map((k) => k.id),
      ['sess-porto-trip', 'sess-kyoto-autumn', 'sess-lisbon-weekend'],
      'prefix matches by recent activity',
    );
    const withExact = [...known, { id: 'sess', turns: 1, lastMs: 0 }];
    assert.equal(matchIds(withExact, 'sess')[0]?.id, 'sess');
    assert.deepEqual(matchIds(known, 'nothing-like-it'), []);
    assert.equal(matchIds(known, '').length, 3, 'no text offers them all');
    assert.deepEqual(
      known.map((k) => k.turns),
      [3, 1, 2],
    );
  });
});
