// The multi-turn `sessions` fixtures (test/fixtures/README.md): eight turns of three sessions of two users,
// one trace per turn, from each current instrumentation library. Loaded through the store, they must come
// back as the scenario defines them: the traces, sessions and users, the models, the failed turn, and the
// token usage of every call as the mock counted it, cached and reasoning tokens included where the library
// reports them. The GenAI metrics otel-openai recorded for the same turns are checked against it too.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createNormalizer } from '../../../src/core/genai/normalize';
import { TraceStore } from '../../../src/core/store';
import type { Span, TraceSummary, Usage } from '../../../src/core/model';
import * as protobuf from 'protobufjs';
import { OTLP_PROTO } from '../../../src/otlp/otlpProto';
import { fixtureBatch, fixturePayload, sessionsTurns, type FixtureEntry } from '../helpers/fixtures';

// ---- the scenario, as sample/scenarios.mjs defines it and test/fixtures/README.md documents it ----

interface Call {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  cachedInputTokens: number;
  reasoningTokens: number;
}

interface Turn {
  session: string;
  user: string;
  requestModel: string;
  responseModel: string;
  question: string;
  /** Messages of the first call: the system prompt, the session's turns so far, the question. */
  messages: number;
  /** The mock's usage per call; none when the call failed with HTTP 500. */
  calls: Call[];
  failed?: boolean;
}

const usage = (input: number, output: number, cached: number, reasoning: number): Call => ({
  inputTokens: input,
  outputTokens: output,
  totalTokens: input + output,
  cachedInputTokens: cached,
  reasoningTokens: reasoning,
});

const LISBON = { session: 'sess-lisbon-family', user: 'user-1042' };
const PORTO = { session: 'sess-porto-rail', user: 'user-2077' };
const KYOTO = { session: 'sess-kyoto-temples', user: 'user-1042' };
const MINI = { requestModel: 'gpt-4o-mini', responseModel: 'gpt-4o-mini-2024-07-18' };
const GPT4O = { requestModel: 'gpt-4o', responseModel: 'gpt-4o-2024-08-06' };
const O4MINI = { requestModel: 'o4-mini', responseModel: 'o4-mini-2025-04-16' };

const TURNS: Turn[] = [
  {
    ...LISBON,
    ...MINI,
    question:
      "We're visiting Lisbon with our two kids (7 and 10) from 11 to 13 July. What will they enjoy most?",
    messages: 2,
    calls: [usage(77, 78, 41, 0)],
  },
  {
    ...PORTO,
    ...GPT4O,
    question: 'What is the fastest train from Lisbon to Porto on a weekday morning?',
    messages: 2,
    calls: [usage(69, 62, 41, 0)],
  },
  {
    ...KYOTO,
    ...O4MINI,
    question:
      'Plan a relaxed first day in Kyoto in mid-October for someone who loves temples but hates crowds.',
    messages: 2,
    calls: [usage(76, 225, 41, 150)],
  },
  {
    ...LISBON,
    ...MINI,
    question: 'Will it be warm enough for a beach afternoon near Lisbon on 2025-07-12?',
    messages: 4,
    calls: [usage(271, 21, 41, 0), usage(342, 44, 41, 0)],
  },
  {
    ...PORTO,
    ...GPT4O,
    question: 'Please hold two seats on the 09:00 Alfa Pendular to Porto on 2025-05-02. [mock:http-500]',
    messages: 4,
    calls: [],
    failed: true,
  },
  {
    ...LISBON,
    ...MINI,
    question: "Great. How do we get from Lisbon to Cascais with the kids' stroller?",
    messages: 6,
    calls: [usage(250, 63, 41, 0)],
  },
  {
    ...PORTO,
    ...GPT4O,
    question: 'Trying again: is the 09:00 Alfa Pendular on 2025-05-02 usually fully booked?',
    messages: 4,
    calls: [usage(158, 57, 41, 0)],
  },
  {
    ...KYOTO,
    ...O4MINI,
    question: 'Which of those temples need a ticket booked in advance?',
    messages: 4,
    calls: [usage(173, 141, 41, 94)],
  },
];

