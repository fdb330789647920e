// The conversation view model: which calls a panel lists and in what order, how dimensions are ordered
// and inherited from the trace, and which input messages repeat an earlier call.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildCallCards,
  buildConversationState,
  buildDimensions,
  cutForDisplay,
  fullDimensionValue,
  markRepeatedInput,
  SESSION_DIMENSION_KEY,
  USER_DIMENSION_KEY,
} from '../../../src/views/conversationViewModel';
import type { MessagePart, Trace } from '../../../src/core/model';
import {
  isHostMessage,
  isWebviewMessage,
  readStateNotification,
  stateNotification,
  MAX_CARDS_PER_REQUEST,
  WINDOWED_CALLS,
} from '../../../src/protocol/conversation';
import { TraceStore } from '../../../src/core/store';
import { createNormalizer } from '../../../src/core/genai/normalize';
import { fixtureBatch, fixtureEntries } from '../helpers/fixtures';
import { answer, llm, message, span, spanId, T0, text, trace, TRACE_ID } from '../../browser/traceBuilders';

describe('buildConversationState', () => {
  it('lists the LLM calls of the trace in start order, stable for equal starts, and counts the other spans', () => {
    const root = span({ spanId: spanId(1), name: 'agent run', startMs: T0, durationMs: 900 });
    const late = span({
      spanId: spanId(2),
      parentSpanId: root.spanId,
      startMs: T0 + 500,
      llm: llm({ requestModel: 'late' }),
    });
    const earlyA = span({
      spanId: spanId(3),
      parentSpanId: root.spanId,
      startMs: T0 + 100,
      llm: llm({ requestModel: 'a' }),
    });
    const earlyB = span({
      spanId: spanId(4),
      parentSpanId: root.spanId,
      startMs: T0 + 100,
      llm: llm({ requestModel: 'b' }),
    });
    const tool = span({
      spanId: spanId(5),
      parentSpanId: root.spanId,
      startMs: T0 + 300,
      name: 'get_weather',
    });
    const t = trace([root, late, earlyA, earlyB, tool]);
    const state = buildConversationState(t, { traceId: TRACE_ID }, 42);
    assert.deepEqual(
      state.calls.map((c) => c.spanId),
      [earlyA.spanId, earlyB.spanId, late.spanId],
    );
    assert.equal(state.otherSpanCount, 2);
    assert.equal(state.generatedMs, 42);
    assert.equal(state.trace, t.summary);
    assert.equal(state.calls[2]?.parentSpanId, root.spanId);
  });

  it('keeps only ids in the target and yields no trace for a trace the store lost', () => {
    const state = buildConversationState(
      undefined,
      { traceId: TRACE_ID, spanId: spanId(9), extra: 'x' } as never,
      1,
    );
    assert.deepEqual(state, {
      target: { traceId: TRACE_ID, spanId: spanId(9) },
      calls: [],
      otherSpanCount: 0,
      generatedMs: 1,
    });
  });

  it('carries the span facts, error and raw attributes of each call', () => {
    const failed = span({
      llm: llm(),
      status: { code: 'error', message: '500 Internal Server Error' },
      error: { type: 'InternalServerError', message: 'boom' },
      attributes: { 'gen_ai.request.model': 'gpt-4o-mini', bytes: new Uint8Array([1, 255]) },
    });
    const [call] = buildConversationState(trace([failed]), { traceId: TRACE_ID }, 1).calls;
    assert.ok(call);
    assert.deepEqual(call.status, { code: 'error', message: '500 Internal Server Error' });
    assert.deepEqual(call.error, { type: 'InternalServerError', message: 'boom' });
    assert.deepEqual(JSON.parse(call.rawAttributes), {
      'gen_ai.request.model': 'gpt-4o-mini',
      bytes: '01ff',
    });
  });

  it('carries the trace roll-ups and each call’s cost with the entry that priced it', () => {
    const store = new TraceStore({ maxTraces: 10, normalizer: createNormalizer(), debounceMs: 0 });
    for (const e of fixtureEntries({ library: 'openinference', scenario: 'tools', encoding: 'protobuf' }))
      if (e.signal !== 'metrics') store.ingest(fixtureBatch(e), 'otlp');
    const t = store.getTrace(store.list()[0]!.traceId)!;
    const state = buildConversationState(t, { traceId: t.traceId }, 1);
    assert.equal(state.trace?.llmCallCount, 2);
    assert.equal(state.trace?.toolCallCount, 1);
    assert.equal(state.trace?.errorCount, 0);
    assert.deepEqual(state.trace?.usage, {
      inputTokens: 565,
      outputTokens: 65,
      totalTokens: 630,
      cachedInputTokens: 82,
      reasoningTokens: 0,
    });
    // Per call: the uncached input, the cached input at its own price and the output (gpt-4o-mini).
    const usd = state.calls.map((c) => (c.llm.cost?.priced ? c.llm.cost.usd : undefined));
    const expected = [(206 * 0.15 + 41 * 0.075 + 21 * 0.6) / 1e6, (277 * 0.15 + 41 * 0.075 + 44 * 0.6) / 1e6];
    usd.forEach((v, i) =>
      assert.ok(v !== undefined && Math.abs(v - expected[i]!) < 1e-12, `call ${i + 1}: ${v}`),
    );
    assert.deepEqual(
      state.calls.map((c) => (c.llm.cost?.priced ? c.llm.cost.entry.id : undefined)),
      ['gpt-4o-mini', 'gpt-4o-mini'],
    );
    assert.ok(Math.abs(state.trace!.cost!.usd - expected[0]! - expected[1]!) < 1e-12);
  });
});

