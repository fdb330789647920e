// `npm run bench`: speed and memory of the local loop, printed as one table. Inputs are the OTLP requests
// captured from the real instrumentation libraries (test/fixtures), copied with fresh trace ids so every
// request is a new trace. Throughput through the real receiver is shown beside a bare Node HTTP server that
// only reads the same bodies (the transport limit of this machine), and decoding beside a plain
// protobuf/JSON parse of the same bytes.
import * as os from 'node:os';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { decodeOtlp } from '../src/otlp/decode';
import { otlpTypes } from '../src/otlp/otlpProto';
import { readOtlpFile } from '../src/otlp/fileReader';
import { otlpJsonLines, traceRequestJson } from '../src/otlp/jsonWriter';
import { TraceStore } from '../src/core/store';
import { createNormalizer } from '../src/core/genai/normalize';
import { GenAiMetrics, MAX_METRIC_CELLS, type GenAiMetricPoint } from '../src/core/genaiMetrics';
import {
  childNodes,
  childrenOf,
  describeSessionGroup,
  describeSpan,
  describeTrace,
  groupRootNodes,
  rootNodes,
  spanOf,
} from '../src/host/treeModel';
import { groupTraces } from '../src/core/grouping';
import { searchStore } from '../src/core/search';
import { buildSessionState, readTurn } from '../src/host/sessionViewModel';
import { buildCallCards, buildConversationState } from '../src/views/conversationViewModel';
import { buildWebviewHtml } from '../src/host/webviewHtml';
import type { SpanRecord, TelemetryBatch } from '../src/core/records';
import type { TreeNode } from '../src/host/treeModel';
import { fixtureEntries, fixturePayload } from '../test/unit/helpers/fixtures';
import { benchIngest, benchOpenThroughEngine, benchReplay, type IngestInput } from './bench/engine';
import { Yardstick } from './bench/yardstick';

const rows: [string, string, string][] = [];
const row = (what: string, value: string, note = ''): void => {
  rows.push([what, value, note]);
  console.error(`  ${what}: ${value} ${note}`);
};
const fmt = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

// ---- inputs: the traceloop "tools" turn (structured content) as protobuf and JSON, 2,048 copies each ----

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
// More traces than the ingest rows' store keeps (1,000), sent round-robin: a trace comes again only after it
// was evicted, so every span the receiver gets is new to it, as an app's are, not one it stores again.
const COPIES = 2048;
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
  const span = (s: SpanRecord): Record<string, unknown> => ({
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
  });
  // As an exporter sends them: one entry per resource, one per scope within it (keyed by their content).
  const resources = new Map<
    string,
    { resource: unknown; scopes: Map<string, { scope: unknown; spans: unknown[] }> }
  >();
  for (const s of batch.spans) {
    const rKey = JSON.stringify(s.resource);
    let r = resources.get(rKey);
    if (!r) resources.set(rKey, (r = { resource: { attributes: kv(s.resource) }, scopes: new Map() }));
    const sKey = `${s.scope.name}|${s.scope.version ?? ''}`;
    let sc = r.scopes.get(sKey);
    if (!sc)
      r.scopes.set(sKey, (sc = { scope: { name: s.scope.name, version: s.scope.version }, spans: [] }));
    sc.spans.push(span(s));
  }
  return {
    resourceSpans: [...resources.values()].map((r) => ({
      resource: r.resource,
      scopeSpans: [...r.scopes.values()].map((sc) => ({ scope: sc.scope, spans: sc.spans })),
    })),
  };
}

/** Requests of `traces` copies of the tools turn (512 spans for 128: an exporter's default batch size). */
/** `traces` copies of the turn in one request, as one app's exporter batches them: one resource and scope. */
function batchJson(traces: number): Buffer {
  type Copy = { resourceSpans: { resource: unknown; scopeSpans: { scope: unknown; spans: unknown[] }[] }[] };
  const copies = Array.from({ length: traces }, () => withFreshIds(template) as Copy);
  const first = copies[0]!.resourceSpans[0]!;
  const spans = copies.flatMap((c) => c.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((sc) => sc.spans)));
  const scope = first.scopeSpans[0]!.scope;
  return Buffer.from(
    JSON.stringify({ resourceSpans: [{ resource: first.resource, scopeSpans: [{ scope, spans }] }] }),
  );
}

