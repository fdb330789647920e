// The ingest engine in a real worker thread, driven through the host's client: requests over real HTTP
// reach the worker's store, the host's mirror hears summaries only, outlines and whole traces come when
// asked for and stay up to date, a taken port comes back as the typed error, Clear clears both sides, and
// a kept request log is replayed in the worker.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryLogger } from '../../../src/core/logger';
import { LocalSource } from '../../../src/core/source';
import { EngineClient, type EngineClientOptions } from '../../../src/engine/client';
import type { EngineOptions } from '../../../src/engine/protocol';
import { PortInUseError } from '../../../src/otlp/httpReceiver';
import { fixtureBody, fixtureEntries, type FixtureEntry } from '../helpers/fixtures';
import { send } from '../otlp/helpers';
import type { ConversationState } from '../../../src/protocol/conversation';

const workerPath = join(__dirname, '..', '..', '..', 'src', 'engine', 'tsWorker.cjs');

function client(
  engine: Partial<EngineOptions> = {},
  logger = new MemoryLogger(),
  more: Partial<Omit<EngineClientOptions, 'engine' | 'logger'>> = {},
): EngineClient {
  return new EngineClient({
    workerPath,
    engine: {
      limits: { maxTraces: 1000 },
      sessionAttributes: [],
      userAttributes: [],
      debounceMs: 20,
      ...engine,
    },
    logger,
    ...more,
  });
}

const settings = { host: '127.0.0.1', port: 0, maxRequestBytes: 20 * 1024 * 1024 };

function post(port: number, entry: FixtureEntry): ReturnType<typeof send> {
  const headers: Record<string, string> = { 'content-type': entry.contentType };
  if (entry.contentEncoding) headers['content-encoding'] = entry.contentEncoding;
  return send(port, entry.path, { body: fixtureBody(entry), headers });
}

