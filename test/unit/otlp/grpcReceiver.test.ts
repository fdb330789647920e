// OTLP/gRPC: the real OpenTelemetry gRPC exporters (traces and logs, plain and gzip) into the receiver, and
// what a sender sees for a malformed message, one above the size limit, and one sent while it stops.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { SpanKind } from '@opentelemetry/api';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { MemoryLogger } from '../../../src/core/logger';
import type { DecodedRequest } from '../../../src/otlp/decode';
import type { ReceiverBatchInfo } from '../../../src/otlp/httpReceiver';
import { OTLP_GRPC_METHODS, OtlpGrpcReceiver } from '../../../src/otlp/grpcReceiver';
import { otlpTypes } from '../../../src/otlp/otlpProto';
import { fixtureBatch, fixtureEntries, fixturePayload } from '../helpers/fixtures';

const MAX = 64 * 1024;

/** One raw unary call, to see exactly the status a sender gets. */
function rawCall(port: number, method: string, body: Buffer): Promise<{ code: number; details: string }> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      method,
      (b: Buffer) => b,
      (b: Buffer) => b,
      body,
      (err) => {
        client.close();
        resolve({ code: err?.code ?? grpc.status.OK, details: err?.details ?? '' });
      },
    );
  });
}

describe('OtlpGrpcReceiver', () => {
  const received: { batch: DecodedRequest; info: ReceiverBatchInfo }[] = [];
  let receiver: OtlpGrpcReceiver;
  let port: number;

  before(async () => {
    receiver = new OtlpGrpcReceiver({
      host: '127.0.0.1',
      port: 0,
      maxBodyBytes: MAX,
      logger: new MemoryLogger(),
      onBatch: (batch, info) => void received.push({ batch, info }),
    });
    port = (await receiver.start()).port;
    assert.ok(port > 0);
  });
  after(() => receiver.stop());

  for (const compression of ['none', 'gzip'] as const) {
    it(`receives the spans and log records the real gRPC exporters send (${compression})`, async () => {
      const before = received.length;
      const url = `http://127.0.0.1:${port}`;
      const resource = resourceFromAttributes({ 'service.name': `grpc-${compression}` });
      const tracer = new TracerProvider({
        resource,
        spanProcessors: [
          new SimpleSpanProcessor({
            exporter: new OTLPTraceExporter({ url, compression: compression as never }),
          }),
        ],
      });
      const span = tracer.getTracer('grpc-test').startSpan('chat gpt-4o-mini', {
        kind: SpanKind.CLIENT,
        attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o-mini' },
      });
      const traceId = span.spanContext().traceId;
      span.end();
      await tracer.shutdown();
      const logs = new LoggerProvider({
        resource,
        processors: [
          new SimpleLogRecordProcessor({
            exporter: new OTLPLogExporter({ url, compression: compression as never }),
          }),
        ],
      });
      logs
        .getLogger('grpc-test')
        .emit({ body: { content: 'hello over gRPC' }, attributes: { 'event.name': 'gen_ai.user.message' } });
      await logs.shutdown();
      const got = received.slice(before);
      const spans = got.flatMap((r) => r.batch.spans);
      const logRecords = got.flatMap((r) => r.batch.logs);
      assert.equal(spans.length, 1);
      assert.equal(spans[0]!.traceId, traceId);
      assert.equal(spans[0]!.attributes['gen_ai.request.model'], 'gpt-4o-mini');
      assert.equal(spans[0]!.resource['service.name'], `grpc-${compression}`);
      assert.equal(logRecords.length, 1);
      assert.deepEqual(logRecords[0]!.body, { content: 'hello over gRPC' });
      assert.ok(got.every((r) => r.info.encoding === 'protobuf' && r.info.transport === 'grpc'));
    });
  }

  it('answers INVALID_ARGUMENT with the reason for a malformed message, and keeps serving', async () => {
    const before = received.length;
    const answer = await rawCall(
      port,
      OTLP_GRPC_METHODS.traces,
      Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]),
    );
    assert.equal(answer.code, grpc.status.INVALID_ARGUMENT);
    assert.ok(answer.details.length > 0);
    assert.equal(received.length, before);
    const types = otlpTypes();
    const empty = Buffer.from(types.traceRequest.encode(types.traceRequest.fromObject({})).finish());
    assert.equal((await rawCall(port, OTLP_GRPC_METHODS.traces, empty)).code, grpc.status.OK);
  });

  it('refuses a message above the size limit with RESOURCE_EXHAUSTED', async () => {
    const answer = await rawCall(port, OTLP_GRPC_METHODS.logs, Buffer.alloc(MAX + 1024, 0x0a));
    assert.equal(answer.code, grpc.status.RESOURCE_EXHAUSTED);
  });

  // grpc-js checks the limit on the frame and again while inflating; this shows a compressed sender is
  // refused too, and that the refusal is the size one, not a crash.
  it('refuses a message beyond the limit sent gzip-compressed, with RESOURCE_EXHAUSTED', async () => {
    const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
      'grpc.default_compression_algorithm': grpc.compressionAlgorithms.gzip,
    });
    const bomb = Buffer.alloc(MAX * 8, 0); // compresses to a few hundred bytes
    const code = await new Promise<number>((resolve) => {
      client.makeUnaryRequest(
        OTLP_GRPC_METHODS.traces,
        (b: Buffer) => b,
        (b: Buffer) => b,
        bomb,
        (err) => {
          client.close();
          resolve(err?.code ?? grpc.status.OK);
        },
      );
    });
    assert.equal(code, grpc.status.RESOURCE_EXHAUSTED);
  });

  it('answers metrics so exporters do not fail, and hands on only those with GenAI metrics', async () => {
    const before = received.length;
    const types = otlpTypes();
    const empty = Buffer.from(types.metricsRequest.encode(types.metricsRequest.fromObject({})).finish());
    assert.equal((await rawCall(port, OTLP_GRPC_METHODS.metrics, empty)).code, grpc.status.OK);
    assert.equal(received.length, before);
    const entry = fixtureEntries({ library: 'otel-openai', signal: 'metrics', encoding: 'protobuf' })[0]!;
    assert.equal(
      (await rawCall(port, OTLP_GRPC_METHODS.metrics, fixturePayload(entry))).code,
      grpc.status.OK,
    );
    assert.equal(received.length, before + 1);
    const { batch, info } = received.at(-1)!;
    assert.deepEqual(batch.metrics, fixtureBatch(entry).metrics);
    assert.equal(info.signal, 'metrics');
    assert.ok(info.body && Buffer.from(info.body).equals(fixturePayload(entry)), 'kept for the request log');
  });
});

describe('OtlpGrpcReceiver life cycle', () => {
  const quiet = { logger: new MemoryLogger(), maxBodyBytes: MAX, onBatch: () => undefined };

  it('reports a taken port as PortInUseError and stops cleanly', async () => {
    const first = new OtlpGrpcReceiver({ ...quiet, host: '127.0.0.1', port: 0 });
    const { port } = await first.start();
    const second = new OtlpGrpcReceiver({ ...quiet, host: '127.0.0.1', port });
    await assert.rejects(second.start(), { name: 'PortInUseError' });
    await first.stop();
    await first.stop();
    const types = otlpTypes();
    const empty = Buffer.from(types.traceRequest.encode(types.traceRequest.fromObject({})).finish());
    assert.notEqual(
      (await rawCall(port, OTLP_GRPC_METHODS.traces, empty)).code,
      grpc.status.OK,
      'nothing answers',
    );
  });
});