function jsonToProto(body: Buffer): Buffer {
  const batch = decodeOtlp('traces', body, 'json');
  return Buffer.from(types.traceRequest.encode(types.traceRequest.fromObject(toProtoObject(batch))).finish());
}

/** Enough batches that, sent round-robin, each brings only traces the store (1,000 kept) no longer holds. */
function batchInput(traces: number): IngestInput {
  const json = Array.from({ length: Math.max(8, Math.ceil(2048 / traces)) }, () => batchJson(traces));
  return {
    label: `${traces * spansPerRequest}-span batches`,
    spansPerRequest: traces * spansPerRequest,
    protobuf: json.map(jsonToProto),
    json,
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
// the machine does not land on one side only. Each round of each side runs in a fresh thread of its own: in
// one long-lived thread the same decode's rate varied by up to three times from one run to the next.

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

/**
 * `npm run bench -- store replay` runs only the sections named (decode, ingest, replay, store, search,
 * files, metrics, conversation, large, sizes); without names, all of them.
 */
const sections = process.argv.slice(2);
const wants = (section: string): boolean => sections.length === 0 || sections.includes(section);

async function decodeRows(): Promise<void> {
  if (!wants('decode')) return;
  console.error('decode');
  for (const encoding of ['protobuf', 'json'] as const) {
    for (const shape of ['batches', 'requests'] as const) {
      const bodies = decodeInputs[encoding][shape];
      const spans = decodeOtlp('traces', bodies[0]!, encoding).spans.length;
      // Each in a fresh thread of its own, by turns; the best round of each.
      const oursRounds = new Yardstick(encoding, false, bodies, 'ours');
      const plainRounds = new Yardstick(encoding, false, bodies);
      let ours = 0;
      let plain = 0;
      for (let r = 0; r < 6; r++) {
        const a = await oursRounds.round(300);
        ours = Math.max(ours, (a.calls * 1000) / a.ms);
        const b = await plainRounds.round(300);
        plain = Math.max(plain, (b.calls * 1000) / b.ms);
      }
      const bytes = bodies.reduce((n, b) => n + b.length, 0) / bodies.length;
      row(
        `decode ${encoding === 'json' ? 'JSON' : encoding} (${shape === 'batches' ? `${spans}-span batches` : `${spans}-span requests`})`,
        `${fmt((ours * spans) / 1000)}k spans/s`,
        `plain ${encoding === 'protobuf' ? 'protobufjs decode' : '`JSON.parse`'}: ${fmt((plain * spans) / 1000)}k spans/s (ratio ${fmt(ours / plain, 2)}); ${fmt(bytes)} B each`,
      );
    }
  }
}

async function main(): Promise<void> {
  await decodeRows();
  // ---- the ingest engine: full ingest in its worker, the host's event loop, replay ----
  console.error('ingest through the engine');
  const inputs: IngestInput[] = [
    { label: '4-span requests', spansPerRequest, protobuf: protoBodies, json: jsonBodies },
    batchInput(128),
  ];
  if (wants('ingest')) await benchIngest(row, inputs);
  if (wants('replay')) await benchReplay(row, inputs[1]!, () => jsonToProto(batchJson(128)));

  if (wants('store')) storeRows();
  if (wants('search')) await searchRows();
  if (wants('files')) exportRows();
  if (wants('metrics')) metricsRows();

  // ---- a 500-message conversation to the panel's HTML ----

  if (wants('conversation')) {
    console.error('conversation');
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
    // As the panel builds it: attribute values cut at view.maxAttributeLength's default; and uncut.
    const panelHtml = (maxAttributeLength: number | undefined): string =>
      buildWebviewHtml({
        cspSource: 'https://*.vscode-cdn.net',
        nonce: 'benchmarknonce0123',
        scriptUri: 'x',
        styleUris: [],
        codiconsUri: 'y',
        initialState: buildConversationState(
          trace,
          { traceId: record.traceId },
          Date.now(),
          {},
          {
            ...(maxAttributeLength === undefined ? {} : { maxAttributeLength }),
          },
        ),
        title: 't',
      });
    const t0 = performance.now();
    const html = panelHtml(2000);
    const ms = performance.now() - t0;
    const uncut = panelHtml(undefined);
    row(
      '500-message conversation: view state + panel HTML',
      `${fmt(ms, 1)} ms`,
      `${fmt(html.length / 1024)} kB of HTML (attributes uncut: ${fmt(uncut.length / 1024)} kB)`,
    );
    store.dispose();
  }

  if (wants('large')) {
    largeTraceRows();
    const ids = [0, 1, 2].map(() => randomBytes(16).toString('hex'));
    const bodies = ids.map((id) =>
      Buffer.from(JSON.stringify(traceRequestJson(largeTraceRecords(id, 10_000, false)))),
    );
    await benchOpenThroughEngine(row, bodies, ids);
  }

  // ---- sizes ----

  if (wants('sizes')) sizeRows();

  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(
    `\nLLM Trace Inspector benchmark: Node ${process.version}, ${os.cpus().length} × ${cpu}, ${fmt(os.totalmem() / 1073741824)} GiB\n`,
  );
  console.log('| measure | result | compared with |');
  console.log('|---|---|---|');
  for (const [a, b, c] of rows) console.log(`| ${a} | ${b} | ${c} |`);
}

function sizeRows(): void {
  const files = [
    'dist/extension.js',
    'dist/engineWorker.js',
    'dist/webview.js',
    'dist/session.js',
    'dist/summary.js',
    'dist/azureIdentity.js',
  ];
  const vsix = existsSync('out') ? readdirSync('out').find((f) => f.endsWith('.vsix')) : undefined;
  const kb = (p: string | undefined): string =>
    p && existsSync(p) ? `${fmt(statSync(p).size / 1024)} kB` : 'n/a';
  row(
    `${files.map((f) => `\`${f}\``).join(' / ')} / \`.vsix\``,
    [...files, vsix && `out/${vsix}`].map(kb).join(' / '),
    'production bundles; the worker carries the receivers (`@grpc/grpc-js` is most of it); ' +
      '`azureIdentity.js` loads only when its credentials are chosen' +
      (vsix ? '' : ' (`.vsix`: run npm run package)'),
  );
}

