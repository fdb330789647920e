// Produces test/fixtures/appinsights/: runs the app's turns (turns.mjs) under each real instrumentation
// library, one child process each, against the loopback OpenAI mock (../mockOpenAI.mjs), with the real
// Azure Monitor exporter sending to a loopback HTTPS stand-in of the ingestion endpoint. It writes each
// request's envelopes as the exporter POSTed them (gunzipped) to envelopes/<library>/<n>.json, turns
// them into table rows with ../shared/appinsights/ingest.js (beside the repository) and writes
// manifest.json, computed from those rows.
//
//   node captureAppInsights.mjs [--out DIR] [--only LIBRARY]
import { spawn, spawnSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
  existsSync,
} from 'node:fs';
import { createServer } from 'node:https';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { startMockOpenAI } from '../mockOpenAI.mjs';
import { registerSampleImports } from './sampleImports.mjs';

// turns.mjs imports ../scenarios.mjs, whose own imports must resolve from this folder.
registerSampleImports();
const { IDENTITIES, TURNS } = await import('./turns.mjs');

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');
const { values } = parseArgs({ options: { out: { type: 'string' }, only: { type: 'string' } } });
const outDir = resolve(values.out ?? join(repoRoot, 'test', 'fixtures', 'appinsights'));
const sharedDir = resolve(repoRoot, '..', 'shared', 'appinsights');
const require = createRequire(import.meta.url);

const LIBRARIES = [
  { library: 'otel-openai', libraryPackage: '@opentelemetry/instrumentation-openai' },
  { library: 'traceloop', libraryPackage: '@traceloop/node-server-sdk' },
  { library: 'openinference', libraryPackage: '@arizeai/openinference-instrumentation-openai' },
];
/** Packages whose versions the manifest reports. */
const PACKAGES = [
  '@azure/monitor-opentelemetry-exporter',
  '@opentelemetry/api',
  '@opentelemetry/api-logs',
  '@opentelemetry/sdk-logs',
  '@opentelemetry/sdk-trace-base',
  '@opentelemetry/sdk-trace-node',
  '@opentelemetry/resources',
  'openai',
  '@opentelemetry/instrumentation-openai',
  '@traceloop/node-server-sdk',
  '@traceloop/instrumentation-openai',
  '@arizeai/openinference-instrumentation-openai',
];
const IKEY = '00000000-0000-0000-0000-000000000000';

/** The exporter's limits (utils/common.js, logUtils.js of @azure/monitor-opentelemetry-exporter). */
const LIMITS = {
  propertyBytes: 8192,
  genAIContentBytes: 262144,
  messageChars: 32768,
  dependencyDataChars: 8192,
};
const GENAI_CONTENT_KEYS = new Set([
  'gen_ai.input.messages',
  'gen_ai.output.messages',
  'gen_ai.system_instructions',
  'gen_ai.tool.definitions',
  'gen_ai.tool.call.arguments',
  'gen_ai.tool.call.result',
  'gen_ai.evaluation.explanation',
]);

const packageVersion = (name) =>
  JSON.parse(readFileSync(join(here, 'node_modules', name, 'package.json'), 'utf8')).version;

