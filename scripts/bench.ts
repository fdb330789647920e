// `npm run bench`: speed and memory of the local loop, printed as one table. Inputs are the OTLP requests
// captured from the real instrumentation libraries (test/fixtures), copied with fresh trace ids so every
// request is a new trace. Throughput through the real receiver is shown beside a bare Node HTTP server that
// only reads the same bodies (the transport limit of this machine), and decoding beside a plain
// protobuf/JSON parse of the same bytes.
import * as http from 'node:http';
import * as os from 'node:os';
import * as zlib from 'node:zlib';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { AddressInfo } from 'node:net';
import { decodeOtlp } from '../src/otlp/decode';
import { otlpTypes } from '../src/otlp/otlpProto';
import { OtlpHttpReceiver } from '../src/otlp/httpReceiver';
import { nullLogger } from '../src/core/logger';
import { TraceStore } from '../src/core/store';
import { createNormalizer } from '../src/core/genai/normalize';
import { describeTrace, rootNodes } from '../src/host/treeModel';
import { buildConversationState } from '../src/host/conversationViewModel';
import { buildWebviewHtml } from '../src/host/webviewHtml';
import type { LogRecordData, SpanRecord, TelemetryBatch } from '../src/core/records';
import { fixtureEntries, fixturePayload } from '../test/unit/helpers/fixtures';

const rows: [string, string, string][] = [];
const row = (what: string, value: string, note = ''): void => {
  rows.push([what, value, note]);
  console.error(`  ${what}: ${value} ${note}`);
};
const fmt = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

// ---- inputs: the traceloop "tools" turn (structured content) as protobuf and JSON, 200 copies each ----

function withFreshIds(json: unknown): unknown {
  const traceId = randomBytes(16).toString('hex');
  const text = JSON.stringify(json).replace(/"traceId":"[0-9a-f]{32}"/g, `"traceId":"${traceId}"`);
  return JSON.parse(text);
}

const jsonEntry = fixtureEntries({
  library: 'traceloop',
  scenario: 'tools',
  signal: 'traces',
  encoding: 'json',
})[0]!;
const template = JSON.parse(fixturePayload(jsonEntry).toString('utf8'));
const spansPerRequest = decodeOtlp('traces', fixturePayload(jsonEntry), 'json').spans.length;
const COPIES = 200;
const jsonBodies: Buffer[] = [];
const protoBodies: Buffer[] = [];
const types = otlpTypes();
for (let i = 0; i < COPIES; i++) {
  const copy = withFreshIds(template);
  jsonBodies.push(Buffer.from(JSON.stringify(copy)));
  // JSON -> protobuf through the same schema the receiver reads (hex ids become bytes).
  const batch = decodeOtlp('traces', jsonBodies[i]!, 'json');
  protoBodies.push(
    Buffer.from(types.traceRequest.encode(types.traceRequest.fromObject(toProtoObject(batch))).finish()),
  );
}

function toProtoObject(batch: TelemetryBatch): Record<string, unknown> {
  const hex = (s: string | undefined): Buffer | undefined => (s ? Buffer.from(s, 'hex') : undefined);
  const anyValue = (v: unknown): Record<string, unknown> =>
    typeof v === 'string'
      ? { stringValue: v }
      : typeof v === 'boolean'
        ? { boolValue: v }
        : typeof v === 'number'
          ? Number.isInteger(v)
            ? { intValue: v }
            : { doubleValue: v }
          : Array.isArray(v)
            ? { arrayValue: { values: v.map(anyValue) } }
            : { stringValue: JSON.stringify(v) };
  const kv = (a: Record<string, unknown>): { key: string; value: Record<string, unknown> }[] =>
    Object.entries(a).map(([key, value]) => ({ key, value: anyValue(value) }));
  return {
    resourceSpans: batch.spans.map((s: SpanRecord) => ({
      resource: { attributes: kv(s.resource) },
      scopeSpans: [
        {
          scope: { name: s.scope.name, version: s.scope.version },
          spans: [
            {
              traceId: hex(s.traceId),
              spanId: hex(s.spanId),
              parentSpanId: hex(s.parentSpanId),
              name: s.name,
              kind: s.kind,
              startTimeUnixNano: s.startTimeUnixNano,
              endTimeUnixNano: s.endTimeUnixNano,
              attributes: kv(s.attributes),
              events: s.events.map((e) => ({
                name: e.name,
                timeUnixNano: e.timeUnixNano,
                attributes: kv(e.attributes),
              })),
              status: s.status,
            },
          ],
        },
      ],
    })),
  };
}

