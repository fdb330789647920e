// The sidebar's pure model: which nodes each level has and how each reads, on traces normalized from the
// real captures (the OpenTelemetry OpenAI instrumentation's tool-calling and failed turns).
import { SHIPPED_PRICES_AS_OF } from '../../../src/core/pricing';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TraceStore } from '../../../src/core/store';
import { createNormalizer } from '../../../src/core/genai/normalize';
import {
  childNodes,
  describeSession,
  describeSpan,
  describeTrace,
  describeUser,
  heldRootNodes,
  nodeTooltip,
  parentNode,
  rootNodes,
  sessionTooltip,
  spanTooltip,
  traceTooltip,
  userTooltip,
  waitingTraceCount,
  type TreeNode,
} from '../../../src/host/treeModel';
import { fixtureBatch, fixtureEntries } from '../helpers/fixtures';
import type { TraceSummary } from '../../../src/core/model';
import { matchesSummary } from '../../../src/core/traceFilter';

function storeWith(scenarios: string[]): TraceStore {
  const store = new TraceStore({ maxTraces: 100, normalizer: createNormalizer(), debounceMs: 0 });
  for (const e of fixtureEntries({ library: 'otel-openai', encoding: 'protobuf' })) {
    if (scenarios.includes(e.scenario) && e.signal !== 'metrics') store.ingest(fixtureBatch(e), 'otlp');
  }
  return store;
}

