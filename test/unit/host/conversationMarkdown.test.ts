// Copy as Markdown: a real tool-calling turn (captured from @opentelemetry/instrumentation-openai) reads
// as the panel shows it, history repeated by the second call left out, structured parts fenced; hostile
// text cannot break out of its fence or forge headings in the lines we write.
import { describe, it } from 'node:test';
import { SHIPPED_PRICES_AS_OF } from '../../../src/core/pricing';
import assert from 'node:assert/strict';
import { TraceStore } from '../../../src/core/store';
import { createNormalizer } from '../../../src/core/genai/normalize';
import { buildConversationState } from '../../../src/views/conversationViewModel';
import { conversationMarkdown } from '../../../src/host/conversationMarkdown';
import { fixtureBatch, fixtureEntries } from '../helpers/fixtures';
import { answer, llm, message, span, spanId, text, trace, TRACE_ID } from '../../browser/traceBuilders';

function toolsTurn() {
  const store = new TraceStore({ maxTraces: 10, normalizer: createNormalizer(), debounceMs: 0 });
  for (const e of fixtureEntries({ library: 'otel-openai', scenario: 'tools', encoding: 'protobuf' }))
    if (e.signal !== 'metrics') store.ingest(fixtureBatch(e), 'otlp');
  const trace = store.getTrace(store.list()[0]!.traceId)!;
  return { trace, state: buildConversationState(trace, { traceId: trace.traceId }, 0) };
}

describe('conversationMarkdown', () => {
  it('writes a whole tool-calling turn: header, ids, each call with its facts and only its new messages', () => {
    const { trace, state } = toolsTurn();
    const md = conversationMarkdown(state);
    const lines = md.split('\n');
    assert.equal(lines[0], '# handle_turn');
    assert.match(
      md,
      /^wayfarer-trips · started \d{4}-\d\d-\d\dT[\d:.]+Z · \d+ ms · 2 LLM calls · 1 tool call · 565 → 65 tokens \(630 total\) · cost \$0\.00012 \(gpt-4o-mini, shipped prices of \d{4}-\d\d-\d\d\)$/m,
    );
    assert.ok(
      md.includes(`Session \`sess-lisbon-weekend\` · User \`user-1042\` · Trace \`${trace.traceId}\``),
    );
    assert.deepEqual(
      lines.filter((l) => l.startsWith('## ')),
      ['## Call 1: gpt-4o-mini-2024-07-18', '## Call 2: gpt-4o-mini-2024-07-18'],
    );
    // 247 input tokens at $0.15 and 21 output tokens at $0.60 per million.
    assert.ok(
      md.includes(
        `openai · chat · 247 → 21 tokens (268 total) · cost $0.00005 (gpt-4o-mini, shipped prices of ${SHIPPED_PRICES_AS_OF}) · latency`,
      ),
    );
    assert.ok(md.includes('finish: tool_calls'));
    // The first call's question and its tool call, the arguments pretty-printed in a JSON fence.
    assert.ok(
      md.includes(
        'Will it rain in Lisbon on Saturday (2025-06-14)? We want to spend the whole day outdoors.',
      ),
    );
    assert.match(
      md,
      /Tool call `get_weather` \(`call_[A-Za-z0-9]+`\):\n\n```json\n\{\n {2}"city": "Lisbon",\n {2}"date": "2025-06-14"\n\}\n```/,
    );
    // The second call repeats the first call's conversation: left out, as in the panel.
    const second = md.slice(md.indexOf('## Call 2'));
    assert.match(second, /_5 earlier messages, already in call 1, left out\._/);
    assert.equal(second.split('### ').length - 1, 2, 'the tool result and the answer');
    assert.match(
      second,
      /### Tool\n\nTool result for `call_[A-Za-z0-9]+`:\n\n```json\n\{\n {2}"city": "Lisbon"/,
    );
    assert.match(second, /### Assistant \(finish: stop\)\n\nLisbon on 2025-06-14 looks sunny/);
  });

  it('writes one call with its whole input when asked for that call', () => {
    const { state } = toolsTurn();
    const second = state.calls[1]!;
    const md = conversationMarkdown(state, { spanId: second.spanId });
    assert.match(md, /^# gpt-4o-mini-2024-07-18: call 2 of trace handle_turn\n/);
    assert.ok(!md.includes('left out'));
    assert.deepEqual(
      md
        .split('\n')
        .filter((l) => l.startsWith('### '))
        .map((l) => l.split(' ')[1]),
      ['System', 'User', 'Assistant', 'User', 'Assistant', 'Tool', 'Assistant'],
    );
    assert.equal(conversationMarkdown(state, { spanId: spanId(99) }), '');
  });

  it("lists a call's evaluations after its messages, each on one line", () => {
    const { state } = toolsTurn();
    state.calls[0]!.llm.evaluations = [
      { name: 'relevance', score: 0.92, label: 'relevant', explanation: 'Answers the\nquestion' },
      { name: '# tone' },
    ];
    const md = conversationMarkdown(state, { spanId: state.calls[0]!.spanId });
    const at = md.indexOf('**Evaluations**');
    assert.ok(at > md.lastIndexOf('### '), 'after the messages');
    assert.deepEqual(md.slice(at).split('\n').slice(2, 4), [
      '- relevance: 0.92 (relevant) — Answers the question',
      '- \\# tone',
    ]);
    assert.ok(!conversationMarkdown(state, { spanId: state.calls[1]!.spanId }).includes('Evaluations'));
  });

  it('keeps hostile text inside its fence and out of the lines it writes', () => {
    const args = '{"q": "```\\n# not a heading\\n```"}';
    const call = span({
      name: 'chat',
      llm: llm({
        responseModel: 'gpt-4o # [x](javascript:alert(1))',
        messages: [
          text('user', 'Plain **markdown** stays as sent.'),
          message('assistant', [{ type: 'toolCall', id: 'c1', name: 'run`it', arguments: args }], {
            direction: 'output',
          }),
          message('tool', [{ type: 'toolResult', id: 'c1', result: 'a ```` run of four\n```' }]),
          answer('done'),
        ],
      }),
    });
    const md = conversationMarkdown(buildConversationState(trace([call]), { traceId: TRACE_ID }, 0));
    assert.ok(md.includes('## Call 1: gpt-4o \\# \\[x\\](javascript:alert(1))'));
    assert.ok(md.includes('Plain **markdown** stays as sent.'));
    assert.ok(md.includes('Tool call ``run`it``'));
    // The tool result holds a run of four backticks: its fence has five.
    assert.match(md, /`````\na ```` run of four\n```\n`````/);
    assert.ok(
      !/^# not a heading/m.test(md.replace(/```json\n[\s\S]*?\n```\n/g, '')),
      'the argument stays inside its fence',
    );
  });

  it('says why a call has no content, and writes nothing for a trace the store lost', () => {
    const empty = span({ llm: llm({ messages: [], missingContent: 'logsNotExported' }) });
    assert.match(
      conversationMarkdown(buildConversationState(trace([empty]), { traceId: TRACE_ID }, 0)),
      /_No message content was recorded \(the content went out as log records, and none arrived\)\._/,
    );
    assert.equal(conversationMarkdown(buildConversationState(undefined, { traceId: TRACE_ID }, 0)), '');
  });
});