function timeLoop(minMs: number, fn: () => void): { perSecond: number; iterations: number } {
  let iterations = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    fn();
    iterations++;
    elapsed = performance.now() - start;
  }
  return { perSecond: (iterations * 1000) / elapsed, iterations };
}

// ---- decode alone vs the plain parse of the same bytes ----
// Two shapes of input from the captured Traceloop and OpenInference tool-calling turns (4 spans each, with
// message content), every copy with a fresh trace id: single requests as a chatty exporter sends them, and
// 512-span batches (the batch span processor's default size), 128 requests merged into one. The decoder
// and the plain parse take turns for a few rounds and the best round of each counts, so a busy moment of
// the machine does not land on one side only.

const decodeInputs = ((): Record<'protobuf' | 'json', { requests: Buffer[]; batches: Buffer[] }> => {
  const sources = ['traceloop', 'openinference'].map((library) => {
    const entry = (encoding: 'protobuf' | 'json') =>
      fixtureEntries({ library, scenario: 'tools', signal: 'traces', encoding })[0]!;
    const pb = fixturePayload(entry('protobuf'));
    return {
      pb,
      pbTraceIds: [...new Set(decodeOtlp('traces', pb, 'protobuf').spans.map((s) => s.traceId))],
      json: JSON.parse(fixturePayload(entry('json')).toString('utf8')) as { resourceSpans: unknown[] },
    };
  });
  const freshPb = (pb: Buffer, traceIds: string[]): Buffer => {
    const out = Buffer.from(pb);
    for (const id of traceIds) {
      const from = Buffer.from(id, 'hex');
      const to = randomBytes(16);
      for (let at = out.indexOf(from); at >= 0; at = out.indexOf(from, at + 16)) to.copy(out, at);
    }
    return out;
  };
  const requests = { protobuf: [] as Buffer[], json: [] as Buffer[] };
  const batches = { protobuf: [] as Buffer[], json: [] as Buffer[] };
  for (let b = 0; b < 8; b++) {
    const pbParts: Buffer[] = [];
    const resourceSpans: unknown[] = [];
    for (let i = 0; i < 128; i++) {
      const src = sources[i % sources.length]!;
      // Repeated fields append, so concatenated requests are one request with all their spans.
      const pb = freshPb(src.pb, src.pbTraceIds);
      pbParts.push(pb);
      const json = withFreshIds(src.json) as { resourceSpans: unknown[] };
      resourceSpans.push(...json.resourceSpans);
      if (b === 0) {
        requests.protobuf.push(pb);
        requests.json.push(Buffer.from(JSON.stringify(json)));
      }
    }
    batches.protobuf.push(Buffer.concat(pbParts));
    batches.json.push(Buffer.from(JSON.stringify({ resourceSpans })));
  }
  return {
    protobuf: { requests: requests.protobuf, batches: batches.protobuf },
    json: { requests: requests.json, batches: batches.json },
  };
})();

function bestOfRounds(rounds: number, ms: number, fns: (() => void)[]): number[] {
  const best = fns.map(() => 0);
  for (let r = 0; r < rounds; r++)
    fns.forEach((fn, i) => (best[i] = Math.max(best[i]!, timeLoop(ms, fn).perSecond)));
  return best;
}

console.error('decode');
for (const encoding of ['protobuf', 'json'] as const) {
  for (const shape of ['batches', 'requests'] as const) {
    const bodies = decodeInputs[encoding][shape];
    const spans = decodeOtlp('traces', bodies[0]!, encoding).spans.length;
    let i = 0;
    let j = 0;
    const [ours, plain] = bestOfRounds(6, 300, [
      () => decodeOtlp('traces', bodies[i++ % bodies.length]!, encoding),
      encoding === 'protobuf'
        ? () => types.traceRequest.decode(bodies[j++ % bodies.length]!)
        : () => JSON.parse(bodies[j++ % bodies.length]!.toString('utf8')),
    ]) as [number, number];
    const bytes = bodies.reduce((n, b) => n + b.length, 0) / bodies.length;
    row(
      `decode ${encoding === 'json' ? 'JSON' : encoding} (${shape === 'batches' ? `${spans}-span batches` : `${spans}-span requests`})`,
      `${fmt((ours * spans) / 1000)}k spans/s`,
      `plain ${encoding === 'protobuf' ? 'protobufjs decode' : '`JSON.parse`'}: ${fmt((plain * spans) / 1000)}k spans/s (ratio ${fmt(ours / plain, 2)}); ${fmt(bytes)} B each`,
    );
  }
}

