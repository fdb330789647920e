// The session view's model: one turn per trace, oldest first, each showing only what it adds to the
// conversation (apps send the whole history again with every request), its tool calls and answer, and the
// session's totals; built from the real captures of every instrumentation library.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TraceStore } from '../../../src/core/store';
import {
  buildSessionState,
  readTurn,
  repeatedPrefixes,
  type TurnContent,
} from '../../../src/host/sessionViewModel';
import { isSessionState, isSessionWebviewMessage } from '../../../src/protocol/session';
import { ingest, newStore, scenario } from '../helpers/sessions';
import { fixtureManifest } from '../helpers/fixtures';

const LIBRARIES = [...new Set(fixtureManifest().entries.map((e) => e.library))];

function contentsOf(store: TraceStore, sessionId: string): Map<string, TurnContent> {
  return new Map(store.findSession(sessionId).map((s) => [s.traceId, readTurn(store.getTrace(s.traceId)!)]));
}

function textOf(m: { parts: { type: string; text?: string }[] }): string {
  return m.parts.map((p) => (p.type === 'text' ? p.text : `[${p.type}]`)).join('');
}

describe('buildSessionState', () => {
  for (const library of LIBRARIES) {
    it(`${library}: shows each turn's new user message, its tool calls and its answer, not the history again`, () => {
      const store = newStore();
      ingest(store, scenario(library, 'chat'));
      ingest(store, scenario(library, 'tools'));
      const sessionId = 'sess-lisbon-weekend';
      const summaries = store.findSession(sessionId);
      const state = buildSessionState({ sessionId }, summaries, contentsOf(store, sessionId), 7);
      assert.equal(state.kind, 'session');
      assert.equal(state.generatedMs, 7);
      assert.deepEqual(
        state.turns.map((t) => t.number),
        [1, 2],
      );
      const [first, second] = state.turns;
      // Turn 1: the system prompt and the question are new; the answer follows.
      assert.deepEqual(
        first!.newMessages.map((m) => m.role),
        ['system', 'user'],
      );
      assert.equal(first!.repeatedCount, 0);
      assert.match(textOf(first!.newMessages[1]!), /Lisbon for the weekend/);
      assert.match(textOf(first!.answer[0]!), /^Lisbon is easy to enjoy in a weekend/);
      // Turn 2 sends the system prompt, turn 1's question and its answer again: only the new question shows.
      assert.equal(second!.repeatedCount, 3);
      assert.deepEqual(
        second!.newMessages.map((m) => [m.role, textOf(m)]),
        [
          [
            'user',
            'Will it rain in Lisbon on Saturday (2025-06-14)? We want to spend the whole day outdoors.',
          ],
        ],
      );
      assert.equal(second!.toolCalls.length, 1);
      assert.equal(second!.toolCalls[0]!.name, 'get_weather');
      assert.match(second!.toolCalls[0]!.arguments, /Lisbon/);
      assert.ok(second!.toolCalls[0]!.result, 'the tool result the second call sent back');
      assert.match(textOf(second!.answer[0]!), /sunny/);
      assert.equal(second!.llmCallCount, 2);
      // Per-turn figures come from the summaries; the header's totals add them up.
      for (const [i, s] of summaries.entries()) {
        assert.equal(state.turns[i]!.traceId, s.traceId);
        assert.deepEqual(state.turns[i]!.usage, s.usage);
        assert.equal(state.turns[i]!.durationMs, s.durationMs);
        assert.deepEqual(state.turns[i]!.models, s.models);
      }
      assert.equal(state.totals!.turns, 2);
      assert.equal(state.totals!.llmCalls, 3);
      assert.deepEqual(state.userIds, ['user-1042']);
      assert.ok(isSessionState(JSON.parse(JSON.stringify(state))), 'the state survives the trip to the page');
    });
  }

  it('marks a failed turn with its error and counts it in the totals', () => {
    const store = newStore();
    const sessionId = 'sess-three-turns';
    ingest(store, scenario('otel-openai', 'chat'), { session: sessionId });
    ingest(store, scenario('otel-openai', 'tools'), { session: sessionId });
    ingest(store, scenario('otel-openai', 'error'), {
      session: sessionId,
      user: 'user-1042',
      shiftMs: 60_000,
    });
    const state = buildSessionState(
      { sessionId },
      store.findSession(sessionId),
      contentsOf(store, sessionId),
      0,
    );
    assert.equal(state.turns.length, 3);
    const failed = state.turns[2]!;
    assert.equal(failed.hasError, true);
    assert.ok(failed.error && failed.error.length > 0, 'the error in words');
    assert.equal(state.turns[0]!.error, undefined);
    assert.equal(state.totals!.errors, 1);
    // The failed turn started a new conversation: only the app's system prompt repeats the Lisbon turns.
    assert.equal(failed.repeatedCount, 1);
    assert.notEqual(failed.newMessages[0]?.role, 'system');
    assert.ok(failed.newMessages.some((m) => m.role === 'user'));
  });

  it('lists turns not read yet from their summaries, marked pending, with the totals of every turn', () => {
    const store = newStore();
    ingest(store, scenario('otel-openai', 'chat'));
    ingest(store, scenario('otel-openai', 'tools'));
    const sessionId = 'sess-lisbon-weekend';
    const summaries = store.findSession(sessionId);
    const state = buildSessionState({ sessionId, sourceId: 'appInsights:x' }, summaries, new Map(), 0, {
      loading: true,
      sourceLabel: 'Application Insights · x',
    });
    assert.deepEqual(
      state.turns.map((t) => t.pending),
      [true, true],
    );
    assert.deepEqual(state.turns[1]!.newMessages, []);
    assert.equal(state.totals!.turns, 2);
    assert.equal(state.loading, true);
    assert.deepEqual(state.target, { sessionId, sourceId: 'appInsights:x' });
    assert.equal(state.sourceLabel, 'Application Insights · x');
  });

  it('lists only the newest turns past its bound, numbered as in the session, with totals over all', () => {
    const store = newStore();
    const sessionId = 'sess-long';
    for (let i = 0; i < 5; i++)
      ingest(store, scenario('otel-openai', 'chat'), {
        session: sessionId,
        tracePrefix: `b${i}`,
        shiftMs: i * 1000,
      });
    const summaries = store.findSession(sessionId);
    const state = buildSessionState({ sessionId }, summaries, contentsOf(store, sessionId), 0, {}, 2);
    assert.equal(state.hiddenTurns, 3);
    assert.deepEqual(
      state.turns.map((t) => t.number),
      [4, 5],
    );
    assert.equal(state.totals!.turns, 5);
    // The same question five times: the first turn shown has nothing before it to repeat; the next one
    // starts with the same system prompt and question.
    assert.deepEqual(
      state.turns.map((t) => t.repeatedCount),
      [0, 2],
    );
  });

  it('yields no totals for a session no source holds', () => {
    const state = buildSessionState({ sessionId: 'gone' }, [], new Map(), 0);
    assert.equal(state.totals, undefined);
    assert.deepEqual(state.turns, []);
  });
});

