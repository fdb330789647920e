// The normalizer on what the real instrumentation libraries sent (test/fixtures, captured by
// sample/captureFixtures.mjs): every library, scenario and encoding is decoded, ingested into a TraceStore
// and read back as the conversation the view will show. The expected texts, tool calls and token counts
// are the scenario's documented inputs and the mock model's documented answers (test/fixtures/README.md),
// not values read back from the normalizer.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createNormalizer } from '../../../src/core/genai/normalize';
import { TraceStore } from '../../../src/core/store';
import type { Message, MessageOrigin, Span, Trace, Usage } from '../../../src/core/model';
import type { TelemetryBatch } from '../../../src/core/records';
import { fixtureBatch, fixtureEntries, type FixtureEntry } from '../helpers/fixtures';

// ---- the scenarios, as test/fixtures/README.md documents them ----

const SYSTEM =
  'You are Wayfarer, the travel assistant of the Wayfarer Trips app. Answer briefly and concretely, use the get_weather tool for forecasts, and never invent bookings.';
const LISBON_Q = "We're flying to Lisbon for the weekend of 14 June. What should we not miss?";
const LISBON_A =
  'Lisbon is easy to enjoy in a weekend: spend Saturday morning in Alfama and at the Castelo de São Jorge, take tram 28 to Estrela in the afternoon, and keep Sunday for Belém (the Jerónimos Monastery and pastéis de nata).';
const RAIN_Q = 'Will it rain in Lisbon on Saturday (2025-06-14)? We want to spend the whole day outdoors.';
const CALL_ID = 'call_AWA4etsk3hbYqDMlfnt863BR';
const CALL_ARGS = '{"city":"Lisbon","date":"2025-06-14"}';
const TOOL_RESULT =
  '{"city":"Lisbon","date":"2025-06-14","summary":"sunny","high_c":24,"low_c":16,"rain_chance":0.05}';
const RAIN_A =
  'Lisbon on 2025-06-14 looks sunny: highs around 24 °C, lows near 16 °C and a 5% chance of rain. A good day to explore on foot: pack sunscreen and a light jacket for the evening.';
const PORTO_Q = 'Please move my Porto train on 2025-05-02 to the 09:05 departure. [mock:http-500]';
const ERROR_MESSAGE = 'The server had an error while processing your request. Sorry about that!';
const PACK_Q = 'What should I pack for three days in Porto at the end of May?';
const PACK_A =
  'For three days in Porto in late spring, pack: a light rain jacket, comfortable walking shoes for the hills, two layers for cool evenings by the Douro, a travel adapter (type F) and a reusable water bottle.';
const KYOTO_Q =
  'Wir sind im Oktober drei Tage in Kyoto (京都). Was sollten wir an einem Tag unbedingt sehen? 🙏🍁';
const KYOTO_A =
  'Gern! Für einen Herbsttag in Kyoto (京都): Morgens zum Fushimi Inari-Taisha (伏見稲荷大社), bevor die Gruppen kommen, mittags Yudōfu in Arashiyama (嵐山) und abends durch Gion (祇園) schlendern. 🍁⛩️🍵 Viel Spaß –楽しい旅を！';
const LARGE_Q_START =
  'Here is the booking export from our agency account (CSV). Can you summarise it for me?\n\nbooking_id,created,destination,hotel,check_in,nights,travellers,total_eur,status\n';
const LARGE_Q_LENGTH = 300126;
const LARGE_A =
  'I went through all 4037 bookings in the export. Most trips are short city breaks (2–4 nights), Lisbon and Porto are the most booked destinations, and the cancellations cluster around the spring holidays. Want me to list the cancelled ones?';

/** A message as `role: text`, tool calls as `role: call id name(args)`, tool results as `tool id: result`. */
type Line = string;

interface Call {
  input: Line[];
  output: Line[];
  finish?: string;
  responseId?: string;
  responseModel?: string;
  usage?: Required<Omit<Usage, 'cacheCreationInputTokens'>>;
}

interface Scenario {
  session: string;
  user: string;
  requestModel: string;
  calls: Call[];
  /** The call failed with HTTP 500. */
  failed?: boolean;
  streamed?: boolean;
}

const toolCallLine = `assistant: call ${CALL_ID} get_weather(${CALL_ARGS})`;
const lisbonHistory = [`system: ${SYSTEM}`, `user: ${LISBON_Q}`, `assistant: ${LISBON_A}`, `user: ${RAIN_Q}`];