// ==== large traces: 10,000 spans, a 5 MB message ====
// Built as records and read through the store and the normalizer, as a trace from the receiver is.

const T0_NS = 1_764_000_000_000_000_000n;

function spanRecord(traceId: string, i: number, parent: string | undefined, attrs: SpanRecord['attributes']) {
  const start = T0_NS + BigInt(i) * 10_000_000n;
  const record: SpanRecord = {
    traceId,
    spanId: (0x100000 + i).toString(16).padStart(16, '0'),
    name: String(attrs['gen_ai.operation.name'] ?? 'span'),
    kind: 1,
    startTimeUnixNano: start.toString(),
    endTimeUnixNano: (start + 9_000_000n).toString(),
    attributes: attrs,
    events: [],
    links: [],
    status: { code: 0 },
    resource: { 'service.name': 'bench-agent' },
    scope: { name: 'bench' },
  };
  if (parent) record.parentSpanId = parent;
  return record;
}

/** An agent run of `count` spans: steps of ten chat calls (with a short exchange) and ten tool calls. */
function largeTraceRecords(traceId: string, count: number, flat: boolean): SpanRecord[] {
  const spans: SpanRecord[] = [
    spanRecord(traceId, 0, undefined, { 'gen_ai.operation.name': 'invoke_agent' }),
  ];
  let step = spans[0]!.spanId;
  for (let i = 1; i < count; i++) {
    const parent = flat ? spans[0]!.spanId : step;
    if (!flat && i % 21 === 1) {
      spans.push(spanRecord(traceId, i, spans[0]!.spanId, { 'gen_ai.operation.name': 'invoke_agent' }));
      step = spans.at(-1)!.spanId;
    } else if (i % 2 === 0) {
      spans.push(
        spanRecord(traceId, i, parent, {
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': 'gpt-4o-mini',
          'gen_ai.usage.input_tokens': 120,
          'gen_ai.usage.output_tokens': 30,
          'gen_ai.input.messages': JSON.stringify([
            { role: 'user', parts: [{ type: 'text', content: `Step ${i}: what next?` }] },
          ]),
          'gen_ai.output.messages': JSON.stringify([
            { role: 'assistant', parts: [{ type: 'text', content: `Step ${i}: call the tool.` }] },
          ]),
        }),
      );
    } else {
      spans.push(
        spanRecord(traceId, i, parent, {
          'gen_ai.operation.name': 'execute_tool',
          'gen_ai.tool.name': 'lookup',
        }),
      );
    }
  }
  return spans;
}

