// The request and response documents of an LLM call (Open Request / Open Response / Compare): what each
// holds, in a stable order, for real captured calls; and the documents' URIs read back strictly.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TraceStore } from '../../../src/core/store';
import { createNormalizer } from '../../../src/core/genai/normalize';
import type { Trace } from '../../../src/core/model';
import { callDocumentQuery, callDocumentText, parseCallDocumentQuery } from '../../../src/host/callJson';
import { fixtureBatch, fixtureEntries } from '../helpers/fixtures';

function traceOf(library: string, scenario: string): Trace {
  const store = new TraceStore({ maxTraces: 10, normalizer: createNormalizer(), debounceMs: 0 });
  for (const e of fixtureEntries({ library, scenario, encoding: 'protobuf' }))
    if (e.signal !== 'metrics') store.ingest(fixtureBatch(e), 'otlp');
  return store.getTrace(store.list()[0]!.traceId)!;
}

describe('call documents', () => {
  const tools = traceOf('openinference', 'tools');
  const calls = tools.spans.filter((s) => s.llm);

  it('the request holds model, parameters (sorted), tool definitions and the input messages only', () => {
    const call = calls[0]!;
    const request = JSON.parse(callDocumentText(tools, 'request', call.spanId)!) as Record<string, unknown>;
    assert.equal(request.model, call.llm!.requestModel);
    assert.deepEqual(Object.keys(request.parameters as object), Object.keys(call.llm!.parameters).sort());
    const toolsDefs = request.tools as { name: string; parameters?: unknown }[];
    assert.equal(toolsDefs.length, call.llm!.toolDefinitions.length);
    assert.ok(toolsDefs.length > 0);
    // JSON-schema parameters are shown as JSON, not as an escaped string.
    assert.equal(typeof toolsDefs[0]!.parameters, 'object');
    const messages = request.messages as { role: string }[];
    assert.equal(messages.length, call.llm!.messages.filter((m) => m.direction === 'input').length);
    assert.ok(messages.length > 0);
  });

  it('the response holds the output messages, finish reasons and usage; tool-call arguments as JSON', () => {
    const call = calls[0]!;
    const response = JSON.parse(callDocumentText(tools, 'response', call.spanId)!) as {
      messages: { parts: { type: string; arguments?: unknown }[] }[];
      finishReasons: string[];
      usage: Record<string, number>;
    };
    assert.deepEqual(response.finishReasons, call.llm!.finishReasons);
    assert.equal(response.usage.inputTokens, call.llm!.usage.inputTokens);
    assert.equal(response.usage.outputTokens, call.llm!.usage.outputTokens);
    const toolCall = response.messages.flatMap((m) => m.parts).find((p) => p.type === 'toolCall');
    assert.ok(toolCall, 'the first call of the tools turn asks for a tool');
    assert.equal(typeof toolCall.arguments, 'object');
  });

  it('is stable: the same call gives the same text, and a call document has both halves', () => {
    const again = traceOf('openinference', 'tools');
    const id = calls[1]!.spanId;
    assert.equal(callDocumentText(tools, 'call', id), callDocumentText(again, 'call', id));
    const whole = JSON.parse(callDocumentText(tools, 'call', id)!) as Record<string, unknown>;
    assert.deepEqual(Object.keys(whole), ['call', 'request', 'response']);
    assert.ok(callDocumentText(tools, 'call', id)!.endsWith('}\n'));
  });

  it('a turn lists every LLM call of the trace in time order', () => {
    const turn = JSON.parse(callDocumentText(tools, 'turn')!) as { calls: { call: { spanId: string } }[] };
    assert.deepEqual(
      turn.calls.map((c) => c.call.spanId),
      calls.map((c) => c.spanId),
    );
  });

  it('a failed call says why in its response', () => {
    const failed = traceOf('otel-openai', 'error');
    const call = failed.spans.find((s) => s.llm && s.status.code === 'error')!;
    const response = JSON.parse(callDocumentText(failed, 'response', call.spanId)!) as {
      error?: { message?: string };
    };
    assert.ok(response.error?.message);
  });

  it('gives nothing for a span that is not an LLM call', () => {
    const other = tools.spans.find((s) => !s.llm)!;
    assert.equal(callDocumentText(tools, 'request', other.spanId), undefined);
    assert.equal(callDocumentText(tools, 'request', 'ffffffffffffffff'), undefined);
  });

  it('reads its URIs back, and refuses ones it did not write', () => {
    const ref = {
      sourceId: 'appInsights:abc',
      traceId: tools.traceId,
      spanId: calls[0]!.spanId,
      part: 'request' as const,
    };
    assert.deepEqual(parseCallDocumentQuery(callDocumentQuery(ref)), ref);
    const turn = { traceId: tools.traceId, part: 'turn' as const };
    assert.deepEqual(parseCallDocumentQuery(callDocumentQuery(turn)), turn);
    assert.equal(parseCallDocumentQuery(`trace=${tools.traceId}&part=request`), undefined);
    assert.equal(parseCallDocumentQuery(`trace=xyz&span=${ref.spanId}&part=request`), undefined);
    assert.equal(parseCallDocumentQuery(`trace=${tools.traceId}&span=${ref.spanId}&part=exec`), undefined);
    assert.equal(parseCallDocumentQuery(''), undefined);
  });
});