/** A throw-away self-signed certificate for 127.0.0.1. */
function makeCertificate(dir) {
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  const r = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr || r.error}`);
  return { cert: readFileSync(certFile), key: readFileSync(keyFile) };
}

/**
 * A loopback stand-in of the ingestion endpoint: records the envelopes POSTed to /v2.1/track (gzip'd
 * or not) and accepts them all, as Application Insights answers.
 */
async function startIngestion({ cert, key, onBatch }) {
  const server = createServer({ cert, key }, (req, res) => {
    const parts = [];
    req.on('data', (c) => parts.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'https://127.0.0.1');
      if (req.method !== 'POST' || url.pathname !== '/v2.1/track') {
        console.warn(`  ingestion: unexpected ${req.method} ${req.url}`);
        res.writeHead(404).end();
        return;
      }
      let envelopes;
      try {
        const raw = Buffer.concat(parts);
        const gzip = req.headers['content-encoding'] === 'gzip' || (raw[0] === 0x1f && raw[1] === 0x8b);
        envelopes = JSON.parse((gzip ? gunzipSync(raw) : raw).toString('utf8'));
        if (!Array.isArray(envelopes)) throw new Error('not an array');
      } catch (err) {
        console.warn(`  ingestion: unreadable body (${err.message})`);
        res
          .writeHead(400, { 'content-type': 'application/json' })
          .end('{"itemsReceived":0,"itemsAccepted":0}');
        return;
      }
      onBatch(envelopes);
      const n = envelopes.length;
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ itemsReceived: n, itemsAccepted: n, errors: [] }));
    });
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', ok);
  });
  return {
    port: server.address().port,
    close: () =>
      new Promise((ok) => {
        server.closeAllConnections?.();
        server.close(() => ok());
      }),
  };
}

function runChild(args, env, onLine) {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, ['runApp.mjs', ...args], {
      cwd: here,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let buffered = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text) => {
      buffered += text;
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        onLine(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text) => {
      // Node's warning about NODE_TLS_REJECT_UNAUTHORIZED is expected in this child.
      for (const line of text.split('\n')) {
        if (line.trim() && !/NODE_TLS_REJECT_UNAUTHORIZED|--trace-warnings/.test(line))
          console.error(`  ${line}`);
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('error', fail);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (buffered) onLine(buffered);
      if (code === 0) ok();
      else fail(new Error(`runApp.mjs ${args.join(' ')} exited with ${code ?? signal}`));
    });
  });
}

const baseTypeOf = (e) => e?.data?.baseType ?? 'unknown';
const countBy = (xs, key) => {
  const out = {};
  for (const x of xs) {
    const k = key(x);
    if (k !== undefined && k !== null) out[k] = (out[k] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b, 'en')));
};
const uniq = (xs) => [...new Set(xs.filter((x) => x !== null && x !== undefined && x !== ''))].sort();
/**
 * A trace exporter's request holds spans (requests, dependencies, and the resource's _OTELRESOURCE_
 * metric); a log exporter's, messages; a metric exporter's, only metrics.
 */
const signalOf = (batch) =>
  batch.some((e) => ['RequestData', 'RemoteDependencyData'].includes(baseTypeOf(e)))
    ? 'spans'
    : batch.some((e) => baseTypeOf(e) === 'MessageData')
      ? 'logs'
      : 'metrics';
const SIGNAL_ORDER = ['spans', 'logs', 'metrics'];

// ---------------------------------------------------------------------------------------------------
// Capture

const tmp = mkdtempSync(join(tmpdir(), 'appinsights-capture-'));
const captured = {}; // library -> [{ file, turn, signal, envelopes }]
try {
  const { cert, key } = makeCertificate(tmp);
  let pending = [];
  const ingestion = await startIngestion({ cert, key, onBatch: (envs) => pending.push(envs) });
  const mock = await startMockOpenAI();
  try {
    for (const lib of LIBRARIES.filter((l) => !values.only || l.library === values.only)) {
      pending = [];
      const turnBatches = [];
      const env = {
        APPLICATIONINSIGHTS_CONNECTION_STRING: `InstrumentationKey=${IKEY};IngestionEndpoint=https://127.0.0.1:${ingestion.port}/`,
        APPLICATIONINSIGHTS_SDKSTATS_DISABLED: 'true',
        // The exporter refuses plain http; this child (only) trusts the throw-away certificate.
        NODE_TLS_REJECT_UNAUTHORIZED: '0',
        OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true',
      };
      await runChild(['--library', lib.library, '--openai-base-url', mock.url], env, (line) => {
        const m = /^@@turn-flushed (\S+)$/.exec(line);
        if (m) {
          turnBatches.push(...pending.map((envelopes, i) => ({ turn: m[1], i, envelopes })));
          pending = [];
        } else if (line.trim()) console.log(`  ${line}`);
      });
      // Whatever arrives after the last turn's flush (a shutdown's final export) is kept too.
      turnBatches.push(...pending.map((envelopes, i) => ({ turn: 'shutdown', i, envelopes })));
      pending = [];
      // Stable order: by turn, spans, then logs, then metrics, then as received.
      const rank = (t) => (t === 'shutdown' ? TURNS.length : TURNS.indexOf(t));
      const signalRank = (b) => SIGNAL_ORDER.indexOf(signalOf(b.envelopes));
      turnBatches.sort((a, b) => rank(a.turn) - rank(b.turn) || signalRank(a) - signalRank(b) || a.i - b.i);
      const libDir = join(outDir, 'envelopes', lib.library);
      rmSync(libDir, { recursive: true, force: true });
      mkdirSync(libDir, { recursive: true });
      captured[lib.library] = turnBatches.map((b, n) => {
        const file = `${String(n + 1).padStart(3, '0')}.json`;
        writeFileSync(join(libDir, file), `${JSON.stringify(b.envelopes, null, 1)}\n`);
        return { file, turn: b.turn, signal: signalOf(b.envelopes), envelopes: b.envelopes };
      });
      const count = turnBatches.reduce((s, b) => s + b.envelopes.length, 0);
      console.log(`${lib.library}: ${turnBatches.length} requests, ${count} envelopes`);
    }
  } finally {
    await mock.close();
    await ingestion.close();
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------------
// Manifest, from the rows ingest.js makes of the envelope folders

const { ingest } = require(join(sharedDir, 'ingest.js'));
const { tables } = require(join(sharedDir, 'schema.js'));
const CLASSIC = ['requests', 'dependencies', 'traces', 'exceptions'];

/** The files of a library folder written now, or (with --only) the ones already there. */
function filesOf(library) {
  if (captured[library]) return captured[library];
  const manifestPath = join(outDir, 'manifest.json');
  const old = existsSync(manifestPath) ? JSON.parse(readFileSync(manifestPath, 'utf8')) : null;
  const turnOf = new Map((old?.libraries?.[library]?.files ?? []).map((f) => [f.file, f]));
  const dir = join(outDir, 'envelopes', library);
  if (!existsSync(dir)) return null;
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      const envelopes = JSON.parse(readFileSync(join(dir, file), 'utf8'));
      return { file, turn: turnOf.get(file)?.turn ?? null, signal: signalOf(envelopes), envelopes };
    });
}