/** The panel's HTML as the panel builds it (windowed cards), or with every card embedded. */
function panelHtmlOf(
  store: TraceStore,
  traceId: string,
  windowCalls = true,
): { html: string; calls: number; stateBytes: number } {
  const trace = store.getTrace(traceId);
  const state = buildConversationState(
    trace,
    { traceId },
    Date.now(),
    {},
    { maxAttributeLength: 2000, windowCalls },
  );
  const html = buildWebviewHtml({
    cspSource: 'https://*.vscode-cdn.net',
    nonce: 'benchmarknonce0123',
    scriptUri: 'x',
    styleUris: [],
    codiconsUri: 'y',
    initialState: state,
    title: 't',
  });
  return {
    html,
    calls: state.callOutline?.spanIds.length ?? state.calls.length,
    stateBytes: JSON.stringify(state).length,
  };
}

/** The best of `rounds` runs of `fn` (ms): each on a fresh store, so no run reads what another built. */
function bestMs(rounds: number, fn: () => void): number {
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

function largeTraceRows(): void {
  console.error('large traces');
  const traceId = randomBytes(16).toString('hex');
  const records = largeTraceRecords(traceId, 10_000, false);
  const flatId = randomBytes(16).toString('hex');
  const flat = largeTraceRecords(flatId, 10_000, true);
  let htmlBytes = 0;
  let stateBytes = 0;
  let calls = 0;
  let stores: TraceStore[] = [];
  const fresh = (): TraceStore => {
    const store = new TraceStore({
      maxTraces: 10,
      maxSpansPerTrace: 20_000,
      normalizer: createNormalizer(),
      debounceMs: 0,
    });
    store.ingest({ spans: records, logs: [] }, 'otlp');
    store.ingest({ spans: flat, logs: [] }, 'otlp');
    store.getOutline(traceId);
    stores.push(store);
    return store;
  };
  const prepared = [fresh(), fresh(), fresh()];
  let round = 0;
  const open = bestMs(3, () => {
    const out = panelHtmlOf(prepared[round++]!, traceId);
    htmlBytes = out.html.length;
    stateBytes = out.stateBytes;
    calls = out.calls;
  });
  // As it was before cards came in windows: every card in the HTML.
  let embeddedBytes = 0;
  let embeddedStateBytes = 0;
  const again = [fresh(), fresh(), fresh()];
  round = 0;
  const embedded = bestMs(3, () => {
    const out = panelHtmlOf(again[round++]!, traceId, false);
    embeddedBytes = out.html.length;
    embeddedStateBytes = out.stateBytes;
  });
  // A screen of cards from the middle of the trace, as the page asks for them while scrolling.
  const whole = prepared[0]!.getTrace(traceId)!;
  const middle = whole.spans
    .filter((s) => s.llm)
    .slice(2_000, 2_010)
    .map((s) => s.spanId);
  let cardBytes = 0;
  const windowMs = bestMs(5, () => {
    cardBytes = JSON.stringify(buildCallCards(whole, middle, { maxAttributeLength: 2000 })).length;
  });
  // The tree: a trace's root, then a span with 10,000 children (every item described, as the view asks).
  const tree = (store: TraceStore, id: string): number => {
    const options = { llmOnly: false };
    let described = 0;
    const visit = (node: TreeNode): void => {
      for (const child of childNodes(store, node, options)) {
        if (child.kind !== 'span') continue;
        const outline = store.getOutline(id)!;
        const span = spanOf(outline, child.spanId)!;
        describeSpan(span, childrenOf(outline, span.spanId).length > 0);
        described++;
        if (described < 2) visit(child);
      }
    };
    visit({ kind: 'trace', traceId: id });
    return described;
  };
  let children = 0;
  const treeStores = [fresh(), fresh(), fresh()];
  round = 0;
  const treeMs = bestMs(3, () => (children = tree(treeStores[round++]!, flatId)));
  const mb = (bytes: number): string => `${fmt(bytes / 1024 / 1024, 2)} MB`;
  row(
    'open a 10,000-span trace (view model + HTML; tree children)',
    `${fmt(open, 0)} ms; ${fmt(treeMs, 1)} ms`,
    `${fmt(calls)} LLM calls: state ${mb(stateBytes)}, HTML ${mb(htmlBytes)} (packed waterfall rows and the calls' outline); the tree lists ${fmt(children)} spans under one parent (outline read, children listed and described)`,
  );
  row(
    'the same trace with every card embedded (as before windows)',
    `${fmt(embedded, 0)} ms`,
    `state ${mb(embeddedStateBytes)}, HTML ${mb(embeddedBytes)}; a window of 10 cards on request: ${fmt(windowMs, 1)} ms, ${fmt(cardBytes / 1024, 1)} kB`,
  );
  for (const s of stores) s.dispose();
  stores = [];

  // ---- a 5 MB message: as text, and as a base64 image ----
  const fiveMb = 5 * 1024 * 1024;
  const base64 = randomBytes((fiveMb * 3) / 4).toString('base64');
  const messageCases: [string, unknown[]][] = [
    ['text', [{ type: 'text', content: 'Lisbon trams and custard tarts. '.repeat(fiveMb / 32) }]],
    [
      'image',
      [
        { type: 'text', content: 'What is in this picture?' },
        { type: 'blob', modality: 'image', mime_type: 'image/png', content: base64 },
      ],
    ],
  ];
  const results: string[] = [];
  let worst = 0;
  for (const [what, parts] of messageCases) {
    const id = randomBytes(16).toString('hex');
    const record = spanRecord(id, 0, undefined, {
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts }]),
    });
    let html = 0;
    const ms = bestMs(3, () => {
      const store = new TraceStore({ maxTraces: 10, normalizer: createNormalizer(), debounceMs: 0 });
      store.ingest({ spans: [record], logs: [] }, 'otlp');
      html = panelHtmlOf(store, id).html.length;
      store.dispose();
    });
    worst = Math.max(worst, ms);
    results.push(`${what}: ${fmt(ms, 0)} ms, ${fmt(html / 1024 / 1024, 1)} MB of HTML`);
  }
  row(
    '5 MB message: view model + HTML',
    `${fmt(worst, 0)} ms`,
    `${results.join('; ')} (normalized from the attribute, state built, embedded); the page shows its first 1,500 characters`,
  );
}

