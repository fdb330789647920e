// Traces the browser test renders, built with the typed builders: a tool-using chat across three calls
// (one failed), every kind of message part, hostile content, calls without content, and large
// conversations. Real fixture traces are added by the test itself.

import type { MessagePart, Span, Trace } from '../../src/core/model';
import { answer, llm, message, span, spanId, T0, text, trace } from './traceBuilders';

export const WEATHER_ARGS = '{"city":"Paris","unit":"celsius"}';
export const SESSION_ID = 'sess-7f3a-paris';
export const USER_ID = 'user-42';
export const LONG_TAIL = 'END-OF-LONG-TEXT-MARKER';
export const SAFE_LINK = 'https://example.com/forecast';

const SYSTEM_PROMPT = [
  'You are **Skycast**, a concise weather assistant.',
  '',
  '- Use the `get_weather` tool for any forecast.',
  '- Answer in the user’s language and give temperatures in °C.',
].join('\n');

const toolCall: MessagePart = {
  type: 'toolCall',
  id: 'call_9xQ2',
  name: 'get_weather',
  arguments: WEATHER_ARGS,
};
const toolResult: MessagePart = {
  type: 'toolResult',
  id: 'call_9xQ2',
  name: 'get_weather',
  result: '{"temp_c":18,"condition":"light rain","precip_mm":2.4}',
};

const FINAL_ANSWER = [
  'Tomorrow in **Paris**: 18 °C with *light rain* (about 2.4 mm).',
  '',
  '| Time | Sky | Rain |',
  '|:-----|:---:|-----:|',
  '| Morning | cloudy | 0.4 mm |',
  '| Afternoon | showers | 2.0 mm |',
  '',
  `Yes, take an umbrella. Details: [full forecast](${SAFE_LINK}).`,
].join('\n');

const weatherTool = {
  name: 'get_weather',
  description: 'Current weather and forecast for a city.',
  parameters:
    '{"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string","enum":["celsius","fahrenheit"]}},"required":["city"]}',
};

export interface ChatIds {
  root: string;
  first: string;
  second: string;
  failed: string;
}

export const CHAT: ChatIds = {
  root: spanId(0x100),
  first: spanId(0x101),
  second: spanId(0x103),
  failed: spanId(0x104),
};

/** The usual agent turn: ask, call a tool, answer with its result; then a summary call that failed. */
export function chatTrace(overrides: { secondAnswer?: string; name?: string } = {}): Trace {
  const system = text('system', SYSTEM_PROMPT);
  const user = text('user', 'What’s the weather in Paris tomorrow? Should I take an umbrella?');
  const root = span({
    spanId: CHAT.root,
    name: overrides.name ?? 'POST /chat',
    kind: 'server',
    startMs: T0,
    durationMs: 2480,
    sessionId: SESSION_ID,
    userId: USER_ID,
    attributes: { 'http.route': '/chat', 'app.tenant': 'acme' },
  });
  const first = span({
    spanId: CHAT.first,
    parentSpanId: root.spanId,
    name: 'chat gpt-4o-mini',
    startMs: T0 + 40,
    durationMs: 812,
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.request.temperature': 0.2,
      'app.feature': 'forecast',
    },
    llm: llm({
      messages: [system, user, answer([toolCall], { finishReason: 'tool_calls' })],
      toolDefinitions: [weatherTool],
      usage: { inputTokens: 182, outputTokens: 24 },
      finishReasons: ['tool_calls'],
      parameters: { temperature: 0.2, max_tokens: 512 },
      responseId: 'chatcmpl-A1b2C3',
    }),
  });
  const tool = span({
    spanId: spanId(0x102),
    parentSpanId: root.spanId,
    name: 'get_weather',
    startMs: T0 + 860,
    durationMs: 120,
    attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'get_weather' },
  });
  const second = span({
    spanId: CHAT.second,
    parentSpanId: root.spanId,
    name: 'chat gpt-4o-mini',
    startMs: T0 + 990,
    durationMs: 1240,
    attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o-mini' },
    llm: llm({
      messages: [
        system,
        user,
        message('assistant', [toolCall]),
        message('tool', [toolResult]),
        answer([
          { type: 'reasoning', text: 'The tool says light rain, 2.4 mm: an umbrella is sensible.' },
          { type: 'text', text: overrides.secondAnswer ?? FINAL_ANSWER },
        ]),
      ],
      toolDefinitions: [weatherTool],
      usage: { inputTokens: 240, outputTokens: 96, cachedInputTokens: 128, reasoningTokens: 32 },
      parameters: { temperature: 0.2, max_tokens: 512, stream: true },
      isStreaming: true,
    }),
  });
  const failed = span({
    spanId: CHAT.failed,
    parentSpanId: root.spanId,
    name: 'chat gpt-4o',
    startMs: T0 + 2250,
    durationMs: 210,
    status: { code: 'error', message: 'Error code: 500 - upstream model overloaded' },
    error: { type: 'InternalServerError', message: 'Error code: 500 - upstream model overloaded' },
    llm: llm({
      requestModel: 'gpt-4o',
      responseModel: undefined,
      messages: [
        text('system', 'Summarise the conversation in one line.'),
        text('user', 'Weather in Paris tomorrow, umbrella advice.'),
      ],
      usage: {},
      finishReasons: [],
    }),
  });
  return trace([root, first, tool, second, failed]);
}

