// The local OTLP/HTTP receiver apps export to (POST /v1/traces, /v1/logs, /v1/metrics). It follows the
// OTLP/HTTP specification closely enough that every official exporter is happy (status codes, response
// bodies in the request's encoding, partial success), and it is defensive because anything on the
// machine (or the network, when bound wider) can talk to it: sizes are bounded before and after
// decompression, every refusal is answered and logged once with its reason, and nothing a sender does
// can stop it serving or touch what was already received.

import * as http from 'node:http';
import * as zlib from 'node:zlib';
import type { AddressInfo } from 'node:net';
// The receiver's own spans are OpenTelemetry API spans, not the domain Span of core/model.
import {
  ProxyTracerProvider,
  SpanKind,
  SpanStatusCode,
  type Span as OtelSpan,
  type Tracer,
} from '@opentelemetry/api';
import { scopedLogger, type Logger } from '../core/logger';
import {
  decodeOtlp,
  encodeErrorStatus,
  encodeExportResponse,
  OtlpDecodeError,
  type DecodedRequest,
  type OtlpEncoding,
  type OtlpSignal,
} from './decode';

import { PortInUseError, RECEIVER_SERVER_HEADER, ReceiverStartError } from './errors';

export { PortInUseError, RECEIVER_SERVER_HEADER, ReceiverStartError };

export interface ReceiverBatchInfo {
  /** OTLP/HTTP unless said otherwise. */
  transport?: 'http' | 'grpc';
  signal: OtlpSignal;
  encoding: OtlpEncoding;
  /** Body size as received (compressed when it was). */
  bytes: number;
  /** The request's body, decompressed: what the request log keeps. */
  body?: Uint8Array;
  /** `gzip` or `deflate` when the body was compressed. */
  contentEncoding?: string;
  remoteAddress?: string;
}

export interface OtlpHttpReceiverOptions {
  host: string;
  /** 0 picks any free port. */
  port: number;
  /** Largest body accepted, both as received and after decompression. */
  maxBodyBytes: number;
  /**
   * Requests read at once; beyond it a request is answered 503 with Retry-After (its exporter sends it
   * again), so bodies in flight never hold more than this many times maxBodyBytes. Default 64.
   */
  maxConcurrentRequests?: number;
  logger: Logger;
  /** Called for each trace or log request that carried anything; a throw answers 500. */
  onBatch(batch: DecodedRequest, info: ReceiverBatchInfo): void | Promise<void>;
  /** Time allowed for a whole request, headers and body (default 60 s). */
  requestTimeoutMs?: number;
  /** Time allowed for the request headers (default 15 s). */
  headersTimeoutMs?: number;
  /**
   * Records a span per request (its status, sizes and counts). Injected, never the process-global
   * provider: another extension in the same host may register one. Without it, spans go nowhere.
   */
  tracer?: Tracer;
  /** How long stop() lets answers to in-flight requests reach their senders (default 1 s). */
  stopGraceMs?: number;
}

/** A tracer that records nothing, for receivers built without one. */
export function noopTracer(): Tracer {
  return new ProxyTracerProvider().getTracer('llm-trace-inspector');
}

const routes: Readonly<Record<string, OtlpSignal>> = {
  '/v1/traces': 'traces',
  '/v1/logs': 'logs',
  '/v1/metrics': 'metrics',
};

/** Attributes of the receiver's own span (HTTP server semantic conventions plus a few of ours). */
const SelfSpanKeys = {
  method: 'http.request.method',
  path: 'url.path',
  status: 'http.response.status_code',
  bodySize: 'http.request.body.size',
  signal: 'otlp.signal',
  encoding: 'otlp.encoding',
  spans: 'otlp.spans',
  logs: 'otlp.logs',
  metrics: 'otlp.metrics',
  rejected: 'otlp.rejected',
} as const;

/** How much of a refused body is still read (and dropped) so the sender sees the answer, and for how long. */
const DRAIN_BYTES = 4 * 1024 * 1024;
const DRAIN_MS = 5_000;

type BodyEncoding = 'identity' | 'gzip' | 'deflate';

interface Refusal {
  status: number;
  reason: string;
  /** Logged at info (someone knocked on the wrong door) rather than warn (an exporter is failing). */
  quiet?: boolean;
  headers?: Record<string, string>;
}

