// The receiver over real HTTP on a loopback port: every answer the OTLP/HTTP specification asks for,
// the size limits before and after decompression, and that no bad request stops it serving or touches
// what it already handed on.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as zlib from 'node:zlib';
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { MemoryLogger } from '../../../src/core/logger';
import { otlpTypes } from '../../../src/otlp/otlpProto';
import type { DecodedRequest } from '../../../src/otlp/decode';
import {
  OtlpHttpReceiver,
  PortInUseError,
  ReceiverStartError,
  RECEIVER_SERVER_HEADER,
  type ReceiverBatchInfo,
} from '../../../src/otlp/httpReceiver';
import { send, startSending, type Answer } from './helpers';

const TRACE = '5b8efff798038103d269b633813fc60c';
const types = otlpTypes();
const MAX = 64 * 1024;

// The receiver's own spans go to the tracer it is given. A provider registered globally (as another
// extension in the same host might) must receive none of them.
const selfSpans = new InMemorySpanExporter();
const selfProvider = new TracerProvider({
  spanProcessors: [new SimpleSpanProcessor({ exporter: selfSpans })],
});
const globalSpans = new InMemorySpanExporter();
const globalProvider = new TracerProvider({
  spanProcessors: [new SimpleSpanProcessor({ exporter: globalSpans })],
});
trace.setGlobalTracerProvider(globalProvider);

let spanCounter = 0;
/** A fresh span id each time, so every good batch is told apart from the others. */
function nextSpanId(): string {
  return (++spanCounter).toString(16).padStart(16, '0');
}

function protoTraces(spanId = nextSpanId(), extra: Record<string, unknown>[] = []): Uint8Array {
  const spans = [
    {
      traceId: Buffer.from(TRACE, 'hex'),
      spanId: Buffer.from(spanId, 'hex'),
      name: `span ${spanId}`,
      attributes: [{ key: 'gen_ai.system', value: { stringValue: 'openai' } }],
    },
    ...extra,
  ];
  return types.traceRequest
    .encode(types.traceRequest.fromObject({ resourceSpans: [{ scopeSpans: [{ spans }] }] }))
    .finish();
}

function jsonTraces(spanId = nextSpanId(), extra: Record<string, unknown>[] = []): string {
  return JSON.stringify({
    resourceSpans: [
      { scopeSpans: [{ spans: [{ traceId: TRACE, spanId, name: `span ${spanId}` }, ...extra] }] },
    ],
  });
}

const PB = { 'content-type': 'application/x-protobuf' };
const JSON_TYPE = { 'content-type': 'application/json' };

