// The engine without a worker: after each batch it stores it hands control to `between` (the worker answers
// the host's waiting requests there), and it answers requests made from inside that hook.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Summary } from '../../../src/core/aggregate';
import { nullLogger } from '../../../src/core/logger';
import type { SearchResult } from '../../../src/core/search';
import { IngestEngine } from '../../../src/engine/engine';
import type { ConversationState } from '../../../src/protocol/conversation';
import { buildConversationState } from '../../../src/views/conversationViewModel';
import type { ChangeMessage, EngineStats, ListenResult, WorkerMessage } from '../../../src/engine/protocol';
import { fixtureBatch, fixtureBody, fixtureEntries } from '../helpers/fixtures';
import { send } from '../otlp/helpers';

/** The captured Traceloop tool-calling turn (4 spans, two LLM calls). */
const toolsTurn = () =>
  fixtureEntries({ library: 'traceloop', scenario: 'tools', signal: 'traces', encoding: 'json' })[0]!;

/** An engine without a worker whose messages to the host are kept in `posted`, changes sent at once. */
function postingEngine(maxTraces: number): { engine: IngestEngine; posted: WorkerMessage[] } {
  const posted: WorkerMessage[] = [];
  const engine = new IngestEngine(
    { limits: { maxTraces }, sessionAttributes: [], userAttributes: [], debounceMs: 0 },
    (m) => void posted.push(m),
    nullLogger,
  );
  return { engine, posted };
}

test('after each stored batch the engine calls between(), where requests are answered at once', async () => {
  const posted: WorkerMessage[] = [];
  const answers: Promise<unknown>[] = [];
  let calls = 0;
  const engine: IngestEngine = new IngestEngine(
    { limits: { maxTraces: 100 }, sessionAttributes: [], userAttributes: [], debounceMs: 0 },
    (m) => void posted.push(m),
    nullLogger,
    {
      between: () => {
        calls++;
        answers.push(engine.handle({ op: 'stats' }));
      },
    },
  );
  try {
    const { port } = (await engine.handle({
      op: 'listen',
      settings: { host: '127.0.0.1', port: 0, maxRequestBytes: 1 << 24 },
    })) as ListenResult;
    const entries = fixtureEntries({ library: 'traceloop', signal: 'traces', encoding: 'json' }).slice(0, 3);
    for (const entry of entries) {
      const answer = await send(port, entry.path, {
        body: fixtureBody(entry),
        headers: { 'content-type': entry.contentType },
      });
      assert.equal(answer.status, 200);
    }
    assert.equal(calls, entries.length);
    // Each answer made inside the hook already counts the batch just stored.
    const stats = (await Promise.all(answers)) as EngineStats[];
    assert.deepEqual(
      stats.map((s) => s.received.requests),
      entries.map((_, i) => i + 1),
    );
  } finally {
    await engine.dispose();
  }
});

test('a watched trace is sent whole, as an outline once asked to, and not at all once unwatched', async () => {
  const { engine, posted } = postingEngine(100);
  try {
    const entry = toolsTurn();
    const batch = fixtureBatch(entry);
    const traceId = batch.spans[0]!.traceId;
    const again = (): ChangeMessage => {
      posted.length = 0;
      engine.ingest(fixtureBatch(entry));
      engine.store.flush();
      return posted.find((m): m is ChangeMessage => m.type === 'changes')!;
    };
    engine.ingest(batch);
    await engine.handle({ op: 'load', traceId, level: 'full' });
    let change = again();
    assert.deepEqual([change.full.length, change.outlines.length], [1, 0]);
    await engine.handle({ op: 'unwatch', traceIds: [traceId], toOutline: true });
    change = again();
    assert.deepEqual([change.full.length, change.outlines.length], [0, 1]);
    assert.equal(change.outlines[0]!.spans.find((s) => s.llm)!.llm!.contentPending, true);
    await engine.handle({ op: 'unwatch', traceIds: [traceId] });
    change = again();
    assert.deepEqual([change.full.length, change.outlines.length, change.summaries.length], [0, 0, 1]);
  } finally {
    await engine.dispose();
  }
});