export class OtlpHttpReceiver {
  private server: http.Server | undefined;
  private starting: Promise<{ host: string; port: number }> | undefined;
  private metricsNoted = false;
  private readonly log: Logger;
  private readonly tracer: Tracer;
  /** Requests not yet answered, with the encoding their answer takes; stop() answers them 503. */
  private readonly pending = new Map<
    http.ServerResponse,
    { req: http.IncomingMessage; encoding: OtlpEncoding | undefined }
  >();

  constructor(private readonly options: OtlpHttpReceiverOptions) {
    this.log = scopedLogger(options.logger, 'receiver');
    this.tracer = options.tracer ?? noopTracer();
  }

  /** Listens; resolves with the host asked for and the port actually bound (useful with port 0). */
  start(): Promise<{ host: string; port: number }> {
    if (this.server) return Promise.reject(new Error('the receiver is already started'));
    const { host, port } = this.options;
    const server: http.Server = http.createServer((req, res) => this.handle(server, req, res));
    server.requestTimeout = this.options.requestTimeoutMs ?? 60_000;
    server.headersTimeout = this.options.headersTimeoutMs ?? 15_000;
    server.keepAliveTimeout = 5_000;
    server.maxHeadersCount = 100;
    server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      // Node answers a malformed request itself when nobody listens here; this adds the Server header.
      if (err.code === 'ECONNRESET' || !socket.writable) {
        socket.destroy();
        return;
      }
      const status =
        err.code === 'HPE_HEADER_OVERFLOW'
          ? '431 Request Header Fields Too Large'
          : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
            ? '408 Request Timeout'
            : '400 Bad Request';
      socket.end(
        `HTTP/1.1 ${status}\r\nServer: ${RECEIVER_SERVER_HEADER}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
      );
    });
    this.server = server;
    this.starting = new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        if (this.server === server) this.server = undefined;
        server.close();
        reject(listenError(err, host, port));
      };
      server.once('error', onError);
      server.listen({ host: host || undefined, port }, () => {
        server.off('error', onError);
        server.on('error', (err) => this.log.error(err));
        const address = server.address() as AddressInfo;
        resolve({ host: host || address.address, port: address.port });
      });
    });
    return this.starting;
  }

  /**
   * Stops listening. Requests not yet answered get 503 with Retry-After, so their exporters send them
   * again (to this port once it listens again) instead of losing them; nothing that arrives after this
   * call is handed on. Idle keep-alive connections close at once, the rest after a short grace.
   */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await this.starting?.catch(() => undefined);
    if (!server.listening) return;
    for (const [res, { req, encoding }] of this.pending) this.refuseStopping(req, res, encoding);
    await new Promise<void>((resolve) => {
      const grace = setTimeout(() => server.closeAllConnections(), this.options.stopGraceMs ?? 1_000);
      server.close(() => {
        clearTimeout(grace);
        resolve();
      });
      server.closeIdleConnections();
    });
  }

  private refuseStopping(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    encoding: OtlpEncoding | undefined,
  ): void {
    if (res.headersSent || res.writableEnded) return;
    res.setHeader('Connection', 'close');
    this.refuse(req, res, encoding, {
      status: 503,
      reason: 'the receiver is stopping; send again later',
      quiet: true,
      headers: { 'Retry-After': '5' },
    });
  }

  private handle(server: http.Server, req: http.IncomingMessage, res: http.ServerResponse): void {
    res.setHeader('Server', RECEIVER_SERVER_HEADER);
    // A client that goes away mid-request must not become an unhandled 'error' event.
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const span = this.tracer.startSpan('otlp receive', {
      kind: SpanKind.SERVER,
      attributes: { [SelfSpanKeys.method]: req.method ?? '', [SelfSpanKeys.path]: path.slice(0, 200) },
    });
    this.pending.set(res, { req, encoding: encodingOf(req.headers['content-type']) });
    res.on('close', () => this.pending.delete(res));
    this.process(server, req, res, path, span)
      .catch((err: unknown) => {
        // Only a bug gets here; answer if still possible and keep serving.
        this.log.error(err instanceof Error ? err : String(err));
        this.refuse(req, res, undefined, { status: 500, reason: 'internal error in the receiver' });
      })
      .finally(() => {
        span.setAttribute(SelfSpanKeys.status, res.statusCode);
        if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      });
  }

  private async process(
    server: http.Server,
    req: http.IncomingMessage,
    res: http.ServerResponse,
    path: string,
    span: OtelSpan,
  ): Promise<void> {
    const signal = routes[path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path];
    const encoding = encodingOf(req.headers['content-type']);
    if (!signal) {
      return this.refuse(req, res, encoding, {
        status: 404,
        reason: `no OTLP endpoint at ${truncate(path)} (use /v1/traces, /v1/logs or /v1/metrics)`,
        quiet: true,
      });
    }
    if (req.method !== 'POST') {
      return this.refuse(req, res, encoding, {
        status: 405,
        reason: `method ${truncate(req.method ?? '')} is not allowed; OTLP/HTTP uses POST`,
        quiet: true,
        headers: { Allow: 'POST' },
      });
    }
    const maxConcurrent = this.options.maxConcurrentRequests ?? 64;
    if (this.pending.size > maxConcurrent) {
      return this.refuse(req, res, encoding, {
        status: 503,
        reason: `the receiver is already reading ${maxConcurrent} requests (receiver.maxConcurrentRequests); send again shortly`,
        headers: { 'Retry-After': '1' },
        quiet: true,
      });
    }
    // Exporters in apps send no Origin header; browsers send one with every POST. Refusing it keeps web
    // pages out: a page could otherwise post fake traces to the loopback port, either through a form or,
    // with DNS rebinding, as a same-origin request that no CORS preflight would have stopped.
    const origin = req.headers.origin;
    if (origin !== undefined) {
      return this.refuse(req, res, encoding, {
        status: 403,
        reason: `requests from web pages are refused (Origin: ${truncate(origin)}); send OTLP from an app's exporter`,
      });
    }
    if (!encoding) {
      const type = req.headers['content-type'];
      return this.refuse(req, res, undefined, {
        status: 415,
        reason: `unsupported content type ${type ? `"${truncate(type)}"` : '(none)'}; use application/x-protobuf or application/json`,
      });
    }
    const bodyEncoding = bodyEncodingOf(req.headers['content-encoding']);
    if (!bodyEncoding) {
      return this.refuse(req, res, encoding, {
        status: 415,
        reason: `unsupported content encoding "${truncate(String(req.headers['content-encoding']))}"; use gzip, deflate or none`,
      });
    }
    span.setAttributes({ [SelfSpanKeys.signal]: signal, [SelfSpanKeys.encoding]: encoding });

    const max = this.options.maxBodyBytes;
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > max) {
      return this.refuse(req, res, encoding, {
        status: 413,
        reason: `body of ${declared} bytes exceeds the limit of ${max} bytes`,
      });
    }
    const received = await readBody(req, max);
    if (received === 'aborted') return; // the sender went away; nobody to answer
    if (received === 'tooLarge') {
      return this.refuse(req, res, encoding, {
        status: 413,
        reason: `body exceeds the limit of ${max} bytes`,
      });
    }
    span.setAttribute(SelfSpanKeys.bodySize, received.length);

    let body: Buffer;
    try {
      body = await decompress(received, bodyEncoding, max);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        return this.refuse(req, res, encoding, {
          status: 413,
          reason: `decompressed body exceeds the limit of ${max} bytes`,
        });
      }
      return this.refuse(req, res, encoding, {
        status: 400,
        reason: `body is not valid ${bodyEncoding} data`,
      });
    }

    let batch: DecodedRequest;
    try {
      batch = decodeOtlp(signal, body, encoding);
    } catch (err) {
      const reason = err instanceof OtlpDecodeError ? err.message : 'the body could not be read';
      return this.refuse(req, res, encoding, { status: 400, reason });
    }
    span.setAttributes({
      [SelfSpanKeys.spans]: batch.spans.length,
      [SelfSpanKeys.logs]: batch.logs.length,
      [SelfSpanKeys.metrics]: batch.metricCount,
      [SelfSpanKeys.rejected]: batch.rejected,
    });

    const genAiPoints = batch.metrics?.length ?? 0;
    if (signal === 'metrics') {
      if (!this.metricsNoted) {
        this.metricsNoted = true;
        this.log.info(
          'metrics received: the GenAI ones (gen_ai.client.*) are added up for the Summary, others only counted',
        );
      }
      this.log.debug(
        `metrics ${encoding}: ${batch.metricCount} metrics accepted, ${genAiPoints} GenAI data points`,
      );
    }
    if ((signal !== 'metrics' || genAiPoints > 0) && this.server !== server) {
      // Finished after stop(): not handed on, and the sender is told to send it again.
      return this.refuseStopping(req, res, encoding);
    } else if (batch.spans.length > 0 || batch.logs.length > 0 || genAiPoints > 0) {
      const info: ReceiverBatchInfo = { signal, encoding, bytes: received.length, body };
      if (bodyEncoding !== 'identity') info.contentEncoding = bodyEncoding;
      if (req.socket.remoteAddress) info.remoteAddress = req.socket.remoteAddress;
      try {
        await this.options.onBatch(batch, info);
      } catch (err) {
        this.log.error(err instanceof Error ? err : String(err));
        return this.refuse(req, res, encoding, {
          status: 500,
          reason: 'the receiver could not store this batch',
        });
      }
    }

    let partial: { rejected: number; message: string } | undefined;
    if (batch.rejected > 0) {
      const what = signal === 'traces' ? 'span' : signal === 'logs' ? 'log record' : 'item';
      partial = {
        rejected: batch.rejected,
        message: `${batch.rejected} ${what}${batch.rejected === 1 ? '' : 's'} rejected${batch.rejectReason ? `; first: ${batch.rejectReason}` : ''}`,
      };
      this.log.warn(`accepted ${signal} from ${remote(req)} with ${partial.message}`);
    }
    send(
      res,
      200,
      encoding,
      encodeExportResponse(signal, encoding, partial),
      received.length < ANSWER_AT_ONCE_BYTES,
    );
  }

  private refuse(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    encoding: OtlpEncoding | undefined,
    refusal: Refusal,
  ): void {
    const line = `refused ${truncate(req.method ?? '?')} ${truncate((req.url ?? '').split('?')[0] ?? '')} from ${remote(req)}: ${refusal.status} ${refusal.reason}`;
    if (refusal.status >= 500) this.log.error(line);
    else if (refusal.quiet) this.log.info(line);
    else this.log.warn(line);
    for (const [name, value] of Object.entries(refusal.headers ?? {})) res.setHeader(name, value);
    if (encoding)
      send(res, refusal.status, encoding, encodeErrorStatus(encoding, refusal.status, refusal.reason));
    else send(res, refusal.status, undefined, refusal.reason + '\n');
    if (!req.complete) discardRest(req);
  }
}

