// The GenAI normalizer on small hand-built records, one form of the conventions per test: what each
// form yields, which form wins when several carry the same call, and what happens to bad values.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createNormalizer } from '../../../src/core/genai/normalize';
import type { Message, MessagePart, Span } from '../../../src/core/model';
import type { LogRecordData, SpanRecord } from '../../../src/core/records';
import { BASE_MS, chatSpan, log, ns, span, spanEvent, spanId, textMessage, traceId } from './builders';

const normalizer = createNormalizer();

/** The span read whole; on every span here, the count of calls at ingest (isCall) agrees with it. */
function normalize(record: SpanRecord, logs: LogRecordData[] = []): Span {
  const span = normalizer.span(record, logs);
  assert.equal(normalizer.isCall(record), span.llm !== undefined, `isCall of ${record.name}`);
  return span;
}

function texts(messages: Message[]): string[] {
  return messages.map((m) => `${m.direction}:${m.role}:${m.parts.map(partText).join('|')}`);
}

function partText(p: MessagePart): string {
  switch (p.type) {
    case 'text':
    case 'reasoning':
      return p.text;
    case 'toolCall':
      return `call ${p.name}(${p.arguments})#${p.id ?? ''}`;
    case 'toolResult':
      return `result#${p.id ?? ''}=${p.result}`;
    case 'media':
      return `media ${p.modality ?? ''} ${p.mimeType ?? ''} ${p.uri ?? p.fileId ?? ''} ${p.size ?? ''}`.trim();
    case 'other':
      return `other ${p.kind}`;
  }
}

describe('span basics', () => {
  it('converts kind, status, nanosecond times, service, scope and ids', () => {
    const s = normalize(
      span({
        id: 0xab,
        parent: 0xcd,
        kind: 2,
        startMs: 12.345678,
        durationMs: 1500.5,
        status: { code: 1 },
        resource: { 'service.name': 'checkout' },
        scope: 'my-scope',
      }),
    );
    assert.equal(s.kind, 'server');
    assert.deepEqual(s.status, { code: 'ok' });
    assert.equal(s.service, 'checkout');
    assert.equal(s.scope, 'my-scope');
    assert.equal(s.spanId, spanId(0xab));
    assert.equal(s.parentSpanId, spanId(0xcd));
    assert.ok(Math.abs(s.startMs - (BASE_MS + 12.345678)) < 1e-3, `startMs ${s.startMs}`);
    assert.ok(Math.abs(s.durationMs - 1500.5) < 1e-3, `durationMs ${s.durationMs}`);
    assert.equal(s.llm, undefined);
  });

  it('falls back to unknown_service and clamps an end before the start to zero', () => {
    const r = span({ resource: {} });
    r.endTimeUnixNano = ns(-5);
    const s = normalize(r);
    assert.equal(s.service, 'unknown_service');
    assert.equal(s.durationMs, 0);
  });

  it('reads the error from the status, error.type and the exception event', () => {
    const s = normalize(
      chatSpan({
        status: { code: 2 },
        attributes: { 'error.type': 'InternalServerError' },
        events: [spanEvent('exception', { 'exception.type': 'Error', 'exception.message': '500 boom' })],
      }),
    );
    assert.equal(s.status.code, 'error');
    assert.deepEqual(s.error, { type: 'InternalServerError', message: '500 boom' });
  });

  it('ignores stringified nothing ("[object Object]", "undefined") and falls back to the HTTP status', () => {
    const s = normalize(
      chatSpan({
        status: { code: 2, message: '[object Object]' },
        attributes: { 'error.type': 'undefined' },
        events: [spanEvent('exception', { 'exception.message': 'The server had an error' })],
      }),
    );
    assert.deepEqual(s.error, { message: 'The server had an error' });
    const http = normalize(
      span({ name: 'HTTP POST', status: { code: 2 }, attributes: { 'http.status_code': 500 } }),
    );
    assert.deepEqual(http.error, { type: '500' });
  });

  it('prefers the status message and leaves a successful span without error', () => {
    const failed = normalize(
      span({
        status: { code: 2, message: 'timed out' },
        events: [spanEvent('exception', { 'exception.type': 'TimeoutError', 'exception.message': 'other' })],
      }),
    );
    assert.deepEqual(failed.error, { type: 'TimeoutError', message: 'timed out' });
    const handled = normalize(span({ events: [spanEvent('exception', { 'exception.message': 'retried' })] }));
    assert.equal(handled.error, undefined);
  });
});

