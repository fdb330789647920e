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
import { decodeOtlp } from '../../src/otlp/decode';
import { EngineClient } from '../../src/engine/client';
import type { EngineOptions, ReplayedMessage } from '../../src/engine/protocol';
import { RequestLog } from '../../src/otlp/requestLog';
import { nextMessage, Yardstick } from './yardstick';
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

interface Load {
  requests: number;
  bytes: number;
  ms: number;
  refused: number;
}

/**
 * The bench's client: 8 keep-alive connections in a thread of their own, sending the bodies round-robin for
 * a round of `seconds` each time it is asked, the connections kept open between rounds.
 */
class Blaster {
  private readonly worker: Worker;
  private readonly ready: Promise<void>;

  /** `fresh`: where each body's trace ids lie, given new ones at every send (see traceIdSpots). */
  constructor(port: number, payloads: Buffer[], contentType: string, gzip: boolean, fresh?: FreshIds) {
    if (fresh && payloads.length % CONNECTIONS !== 0)
      throw new Error(`fresh ids need a multiple of ${CONNECTIONS} bodies, each sent by one connection only`);
    this.worker = new Worker(BLAST, {
      eval: true,
      workerData: { port, payloads, contentType, gzip, connections: CONNECTIONS, fresh },
    });
    this.ready = nextMessage<unknown>(this.worker).then(() => undefined);
  }