function cutValues(table, row) {
  const cut = [];
  const where = {
    table,
    operation_Id: row.operation_Id,
    ...(row.id ? { id: row.id } : { operation_ParentId: row.operation_ParentId }),
    name: row.name ?? row.customDimensions?.['event.name'] ?? null,
  };
  for (const [k, v] of Object.entries(row.customDimensions ?? {})) {
    const limit = GENAI_CONTENT_KEYS.has(k) ? LIMITS.genAIContentBytes : LIMITS.propertyBytes;
    const bytes = Buffer.byteLength(String(v), 'utf8');
    // At the limit, or up to 3 bytes short when the cut fell inside a multi-byte character.
    if (bytes <= limit && bytes > limit - 4)
      cut.push({ ...where, field: `customDimensions["${k}"]`, bytes, limit });
  }
  if (typeof row.message === 'string' && row.message.length === LIMITS.messageChars) {
    cut.push({ ...where, field: 'message', chars: row.message.length, limit: LIMITS.messageChars });
  }
  if (typeof row.data === 'string' && row.data.length === LIMITS.dependencyDataChars) {
    cut.push({ ...where, field: 'data', chars: row.data.length, limit: LIMITS.dependencyDataChars });
  }
  return cut;
}

/**
 * The GenAI metric points the metric exporter sent (MetricData envelopes; a histogram's value is its sum),
 * added up per metric, token type, model (response, else request) and error type.
 */
function metricFigures(envelopes) {
  const out = new Map();
  for (const e of envelopes) {
    if (baseTypeOf(e) !== 'MetricData') continue;
    const props = e.data.baseData.properties ?? {};
    for (const m of e.data.baseData.metrics ?? []) {
      if (!m.name.startsWith('gen_ai.')) continue;
      const key = {
        metric: m.name,
        tokenType: props['gen_ai.token.type'] ?? null,
        model: props['gen_ai.response.model'] ?? props['gen_ai.request.model'] ?? null,
        errorType: props['error.type'] ?? null,
      };
      const id = JSON.stringify(key);
      const f = out.get(id) ?? { ...key, points: 0, count: 0, sum: 0 };
      f.points += 1;
      f.count += m.count ?? 1;
      f.sum += m.value;
      out.set(id, f);
    }
  }
  return [...out.values()].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b), 'en'));
}