describe('structured attributes (gen_ai.input.messages / output.messages / system_instructions)', () => {
  it('reads every typed part, as JSON text', () => {
    const input = [
      textMessage('user', 'What is in this picture?'),
      {
        role: 'user',
        parts: [
          { type: 'blob', modality: 'image', mime_type: 'image/png', content: 'iVBORw0KGgo=' },
          { type: 'uri', modality: 'image', uri: 'https://example.com/cat.png' },
          { type: 'file', modality: 'document', file_id: 'file-123' },
          { type: 'hologram', depth: 3 },
        ],
      },
      {
        role: 'assistant',
        parts: [{ type: 'tool_call', id: 'call_1', name: 'get_weather', arguments: { city: 'Lisbon' } }],
      },
      { role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_1', response: { summary: 'sunny' } }] },
    ];
    const output = [
      {
        role: 'assistant',
        finish_reason: 'stop',
        parts: [
          { type: 'reasoning', content: 'Think.' },
          { type: 'text', content: 'Sunny.' },
        ],
      },
    ];
    const s = normalize(
      chatSpan({
        attributes: {
          'gen_ai.system_instructions': JSON.stringify([{ type: 'text', content: 'Be brief.' }]),
          'gen_ai.input.messages': JSON.stringify(input),
          'gen_ai.output.messages': JSON.stringify(output),
        },
      }),
    );
    const llm = s.llm!;
    assert.deepEqual(texts(llm.messages), [
      'input:system:Be brief.',
      'input:user:What is in this picture?',
      'input:user:media image image/png  8|media image  https://example.com/cat.png|media document  file-123|other hologram',
      'input:assistant:call get_weather({"city":"Lisbon"})#call_1',
      'input:tool:result#call_1={"summary":"sunny"}',
      'output:assistant:Think.|Sunny.',
    ]);
    assert.equal(llm.messages[5]!.parts[0]!.type, 'reasoning');
    assert.equal(llm.messages[5]!.finishReason, 'stop');
    assert.equal(llm.messages[5]!.index, 0);
    assert.ok(llm.messages.every((m) => m.origin === 'attribute'));
    assert.equal(llm.messages[0]!.originName, 'gen_ai.system_instructions');
    assert.equal(llm.messages[1]!.originName, 'gen_ai.input.messages');
    assert.equal(llm.messages[5]!.originName, 'gen_ai.output.messages');
    assert.deepEqual(llm.finishReasons, ['stop'], 'taken from the messages when no attribute reports them');
    assert.equal(llm.missingContent, undefined);
  });

  it('reads already-structured AnyValues the same as JSON text', () => {
    const messages = [textMessage('user', 'Olá')];
    const asText = normalize(chatSpan({ attributes: { 'gen_ai.input.messages': JSON.stringify(messages) } }));
    const asValue = normalize(chatSpan({ attributes: { 'gen_ai.input.messages': messages } }));
    assert.deepEqual(asValue.llm!.messages, asText.llm!.messages);
    assert.deepEqual(texts(asValue.llm!.messages), ['input:user:Olá']);
  });

  it('keeps what is readable of a cut JSON value and marks the cut message', () => {
    const full = JSON.stringify([
      textMessage('system', 'Be brief.'),
      textMessage('user', 'Tell me everything about Lisbon, please, at length.'),
    ]);
    const cut = full.slice(0, full.indexOf('at length'));
    const s = normalize(chatSpan({ attributes: { 'gen_ai.input.messages': cut } }));
    const m = s.llm!.messages;
    assert.deepEqual(texts(m), [
      'input:system:Be brief.',
      'input:user:Tell me everything about Lisbon, please, ',
    ]);
    assert.equal(m[0]!.truncated, undefined);
    assert.equal(m[1]!.truncated, true);
    assert.equal(s.llm!.missingContent, undefined);
  });

  it('says truncated when the cut left nothing readable', () => {
    const s = normalize(chatSpan({ attributes: { 'gen_ai.input.messages': '[{"role":"us' } }));
    assert.deepEqual(s.llm!.messages, []);
    assert.equal(s.llm!.missingContent, 'truncated');
  });

  it('orders system instructions first, then inputs, then outputs', () => {
    const s = normalize(
      chatSpan({
        attributes: {
          'gen_ai.output.messages': JSON.stringify([
            { role: 'assistant', parts: [{ type: 'text', content: 'A' }] },
            { role: 'assistant', parts: [{ type: 'text', content: 'B' }] },
          ]),
          'gen_ai.input.messages': JSON.stringify([textMessage('user', 'Q')]),
          'gen_ai.system_instructions': 'Plain system text',
        },
      }),
    );
    assert.deepEqual(texts(s.llm!.messages), [
      'input:system:Plain system text',
      'input:user:Q',
      'output:assistant:A',
      'output:assistant:B',
    ]);
    assert.deepEqual(
      s.llm!.messages.filter((m) => m.direction === 'output').map((m) => m.index),
      [0, 1],
    );
  });
});

describe('events as log records', () => {
  const record = chatSpan({
    scope: '@opentelemetry/instrumentation-openai',
    attributes: { 'gen_ai.response.finish_reasons': ['tool_calls'] },
  });

  it('takes the role from the event name and reads tool calls, tool results and choices', () => {
    const logs = [
      log('gen_ai.system.message', { content: 'Be brief.' }),
      log('gen_ai.user.message', { content: 'Rain in Lisbon?' }),
      log('gen_ai.assistant.message', {
        tool_calls: [
          {
            id: 'call_1',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Lisbon"}' },
          },
        ],
      }),
      log('gen_ai.tool.message', { id: 'call_1', content: '{"rain":false}' }),
      log('gen_ai.choice', {
        index: 0,
        finish_reason: 'tool_calls',
        message: {
          tool_calls: [{ id: 'call_2', type: 'function', function: { name: 'book', arguments: '{}' } }],
        },
      }),
    ];
    const llm = normalize(record, logs).llm!;
    assert.deepEqual(texts(llm.messages), [
      'input:system:Be brief.',
      'input:user:Rain in Lisbon?',
      'input:assistant:call get_weather({"city":"Lisbon"})#call_1',
      'input:tool:result#call_1={"rain":false}',
      'output:assistant:call book({})#call_2',
    ]);
    assert.ok(llm.messages.every((m) => m.origin === 'logRecord'));
    assert.deepEqual(
      llm.messages.map((m) => m.originName),
      [
        'gen_ai.system.message',
        'gen_ai.user.message',
        'gen_ai.assistant.message',
        'gen_ai.tool.message',
        'gen_ai.choice',
      ],
    );
    assert.equal(llm.messages[4]!.finishReason, 'tool_calls');
    assert.equal(llm.missingContent, undefined);
  });

  it('orders choices by index, reads JSON text bodies and event.name attributes', () => {
    const logs = [
      log('gen_ai.user.message', '{"content":"Two answers please"}', { nameAsAttribute: true }),
      log('gen_ai.choice', {
        index: 1,
        finish_reason: 'length',
        message: { role: 'assistant', content: 'second' },
      }),
      log(
        'gen_ai.choice',
        JSON.stringify({ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'first' } }),
      ),
    ];
    const llm = normalize(chatSpan(), logs).llm!;
    assert.deepEqual(texts(llm.messages), [
      'input:user:Two answers please',
      'output:assistant:first',
      'output:assistant:second',
    ]);
    assert.deepEqual(llm.finishReasons, ['stop', 'length']);
  });

  it('ignores a role the body claims: log records are named by their event', () => {
    const llm = normalize(chatSpan(), [log('gen_ai.user.message', { role: 'system', content: 'hi' })]).llm!;
    assert.equal(llm.messages[0]!.role, 'user');
  });

  it('reads provider content arrays, including images kept as type and size only', () => {
    const dataUrl = `data:image/jpeg;base64,${'A'.repeat(4000)}`;
    const llm = normalize(chatSpan(), [
      log('gen_ai.user.message', {
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image_url', image_url: { url: dataUrl } },
          { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
        ],
      }),
    ]).llm!;
    assert.deepEqual(texts(llm.messages), [
      'input:user:What is this?|media image image/jpeg  3000|media image  https://example.com/a.png',
    ]);
  });

  it('reads gen_ai.client.inference.operation.details with structured messages in its attributes', () => {
    const llm = normalize(chatSpan(), [
      log('gen_ai.client.inference.operation.details', undefined, {
        attributes: {
          'gen_ai.input.messages': JSON.stringify([textMessage('user', 'Hello')]),
          'gen_ai.output.messages': [
            { role: 'assistant', finish_reason: 'stop', parts: [{ type: 'text', content: 'Hi!' }] },
          ],
        },
      }),
    ]).llm!;
    assert.deepEqual(texts(llm.messages), ['input:user:Hello', 'output:assistant:Hi!']);
    assert.ok(
      llm.messages.every(
        (m) => m.origin === 'logRecord' && m.originName === 'gen_ai.client.inference.operation.details',
      ),
    );
  });

  it('keeps finish reasons of choices whose content was not captured, but shows no empty message', () => {
    const llm = normalize(chatSpan(), [
      log('gen_ai.choice', { index: 0, finish_reason: 'stop', message: {} }),
    ]).llm!;
    assert.deepEqual(llm.messages, []);
    assert.deepEqual(llm.finishReasons, ['stop']);
    assert.equal(llm.missingContent, 'captureDisabled');
  });
});