  async round(seconds: number): Promise<Load> {
    await this.ready;
    const answer = nextMessage<Load>(this.worker);
    this.worker.postMessage(seconds);
    return answer;
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

const CONNECTIONS = 8;

/** Where each body's trace ids lie (per body, per trace, the offsets of its occurrences), and how written. */
export interface FreshIds {
  spots: number[][][];
  hex: boolean;
}

/** The offsets of each trace id in a body: its 16 bytes in protobuf, its 32 hex digits in JSON. */
export function traceIdSpots(body: Buffer, encoding: 'protobuf' | 'json'): number[][] {
  const ids = [...new Set(decodeOtlp('traces', body, encoding).spans.map((s) => s.traceId))];
  return ids.map((id) => {
    const needle = encoding === 'protobuf' ? Buffer.from(id, 'hex') : Buffer.from(`"${id}"`);
    const skip = encoding === 'protobuf' ? 0 : 1;
    const at: number[] = [];
    for (let i = body.indexOf(needle); i >= 0; i = body.indexOf(needle, i + needle.length)) at.push(i + skip);
    // Not found as written (another spelling of it): the row would measure the same traces sent again.
    if (at.length === 0) throw new Error(`trace id ${id} not found in its body as ${encoding} writes it`);
    return at;
  });
}

// Raw HTTP/1.1 over 8 keep-alive sockets, each request written whole and the answer read by its
// Content-Length: Node's http client costs several times what a small request costs the receiver, so with it
// the bench would measure its own client. It says it is ready once every socket is connected, then runs a
// round for each number of seconds it is sent and answers with what the round did. With `fresh`, each
// send first gives every trace of its body a new id (a serial number in its first 8 bytes): body k is only
// ever sent by connection k % 8, and again only after that connection's next send was answered, so its last
// write was read whole by then (a 200 comes only after the body; only a 503, which the bench's 8 connections
// never meet, could come before it).
const BLAST = `
const net = require('node:net');
const { parentPort, workerData } = require('node:worker_threads');
const { port, payloads, contentType, gzip, connections: CONNECTIONS, fresh } = workerData;
const bodies = payloads.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength));
const requestsOf = bodies.map((body) => Buffer.concat([
  Buffer.from('POST /v1/traces HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nContent-Type: ' + contentType + '\\r\\n' +
    (gzip ? 'Content-Encoding: gzip\\r\\n' : '') + 'Content-Length: ' + body.length + '\\r\\n\\r\\n'),
  body,
]));
let serial = 0;
const renew = (k) => {
  const request = requestsOf[k];
  const head = request.length - bodies[k].length;
  for (const trace of fresh.spots[k]) {
    const n = ++serial;
    const hi = Math.floor(n / 4294967296);
    const lo = n >>> 0;
    const digits = hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
    for (const at of trace) {
      if (fresh.hex) request.write(digits, head + at, 'latin1');
      else { request.writeUInt32BE(hi, head + at); request.writeUInt32BE(lo, head + at + 4); }
    }
  }
};
let requests = 0, bytes = 0, refused = 0, end = 0;
const connection = (w) => {
  const socket = net.connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  let i = w;
  let pending = Buffer.alloc(0);
  const c = {
    connected: new Promise((resolve) => socket.once('connect', resolve)),
    send: () => {
      if (performance.now() >= end) { c.idle(); return; }
      if (fresh) renew(i % requestsOf.length);
      socket.write(requestsOf[i % requestsOf.length]);
    },
    idle: () => {},
  };
  socket.on('error', (err) => { throw err; });
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
      else throw new Error('HTTP ' + status);
      i += CONNECTIONS;
      c.send();
    }
  });
  return c;
};
const connections = Array.from({ length: CONNECTIONS }, (_, w) => connection(w));
Promise.all(connections.map((c) => c.connected)).then(() => parentPort.postMessage('ready'));
parentPort.on('message', (seconds) => {
  requests = 0; bytes = 0; refused = 0;
  const start = performance.now();
  end = start + seconds * 1000;
  Promise.all(connections.map((c) => new Promise((resolve) => { c.idle = resolve; c.send(); }))).then(() => {
    parentPort.postMessage({ requests, bytes, ms: performance.now() - start, refused });
  });
});
`;

/**
 * The load and its yardstick take turns: `rounds` rounds of the plain decode (each in a fresh thread, the
 * engine idle) and of the load, and the best round of each counts, so the machine's busy moments (a
 * single thread's rate here swings by half from one second to the next) land on neither side alone.
 */
async function alternate(
  rounds: number,
  plainMs: number,
  yardstick: Yardstick,
  load: () => Promise<Load>,
): Promise<{ plainPerSecond: number; load: Load }> {
  let plainPerSecond = 0;
  let best: Load | undefined;
  for (let r = 0; r < rounds; r++) {
    const plain = await yardstick.round(plainMs);
    plainPerSecond = Math.max(plainPerSecond, (plain.calls * 1000) / plain.ms);
    const done = await load();
    if (!best || done.requests / done.ms > best.requests / best.ms) best = done;
    // A pause, so the engine's last flush is not counted as the yardstick's.
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { plainPerSecond, load: best! };
}

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

// Six rounds of each side: half a second of the yardstick, a second of load.
const ROUNDS = 6;
const PLAIN_MS = 500;
const LOAD_SECONDS = 1;

async function bareHttpRow(row: Row, input: IngestInput): Promise<void> {
  const bodies = input.protobuf;
  const yardstick = new Yardstick('protobuf', false, bodies);
  const server = new Worker(BARE, { eval: true });
  try {
    const port = await nextMessage<number>(server);
    const client = new Blaster(port, bodies, 'application/x-protobuf', false);
    try {
      await client.round(1); // warm-up, not counted
      const { plainPerSecond, load } = await alternate(ROUNDS, PLAIN_MS, yardstick, () =>
        client.round(LOAD_SECONDS),
      );
      const requests = (load.requests * 1000) / load.ms;
      row(
        `bare Node HTTP server, protobuf ${input.label}`,
        `${fmt((requests * input.spansPerRequest) / 1000, 1)}k spans/s, ${fmt(requests / 1000, 1)}k requests/s`,
        `reads each body and answers 200, nothing else: the ceiling of any receiver on Node's HTTP here; ` +
          `plain protobufjs decode: ${fmt((plainPerSecond * input.spansPerRequest) / 1000, 1)}k spans/s ` +
          `(ratio ${fmt(requests / plainPerSecond, 2)})`,
      );
    } finally {
      await client.close();
    }
  } finally {
    server.postMessage('close');
    await new Promise((resolve) => server.once('exit', resolve));
  }
}

export async function benchIngest(row: Row, inputs: IngestInput[]): Promise<void> {
  for (const input of inputs) await bareHttpRow(row, input);
  for (const input of inputs) {
    for (const encoding of ['protobuf', 'json'] as const)
      for (const gzip of [false, true]) await ingestRow(row, input, encoding, gzip);
  }
  // The rows above keep the setting's 1,000 traces, which at these rates turn over every few tens of ms:
  // most traces go before the store next settles, so their outlines are never read. Here the store keeps
  // everything sent and every span's outline is read, as for an app that sends this fast into a big store.
  const batches = inputs.find((i) => i.spansPerRequest > 100);
  if (batches) {
    for (const encoding of ['protobuf', 'json'] as const)
      await ingestRow(row, batches, encoding, false, true);
  }
}

async function ingestRow(
  row: Row,
  input: IngestInput,
  encoding: 'protobuf' | 'json',
  gzip: boolean,
  keepAll = false,
): Promise<void> {
  if (keepAll && gzip) throw new Error('new ids are written into the bodies as sent: not into gzipped ones');
  const bodies = input[encoding];
  const payloads = gzip ? bodies.map((b) => zlib.gzipSync(b)) : bodies;
  // The plain decode of the same bytes in its own thread: protobufjs (or JSON.parse), after gunzip.
  const yardstick = new Yardstick(encoding, gzip, payloads);
  const contentType = encoding === 'protobuf' ? 'application/x-protobuf' : 'application/json';
  // Every trace new for as long as the round lasts, into a store that keeps them all.
  const fresh: FreshIds | undefined = keepAll
    ? { spots: bodies.map((b) => traceIdSpots(b, encoding)), hex: encoding === 'json' }
    : undefined;
  const limits = keepAll ? { maxTraces: 250_000, maxBytes: 16384 * 1024 * 1024 } : undefined;
  // This thread's event-loop delay and a request's round trip while the load runs, a monitor for each
  // round: the worst round's figures are the row's.
  let p99Delay = 0;
  let maxDelay = 0;
  let evicted = 0;
  const trips: number[] = [];
  const { plainPerSecond, load } = await alternate(ROUNDS, PLAIN_MS, yardstick, () =>
    freshEngineRound(payloads, contentType, gzip, { limits, fresh }, async (engineClient, blaster) => {
      const delay = monitorEventLoopDelay({ resolution: 5 });
      delay.enable();
      let probing = true;
      const probe = (async () => {
        while (probing) {
          const t0 = performance.now();
          await engineClient.stats();
          trips.push(performance.now() - t0);
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      try {
        return await blaster.round(LOAD_SECONDS);
      } finally {
        probing = false;
        await probe.catch(() => undefined);
        delay.disable();
        p99Delay = Math.max(p99Delay, delay.percentile(99));
        maxDelay = Math.max(maxDelay, delay.max);
        if (keepAll) evicted += (await engineClient.stats()).store.evictedTraces;
      }
    }),
  );
  if (evicted > 0)
    throw new Error(`the store meant to keep every trace evicted ${evicted}: raise its limits`);
  const spans = (load.requests * input.spansPerRequest * 1000) / load.ms;
  const plainSpans = plainPerSecond * input.spansPerRequest;
  trips.sort((a, b) => a - b);
  const p99 = trips[Math.floor(trips.length * 0.99)] ?? NaN;
  row(
    `ingest ${encoding}${gzip ? ' gzip' : ''}, ${input.label}${keepAll ? ', every trace kept and read' : ''}`,
    `${fmt(spans / 1000, 1)}k spans/s, ${fmt((load.bytes * 1000) / load.ms / 1048576, 1)} MB/s`,
    `plain ${encoding === 'protobuf' ? 'protobufjs decode' : 'JSON.parse'}${gzip ? ' after gunzip' : ''}: ${fmt(plainSpans / 1000, 1)}k spans/s (ratio ${fmt(spans / plainSpans, 2)}); host event-loop delay p99 ${fmt(p99Delay / 1e6, 1)} ms, max ${fmt(maxDelay / 1e6, 1)} ms; a request's round trip p99 ${fmt(p99, 1)} ms`,
  );
}

/**
 * One round of load on an engine of its own, warmed for a second first, as each round of the yardstick
 * has a thread of its own: in one long-lived engine the rate of the same load varied by a third from one
 * run of the bench to the next, as that thread's JIT and heap happened to settle, and the best of several
 * fresh ones varies far less. The host's mirror follows it as the extension's does, drawing the tree.
 */
async function freshEngineRound(
  payloads: Buffer[],
  contentType: string,
  gzip: boolean,
  options: { limits?: EngineOptions['limits']; fresh?: FreshIds },
  measure: (engineClient: EngineClient, blaster: Blaster) => Promise<Load>,
): Promise<Load> {
  const engineClient = engine(options.limits ? { limits: options.limits } : {});
  const changes = engineClient.mirror.onDidChange(() => renderTree(engineClient));
  let blaster: Blaster | undefined;
  try {
    const { port } = await engineClient.listen({
      host: '127.0.0.1',
      port: 0,
      maxRequestBytes: 64 * 1024 * 1024,
    });
    blaster = new Blaster(port, payloads, contentType, gzip, options.fresh);
    await blaster.round(1); // warm-up, not counted
    return await measure(engineClient, blaster);
  } finally {
    await blaster?.close();
    changes.dispose();
    await engineClient.dispose();
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
