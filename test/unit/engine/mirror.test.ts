// The host's mirror of the engine's store, without a worker: it applies change messages, lists and finds
// like the store, holds outlines and whole traces only once loaded (and keeps them current), fetches a
// trace asked for twice once, and tells the engine to stop sending what it no longer holds.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { Trace, TraceSummary } from '../../../src/core/model';
import { MirrorStore } from '../../../src/engine/mirror';
import { outlineOf } from '../../../src/engine/outline';
import type { ChangeMessage } from '../../../src/engine/protocol';

function summary(traceId: string, startMs: number, extra: Partial<TraceSummary> = {}): TraceSummary {
  return {
    traceId,
    name: `turn ${traceId}`,
    service: 'app',
    startMs,
    durationMs: 1,
    spanCount: 1,
    llmCallCount: 1,
    toolCallCount: 0,
    errorCount: 0,
    models: [],
    usage: {},
    hasError: false,
    updatedMs: startMs,
    ...extra,
  };
}

function traceOf(s: TraceSummary, text = 'hello'): Trace {
  return {
    traceId: s.traceId,
    source: 'otlp',
    summary: s,
    spans: [
      {
        traceId: s.traceId,
        spanId: '00000000000000a1',
        name: 'chat',
        kind: 'client',
        startMs: s.startMs,
        durationMs: 1,
        status: { code: 'unset' },
        service: 'app',
        scope: 'test',
        attributes: { prompt: text },
        resource: {},
        events: [],
        llm: {
          convention: 'genai',
          messages: [
            {
              role: 'user',
              direction: 'input',
              parts: [{ type: 'text', text }],
              origin: 'attribute',
              originName: 'x',
            },
          ],
          toolDefinitions: [],
          usage: {},
          finishReasons: [],
          parameters: {},
        },
      },
    ],
  };
}

const change = (m: Partial<ChangeMessage>): ChangeMessage => ({
  type: 'changes',
  cleared: false,
  summaries: [],
  removed: [],
  outlines: [],
  full: [],
  ...m,
});

function mirror() {
  const loads: string[] = [];
  const unwatched: string[][] = [];
  const downgraded: string[][] = [];
  const traces = new Map<string, Trace>();
  const store = new MirrorStore({
    load: async (traceId, level) => {
      loads.push(`${level}:${traceId}`);
      return traces.get(traceId);
    },
    unwatch: (ids, toOutline) => void (toOutline ? downgraded : unwatched).push(ids),
    sync: async () => undefined,
    clear: async () => undefined,
    records: async () => ({ spans: [], logs: [] }),
    search: async () => ({ traceIds: [], complete: true, scanned: 0 }),
    panelState: async () => undefined,
  });
  return { store, loads, unwatched, downgraded, traces };
}

test('lists newest first, finds sessions and users oldest first, and counts sessions', () => {
  const { store } = mirror();
  const heard: string[][] = [];
  store.onDidChange((c) => heard.push(c.changed));
  store.apply(
    change({
      summaries: [
        summary('a', 1, { sessionId: 's1', userId: 'u' }),
        summary('b', 3, { sessionId: 's1' }),
        summary('c', 2, { sessionId: 's2', userId: 'u' }),
      ],
    }),
  );
  assert.deepEqual(
    store.list().map((s) => s.traceId),
    ['b', 'c', 'a'],
  );
  assert.deepEqual(
    store.findSession(' s1 ').map((s) => s.traceId),
    ['a', 'b'],
  );
  assert.deepEqual(
    store.findUser('u').map((s) => s.traceId),
    ['a', 'c'],
  );
  assert.deepEqual(store.sessions(), [
    { sessionId: 's1', traceCount: 2, lastMs: 3 },
    { sessionId: 's2', traceCount: 1, lastMs: 2 },
  ]);
  assert.deepEqual(heard, [['a', 'b', 'c']]);
  assert.ok(store.has('A'));
  assert.equal(store.getTrace('a'), undefined, 'summaries only until a trace is loaded');
  store.apply(change({ removed: ['b'] }));
  assert.deepEqual(
    store.list().map((s) => s.traceId),
    ['c', 'a'],
  );
  store.apply(change({ cleared: true }));
  assert.equal(store.size, 0);
});