function send(
  res: http.ServerResponse,
  status: number,
  encoding: OtlpEncoding | undefined,
  body: string | Uint8Array,
  waitForTurnEnd = false,
): void {
  if (res.headersSent || res.destroyed || res.writableEnded) return;
  const contentType =
    encoding === 'protobuf'
      ? 'application/x-protobuf'
      : encoding === 'json'
        ? 'application/json'
        : 'text/plain; charset=utf-8';
  // A string goes out in one write with the headers; a Buffer would be written after them with writev,
  // which completes a turn of the event loop later and cost small requests half the receiver's rate. So a
  // protobuf answer (usually empty) is sent as the latin1 string of its bytes.
  const binary = typeof body !== 'string';
  const text = binary ? Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('latin1') : body;
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': binary ? body.byteLength : Buffer.byteLength(body),
  });
  if (waitForTurnEnd) answer(res, text, binary ? 'latin1' : 'utf8');
  else res.end(text, binary ? 'latin1' : 'utf8');
}

// Answers wait for the end of the event loop's turn and then go out together. Each write to a socket whose
// sender sits waiting for the answer wakes that sender's thread, and on a virtual machine that wake costs
// the writer three times the write itself (measured: 13 to 15 µs a request instead of 4 to 6, a fifth of
// what a small request costs the receiver); written back to back, the first write wakes the sender and the
// rest find it awake. Only the answers to requests read in the same turn wait for each other. A big
// request's answer goes at once: its decode dwarfs the wake, and holding it back only keeps its sender idle
// (measured on 512-span batches every one kept: 0.24 to 0.26 of the plain decode waiting, 0.26 to 0.29 not).
// So does a refusal, which may be followed by closing the connection (discardRest) before the turn ends.
const ANSWER_AT_ONCE_BYTES = 64 * 1024;
const waiting: { res: http.ServerResponse; text: string; encoding: BufferEncoding }[] = [];