describe('OtlpHttpReceiver', () => {
  const logger = new MemoryLogger();
  const batches: { batch: DecodedRequest; info: ReceiverBatchInfo }[] = [];
  const snapshots: string[] = [];
  let failNext: 'throw' | 'reject' | undefined;
  let receiver: OtlpHttpReceiver;
  let port: number;

  before(async () => {
    receiver = new OtlpHttpReceiver({
      host: '127.0.0.1',
      port: 0,
      maxBodyBytes: MAX,
      logger,
      tracer: selfProvider.getTracer('llm-trace-inspector'),
      onBatch: (batch, info) => {
        if (failNext === 'throw') {
          failNext = undefined;
          throw new Error('store exploded');
        }
        if (failNext === 'reject') {
          failNext = undefined;
          return Promise.reject(new Error('async store exploded'));
        }
        batches.push({ batch, info });
        snapshots.push(JSON.stringify(batch));
        return undefined;
      },
    });
    const address = await receiver.start();
    assert.equal(address.host, '127.0.0.1');
    assert.ok(address.port > 0);
    port = address.port;
  });

  after(async () => {
    await receiver.stop();
    await selfProvider.shutdown();
    await globalProvider.shutdown();
    trace.disable();
  });

  /** After any refusal: the server still accepts a good request, and nothing handed on earlier changed. */
  async function assertStillServing(): Promise<void> {
    const before = batches.length;
    const spanId = nextSpanId();
    const answer = await send(port, '/v1/traces', { headers: PB, body: protoTraces(spanId) });
    assert.equal(answer.status, 200);
    assert.equal(batches.length, before + 1);
    assert.equal(batches.at(-1)!.batch.spans[0]!.spanId, spanId);
    assert.deepEqual(
      batches.map((b) => JSON.stringify(b.batch)),
      snapshots,
    );
  }

  function assertServerHeader(answer: Answer): void {
    assert.equal(answer.headers['server'], RECEIVER_SERVER_HEADER);
  }

  function statusOf(answer: Answer): { code: number; message: string } {
    const type = String(answer.headers['content-type']);
    if (type.startsWith('application/x-protobuf'))
      return types.rpcStatus.toObject(types.rpcStatus.decode(answer.body)) as {
        code: number;
        message: string;
      };
    assert.match(type, /^application\/json/);
    return JSON.parse(answer.body.toString('utf8')) as { code: number; message: string };
  }

  /** A receiver of its own that takes bodies up to 8 MB, for the duration of `use`. */
  async function withRoomyReceiver(
    use: (port: number, received: DecodedRequest[]) => Promise<void>,
  ): Promise<void> {
    const received: DecodedRequest[] = [];
    const roomy = new OtlpHttpReceiver({
      host: '127.0.0.1',
      port: 0,
      maxBodyBytes: 8 * 1024 * 1024,
      logger,
      onBatch: (batch) => void received.push(batch),
    });
    const { port } = await roomy.start();
    try {
      await use(port, received);
    } finally {
      await roomy.stop();
    }
  }

  describe('accepting', () => {
    it('takes protobuf traces, hands them on with their details and answers an empty protobuf response', async () => {
      const spanId = nextSpanId();
      const body = protoTraces(spanId);
      const answer = await send(port, '/v1/traces', { headers: PB, body });
      assert.equal(answer.status, 200);
      assertServerHeader(answer);
      assert.equal(answer.headers['content-type'], 'application/x-protobuf');
      assert.deepEqual(types.traceResponse.toObject(types.traceResponse.decode(answer.body)), {});
      const { batch, info } = batches.at(-1)!;
      assert.equal(batch.spans.length, 1);
      assert.equal(batch.spans[0]!.spanId, spanId);
      assert.equal(batch.spans[0]!.traceId, TRACE);
      const { body: kept, ...rest } = info;
      assert.deepEqual(rest, {
        signal: 'traces',
        encoding: 'protobuf',
        bytes: body.length,
        remoteAddress: '127.0.0.1',
      });
      assert.ok(
        kept && Buffer.from(kept).equals(Buffer.from(body)),
        'the body is handed on for the request log',
      );
    });

    it('takes JSON with a charset parameter and answers JSON', async () => {
      const answer = await send(port, '/v1/traces', {
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: jsonTraces(),
      });
      assert.equal(answer.status, 200);
      assert.equal(answer.headers['content-type'], 'application/json');
      assert.deepEqual(JSON.parse(answer.body.toString()), {});
      assert.equal(batches.at(-1)!.info.encoding, 'json');
    });

    it('takes logs on /v1/logs and a trailing slash', async () => {
      const body = JSON.stringify({
        resourceLogs: [
          {
            scopeLogs: [
              { logRecords: [{ eventName: 'gen_ai.choice', traceId: TRACE, spanId: '00000000000000aa' }] },
            ],
          },
        ],
      });
      const answer = await send(port, '/v1/logs/', { headers: JSON_TYPE, body });
      assert.equal(answer.status, 200);
      const { batch, info } = batches.at(-1)!;
      assert.equal(info.signal, 'logs');
      assert.equal(batch.logs[0]!.eventName, 'gen_ai.choice');
    });

    for (const [name, encode, header] of [
      ['gzip', zlib.gzipSync, 'gzip'],
      ['zlib deflate', zlib.deflateSync, 'deflate'],
      ['raw deflate', zlib.deflateRawSync, 'deflate'],
    ] as const) {
      it(`takes a ${name} body`, async () => {
        const spanId = nextSpanId();
        const body = encode(protoTraces(spanId));
        const answer = await send(port, '/v1/traces', {
          headers: { ...PB, 'content-encoding': header },
          body,
        });
        assert.equal(answer.status, 200);
        const { batch, info } = batches.at(-1)!;
        assert.equal(batch.spans[0]!.spanId, spanId);
        assert.equal(info.contentEncoding, 'deflate' === header ? 'deflate' : 'gzip');
        assert.equal(info.bytes, body.length);
      });
    }

    it('reads a body of megabytes that comes in many chunks, with its Content-Length or without', async () => {
      await withRoomyReceiver(async (roomyPort, received) => {
        for (const declared of [true, false]) {
          const spanId = nextSpanId();
          // Distinct bytes all through, so a chunk copied to the wrong place would change the value.
          const long = Array.from({ length: 300_000 }, (_, i) => (i % 9973).toString(36)).join('');
          const body = Buffer.from(
            JSON.stringify({
              resourceSpans: [
                {
                  scopeSpans: [
                    {
                      spans: [
                        {
                          traceId: TRACE,
                          spanId,
                          attributes: [{ key: 'long', value: { stringValue: long } }],
                        },
                      ],
                    },
                  ],
                },
              ],
            }),
          );
          const pieces = Array.from({ length: 40 }, (_, i) =>
            body.subarray(Math.floor((i * body.length) / 40), Math.floor(((i + 1) * body.length) / 40)),
          );
          const headers = declared
            ? { ...JSON_TYPE, 'content-length': String(body.length) }
            : { ...JSON_TYPE, 'transfer-encoding': 'chunked' };
          const answer = await send(roomyPort, '/v1/traces', { headers, chunks: pieces });
          assert.equal(answer.status, 200);
          const span = received.at(-1)!.spans[0]!;
          assert.equal(span.spanId, spanId);
          assert.equal(span.attributes['long'], long);
        }
      });
    });

    it('takes a small compressed body that inflates to megabytes, within the limit', async () => {
      // A few kilobytes that inflate past what the receiver inflates on its own thread (128 KB): gzip goes
      // to the thread pool as its trailer says, deflate is inflated there again, up to the body limit.
      await withRoomyReceiver(async (roomyPort, received) => {
        const spanId = nextSpanId();
        const long = { key: 'long', value: { stringValue: 'a'.repeat(6 * 1024 * 1024) } };
        const text = JSON.stringify({
          resourceSpans: [
            { scopeSpans: [{ spans: [{ traceId: TRACE, spanId, name: 'n', attributes: [long] }] }] },
          ],
        });
        for (const [encode, header] of [
          [zlib.gzipSync, 'gzip'],
          [zlib.deflateSync, 'deflate'],
          [zlib.deflateRawSync, 'deflate'],
        ] as const) {
          const body = encode(Buffer.from(text), { level: 9 });
          assert.ok(body.length < 16 * 1024);
          const answer = await send(roomyPort, '/v1/traces', {
            headers: { ...JSON_TYPE, 'content-encoding': header },
            body,
          });
          assert.equal(answer.status, 200);
          const span = received.at(-1)!.spans[0]!;
          assert.equal(span.spanId, spanId);
          assert.equal((span.attributes['long'] as string).length, 6 * 1024 * 1024);
        }
      });
    });

    it('goes by a gzip trailer only for where to inflate: a false one is refused, two members are read', async () => {
      const withTrailer = (gz: Buffer, size: number): Buffer => {
        const out = Buffer.from(gz);
        out.writeUInt32LE(size >>> 0, out.length - 4);
        return out;
      };
      const gzip = { ...PB, 'content-encoding': 'gzip' };
      // Said to inflate to 4 GB (the pool) and to 1 byte (this thread): zlib checks the size at the end.
      for (const size of [0xffffffff, 1]) {
        const answer = await send(port, '/v1/traces', {
          headers: gzip,
          body: withTrailer(zlib.gzipSync(protoTraces()), size),
        });
        assert.equal(answer.status, 400);
        assert.match(statusOf(answer).message, /not valid gzip data/);
      }
      // A member of nothing after the request: the last trailer says 0, and the body holds both.
      const spanId = nextSpanId();
      const twoMembers = Buffer.concat([zlib.gzipSync(protoTraces(spanId)), zlib.gzipSync(Buffer.alloc(0))]);
      const answer = await send(port, '/v1/traces', { headers: gzip, body: twoMembers });
      assert.equal(answer.status, 200);
      assert.equal(batches.at(-1)!.batch.spans[0]!.spanId, spanId);
      await assertStillServing();
    });

    it('treats Content-Encoding: identity as no encoding', async () => {
      const answer = await send(port, '/v1/traces', {
        headers: { ...PB, 'content-encoding': 'identity' },
        body: protoTraces(),
      });
      assert.equal(answer.status, 200);
      assert.equal(batches.at(-1)!.info.contentEncoding, undefined);
    });

    it('answers a partial success naming the rejected spans, in the request encoding', async () => {
      const bad = {
        traceId: Buffer.from('abcd', 'hex'),
        spanId: Buffer.from('0102030405060708', 'hex'),
        name: 'bad',
      };
      const pb = await send(port, '/v1/traces', { headers: PB, body: protoTraces(nextSpanId(), [bad]) });
      assert.equal(pb.status, 200);
      const decoded = types.traceResponse.toObject(types.traceResponse.decode(pb.body), {
        longs: Number,
      }) as { partialSuccess: { rejectedSpans: number; errorMessage: string } };
      assert.equal(decoded.partialSuccess.rejectedSpans, 1);
      assert.match(decoded.partialSuccess.errorMessage, /1 span rejected; first: a span trace id is 2 bytes/);
      assert.equal(batches.at(-1)!.batch.spans.length, 1);

      const js = await send(port, '/v1/traces', {
        headers: JSON_TYPE,
        body: jsonTraces(nextSpanId(), [{ traceId: 'xyz', spanId: 'abc' }, { traceId: TRACE }]),
      });
      const parsed = JSON.parse(js.body.toString()) as {
        partialSuccess: { rejectedSpans: string; errorMessage: string };
      };
      assert.equal(parsed.partialSuccess.rejectedSpans, '2');
      assert.match(parsed.partialSuccess.errorMessage, /^2 spans rejected/);
      assert.ok(logger.lines.some((l) => l.level === 'warn' && l.message.includes('2 spans rejected')));
    });

    it('decodes metrics, answers 200 and passes nothing on', async () => {
      const before = batches.length;
      const body = types.metricsRequest
        .encode(
          types.metricsRequest.fromObject({
            resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'gen_ai.client.token.usage' }] }] }],
          }),
        )
        .finish();
      const answer = await send(port, '/v1/metrics', { headers: PB, body });
      assert.equal(answer.status, 200);
      assert.deepEqual(types.metricsResponse.toObject(types.metricsResponse.decode(answer.body)), {});
      assert.equal(batches.length, before);
      assert.ok(logger.lines.some((l) => l.level === 'info' && l.message.includes('metrics received')));
      const broken = await send(port, '/v1/metrics', { headers: JSON_TYPE, body: '{"resourceMetrics": 5}' });
      assert.equal(broken.status, 400);
    });

    it('does not call onBatch for an empty request', async () => {
      const before = batches.length;
      const answer = await send(port, '/v1/traces', { headers: JSON_TYPE, body: '{"resourceSpans":[]}' });
      assert.equal(answer.status, 200);
      assert.equal(batches.length, before);
    });

    it('wraps each request in its own span', () => {
      const spans = selfSpans.getFinishedSpans();
      assert.ok(spans.length > 0);
      const ok = spans.find(
        (s) => s.attributes['http.response.status_code'] === 200 && s.attributes['otlp.signal'] === 'traces',
      );
      assert.ok(ok, 'a span for an accepted trace request');
      assert.equal(ok.name, 'otlp receive');
      assert.equal(ok.attributes['url.path'], '/v1/traces');
      assert.equal(typeof ok.attributes['otlp.spans'], 'number');
      assert.equal(globalSpans.getFinishedSpans().length, 0, 'nothing reaches the global provider');
    });
  });

  describe('refusing', () => {
    it('answers 404 for other paths', async () => {
      for (const path of ['/', '/v1/trace', '/v2/traces', '/v1/traces/extra']) {
        const answer = await send(port, path, { headers: JSON_TYPE, body: '{}' });
        assert.equal(answer.status, 404, path);
        assertServerHeader(answer);
        assert.match(statusOf(answer).message, /no OTLP endpoint/);
      }
      await assertStillServing();
    });

    it('answers 405 with Allow: POST for other methods', async () => {
      for (const method of ['GET', 'PUT', 'DELETE', 'OPTIONS']) {
        const answer = await send(port, '/v1/traces', { method });
        assert.equal(answer.status, 405, method);
        assert.equal(answer.headers['allow'], 'POST');
        assertServerHeader(answer);
      }
      const withType = await send(port, '/v1/logs', { method: 'PUT', headers: JSON_TYPE, body: '{}' });
      assert.equal(statusOf(withType).code, 12);
      await assertStillServing();
    });

    it('answers 403 to a request from a web page, which carries an Origin header, and stores nothing', async () => {
      const before = batches.length;
      for (const origin of ['http://attacker.example', 'null', 'http://127.0.0.1:4318']) {
        const answer = await send(port, '/v1/traces', {
          headers: { ...JSON_TYPE, origin },
          body: jsonTraces(),
        });
        assert.equal(answer.status, 403, origin);
        assertServerHeader(answer);
        assert.equal(answer.headers['access-control-allow-origin'], undefined);
        assert.match(statusOf(answer).message, /requests from web pages are refused/);
      }
      assert.equal(batches.length, before);
      assert.ok(
        logger.lines.some(
          (l) =>
            l.level === 'warn' &&
            /403 requests from web pages are refused \(Origin: http:\/\/attacker\.example\)/.test(l.message),
        ),
      );
      await assertStillServing();
    });

    it('answers 415 for other content types and encodings', async () => {
      for (const headers of [{ 'content-type': 'text/plain' }, {}, { 'content-type': 'application/xml' }]) {
        const answer = await send(port, '/v1/traces', { headers, body: jsonTraces() });
        assert.equal(answer.status, 415);
        assertServerHeader(answer);
        assert.match(answer.body.toString(), /application\/x-protobuf or application\/json/);
      }
      for (const encoding of ['br', 'zstd', 'gzip, br']) {
        const answer = await send(port, '/v1/traces', {
          headers: { ...JSON_TYPE, 'content-encoding': encoding },
          body: jsonTraces(),
        });
        assert.equal(answer.status, 415, encoding);
        assert.match(statusOf(answer).message, /unsupported content encoding/);
      }
      await assertStillServing();
    });

    it('answers 400 with a google.rpc.Status in the request encoding saying why', async () => {
      const pb = await send(port, '/v1/traces', { headers: PB, body: Buffer.from([0x0a, 0x05, 0x01]) });
      assert.equal(pb.status, 400);
      assertServerHeader(pb);
      const pbStatus = statusOf(pb);
      assert.equal(pbStatus.code, 3);
      assert.match(pbStatus.message, /truncated/);

      const js = await send(port, '/v1/traces', {
        headers: JSON_TYPE,
        body: '{"resourceSpans": [ SECRET-PROMPT',
      });
      assert.equal(js.status, 400);
      assert.match(statusOf(js).message, /not valid JSON/);
      assert.doesNotMatch(js.body.toString(), /SECRET/);
      assert.ok(!logger.lines.some((l) => l.message.includes('SECRET')), 'body content never logged');
      assert.ok(
        logger.lines.some(
          (l) =>
            l.level === 'warn' &&
            /refused POST \/v1\/traces from .*: 400 body is not valid JSON/.test(l.message),
        ),
      );

      const badGzip = await send(port, '/v1/traces', {
        headers: { ...PB, 'content-encoding': 'gzip' },
        body: Buffer.from('not gzip at all'),
      });
      assert.equal(badGzip.status, 400);
      assert.match(statusOf(badGzip).message, /not valid gzip data/);
      // Over 16 KB as received: inflated in the thread pool, refused the same way.
      const longBadGzip = await send(port, '/v1/traces', {
        headers: { ...PB, 'content-encoding': 'gzip' },
        body: Buffer.from('not gzip at all '.repeat(2000)),
      });
      assert.equal(longBadGzip.status, 400);
      assert.match(statusOf(longBadGzip).message, /not valid gzip data/);
      await assertStillServing();
    });

    it('answers 413 when Content-Length is over the limit, without reading the body', async () => {
      const body = Buffer.alloc(MAX + 1, 0x20);
      const answer = await send(port, '/v1/traces', { headers: PB, body });
      assert.equal(answer.status, 413);
      assertServerHeader(answer);
      assert.match(statusOf(answer).message, /exceeds the limit of 65536 bytes/);
      await assertStillServing();
    });

    it('answers 413 when a chunked body without Content-Length grows over the limit', async () => {
      const chunks = Array.from({ length: 8 }, () => Buffer.alloc(16 * 1024, 0x20));
      const answer = await send(port, '/v1/traces', { headers: JSON_TYPE, chunks });
      assert.equal(answer.status, 413);
      assert.match(statusOf(answer).message, /body exceeds the limit/);
      await assertStillServing();
    });

    it('refuses a gzip or deflate bomb with 413 without inflating it', async () => {
      // Zeros, over the limit only once inflated: 8 MB in about 8 KB (inflated on the receiver's thread) and
      // 200 MB in about 200 KB (inflated in the thread pool).
      const small = Buffer.alloc(8 * 1024 * 1024);
      const bombs: [string, Buffer][] = [
        ['gzip', zlib.gzipSync(small, { level: 9 })],
        ['deflate', zlib.deflateSync(small, { level: 9 })],
        ['deflate', zlib.deflateRawSync(small, { level: 9 })],
        ['gzip', zlib.gzipSync(Buffer.alloc(200 * 1024 * 1024), { level: 9 })],
      ];
      // One whose trailer says it inflates to 1 byte: tried on the receiver's thread, capped there, then
      // in the pool.
      const lying = Buffer.from(bombs[0]![1]);
      lying.writeUInt32LE(1, lying.length - 4);
      bombs.push(['gzip', lying]);
      const limited = new OtlpHttpReceiver({
        host: '127.0.0.1',
        port: 0,
        maxBodyBytes: 1024 * 1024,
        logger,
        onBatch: () => undefined,
      });
      const { port: bombPort } = await limited.start();
      try {
        for (const [encoding, bomb] of bombs) {
          assert.ok(bomb.length < 1024 * 1024);
          const answer = await send(bombPort, '/v1/traces', {
            headers: { ...PB, 'content-encoding': encoding },
            body: bomb,
          });
          assert.equal(answer.status, 413);
          // Only the capped inflate says this; inflated whole, the zeros would have failed to decode as 400.
          assert.match(statusOf(answer).message, /decompressed body exceeds the limit/);
        }
      } finally {
        await limited.stop();
      }
      await assertStillServing();
    });

    it('answers 500 when onBatch throws or rejects, logs it and keeps serving', async () => {
      for (const mode of ['throw', 'reject'] as const) {
        failNext = mode;
        const answer = await send(port, '/v1/traces', { headers: JSON_TYPE, body: jsonTraces() });
        assert.equal(answer.status, 500);
        assertServerHeader(answer);
        assert.equal(statusOf(answer).code, 13);
        assert.ok(
          logger.lines.some(
            (l) =>
              l.level === 'error' &&
              l.message.includes(mode === 'throw' ? 'store exploded' : 'async store exploded'),
          ),
        );
        await assertStillServing();
      }
    });

    it('answers a request that is not HTTP with 400 and keeps serving', async () => {
      const net = await import('node:net');
      const reply = await new Promise<string>((resolve) => {
        const socket = net.connect(port, '127.0.0.1', () => socket.write('THIS IS NOT HTTP\r\n\r\n'));
        let text = '';
        socket.on('data', (d) => (text += d.toString()));
        socket.on('close', () => resolve(text));
        socket.on('error', () => resolve(text));
      });
      assert.match(reply, /^HTTP\/1\.1 400/);
      assert.match(reply, new RegExp(`Server: ${RECEIVER_SERVER_HEADER}`));
      await assertStillServing();
    });
  });
});