// ---- ingest over HTTP: the real receiver (decode + normalize + store) vs a bare server ----

/**
 * Sends the bodies for `seconds` from 8 keep-alive connections. The client runs in a worker thread, so
 * the server's event loop (the receiver under test, or the bare server) has its thread to itself.
 */
async function blast(
  port: number,
  bodies: Buffer[],
  contentType: string,
  gzip: boolean,
  seconds: number,
): Promise<{ requests: number; bytes: number; ms: number }> {
  const payloads = gzip ? bodies.map((b) => zlib.gzipSync(b)) : bodies;
  const worker = new Worker(BLAST_WORKER, {
    eval: true,
    workerData: { port, payloads, contentType, gzip, seconds },
  });
  try {
    return await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  } finally {
    await worker.terminate();
  }
}

const BLAST_WORKER = `
const http = require('node:http');
const { parentPort, workerData } = require('node:worker_threads');
const { port, payloads, contentType, gzip, seconds } = workerData;
const bodies = payloads.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength));
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
let requests = 0;
let bytes = 0;
const start = performance.now();
const end = start + seconds * 1000;
const send = (body) => new Promise((resolve, reject) => {
  const headers = { 'Content-Type': contentType, 'Content-Length': body.length };
  if (gzip) headers['Content-Encoding'] = 'gzip';
  const req = http.request({ host: '127.0.0.1', port, path: '/v1/traces', method: 'POST', agent, headers }, (res) => {
    res.resume();
    res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error('HTTP ' + res.statusCode))));
  });
  req.on('error', reject);
  req.end(body);
});
const worker = async (w) => {
  for (let i = w; performance.now() < end; i += 8) {
    const body = bodies[i % bodies.length];
    await send(body);
    requests++;
    bytes += body.length;
  }
};
Promise.all(Array.from({ length: 8 }, (_, w) => worker(w))).then(() => {
  agent.destroy();
  parentPort.postMessage({ requests, bytes, ms: performance.now() - start });
});
`;

async function bareServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      Buffer.concat(chunks);
      res.writeHead(200, { 'Content-Type': 'application/x-protobuf' });
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

