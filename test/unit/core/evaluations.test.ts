// `gen_ai.evaluation.result` events as the OpenTelemetry JS SDK sends them (through its real gRPC
// exporters into the receiver): a span event on the evaluated call, a log record parented to it, and a
// log record from an evaluator's own span that names the call by `gen_ai.response.id`.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SpanKind, context, trace } from '@opentelemetry/api';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { MemoryLogger } from '../../../src/core/logger';
import type { TelemetryBatch } from '../../../src/core/records';
import { OtlpGrpcReceiver } from '../../../src/otlp/grpcReceiver';
import { TraceStore } from '../../../src/core/store';
import { createNormalizer } from '../../../src/core/genai/normalize';

describe('evaluation results', () => {
  const batches: TelemetryBatch[] = [];
  let receiver: OtlpGrpcReceiver;
  let url: string;

  before(async () => {
    receiver = new OtlpGrpcReceiver({
      host: '127.0.0.1',
      port: 0,
      maxBodyBytes: 1024 * 1024,
      logger: new MemoryLogger(),
      onBatch: (batch) => void batches.push(batch),
    });
    url = `http://127.0.0.1:${(await receiver.start()).port}`;
  });
  after(() => receiver.stop());

  /** Runs `record` with real providers exporting to the receiver; returns a store holding what arrived. */
  async function send(
    record: (
      tracer: ReturnType<TracerProvider['getTracer']>,
      logger: ReturnType<LoggerProvider['getLogger']>,
    ) => void,
  ): Promise<TraceStore> {
    const from = batches.length;
    const resource = resourceFromAttributes({ 'service.name': 'eval-test' });
    const tracing = new TracerProvider({
      resource,
      spanProcessors: [new SimpleSpanProcessor({ exporter: new OTLPTraceExporter({ url }) })],
    });
    const logging = new LoggerProvider({
      resource,
      processors: [new SimpleLogRecordProcessor({ exporter: new OTLPLogExporter({ url }) })],
    });
    record(tracing.getTracer('eval-test'), logging.getLogger('eval-test'));
    await tracing.shutdown();
    await logging.shutdown();
    const store = new TraceStore({ maxTraces: 10, normalizer: createNormalizer(), debounceMs: 0 });
    for (const b of batches.slice(from)) store.ingest(b, 'otlp');
    return store;
  }

  function chat(
    tracer: ReturnType<TracerProvider['getTracer']>,
    responseId: string,
    parent = context.active(),
  ) {
    return tracer.startSpan(
      'chat gpt-4o-mini',
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': 'gpt-4o-mini',
          'gen_ai.response.id': responseId,
          'gen_ai.usage.input_tokens': 12,
          'gen_ai.usage.output_tokens': 4,
        },
      },
      parent,
    );
  }

  it('reads a span event on the evaluated call and a log record parented to it', async () => {
    let traceId = '';
    let spanId = '';
    const store = await send((tracer, logger) => {
      const call = chat(tracer, 'chatcmpl-1');
      traceId = call.spanContext().traceId;
      spanId = call.spanContext().spanId;
      call.addEvent('gen_ai.evaluation.result', {
        'gen_ai.evaluation.name': 'Relevance',
        'gen_ai.evaluation.score.value': 4,
        'gen_ai.evaluation.score.label': 'relevant',
        'gen_ai.evaluation.explanation': 'Answers the question asked.',
      });
      logger.emit({
        eventName: 'gen_ai.evaluation.result',
        context: trace.setSpan(context.active(), call),
        attributes: {
          'gen_ai.evaluation.name': 'Groundedness',
          'gen_ai.evaluation.score.label': 'fail',
        },
      });
      call.end();
    });
    const span = store.getTrace(traceId)?.spans.find((s) => s.spanId === spanId);
    assert.deepEqual(span?.llm?.evaluations, [
      { name: 'Relevance', score: 4, label: 'relevant', explanation: 'Answers the question asked.' },
      { name: 'Groundedness', label: 'fail' },
    ]);
    // The tree's outline has them too: the summary counts them without reading content.
    const outline = store.getOutline(traceId)?.spans.find((s) => s.spanId === spanId);
    assert.equal(outline?.llm?.evaluations?.length, 2);
    store.dispose();
  });

  it('gives an evaluator span’s result to the call its response id names, and to no other', async () => {
    let traceId = '';
    const ids: Record<string, string> = {};
    const store = await send((tracer, logger) => {
      const root = tracer.startSpan('invoke_agent helper');
      const inRoot = trace.setSpan(context.active(), root);
      traceId = root.spanContext().traceId;
      const a = chat(tracer, 'chatcmpl-a', inRoot);
      const b = chat(tracer, 'chatcmpl-b', inRoot);
      ids.a = a.spanContext().spanId;
      ids.b = b.spanContext().spanId;
      a.end();
      b.end();
      const judge = tracer.startSpan('evaluate answer', {}, inRoot);
      ids.judge = judge.spanContext().spanId;
      logger.emit({
        eventName: 'gen_ai.evaluation.result',
        context: trace.setSpan(context.active(), judge),
        attributes: {
          'gen_ai.evaluation.name': 'Correctness',
          'gen_ai.evaluation.score.value': 0.25,
          'gen_ai.response.id': 'chatcmpl-b',
        },
      });
      // No name: not an evaluation the conventions allow, so nothing is shown for it.
      judge.addEvent('gen_ai.evaluation.result', { 'gen_ai.response.id': 'chatcmpl-a' });
      judge.end();
      root.end();
    });
    const spans = store.getTrace(traceId)?.spans ?? [];
    const byId = (id: string | undefined) => spans.find((s) => s.spanId === id);
    assert.equal(byId(ids.a)?.llm?.evaluations, undefined);
    assert.deepEqual(byId(ids.b)?.llm?.evaluations, [{ name: 'Correctness', score: 0.25 }]);
    assert.equal(byId(ids.judge)?.llm, undefined);
    // Built again from the store's cached spans (a late span of the trace), it is still there once.
    const late = { ...batches.flatMap((b) => b.spans).at(-1)! };
    store.ingest(
      {
        spans: [{ ...late, traceId, spanId: 'ffffffffffffffff', name: 'late', events: [], attributes: {} }],
        logs: [],
      },
      'otlp',
    );
    const again = store.getTrace(traceId)?.spans.find((s) => s.spanId === ids.b);
    assert.deepEqual(again?.llm?.evaluations, [{ name: 'Correctness', score: 0.25 }]);
    assert.equal(store.getTrace(traceId)?.spans.length, spans.length + 1);
    store.dispose();
  });

  it('keeps an evaluation naming another response off the span it sits on', async () => {
    let traceId = '';
    const ids: Record<string, string> = {};
    const store = await send((tracer) => {
      const a = chat(tracer, 'chatcmpl-x');
      traceId = a.spanContext().traceId;
      const b = chat(tracer, 'chatcmpl-y', trace.setSpan(context.active(), a));
      b.end();
      ids.a = a.spanContext().spanId;
      a.addEvent('gen_ai.evaluation.result', {
        'gen_ai.evaluation.name': 'Toxicity',
        'gen_ai.evaluation.score.value': '0.1',
        'gen_ai.response.id': 'chatcmpl-zzz',
      });
      a.end();
    });
    const span = store.getTrace(traceId)?.spans.find((s) => s.spanId === ids.a);
    assert.ok(span?.llm);
    assert.equal(span.llm.evaluations, undefined);
    store.dispose();
  });
});
