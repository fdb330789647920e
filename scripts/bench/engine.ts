// The ingest engine's part of `npm run bench`: full ingest (HTTP, decompression, decode, normalize, store, in
// the engine's worker thread, with the host's mirror on this thread) against a plain protobufjs decode (or
// JSON.parse) of the same bytes; this thread's event-loop delay and a request's round trip while the load
// runs; and the replay of 100k kept spans. The load comes from 8 keep-alive connections in another worker
// thread, so the engine, the host and the client each have a thread.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import * as zlib from 'node:zlib';
import { nullLogger } from '../../src/core/logger';
import { EngineClient } from '../../src/engine/client';
import type { EngineOptions, ReplayedMessage } from '../../src/engine/protocol';
import { otlpTypes } from '../../src/otlp/otlpProto';
import { RequestLog } from '../../src/otlp/requestLog';
import { SAVED_FILE } from '../../src/engine/savedSummaries';
import { describeTrace, rootNodes } from '../../src/host/treeModel';

export type Row = (what: string, value: string, note?: string) => void;

export interface IngestInput {
  /** What the rows call it, e.g. "512-span batches". */
  label: string;
  spansPerRequest: number;
  protobuf: Buffer[];
  json: Buffer[];
}

// The production bundle the extension runs (`npm run bench` builds it first).
const WORKER = join(__dirname, '..', '..', 'dist', 'engineWorker.js');
const fmt = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function engine(extra: Partial<EngineOptions> = {}, onReplayed?: (r: ReplayedMessage) => void): EngineClient {
  return new EngineClient({
    workerPath: WORKER,
    engine: { limits: { maxTraces: 1000 }, sessionAttributes: [], userAttributes: [], ...extra },
    logger: nullLogger,
    ...(onReplayed ? { onReplayed } : {}),
  });
}

function perSecond(minMs: number, fn: (i: number) => void): number {
  let i = 0;
  const start = performance.now();
  while (performance.now() - start < minMs) fn(i++);
  return (i * 1000) / (performance.now() - start);
}

/** The bench's client: 8 keep-alive connections sending the bodies round-robin for `seconds`. */
function blast(
  port: number,
  payloads: Buffer[],
  contentType: string,
  gzip: boolean,
  seconds: number,
): Promise<{ requests: number; bytes: number; ms: number; refused: number }> {
  const worker = new Worker(BLAST, {
    eval: true,
    workerData: { port, payloads, contentType, gzip, seconds },
  });
  return new Promise<{ requests: number; bytes: number; ms: number; refused: number }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  }).finally(() => void worker.terminate());
}

// Raw HTTP/1.1 over 8 keep-alive sockets, each request written whole and the answer read by its
// Content-Length: Node's http client costs several times what a small request costs the receiver, so with it
// the bench would measure its own client.
const BLAST = `
const net = require('node:net');
const { parentPort, workerData } = require('node:worker_threads');
const { port, payloads, contentType, gzip, seconds } = workerData;
const bodies = payloads.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength));
const requestsOf = bodies.map((body) => Buffer.concat([
  Buffer.from('POST /v1/traces HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nContent-Type: ' + contentType + '\\r\\n' +
    (gzip ? 'Content-Encoding: gzip\\r\\n' : '') + 'Content-Length: ' + body.length + '\\r\\n\\r\\n'),
  body,
]));
let requests = 0, bytes = 0, refused = 0;
const start = performance.now();
const end = start + seconds * 1000;
const run = (w) => new Promise((resolve, reject) => {
  const socket = net.connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  let i = w;
  let pending = Buffer.alloc(0);
  const next = () => {
    if (performance.now() >= end) { socket.end(); resolve(); return; }
    socket.write(requestsOf[i % requestsOf.length]);
  };
  socket.on('connect', next);
  socket.on('error', reject);
  socket.on('data', (chunk) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    for (;;) {
      const head = pending.indexOf('\\r\\n\\r\\n');
      if (head < 0) return;
      const text = pending.subarray(0, head).toString('latin1');
      const length = Number(/content-length: *(\\d+)/i.exec(text)?.[1] ?? 0);
      if (pending.length < head + 4 + length) return;
      pending = pending.subarray(head + 4 + length);
      const status = Number(text.slice(9, 12));
      if (status === 200) { requests++; bytes += bodies[i % bodies.length].length; }
      else if (status === 503) refused++;
      else { reject(new Error('HTTP ' + status)); return; }
      i += 8;
      next();
    }
  });
});
Promise.all(Array.from({ length: 8 }, (_, w) => run(w))).then(() => {
  parentPort.postMessage({ requests, bytes, ms: performance.now() - start, refused });
}, (err) => { throw err; });
`;