function answer(res: http.ServerResponse, text: string, encoding: BufferEncoding): void {
  if (waiting.push({ res, text, encoding }) === 1) setImmediate(answerWaiting);
}

function answerWaiting(): void {
  const answers = waiting.splice(0);
  for (const { res, text, encoding } of answers) if (!res.destroyed) res.end(text, encoding);
}

/**
 * After refusing a request whose body is still arriving, reads and drops a little more of it before
 * closing: a sender still writing when the connection closes would see a reset instead of the answer.
 * A body far beyond that, or one that trickles, gets the connection closed.
 */
function discardRest(req: http.IncomingMessage): void {
  let drained = 0;
  const close = (): void => {
    if (!req.complete) req.socket.destroy();
  };
  const timer = setTimeout(close, DRAIN_MS);
  timer.unref();
  req.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > DRAIN_BYTES) close();
  });
  req.on('end', () => clearTimeout(timer));
  req.on('close', () => clearTimeout(timer));
  req.resume();
}

/** application/x-protobuf (or application/protobuf) and application/json, parameters ignored. */
function encodingOf(contentType: string | undefined): OtlpEncoding | undefined {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return 'protobuf';
  if (type === 'application/json') return 'json';
  return undefined;
}

function bodyEncodingOf(header: string | undefined): BodyEncoding | undefined {
  const codings = (header ?? '')
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  if (codings.length === 0) return 'identity';
  if (codings.length > 1) return undefined;
  if (codings[0] === 'gzip' || codings[0] === 'x-gzip') return 'gzip';
  if (codings[0] === 'deflate') return 'deflate';
  return undefined;
}