async function until<T>(what: string, probe: () => T | undefined | false, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const tools = fixtureEntries({
  library: 'traceloop',
  scenario: 'tools',
  signal: 'traces',
  encoding: 'protobuf',
});

test('requests received in the worker reach the host as summaries; content comes only when asked for', async () => {
  const engine = client();
  try {
    const { port } = await engine.listen(settings);
    for (const entry of tools) assert.equal((await post(port, entry)).status, 200);
    const [summary] = await until('a summary', () => engine.mirror.list().length > 0 && engine.mirror.list());
    assert.ok(summary!.llmCallCount > 0);
    // Summaries only: no spans are held until the trace is asked for.
    assert.equal(engine.mirror.getTrace(summary!.traceId), undefined);

    const outline = await engine.mirror.load(summary!.traceId, 'outline');
    assert.ok(outline);
    const call = outline.spans.find((s) => s.llm)!;
    assert.equal(call.llm!.contentPending, true);
    assert.deepEqual(call.llm!.messages, []);
    assert.equal(engine.mirror.isWhole(summary!.traceId), false);

    // A panel's first state is built in the worker and crosses as bytes, holding the messages; the
    // trace itself stays in the worker until it is asked for whole.
    const json = await engine.mirror.panelState(summary!.traceId, { maxAttributeLength: 2000 });
    assert.ok(json instanceof Uint8Array);
    const state = JSON.parse(new TextDecoder().decode(json)) as ConversationState;
    assert.equal(state.trace?.traceId, summary!.traceId);
    assert.ok(state.calls.some((c) => c.llm.messages.length > 0));
    assert.equal(engine.mirror.isWhole(summary!.traceId), false);

    const whole = await engine.mirror.load(summary!.traceId, 'full');
    const wholeCall = whole!.spans.find((s) => s.spanId === call.spanId)!;
    assert.ok(wholeCall.llm!.messages.length > 0, 'the whole trace carries the messages');
    assert.equal(wholeCall.llm!.contentPending, undefined);
    assert.equal(engine.mirror.isWhole(summary!.traceId), true);
    // The same span reads the same in both, content aside.
    assert.equal(wholeCall.name, call.name);
    assert.deepEqual(wholeCall.llm!.usage, call.llm!.usage);

    const stats = await engine.stats();
    assert.equal(stats.store.traces, 1);
    assert.equal(stats.store.spans, outline.spans.length);
    assert.equal(stats.received.spans, outline.spans.length);
  } finally {
    await engine.dispose();
  }
});

test('the summary is added up in the worker and reaches the host through the local source', async () => {
  const engine = client();
  try {
    const { port } = await engine.listen(settings);
    for (const entry of tools) assert.equal((await post(port, entry)).status, 200);
    const [trace] = await until('a summary', () => engine.mirror.list().length > 0 && engine.mirror.list());
    const source = new LocalSource(engine.mirror);
    const all = await source.summarize({});
    assert.equal(all.totals.calls, trace!.llmCallCount);
    assert.equal(all.totals.inputTokens, trace!.usage.inputTokens);
    assert.equal(all.totals.outputTokens, trace!.usage.outputTokens);
    assert.deepEqual(
      all.byModel.map((g) => [g.key, g.calls]),
      [['gpt-4o-mini-2024-07-18', trace!.llmCallCount]], // the response model: what answered
    );
    assert.ok(all.totals.p99Ms! > 0);
    // A window that ends before the calls started holds none of them.
    const before = await source.summarize({ fromMs: 0, toMs: trace!.startMs - 1 });
    assert.equal(before.totals.calls, 0);
  } finally {
    await engine.dispose();
  }
});

test('the host searches the worker store: the traces whose records hold the text', async () => {
  const engine = client();
  try {
    const { port } = await engine.listen(settings);
    for (const entry of tools) assert.equal((await post(port, entry)).status, 200);
    const [summary] = await until('a summary', () => engine.mirror.list().length > 0 && engine.mirror.list());
    const found = await engine.mirror.search(summary!.name.toUpperCase());
    assert.deepEqual(found, { traceIds: [summary!.traceId], complete: true, scanned: 1 });
    assert.deepEqual((await engine.mirror.search('zanzibar', { traceIds: [summary!.traceId] })).traceIds, []);
  } finally {
    await engine.dispose();
  }
});

test('a watched trace stays up to date as more of it arrives', async () => {
  const engine = client();
  try {
    const { port } = await engine.listen(settings);
    const entries = fixtureEntries({ library: 'otel-openai', scenario: 'tools', encoding: 'json' });
    // The spans first, then the log records that carry the messages.
    const [first, ...rest] = [...entries].sort((a, b) =>
      a.signal === 'traces' ? -1 : b.signal === 'traces' ? 1 : 0,
    );
    assert.ok(first && rest.length > 0, 'the scenario has trace and log requests');
    await post(port, first);
    const [summary] = await until('a summary', () => engine.mirror.list().length > 0 && engine.mirror.list());
    const before = await engine.mirror.load(summary!.traceId, 'full');
    const messagesBefore = before!.spans.reduce((n, s) => n + (s.llm?.messages.length ?? 0), 0);
    for (const entry of rest) await post(port, entry);
    await engine.mirror.sync();
    const after = engine.mirror.getTrace(summary!.traceId)!;
    const messagesAfter = after.spans.reduce((n, s) => n + (s.llm?.messages.length ?? 0), 0);
    assert.ok(
      messagesAfter > messagesBefore,
      `the log records joined: ${messagesBefore} -> ${messagesAfter}`,
    );
  } finally {
    await engine.dispose();
  }
});

test('a taken port is the typed error, and the engine keeps serving', async () => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const taken = (blocker.address() as net.AddressInfo).port;
  const engine = client();
  try {
    await assert.rejects(engine.listen({ ...settings, port: taken }), (err: unknown) => {
      assert.ok(err instanceof PortInUseError);
      assert.equal(err.port, taken);
      return true;
    });
    const { port } = await engine.listen(settings);
    assert.equal((await post(port, tools[0]!)).status, 200);
    await until('a summary', () => engine.mirror.size > 0);
  } finally {
    await engine.dispose();
    blocker.close();
  }
});

test('gRPC on a taken port is reported, while HTTP listens', async () => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const taken = (blocker.address() as net.AddressInfo).port;
  const engine = client();
  try {
    const result = await engine.listen({ ...settings, grpcPort: taken });
    assert.equal(result.grpcPort, undefined);
    assert.equal(result.grpcProblem?.kind, 'portInUse');
    assert.equal(result.grpcProblem?.port, taken);
    assert.ok(result.port > 0);
  } finally {
    await engine.dispose();
    blocker.close();
  }
});