const SCENARIOS: Record<string, Scenario> = {
  chat: {
    session: 'sess-lisbon-weekend',
    user: 'user-1042',
    requestModel: 'gpt-4o-mini',
    calls: [
      {
        input: [`system: ${SYSTEM}`, `user: ${LISBON_Q}`],
        output: [`assistant: ${LISBON_A}`],
        finish: 'stop',
        responseId: 'chatcmpl-LqC958NoKbSUHUJImxJHJ92ebaOQF',
        responseModel: 'gpt-4o-mini-2024-07-18',
        usage: {
          inputTokens: 71,
          outputTokens: 55,
          totalTokens: 126,
          cachedInputTokens: 41,
          reasoningTokens: 0,
        },
      },
    ],
  },
  tools: {
    session: 'sess-lisbon-weekend',
    user: 'user-1042',
    requestModel: 'gpt-4o-mini',
    calls: [
      {
        input: lisbonHistory,
        output: [toolCallLine],
        finish: 'tool_calls',
        responseId: 'chatcmpl-0O03D6lxKx5eyAwFG9wLMOIz3r1H0',
        responseModel: 'gpt-4o-mini-2024-07-18',
        usage: {
          inputTokens: 247,
          outputTokens: 21,
          totalTokens: 268,
          cachedInputTokens: 41,
          reasoningTokens: 0,
        },
      },
      {
        input: [...lisbonHistory, toolCallLine, `tool ${CALL_ID}: ${TOOL_RESULT}`],
        output: [`assistant: ${RAIN_A}`],
        finish: 'stop',
        responseId: 'chatcmpl-M8aVEWvB27vt8FjbLB66etrNOxH0A',
        responseModel: 'gpt-4o-mini-2024-07-18',
        usage: {
          inputTokens: 318,
          outputTokens: 44,
          totalTokens: 362,
          cachedInputTokens: 41,
          reasoningTokens: 0,
        },
      },
    ],
  },
  error: {
    session: 'sess-porto-trip',
    user: 'user-2077',
    requestModel: 'gpt-4o-mini',
    failed: true,
    calls: [{ input: [`system: ${SYSTEM}`, `user: ${PORTO_Q}`], output: [] }],
  },
  stream: {
    session: 'sess-porto-trip',
    user: 'user-2077',
    requestModel: 'gpt-4o-mini',
    streamed: true,
    calls: [
      {
        input: [`system: ${SYSTEM}`, `user: ${PACK_Q}`],
        output: [`assistant: ${PACK_A}`],
        finish: 'stop',
        responseId: 'chatcmpl-qEBhU3y449YUDT2ucAGEjteBuGNnL',
        responseModel: 'gpt-4o-mini-2024-07-18',
        usage: {
          inputTokens: 68,
          outputTokens: 52,
          totalTokens: 120,
          cachedInputTokens: 41,
          reasoningTokens: 0,
        },
      },
    ],
  },
  unicode: {
    session: 'sess-kyoto-autumn',
    user: 'user-3318',
    requestModel: 'o4-mini',
    calls: [
      {
        input: [`system: ${SYSTEM}`, `user: ${KYOTO_Q}`],
        output: [`assistant: ${KYOTO_A}`],
        finish: 'stop',
        responseId: 'chatcmpl-tooLF1L4dBVO4EjwUVBakR5voWq6F',
        responseModel: 'o4-mini-2025-04-16',
        usage: {
          inputTokens: 76,
          outputTokens: 156,
          totalTokens: 232,
          cachedInputTokens: 41,
          reasoningTokens: 104,
        },
      },
    ],
  },
  large: {
    session: 'sess-porto-trip',
    user: 'user-2077',
    requestModel: 'gpt-4.1-mini',
    calls: [
      {
        // The 300 kB user message is checked apart (length and beginning); here it stands as its start.
        input: [`system: ${SYSTEM}`, `user: ${LARGE_Q_START}`],
        output: [`assistant: ${LARGE_A}`],
        finish: 'stop',
        responseId: 'chatcmpl-5R0imJHEUSMRz7Xit6MriyHLB5Wxv',
        responseModel: 'gpt-4.1-mini-2025-04-14',
        usage: {
          inputTokens: 75084,
          outputTokens: 60,
          totalTokens: 75144,
          cachedInputTokens: 41,
          reasoningTokens: 0,
        },
      },
    ],
  },
};

// ---- what each library reports, as the README describes it ----