/**
 * A body is copied into one buffer of its Content-Length as each chunk comes, while the chunk is fresh in the
 * cache, rather than joined at the end (a 512-span batch ingests several percent faster), once its first
 * chunk is at least this fraction of it: a sender cannot make the receiver hold more than this many times
 * what it has sent.
 */
const PREALLOCATE_RATIO = 32;

/**
 * Reads the body, counting as it goes, and stops keeping it once it passes `max` bytes. One that came in one
 * chunk (most small requests) is that chunk, not a copy.
 */
function readBody(req: http.IncomingMessage, max: number): Promise<Buffer | 'tooLarge' | 'aborted'> {
  return new Promise((resolve) => {
    const declared = Number(req.headers['content-length']);
    const known = Number.isSafeInteger(declared) && declared > 0 && declared <= max ? declared : -1;
    let chunks: Buffer[] = [];
    let target: Buffer | undefined;
    let size = 0;
    let done = false;
    const finish = (result: Buffer | 'tooLarge' | 'aborted'): void => {
      if (done) return;
      done = true;
      req.off('data', onData);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      if (size + chunk.length > max) {
        chunks = [];
        target = undefined;
        req.pause();
        finish('tooLarge');
        return;
      }
      if (size === 0 && chunk.length < known && chunk.length * PREALLOCATE_RATIO >= known)
        target = Buffer.allocUnsafe(known);
      if (target !== undefined) {
        if (size + chunk.length <= target.length) {
          chunk.copy(target, size);
          size += chunk.length;
          return;
        }
        // More than it declared (the parser does not let that happen): joined at the end after all.
        chunks = [target.subarray(0, size)];
        target = undefined;
      }
      chunks.push(chunk);
      size += chunk.length;
    };
    req.on('data', onData);
    const whole = (): Buffer => {
      if (target !== undefined) return size === target.length ? target : target.subarray(0, size);
      return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
    };
    req.on('end', () => finish(whole()));
    req.on('error', () => finish('aborted'));
    req.on('close', () => finish(req.complete ? whole() : 'aborted'));
  });
}

/**
 * Where a body is inflated. On the receiver's own thread when it is small and inflates to little: a few
 * kilobytes take microseconds, and the trip through libuv's thread pool costs a small request more than its
 * decode. A gzip body says what it inflates to (its trailer holds the size of its last member, modulo 2^32),
 * so one that inflates to more goes straight to the pool; a deflate body is tried here up to
 * INFLATE_INLINE_OUT and goes on in the pool past it. In the pool the output comes back in one chunk as large
 * as that size, up to POOL_CHUNK_MAX and never more than the request's limit: in zlib's default chunks of
 * 16 KB, a 1.6 MB batch came back to this thread a hundred times and cost it more than inflating it here
 * (0.6 ms), where one chunk costs it 0.2 ms (two, 0.4 ms: they are joined) and the pool's thread the rest.
 * A trailer that lies changes only where and in how many chunks, never the limit.
 */