describe('events as span events', () => {
  it('reads gen_ai.event.content JSON payloads (Azure AI Inference)', () => {
    const llm = normalize(
      chatSpan({
        events: [
          spanEvent('gen_ai.user.message', {
            'gen_ai.system': 'az.ai.inference',
            'gen_ai.event.content': '{"role":"user","content":"Bonjour"}',
          }),
          spanEvent('gen_ai.choice', {
            'gen_ai.event.content': '{"message":{"content":"Salut"},"finish_reason":"stop","index":0}',
          }),
        ],
      }),
    ).llm!;
    assert.deepEqual(texts(llm.messages), ['input:user:Bonjour', 'output:assistant:Salut']);
    assert.ok(llm.messages.every((m) => m.origin === 'spanEvent'));
    assert.deepEqual(llm.finishReasons, ['stop']);
  });

  it('reads the toolCalls spelling and comma-joined finish reasons of Azure AI Inference', () => {
    const llm = normalize(
      chatSpan({
        attributes: { 'gen_ai.response.finish_reasons': 'tool_calls, stop' },
        events: [
          spanEvent('gen_ai.choice', {
            'gen_ai.event.content':
              '{"finish_reason":"tool_calls","index":0,"message":{"toolCalls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]}}',
          }),
        ],
      }),
    ).llm!;
    assert.deepEqual(texts(llm.messages), ['output:assistant:call f({})#c1']);
    assert.deepEqual(llm.finishReasons, ['tool_calls', 'stop']);
  });

  it('reads bodies spread over event attributes, tool calls as JSON text', () => {
    const llm = normalize(
      chatSpan({
        events: [
          spanEvent('gen_ai.assistant.message', {
            content: '',
            tool_calls: '[{"id":"c1","function":{"name":"f","arguments":"{}"}}]',
          }),
          spanEvent('gen_ai.tool.message', { id: 'c1', content: 'done' }),
        ],
      }),
    ).llm!;
    assert.deepEqual(texts(llm.messages), ['input:assistant:call f({})#c1', 'input:tool:result#c1=done']);
  });

  it('reads the oldest gen_ai.content.prompt / gen_ai.content.completion events', () => {
    const llm = normalize(
      chatSpan({
        events: [
          spanEvent('gen_ai.content.prompt', {
            'gen_ai.prompt': '[{"role":"System","content":"Be brief."},{"role":"user","content":"Hi"}]',
          }),
          spanEvent('gen_ai.content.completion', {
            'gen_ai.completion': '[{"role":"assistant","content":"Hello!"}]',
          }),
        ],
      }),
    ).llm!;
    assert.deepEqual(texts(llm.messages), [
      'input:system:Be brief.',
      'input:user:Hi',
      'output:assistant:Hello!',
    ]);
    assert.equal(llm.messages[0]!.originName, 'gen_ai.content.prompt');
  });
});