describe('buildDimensions', () => {
  it('puts session and user first, then span attributes, then resource attributes, each sorted', () => {
    const s = span({
      llm: llm(),
      sessionId: 'sess-1',
      userId: 'user-1',
      attributes: { 'z.last': 1, 'a.first': true, obj: { k: [1, 'two'] } },
      resource: { 'service.name': 'bot', 'host.name': 'box' },
    });
    const rows = buildDimensions(s, trace([s]));
    assert.deepEqual(
      rows.map((r) => [r.key, r.value, r.from]),
      [
        [SESSION_DIMENSION_KEY, 'sess-1', 'span'],
        [USER_DIMENSION_KEY, 'user-1', 'span'],
        ['a.first', 'true', 'span'],
        ['obj', '{"k":[1,"two"]}', 'span'],
        ['z.last', '1', 'span'],
        ['host.name', 'box', 'resource'],
        ['service.name', 'bot', 'resource'],
      ],
    );
  });

  it('inherits session and user from the trace when the call lacks them, and says so', () => {
    const root = span({ spanId: spanId(1), sessionId: 'sess-root', userId: 'alice' });
    const call = span({ spanId: spanId(2), parentSpanId: root.spanId, startMs: T0 + 5, llm: llm() });
    const state = buildConversationState(trace([root, call]), { traceId: TRACE_ID }, 1);
    const view = state.calls[0];
    assert.ok(view);
    assert.equal(view.sessionId, 'sess-root');
    assert.equal(view.userId, 'alice');
    assert.deepEqual(view.dimensions.slice(0, 2), [
      { key: SESSION_DIMENSION_KEY, value: 'sess-root', from: 'trace' },
      { key: USER_DIMENSION_KEY, value: 'alice', from: 'trace' },
    ]);
  });

  it('has no session or user rows when nobody knows them', () => {
    const s = span({ llm: llm(), attributes: { a: 1 } });
    const rows = buildDimensions(s, trace([s]));
    assert.deepEqual(
      rows.map((r) => r.key),
      ['a', 'service.name'],
    );
  });
});