interface Library {
  /** Where the messages come from. */
  origin: MessageOrigin;
  /** Usage fields the library reports. */
  usage: (keyof NonNullable<Call['usage']>)[];
  /** How it spells the tool-call finish reason. */
  toolCallFinish: string;
  /** Exports the failed LLM span. */
  failedCallExported: boolean;
  /** Puts session and user on the LLM spans themselves (else only on the app's parent span). */
  sessionOnCalls: boolean;
  responseIds: boolean;
  toolDefinitions: boolean;
  /** Streaming: usage as the mock counted it, none at all, or the library's own count. */
  streamUsage: 'mock' | 'none' | 'own';
  /** Streaming: the response model is known. */
  streamResponseModel: boolean;
  /**
   * Tool calls keep their ids and the assistant's tool-call turn stays in the next call's history.
   * OpenLLMetry 0.22 dropped both: the view can only show what was sent.
   */
  toolCallIds: boolean;
  /** error.type of the failed call, when the library says something meaningful. */
  errorType?: string;
}

const LIBRARIES: Record<string, Library> = {
  'otel-openai': {
    origin: 'logRecord',
    usage: ['inputTokens', 'outputTokens'],
    toolCallFinish: 'tool_calls',
    failedCallExported: true,
    sessionOnCalls: false,
    responseIds: true,
    toolDefinitions: false,
    streamUsage: 'mock',
    streamResponseModel: true,
    toolCallIds: true,
    errorType: 'InternalServerError',
  },
  'azure-ai-inference': {
    origin: 'spanEvent',
    usage: ['inputTokens', 'outputTokens'],
    toolCallFinish: 'tool_calls',
    failedCallExported: true,
    sessionOnCalls: false,
    responseIds: true,
    toolDefinitions: false,
    streamUsage: 'mock',
    streamResponseModel: true,
    toolCallIds: true,
  },
  traceloop: {
    origin: 'attribute',
    usage: ['inputTokens', 'outputTokens', 'totalTokens'],
    toolCallFinish: 'tool_call',
    failedCallExported: false,
    sessionOnCalls: true,
    responseIds: true,
    toolDefinitions: true,
    streamUsage: 'own',
    streamResponseModel: true,
    toolCallIds: true,
  },
  openinference: {
    origin: 'flattenedAttribute',
    usage: ['inputTokens', 'outputTokens', 'totalTokens', 'cachedInputTokens', 'reasoningTokens'],
    toolCallFinish: 'tool_calls',
    failedCallExported: false,
    sessionOnCalls: false,
    responseIds: false,
    toolDefinitions: true,
    streamUsage: 'none',
    streamResponseModel: false,
    toolCallIds: true,
  },
  'traceloop-legacy': {
    origin: 'flattenedAttribute',
    usage: ['inputTokens', 'outputTokens', 'totalTokens'],
    toolCallFinish: 'tool_calls',
    failedCallExported: false,
    sessionOnCalls: true,
    responseIds: false,
    toolDefinitions: true,
    streamUsage: 'own',
    streamResponseModel: true,
    toolCallIds: false,
  },
};

/** The expected lines as a library that loses tool-call ids and turns can report them. */
function asReported(lines: Line[], lib: Library | undefined): Line[] {
  if (!lib || lib.toolCallIds) return lines;
  return lines.filter((l) => l !== toolCallLine).map((l) => l.replace(CALL_ID, '-'));
}

// ---- helpers ----

function line(m: Message): Line[] {
  return m.parts.map((p) => {
    switch (p.type) {
      case 'text':
        return `${m.role}: ${p.text}`;
      case 'toolCall':
        return `${m.role}: call ${p.id ?? '-'} ${p.name}(${p.arguments})`;
      case 'toolResult':
        return `${m.role} ${p.id ?? '-'}: ${p.result}`;
      default:
        return `${m.role}: <${p.type}>`;
    }
  });
}

function shorten(lines: Line[]): Line[] {
  return lines.map((l) => (l.length > 2000 ? l.slice(0, `user: ${LARGE_Q_START}`.length) : l));
}

function entriesFor(library: string, scenario: string, encoding: FixtureEntry['encoding']): FixtureEntry[] {
  return fixtureEntries({ library, scenario, encoding }).filter((e) => e.signal !== 'metrics');
}

function ingest(batches: TelemetryBatch[]): { store: TraceStore; trace: Trace } {
  const store = new TraceStore({ maxTraces: 50, normalizer: createNormalizer(), debounceMs: 0 });
  for (const b of batches) store.ingest(b, 'otlp');
  const list = store.list();
  assert.equal(list.length, 1, 'each fixture turn is one trace');
  return { store, trace: store.getTrace(list[0]!.traceId)! };
}