describe('choosing between forms', () => {
  it('prefers structured attributes over log records and span events, never duplicating', () => {
    const record = chatSpan({
      attributes: {
        'gen_ai.input.messages': JSON.stringify([textMessage('user', 'from attribute')]),
        'gen_ai.output.messages': JSON.stringify([textMessage('assistant', 'answer')]),
      },
      events: [spanEvent('gen_ai.user.message', { content: 'from span event' })],
    });
    const llm = normalize(record, [
      log('gen_ai.user.message', { content: 'from log' }),
      log('gen_ai.choice', { index: 0, message: { content: 'log answer' } }),
    ]).llm!;
    assert.deepEqual(texts(llm.messages), ['input:user:from attribute', 'output:assistant:answer']);
  });

  it('prefers log records over span events and flattened attributes', () => {
    const record = chatSpan({
      attributes: { 'gen_ai.prompt.0.role': 'user', 'gen_ai.prompt.0.content': 'flattened' },
      events: [spanEvent('gen_ai.user.message', { content: 'span event' })],
    });
    const llm = normalize(record, [log('gen_ai.user.message', { content: 'log' })]).llm!;
    assert.deepEqual(texts(llm.messages), ['input:user:log']);
  });

  it('picks each side from the richest form that has it', () => {
    const record = chatSpan({
      attributes: { 'gen_ai.output.messages': JSON.stringify([textMessage('assistant', 'from attribute')]) },
    });
    const llm = normalize(record, [
      log('gen_ai.user.message', { content: 'from log' }),
      log('gen_ai.choice', { index: 0, message: { content: 'from log too' } }),
    ]).llm!;
    assert.deepEqual(texts(llm.messages), ['input:user:from log', 'output:assistant:from attribute']);
  });
});

describe('OpenLLMetry flattened attributes', () => {
  const record = span({
    name: 'openai.chat',
    attributes: {
      'llm.request.type': 'chat',
      'gen_ai.system': 'OpenAI',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.request.temperature': 0.2,
      'llm.top_k': 5,
      'llm.is_streaming': true,
      'gen_ai.prompt.0.role': 'system',
      'gen_ai.prompt.0.content': 'Be brief.',
      'gen_ai.prompt.1.role': 'user',
      'gen_ai.prompt.1.content': 'Weather?',
      'gen_ai.prompt.2.role': 'assistant',
      'gen_ai.prompt.2.tool_calls.0.id': 'call_1',
      'gen_ai.prompt.2.tool_calls.0.name': 'get_weather',
      'gen_ai.prompt.2.tool_calls.0.arguments': '{"city":"Porto"}',
      'gen_ai.prompt.3.role': 'tool',
      'gen_ai.prompt.3.content': 'rainy',
      'gen_ai.prompt.3.tool_call_id': 'call_1',
      'gen_ai.prompt.10.role': 'user',
      'gen_ai.prompt.10.content': 'tenth comes after third',
      'gen_ai.completion.0.role': 'assistant',
      'gen_ai.completion.0.content': 'Take an umbrella.',
      'gen_ai.completion.0.finish_reason': 'stop',
      'llm.request.functions.0.name': 'get_weather',
      'llm.request.functions.0.description': 'Weather for a city',
      'llm.request.functions.0.parameters': '{"type":"object"}',
      'gen_ai.usage.prompt_tokens': 40,
      'gen_ai.usage.completion_tokens': 8,
      'llm.usage.total_tokens': 48,
    },
  });

  it('reads messages, tool calls and results in numeric order', () => {
    const llm = normalize(record).llm!;
    assert.equal(llm.convention, 'openllmetry');
    assert.equal(llm.operation, 'chat');
    assert.equal(llm.provider, 'OpenAI');
    assert.deepEqual(texts(llm.messages), [
      'input:system:Be brief.',
      'input:user:Weather?',
      'input:assistant:call get_weather({"city":"Porto"})#call_1',
      'input:tool:result#call_1=rainy',
      'input:user:tenth comes after third',
      'output:assistant:Take an umbrella.',
    ]);
    assert.ok(llm.messages.every((m) => m.origin === 'flattenedAttribute'));
    assert.equal(llm.messages[5]!.finishReason, 'stop');
    assert.deepEqual(llm.finishReasons, ['stop']);
  });

  it('reads tool definitions, usage, parameters and streaming', () => {
    const llm = normalize(record).llm!;
    assert.deepEqual(llm.toolDefinitions, [
      { name: 'get_weather', description: 'Weather for a city', parameters: '{"type":"object"}' },
    ]);
    assert.deepEqual(llm.usage, { inputTokens: 40, outputTokens: 8, totalTokens: 48 });
    assert.deepEqual(llm.parameters, { temperature: 0.2, top_k: 5 });
    assert.equal(llm.isStreaming, true);
  });

  it('reads what OpenLLMetry 0.22 wrote: "null" for a tool-calling turn, the schema under arguments', () => {
    const llm = normalize(
      span({
        attributes: {
          'llm.request.type': 'chat',
          'gen_ai.prompt.0.role': 'assistant',
          'gen_ai.prompt.0.content': 'null',
          'gen_ai.prompt.1.role': 'tool',
          'gen_ai.prompt.1.content': 'sunny',
          'llm.request.functions.0.name': 'get_weather',
          'llm.request.functions.0.arguments': '{"type":"object"}',
        },
      }),
    ).llm!;
    assert.deepEqual(texts(llm.messages), ['input:tool:result#=sunny']);
    assert.deepEqual(llm.toolDefinitions, [{ name: 'get_weather', parameters: '{"type":"object"}' }]);
  });

  it('reads array content written as JSON text as parts, but leaves other text alone', () => {
    const llm = normalize(
      span({
        attributes: {
          'llm.request.type': 'chat',
          'gen_ai.prompt.0.role': 'user',
          'gen_ai.prompt.0.content':
            '[{"type":"text","text":"Describe"},{"type":"image_url","image_url":{"url":"https://x/y.png"}}]',
          'gen_ai.prompt.1.role': 'user',
          'gen_ai.prompt.1.content': '[1, 2, 3]',
        },
      }),
    ).llm!;
    assert.deepEqual(texts(llm.messages), [
      'input:user:Describe|media image  https://x/y.png',
      'input:user:[1, 2, 3]',
    ]);
  });
});

