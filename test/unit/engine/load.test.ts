// Load: many real OpenTelemetry exporters at once (OTLP/HTTP protobuf and JSON, OTLP/gRPC traces and logs)
// against the ingest engine in its worker thread. Some HTTP answers are lost on the way back (a proxy drops
// the connection after the receiver has stored the request, so the exporter sends it again) and the receiver
// takes few requests at once (others get 503 and are retried). Every span sent must be stored exactly once,
// every log record joined to its span once, and the engine must answer a request while the load runs.
// LTI_LOAD_SPANS sets the spans per exporter (default 240) for a longer run.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import * as net from 'node:net';
import { join } from 'node:path';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPLogExporter as GrpcLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { MemoryLogger } from '../../../src/core/logger';
import { EngineClient } from '../../../src/engine/client';

const SPANS_PER_EXPORTER = Number(process.env.LTI_LOAD_SPANS ?? 240);
const SPANS_PER_TRACE = 4;

/**
 * A TCP proxy in front of the receiver that, on every third connection, lets the request through but
 * closes the connection instead of passing the answer back: the receiver has stored the request, the
 * exporter sees a reset and sends it again.
 */
async function lossyProxy(target: number): Promise<{ port: number; dropped: () => number; close(): void }> {
  let connections = 0;
  let dropped = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const drop = connections++ % 3 === 0;
    const upstream = net.connect(target, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.on('close', () => sockets.delete(client));
    upstream.on('close', () => sockets.delete(upstream));
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.pipe(upstream);
    if (drop) {
      upstream.once('data', () => {
        dropped++;
        client.destroy();
        upstream.destroy();
      });
    } else {
      upstream.pipe(client);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    dropped: () => dropped,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

interface Sent {
  traceIds: Set<string>;
  spanIds: Set<string>;
  /** Spans that carry one log record each (their message). */
  withLog: Map<string, string>;
}

/** One exporter's app: traces of a root and three LLM calls, ended in bursts so batches interleave. */
async function runApp(
  name: string,
  exporter: ConstructorParameters<typeof BatchSpanProcessor>[0]['exporter'],
  sent: Sent,
  logs?: LoggerProvider,
): Promise<TracerProvider> {
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': name }),
    spanProcessors: [
      new BatchSpanProcessor({
        exporter,
        maxExportBatchSize: 64,
        scheduledDelayMillis: 20,
        maxQueueSize: 100_000,
        exportTimeoutMillis: 30_000,
      }),
    ],
  });
  const tracer = provider.getTracer('load-test');
  for (let t = 0; t < SPANS_PER_EXPORTER / SPANS_PER_TRACE; t++) {
    const root = tracer.startSpan(`turn ${t}`, { kind: SpanKind.SERVER });
    const ctx = trace.setSpan(context.active(), root);
    sent.traceIds.add(root.spanContext().traceId);
    sent.spanIds.add(root.spanContext().spanId);
    for (let c = 0; c < SPANS_PER_TRACE - 1; c++) {
      const call = tracer.startSpan(
        'chat gpt-4o-mini',
        {
          kind: SpanKind.CLIENT,
          attributes: {
            'gen_ai.operation.name': 'chat',
            'gen_ai.request.model': 'gpt-4o-mini',
            'gen_ai.usage.input_tokens': 10 + c,
            'gen_ai.usage.output_tokens': 5,
          },
        },
        ctx,
      );
      const id = call.spanContext().spanId;
      sent.spanIds.add(id);
      if (logs) {
        const text = `${name} turn ${t} call ${c}`;
        sent.withLog.set(id, text);
        logs.getLogger('load-test').emit({
          body: { content: text },
          attributes: { 'event.name': 'gen_ai.user.message', 'gen_ai.system': 'openai' },
          context: trace.setSpan(context.active(), call),
        });
      }
      call.end();
    }
    root.end();
    if (t % 8 === 7) await new Promise((r) => setImmediate(r));
  }
  return provider;
}

test('many real exporters over HTTP and gRPC: every span stored exactly once, retries included', async () => {
  const logger = new MemoryLogger();
  const engine = new EngineClient({
    workerPath: join(__dirname, '..', '..', '..', 'src', 'engine', 'tsWorker.cjs'),
    engine: { limits: { maxTraces: 100_000 }, sessionAttributes: [], userAttributes: [], debounceMs: 50 },
    logger,
  });
  const { port, grpcPort } = await engine.listen({
    host: '127.0.0.1',
    port: 0,
    grpcPort: 0,
    maxRequestBytes: 20 * 1024 * 1024,
    maxConcurrentRequests: 3,
  });
  assert.ok(grpcPort);
  const proxy = await lossyProxy(port);
  const sent: Sent = { traceIds: new Set(), spanIds: new Set(), withLog: new Map() };
  const providers: { shutdown(): Promise<void> }[] = [];
  try {
    const viaProxy = `http://127.0.0.1:${proxy.port}/v1/traces`;
    const grpcUrl = `http://127.0.0.1:${grpcPort}`;
    const apps: Promise<TracerProvider>[] = [];
    for (let i = 0; i < 4; i++)
      apps.push(runApp(`proto-${i}`, new ProtoExporter({ url: viaProxy, concurrencyLimit: 1000 }), sent));
    for (let i = 0; i < 2; i++)
      apps.push(runApp(`json-${i}`, new JsonExporter({ url: viaProxy, concurrencyLimit: 1000 }), sent));
    for (let i = 0; i < 3; i++)
      apps.push(runApp(`grpc-${i}`, new GrpcExporter({ url: grpcUrl, concurrencyLimit: 1000 }), sent));
    for (let i = 0; i < 2; i++) {
      const logs = new LoggerProvider({
        resource: resourceFromAttributes({ 'service.name': `grpc-logs-${i}` }),
        processors: [
          new BatchLogRecordProcessor({
            exporter: new GrpcLogExporter({ url: grpcUrl, concurrencyLimit: 1000 }),
            maxExportBatchSize: 64,
            scheduledDelayMillis: 20,
            maxQueueSize: 100_000,
          }),
        ],
      });
      providers.push(logs);
      apps.push(
        runApp(`grpc-logs-${i}`, new GrpcExporter({ url: grpcUrl, concurrencyLimit: 1000 }), sent, logs),
      );
    }
    providers.push(...(await Promise.all(apps)));

    // The engine answers while the exporters are still sending.
    const during = await engine.stats();
    assert.ok(during.heapUsed > 0);

    await Promise.all(providers.map((p) => p.shutdown()));
    const expectedSpans = sent.spanIds.size;
    assert.equal(expectedSpans, 11 * SPANS_PER_EXPORTER);

    await engine.mirror.sync();
    const summaries = engine.mirror.list();
    const storedTraceIds = new Set(summaries.map((s) => s.traceId));
    const missing = [...sent.traceIds].filter((id) => !storedTraceIds.has(id));
    assert.deepEqual(missing, [], 'every trace sent is stored');
    assert.equal(summaries.length, sent.traceIds.size, 'and nothing else');
    assert.equal(
      summaries.reduce((n, s) => n + s.spanCount, 0),
      expectedSpans,
      'every span once: the sum of the traces’ span counts is the number sent',
    );

    // The log records joined their spans once each, although some requests arrived twice.
    const logTraces = summaries.filter((s) => s.service.startsWith('grpc-logs-'));
    let joined = 0;
    for (const summary of logTraces) {
      const whole = await engine.mirror.load(summary.traceId, 'full');
      for (const span of whole!.spans) {
        const expected = sent.withLog.get(span.spanId);
        if (!expected) continue;
        const texts = span
          .llm!.messages.flatMap((m) => m.parts)
          .map((p) => (p.type === 'text' ? p.text : ''));
        assert.deepEqual(texts, [expected], `span ${span.spanId} shows its message once`);
        joined++;
      }
    }
    assert.equal(joined, sent.withLog.size);

    // The retries happened: answers were lost after storing, and some requests were turned away.
    const stats = await engine.stats();
    assert.ok(proxy.dropped() > 0, 'the proxy dropped some answers');
    assert.equal(stats.store.spans, expectedSpans);
    assert.ok(stats.received.spans > expectedSpans, `requests arrived again: ${stats.received.spans} spans`);
    console.log(
      `load: ${providers.length} exporters, ${expectedSpans} spans and ${sent.withLog.size} log records sent; ` +
        `${stats.received.spans} spans received with retries (${proxy.dropped()} answers dropped, ` +
        `${logger.lines.filter((l) => / 503 /.test(l.message)).length} requests refused with 503); ` +
        `${summaries.length} traces stored, no span lost or doubled`,
    );
  } finally {
    proxy.close();
    await engine.dispose();
  }
});