describe('readTurn', () => {
  it('cuts long texts and says so, so a session state stays small', () => {
    const store = newStore();
    ingest(store, scenario('otel-openai', 'large'));
    const trace = store.getTrace(store.list()[0]!.traceId)!;
    const whole = readTurn(trace, Infinity);
    const cut = readTurn(trace, 100);
    assert.equal(whole.cut, undefined);
    assert.equal(cut.cut, true);
    for (const m of cut.inputs)
      for (const p of m.parts) if (p.type === 'text') assert.ok(p.text.length <= 101, 'cut to the bound');
    assert.deepEqual(cut.inputKeys, whole.inputKeys, 'compared on the whole messages');
  });

  it('compares a turn with the few before it', () => {
    const c = (inputKeys: string[], historyKeys: string[]): TurnContent => ({
      traceId: '',
      updatedMs: 0,
      inputs: [],
      inputKeys,
      historyKeys,
      toolCalls: [],
      answer: [],
    });
    assert.deepEqual(
      repeatedPrefixes([c(['s', 'u1'], ['s', 'u1', 'a1']), undefined, c(['s', 'u1', 'a1', 'u2'], ['x'])]),
      [0, 0, 3],
    );
  });
});

describe('session protocol', () => {
  it('accepts only well-formed messages from the page', () => {
    assert.ok(isSessionWebviewMessage({ type: 'ready' }));
    assert.ok(isSessionWebviewMessage({ type: 'openTurn', traceId: 'a'.repeat(32) }));
    assert.ok(!isSessionWebviewMessage({ type: 'openTurn', traceId: '../../etc' }));
    assert.ok(!isSessionWebviewMessage({ type: 'copy', text: 1, what: 'x' }));
    assert.ok(!isSessionWebviewMessage({ type: 'fullValue' }));
    assert.ok(!isSessionState({ kind: 'session', target: {} }));
  });
});