describe('tree model', () => {
  it('lists only what the filter keeps, in a session list and a paused one alike', () => {
    const store = storeWith(['chat', 'tools', 'error']);
    const failed = store.list().find((t) => t.hasError)!;
    const filter = { errorsOnly: true } as const;
    const keep = (t: TraceSummary) => matchesSummary(t, filter);
    assert.deepEqual(rootNodes(store, { llmOnly: false, keep }), [
      { kind: 'trace', traceId: failed.traceId },
    ]);
    const session = rootNodes(store, { llmOnly: false, sessionFilter: failed.sessionId!, keep });
    assert.deepEqual(session.slice(1), [{ kind: 'trace', traceId: failed.traceId }]);
    // Paused on the filtered list, the traces that pass and arrive later are the ones counted as waiting.
    const held = rootNodes(store, { llmOnly: false, keep });
    assert.equal(waitingTraceCount(store, { llmOnly: false, keep }, held), 0);
    assert.equal(waitingTraceCount(store, { llmOnly: false }, held), 2);
    // The text criterion keeps what the source found, and nothing until it has answered.
    const text = { text: 'Lisbon' };
    const lisbon = new Set(
      store
        .list()
        .filter((t) => t.sessionId === 'sess-lisbon-weekend')
        .map((t) => t.traceId),
    );
    assert.equal(rootNodes(store, { llmOnly: false, keep: (t) => matchesSummary(t, text) }).length, 0);
    assert.equal(
      rootNodes(store, { llmOnly: false, keep: (t) => matchesSummary(t, text, lisbon) }).length,
      2,
    );
  });

  it('lists traces newest first and describes a tool-calling turn by model, tokens, duration, age and service', () => {
    const store = storeWith(['chat', 'tools']);
    const roots = rootNodes(store, { llmOnly: false });
    assert.equal(roots.length, 2);
    const starts = roots.map((n) => store.getTrace((n as { traceId: string }).traceId)!.summary.startMs);
    assert.deepEqual(
      starts,
      [...starts].sort((a, b) => b - a),
    );
    const tools = store.list().find((t) => t.llmCallCount === 2)!;
    const view = describeTrace(tools, tools.startMs + 120_000);
    const tip = traceTooltip(tools);
    assert.equal(view.label, 'handle_turn');
    assert.match(
      view.description,
      /^“Will it rain in Lisbon on Saturday \(2025-06-14\)\? We want to…” · gpt-4o-mini-2024-07-18 · 630 tok · \$0\.00012 · \d+ ms · 2m ago · wayfarer-trips$/,
    );
    assert.ok(
      tip.includes(
        'Asked: Will it rain in Lisbon on Saturday (2025-06-14)? We want to spend the whole day outdoors.',
      ),
    );
    assert.equal(view.icon, 'llm');
    assert.ok(tip.includes(`Trace ID: ${tools.traceId}`));
    assert.ok(tip.includes('Session: sess-lisbon-weekend'));
    assert.ok(tip.includes('User: user-1042'));
    // The description never carries what only the tooltip says (it is built on hover, apart).
    assert.equal('tooltip' in view, false);
    assert.deepEqual(nodeTooltip(store, { kind: 'trace', traceId: tools.traceId }), tip);
  });

  it('while paused, keeps the traces it showed in their order and counts the ones that wait', () => {
    const store = storeWith(['chat']);
    const held = rootNodes(store, { llmOnly: false });
    assert.equal(held.length, 1);
    for (const scenario of ['tools', 'error']) {
      for (const e of fixtureEntries({ library: 'otel-openai', scenario, encoding: 'protobuf' }))
        if (e.signal !== 'metrics') store.ingest(fixtureBatch(e), 'otlp');
    }
    const live = rootNodes(store, { llmOnly: false });
    assert.equal(live.length, 3);
    assert.deepEqual(heldRootNodes(store, held), held);
    assert.equal(waitingTraceCount(store, { llmOnly: false }, held), 2);
    // With only LLM calls, a waiting trace without one is not counted: it would not be listed either.
    assert.equal(
      waitingTraceCount(store, { llmOnly: true }, held),
      rootNodes(store, { llmOnly: true }).length - 1,
    );
    // A held trace that was cleared goes; nothing waits once the store is empty.
    store.clear();
    assert.deepEqual(heldRootNodes(store, held), []);
    assert.equal(waitingTraceCount(store, { llmOnly: false }, held), 0);
  });

  it('nests spans under their parents, LLM calls with in→out tokens, and walks back up', () => {
    const store = storeWith(['tools']);
    const [traceNode] = rootNodes(store, { llmOnly: false }) as TreeNode[];
    const [root] = childNodes(store, traceNode!, { llmOnly: false });
    assert.equal(root!.kind, 'span');
    const children = childNodes(store, root!, { llmOnly: false });
    const trace = store.getTrace((traceNode as { traceId: string }).traceId)!;
    const views = children.map((n) => {
      const s = trace.spans.find((x) => x.spanId === (n as { spanId: string }).spanId)!;
      return describeSpan(s, false);
    });
    assert.deepEqual(
      views.filter((v) => v.contextValue === 'llmCall').map((v) => v.description.split(' · ')[0]),
      ['247→21 tok', '318→44 tok'],
    );
    assert.ok(views.some((v) => v.icon === 'tool' && v.label.includes('get_weather')));
    assert.deepEqual(parentNode(store, children[0]!, { llmOnly: false }), root);
    assert.deepEqual(parentNode(store, root!, { llmOnly: false }), traceNode);
  });

  it('with only LLM calls, lists a trace’s calls directly under it and hides traces without one', () => {
    const store = storeWith(['tools']);
    const [traceNode] = rootNodes(store, { llmOnly: true });
    const calls = childNodes(store, traceNode!, { llmOnly: true });
    assert.equal(calls.length, 2);
    assert.deepEqual(parentNode(store, calls[1]!, { llmOnly: true }), traceNode);
  });

  it('marks a failed call and says so instead of unknown tokens', () => {
    const store = storeWith(['error']);
    const summary = store.list()[0]!;
    assert.equal(describeTrace(summary, summary.startMs).contextValue, 'trace.error');
    const call = store.getTrace(summary.traceId)!.spans.find((s) => s.llm)!;
    const view = describeSpan(call, false);
    assert.equal(view.contextValue, 'llmCall.error');
    assert.equal(view.icon, 'error');
    assert.match(view.description, /^failed · /);
    const tip = spanTooltip(call);
    assert.match(tip.join('\n'), /Error: /);
    assert.equal(tip[0], call.name);
    assert.ok(tip.includes(`Span ID: ${call.spanId}`));
    assert.deepEqual(nodeTooltip(store, { kind: 'span', traceId: call.traceId, spanId: call.spanId }), tip);
  });

  it('heads a session filter with the session, then its turns oldest first', () => {
    const store = storeWith(['chat', 'tools', 'error']);
    const nodes = rootNodes(store, { llmOnly: false, sessionFilter: 'sess-lisbon-weekend' });
    assert.equal(nodes[0]!.kind, 'session');
    const starts = nodes
      .slice(1)
      .map((n) => store.getTrace((n as { traceId: string }).traceId)!.summary.startMs);
    assert.equal(starts.length, 2);
    assert.deepEqual(
      starts,
      [...starts].sort((a, b) => a - b),
    );
  });

  it('shows what a trace and each call cost, from which entry and date, and "no price" for a model it lacks', () => {
    const store = storeWith(['tools']);
    const tools = store.list()[0]!;
    const tip = traceTooltip(tools);
    assert.ok(tip.includes(`${tools.spanCount} spans, 2 LLM calls, 1 tool call`), tip.join('\n'));
    // 565 input and 65 output tokens of gpt-4o-mini at $0.15 and $0.60 per million.
    assert.ok(tip.includes('Cost: $0.00012 for 2 LLM calls'), tip.join('\n'));
    assert.ok(tip.includes(`Priced as gpt-4o-mini, shipped prices of ${SHIPPED_PRICES_AS_OF}`));
    const calls = store.getTrace(tools.traceId)!.spans.filter((s) => s.llm);
    assert.deepEqual(
      calls.map((c) => describeSpan(c, false).description.split(' · ').slice(0, 2)),
      [
        ['247→21 tok', '$0.00005'],
        ['318→44 tok', '$0.000074'],
      ],
    );
    const callTip = spanTooltip(calls[0]!);
    assert.ok(
      callTip.includes('Cost: $0.00005 (247 input $0.000037, 21 output $0.000013)'),
      callTip.join('\n'),
    );
    assert.ok(
      callTip.includes(
        `Priced as gpt-4o-mini, shipped prices of ${SHIPPED_PRICES_AS_OF} (for gpt-4o-mini-2024-07-18)`,
      ),
    );

    // An Azure deployment mapped to a model the table lacks: tokens, but no price and no guess.
    const unpriced = new TraceStore({
      maxTraces: 10,
      debounceMs: 0,
      normalizer: createNormalizer({
        pricing: {
          models: {},
          azureDeployments: { 'gpt-4o-mini-2024-07-18': 'contoso-chat', 'gpt-4o-mini': 'contoso-chat' },
        },
      }),
    });
    for (const e of fixtureEntries({ library: 'otel-openai', scenario: 'chat', encoding: 'protobuf' }))
      if (e.signal !== 'metrics') unpriced.ingest(fixtureBatch(e), 'otlp');
    const chat = unpriced.list()[0]!;
    assert.match(describeTrace(chat, chat.startMs).description, / · 126 tok · no price · /);
    assert.ok(traceTooltip(chat).includes('Cost: no price for 1 LLM call'));
    assert.ok(traceTooltip(chat).includes('No price entry for: gpt-4o-mini-2024-07-18, gpt-4o-mini'));
    const call = unpriced.getTrace(chat.traceId)!.spans.find((s) => s.llm)!;
    assert.match(describeSpan(call, false).description, /^71→55 tok · no price · /);
    assert.ok(
      spanTooltip(call).includes(
        'Cost: no price for gpt-4o-mini-2024-07-18, gpt-4o-mini (add it in llmTraceInspector.pricing.models)',
      ),
    );
  });

  it('builds each tooltip apart from the label, with the same lines as before, and names a node gone by id', () => {
    const store = storeWith(['chat', 'tools', 'error']);
    const tools = store.list().find((t) => t.llmCallCount === 2)!;
    assert.deepEqual(traceTooltip(tools).slice(0, 3), [
      'handle_turn',
      `Service: ${tools.service}`,
      `Trace ID: ${tools.traceId}`,
    ]);
    const call = store.getTrace(tools.traceId)!.spans.find((s) => s.llm)!;
    const spanTip = spanTooltip(call);
    assert.ok(spanTip.some((l) => /^Model: gpt-4o-mini/.test(l)));
    assert.ok(spanTip.some((l) => /^Tokens: 247→21/.test(l)));
    assert.ok(spanTip.includes('Finish: tool_calls'));

    const session = store.findSession('sess-lisbon-weekend');
    assert.equal(session.length, 2);
    const calls = session.reduce((n, t) => n + t.llmCallCount, 0);
    assert.deepEqual(sessionTooltip('sess-lisbon-weekend', session).slice(0, 2), [
      'Session sess-lisbon-weekend',
      '2 traces, oldest turn first',
    ]);
    assert.match(sessionTooltip('sess-lisbon-weekend', session)[2]!, new RegExp(`^${calls} LLM calls, `));
    assert.deepEqual(sessionTooltip('sess-lisbon-weekend', session).at(-1), 'User: user-1042');
    assert.equal(describeSession('sess-lisbon-weekend', session).label, 'Session sess-lisbon-weekend');
    assert.deepEqual(
      nodeTooltip(store, { kind: 'session', sessionId: 'sess-lisbon-weekend' }),
      sessionTooltip('sess-lisbon-weekend', session),
    );
    const user = store.findUser('user-1042');
    assert.deepEqual(userTooltip('user-1042', user).slice(0, 2), [
      'User user-1042',
      `${user.length} traces in 1 session, oldest first`,
    ]);
    assert.match(describeUser('user-1042', user).description, /^\d+ traces · 1 session · /);

    assert.deepEqual(nodeTooltip(store, { kind: 'trace', traceId: 'f'.repeat(32) }), ['f'.repeat(32)]);
    assert.deepEqual(nodeTooltip(store, { kind: 'span', traceId: tools.traceId, spanId: 'ab12' }), ['ab12']);
  });
});