function describe(lib, files) {
  const dir = join(outDir, 'envelopes', lib.library);
  const envelopes = files.flatMap((f) => f.envelopes);
  // ingest() moves times so the newest envelope lands at `newest`; this keeps the captured times.
  const newestEnvelope = new Date(Math.max(...envelopes.map((e) => Date.parse(e.time)))).toISOString();
  const out = ingest([dir], Date.parse(newestEnvelope));
  const rows = {};
  for (const t of CLASSIC) {
    rows[t] = out[t].map((r) => Object.fromEntries(tables[t].map((c, i) => [c.name, r[i]])));
  }
  const all = CLASSIC.flatMap((t) => rows[t].map((r) => ({ table: t, ...r })));
  const times = all.map((r) => r.timestamp).sort();
  const turnOfOperation = new Map();
  for (const f of files) {
    for (const e of f.envelopes) {
      const op = e.tags?.['ai.operation.id'];
      if (op && !turnOfOperation.has(op)) turnOfOperation.set(op, f.turn);
    }
  }
  const operations = uniq(all.map((r) => r.operation_Id)).map((op) => {
    const mine = all.filter((r) => r.operation_Id === op);
    const request = mine.find((r) => r.table === 'requests');
    return {
      operationId: op,
      turn: turnOfOperation.get(op) ?? null,
      request: request ? { id: request.id, name: request.name, success: request.success } : null,
      sessionIds: uniq(mine.map((r) => r.session_Id)),
      userAuthenticatedIds: uniq(mine.map((r) => r.user_AuthenticatedId)),
      rows: countBy(mine, (r) => r.table),
    };
  });
  operations.sort((a, b) => TURNS.indexOf(a.turn) - TURNS.indexOf(b.turn));
  const withColumn = (col) => (id) => {
    const mine = all.filter((r) => r[col] === id);
    return {
      operationIds: uniq(mine.map((r) => r.operation_Id)),
      turns: uniq(mine.map((r) => turnOfOperation.get(r.operation_Id))),
      rowsWithIt: countBy(mine, (r) => r.table),
    };
  };
  const sessions = uniq(all.map((r) => r.session_Id)).map((id) => ({
    sessionId: id,
    userAuthenticatedIds: uniq(
      all
        .filter((r) => r.session_Id === id)
        .flatMap((r) => operations.find((o) => o.operationId === r.operation_Id).userAuthenticatedIds),
    ),
    ...withColumn('session_Id')(id),
  }));
  const users = uniq(all.map((r) => r.user_AuthenticatedId)).map((id) => ({
    userAuthenticatedId: id,
    ...withColumn('user_AuthenticatedId')(id),
  }));
  const idDimensions = {};
  for (const k of [
    'session.id',
    'enduser.id',
    'user.id',
    'gen_ai.conversation.id',
    'traceloop.association.properties.session_id',
    'traceloop.association.properties.user_id',
  ]) {
    const mine = all.filter((r) => r.customDimensions?.[k] !== undefined);
    if (mine.length > 0)
      idDimensions[k] = {
        values: uniq(mine.map((r) => r.customDimensions[k])),
        rows: countBy(mine, (r) => r.table),
      };
  }
  return {
    folder: relative(outDir, dir),
    libraryPackage: lib.libraryPackage,
    libraryVersion: packageVersion(lib.libraryPackage),
    timeRange: { first: times[0], last: times[times.length - 1], newestEnvelope },
    envelopes: { total: envelopes.length, byBaseType: countBy(envelopes, baseTypeOf) },
    rows: Object.fromEntries(Object.keys(tables).map((t) => [t, out[t].length])),
    sessions,
    users,
    operations,
    idDimensions,
    dependencyTypes: countBy(rows.dependencies, (r) => r.type),
    traceEventNames: countBy(
      rows.traces,
      (r) => r.customDimensions?.['event.name'] ?? `(message) ${r.message}`,
    ),
    genAIDimensions: uniq(
      all.flatMap((r) => Object.keys(r.customDimensions ?? {}).filter((k) => k.startsWith('gen_ai.'))),
    ),
    cut: CLASSIC.flatMap((t) => rows[t].flatMap((r) => cutValues(t, r))),
    metrics: metricFigures(envelopes),
    files: files.map((f) => ({
      file: f.file,
      turn: f.turn,
      signal: f.signal,
      envelopes: f.envelopes.length,
      byBaseType: countBy(f.envelopes, baseTypeOf),
    })),
  };
}