// ==== the store: memory with content, memory under its budget, the tree over outlines ====
// Each trace is decoded from request bytes of its own (the captured request with a fresh trace id written
// into a copy), so no attribute object or string is shared between traces the way copies of one decoded
// batch would share them: the heap holds what a real stream of distinct requests would leave.

function gcHeapMb(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed / 1048576;
}

/** A factory of distinct requests: the captured body with a fresh trace id at every place it occurs. */
function distinctRequests(body: Buffer): () => Buffer {
  const ids = new Set(decodeOtlp('traces', body, 'protobuf').spans.map((s) => s.traceId));
  const at: number[] = [];
  for (const hex of ids) {
    const id = Buffer.from(hex, 'hex');
    for (let i = body.indexOf(id); i >= 0; i = body.indexOf(id, i + 1)) at.push(i);
  }
  return () => {
    const copy = Buffer.from(body);
    const id = randomBytes(16);
    for (const i of at) id.copy(copy, i);
    return copy;
  };
}

// ==== text search over the stored records (the LLM Traces view's Filter by Text) ====

async function searchRows(): Promise<void> {
  console.error('search');
  const entry = fixtureEntries({
    library: 'traceloop',
    scenario: 'chat',
    signal: 'traces',
    encoding: 'protobuf',
  })[0]!;
  const nextRequest = distinctRequests(fixturePayload(entry));
  const store = new TraceStore({
    maxTraces: 1_000_000,
    maxBytes: Number.POSITIVE_INFINITY,
    normalizer: createNormalizer(),
    debounceMs: 0,
  });
  while (store.size < 100_000) store.ingest(decodeOtlp('traces', nextRequest(), 'protobuf'), 'otlp');
  store.flush();
  const spans = store.stats().spans;
  // As the engine runs it: a pause for the worker's other messages between batches.
  const pause = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  const timed = async (text: string, limit?: number): Promise<{ ms: number; found: number }> => {
    let best = Number.POSITIVE_INFINITY;
    let found = 0;
    for (let round = 0; round < 3; round++) {
      const t0 = performance.now();
      const result = await searchStore(store, text, { pause, ...(limit ? { limit } : {}) });
      best = Math.min(best, performance.now() - t0);
      found = result.traceIds.length;
    }
    return { ms: best, found };
  };
  const none = await timed('zanzibar');
  row(
    'search 100k stored traces for a word',
    `${fmt(none.ms)} ms`,
    `a word in no trace: every span name, attribute value and event of ${fmt(spans)} spans read`,
  );
  const every = await timed('Lisbon');
  row(
    'search 100k stored traces for a word in every message',
    `${fmt(every.ms)} ms`,
    `stops at the view's limit: ${fmt(every.found)} traces found`,
  );
  const unicode = await timed('pastéis');
  row(
    'search 100k stored traces for a word with an accent',
    `${fmt(unicode.ms)} ms`,
    `matched case-insensitively in the text as stored; found ${fmt(unicode.found)}`,
  );
  store.clear();
  store.dispose();
}

