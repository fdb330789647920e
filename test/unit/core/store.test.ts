// The trace store: arrival order of spans and logs, re-normalization, eviction of whole traces, the
// session and user indexes, and debounced change events driven by injected timers.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createNormalizer } from '../../../src/core/genai/normalize';
import { TraceStore, type StoreChange, type TraceStoreOptions } from '../../../src/core/store';
import type { SpanRecord, TelemetryBatch } from '../../../src/core/records';
import { chatSpan, log, span, spanId, traceId } from './builders';

/** Timers the test fires by hand. */
class ManualTimers {
  pending = new Map<number, () => void>();
  created = 0;
  private next = 1;
  set = (fn: () => void): unknown => {
    const id = this.next++;
    this.created++;
    this.pending.set(id, fn);
    return id;
  };
  clear = (handle: unknown): void => {
    this.pending.delete(handle as number);
  };
  fireAll(): void {
    const fns = [...this.pending.values()];
    this.pending.clear();
    for (const fn of fns) fn();
  }
}

function makeStore(options: Partial<TraceStoreOptions> = {}) {
  const timers = new ManualTimers();
  let now = 1000;
  const store = new TraceStore({
    maxTraces: 100,
    normalizer: createNormalizer(),
    debounceMs: 50,
    now: () => now,
    setTimer: timers.set,
    clearTimer: timers.clear,
    ...options,
  });
  const events: StoreChange[] = [];
  store.onDidChange((c) => events.push(c));
  return { store, timers, events, tick: (ms = 10) => (now += ms) };
}

function batch(spans: SpanRecord[], logs: TelemetryBatch['logs'] = []): TelemetryBatch {
  return { spans, logs };
}

/** One trace with a root carrying the session and a chat call whose content arrives as logs. */
function turn(n: number, session?: string, user?: string): SpanRecord[] {
  const attrs: Record<string, string> = {};
  if (session) attrs['gen_ai.conversation.id'] = session;
  if (user) attrs['enduser.id'] = user;
  return [
    span({ trace: n, id: 1, name: `turn ${n}`, kind: 1, startMs: n * 1000, attributes: attrs }),
    chatSpan({
      trace: n,
      id: 2,
      parent: 1,
      startMs: n * 1000 + 1,
      scope: '@opentelemetry/instrumentation-openai',
      attributes: { 'gen_ai.usage.input_tokens': 10 },
    }),
  ];
}

const userLog = (n: number) =>
  log('gen_ai.user.message', { content: `question ${n}` }, { trace: n, span: 2 });

