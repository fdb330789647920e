// The trace store: arrival order of spans and logs, re-normalization, eviction of whole traces, the
// session and user indexes, and debounced change events driven by injected timers; outlines read at
// ingest and content only for whole traces; the bounds in bytes and spans, and waiting log records.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createNormalizer } from '../../../src/core/genai/normalize';
import {
  TraceStore,
  type Normalizer,
  type StoreChange,
  type TraceStoreOptions,
} from '../../../src/core/store';
import { describeTrace, traceTooltip } from '../../../src/host/treeModel';
import type { SpanRecord, TelemetryBatch } from '../../../src/core/records';
import { chatSpan, log, span, spanId, traceId } from './builders';
import { fixtureBatch, fixtureEntries } from '../helpers/fixtures';

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

/** A chat call of trace 1 whose question (the last message it sent) says when it started. */
const askingCall = (id: number, startMs: number) =>
  chatSpan({
    id,
    startMs,
    attributes: {
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.input.messages': JSON.stringify([
        { role: 'user', parts: [{ type: 'text', content: `asked at ${startMs}` }] },
      ]),
    },
  });

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

/** The production normalizer, counting what it is asked to read. */
function countingNormalizer(): Normalizer & { counts: { span: number; outline: number; trace: number } } {
  const inner = createNormalizer();
  const counts = { span: 0, outline: 0, trace: 0 };
  return {
    counts,
    span: (record, logs) => (counts.span++, inner.span(record, logs)),
    outline: (record, logs, wantPreview) => (counts.outline++, inner.outline(record, logs, wantPreview)),
    isCall: (record) => inner.isCall(record),
    trace: (...args) => (counts.trace++, inner.trace(...args)),
    order: (spans) => inner.order(spans),
  };
}