test('a loaded trace is held and kept current; one asked for twice at once is fetched once', async () => {
  const { store, loads, traces } = mirror();
  const s = summary('a', 1);
  store.apply(change({ summaries: [s] }));
  traces.set('a', traceOf(s, 'first'));
  const [one, two] = await Promise.all([store.load('a', 'full'), store.load('A', 'full')]);
  assert.equal(one, two);
  assert.deepEqual(loads, ['full:a']);
  assert.equal(store.isWhole('a'), true);
  // The engine sends the whole trace again when it changes.
  const changed = traceOf(s, 'second');
  store.apply(change({ summaries: [s], full: [changed] }));
  assert.equal(store.getTrace('a'), changed);
  // Held now, so no second fetch.
  await store.load('a', 'full');
  assert.deepEqual(loads, ['full:a']);
  // A whole trace sent for a trace not loaded here is ignored.
  store.apply(change({ summaries: [summary('z', 9)], full: [traceOf(summary('z', 9))] }));
  assert.equal(store.getTrace('z'), undefined);
});

test('an outline kept here is refreshed from a whole trace the engine sends, without its content', async () => {
  const { store, traces } = mirror();
  const s = summary('a', 1);
  store.apply(change({ summaries: [s] }));
  traces.set('a', traceOf(s, 'short'));
  await store.load('a', 'outline');
  store.apply(change({ summaries: [s], full: [traceOf(s, 'x'.repeat(1000))] }));
  const held = store.getTrace('a')!;
  assert.equal(store.isWhole('a'), false);
  assert.deepEqual(held.spans[0]!.llm!.messages, []);
  assert.equal(held.spans[0]!.llm!.contentPending, true);
  assert.equal(held.spans[0]!.attributes.prompt, undefined, 'a long value is left out of an outline');
});

test('past its bounds the least recently loaded go, and the engine is told to stop sending them', async () => {
  const { store, traces, unwatched } = mirror();
  for (let i = 0; i < 20; i++) {
    const s = summary(`t${i}`, i);
    store.apply(change({ summaries: [s] }));
    traces.set(s.traceId, traceOf(s));
    await store.load(s.traceId, 'full');
  }
  // Sixteen whole traces are kept; the four loaded first are dropped and unwatched.
  assert.equal(store.isWhole('t0'), false);
  assert.equal(store.isWhole('t19'), true);
  assert.deepEqual(unwatched.flat(), ['t0', 't1', 't2', 't3']);
  assert.equal(store.size, 20, 'summaries stay');
});

test('an outline keeps short attributes, leaves long ones out, and keeps a sender’s __proto__ key plain', () => {
  const s = summary('a', 1);
  const trace = traceOf(s);
  const attributes: Record<string, unknown> = { short: 'x', count: 3, long: 'y'.repeat(300), list: ['a'] };
  Object.defineProperty(attributes, '__proto__', { value: 'evil', enumerable: true });
  trace.spans[0]!.attributes = attributes as Trace['spans'][number]['attributes'];
  const out = outlineOf(trace).spans[0]!.attributes;
  assert.deepEqual(Object.keys(out).sort(), ['__proto__', 'count', 'short']);
  assert.equal(Object.getPrototypeOf(out), Object.prototype);
  assert.equal(Object.getOwnPropertyDescriptor(out, '__proto__')?.value, 'evil');
  assert.equal(trace.spans[0]!.llm!.messages.length, 1, 'the trace itself is untouched');
});

test('a trace dropped from the whole ones but still in the tree is sent as an outline from then on', async () => {
  const { store, traces, unwatched, downgraded } = mirror();
  const first = summary('first', 0);
  store.apply(change({ summaries: [first] }));
  traces.set('first', traceOf(first));
  await store.load('first', 'outline');
  await store.load('first', 'full');
  for (let i = 0; i < 16; i++) {
    const s = summary(`t${i}`, i + 1);
    store.apply(change({ summaries: [s] }));
    traces.set(s.traceId, traceOf(s));
    await store.load(s.traceId, 'full');
  }
  assert.equal(store.isWhole('first'), false);
  assert.ok(store.getTrace('first'), 'its outline stays');
  assert.deepEqual(downgraded, [['first']]);
  assert.deepEqual(unwatched, []);
});
