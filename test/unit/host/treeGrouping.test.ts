// The sidebar grouped by session or by user: which nodes each level has, where a trace sits, and how a
// session, a user and a turn read (totals, cost, errors), on the real captures.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { groupTraces, NO_GROUP } from '../../../src/core/grouping';
import {
  describeSessionGroup,
  describeTurn,
  describeUserGroup,
  groupChildNodes,
  groupParentNode,
  groupRootNodes,
  sessionGroupTooltip,
  userGroupTooltip,
  type TreeNode,
} from '../../../src/host/treeModel';
import { ingest, newStore, scenario } from '../helpers/sessions';

function store() {
  const s = newStore();
  for (const name of ['chat', 'tools', 'error', 'stream']) ingest(s, scenario('otel-openai', name));
  ingest(s, scenario('otel-openai', 'unicode'), { session: null, user: null });
  return s;
}

describe('tree grouped by session', () => {
  it('lists sessions, then "(no session)"; a session lists its turns oldest first, numbered', () => {
    const s = store();
    const g = groupTraces(s.list());
    const roots = groupRootNodes(g, 'session');
    assert.deepEqual(
      roots.map((n) => (n.kind === 'session' ? n.sessionId : '?')),
      ['sess-porto-trip', 'sess-lisbon-weekend', NO_GROUP],
    );
    const lisbon = roots[1]!;
    const turns = groupChildNodes(g, lisbon);
    const summaries = s.findSession('sess-lisbon-weekend');
    assert.deepEqual(
      turns.map((n) => (n.kind === 'trace' ? n.traceId : '?')),
      summaries.map((t) => t.traceId),
    );
    const view = describeSessionGroup(
      g.sessionById.get('sess-lisbon-weekend')!,
      summaries[1]!.startMs + 60_000,
    );
    assert.equal(view.label, 'sess-lisbon-weekend');
    assert.match(view.description, /^2 turns · 756 tok · \$0\.00017 · \d+(\.\d+)? ms · 1m ago$/);
    assert.equal(view.contextValue, 'session');
    assert.ok(view.collapsible);
    const porto = describeSessionGroup(g.sessionById.get('sess-porto-trip')!, 0);
    assert.match(porto.description, /1 error/);
    assert.equal(porto.icon, 'error');
    const none = describeSessionGroup(g.sessionById.get(NO_GROUP)!, 0);
    assert.equal(none.label, '(no session)');
    assert.equal(none.contextValue, 'session.none');
    assert.match(none.description, /^1 trace · /);
    const tip = sessionGroupTooltip(g.sessionById.get('sess-lisbon-weekend')!);
    assert.equal(tip[0], 'Session sess-lisbon-weekend');
    assert.ok(tip.includes('3 LLM calls, 756 tokens (636→120)'), tip.join('\n'));
    assert.ok(tip.includes('User: user-1042'));
    // A turn reads by its place, what was asked, then tokens, latency and model.
    const turn = describeTurn(summaries[1]!, g.turnOf.get(summaries[1]!.traceId), 0);
    assert.match(turn.label, /^2\. “Will it rain in Lisbon/);
    assert.match(turn.description, /^630 tok · \$0\.00012 · \d+(\.\d+)? ms · gpt-4o-mini-2024-07-18$/);
    // A trace sits under its session.
    assert.deepEqual(
      groupParentNode(g, 'session', turns[0]!, (id) => s.summary(id)),
      {
        kind: 'session',
        sessionId: 'sess-lisbon-weekend',
        grouped: true,
      },
    );
  });

  it('shows a session\'s cost when the store priced its calls, "no price" when it could not', () => {
    const s = store();
    const list = s
      .list()
      .map((t) =>
        t.sessionId === 'sess-lisbon-weekend'
          ? { ...t, cost: { usd: 0.0005, pricedCalls: t.llmCallCount, unpricedCalls: 0 } }
          : t.sessionId === 'sess-porto-trip'
            ? { ...t, cost: { usd: 0, pricedCalls: 0, unpricedCalls: 1 } }
            : { ...t, cost: undefined },
      );
    const g = groupTraces(list);
    assert.match(
      describeSessionGroup(g.sessionById.get('sess-lisbon-weekend')!, 0).description,
      / · \$0\.001 · /,
    );
    assert.match(
      describeSessionGroup(g.sessionById.get('sess-porto-trip')!, 0).description,
      / · no price · /,
    );
    assert.doesNotMatch(describeSessionGroup(g.sessionById.get(NO_GROUP)!, 0).description, /\$|no price/);
    const turn = list.find((t) => t.sessionId === 'sess-lisbon-weekend')!;
    assert.match(describeTurn(turn, 1, 0).description, / · \$0\.0005 · /);
  });
});

describe('tree grouped by user', () => {
  it('lists users, then "(no user)"; a user lists their sessions, each with that user\'s turns', () => {
    const s = store();
    const g = groupTraces(s.list());
    const roots = groupRootNodes(g, 'user');
    assert.deepEqual(
      roots.map((n) => (n.kind === 'user' ? n.userId : '?')),
      ['user-2077', 'user-1042', NO_GROUP],
    );
    const sessions = groupChildNodes(g, roots[1]!);
    assert.deepEqual(sessions, [
      { kind: 'session', sessionId: 'sess-lisbon-weekend', userId: 'user-1042', grouped: true },
    ]);
    assert.equal(groupChildNodes(g, sessions[0]!).length, 2);
    const none = groupChildNodes(g, roots[2]!);
    assert.deepEqual(none, [{ kind: 'session', sessionId: NO_GROUP, userId: NO_GROUP, grouped: true }]);
    const view = describeUserGroup(g.userById.get('user-2077')!, 0);
    assert.equal(view.label, 'user-2077');
    assert.match(view.description, /^1 session · 2 traces · .* · 1 error · /);
    assert.equal(describeUserGroup(g.userById.get(NO_GROUP)!, 0).label, '(no user)');
    assert.equal(userGroupTooltip(g.userById.get('user-1042')!)[1], '1 session, 2 traces');
    // A turn sits under its user's part of its session, which sits under the user.
    const turn: TreeNode = groupChildNodes(g, sessions[0]!)[0]!;
    const parent = groupParentNode(g, 'user', turn, (id) => s.summary(id));
    assert.deepEqual(parent, sessions[0]);
    assert.deepEqual(
      groupParentNode(g, 'user', parent!, (id) => s.summary(id)),
      roots[1],
    );
  });
});