describe('OpenInference flattened attributes', () => {
  const record = span({
    name: 'ChatCompletion',
    kind: 1,
    attributes: {
      'openinference.span.kind': 'LLM',
      'llm.model_name': 'gpt-4o-2024-08-06',
      'llm.system': 'openai',
      'llm.invocation_parameters': '{"model":"gpt-4o","temperature":0.1,"stream":true,"messages":[]}',
      'llm.input_messages.0.message.role': 'user',
      'llm.input_messages.0.message.contents.0.message_content.type': 'text',
      'llm.input_messages.0.message.contents.0.message_content.text': 'What is on the plate?',
      'llm.input_messages.0.message.contents.1.message_content.type': 'image',
      'llm.input_messages.0.message.contents.1.message_content.image.image.url':
        'https://example.com/plate.jpg',
      'llm.input_messages.0.message.contents.2.message_content.type': 'image',
      'llm.input_messages.0.message.contents.2.message_content.image.image.url': 'data:image/png;base64,AAAA',
      'llm.input_messages.1.message.role': 'assistant',
      'llm.input_messages.1.message.tool_calls.0.tool_call.id': 'call_9',
      'llm.input_messages.1.message.tool_calls.0.tool_call.function.name': 'lookup',
      'llm.input_messages.1.message.tool_calls.0.tool_call.function.arguments': '{"q":"pastel"}',
      'llm.input_messages.2.message.role': 'tool',
      'llm.input_messages.2.message.content': 'pastel de nata',
      'llm.input_messages.2.message.tool_call_id': 'call_9',
      'llm.output_messages.0.message.role': 'assistant',
      'llm.output_messages.0.message.content': 'A custard tart.',
      'llm.finish_reason': 'stop',
      'llm.tools.0.tool.json_schema':
        '{"type":"function","function":{"name":"lookup","description":"Look up a dish","parameters":{"type":"object"}}}',
      'llm.token_count.prompt': '120',
      'llm.token_count.completion': 7,
      'llm.token_count.total': 127,
      'llm.token_count.prompt_details.cache_read': 64,
      'llm.token_count.completion_details.reasoning': 3,
      'input.value': '{"messages":[{"role":"user","content":"ignored: flattened messages are richer"}]}',
      'session.id': 'sess-1',
      'user.id': 'user-1',
    },
  });

  it('reads multimodal contents, tool calls and tool results', () => {
    const llm = normalize(record).llm!;
    assert.equal(llm.convention, 'openinference');
    assert.deepEqual(texts(llm.messages), [
      'input:user:What is on the plate?|media image  https://example.com/plate.jpg|media image image/png  3',
      'input:assistant:call lookup({"q":"pastel"})#call_9',
      'input:tool:result#call_9=pastel de nata',
      'output:assistant:A custard tart.',
    ]);
    assert.equal(
      llm.messages[3]!.finishReason,
      'stop',
      'the span-level finish reason goes to the only output',
    );
  });

  it('reads models, usage, parameters, tools and streaming', () => {
    const s = normalize(record);
    const llm = s.llm!;
    assert.equal(llm.requestModel, 'gpt-4o');
    assert.equal(llm.responseModel, 'gpt-4o-2024-08-06');
    assert.equal(llm.provider, 'openai');
    assert.deepEqual(llm.usage, {
      inputTokens: 120,
      outputTokens: 7,
      totalTokens: 127,
      cachedInputTokens: 64,
      reasoningTokens: 3,
    });
    assert.deepEqual(llm.parameters, { temperature: 0.1, stream: true });
    assert.equal(llm.isStreaming, true);
    assert.deepEqual(llm.toolDefinitions, [
      { name: 'lookup', description: 'Look up a dish', parameters: '{"type":"object"}' },
    ]);
    assert.equal(s.sessionId, 'sess-1');
    assert.equal(s.userId, 'user-1');
  });

  it('falls back to input.value / output.value only when nothing richer exists', () => {
    const llm = normalize(
      span({
        attributes: {
          'openinference.span.kind': 'LLM',
          'input.value':
            '{"model":"gpt-4o","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}]}',
          'input.mime_type': 'application/json',
          'output.value':
            '{"choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"Hello"}}]}',
        },
      }),
    ).llm!;
    assert.deepEqual(texts(llm.messages), [
      'input:system:Be brief.',
      'input:user:Hi',
      'output:assistant:Hello',
    ]);
    assert.ok(llm.messages.every((m) => m.origin === 'ioValue'));
    assert.deepEqual(llm.finishReasons, ['stop']);

    const plain = normalize(
      span({
        attributes: {
          'openinference.span.kind': 'LLM',
          'input.value': 'just text',
          'output.value': 'an answer',
        },
      }),
    ).llm!;
    assert.deepEqual(texts(plain.messages), ['input:user:just text', 'output:assistant:an answer']);
  });

  it('does not treat CHAIN, AGENT or TOOL spans as calls even with a model and usage', () => {
    for (const kind of ['CHAIN', 'AGENT', 'TOOL']) {
      const s = normalize(
        span({
          attributes: {
            'openinference.span.kind': kind,
            'llm.model_name': 'gpt-4o',
            'llm.token_count.prompt': 10,
          },
        }),
      );
      assert.equal(s.llm, undefined, kind);
    }
  });
});