describe('TraceStore outlines and lazy content', () => {
  it('reads no content at ingest, for lists, sessions or users, or for the outline', () => {
    const normalizer = countingNormalizer();
    const { store } = makeStore({ normalizer });
    store.ingest(batch(turn(1, 'sess-1', 'user-1'), [userLog(1)]), 'otlp');
    store.ingest(batch(turn(2, 'sess-1')), 'otlp');
    assert.equal(store.list().length, 2);
    assert.equal(store.findSession('sess-1').length, 2);
    assert.equal(store.findUser('user-1').length, 1);
    assert.equal(store.sessions().length, 1);
    store.flush();
    const outline = store.getOutline(traceId(1))!;
    assert.equal(normalizer.counts.span, 0, 'no span read whole');
    const call = outline.spans.find((s) => s.llm)!;
    assert.deepEqual(call.llm!.messages, []);
    assert.equal(call.llm!.contentPending, true);
    assert.equal(call.llm!.missingContent, undefined);
    assert.deepEqual(call.llm!.usage, { inputTokens: 10 });
    assert.equal(outline.summary.preview, 'question 1', "the question is known without the trace's content");
    assert.equal(outline.summary.sessionId, 'sess-1');

    const summarized = normalizer.counts.trace;
    const full = store.getTrace(traceId(1))!;
    assert.equal(normalizer.counts.span, 2, 'the two spans of the trace read, and only those');
    assert.equal(normalizer.counts.trace, summarized, "read whole, it keeps its outline's summary");
    const fullCall = full.spans.find((s) => s.llm)!;
    assert.equal(fullCall.llm!.contentPending, undefined);
    assert.deepEqual(
      fullCall.llm!.messages.map((m) => m.parts),
      [[{ type: 'text', text: 'question 1' }]],
    );
    assert.equal(full.summary, outline.summary);
    assert.equal(store.getTrace(traceId(1)), full, 'kept built until the trace changes');
    assert.equal(normalizer.counts.span, 2);
  });

  it('reads again only the span that changed, for the outline and for the whole trace', () => {
    const normalizer = countingNormalizer();
    const { store } = makeStore({ normalizer });
    const spans = Array.from({ length: 50 }, (_, i) => span({ id: i + 1, startMs: i, kind: 1 }));
    store.ingest(batch(spans), 'otlp');
    store.getTrace(traceId(1));
    assert.deepEqual([normalizer.counts.outline, normalizer.counts.span], [50, 50]);
    store.ingest(batch([span({ id: 51, startMs: 60 })]), 'otlp');
    store.list();
    const whole = store.getTrace(traceId(1))!;
    assert.deepEqual([normalizer.counts.outline, normalizer.counts.span], [51, 51]);
    assert.equal(whole.spans.length, 51);
    store.ingest(batch([], [log('gen_ai.user.message', { content: 'late' }, { span: 51 })]), 'otlp');
    store.getTrace(traceId(1));
    assert.deepEqual([normalizer.counts.outline, normalizer.counts.span], [52, 52]);
  });

  it('shows the question of the earliest call, whichever call arrives first', () => {
    const normalizer = countingNormalizer();
    const { store } = makeStore({ normalizer });
    // The later call ends first and so is exported first; then the earlier one; then one later still.
    store.ingest(batch([askingCall(2, 500)]), 'otlp');
    assert.equal(store.list()[0]!.preview, 'asked at 500');
    store.ingest(batch([askingCall(1, 100)]), 'otlp');
    assert.equal(store.list()[0]!.preview, 'asked at 100');
    store.ingest(batch([askingCall(3, 900)]), 'otlp');
    assert.equal(store.list()[0]!.preview, 'asked at 100');
    assert.equal(normalizer.counts.span, 0);
    assert.equal(store.getTrace(traceId(1))!.summary.preview, 'asked at 100');
  });

  it('reads no outline of a trace evicted before the store settles, and counts its calls all the same', () => {
    const normalizer = countingNormalizer();
    const { store } = makeStore({ normalizer, maxTraces: 3 });
    let calls = 0;
    for (let n = 1; n <= 10; n++) calls += store.ingest(batch(turn(n), [userLog(n)]), 'otlp').llmCalls;
    assert.equal(calls, 10, 'each turn has one call, counted as it arrives');
    assert.equal(normalizer.counts.outline, 0, 'nothing read at ingest');
    store.flush();
    assert.deepEqual(
      store.list().map((t) => t.traceId),
      [10, 9, 8].map((n) => traceId(n)),
    );
    assert.equal(normalizer.counts.outline, 6, 'only the spans of the three traces kept');
    assert.equal(store.list()[0]!.preview, 'question 10');
  });

  it("reads a batch's own traces at once when more spans wait than one settle should read", () => {
    const normalizer = countingNormalizer();
    const { store } = makeStore({ normalizer, maxUnreadSpans: 5 });
    store.ingest(batch(turn(1), [userLog(1)]), 'otlp');
    assert.equal(normalizer.counts.outline, 0, 'two spans wait');
    store.ingest(batch([...turn(2), ...turn(3)], [userLog(2), userLog(3)]), 'otlp');
    assert.equal(normalizer.counts.outline, 2, 'six would wait: one of the new traces is read, and enough');
    store.ingest(batch(turn(4), [userLog(4)]), 'otlp');
    assert.equal(normalizer.counts.outline, 4);
    store.flush();
    assert.equal(normalizer.counts.outline, 8, 'each span read once');
    assert.deepEqual(
      store.list().map((t) => t.preview),
      [4, 3, 2, 1].map((n) => `question ${n}`),
    );
    store.ingest(batch([], [log('gen_ai.user.message', { content: 'late' }, { trace: 3, span: 2 })]), 'otlp');
    store.flush();
    assert.equal(normalizer.counts.outline, 9, 'a span whose logs came later is read again, once');
  });

  it('counts a span sent again as waiting, whatever was read of it before', () => {
    const normalizer = countingNormalizer();
    const { store } = makeStore({ normalizer, maxWarmTraces: 1, maxUnreadSpans: 0 });
    // Nothing may wait: each batch's trace is read as it comes. The later call's question is skipped.
    store.ingest(batch([askingCall(1, 100), askingCall(2, 500)]), 'otlp');
    assert.equal(normalizer.counts.outline, 2);
    store.list();
    // Another trace pushes the first out of the warm ones: its outlines go, the questions read stay.
    store.ingest(batch(turn(2), [userLog(2)]), 'otlp');
    store.list();
    const before = normalizer.counts.outline;
    store.ingest(batch([askingCall(2, 500)]), 'otlp');
    assert.equal(
      normalizer.counts.outline,
      before + 2,
      'the span sent again waits, so its trace is read at once',
    );
    assert.equal(store.summary(traceId(1))!.preview, 'asked at 100');
  });

  it('builds the traces that changed first as batches come when more changed than one settle should build', () => {
    const normalizer = countingNormalizer();
    const { store, events } = makeStore({ normalizer, maxDirtyTraces: 2 });
    store.ingest(batch(turn(1), [userLog(1)]), 'otlp');
    store.ingest(batch(turn(2), [userLog(2)]), 'otlp');
    assert.equal(normalizer.counts.trace, 0, 'two traces wait');
    store.ingest(batch([...turn(3), ...turn(4)], [userLog(3), userLog(4)]), 'otlp');
    assert.equal(normalizer.counts.trace, 2, 'traces 1 and 2, which changed first, are built');
    assert.equal(normalizer.counts.outline, 4);
    assert.equal(events.length, 0, 'still one change event for the interval');
    store.flush();
    assert.equal(normalizer.counts.trace, 4, 'each trace built once');
    assert.equal(events.length, 1);
    assert.equal(events[0]!.changed.length, 4);
    assert.deepEqual(
      store.list().map((t) => t.preview),
      [4, 3, 2, 1].map((n) => `question ${n}`),
    );
  });

  it('keeps only a few whole traces built, the least recently read going first', () => {
    const normalizer = countingNormalizer();
    const { store } = makeStore({ normalizer, maxFullTraces: 2 });
    for (let n = 1; n <= 3; n++) store.ingest(batch(turn(n)), 'otlp');
    const first = store.getTrace(traceId(1))!;
    store.getTrace(traceId(2));
    assert.equal(store.getTrace(traceId(1)), first, 'still kept: read last but one');
    assert.equal(normalizer.counts.span, 4);
    store.getTrace(traceId(3)); // trace 2 goes: trace 1 was read after it
    assert.equal(normalizer.counts.span, 6);
    assert.equal(store.getTrace(traceId(1)), first);
    assert.equal(normalizer.counts.span, 6);
    const second = store.getTrace(traceId(2))!;
    assert.equal(normalizer.counts.span, 8, 'built again');
    assert.deepEqual(second.summary, store.getOutline(traceId(2))!.summary);
  });
});