/** What each library reports, as test/fixtures/README.md describes it. */
const LIBRARIES: Record<string, { usage: (keyof Call & keyof Usage)[]; failedCallExported: boolean }> = {
  'otel-openai': { usage: ['inputTokens', 'outputTokens'], failedCallExported: true },
  traceloop: { usage: ['inputTokens', 'outputTokens', 'totalTokens'], failedCallExported: false },
  openinference: {
    usage: ['inputTokens', 'outputTokens', 'totalTokens', 'cachedInputTokens', 'reasoningTokens'],
    failedCallExported: false,
  },
};

const ERROR_MESSAGE = 'The server had an error while processing your request. Sorry about that!';

// ---- helpers ----

function load(library: string, encoding: FixtureEntry['encoding']) {
  const store = new TraceStore({ maxTraces: 100, normalizer: createNormalizer(), debounceMs: 0 });
  const turns = sessionsTurns(library, encoding);
  // Each turn's trace id, from what that turn's requests carried.
  const traceIds = turns.map((entries) => {
    const ids = new Set<string>();
    for (const e of entries) {
      const batch = fixtureBatch(e);
      for (const s of batch.spans) ids.add(s.traceId);
      store.ingest(batch, 'otlp');
    }
    assert.equal(ids.size, 1, `${library} turn ${entries[0]!.turn}: one trace`);
    return [...ids][0]!;
  });
  return { store, turns, traceIds };
}

/** The LLM calls of a trace in call order (the app makes them one after another). */
function llmCalls(store: TraceStore, traceId: string): Span[] {
  return store
    .getTrace(traceId)!
    .spans.filter((s) => s.llm)
    .sort((a, b) => a.startMs - b.startMs);
}

function texts(span: Span, direction: 'input' | 'output'): string[] {
  return span
    .llm!.messages.filter((m) => m.direction === direction)
    .flatMap((m) => m.parts.flatMap((p) => (p.type === 'text' ? [`${m.role}: ${p.text}`] : [])));
}

// ---- the traces ----