/** One call with every kind of part, a truncated message, a long text and non-ASCII text. */
export function partsTrace(): Trace {
  const long = `${'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(180)}\n\n${LONG_TAIL}`;
  const call = span({
    spanId: spanId(0x200),
    name: 'chat claude-3-5-sonnet',
    sessionId: 'sess-parts',
    llm: llm({
      provider: 'anthropic',
      requestModel: 'claude-3-5-sonnet',
      responseModel: 'claude-3-5-sonnet-20241022',
      convention: 'openllmetry',
      messages: [
        text('user', 'Décris cette image, s’il te plaît — 東京の写真です。', {
          origin: 'flattenedAttribute',
          originName: 'gen_ai.prompt.0',
        }),
        message(
          'user',
          [
            {
              type: 'media',
              modality: 'image',
              mimeType: 'image/png',
              size: 48213,
              uri: 'https://example.com/tokyo.png',
            },
          ],
          {
            origin: 'attribute',
            originName: 'gen_ai.input.messages',
          },
        ),
        message('user', [{ type: 'other', kind: 'citation', value: { source: 'wiki', page: 42 } }], {
          origin: 'attribute',
          originName: 'gen_ai.input.messages',
        }),
        text('user', long, { origin: 'attribute', originName: 'gen_ai.input.messages' }),
        text('user', 'The rest of this prompt was cut by an attribute length li', {
          truncated: true,
          origin: 'attribute',
          originName: 'gen_ai.input.messages',
        }),
        answer('Une rue animée de Tokyo la nuit, avec des enseignes au néon.', {
          origin: 'flattenedAttribute',
          originName: 'gen_ai.completion.0',
        }),
      ],
      usage: { inputTokens: 1530, outputTokens: 41 },
      finishReasons: ['end_turn'],
    }),
  });
  return trace([call]);
}

export const HOSTILE_TEXT = [
  'Here is a script: <script>window.__pwned=1</script>',
  'An image: <img src=x onerror="window.__pwned=1">',
  'A [javascript link](javascript:window.__pwned=1) and a [data link](data:text/html,<script>window.__pwned=1</script>) and [vbscript](vbscript:msgbox(1)).',
  '<iframe src="https://example.com/frame" onload="window.__pwned=1"></iframe>',
  '<svg onload="window.__pwned=1"><circle r="5"/></svg>',
  '![tracking pixel](https://example.com/pixel.png) ![local](x.png) ![inline](data:image/png;base64,iVBORw0KGgo=)',
  '<a href="https://evil.example" onclick="window.__pwned=1">raw anchor</a> <style>body{display:none}</style>',
  '<div style="background:url(https://example.com/bg.png)">styled</div>',
  '[safe link](https://example.com/docs) and a bare https://example.com/bare link.',
].join('\n\n');