function storeRows(): void {
  console.error('store');
  const MB = 1048576;
  const entry = fixtureEntries({
    library: 'traceloop',
    scenario: 'chat',
    signal: 'traces',
    encoding: 'protobuf',
  })[0]!;
  const nextRequest = distinctRequests(fixturePayload(entry));
  const gcNote = (globalThis as { gc?: () => void }).gc ? '' : ' (run with --expose-gc for exact figures)';

  // ---- 100k LLM calls with their content, all kept ----
  let perRequestBytes: number;
  {
    const store = new TraceStore({
      maxTraces: 1_000_000,
      maxBytes: Number.POSITIVE_INFINITY,
      normalizer: createNormalizer(),
      debounceMs: 0,
    });
    const before = gcHeapMb();
    let calls = 0;
    let requests = 0;
    while (calls < 100_000) {
      calls += store.ingest(decodeOtlp('traces', nextRequest(), 'protobuf'), 'otlp').llmCalls;
      requests++;
    }
    store.list(); // every outline built, as the views would
    const heap = gcHeapMb() - before;
    const stats = store.stats();
    perRequestBytes = stats.bytes / requests;
    row(
      'memory, 100k stored LLM spans with content (traceloop chat turn)',
      `${fmt(heap)} MB`,
      `goal < 400 MB; store's estimate ${fmt(stats.bytes / MB)} MB (estimate/heap ${fmt(stats.bytes / MB / heap, 2)}); ${fmt((heap * MB) / calls / 1024, 1)} kB per LLM call, ${fmt(stats.spans)} spans in ${fmt(stats.traces)} traces${gcNote}`,
    );

    // ---- the Summary view's figures over every stored call ----
    {
      store.summarize({}); // the first settles nothing more: list() built every summary
      const t0 = performance.now();
      const runs = 5;
      let summary = store.summarize({});
      for (let i = 1; i < runs; i++) summary = store.summarize({});
      row(
        'summary of 100k calls (local)',
        `${fmt((performance.now() - t0) / runs, 1)} ms`,
        `every call, all time: totals, per model/service/user with p50/p95/p99, ${fmt(summary.buckets.length)} buckets; ${fmt(summary.totals.calls)} calls, mean of ${runs}; per-call facts ${fmt(store.callFactBytes / MB, 1)} MB outside the heap (${fmt(store.callFactBytes / summary.totals.calls)} B a call)`,
      );
    }

    // ---- reading one trace whole (content) against its outline ----
    const ids = store
      .list()
      .slice(0, 1000)
      .map((t) => t.traceId);
    let t0 = performance.now();
    for (const id of ids) store.getOutline(id);
    const outlineMs = performance.now() - t0;
    t0 = performance.now();
    for (const id of ids) store.getTrace(id);
    const fullMs = performance.now() - t0;
    row(
      'read 1,000 traces: outline vs whole (content read)',
      `${fmt(outlineMs, 1)} ms vs ${fmt(fullMs, 1)} ms`,
      'outlines of cold traces read again from their records; whole traces kept built: the 8 read last',
    );
    store.clear();
    store.dispose();
  }

  // ---- sent three times the budget: the heap stays near it ----
  {
    const budget = 128 * MB;
    const store = new TraceStore({
      maxTraces: 1_000_000,
      maxBytes: budget,
      normalizer: createNormalizer(),
      debounceMs: 0,
    });
    const before = gcHeapMb();
    const requests = Math.ceil((3 * budget) / perRequestBytes);
    for (let i = 0; i < requests; i++) store.ingest(decodeOtlp('traces', nextRequest(), 'protobuf'), 'otlp');
    store.list();
    const heap = gcHeapMb() - before;
    const stats = store.stats();
    row(
      'memory when sent 3x the budget (budget 128 MB)',
      `${fmt(heap)} MB`,
      `store's estimate ${fmt(stats.bytes / MB)} MB; ${fmt(stats.traces)} of ${fmt(requests)} traces kept, ${fmt(stats.evictedTraces)} evicted${gcNote}`,
    );
    store.clear();
    store.dispose();
  }

  // ---- the tree for 10k traces, from outlines ----
  {
    const store = new TraceStore({ maxTraces: 10_000, normalizer: createNormalizer(), debounceMs: 0 });
    for (let i = 0; i < 10_000; i++) store.ingest(decodeOtlp('traces', nextRequest(), 'protobuf'), 'otlp');
    store.list();
    const t0 = performance.now();
    const nodes = rootNodes(store, { llmOnly: false });
    const now = Date.now();
    for (const n of nodes) if (n.kind === 'trace') describeTrace(store.summary(n.traceId)!, now);
    row(
      'tree roots for 10k traces (list, sort, describe)',
      `${fmt(performance.now() - t0, 1)} ms`,
      `${fmt(nodes.length)} nodes`,
    );

    // The same summaries in 1,000 sessions of 100 users: what a grouped tree does on each change.
    const summaries = store
      .list()
      .map((t, i) => ({ ...t, sessionId: `sess-${i % 1000}`, userId: `user-${i % 100}` }));
    const t1 = performance.now();
    const grouping = groupTraces(summaries);
    for (const n of groupRootNodes(grouping, 'session'))
      if (n.kind === 'session') describeSessionGroup(grouping.sessionById.get(n.sessionId)!, now);
    row(
      'tree grouped by session for 10k traces (group, sort, describe)',
      `${fmt(performance.now() - t1, 1)} ms`,
      `${fmt(grouping.sessions.length)} sessions, ${fmt(grouping.users.length)} users`,
    );

    // A session view of 200 turns: each turn read once from its whole trace, then the page's state.
    const turns = store.list().slice(0, 200);
    const t2 = performance.now();
    const contents = new Map(turns.map((t) => [t.traceId, readTurn(store.getTrace(t.traceId)!)]));
    const t3 = performance.now();
    const state = buildSessionState({ sessionId: 'bench' }, turns, contents, Date.now());
    const t4 = performance.now();
    row(
      'session view of 200 turns: read each turn, then the state',
      `${fmt(t3 - t2, 1)} ms + ${fmt(t4 - t3, 1)} ms`,
      `${fmt(JSON.stringify(state).length / 1024)} kB of state`,
    );
    store.dispose();
  }
}
// ==== end of the store's block ====

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