describe('repeated input', () => {
  const system = text('system', 'You are a weather bot.');
  const user = text('user', 'Weather in Paris?');
  const toolCall: MessagePart = {
    type: 'toolCall',
    id: 'call_1',
    name: 'get_weather',
    arguments: '{"city":"Paris"}',
  };

  it('marks the messages a follow-up call repeats from the previous call (its input then its answer)', () => {
    const first = span({
      spanId: spanId(1),
      startMs: T0,
      llm: llm({ messages: [system, user, answer([toolCall], { finishReason: 'tool_calls' })] }),
    });
    const second = span({
      spanId: spanId(2),
      startMs: T0 + 100,
      llm: llm({
        messages: [
          // Read from another origin and with the arguments spaced differently: still the same message.
          { ...system, origin: 'attribute', originName: 'gen_ai.input.messages' },
          user,
          message('assistant', [{ ...toolCall, arguments: '{ "city": "Paris" }' }]),
          message('tool', [{ type: 'toolResult', id: 'call_1', result: '{"temp":18}' }]),
          answer('18 °C in Paris.'),
        ],
      }),
    });
    const state = buildConversationState(trace([first, second]), { traceId: TRACE_ID }, 1);
    assert.equal(state.calls[0]?.repeatedInput, undefined);
    assert.deepEqual(state.calls[1]?.repeatedInput, { count: 3, fromSpanId: first.spanId });
  });

  it('finds the call a conversation continues even when another call ran in between', () => {
    const a = span({
      spanId: spanId(1),
      startMs: T0,
      llm: llm({ messages: [system, user, answer('Sunny.')] }),
    });
    const other = span({
      spanId: spanId(2),
      startMs: T0 + 10,
      llm: llm({ messages: [text('system', 'Summarise.'), text('user', 'x'), answer('y')] }),
    });
    const b = span({
      spanId: spanId(3),
      startMs: T0 + 20,
      llm: llm({
        messages: [
          system,
          user,
          message('assistant', [{ type: 'text', text: 'Sunny.' }]),
          text('user', 'And tomorrow?'),
          answer('Rain.'),
        ],
      }),
    });
    const calls = buildConversationState(trace([a, other, b]), { traceId: TRACE_ID }, 1).calls;
    assert.equal(calls[1]?.repeatedInput, undefined, 'a different conversation repeats nothing');
    assert.deepEqual(calls[2]?.repeatedInput, { count: 3, fromSpanId: a.spanId });
  });

  it('does not mark messages that only look alike (other role or other text)', () => {
    const a = span({
      spanId: spanId(1),
      startMs: T0,
      llm: llm({ messages: [system, user, answer('Sunny.')] }),
    });
    const b = span({
      spanId: spanId(2),
      startMs: T0 + 20,
      llm: llm({ messages: [text('user', 'You are a weather bot.'), user, answer('?')] }),
    });
    const calls = buildConversationState(trace([a, b]), { traceId: TRACE_ID }, 1).calls;
    assert.equal(calls[1]?.repeatedInput, undefined);
  });

  it('clears a stale mark when the calls are marked again', () => {
    const a = span({ spanId: spanId(1), startMs: T0, llm: llm({ messages: [system, answer('hi')] }) });
    const calls = buildConversationState(trace([a]), { traceId: TRACE_ID }, 1).calls;
    const only = calls[0];
    assert.ok(only);
    only.repeatedInput = { count: 1, fromSpanId: 'x' };
    markRepeatedInput(calls);
    assert.equal(only.repeatedInput, undefined);
  });

  it('folds the repeated history of a 300-call agent loop into the call before each', () => {
    const spans = [];
    const history = [system, user];
    for (let i = 0; i < 300; i++) {
      const reply = answer(`step ${i}`);
      spans.push(
        span({ spanId: spanId(i + 1), startMs: T0 + i, llm: llm({ messages: [...history, reply] }) }),
      );
      history.push(message('assistant', reply.parts), text('user', `continue ${i}`));
    }
    const calls = buildConversationState(trace(spans), { traceId: TRACE_ID }, 1).calls;
    assert.equal(calls[299]?.repeatedInput?.count, 2 + 2 * 298 + 1);
    assert.equal(calls[299]?.repeatedInput?.fromSpanId, spanId(299));
  });
});