test('records answers with the raw spans and log records of the traces asked for, as they arrived', async () => {
  const engine = new IngestEngine(
    { limits: { maxTraces: 100 }, sessionAttributes: [], userAttributes: [], debounceMs: 0 },
    () => undefined,
    nullLogger,
  );
  try {
    const traces = fixtureBatch(
      fixtureEntries({ library: 'otel-openai', scenario: 'chat', signal: 'traces', encoding: 'json' })[0]!,
    );
    const logs = fixtureBatch(
      fixtureEntries({ library: 'otel-openai', scenario: 'chat', signal: 'logs', encoding: 'json' })[0]!,
    );
    engine.ingest(traces);
    engine.ingest(logs);
    const traceId = traces.spans[0]!.traceId;
    const batch = (await engine.handle({
      op: 'records',
      traceIds: [traceId.toUpperCase(), 'ffffffffffffffffffffffffffffffff'],
    })) as { spans: unknown[]; logs: unknown[] };
    const ofTrace = <T extends { traceId?: string }>(xs: T[]) => xs.filter((x) => x.traceId === traceId);
    assert.deepEqual(batch.spans, ofTrace(traces.spans));
    assert.deepEqual(batch.logs, ofTrace(logs.logs));
    assert.ok(batch.logs.length > 0);
  } finally {
    await engine.dispose();
  }
});

test('panelState answers with the panel state the host would build from the whole trace, as UTF-8 JSON', async () => {
  const { engine } = postingEngine(100);
  try {
    const batch = fixtureBatch(toolsTurn());
    engine.ingest(batch);
    const traceId = batch.spans[0]!.traceId;
    const llmSpan = batch.spans.find((s) => s.attributes['gen_ai.operation.name'] === 'chat')!.spanId;
    const nowMs = 1_800_000_000_000;
    const json = (await engine.handle({
      op: 'panelState',
      traceId: traceId.toUpperCase(),
      spanId: llmSpan,
      nowMs,
      maxAttributeLength: 40,
    })) as Uint8Array;
    assert.ok(json instanceof Uint8Array);
    const state = JSON.parse(new TextDecoder().decode(json)) as ConversationState;
    const expected = buildConversationState(
      engine.store.getTrace(traceId),
      { traceId, spanId: llmSpan },
      nowMs,
      {},
      { maxAttributeLength: 40, windowCalls: true },
    );
    assert.deepEqual(state, JSON.parse(JSON.stringify(expected)));
    assert.ok(state.calls.length > 0 && state.calls.every((c) => c.llm.messages.length > 0));
    // Values are cut as the panel asked: the long tool definitions' JSON among them.
    assert.ok(JSON.stringify(state).includes('…'));
    const none = await engine.handle({
      op: 'panelState',
      traceId: 'ffffffffffffffffffffffffffffffff',
      nowMs,
      maxAttributeLength: 40,
    });
    assert.equal(none, undefined);
  } finally {
    await engine.dispose();
  }
});

test('search answers with the traces whose records hold the text, at most limit, only those asked for', async () => {
  const engine = new IngestEngine(
    { limits: { maxTraces: 100 }, sessionAttributes: [], userAttributes: [], debounceMs: 0 },
    () => undefined,
    nullLogger,
  );
  try {
    for (const scenario of ['chat', 'error', 'unicode'])
      for (const entry of fixtureEntries({ library: 'otel-openai', scenario, encoding: 'json' }))
        if (entry.signal !== 'metrics') engine.ingest(fixtureBatch(entry));
    const kyoto = engine.store.list().find((s) => s.sessionId === 'sess-kyoto-autumn')!.traceId;
    // The Japanese text is in the log records only.
    const found = (await engine.handle({ op: 'search', text: '京都' })) as SearchResult;
    assert.deepEqual(found, { traceIds: [kyoto], complete: true, scanned: 3 });
    const limited = (await engine.handle({ op: 'search', text: 'wayfarer', limit: 1 })) as SearchResult;
    assert.equal(limited.traceIds.length, 1);
    assert.equal(limited.complete, false);
    const some = (await engine.handle({ op: 'search', text: 'KYOTO', traceIds: [kyoto.toUpperCase()] })) as
      SearchResult | undefined;
    assert.deepEqual(some?.traceIds, [kyoto]);
  } finally {
    await engine.dispose();
  }
});