for (const [library, lib] of Object.entries(LIBRARIES)) {
  for (const encoding of ['protobuf', 'json'] as const) {
    describe(`${library} sessions (${encoding})`, () => {
      const { store, turns, traceIds } = load(library, encoding);
      const summaryOf = (i: number): TraceSummary => store.summary(traceIds[i]!)!;

      it('is one trace per turn', () => {
        assert.equal(turns.length, TURNS.length);
        assert.equal(new Set(traceIds).size, TURNS.length);
        assert.equal(store.list().length, TURNS.length);
      });

      it('has the sessions and users of the scenario, with their turns', () => {
        const sessions = [...new Set(TURNS.map((t) => t.session))];
        assert.deepEqual(
          store
            .sessions()
            .map((s) => s.sessionId)
            .sort(),
          [...sessions].sort(),
        );
        for (const session of sessions) {
          const expected = traceIds.filter((_, i) => TURNS[i]!.session === session).sort();
          assert.deepEqual(
            store
              .findSession(session)
              .map((t) => t.traceId)
              .sort(),
            expected,
            session,
          );
        }
        for (const user of new Set(TURNS.map((t) => t.user))) {
          const expected = traceIds.filter((_, i) => TURNS[i]!.user === user).sort();
          assert.deepEqual(
            store
              .findUser(user)
              .map((t) => t.traceId)
              .sort(),
            expected,
            user,
          );
        }
        TURNS.forEach((t, i) => {
          assert.equal(summaryOf(i).sessionId, t.session, `turn ${i + 1}`);
          assert.equal(summaryOf(i).userId, t.user, `turn ${i + 1}`);
        });
      });

      it('names the models each turn used', () => {
        const seen = new Set(store.list().flatMap((s) => s.models));
        // A failed call has no response model: the trace names the one it asked for.
        const expected = TURNS.flatMap((t) =>
          !t.failed ? [t.responseModel] : lib.failedCallExported ? [t.requestModel] : [],
        );
        assert.deepEqual([...seen].sort(), [...new Set(expected)].sort());
        TURNS.forEach((t, i) => {
          for (const call of llmCalls(store, traceIds[i]!)) {
            assert.equal(call.llm!.requestModel, t.requestModel, `turn ${i + 1}`);
            if (!t.failed) assert.equal(call.llm!.responseModel, t.responseModel, `turn ${i + 1}`);
          }
        });
      });

      it('marks the failed turn, and only that one, with the API’s error', () => {
        TURNS.forEach((t, i) => {
          const summary = summaryOf(i);
          assert.equal(summary.hasError, t.failed === true, `turn ${i + 1}`);
          if (!t.failed) return;
          const trace = store.getTrace(traceIds[i]!)!;
          const root = trace.spans.find((s) => s.spanId === summary.rootSpanId)!;
          for (const s of [root, ...llmCalls(store, traceIds[i]!)]) {
            assert.equal(s.status.code, 'error', s.name);
            assert.ok(s.error?.message?.includes(ERROR_MESSAGE), `${s.name}: ${s.error?.message}`);
          }
          assert.equal(summary.llmCallCount, lib.failedCallExported ? 1 : 0);
        });
      });

      it('reads the token usage of every call, cached and reasoning tokens where the library sends them', () => {
        TURNS.forEach((t, i) => {
          const calls = llmCalls(store, traceIds[i]!);
          if (t.failed) {
            for (const c of calls) assert.deepEqual(c.llm!.usage, {}, `turn ${i + 1}`);
            return;
          }
          assert.equal(calls.length, t.calls.length, `turn ${i + 1}: calls`);
          const total: Usage = {};
          calls.forEach((c, k) => {
            const expected: Usage = {};
            for (const key of lib.usage) expected[key] = t.calls[k]![key];
            assert.deepEqual(c.llm!.usage, expected, `turn ${i + 1} call ${k + 1}`);
            for (const key of lib.usage) total[key] = (total[key] ?? 0) + expected[key]!;
          });
          assert.deepEqual(summaryOf(i).usage, total, `turn ${i + 1}: the trace's usage`);
        });
      });

      it('sends each session as one conversation: the earlier turns’ questions and answers come first', () => {
        const history = new Map<string, string[]>();
        TURNS.forEach((t, i) => {
          const calls = llmCalls(store, traceIds[i]!);
          const before = history.get(t.session) ?? [];
          if (calls.length > 0) {
            const input = texts(calls[0]!, 'input');
            assert.equal(input.length, t.messages, `turn ${i + 1}: messages`);
            assert.ok(input[0]!.startsWith('system: You are Wayfarer'), `turn ${i + 1}`);
            assert.deepEqual(input.slice(1), [...before, `user: ${t.question}`], `turn ${i + 1}`);
          }
          if (t.failed) return;
          // What the user saw is the last call's answer; a failed turn stays out of the history.
          const answer = texts(calls[calls.length - 1]!, 'output');
          assert.equal(answer.length, 1, `turn ${i + 1}: one answer`);
          history.set(t.session, [...before, `user: ${t.question}`, answer[0]!]);
        });
      });
    });
  }
}

// ---- the metrics ----

interface Point {
  metric: string;
  attributes: Record<string, string | number>;
  count: number;
  sum: number;
}

type AnyValue = { stringValue?: string; intValue?: string | number; doubleValue?: number };
interface MetricsRequest {
  resourceMetrics?: {
    scopeMetrics?: {
      scope?: { name?: string };
      metrics?: {
        name: string;
        unit?: string;
        histogram?: {
          aggregationTemporality?: number | string;
          dataPoints?: {
            attributes?: { key: string; value: AnyValue }[];
            count: string | number;
            sum?: number;
          }[];
        };
      }[];
    }[];
  }[];
}

/**
 * The receiver's schema declares metrics only down to their names (it counts them), so the histograms
 * are read here with opentelemetry-proto's field numbers (metrics/v1/metrics.proto) for what this test
 * looks at; the rest is skipped as unknown fields.
 */
const HISTOGRAM_PROTO = `
syntax = "proto3";
package histograms;
message ExportMetricsServiceRequest { repeated ResourceMetrics resource_metrics = 1; }
message ResourceMetrics { repeated ScopeMetrics scope_metrics = 2; }
message ScopeMetrics {
  opentelemetry.proto.common.v1.InstrumentationScope scope = 1;
  repeated Metric metrics = 2;
}
message Metric {
  string name = 1;
  string unit = 3;
  Histogram histogram = 9;
}
message Histogram {
  repeated HistogramDataPoint data_points = 1;
  int32 aggregation_temporality = 2;
}
message HistogramDataPoint {
  repeated opentelemetry.proto.common.v1.KeyValue attributes = 9;
  fixed64 count = 4;
  optional double sum = 5;
}
`;