/** Prompt-injection-shaped content everywhere untrusted text can appear. */
export function hostileTrace(): Trace {
  const evil = '<img src=x onerror="window.__pwned=1">';
  const call = span({
    spanId: spanId(0x300),
    name: `chat ${evil}`,
    sessionId: `sess-${evil}`,
    userId: '<script>window.__pwned=1</script>',
    attributes: { 'app.note': evil, 'app.script': '</script><script>window.__pwned=1</script>' },
    status: { code: 'error', message: `<b onmouseover="window.__pwned=1">${evil}</b>` },
    llm: llm({
      requestModel: `gpt-4o${evil}`,
      responseModel: `gpt-4o${evil}`,
      messages: [
        text('system', '<script>window.__pwned=1</script>', { name: evil }),
        text('user', HOSTILE_TEXT),
        answer([
          {
            type: 'toolCall',
            id: evil,
            name: `<svg onload="window.__pwned=1">`,
            arguments: '{"html":"<script>window.__pwned=1</script>"}',
          },
          { type: 'reasoning', text: '<img src=x onerror="window.__pwned=1"> reasoning' },
          { type: 'media', modality: 'image', mimeType: 'image/svg+xml', uri: 'javascript:window.__pwned=1' },
          { type: 'text', text: HOSTILE_TEXT },
        ]),
        message('tool', [
          {
            type: 'toolResult',
            id: 'x',
            name: evil,
            result: '<iframe src="https://example.com/r"></iframe>',
          },
        ]),
      ],
      toolDefinitions: [
        {
          name: evil,
          description: '<script>window.__pwned=1</script>',
          parameters: '{"x":"<img src=x onerror=1>"}',
        },
      ],
      parameters: { [evil]: evil },
      finishReasons: [evil],
    }),
  });
  return trace([call], { name: `<script>window.__pwned=1</script>` });
}

/** Calls without content, one per reason. */
export function missingTrace(): Trace {
  const mk = (
    n: number,
    convention: 'genai' | 'openllmetry' | 'openinference',
    missingContent?: 'captureDisabled' | 'logsNotExported' | 'truncated',
  ): Span =>
    span({
      spanId: spanId(0x400 + n),
      startMs: T0 + n * 100,
      llm: llm({ convention, ...(missingContent ? { missingContent } : {}), messages: [] }),
    });
  return trace([
    mk(1, 'openllmetry', 'captureDisabled'),
    mk(2, 'genai', 'logsNotExported'),
    mk(3, 'genai', 'truncated'),
    mk(4, 'openinference'),
    // A second call without content: each card needs the switches of its own.
    mk(5, 'genai', 'captureDisabled'),
  ]);
}

/** One call whose input is a conversation of `count` messages. */
export function bigConversationTrace(count: number): Trace {
  const messages = [];
  for (let i = 0; i < count; i++) {
    const role = i === 0 ? 'system' : i % 2 === 1 ? 'user' : 'assistant';
    messages.push(
      text(role, `Message **${i}**: ${'some words with `code` and a list\n- a\n- b\n'.repeat((i % 5) + 1)}`),
    );
  }
  messages.push(answer(`Final answer after ${count} messages.`));
  return trace([span({ spanId: spanId(0x500), llm: llm({ messages }) })]);
}

/** An agent loop of `calls` calls, each sending the whole conversation so far again. */
export function agentLoopTrace(calls: number): Trace {
  const history = [text('system', 'You are an agent.'), text('user', 'Plan a trip.')];
  const spans: Span[] = [];
  for (let i = 0; i < calls; i++) {
    const reply = answer(`Step ${i}: done.`);
    spans.push(
      span({
        spanId: spanId(0x600 + i),
        startMs: T0 + i * 10,
        durationMs: 8,
        llm: llm({ messages: [...history, reply] }),
      }),
    );
    history.push(message('assistant', reply.parts), text('user', `Continue after step ${i}.`));
  }
  return trace(spans);
}

export const WATERFALL: Record<'agent' | 'call' | 'tool' | 'http' | 'orphan', string> = {
  agent: spanId(0x800),
  call: spanId(0x801),
  tool: spanId(0x802),
  http: spanId(0x803),
  orphan: spanId(0x804),
};