describe('OtlpHttpReceiver life cycle', () => {
  const quiet = { logger: new MemoryLogger(), maxBodyBytes: 1024 * 1024, onBatch: () => undefined };

  it('refuses a second receiver on the same port with PortInUseError', async () => {
    const first = new OtlpHttpReceiver({ ...quiet, host: '127.0.0.1', port: 0 });
    const { port } = await first.start();
    const second = new OtlpHttpReceiver({ ...quiet, host: '127.0.0.1', port });
    try {
      await assert.rejects(second.start(), (err: unknown) => {
        assert.ok(err instanceof PortInUseError);
        assert.equal(err.port, port);
        assert.equal(err.host, '127.0.0.1');
        return true;
      });
      // The first one is unaffected.
      const answer = await send(port, '/v1/traces', { headers: JSON_TYPE, body: '{}' });
      assert.equal(answer.status, 200);
    } finally {
      await second.stop();
      await first.stop();
    }
  });

  it('reports an address that is not on this machine as a ReceiverStartError', async () => {
    // 192.0.2.0/24 is TEST-NET-1: never assigned to a local interface.
    const receiver = new OtlpHttpReceiver({ ...quiet, host: '192.0.2.1', port: 0 });
    await assert.rejects(receiver.start(), (err: unknown) => {
      assert.ok(err instanceof ReceiverStartError);
      assert.equal(err.code, 'EADDRNOTAVAIL');
      assert.match(err.message, /does not belong to this machine/);
      return true;
    });
    await receiver.stop();
  });

  it('can start again on the same port after stopping, and refuses a double start', async () => {
    const receiver = new OtlpHttpReceiver({ ...quiet, host: '127.0.0.1', port: 0 });
    const { port } = await receiver.start();
    await assert.rejects(receiver.start(), /already started/);
    await receiver.stop();
    await receiver.stop();
    const again = new OtlpHttpReceiver({ ...quiet, host: '127.0.0.1', port });
    assert.equal((await again.start()).port, port);
    await again.stop();
  });

  // Without closing connections itself, stop() would wait out the idle connection's keep-alive (5 s) and the
  // unfinished request (60 s): the test's timeout sits below both.
  // Without closing idle connections itself, stop() would wait out the idle connection's keep-alive (5 s);
  // a request still arriving is answered at once: the test's timeout sits below the keep-alive.
  it(
    'stops promptly while a keep-alive connection is idle and a request is in flight',
    { timeout: 4_000 },
    async () => {
      const receiver = new OtlpHttpReceiver({ ...quiet, host: '127.0.0.1', port: 0 });
      const { port } = await receiver.start();
      const agent = new http.Agent({ keepAlive: true });
      try {
        // An idle keep-alive connection left open by an agent.
        await new Promise<void>((resolve, reject) => {
          const req = http.request(
            { host: '127.0.0.1', port, path: '/v1/traces', method: 'POST', agent, headers: JSON_TYPE },
            (res) => {
              res.resume();
              res.on('end', () => resolve());
            },
          );
          req.on('error', reject);
          req.end('{}');
        });
        // A request whose body never finishes.
        const inFlight = http.request({
          host: '127.0.0.1',
          port,
          path: '/v1/traces',
          method: 'POST',
          agent: false,
          headers: { ...JSON_TYPE, 'content-length': 1000 },
        });
        const inFlightDone = new Promise<string>((resolve) => {
          inFlight.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
          inFlight.on('response', (res) => resolve(`HTTP ${res.statusCode}`));
        });
        inFlight.write('{"resourceSpans":');
        await new Promise((r) => setTimeout(r, 50));
        await receiver.stop();
        assert.equal(await inFlightDone, 'HTTP 503');
        await assert.rejects(send(port, '/v1/traces', { headers: JSON_TYPE, body: '{}' }), /ECONNREFUSED/);
      } finally {
        agent.destroy();
        await receiver.stop();
      }
    },
  );

  // An exporter retries 503 (OTLP/HTTP, "retryable" codes) and honours Retry-After; a 200 would have told
  // it the spans were kept while they were dropped.
  it('answers 503 with Retry-After, and hands nothing on, for a request that finishes after stop()', async () => {
    let called = 0;
    const receiver = new OtlpHttpReceiver({
      ...quiet,
      host: '127.0.0.1',
      port: 0,
      onBatch: () => void called++,
    });
    const { port } = await receiver.start();
    const sending = startSending(port, '/v1/traces', jsonTraces(), JSON_TYPE, 10);
    await new Promise((r) => setTimeout(r, 30));
    const stopped = receiver.stop();
    sending.finish();
    const got = await sending.answer;
    await stopped;
    assert.equal(got.status, 503);
    assert.equal(got.headers['retry-after'], '5');
    assert.match((JSON.parse(got.body.toString('utf8')) as { message: string }).message, /stopping/);
    assert.equal(called, 0);
  });

  it('answers 503 with Retry-After beyond maxConcurrentRequests, and serves again once they finish', async () => {
    const logger = new MemoryLogger();
    const batches: DecodedRequest[] = [];
    const receiver = new OtlpHttpReceiver({
      ...quiet,
      logger,
      host: '127.0.0.1',
      port: 0,
      maxConcurrentRequests: 2,
      onBatch: (batch) => void batches.push(batch),
    });
    const { port } = await receiver.start();
    const open: ReturnType<typeof startSending>[] = [];
    try {
      // Two requests whose bodies have not finished arriving hold both places.
      const body = jsonTraces();
      for (let i = 0; i < 2; i++) open.push(startSending(port, '/v1/traces', body, JSON_TYPE, 5));
      await new Promise((r) => setTimeout(r, 50));
      const third = await send(port, '/v1/traces', { headers: JSON_TYPE, body });
      assert.equal(third.status, 503);
      assert.equal(third.headers['retry-after'], '1');
      assert.match(third.body.toString('utf8'), /maxConcurrentRequests/);
      assert.ok(logger.lines.some((l) => /refused .* 503 .*maxConcurrentRequests/.test(l.message)));
      // The two in flight complete normally, and then there is room again.
      for (const sending of open) sending.finish();
      assert.deepEqual(
        (await Promise.all(open.map((o) => o.answer))).map((a) => a.status),
        [200, 200],
      );
      assert.equal((await send(port, '/v1/traces', { headers: JSON_TYPE, body })).status, 200);
      assert.equal(batches.length, 3);
    } finally {
      for (const sending of open) sending.req.destroy();
      await receiver.stop();
    }
  });
});