describe('usage, finish reasons and parameters', () => {
  it('reads ints sent as numbers or decimal strings, newest names first', () => {
    const llm = normalize(
      chatSpan({
        attributes: {
          'gen_ai.usage.input_tokens': '9007199254740993',
          'gen_ai.usage.prompt_tokens': 1,
          'gen_ai.usage.output_tokens': 64,
          'gen_ai.usage.cache_read.input_tokens': '100',
          'gen_ai.usage.reasoning.output_tokens': 12,
        },
      }),
    ).llm!;
    assert.equal(llm.usage.inputTokens, 9007199254740992, 'an int64 over 2^53 is read as the nearest double');
    assert.equal(llm.usage.outputTokens, 64);
    assert.equal(llm.usage.cachedInputTokens, 100);
    assert.equal(llm.usage.reasoningTokens, 12);
    assert.equal(llm.usage.totalTokens, undefined, 'a total is never invented');
  });

  it('reads the deprecated usage names and ignores values that are not numbers', () => {
    const llm = normalize(
      chatSpan({
        attributes: {
          'gen_ai.usage.prompt_tokens': 30,
          'gen_ai.usage.completion_tokens': '5',
          'gen_ai.usage.input_tokens': 'lots',
        },
      }),
    ).llm!;
    assert.deepEqual(llm.usage, { inputTokens: 30, outputTokens: 5 });
  });

  it('reads finish reasons as an array, JSON text or a single string', () => {
    assert.deepEqual(
      normalize(chatSpan({ attributes: { 'gen_ai.response.finish_reasons': ['stop', 'length'] } })).llm!
        .finishReasons,
      ['stop', 'length'],
    );
    assert.deepEqual(
      normalize(chatSpan({ attributes: { 'gen_ai.response.finish_reasons': '["tool_calls"]' } })).llm!
        .finishReasons,
      ['tool_calls'],
    );
    assert.deepEqual(
      normalize(chatSpan({ attributes: { 'gen_ai.response.finish_reasons': 'stop' } })).llm!.finishReasons,
      ['stop'],
    );
  });

  it('reads request parameters without the model, and the response facts', () => {
    const llm = normalize(
      chatSpan({
        attributes: {
          'gen_ai.request.temperature': 0.7,
          'gen_ai.request.max_tokens': 400,
          'gen_ai.request.stream': true,
          'gen_ai.response.id': 'chatcmpl-1',
          'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
        },
      }),
    ).llm!;
    assert.deepEqual(llm.parameters, { temperature: 0.7, max_tokens: 400, stream: true });
    assert.equal(llm.isStreaming, true);
    assert.equal(llm.requestModel, 'gpt-4o-mini');
    assert.equal(llm.responseModel, 'gpt-4o-mini-2024-07-18');
    assert.equal(llm.responseId, 'chatcmpl-1');
    assert.equal(llm.provider, 'openai');
    assert.equal(llm.operation, 'chat');
  });
});