describe('TraceStore warm and cold traces', () => {
  it('lets the span outlines of cold traces go, and reads them again the same when asked or changed', () => {
    const entries = fixtureEntries({ encoding: 'protobuf' }).filter((e) => e.signal !== 'metrics');
    const warm = makeStore({ maxTraces: 1000 }).store;
    const cold = makeStore({ maxTraces: 1000, maxWarmTraces: 1 }).store;
    for (const entry of entries) {
      const decoded = fixtureBatch(entry);
      warm.ingest(decoded, 'otlp');
      cold.ingest(decoded, 'otlp');
    }
    assert.ok(warm.size > 20, `${warm.size} traces`);
    assert.deepEqual(cold.list(), warm.list());
    for (const { traceId: id } of warm.list()) {
      assert.deepEqual(cold.getOutline(id), warm.getOutline(id), id);
      assert.deepEqual(cold.getTrace(id), warm.getTrace(id), id);
    }
    // A span that comes late to a cold trace joins the outline read again.
    const normalizer = countingNormalizer();
    const { store } = makeStore({ normalizer, maxWarmTraces: 1 });
    store.ingest(batch(turn(1, 'sess-1')), 'otlp');
    store.ingest(batch(turn(2)), 'otlp');
    store.list();
    const outlines = normalizer.counts.outline;
    store.ingest(batch([span({ trace: 1, id: 3, parent: 1, startMs: 1500, name: 'late' })]), 'otlp');
    const summary = store.list().find((t) => t.traceId === traceId(1))!;
    assert.deepEqual([summary.spanCount, summary.sessionId, summary.llmCallCount], [3, 'sess-1', 1]);
    assert.equal(
      normalizer.counts.outline,
      outlines + 3,
      'the new span, and the two the cold trace had let go',
    );
    const spans = store.getOutline(traceId(1))!.spans;
    assert.deepEqual(
      spans.map((s) => s.startMs - spans[0]!.startMs),
      [0, 1, 500],
    );
    assert.equal(spans[2]!.name, 'late');
  });
});