describe('windowed cards (the panel of a trace of many calls)', () => {
  /**
   * An agent loop of `count` calls with a tool span between each two, where every third call is a side
   * question of its own: the conversation a call continues is often not the call just before it.
   */
  function loop(count: number): Trace {
    const spans = [span({ spanId: spanId(1), name: 'agent run', startMs: T0, durationMs: count * 10 })];
    const history = [text('system', 'You are an agent.'), text('user', 'Plan the trip.')];
    for (let i = 0; i < count; i++) {
      const side = i % 3 === 2;
      const reply = answer(`step ${i}`);
      const messages = side ? [text('user', `Side question ${i}?`), reply] : [...history, reply];
      const at = T0 + i * 10;
      spans.push(
        span({
          spanId: spanId(1000 + i),
          parentSpanId: spanId(1),
          startMs: at,
          llm: llm({ messages }),
          attributes: { 'gen_ai.request.model': 'gpt-4o-mini', step: i },
        }),
        span({ spanId: spanId(5000 + i), parentSpanId: spanId(1), startMs: at + 5, name: 'lookup' }),
      );
      if (!side) history.push(message('assistant', reply.parts), text('user', `continue ${i}`));
    }
    return trace(spans);
  }
  const options = { maxAttributeLength: 2000 };

  it('embeds every card up to WINDOWED_CALLS calls, so a small trace paints with no round trip', () => {
    const t = loop(WINDOWED_CALLS);
    const state = buildConversationState(t, { traceId: TRACE_ID }, 1, {}, { ...options, windowCalls: true });
    assert.equal(state.callOutline, undefined);
    assert.deepEqual(state, buildConversationState(t, { traceId: TRACE_ID }, 1, {}, options));
  });

  it('above it, the state carries the calls’ outline and the same header, waterfall and counts', () => {
    const t = loop(WINDOWED_CALLS + 1);
    const whole = buildConversationState(t, { traceId: TRACE_ID }, 1, {}, options);
    const windowed = buildConversationState(
      t,
      { traceId: TRACE_ID },
      1,
      {},
      { ...options, windowCalls: true },
    );
    assert.deepEqual(windowed.calls, []);
    assert.deepEqual(
      windowed.callOutline?.spanIds,
      whole.calls.map((c) => c.spanId),
    );
    assert.deepEqual(
      windowed.callOutline?.messages,
      whole.calls.map((c) => c.llm.messages.length),
    );
    assert.equal(windowed.callOutline?.chars[0], 'You are an agent.Plan the trip.step 0'.length);
    const { calls: _a, callOutline: _b, ...rest } = windowed;
    const { calls: _c, ...restWhole } = whole;
    assert.deepEqual(rest, restWhole);
    assert.ok(JSON.stringify(windowed).length * 5 < JSON.stringify(whole).length);
  });

  it('answers a window of cards exactly as the whole state shows them, repeated input included', () => {
    const t = loop(400);
    const whole = buildConversationState(t, { traceId: TRACE_ID }, 1, {}, options).calls;
    assert.ok(whole.filter((c) => c.repeatedInput).length > 200, 'the loop repeats its history');
    for (const [from, to] of [
      [0, 12],
      [150, 162],
      [390, 400],
    ] as const) {
      const ids = whole.slice(from, to).map((c) => c.spanId);
      // Asked for out of order, twice over, with an id the trace does not hold: its own, in start order.
      const asked = [...ids].reverse().concat(ids[0]!, 'ffffffffffffffff');
      assert.deepEqual(buildCallCards(t, asked, options), whole.slice(from, to));
    }
    assert.deepEqual(buildCallCards(t, [spanId(5000)], options), [], 'a tool span has no card');
  });

  it('accepts a card request of at most MAX_CARDS_PER_REQUEST ids, and its reply', () => {
    const ok = { type: 'callCards', requestId: 4, spanIds: ['ab', 'cd'] };
    assert.equal(isWebviewMessage(ok), true);
    assert.equal(isWebviewMessage({ ...ok, spanIds: 'ab' }), false);
    assert.equal(isWebviewMessage({ ...ok, spanIds: ['ab', 3] }), false);
    assert.equal(isWebviewMessage({ ...ok, requestId: 1.5 }), false);
    const many = Array.from({ length: MAX_CARDS_PER_REQUEST + 1 }, (_, i) => String(i));
    assert.equal(isWebviewMessage({ ...ok, spanIds: many }), false);
    assert.equal(isHostMessage({ type: 'callCards', requestId: 4, calls: [] }), true);
    assert.equal(isHostMessage({ type: 'callCards', requestId: 4 }), true);
    assert.equal(isHostMessage({ type: 'callCards', requestId: 4, calls: {} }), false);
  });

  it('a state travels as its UTF-8 JSON bytes and reads back the same; bytes that are no state read as none', () => {
    const state = buildConversationState(
      trace([span({ name: 'chat', llm: llm({ messages: [text('user', 'Olá, 東京 🌧')] }) })]),
      { traceId: TRACE_ID },
      T0,
    );
    const message = stateNotification(state);
    assert.ok(message.json instanceof Uint8Array);
    assert.equal(isHostMessage(message), true);
    assert.deepEqual(readStateNotification(message), JSON.parse(JSON.stringify(state)));
    // An object in place of the bytes (what an older host posted) is no state message.
    assert.equal(isHostMessage({ type: 'state', state }), false);
    const bytes = (text: string) => ({ type: 'state' as const, json: new TextEncoder().encode(text) });
    assert.equal(readStateNotification(bytes('{"target":')), undefined);
    assert.equal(readStateNotification(bytes('{"calls":[]}')), undefined);
    assert.equal(readStateNotification(bytes('[1,2]')), undefined);
  });
});