// ==== files: Export as OTLP JSON (records to text) and Open OTLP File (text to records) ====
// 32 batches of 512 spans (the tools turn with fresh ids), written as JSON lines and read back, as an
// export of many traces and the open of a Collector's file exporter output would.

function exportRows(): void {
  console.error('export and open');
  const batches = Array.from({ length: 32 }, () => decodeOtlp('traces', batchJson(128), 'json'));
  const spans = batches.reduce((n, b) => n + b.spans.length, 0);
  const write = (): string => batches.map((b) => otlpJsonLines(b)).join('');
  const text = write();
  const bytes = Buffer.from(text);
  // Whole passes a second, the best of three rounds of at least 300 ms each.
  const [writes, reads] = bestOfRounds(3, 300, [write, () => void readOtlpFile(bytes)]) as [number, number];
  const mb = bytes.length / 1048576;
  row(
    `export ${fmt(spans)} spans as OTLP JSON lines`,
    `${fmt((writes * spans) / 1000)}k spans/s`,
    `${fmt(mb, 1)} MB in ${fmt(1000 / writes)} ms`,
  );
  row(
    `open that file (${fmt(batches.length)} lines)`,
    `${fmt((reads * spans) / 1000)}k spans/s`,
    `${fmt(mb * reads, 1)} MB/s, ${fmt(1000 / reads)} ms`,
  );
}