let histogramRequest: protobuf.Type | undefined;
function histogramType(): protobuf.Type {
  if (!histogramRequest) {
    const root = new protobuf.Root();
    for (const source of [OTLP_PROTO, HISTOGRAM_PROTO]) protobuf.parse(source, root, { keepCase: false });
    root.resolveAll();
    histogramRequest = root.lookupType('histograms.ExportMetricsServiceRequest');
  }
  return histogramRequest;
}

/** The histogram data points of a metrics request, protobuf or JSON alike. */
function points(entry: FixtureEntry): Point[] {
  const body = fixturePayload(entry);
  let request: MetricsRequest;
  if (entry.encoding === 'json') request = JSON.parse(body.toString('utf8')) as MetricsRequest;
  else {
    const type = histogramType();
    request = type.toObject(type.decode(body), { longs: Number }) as MetricsRequest;
  }
  const out: Point[] = [];
  for (const rm of request.resourceMetrics ?? [])
    for (const sm of rm.scopeMetrics ?? []) {
      assert.equal(sm.scope?.name, '@opentelemetry/instrumentation-openai', entry.file);
      for (const m of sm.metrics ?? []) {
        // Delta temporality (AGGREGATION_TEMPORALITY_DELTA = 1): each request holds its own turn only.
        assert.equal(Number(m.histogram?.aggregationTemporality), 1, `${entry.file} ${m.name}`);
        for (const p of m.histogram?.dataPoints ?? []) {
          const attributes: Record<string, string | number> = {};
          for (const a of p.attributes ?? [])
            attributes[a.key] = a.value.stringValue ?? Number(a.value.intValue ?? a.value.doubleValue);
          out.push({ metric: m.name, attributes, count: Number(p.count), sum: Number(p.sum ?? 0) });
        }
      }
    }
  return out;
}

describe('otel-openai sessions metrics', () => {
  for (const encoding of ['protobuf', 'json'] as const) {
    it(`records duration and token histograms for every turn (${encoding})`, () => {
      const turns = sessionsTurns('otel-openai', encoding, { metrics: true }).map((entries) =>
        entries.filter((e) => e.signal === 'metrics'),
      );
      assert.equal(turns.length, TURNS.length);
      TURNS.forEach((t, i) => {
        assert.equal(turns[i]!.length, 1, `turn ${i + 1}: one metrics request`);
        const all = points(turns[i]![0]!);
        const durations = all.filter((p) => p.metric === 'gen_ai.client.operation.duration');
        const tokens = all.filter((p) => p.metric === 'gen_ai.client.token.usage');
        assert.equal(
          durations.reduce((n, p) => n + p.count, 0),
          t.failed ? 1 : t.calls.length,
          `turn ${i + 1}: a duration per call`,
        );
        for (const p of [...durations, ...tokens]) {
          assert.equal(p.attributes['gen_ai.operation.name'], 'chat');
          assert.equal(p.attributes['gen_ai.request.model'], t.requestModel, `turn ${i + 1}`);
        }
        assert.ok(
          durations.every((p) => p.sum > 0),
          'durations are measured',
        );
        if (t.failed) {
          assert.deepEqual(tokens, [], 'no tokens for the failed call');
          assert.equal(durations[0]!.attributes['error.type'], 'InternalServerError');
          assert.equal(durations[0]!.attributes['gen_ai.response.model'], undefined);
          return;
        }
        assert.ok(durations.every((p) => p.attributes['error.type'] === undefined));
        const byType = (type: string) => tokens.filter((p) => p.attributes['gen_ai.token.type'] === type);
        for (const [type, key] of [
          ['input', 'inputTokens'],
          ['output', 'outputTokens'],
        ] as const) {
          const [p, ...more] = byType(type);
          assert.ok(p && more.length === 0, `turn ${i + 1}: one ${type} point`);
          assert.equal(p.attributes['gen_ai.response.model'], t.responseModel);
          assert.equal(p.count, t.calls.length, `turn ${i + 1} ${type}: a measurement per call`);
          assert.equal(
            p.sum,
            t.calls.reduce((n, c) => n + c[key], 0),
            `turn ${i + 1} ${type} tokens`,
          );
        }
      });
    });
  }
});