test('Clear empties the worker store, the mirror and the kept requests; a restart replays what was kept', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lti-engine-'));
  const persist = { dir, maxBytes: 10 * 1024 * 1024 };
  try {
    const first = client({ persist });
    const { port } = await first.listen(settings);
    for (const entry of tools) await post(port, entry);
    await until('a summary', () => first.mirror.size > 0);
    const traceId = first.mirror.list()[0]!.traceId;
    await first.dispose();

    const replayed: number[] = [];
    const second = client({ persist }, new MemoryLogger(), { onReplayed: (r) => replayed.push(r.spans) });
    try {
      await second.replay();
      await second.mirror.sync();
      assert.deepEqual(
        second.mirror.list().map((s) => s.traceId),
        [traceId],
      );
      assert.ok(replayed[0]! > 0);
      // Stored again, but not counted as received: the status bar counts what apps sent since the start.
      const afterReplay = await second.stats();
      assert.equal(afterReplay.store.spans, replayed[0]);
      assert.equal(afterReplay.received.spans, 0);
      await second.mirror.clear();
      await second.mirror.sync();
      assert.equal(second.mirror.size, 0);
      assert.equal((await second.stats()).store.traces, 0);
    } finally {
      await second.dispose();
    }

    const third = client({ persist });
    try {
      await third.replay();
      await third.mirror.sync();
      assert.equal(third.mirror.size, 0, 'nothing comes back after Clear');
    } finally {
      await third.dispose();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('log lines of the worker reach the host logger; dispose frees the port', async () => {
  const logger = new MemoryLogger();
  const engine = client({}, logger);
  const { port } = await engine.listen(settings);
  assert.equal(
    (
      await send(port, '/v1/traces', {
        body: 'not protobuf',
        headers: { 'content-type': 'application/x-protobuf' },
      })
    ).status,
    400,
  );
  await until('a log line', () => logger.lines.some((l) => l.message.includes('[receiver]')));
  await engine.dispose();
  // The port is free again: something else can listen on it.
  const again = net.createServer();
  await new Promise<void>((resolve, reject) => {
    again.once('error', reject);
    again.listen(port, '127.0.0.1', resolve);
  });
  again.close();
});

test('sent far more than its byte budget, the engine keeps within it: oldest whole traces go first', async () => {
  const budget = 1024 * 1024;
  const engine = client({ limits: { maxTraces: 100_000, maxBytes: budget } });
  try {
    const { port } = await engine.listen(settings);
    const entry = fixtureEntries({
      library: 'traceloop',
      scenario: 'tools',
      signal: 'traces',
      encoding: 'json',
    })[0]!;
    const template = fixtureBody(entry).toString('utf8');
    const traceIds: string[] = [];
    let sentBytes = 0;
    for (let i = 0; i < 300; i++) {
      const traceId = randomBytes(16).toString('hex');
      traceIds.push(traceId);
      const body = template.replace(/"traceId":"[0-9a-f]{32}"/g, `"traceId":"${traceId}"`);
      sentBytes += body.length;
      const answer = await send(port, '/v1/traces', {
        body,
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(answer.status, 200);
    }
    await engine.mirror.sync();
    const { store } = await engine.stats();
    assert.ok(sentBytes > 2 * budget, `sent ${sentBytes} bytes`);
    assert.ok(store.bytes <= budget, `kept ${store.bytes} bytes within ${budget}`);
    assert.ok(store.evictedTraces > 0);
    assert.equal(store.traces + store.evictedTraces, traceIds.length);
    // The newest are kept, the oldest went, and the mirror agrees with the engine.
    assert.ok(engine.mirror.has(traceIds.at(-1)!));
    assert.ok(!engine.mirror.has(traceIds[0]!));
    assert.equal(engine.mirror.size, store.traces);
  } finally {
    await engine.dispose();
  }
});

test('a worker that dies is started again and says so; the host can listen again', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lti-engine-die-'));
  process.env.LTI_TEST_DIE_ONCE = join(dir, 'died');
  const logger = new MemoryLogger();
  const restarted: string[] = [];
  const engine = client({}, logger, {
    workerPath: join(__dirname, 'dyingWorker.cjs'),
    onRestarted: (reason) => restarted.push(reason),
  });
  try {
    await until('the restart', () => restarted.length > 0);
    assert.deepEqual(restarted, ['exit code 3']);
    assert.ok(
      logger.lines.some((l) => l.level === 'error' && /exit code 3; starting it again/.test(l.message)),
    );
    const { port } = await engine.listen(settings);
    assert.equal((await post(port, tools[0]!)).status, 200);
    await until('a summary', () => engine.mirror.size > 0);
  } finally {
    delete process.env.LTI_TEST_DIE_ONCE;
    await engine.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('keeping requests turned on while running keeps what comes next; turned off, deletes what was kept', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lti-engine-persist-'));
  const persist = { dir, maxBytes: 10 * 1024 * 1024 };
  const kept = (): string[] => readdirSync(dir).filter((f) => f.endsWith('.log'));
  const engine = client();
  try {
    const { port } = await engine.listen(settings);
    await post(port, tools[0]!);
    assert.deepEqual(kept(), [], 'nothing kept while off');
    await engine.configure({ persist });
    await post(port, tools[0]!);
    assert.equal(kept().length, 1, 'kept from now on');
    // Another budget keeps the same files.
    await engine.configure({ persist: { dir, maxBytes: 20 * 1024 * 1024 } });
    assert.equal(kept().length, 1);
    await engine.configure({ persist: null });
    assert.deepEqual(kept(), [], 'turned off: what was kept is deleted');
    await post(port, tools[0]!);
    assert.deepEqual(kept(), []);
    // The traces in memory stay.
    await engine.mirror.sync();
    assert.equal(engine.mirror.size, 1);
  } finally {
    await engine.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