async function main(): Promise<void> {
  console.error('ingest over HTTP');
  for (const [encoding, bodies, contentType] of [
    ['protobuf', protoBodies, 'application/x-protobuf'],
    ['json', jsonBodies, 'application/json'],
  ] as const) {
    for (const gzip of [false, true]) {
      const store = new TraceStore({ maxTraces: 1000, normalizer: createNormalizer(), debounceMs: 150 });
      const receiver = new OtlpHttpReceiver({
        host: '127.0.0.1',
        port: 0,
        maxBodyBytes: 20 * 1024 * 1024,
        logger: nullLogger,
        onBatch: (batch) => void store.ingest(batch, 'otlp'),
      });
      const { port } = await receiver.start();
      await blast(port, bodies, contentType, gzip, 1); // warm-up, not counted
      const ours = await blast(port, bodies, contentType, gzip, 3);
      await receiver.stop();
      store.dispose();
      const bare = await bareServer();
      const base = await blast(bare.port, bodies, contentType, gzip, 3);
      await bare.close();
      const spansPerSec = (ours.requests * spansPerRequest * 1000) / ours.ms;
      const baseSpans = (base.requests * spansPerRequest * 1000) / base.ms;
      row(
        `ingest ${encoding}${gzip ? ' gzip' : ''} (receiver, decode, normalize, store)`,
        `${fmt(spansPerSec / 1000, 1)}k spans/s, ${fmt((ours.bytes * 1000) / ours.ms / 1048576, 1)} MB/s`,
        `bare Node HTTP server: ${fmt(baseSpans / 1000, 1)}k spans/s (ratio ${fmt(spansPerSec / baseSpans, 2)})`,
      );
    }
  }

  // ---- memory per stored span ----

  const gc = (globalThis as { gc?: () => void }).gc;
  function heapMb(): number {
    gc?.();
    gc?.();
    return process.memoryUsage().heapUsed / 1048576;
  }

  console.error('memory');
  {
    const typical = decodeOtlp('traces', protoBodies[0]!, 'protobuf');
    const store = new TraceStore({ maxTraces: 1_000_000, normalizer: createNormalizer(), debounceMs: 0 });
    const before = heapMb();
    const target = 100_000;
    let spans = 0;
    for (let i = 0; spans < target; i++) {
      const traceId = randomBytes(16).toString('hex');
      const batch: TelemetryBatch = {
        spans: typical.spans.map((s) => ({ ...s, traceId })),
        logs: [] as LogRecordData[],
      };
      store.ingest(batch, 'otlp');
      spans += batch.spans.length;
    }
    store.list(); // build every trace, as the views would
    const after = heapMb();
    row(
      'memory, 100k stored spans (traceloop tools turn, with content)',
      `${fmt(after - before)} MB`,
      `${fmt(((after - before) * 1048576) / spans / 1024, 1)} kB per span${gc ? '' : ' (run with --expose-gc for exact figures)'}`,
    );

    // ---- the tree for 10k traces ----
    const small = new TraceStore({ maxTraces: 10_000, normalizer: createNormalizer(), debounceMs: 0 });
    for (let i = 0; i < 10_000; i++) {
      const traceId = randomBytes(16).toString('hex');
      small.ingest({ spans: typical.spans.map((s) => ({ ...s, traceId })), logs: [] }, 'otlp');
    }
    small.list();
    const t0 = performance.now();
    const nodes = rootNodes(small, { llmOnly: false });
    const now = Date.now();
    for (const n of nodes) if (n.kind === 'trace') describeTrace(small.getTrace(n.traceId)!.summary, now);
    row(
      'tree roots for 10k traces (list, sort, describe)',
      `${fmt(performance.now() - t0, 1)} ms`,
      `${fmt(nodes.length)} nodes`,
    );
    store.dispose();
    small.dispose();
  }

  // ---- a 500-message conversation to the panel's HTML ----

  console.error('conversation');
  {
    const entry = fixtureEntries({
      library: 'traceloop',
      scenario: 'chat',
      signal: 'traces',
      encoding: 'json',
    })[0]!;
    const batch = decodeOtlp('traces', fixturePayload(entry), 'json');
    const llm = batch.spans.find((s) => s.attributes['gen_ai.input.messages'] !== undefined)!;
    const messages = Array.from({ length: 500 }, (_, i) => ({
      role: i % 2 ? 'assistant' : 'user',
      parts: [{ type: 'text', content: `Message ${i}: ${'Lisbon trams and pastéis de nata. '.repeat(20)}` }],
    }));
    const record: SpanRecord = {
      ...llm,
      attributes: { ...llm.attributes, 'gen_ai.input.messages': JSON.stringify(messages) },
    };
    const store = new TraceStore({ maxTraces: 10, normalizer: createNormalizer(), debounceMs: 0 });
    store.ingest({ spans: [record], logs: [] }, 'otlp');
    const trace = store.getTrace(record.traceId)!;
    const t0 = performance.now();
    const state = buildConversationState(trace, { traceId: record.traceId }, Date.now());
    const html = buildWebviewHtml({
      cspSource: 'https://*.vscode-cdn.net',
      nonce: 'benchmarknonce0123',
      scriptUri: 'x',
      styleUris: [],
      codiconsUri: 'y',
      initialState: state,
      title: 't',
    });
    row(
      '500-message conversation: view state + panel HTML',
      `${fmt(performance.now() - t0, 1)} ms`,
      `${fmt(html.length / 1024)} kB of HTML`,
    );
    store.dispose();
  }

  // ---- sizes ----

  const size = (p: string): number => (existsSync(p) ? statSync(p).size : NaN);
  row(
    'bundle dist/extension.js',
    `${fmt(size('dist/extension.js') / 1024)} kB`,
    existsSync('dist/extension.js') ? '' : '(run npm run build)',
  );
  row('bundle dist/webview.js', `${fmt(size('dist/webview.js') / 1024)} kB`);
  const vsix = existsSync('out') ? readdirSync('out').find((f) => f.endsWith('.vsix')) : undefined;
  row('.vsix', vsix ? `${fmt(size(`out/${vsix}`) / 1024)} kB` : 'n/a', vsix ? '' : '(run npm run package)');

  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(
    `\nLLM Trace Inspector benchmark: Node ${process.version}, ${os.cpus().length} × ${cpu}, ${fmt(os.totalmem() / 1073741824)} GiB\n`,
  );
  console.log('| measure | result | compared with |');
  console.log('|---|---|---|');
  for (const [a, b, c] of rows) console.log(`| ${a} | ${b} | ${c} |`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