describe('TraceStore ingest', () => {
  it('joins log records that arrive before their span', () => {
    const { store } = makeStore();
    const r1 = store.ingest(batch([], [userLog(1)]), 'otlp');
    assert.equal(r1.logs, 1);
    assert.equal(store.getTrace(traceId(1)), undefined, 'logs alone are not a trace to show');
    assert.equal(store.list().length, 0);
    store.ingest(batch(turn(1)), 'otlp');
    const call = store.getTrace(traceId(1))!.spans.find((s) => s.llm)!;
    assert.deepEqual(
      call.llm!.messages.map((m) => m.parts),
      [[{ type: 'text', text: 'question 1' }]],
    );
    assert.equal(call.llm!.missingContent, undefined);
  });

  it('normalizes a span again when its logs arrive after it', () => {
    const { store } = makeStore();
    store.ingest(batch(turn(1)), 'otlp');
    const before = store.getTrace(traceId(1))!.spans.find((s) => s.llm)!;
    assert.equal(before.llm!.missingContent, 'logsNotExported');
    store.ingest(batch([], [userLog(1)]), 'otlp');
    const after = store.getTrace(traceId(1))!.spans.find((s) => s.llm)!;
    assert.equal(after.llm!.missingContent, undefined);
    assert.equal(after.llm!.messages.length, 1);
  });

  it('counts what it received', () => {
    const { store } = makeStore();
    const orphan = log('gen_ai.user.message', { content: 'x' });
    delete orphan.traceId;
    const r = store.ingest(batch(turn(1), [userLog(1), orphan]), 'otlp');
    assert.deepEqual(r, { spans: 2, logs: 1, uncorrelatedLogs: 1, traces: 1, llmCalls: 1, repeatedLogs: 0 });
    const again = store.ingest(batch(turn(1)), 'otlp');
    assert.equal(again.llmCalls, 0, 'a span sent twice is not a new call');
    assert.equal(store.getTrace(traceId(1))!.spans.length, 2);
  });

  it('takes log records an exporter sends again (a retry) once, and keeps identical records within one batch', () => {
    const { store } = makeStore();
    const messagesOf = (n: number) => store.getTrace(traceId(n))!.spans.find((s) => s.llm)!.llm!.messages;
    store.ingest(batch(turn(1), [userLog(1)]), 'otlp');
    // The retry decodes to equal but separate objects, as a second request would.
    const retry = store.ingest(batch([], [structuredClone(userLog(1))]), 'otlp');
    assert.equal(retry.repeatedLogs, 1);
    assert.equal(retry.logs, 0);
    assert.equal(messagesOf(1).length, 1);
    // A history that repeats a message, both records stamped alike by a coarse clock: both are kept.
    const twice = store.ingest(batch(turn(2), [userLog(2), userLog(2)]), 'otlp');
    assert.equal(twice.repeatedLogs, 0);
    assert.equal(messagesOf(2).length, 2);
    // A later batch with new records for the same span is not a retry.
    const more = store.ingest(
      batch(
        [],
        [log('gen_ai.user.message', { content: 'question 1, again' }, { trace: 1, span: 2, offsetMs: 5 })],
      ),
      'otlp',
    );
    assert.equal(more.repeatedLogs, 0);
    assert.equal(messagesOf(1).length, 2);
    // Once the trace is cleared, the same records are new again.
    store.clear();
    store.ingest(batch(turn(1), [userLog(1)]), 'otlp');
    assert.equal(messagesOf(1).length, 1);
  });

  it('treats trace and span ids case-insensitively', () => {
    const { store } = makeStore();
    const records = turn(1).map((r) => ({
      ...r,
      traceId: r.traceId.replace(/1$/, 'A'),
      spanId: r.spanId.toUpperCase(),
    }));
    records[1]!.traceId = records[0]!.traceId = `${'0'.repeat(31)}A`;
    store.ingest(batch(records), 'otlp');
    const trace = store.getTrace(`${'0'.repeat(31)}a`);
    assert.ok(trace, 'found by the lower-case id');
    assert.equal(trace.summary.spanCount, 2);
    assert.equal(store.list().length, 1);
  });

  it('orders list() newest first and findSession() oldest turn first', () => {
    const { store } = makeStore();
    store.ingest(batch(turn(3, 'sess-a')), 'otlp');
    store.ingest(batch(turn(1, 'sess-a')), 'otlp');
    store.ingest(batch(turn(2, 'sess-b')), 'otlp');
    assert.deepEqual(
      store.list().map((t) => t.name),
      ['turn 3', 'turn 2', 'turn 1'],
    );
    assert.deepEqual(
      store.findSession('sess-a').map((t) => t.name),
      ['turn 1', 'turn 3'],
    );
    assert.deepEqual(
      store.findSession(' sess-b ').map((t) => t.name),
      ['turn 2'],
    );
    assert.deepEqual(
      store.sessions().map((s) => [s.sessionId, s.traceCount]),
      [
        ['sess-a', 2],
        ['sess-b', 1],
      ],
    );
  });

  it('files a trace under the session a later span brings', () => {
    const { store } = makeStore();
    const [root, call] = turn(1);
    store.ingest(batch([call!]), 'otlp');
    assert.deepEqual(store.findSession('late'), []);
    store.ingest(batch([{ ...root!, attributes: { 'session.id': 'late', 'user.id': 'u1' } }]), 'otlp');
    assert.deepEqual(
      store.findSession('late').map((t) => t.traceId),
      [traceId(1)],
    );
    assert.equal(store.findUser('u1').length, 1);
  });
});

