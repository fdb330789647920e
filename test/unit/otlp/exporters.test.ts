// The OpenTelemetry JS SDK's own OTLP exporters (protobuf and JSON, plain and gzip) send to the
// receiver. This checks the schema's field numbers and the JSON rules against an independent writer:
// what arrives must be exactly the spans the SDK recorded.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { MemoryLogger } from '../../../src/core/logger';
import type { DecodedRequest } from '../../../src/otlp/decode';
import { OtlpHttpReceiver, type ReceiverBatchInfo } from '../../../src/otlp/httpReceiver';
import type { SpanRecord } from '../../../src/core/records';

/** [seconds, nanoseconds] as the SDK keeps times, to the decimal nanosecond string OTLP carries. */
function nanos(t: readonly [number, number]): string {
  return (BigInt(t[0]) * 1_000_000_000n + BigInt(t[1])).toString();
}

describe('real OpenTelemetry JS exporters into the receiver', () => {
  const received: { batch: DecodedRequest; info: ReceiverBatchInfo }[] = [];
  let receiver: OtlpHttpReceiver;
  let endpoint: string;

  before(async () => {
    receiver = new OtlpHttpReceiver({
      host: '127.0.0.1',
      port: 0,
      maxBodyBytes: 1024 * 1024,
      logger: new MemoryLogger(),
      onBatch: (batch, info) => void received.push({ batch, info }),
    });
    endpoint = `http://127.0.0.1:${(await receiver.start()).port}/v1/traces`;
  });
  after(() => receiver.stop());

  for (const [name, make, encoding, compression] of [
    ['exporter-trace-otlp-proto', (url: string) => new ProtoExporter({ url }), 'protobuf', undefined],
    [
      'exporter-trace-otlp-proto with gzip',
      (url: string) => new ProtoExporter({ url, compression: 'gzip' as never }),
      'protobuf',
      'gzip',
    ],
    ['exporter-trace-otlp-http (JSON)', (url: string) => new JsonExporter({ url }), 'json', undefined],
    [
      'exporter-trace-otlp-http (JSON) with gzip',
      (url: string) => new JsonExporter({ url, compression: 'gzip' as never }),
      'json',
      'gzip',
    ],
  ] as const) {
    it(`receives exactly what ${name} sends`, async () => {
      const memory = new InMemorySpanExporter();
      const provider = new TracerProvider({
        resource: resourceFromAttributes({ 'service.name': 'exporter-test', 'service.version': '1.2.3' }),
        spanProcessors: [
          new SimpleSpanProcessor({ exporter: memory }),
          new SimpleSpanProcessor({ exporter: make(endpoint) }),
        ],
      });
      const tracer = provider.getTracer('exporter-test-scope', '9.9.9');
      const before = received.length;
      const root = tracer.startSpan('invoke_agent shop', {
        kind: SpanKind.SERVER,
        attributes: { 'session.id': 'sess-1' },
      });
      const child = tracer.startSpan(
        'chat gpt-4o-mini',
        {
          kind: SpanKind.CLIENT,
          attributes: {
            'gen_ai.operation.name': 'chat',
            'gen_ai.usage.input_tokens': 42,
            'gen_ai.request.temperature': 0.5,
            'gen_ai.request.stream': false,
            'gen_ai.response.finish_reasons': ['stop', 'length'],
            'gen_ai.input.messages': JSON.stringify([
              { role: 'user', parts: [{ type: 'text', content: 'Grüße 👋' }] },
            ]),
          },
          links: [{ context: root.spanContext(), attributes: { 'link.kind': 'follows' } }],
        },
        trace.setSpan(context.active(), root),
      );
      child.addEvent('gen_ai.choice', { index: 0, 'finish.reason': 'stop' });
      child.setStatus({ code: SpanStatusCode.ERROR, message: 'rate limited' });
      child.end();
      root.end();
      await provider.forceFlush();
      // Read before shutdown: shutting the in-memory exporter down empties it.
      const recorded = [...memory.getFinishedSpans()];
      await provider.shutdown();
      assert.equal(recorded.length, 2);

      const spans = received.slice(before).flatMap((r) => r.batch.spans);
      for (const r of received.slice(before)) {
        assert.equal(r.info.encoding, encoding);
        assert.equal(r.info.contentEncoding, compression);
        assert.equal(r.batch.rejected, 0, r.batch.rejectReason);
      }
      assert.equal(spans.length, recorded.length);
      for (const want of recorded) {
        const got = spans.find((s) => s.spanId === want.spanContext().spanId);
        assert.ok(got, `span ${want.name} arrived`);
        assert.deepEqual(got, expected(want));
      }
    });
  }
});

/** The record the decoder should produce for a span the SDK recorded. */
function expected(span: ReadableSpan): SpanRecord {
  const record: SpanRecord = {
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    name: span.name,
    kind: span.kind + 1, // the API's SpanKind starts at INTERNAL = 0; OTLP's at UNSPECIFIED = 0
    startTimeUnixNano: nanos(span.startTime),
    endTimeUnixNano: nanos(span.endTime),
    attributes: Object.fromEntries(Object.entries(span.attributes).map(([k, v]) => [k, v as never])),
    events: span.events.map((e) => ({
      name: e.name,
      timeUnixNano: nanos(e.time),
      attributes: { ...(e.attributes as Record<string, never>) },
    })),
    links: span.links.map((l) => ({
      traceId: l.context.traceId,
      spanId: l.context.spanId,
      attributes: { ...(l.attributes as Record<string, never>) },
    })),
    status: span.status.message
      ? { code: span.status.code, message: span.status.message }
      : { code: span.status.code },
    resource: Object.fromEntries(Object.entries(span.resource.attributes)) as Record<string, never>,
    scope: {
      name: span.instrumentationScope.name,
      ...(span.instrumentationScope.version ? { version: span.instrumentationScope.version } : {}),
    },
  };
  const parent = span.parentSpanContext?.spanId;
  if (parent) record.parentSpanId = parent;
  return record;
}