/** The host's work per change, as VS Code does it: the top level listed and the visible rows described. */
function renderTree(client: EngineClient): void {
  const nodes = rootNodes(client.mirror, { llmOnly: false });
  const now = Date.now();
  for (const node of nodes.slice(0, 50)) {
    const summary = node.kind === 'trace' ? client.mirror.summary(node.traceId) : undefined;
    if (summary) describeTrace(summary, now);
  }
}

// A bare Node HTTP server in a thread of its own: it reads each body whole and answers 200 with an empty
// body, nothing else. Its rate, beside the plain decode, is the most any receiver on Node's HTTP can reach.
const BARE = `
const http = require('node:http');
const { parentPort } = require('node:worker_threads');
const server = http.createServer({ keepAlive: true }, (req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    Buffer.concat(chunks);
    res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 });
    res.end();
  });
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
parentPort.on('message', () => server.close(() => process.exit(0)));
`;

async function bareHttpRow(row: Row, input: IngestInput): Promise<void> {
  const types = otlpTypes();
  const bodies = input.protobuf;
  const plain = perSecond(1500, (i) => types.traceRequest.decode(bodies[i % bodies.length]!));
  const server = new Worker(BARE, { eval: true });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      server.once('message', resolve);
      server.once('error', reject);
    });
    await blast(port, bodies, 'application/x-protobuf', false, 1);
    const load = await blast(port, bodies, 'application/x-protobuf', false, 3);
    const requests = (load.requests * 1000) / load.ms;
    row(
      `bare Node HTTP server, protobuf ${input.label}`,
      `${fmt((requests * input.spansPerRequest) / 1000, 1)}k spans/s, ${fmt(requests / 1000, 1)}k requests/s`,
      `reads each body and answers 200, nothing else: the ceiling of any receiver on Node's HTTP here; ` +
        `plain protobufjs decode: ${fmt((plain * input.spansPerRequest) / 1000, 1)}k spans/s ` +
        `(ratio ${fmt(requests / plain, 2)})`,
    );
  } finally {
    server.postMessage('close');
    await new Promise((resolve) => server.once('exit', resolve));
  }
}

export async function benchIngest(row: Row, inputs: IngestInput[]): Promise<void> {
  const types = otlpTypes();
  for (const input of inputs) await bareHttpRow(row, input);
  for (const input of inputs) {
    for (const encoding of ['protobuf', 'json'] as const) {
      for (const gzip of [false, true]) {
        const bodies = input[encoding];
        const payloads = gzip ? bodies.map((b) => zlib.gzipSync(b)) : bodies;
        // The plain decode of the same bytes, on one thread: protobufjs (or JSON.parse), after gunzip.
        const plain = perSecond(1500, (i) => {
          const raw = gzip ? zlib.gunzipSync(payloads[i % payloads.length]!) : bodies[i % bodies.length]!;
          if (encoding === 'protobuf') types.traceRequest.decode(raw);
          else JSON.parse(raw.toString('utf8'));
        });
        const client = engine();
        const changes = client.mirror.onDidChange(() => renderTree(client));
        try {
          const { port } = await client.listen({
            host: '127.0.0.1',
            port: 0,
            maxRequestBytes: 64 * 1024 * 1024,
          });
          const contentType = encoding === 'protobuf' ? 'application/x-protobuf' : 'application/json';
          await blast(port, payloads, contentType, gzip, 1); // warm-up, not counted
          const delay = monitorEventLoopDelay({ resolution: 5 });
          delay.enable();
          const trips: number[] = [];
          let probing = true;
          const probe = (async () => {
            while (probing) {
              const t0 = performance.now();
              await client.stats();
              trips.push(performance.now() - t0);
              await new Promise((r) => setTimeout(r, 20));
            }
          })();
          const load = await blast(port, payloads, contentType, gzip, 3);
          probing = false;
          await probe;
          delay.disable();
          const spans = (load.requests * input.spansPerRequest * 1000) / load.ms;
          const plainSpans = plain * input.spansPerRequest;
          trips.sort((a, b) => a - b);
          const p99 = trips[Math.floor(trips.length * 0.99)] ?? NaN;
          row(
            `ingest ${encoding}${gzip ? ' gzip' : ''}, ${input.label}`,
            `${fmt(spans / 1000, 1)}k spans/s, ${fmt((load.bytes * 1000) / load.ms / 1048576, 1)} MB/s`,
            `plain ${encoding === 'protobuf' ? 'protobufjs decode' : 'JSON.parse'}${gzip ? ' after gunzip' : ''}: ${fmt(plainSpans / 1000, 1)}k spans/s (ratio ${fmt(spans / plainSpans, 2)}); host event-loop delay p99 ${fmt(delay.percentile(99) / 1e6, 1)} ms, max ${fmt(delay.max / 1e6, 1)} ms; a request's round trip p99 ${fmt(p99, 1)} ms`,
          );
        } finally {
          changes.dispose();
          await client.dispose();
        }
      }
    }
  }
}