describe('TraceStore bounds', () => {
  it('estimates the bytes it keeps, and evicts the oldest whole traces beyond the budget', () => {
    const { store, events, tick } = makeStore();
    store.ingest(batch(turn(1, 'sess-1'), [userLog(1)]), 'otlp');
    const one = store.stats().bytes;
    assert.ok(one > 1000, `a trace with a log record is some bytes (${one})`);
    tick();
    store.ingest(batch(turn(2)), 'otlp');
    tick();
    store.ingest(batch(turn(3)), 'otlp');
    const three = store.stats().bytes;
    assert.ok(three > 2 * one);
    store.flush();
    // Room for a little more than two traces: the oldest goes, whole, with its log record and index entry.
    store.setLimits({ maxBytes: Math.ceil(three - one / 2) });
    assert.deepEqual(
      store
        .list()
        .map((t) => t.name)
        .sort(),
      ['turn 2', 'turn 3'],
    );
    assert.deepEqual(store.findSession('sess-1'), []);
    const stats = store.stats();
    assert.equal(stats.evictedTraces, 1);
    assert.equal(stats.traces, 2);
    assert.equal(stats.spans, 4);
    assert.equal(stats.logs, 0);
    assert.ok(stats.bytes <= Math.ceil(three - one / 2));
    store.flush();
    assert.deepEqual(events.at(-1)!.removed, [traceId(1)]);
    // Trace 2 gets a span: trace 3 is now the oldest, and the next trace pushes it out.
    tick();
    store.ingest(batch([span({ trace: 2, id: 3, startMs: 2005 })]), 'otlp');
    tick();
    store.ingest(batch(turn(4)), 'otlp');
    assert.deepEqual(
      store
        .list()
        .map((t) => t.name)
        .sort(),
      ['turn 2', 'turn 4'],
    );
    // A trace larger than the whole budget is still kept (its span limit bounds it).
    store.setLimits({ maxBytes: 1 });
    assert.equal(store.size, 1);
    assert.equal(store.list()[0]!.name, 'turn 4');
  });

  it('drops the spans of a trace beyond its limit and says how many', () => {
    const { store } = makeStore({ maxSpansPerTrace: 3 });
    store.ingest(batch([1, 2, 3, 4].map((id) => span({ id, startMs: id }))), 'otlp');
    store.ingest(batch([span({ id: 5 }), span({ id: 2, name: 'renamed' })]), 'otlp');
    const trace = store.getOutline(traceId(1))!;
    assert.equal(trace.summary.spanCount, 3);
    assert.equal(trace.summary.droppedSpans, 2);
    assert.ok(
      trace.spans.some((s) => s.name === 'renamed'),
      'a span it holds may still change',
    );
    assert.equal(store.stats().droppedSpans, 2);
    assert.equal(store.stats().spans, 3);
    const view = describeTrace(trace.summary, trace.summary.startMs);
    assert.match(view.description, /2 spans dropped/);
    assert.ok(
      traceTooltip(trace.summary).includes(
        '2 spans not kept: the trace reached the limit of spans per trace',
      ),
    );
    store.ingest(batch([span({ trace: 2, id: 1 })]), 'otlp');
    assert.equal(store.getOutline(traceId(2))!.summary.droppedSpans, undefined);
    // A higher limit takes new spans again.
    store.setLimits({ maxSpansPerTrace: 4 });
    store.ingest(batch([span({ id: 6 })]), 'otlp');
    assert.equal(store.getOutline(traceId(1))!.summary.spanCount, 4);
  });

  it('keeps log records whose spans have not come apart: they evict no trace, join a late span, age out', () => {
    const { store, tick } = makeStore({ maxTraces: 1 });
    store.ingest(batch(turn(1)), 'otlp');
    // Parent-based sampling dropped traces 7 and 8, but their log records came.
    const r = store.ingest(batch([], [userLog(7), userLog(8)]), 'otlp');
    assert.equal(r.traces, 0);
    assert.equal(r.logs, 2);
    assert.equal(store.size, 1);
    assert.ok(store.getTrace(traceId(1)), 'no trace evicted for them');
    assert.equal(store.getOutline(traceId(7)), undefined);
    assert.deepEqual([store.stats().orphanLogs, store.stats().logs, store.stats().traces], [2, 0, 1]);
    assert.equal(store.ingest(batch([], [structuredClone(userLog(7))]), 'otlp').repeatedLogs, 1);
    // Trace 7's spans come late: its records join them.
    tick(60_000);
    store.ingest(batch(turn(7)), 'otlp');
    const call = store.getTrace(traceId(7))!.spans.find((s) => s.llm)!;
    assert.deepEqual(
      call.llm!.messages.map((m) => m.parts),
      [[{ type: 'text', text: 'question 7' }]],
    );
    assert.deepEqual([store.stats().orphanLogs, store.stats().logs], [1, 1]);
    // Ten minutes after it came, trace 8's record goes; its spans then come without content.
    tick(9 * 60_000);
    assert.equal(store.stats().agedOutLogs, 1);
    assert.equal(store.stats().orphanLogs, 0);
    store.ingest(batch(turn(8)), 'otlp');
    assert.equal(
      store.getTrace(traceId(8))!.spans.find((s) => s.llm)!.llm!.missingContent,
      'logsNotExported',
    );
  });

  it('lets waiting log records go first when the budget needs room', () => {
    const { store } = makeStore();
    store.ingest(batch(turn(1)), 'otlp');
    store.ingest(batch([], [userLog(5), userLog(5), userLog(5)]), 'otlp');
    const before = store.stats();
    store.setLimits({ maxBytes: before.bytes - 1 });
    const after = store.stats();
    assert.deepEqual([after.traces, after.orphanLogs, after.agedOutLogs, after.evictedTraces], [1, 0, 3, 0]);
    assert.ok(after.bytes < before.bytes);
  });

  it('counts what it holds, and clear() starts the counts again', () => {
    const { store } = makeStore({ maxTraces: 2 });
    for (let n = 1; n <= 3; n++) store.ingest(batch(turn(n), [userLog(n)]), 'otlp');
    store.ingest(batch([], [userLog(9)]), 'otlp');
    const stats = store.stats();
    assert.deepEqual(
      { ...stats, bytes: stats.bytes > 0 },
      {
        traces: 2,
        spans: 4,
        logs: 2,
        orphanLogs: 1,
        bytes: true,
        droppedSpans: 0,
        evictedTraces: 1,
        agedOutLogs: 0,
      },
    );
    store.clear();
    assert.deepEqual(store.stats(), {
      traces: 0,
      spans: 0,
      logs: 0,
      orphanLogs: 0,
      bytes: 0,
      droppedSpans: 0,
      evictedTraces: 0,
      agedOutLogs: 0,
    });
  });

  it('takes new limits at once, and keeps setMaxTraces', () => {
    const { store } = makeStore();
    for (let n = 1; n <= 6; n++) store.ingest(batch(turn(n)), 'otlp');
    store.setLimits({ maxTraces: 4 });
    assert.equal(store.size, 4);
    assert.deepEqual(store.currentLimits.maxTraces, 4);
    store.setMaxTraces(3);
    assert.equal(store.size, 3);
    assert.equal(store.currentLimits.maxSpansPerTrace, 10_000, 'what was not given stays');
    assert.equal(store.currentLimits.maxBytes, 512 * 1024 * 1024);
    store.setLimits({ maxTraces: 0 });
    assert.equal(store.size, 1, 'at least one trace');
    assert.equal(store.list()[0]!.name, 'turn 6');
  });
});