const libraries = {};
for (const lib of LIBRARIES) {
  const files = filesOf(lib.library);
  if (files) libraries[lib.library] = describe(lib, files);
}
const ranges = Object.values(libraries).map((l) => l.timeRange);
const manifest = {
  generator: 'sample/appinsights/captureAppInsights.mjs',
  rowsBy: '../shared/appinsights/ingest.js (from the repository root)',
  note:
    'Each folder under envelopes/ is one app (one library) and its requests to /v2.1/track, gunzipped. ' +
    'ingest([folder], Date.parse(timeRange.newestEnvelope)) keeps the captured times; ingest([folder]) ' +
    'moves them so the newest envelope is 5 minutes ago. The libraries ran the same turns with the same ' +
    'sessions and users, so ingest one folder per stand-in unless a test wants them mixed. ExceptionData ' +
    "and MetricData envelopes are kept but ingest.js makes no rows of them; a library's `metrics` adds " +
    "up its GenAI metric points as sent (a histogram point's value is its sum).",
  timeRange: {
    first: ranges.map((r) => r.first).sort()[0],
    last: ranges
      .map((r) => r.last)
      .sort()
      .at(-1),
    newestEnvelope: ranges
      .map((r) => r.newestEnvelope)
      .sort()
      .at(-1),
  },
  instrumentationKey: IKEY,
  limits: { ...LIMITS, genAIContentKeys: [...GENAI_CONTENT_KEYS] },
  turns: TURNS.map((turn) => ({ turn, ...IDENTITIES[turn] })),
  versions: Object.fromEntries(PACKAGES.map((p) => [p, packageVersion(p)])),
  libraries,
};
writeFileSync(join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`wrote ${relative(process.cwd(), join(outDir, 'manifest.json'))}`);

// What the fixtures are for: fail loudly if a library's capture lacks one of them.
const problems = [];
for (const [name, l] of Object.entries(libraries)) {
  if (!l.rows.requests || !l.rows.dependencies) problems.push(`${name}: no requests or dependencies`);
  if (!l.sessions.some((s) => s.sessionId === IDENTITIES.followup.sessionId && s.turns.length >= 3))
    problems.push(`${name}: the Lisbon session lacks its three turns in session_Id`);
  if (l.users.length < 3) problems.push(`${name}: fewer than 3 users in user_AuthenticatedId`);
  if (l.cut.length === 0) problems.push(`${name}: no value cut by the exporter`);
  if (!l.operations.some((o) => o.request && !o.request.success)) problems.push(`${name}: no failed request`);
  // OpenInference has its own names (llm.*, input.value, ...).
  if (name !== 'openinference' && l.genAIDimensions.length === 0)
    problems.push(`${name}: no gen_ai.* custom dimensions`);
}
if (
  libraries['otel-openai'] &&
  !Object.keys(libraries['otel-openai'].traceEventNames).includes('gen_ai.choice')
)
  problems.push('otel-openai: no log records with event.name in traces');
if (
  libraries['otel-openai'] &&
  !libraries['otel-openai'].metrics.some((m) => m.metric === 'gen_ai.client.token.usage')
)
  problems.push('otel-openai: no gen_ai.client.token.usage metric points');
for (const p of problems) console.error(`PROBLEM ${p}`);
process.exit(problems.length > 0 ? 1 : 0);