describe('what is an LLM call', () => {
  it('keeps model and usage of embedding calls, without messages or a missing-content reason', () => {
    const s = normalize(
      span({
        attributes: {
          'gen_ai.operation.name': 'embeddings',
          'gen_ai.request.model': 'text-embedding-3-small',
          'gen_ai.usage.input_tokens': 8,
        },
      }),
    );
    assert.equal(s.llm!.operation, 'embeddings');
    assert.equal(s.llm!.requestModel, 'text-embedding-3-small');
    assert.deepEqual(s.llm!.usage, { inputTokens: 8 });
    assert.deepEqual(s.llm!.messages, []);
    assert.equal(s.llm!.missingContent, undefined);
  });

  it('does not treat agent, tool or OpenLLMetry workflow spans as calls', () => {
    const agent = normalize(
      span({
        attributes: {
          'gen_ai.operation.name': 'invoke_agent',
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.usage.input_tokens': 5,
        },
      }),
    );
    const workflow = normalize(
      span({
        attributes: {
          'traceloop.span.kind': 'workflow',
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.usage.input_tokens': 5,
        },
      }),
    );
    assert.equal(agent.llm, undefined);
    assert.equal(workflow.llm, undefined);
  });

  it('recognises an unlabelled span by its model and usage', () => {
    const s = normalize(
      span({ attributes: { 'gen_ai.request.model': 'claude', 'gen_ai.usage.output_tokens': 3 } }),
    );
    assert.equal(s.llm?.convention, 'genai');
    assert.equal(
      normalize(span({ attributes: { 'gen_ai.request.model': 'claude' } })).llm,
      undefined,
      'a model alone is not enough',
    );
  });
});

describe('missing content', () => {
  it('says logsNotExported for a log-emitting instrumentation without logs, captureDisabled once logs arrived', () => {
    const record = chatSpan({ scope: '@opentelemetry/instrumentation-openai' });
    assert.equal(normalize(record).llm!.missingContent, 'logsNotExported');
    assert.equal(
      normalize(record, [log('gen_ai.choice', { index: 0, finish_reason: 'stop', message: {} })]).llm!
        .missingContent,
      'captureDisabled',
    );
  });

  it('says captureDisabled for other instrumentations', () => {
    assert.equal(
      normalize(chatSpan({ scope: '@traceloop/instrumentation-openai' })).llm!.missingContent,
      'captureDisabled',
    );
  });
});

describe('session and user ids', () => {
  it('tries configured names first, then the conventions, span before resource', () => {
    const custom = createNormalizer({
      sessionAttributes: ['app.conversation'],
      userAttributes: [' app.customer '],
    });
    const record = span({
      attributes: {
        'app.conversation': 'conv-9',
        'session.id': 'sess-x',
        'app.customer': 'cust-7',
        'enduser.id': 'user-x',
      },
    });
    const s = custom.span(record, []);
    assert.equal(s.sessionId, 'conv-9');
    assert.equal(s.userId, 'cust-7');
    const plain = normalize(record);
    assert.equal(plain.sessionId, 'sess-x');
    assert.equal(plain.userId, 'user-x');
  });

  it('reads keys in priority order and falls back to the resource', () => {
    const s = normalize(
      span({
        attributes: {
          'traceloop.association.properties.session_id': 'tl-sess',
          'gen_ai.conversation.id': 'conv-1',
        },
        resource: { 'service.name': 'svc', 'enduser.id': 'res-user', 'session.id': 'res-sess' },
      }),
    );
    assert.equal(s.sessionId, 'conv-1', 'gen_ai.conversation.id outranks association properties');
    assert.equal(s.userId, 'res-user', 'the resource fills what the span lacks');
  });

  it('ignores empty values', () => {
    const s = normalize(span({ attributes: { 'session.id': '  ', 'user.id': 42 } }));
    assert.equal(s.sessionId, undefined);
    assert.equal(s.userId, '42');
  });
});