describe('attribute values cut for display (view.maxAttributeLength)', () => {
  /** The real Traceloop tool-calling turn: its content attributes run to thousands of characters. */
  function fixtureTrace(): Trace {
    const store = new TraceStore({ maxTraces: 10, normalizer: createNormalizer(), debounceMs: 0 });
    for (const e of fixtureEntries({ library: 'traceloop', scenario: 'tools', encoding: 'protobuf' }))
      if (e.signal !== 'metrics') store.ingest(fixtureBatch(e), 'otlp');
    const [summary] = store.list();
    assert.ok(summary);
    return store.getTrace(summary.traceId)!;
  }

  it('cuts long attribute and dimension values with their full length, and never the message text', () => {
    const t = fixtureTrace();
    const whole = buildConversationState(t, { traceId: t.traceId }, 1);
    const cut = buildConversationState(t, { traceId: t.traceId }, 1, {}, { maxAttributeLength: 100 });
    assert.equal(cut.calls.length, whole.calls.length);
    let cutRows = 0;
    cut.calls.forEach((call, i) => {
      const full = whole.calls[i]!;
      assert.deepEqual(call.llm.messages, full.llm.messages, 'message text is not cut');
      assert.equal(call.dimensions.length, full.dimensions.length);
      call.dimensions.forEach((row, j) => {
        const original = full.dimensions[j]!;
        assert.equal(row.key, original.key);
        assert.ok(row.value.length <= 100, `${row.key} is at most 100 characters`);
        if (original.value.length > 100) {
          cutRows++;
          assert.equal(row.fullLength, original.value.length);
          assert.ok(original.value.startsWith(row.value));
          const span = t.spans.find((s) => s.spanId === call.spanId)!;
          assert.equal(fullDimensionValue(t, span, row.key, row.from), original.value);
        } else {
          assert.deepEqual(row, original);
        }
      });
      // The raw JSON still parses; its long strings are cut and say so.
      const raw = JSON.parse(call.rawAttributes) as Record<string, unknown>;
      const long = Object.values(JSON.parse(full.rawAttributes) as Record<string, unknown>).filter(
        (v) => typeof v === 'string' && v.length > 100,
      ).length;
      assert.equal(call.rawAttributesCut ?? 0, long);
      for (const v of Object.values(raw))
        if (typeof v === 'string') assert.match(v, /^[\s\S]{0,100}(… \[cut: [\d,]+ characters in all\])?$/);
    });
    assert.ok(cutRows > 0, 'the fixture has values longer than the limit');
    // Without a limit (Copy as Markdown), nothing is cut.
    assert.ok(whole.calls.every((c) => c.dimensions.every((r) => r.fullLength === undefined)));
    assert.ok(whole.calls.every((c) => c.rawAttributesCut === undefined));
  });

  it('cuts at the limit, never between the halves of a surrogate pair', () => {
    assert.deepEqual(cutForDisplay('abc', 3), { value: 'abc' });
    assert.deepEqual(cutForDisplay('abcd', 3), { value: 'abc', fullLength: 4 });
    assert.deepEqual(cutForDisplay(`${'a'.repeat(99)}😀tail`, 100), {
      value: 'a'.repeat(99),
      fullLength: 105,
    });
    assert.deepEqual(cutForDisplay('x'.repeat(5000), undefined), { value: 'x'.repeat(5000) });
  });

  it('accepts a well-formed full-value request from the page and nothing else', () => {
    const ok = { type: 'fullValue', requestId: 3, spanId: 'ab', key: 'gen_ai.prompt', from: 'span' };
    assert.equal(isWebviewMessage(ok), true);
    assert.equal(isWebviewMessage({ ...ok, from: 'elsewhere' }), false);
    assert.equal(isWebviewMessage({ ...ok, requestId: '3' }), false);
    assert.equal(isWebviewMessage({ ...ok, key: 1 }), false);
    assert.equal(isHostMessage({ type: 'fullValue', requestId: 3, value: 'x' }), true);
    assert.equal(isHostMessage({ type: 'fullValue', requestId: 3 }), true);
    assert.equal(isHostMessage({ type: 'fullValue', requestId: 3, value: 1 }), false);
  });
});