describe('TraceStore eviction and clear', () => {
  it('evicts the least recently updated whole trace and its index entries', () => {
    const { store, tick } = makeStore({ maxTraces: 2 });
    store.ingest(batch(turn(1, 'sess-1', 'user-1')), 'otlp');
    tick();
    store.ingest(batch(turn(2, 'sess-2', 'user-2')), 'otlp');
    tick();
    // Trace 1 gets a late log: it is now the most recently updated, so trace 2 goes.
    store.ingest(batch([], [userLog(1)]), 'otlp');
    tick();
    store.ingest(batch(turn(3, 'sess-3')), 'otlp');
    assert.equal(store.size, 2);
    assert.ok(store.getTrace(traceId(1)));
    assert.equal(store.getTrace(traceId(2)), undefined);
    assert.deepEqual(store.findSession('sess-2'), []);
    assert.deepEqual(store.findUser('user-2'), []);
    assert.equal(store.findSession('sess-1').length, 1);
    assert.ok(!store.sessions().some((s) => s.sessionId === 'sess-2'));
  });

  it('reports evictions in the change event, and a re-added trace only as changed', () => {
    const { store, events } = makeStore({ maxTraces: 1 });
    store.ingest(batch(turn(1)), 'otlp');
    store.flush();
    store.ingest(batch(turn(2)), 'otlp');
    store.flush();
    assert.deepEqual(events[1], { changed: [traceId(2)], removed: [traceId(1)], cleared: false });
    store.ingest(batch(turn(1)), 'otlp');
    store.ingest(batch(turn(2)), 'otlp');
    store.flush();
    assert.deepEqual(events[2]!.changed, [traceId(2)]);
    assert.deepEqual(events[2]!.removed, [traceId(1)], 'trace 2 came back, so only trace 1 is gone');
  });

  it('shrinks to a lower limit at once', () => {
    const { store } = makeStore();
    for (let n = 1; n <= 5; n++) store.ingest(batch(turn(n, `s${n}`)), 'otlp');
    store.setMaxTraces(2);
    assert.deepEqual(
      store
        .list()
        .map((t) => t.name)
        .sort(),
      ['turn 4', 'turn 5'],
    );
    assert.deepEqual(store.findSession('s1'), []);
  });

  it('clears everything, indexes included, and says so', () => {
    const { store, events } = makeStore();
    store.ingest(batch(turn(1, 'sess-1', 'user-1')), 'otlp');
    store.clear();
    assert.equal(store.size, 0);
    assert.deepEqual(store.list(), []);
    assert.deepEqual(store.findSession('sess-1'), []);
    assert.deepEqual(store.findUser('user-1'), []);
    assert.deepEqual(store.sessions(), []);
    assert.equal(events.length, 1);
    assert.equal(events[0]!.cleared, true);
    assert.deepEqual(events[0]!.changed, []);
    store.ingest(batch(turn(2, 'sess-1')), 'otlp');
    assert.deepEqual(
      store.findSession('sess-1').map((t) => t.name),
      ['turn 2'],
    );
  });
});

describe('TraceStore change events', () => {
  it('coalesces a burst of 5,000 spans into one event', () => {
    const { store, timers, events } = makeStore();
    for (let i = 0; i < 5000; i++) {
      store.ingest(batch([span({ trace: (i % 50) + 1, id: i + 1, startMs: i })]), 'otlp');
    }
    assert.equal(events.length, 0, 'nothing before the timer fires');
    assert.equal(timers.created, 1, 'one timer for the whole burst');
    timers.fireAll();
    assert.equal(events.length, 1);
    assert.equal(events[0]!.changed.length, 50);
    assert.equal(store.getTrace(traceId(7))!.summary.spanCount, 100);
    timers.fireAll();
    assert.equal(events.length, 1, 'no empty events');
    store.ingest(batch([span({ trace: 1, id: 9999 })]), 'otlp');
    assert.equal(timers.created, 2, 'a later change arms a new timer');
  });

  it('emits on flush() only when debounceMs is 0, and stops after dispose', () => {
    const { store, timers, events } = makeStore({ debounceMs: 0 });
    store.ingest(batch(turn(1)), 'otlp');
    assert.equal(timers.created, 0);
    store.flush();
    assert.deepEqual(events, [{ changed: [traceId(1)], removed: [], cleared: false }]);
    store.dispose();
    store.ingest(batch(turn(2)), 'otlp');
    store.flush();
    assert.equal(events.length, 1);
  });
});

describe('TraceStore.setNormalizer', () => {
  it('normalizes every stored span again and re-indexes', () => {
    const { store, timers, events } = makeStore();
    store.ingest(batch([span({ attributes: { 'app.thread': 't-42' } })]), 'otlp');
    timers.fireAll();
    assert.deepEqual(store.findSession('t-42'), []);
    store.setNormalizer(createNormalizer({ sessionAttributes: ['app.thread'] }));
    assert.equal(store.findSession('t-42').length, 1);
    assert.equal(store.getTrace(traceId(1))!.spans[0]!.sessionId, 't-42');
    timers.fireAll();
    assert.deepEqual(events[1]!.changed, [traceId(1)]);
    assert.equal(spanId(1), store.getTrace(traceId(1))!.spans[0]!.spanId);
  });
});