describe('TraceStore shared values', () => {
  it('keeps one copy of a resource and scope that distinct requests repeat, counted once', () => {
    const { store } = makeStore();
    // Equal but separate objects, as two decoded requests give.
    store.ingest(batch(structuredClone(turn(1))), 'otlp');
    const one = store.stats().bytes;
    store.ingest(batch(structuredClone(turn(2))), 'otlp');
    const resourceOf = (n: number) => store.getOutline(traceId(n))!.spans[0]!.resource;
    assert.equal(resourceOf(1), resourceOf(2));
    assert.deepEqual(resourceOf(2), { 'service.name': 'wayfarer' });
    assert.ok(store.stats().bytes < 2 * one, 'the second trace is not charged for the resource again');
    // A different resource stays its own.
    const other = turn(3).map((r) => ({ ...r, resource: { 'service.name': 'other' } }));
    store.ingest(batch(other), 'otlp');
    assert.equal(store.getTrace(traceId(3))!.spans[0]!.service, 'other');
    // Compared field by field with the one before: one more key, or a nested value that differs, is another.
    const withKey = (n: number, resource: Record<string, unknown>) =>
      turn(n).map((r) => ({ ...r, resource: resource as never }));
    store.ingest(batch(withKey(4, { 'service.name': 'other', 'host.arch': 'x64' })), 'otlp');
    store.ingest(batch(withKey(5, { 'service.name': 'other', tags: ['a'] })), 'otlp');
    store.ingest(batch(withKey(6, { 'service.name': 'other', tags: ['b'] })), 'otlp');
    store.ingest(batch(withKey(7, { 'service.name': 'other', tags: ['b'] })), 'otlp');
    assert.notEqual(resourceOf(4), resourceOf(3));
    assert.deepEqual(resourceOf(4), { 'service.name': 'other', 'host.arch': 'x64' });
    assert.deepEqual(resourceOf(5), { 'service.name': 'other', tags: ['a'] });
    assert.deepEqual(resourceOf(6), { 'service.name': 'other', tags: ['b'] });
    assert.equal(resourceOf(7), resourceOf(6));
  });
});