/** An agent step with a call, a failing tool call (with an HTTP child) and a span whose parent is missing. */
export function waterfallTrace(): Trace {
  return trace([
    span({
      spanId: WATERFALL.agent,
      name: 'invoke_agent trip-planner',
      startMs: T0,
      durationMs: 2000,
      attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'trip-planner' },
    }),
    span({
      spanId: WATERFALL.call,
      parentSpanId: WATERFALL.agent,
      startMs: T0 + 100,
      durationMs: 800,
      llm: llm({ messages: [text('user', 'Plan a trip to Lisbon.'), answer('Calling the weather tool.')] }),
    }),
    span({
      spanId: WATERFALL.tool,
      parentSpanId: WATERFALL.agent,
      name: 'execute_tool get_weather',
      startMs: T0 + 950,
      durationMs: 400,
      status: { code: 'error', message: 'weather service timed out' },
      error: { type: 'TimeoutError', message: 'weather service timed out' },
      attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'get_weather' },
      events: [{ name: 'exception', timeMs: T0 + 1340, attributes: { 'exception.type': 'TimeoutError' } }],
    }),
    span({
      spanId: WATERFALL.http,
      parentSpanId: WATERFALL.tool,
      name: 'GET /forecast',
      kind: 'client',
      startMs: T0 + 960,
      durationMs: 380,
    }),
    span({
      spanId: WATERFALL.orphan,
      parentSpanId: spanId(0x8ff),
      name: 'late worker job',
      startMs: T0 + 1500,
      durationMs: 0,
    }),
  ]);
}

/**
 * A trace of `count` spans: agent steps of ten calls and ten tool calls each, some failing; every span
 * an LLM call or a tool call, as a long agent run records them.
 */
export function hugeTrace(count: number): Trace {
  const spans: Span[] = [];
  const root = spanId(0x100000);
  spans.push(
    span({
      spanId: root,
      name: 'invoke_agent marathon',
      startMs: T0,
      durationMs: count * 10,
      attributes: { 'gen_ai.operation.name': 'invoke_agent' },
    }),
  );
  let step = root;
  for (let i = 1; i < count; i++) {
    const id = spanId(0x100000 + i);
    if (i % 21 === 1) {
      step = id;
      spans.push(
        span({
          spanId: id,
          parentSpanId: root,
          name: `invoke_agent step ${i}`,
          startMs: T0 + i * 10,
          durationMs: 210,
          attributes: { 'gen_ai.operation.name': 'invoke_agent' },
        }),
      );
    } else if (i % 2 === 0) {
      spans.push(
        span({
          spanId: id,
          parentSpanId: step,
          startMs: T0 + i * 10,
          durationMs: 9,
          llm: llm({ messages: [text('user', `Question ${i}`), answer(`Answer ${i}`)] }),
        }),
      );
    } else {
      spans.push(
        span({
          spanId: id,
          parentSpanId: step,
          name: `execute_tool lookup ${i}`,
          startMs: T0 + i * 10,
          durationMs: 5,
          ...(i % 97 === 0 ? { status: { code: 'error' as const, message: 'lookup failed' } } : {}),
          attributes: { 'gen_ai.operation.name': 'execute_tool' },
        }),
      );
    }
  }
  return trace(spans);
}

/** One call whose input is `bytes` of text, or a base64 image inline as a data: URI when `image`. */
export function hugeMessageTrace(bytes: number, image = false): Trace {
  const base64 = 'iVBORw0KGgoAAAANSUhEUgAA'.repeat(Math.ceil(bytes / 24)).slice(0, bytes);
  const parts: MessagePart[] = image
    ? [
        { type: 'text', text: 'What is in this picture?' },
        { type: 'text', text: `data:image/png;base64,${base64}` },
      ]
    : [
        {
          type: 'text',
          text: `${'Lisbon trams and custard tarts. '.repeat(Math.ceil(bytes / 32)).slice(0, bytes - LONG_TAIL.length)}${LONG_TAIL}`,
        },
      ];
  return trace([
    span({
      spanId: spanId(0x900),
      llm: llm({ messages: [message('user', parts), answer('A small picture.')] }),
    }),
  ]);
}