function llmCalls(trace: Trace): Span[] {
  return trace.spans.filter((s) => s.llm);
}

const libraries = [...new Set(fixtureEntries().map((e) => e.library))].sort();
// The single-turn scenarios; the multi-turn `sessions` (one trace per turn) has sessionsFixtures.test.ts.
const scenarios = [
  ...new Set(
    fixtureEntries()
      .filter((e) => e.turn === undefined)
      .map((e) => e.scenario),
  ),
].sort();

describe('fixtures from real instrumentation libraries', () => {
  it('cover the libraries and scenarios these tests know', () => {
    for (const l of Object.keys(LIBRARIES)) assert.ok(libraries.includes(l), `no fixtures for ${l}`);
    // A library without a description here would only get the generic checks: describe it first.
    for (const l of libraries) assert.ok(LIBRARIES[l], `describe ${l} in LIBRARIES`);
    for (const s of Object.keys(SCENARIOS)) assert.ok(scenarios.includes(s), `no fixtures for scenario ${s}`);
  });

  for (const library of libraries) {
    const lib = LIBRARIES[library];
    for (const scenario of scenarios) {
      const sc = SCENARIOS[scenario];
      for (const encoding of ['protobuf', 'json'] as const) {
        const entries = entriesFor(library, scenario, encoding);
        if (entries.length === 0) continue;
        it(`${library} ${scenario} (${encoding})`, () => {
          assert.ok(sc, `scenario ${scenario} is not described in this test`);
          const { store, trace } = ingest(entries.map(fixtureBatch));
          const summary = trace.summary;

          // Session and user: on the trace always; on the calls only where the library puts them.
          assert.equal(summary.sessionId, sc.session);
          assert.equal(summary.userId, sc.user);
          assert.deepEqual(
            store.findSession(sc.session).map((t) => t.traceId),
            [summary.traceId],
          );
          assert.deepEqual(
            store.findUser(sc.user).map((t) => t.traceId),
            [summary.traceId],
          );

          const calls = llmCalls(trace);
          const expectCalls = sc.failed && lib && !lib.failedCallExported ? [] : sc.calls;
          assert.equal(calls.length, expectCalls.length, 'LLM calls');
          assert.equal(summary.llmCallCount, expectCalls.length);

          if (sc.failed) {
            assert.equal(summary.hasError, true);
            const failed = trace.spans.filter((s) => s.status.code === 'error');
            assert.ok(
              failed.length > 0 && failed.every((s) => s.error !== undefined),
              'every failed span has an error',
            );
            // The app's own span and the call (where exported) carry the 500's text; a transport span
            // below them may only know the status code.
            const root = trace.spans.find((s) => s.spanId === summary.rootSpanId)!;
            for (const s of [root, ...llmCalls(trace)])
              assert.ok(
                s.error?.message?.includes(ERROR_MESSAGE),
                `the 500 message reaches ${s.name}: ${s.error?.message}`,
              );
          } else {
            assert.equal(summary.hasError, false);
          }

          const total: Usage = {};
          calls.forEach((span, i) => {
            const call = expectCalls[i]!;
            const llm = span.llm!;
            const messages = llm.messages;
            const inputs = messages.filter((m) => m.direction === 'input').flatMap(line);
            const outputs = messages.filter((m) => m.direction === 'output').flatMap(line);
            // A tool call the model answered with is kept even where history drops it (see asReported).
            const expectedInput = lib && !lib.toolCallIds ? asReported(call.input, lib) : call.input;
            const expectedOutput =
              lib && !lib.toolCallIds ? call.output.map((l) => l.replace(CALL_ID, '-')) : call.output;
            assert.deepEqual(shorten(inputs), expectedInput, `call ${i + 1} input`);
            assert.deepEqual(outputs, expectedOutput, `call ${i + 1} output`);
            assert.equal(llm.requestModel, sc.requestModel);
            assert.equal(llm.missingContent, undefined);

            if (sc.failed) {
              assert.equal(span.status.code, 'error');
              if (lib) assert.equal(span.error?.type, lib.errorType);
              assert.deepEqual(llm.finishReasons, []);
              return;
            }

            const finish = call.finish === 'tool_calls' && lib ? lib.toolCallFinish : call.finish;
            assert.deepEqual(llm.finishReasons, [finish]);
            assert.equal(messages.filter((m) => m.direction === 'output')[0]!.finishReason, finish);
            if (!lib) return;

            assert.ok(
              messages.every((m) => m.origin === lib.origin),
              `messages read from ${lib.origin}`,
            );
            if (lib.responseIds) assert.equal(llm.responseId, call.responseId);
            if (!sc.streamed || lib.streamResponseModel) assert.equal(llm.responseModel, call.responseModel);
            if (sc.session && lib.sessionOnCalls) {
              assert.equal(span.sessionId, sc.session);
              assert.equal(span.userId, sc.user);
            } else {
              assert.equal(span.sessionId, undefined, 'the call inherits its session from the trace');
              assert.equal(span.userId, undefined);
            }

            const usageMode = sc.streamed ? lib.streamUsage : 'mock';
            if (usageMode === 'mock') {
              const expected: Usage = {};
              for (const k of lib.usage) expected[k] = call.usage![k];
              assert.deepEqual(llm.usage, expected, `call ${i + 1} usage`);
            } else if (usageMode === 'none') {
              assert.deepEqual(llm.usage, {});
            } else {
              // The library counts a streamed answer's tokens itself: its numbers, read as sent.
              const raw = span.attributes;
              assert.equal(
                llm.usage.inputTokens,
                raw['gen_ai.usage.input_tokens'] ?? raw['gen_ai.usage.prompt_tokens'],
              );
              assert.equal(
                llm.usage.outputTokens,
                raw['gen_ai.usage.output_tokens'] ?? raw['gen_ai.usage.completion_tokens'],
              );
              assert.ok((llm.usage.inputTokens ?? 0) > 0 && (llm.usage.outputTokens ?? 0) > 0);
              assert.equal(
                llm.usage.totalTokens,
                (llm.usage.inputTokens ?? NaN) + (llm.usage.outputTokens ?? NaN),
              );
            }
            for (const k of Object.keys(llm.usage) as (keyof Usage)[])
              total[k] = (total[k] ?? 0) + llm.usage[k]!;

            if (scenario === 'tools') {
              assert.deepEqual(
                llm.toolDefinitions.map((d) => d.name),
                lib.toolDefinitions ? ['get_weather'] : [],
              );
            }
          });
          if (lib && !sc.failed)
            assert.deepEqual(summary.usage, total, 'trace usage is the sum of its calls');
          if (lib && !sc.failed)
            assert.deepEqual(summary.models, [
              sc.streamed && !lib.streamResponseModel ? sc.requestModel : sc.calls[0]!.responseModel,
            ]);

          if (scenario === 'large') {
            const user = calls[0]!.llm!.messages.find((m) => m.role === 'user')!;
            const text = (user.parts[0] as { text: string }).text;
            assert.equal([...text].length, LARGE_Q_LENGTH);
            assert.ok(text.startsWith(LARGE_Q_START));
            assert.equal(user.truncated, undefined);
          }
        });
      }
    }
  }
});