const INFLATE_INLINE_BYTES = 16 * 1024;
const INFLATE_INLINE_OUT = 128 * 1024;
const POOL_CHUNK_MIN = 64 * 1024;
const POOL_CHUNK_MAX = 4 * 1024 * 1024;

/** What a gzip body's trailer says it inflates to (its last member's size), or undefined for a short body. */
function gzipSize(body: Buffer): number | undefined {
  // A gzip member is at least a 10-byte header and an 8-byte trailer.
  return body.length >= 18 ? body.readUInt32LE(body.length - 4) : undefined;
}

/** Inflates with an output cap, so a small gzip bomb is refused after `max` bytes, not after all of it. */
function decompress(body: Buffer, encoding: BodyEncoding, max: number): Promise<Buffer> {
  if (encoding === 'identity' || body.length === 0) return Promise.resolve(body);
  const limit = Math.max(1, max);
  const kind = encoding === 'gzip' ? 'gzip' : hasZlibHeader(body) ? 'zlib' : 'raw';
  const declared = kind === 'gzip' ? gzipSize(body) : undefined;
  if (body.length <= INFLATE_INLINE_BYTES && (declared === undefined || declared <= INFLATE_INLINE_OUT)) {
    const inline = Math.min(limit, INFLATE_INLINE_OUT);
    try {
      const options: zlib.ZlibOptions = { maxOutputLength: inline };
      if (kind === 'gzip') return Promise.resolve(zlib.gunzipSync(body, options));
      if (kind === 'zlib') return Promise.resolve(zlib.inflateSync(body, options));
      return Promise.resolve(zlib.inflateRawSync(body, options));
    } catch (err) {
      // Over the inline cap but perhaps within the limit: inflated again in the pool, where it may go on.
      const tooLarge = (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
      if (!tooLarge || inline === limit) return Promise.reject(err as Error);
    }
  }
  // Without a size (deflate), a guess from the compressed size; one chunk too small only means another.
  const expected = declared ?? body.length * 8;
  const chunkSize = Math.max(
    zlib.constants.Z_MIN_CHUNK,
    Math.min(POOL_CHUNK_MAX, limit, Math.max(POOL_CHUNK_MIN, expected + 1)),
  );
  const options: zlib.ZlibOptions = { maxOutputLength: limit, chunkSize };
  return new Promise((resolve, reject) => {
    // Output in one chunk is a view of that chunk: one that guessed far too large is let go, not held.
    const done = (err: Error | null, out: Buffer): void =>
      err
        ? reject(err)
        : resolve(out.buffer.byteLength > 2 * out.length + POOL_CHUNK_MIN ? Buffer.from(out) : out);
    if (kind === 'gzip') zlib.gunzip(body, options, done);
    // HTTP's "deflate" means zlib-wrapped, but some senders use raw deflate; the header tells them apart.
    else if (kind === 'zlib') zlib.inflate(body, options, done);
    else zlib.inflateRaw(body, options, done);
  });
}

function hasZlibHeader(b: Buffer): boolean {
  return b.length >= 2 && (b[0]! & 0x0f) === 8 && ((b[0]! << 8) | b[1]!) % 31 === 0;
}

function listenError(err: NodeJS.ErrnoException, host: string, port: number): Error {
  const where = `${host || '*'}:${port}`;
  switch (err.code) {
    case 'EADDRINUSE':
      return new PortInUseError(host, port);
    case 'EACCES':
    case 'EPERM':
      return new ReceiverStartError(
        `permission denied to listen on ${where}${port > 0 && port < 1024 ? ' (ports below 1024 need administrator rights; use a higher port)' : ''}`,
        host,
        port,
        err.code,
      );
    case 'EADDRNOTAVAIL':
      return new ReceiverStartError(
        `the address ${host} does not belong to this machine; use 127.0.0.1, localhost or 0.0.0.0`,
        host,
        port,
        err.code,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ReceiverStartError(`the host name ${host} could not be resolved`, host, port, err.code);
    default:
      return new ReceiverStartError(`could not listen on ${where}: ${err.message}`, host, port, err.code);
  }
}

function remote(req: http.IncomingMessage): string {
  return req.socket.remoteAddress ?? 'unknown';
}

function truncate(s: string, max = 100): string {
  const clean = s.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}...` : clean;
}