test('a burst of more traces than the store keeps warm sends their summaries without reading them again', async () => {
  const { engine, posted } = postingEngine(5000);
  try {
    const entry = toolsTurn();
    const template = fixtureBatch(entry);
    // 1,500 traces (the store keeps 1,000 warm) in one change.
    const spans = Array.from({ length: 1500 }, (_, i) => {
      const traceId = i.toString(16).padStart(32, '0');
      return template.spans.map((s) => ({ ...s, traceId }));
    }).flat();
    engine.ingest({ spans, logs: [] });
    let outlines = 0;
    const getOutline = engine.store.getOutline.bind(engine.store);
    engine.store.getOutline = (id) => (outlines++, getOutline(id));
    engine.store.flush();
    const change = posted.find((m): m is ChangeMessage => m.type === 'changes')!;
    assert.equal(change.summaries.length, 1500);
    assert.ok(change.summaries.every((s) => s.llmCallCount === 2));
    assert.equal(outlines, 0);
  } finally {
    await engine.dispose();
  }
});

test('GenAI metrics received over HTTP are summed beside the spans, kept across a replay, and cleared', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lti-engine-metrics-'));
  const options = {
    limits: { maxTraces: 100 },
    sessionAttributes: [],
    userAttributes: [],
    debounceMs: 0,
    persist: { dir, maxBytes: 10 * 1024 * 1024 },
  };
  const posted: WorkerMessage[] = [];
  const first = new IngestEngine(options, (m) => void posted.push(m), nullLogger);
  const entries = fixtureEntries({ library: 'otel-openai', scenario: 'sessions', encoding: 'protobuf' });
  const metrics = entries.filter((e) => e.signal === 'metrics');
  let expected: Summary['metrics'];
  try {
    const { port } = (await first.handle({
      op: 'listen',
      settings: { host: '127.0.0.1', port: 0, maxRequestBytes: 1 << 24 },
    })) as ListenResult;
    assert.equal(((await first.handle({ op: 'summarize', window: {} })) as Summary).metrics, undefined);
    for (const entry of metrics) {
      const answer = await send(port, entry.path, {
        body: fixtureBody(entry),
        headers: { 'content-type': entry.contentType },
      });
      assert.equal(answer.status, 200);
    }
    // A request of metrics alone tells the host that figures moved.
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(posted.some((m) => m.type === 'changes' && m.summaries.length === 0));
    const summary = (await first.handle({ op: 'summarize', window: {} })) as Summary;
    expected = summary.metrics;
    assert.equal(summary.totals.calls, 0, 'no spans came');
    assert.equal(expected?.totals.calls, 9);
    assert.equal(expected?.totals.errors, 1);
    assert.deepEqual(
      expected?.byModel.map((g) => g.key),
      ['gpt-4o-mini-2024-07-18', 'o4-mini-2025-04-16', 'gpt-4o-2024-08-06', 'gpt-4o'],
    );
  } finally {
    await first.dispose();
  }
  const second = new IngestEngine(options, () => undefined, nullLogger);
  try {
    await second.handle({ op: 'replay' });
    const replayed = (await second.handle({ op: 'summarize', window: {} })) as Summary;
    assert.deepEqual(replayed.metrics, expected, 'the request log brings the same figures back');
    // Replayed again over a live store (a worker started again): nothing counts twice.
    await second.handle({ op: 'replay' });
    assert.deepEqual(((await second.handle({ op: 'summarize', window: {} })) as Summary).metrics, expected);
    await second.handle({ op: 'clear' });
    assert.equal(((await second.handle({ op: 'summarize', window: {} })) as Summary).metrics, undefined);
  } finally {
    await second.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
