// A trace's question, read at ingest from an LLM call's outline, against the same question read from the
// call's whole content: on every captured fixture, and on message lists written the ways encoders write them
// (the outline reads gen_ai.input.messages' last message alone when it can, and the list whole otherwise);
// and whether a span is a call, which the store counts as it arrives, against what the span read whole says.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lastUserMessage } from '../../../src/core/genai/genaiMessages';
import { createNormalizer } from '../../../src/core/genai/normalize';
import type { LogRecordData, SpanRecord } from '../../../src/core/records';
import { fixtureBatch, fixtureEntries } from '../helpers/fixtures';

const normalizer = createNormalizer();

/** The question as the outline reads it, and as the whole call's messages give it. */
function bothWays(record: SpanRecord, logs: readonly LogRecordData[] = []): [unknown, unknown] {
  const outline = normalizer.outline(record, logs, () => true);
  const span = normalizer.span(record, logs);
  const whole = normalizer.trace(record.traceId, [span], 0).summary.preview;
  // A call's question is read when asked for (wantPreview says yes here); other spans ask none.
  assert.equal(outline.previewRead, span.llm !== undefined && span.llm.operation !== 'embeddings');
  return [outline.preview, whole];
}

function call(input: string, extra: SpanRecord['attributes'] = {}): SpanRecord {
  return {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    name: 'chat gpt-4o-mini',
    kind: 3,
    startTimeUnixNano: '1700000000000000000',
    endTimeUnixNano: '1700000001000000000',
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.input.messages': input,
      ...extra,
    },
    events: [],
    links: [],
    status: { code: 0 },
    resource: { 'service.name': 'app' },
    scope: { name: 'test' },
  };
}

const user = (text: string) => ({ role: 'user', parts: [{ type: 'text', content: text }] });
const system = { role: 'system', parts: [{ type: 'text', content: 'You are terse. '.repeat(50) }] };
const assistant = { role: 'assistant', parts: [{ type: 'text', content: 'Sunny.' }] };
const tool = (response: unknown) => ({
  role: 'tool',
  parts: [{ type: 'tool_call_response', id: 'call_1', response }],
});
/** Python's json.dumps: a space after every comma and colon. */
const pythonJson = (v: unknown): string => JSON.stringify(v).replace(/","/g, '", "').replace(/":/g, '": ');

describe('the question at ingest', () => {
  it('is what the whole content gives, on every captured fixture', () => {
    let calls = 0;
    for (const entry of fixtureEntries().filter((e) => e.signal !== 'metrics')) {
      const batch = fixtureBatch(entry);
      for (const record of batch.spans) {
        const logs = batch.logs.filter((l) => l.spanId === record.spanId);
        const [outline, whole] = bothWays(record, logs);
        const isCall = normalizer.span(record, logs).llm !== undefined;
        // What the store counts as a call at ingest, before it reads any outline.
        assert.equal(normalizer.isCall(record), isCall, `${entry.library} ${entry.scenario} ${record.name}`);
        if (isCall) calls++;
        assert.equal(outline, whole, `${entry.library} ${entry.scenario} ${record.name}`);
      }
    }
    assert.ok(calls > 50, `${calls} calls`);
  });

  it('is what the whole list gives, however the list is written', () => {
    const lists: [string, string | undefined][] = [
      [JSON.stringify([system, user('Will it rain in Lisbon?')]), 'Will it rain in Lisbon?'],
      [pythonJson([system, user('And in Porto?')]), 'And in Porto?'],
      [JSON.stringify([user('first'), assistant, user('second')]) + '\n ', 'second'],
      // The last message is not the user's: the list is read whole for the last one that is.
      [JSON.stringify([user('asked'), assistant]), 'asked'],
      [JSON.stringify([user('asked'), tool({ role: 'user', parts: [] })]), 'asked'],
      [JSON.stringify([user('asked'), tool([{ role: 'user', x: 1 }])]), 'asked'],
      // Keys in another order, and a user message with nothing to say.
      [JSON.stringify([{ parts: [{ type: 'text', content: 'parts first' }], role: 'user' }]), 'parts first'],
      [
        JSON.stringify([user('earlier'), { role: 'user', parts: [{ type: 'blob', modality: 'image' }] }]),
        'earlier',
      ],
      [JSON.stringify([user('earlier'), user('   ')]), 'earlier'],
      // Text that looks like a message inside a string, and a list that is not JSON at all.
      [JSON.stringify([user('say {"role":"user"} please')]), 'say {"role":"user"} please'],
      [JSON.stringify([user('kept'), user('cut')]).slice(0, -3), undefined],
      ['{"role":"user","parts":[{"type":"text","content":"one message, no list"}]}', 'one message, no list'],
      [JSON.stringify({ messages: [user('wrapped')] }), 'wrapped'],
      ['[]', undefined],
      // Plain text that ends with a list is the question as it is.
      [`Convert this: ${JSON.stringify([user('hi')])}`, `Convert this: ${JSON.stringify([user('hi')])}`],
      // Cut by the sender's length limit just after a user message nested in a later one.
      [
        JSON.stringify([user('kept'), { role: 'assistant', history: [user('nested')] }]).slice(0, -2),
        undefined,
      ],
      // A list that closed before the message, and quotes and brackets inside strings before it.
      [`[${JSON.stringify(user('a'))}],${JSON.stringify(user('b'))}]`, undefined],
      [JSON.stringify([user('say "[" and \\"]'), user('then this')]), 'then this'],
    ];
    for (const [text, expected] of lists) {
      const [outline, whole] = bothWays(call(text));
      assert.equal(outline, whole, text);
      if (expected !== undefined) assert.equal(outline, expected, text);
    }
  });

  it('is what the whole list gives when a part of the last message cannot be read', () => {
    // A part too deep to turn into a value: the whole list's reader passes over it as unreadable.
    const deep = '['.repeat(20_000) + ']'.repeat(20_000);
    const text = `[${JSON.stringify(user('earlier'))},{"role":"user","parts":[{"type":"x","v":${deep}}]}]`;
    const [outline, whole] = bothWays(call(text));
    assert.equal(outline, whole);
  });

  it('is what the whole list gives when the sender cut it', () => {
    const text = JSON.stringify([system, user('the question')]);
    const record: SpanRecord = {
      ...call(text),
      truncated: { 'gen_ai.input.messages': { limit: text.length, unit: 'characters' } },
    };
    const [outline, whole] = bothWays(record);
    assert.equal(outline, whole);
  });

  it("reads the last message alone only when it is the list's last element and the user's", () => {
    const text = (m: unknown) => lastUserMessage(JSON.stringify(m))?.parts;
    assert.deepEqual(text([system, user('alone')]), [{ type: 'text', text: 'alone' }]);
    assert.deepEqual(lastUserMessage(pythonJson([system, user('spaced')]))?.parts, [
      { type: 'text', text: 'spaced' },
    ]);
    assert.equal(text([user('asked'), assistant]), undefined);
    assert.equal(text([user('asked'), tool({ role: 'user', parts: [] })]), undefined);
    assert.equal(text([[user('nested')]]), undefined);
    assert.equal(text({ messages: [user('wrapped')] }), undefined);
    assert.equal(lastUserMessage(JSON.stringify([user('cut')]).slice(0, -1)), undefined);
  });
});