/** 100k spans kept in a request log (each request its own traces), read again by a fresh engine on start. */
export async function benchReplay(
  row: Row,
  input: Pick<IngestInput, 'label' | 'spansPerRequest'>,
  freshBody: () => Buffer,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'lti-bench-replay-'));
  try {
    const log = new RequestLog({ dir, maxBytes: 4096 * 1024 * 1024, logger: nullLogger });
    let spans = 0;
    let bytes = 0;
    for (let i = 0; spans < 100_000; i++) {
      const body = freshBody();
      log.append('traces', 'protobuf', body);
      spans += input.spansPerRequest;
      bytes += body.length;
    }
    log.dispose();
    // The first start reads every request (no summaries were saved: a first start after an update, or
    // after a settings change); it saves the summaries as it stops, and the second start takes them.
    for (const saved of [false, true]) {
      let replayed: ReplayedMessage | undefined;
      const client = engine(
        { limits: { maxTraces: 100_000 }, persist: { dir, maxBytes: 4096 * 1024 * 1024 } },
        (r) => (replayed = r),
      );
      try {
        const t0 = performance.now();
        await client.replay();
        const ms = performance.now() - t0;
        const stats = await client.stats();
        if (!replayed || saved !== (replayed.savedTraces !== undefined))
          throw new Error(`the summaries were ${saved ? 'not ' : ''}saved`);
        row(
          `replay of ${fmt(spans)} kept spans (${input.label}) on start, ${saved ? 'summaries saved' : 'nothing saved'}`,
          `${fmt(ms / 1000, 2)} s`,
          `${fmt(bytes / 1048576)} MB of requests; ${fmt(stats.store.spans)} spans stored again, in the worker (the window stays usable)` +
            (saved
              ? `; ${fmt(replayed.savedTraces ?? 0)} traces' summaries saved by the last session, ${fmt(statSync(join(dir, SAVED_FILE)).size / 1048576)} MB`
              : '; every span read again, as after an update or a change of settings'),
        );
      } finally {
        await client.dispose();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A 10,000-span trace opened as the panel opens it: sent to the receiver, then its first state asked of
 * the engine, which builds it in its worker (the trace read whole, the state, its JSON bytes) and sends
 * the bytes; then the whole trace brought to the host after the first paint. Each on a trace not read yet.
 */
export async function benchOpenThroughEngine(
  row: Row,
  requests: Buffer[],
  traceIds: string[],
): Promise<void> {
  const client = engine({ limits: { maxTraces: 100, maxSpansPerTrace: 20_000 } });
  try {
    const { port } = await client.listen({ host: '127.0.0.1', port: 0, maxRequestBytes: 64 * 1024 * 1024 });
    for (const body of requests) {
      const r = await fetch(`http://127.0.0.1:${port}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      if (r.status !== 200) throw new Error(`the receiver answered ${r.status}`);
    }
    await client.mirror.sync();
    let stateMs = Number.POSITIVE_INFINITY;
    let wholeMs = Number.POSITIVE_INFINITY;
    let bytes = 0;
    for (const traceId of traceIds) {
      const t0 = performance.now();
      const json = await client.mirror.panelState(traceId, { maxAttributeLength: 2000 });
      const t1 = performance.now();
      const whole = await client.mirror.load(traceId, 'full');
      const t2 = performance.now();
      if (!json || whole?.spans.length !== 10_000) throw new Error('the trace did not come back whole');
      bytes = json.byteLength;
      stateMs = Math.min(stateMs, t1 - t0);
      wholeMs = Math.min(wholeMs, t2 - t1);
    }
    row(
      'open a 10,000-span trace through the engine (first state built in its worker; then the trace whole)',
      `${fmt(stateMs)} ms; ${fmt(wholeMs)} ms`,
      `best of ${traceIds.length}, each a trace not read before: the panel's first state (${fmt(bytes / 1024 / 1024, 2)} MB of UTF-8 JSON, posted to the page as it is) asked of the worker and answered; then the 10,000 spans sent to the host for the page's later requests, off the first paint's path`,
    );
  } finally {
    await client.dispose();
  }
}