describe('otel-openai: content only through log records', () => {
  for (const scenario of ['chat', 'tools', 'unicode'] as const) {
    const entries = entriesFor('otel-openai', scenario, 'protobuf');
    const traces = entries.filter((e) => e.signal === 'traces').map(fixtureBatch);
    const logs = entries.filter((e) => e.signal === 'logs').map(fixtureBatch);

    it(`${scenario}: spans carry no content of their own`, () => {
      assert.ok(logs.length > 0 && logs.every((b) => b.logs.length > 0 && b.spans.length === 0));
      const { trace } = ingest(traces);
      for (const call of llmCalls(trace)) {
        assert.deepEqual(call.llm!.messages, []);
        assert.equal(call.llm!.missingContent, 'logsNotExported');
      }
    });

    it(`${scenario}: logs first or spans first give the same conversation`, () => {
      const spansFirst = ingest([...traces, ...logs]).trace;
      const logsFirst = ingest([...logs, ...traces]).trace;
      const conv = (t: Trace) => llmCalls(t).map((s) => s.llm!.messages);
      assert.deepEqual(conv(logsFirst), conv(spansFirst));
      assert.equal(SCENARIOS[scenario]!.calls.length, llmCalls(spansFirst).length);
      for (const call of llmCalls(spansFirst)) {
        assert.ok(call.llm!.messages.length > 0);
        assert.ok(call.llm!.messages.every((m) => m.origin === 'logRecord'));
      }
    });
  }
});