// ==== metrics: the GenAI metrics read from the captured request and added up ====
// The OpenAI instrumentation's request (three histogram points) decoded in both encodings, then 100k points
// (20 models, 10 services, one export a second) added and summed as the Summary asks, within the cell bound.

function metricsRows(): void {
  console.error('metrics');
  const entries = fixtureEntries({ library: 'otel-openai', scenario: 'chat', signal: 'metrics' });
  for (const entry of entries) {
    const body = fixturePayload(entry);
    const points = decodeOtlp('metrics', body, entry.encoding).metrics?.length ?? 0;
    const [perSecond] = bestOfRounds(3, 300, [() => void decodeOtlp('metrics', body, entry.encoding)]) as [
      number,
    ];
    row(
      `decode a GenAI metrics request (${entry.encoding}, ${fmt(body.length)} bytes)`,
      `${fmt((perSecond * points) / 1000)}k points/s`,
      `${fmt(perSecond)} requests/s`,
    );
  }
  const base = decodeOtlp(
    'metrics',
    fixturePayload(entries.find((e) => e.encoding === 'protobuf')!),
    'protobuf',
  ).metrics!;
  const t0 = 1_800_000_000_000;
  const points: GenAiMetricPoint[] = [];
  for (let i = 0; points.length < 100_000; i++)
    for (const p of base)
      points.push({
        ...p,
        series: `${p.series}|${i % 200}`,
        model: `model-${i % 20}`,
        service: `service-${i % 10}`,
        startTimeUnixNano: `${BigInt(t0 + i * 1000) * 1_000_000n}`,
        timeUnixNano: `${BigInt(t0 + i * 1000 + 999) * 1_000_000n}`,
      });
  // The series keys built above are joined strings; flattened here, so the heap counts only what is kept.
  new Set(points.map((p) => p.series)).clear();
  const heap = gcHeapMb();
  const metrics = new GenAiMetrics();
  const a = performance.now();
  metrics.add(points);
  const addMs = performance.now() - a;
  const kept = gcHeapMb() - heap;
  const b = performance.now();
  const summary = metrics.summarize({}, { fromMs: t0, toMs: t0 + points.length * 1000, bucketMs: 3_600_000 });
  const sumMs = performance.now() - b;
  row(
    `add ${fmt(points.length)} GenAI metric points`,
    `${fmt(points.length / addMs)}k points/s`,
    `${fmt(metrics.size.cells)} cells (bound ${fmt(MAX_METRIC_CELLS)}), ${fmt(kept, 1)} MB of heap`,
  );
  row(
    'summarize those metrics (per model and service, hourly buckets)',
    `${fmt(sumMs, 1)} ms`,
    `${summary?.byModel.length ?? 0} models, ${summary?.buckets.length ?? 0} buckets`,
  );
}