describe('trace summary', () => {
  function trace(spans: SpanRecord[]) {
    return normalizer.trace(
      traceId(1),
      spans.map((r) => normalize(r)),
      99,
    );
  }

  it('sorts spans stably by start, finds the root and covers every span', () => {
    const { summary, spans } = trace([
      span({ id: 3, parent: 1, name: 'b', startMs: 50, durationMs: 10 }),
      span({ id: 2, parent: 1, name: 'a', startMs: 50, durationMs: 300 }),
      span({ id: 1, name: 'root', startMs: 10, durationMs: 100, resource: { 'service.name': 'front' } }),
    ]);
    assert.deepEqual(
      spans.map((s) => s.name),
      ['root', 'b', 'a'],
    );
    assert.equal(summary.rootSpanId, spanId(1));
    assert.equal(summary.name, 'root');
    assert.equal(summary.service, 'front');
    assert.ok(Math.abs(summary.startMs - (BASE_MS + 10)) < 1e-3);
    assert.ok(Math.abs(summary.durationMs - 340) < 1e-3, `duration ${summary.durationMs}`);
    assert.equal(summary.spanCount, 3);
    assert.equal(summary.updatedMs, 99);
  });

  it('takes the earliest span whose parent has not arrived as the root', () => {
    const { summary } = trace([
      span({ id: 5, parent: 4, name: 'orphan late', startMs: 20 }),
      span({ id: 6, parent: 4, name: 'orphan early', startMs: 5 }),
    ]);
    assert.equal(summary.name, 'orphan early');
    assert.equal(summary.rootSpanId, spanId(6));
  });

  it('lists models once, in order, and sums usage without double counting parents', () => {
    const { summary } = trace([
      span({
        id: 1,
        name: 'root',
        attributes: { 'traceloop.span.kind': 'workflow', 'gen_ai.usage.input_tokens': 999 },
      }),
      span({
        id: 2,
        parent: 1,
        name: 'langchain',
        startMs: 1,
        attributes: {
          'llm.request.type': 'chat',
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.usage.input_tokens': 30,
          'gen_ai.usage.output_tokens': 6,
        },
      }),
      span({
        id: 3,
        parent: 2,
        name: 'openai.chat',
        startMs: 2,
        attributes: {
          'llm.request.type': 'chat',
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.response.model': 'gpt-4o-2024',
          'gen_ai.usage.input_tokens': 30,
          'gen_ai.usage.output_tokens': 6,
        },
      }),
      span({
        id: 4,
        parent: 1,
        name: 'chat 2',
        startMs: 3,
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': 'mini',
          'gen_ai.usage.input_tokens': 10,
          'gen_ai.usage.output_tokens': 1,
          'gen_ai.usage.total_tokens': 11,
        },
      }),
      span({
        id: 5,
        parent: 1,
        name: 'chat 3',
        startMs: 4,
        attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o' },
      }),
    ]);
    assert.equal(summary.llmCallCount, 4);
    assert.deepEqual(summary.models, ['gpt-4o', 'gpt-4o-2024', 'mini']);
    assert.deepEqual(summary.usage, { inputTokens: 40, outputTokens: 7, totalTokens: 11 });
  });

  it('reports errors and inherits session and user from any span, the root first', () => {
    const { summary, spans } = trace([
      span({ id: 1, name: 'root', attributes: { 'session.id': 'root-sess' } }),
      span({
        id: 2,
        parent: 1,
        startMs: 1,
        attributes: { 'session.id': 'child-sess', 'user.id': 'child-user' },
      }),
      span({ id: 3, parent: 1, startMs: 2, status: { code: 2 } }),
    ]);
    assert.equal(summary.sessionId, 'root-sess');
    assert.equal(summary.userId, 'child-user');
    assert.equal(summary.hasError, true);
    assert.equal(spans[2]!.sessionId, undefined, 'a span keeps its own (missing) id; the view inherits');
  });
});

describe('robustness', () => {
  it('never throws on hostile values', () => {
    let deep = '';
    for (let i = 0; i < 20_000; i++) deep += '[';
    const weird: SpanRecord[] = [
      chatSpan({
        attributes: {
          'gen_ai.input.messages': 42,
          'gen_ai.output.messages': '{"parts":"x"}',
          'gen_ai.system_instructions': { a: 1 },
        },
      }),
      chatSpan({ attributes: { 'gen_ai.input.messages': deep, 'gen_ai.tool.definitions': 'not json' } }),
      chatSpan({
        attributes: {
          'gen_ai.input.messages': [[null, 1, true, { parts: [null, 3, { type: 7 }] }]],
          'gen_ai.response.finish_reasons': { x: 1 },
        },
      }),
      span({
        attributes: {
          'llm.request.type': 'chat',
          'gen_ai.prompt.0': 'collides',
          'gen_ai.prompt.0.role': 'user',
          'gen_ai.prompt.x.content': 'not an index',
          'gen_ai.prompt.0.tool_calls.0': 'bad',
        },
      }),
      span({
        attributes: {
          'openinference.span.kind': 'LLM',
          'llm.input_messages.0.message.contents.0.message_content.type': 'hologram',
          'llm.invocation_parameters': '[1,2',
        },
      }),
    ];
    const bad = [
      log('gen_ai.choice', 12),
      log('gen_ai.tool.message', null as never),
      log('gen_ai.user.message', new Uint8Array([1, 2])),
    ];
    for (const r of weird) {
      const s = normalize(r, bad);
      assert.ok(s.llm, 'each is still a call');
    }
    const unknown = normalize(
      chatSpan({
        attributes: { 'gen_ai.input.messages': [{ role: 'user', parts: [{ type: 'hologram', depth: 3 }] }] },
      }),
    ).llm!;
    assert.deepEqual(unknown.messages[0]!.parts, [
      { type: 'other', kind: 'hologram', value: { type: 'hologram', depth: 3 } },
    ]);
  });

  it('reads a 300 kB message with many escapes, whole and cut, and sums a chain of 5,000 calls', () => {
    const big = 'line with "quotes" and\nnew lines\t'.repeat(10_000);
    const messages = JSON.stringify([textMessage('user', big)]);
    const whole = normalize(chatSpan({ attributes: { 'gen_ai.input.messages': messages } }));
    const cut = normalize(
      chatSpan({ attributes: { 'gen_ai.input.messages': messages.slice(0, messages.length - 100) } }),
    );
    assert.equal((whole.llm!.messages[0]!.parts[0] as { text: string }).text, big);
    assert.equal(cut.llm!.messages[0]!.truncated, true);
    assert.ok(big.startsWith((cut.llm!.messages[0]!.parts[0] as { text: string }).text));

    // A chain 5,000 deep of LLM calls: the ancestor walk must not be quadratic.
    const chain: Span[] = [];
    for (let i = 1; i <= 5000; i++) {
      chain.push(
        normalize(
          span({
            id: i,
            parent: i > 1 ? i - 1 : undefined,
            startMs: i,
            attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.usage.input_tokens': 1 },
          }),
        ),
      );
    }
    const { summary } = normalizer.trace(traceId(1), chain, 0);
    assert.deepEqual(summary.usage, { inputTokens: 1 }, 'only the deepest call counts');
  });
});
