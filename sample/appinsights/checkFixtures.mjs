// Checks the committed fixtures the way the extension will read them: ingests each library's envelope
// folder with ../shared/appinsights/ingest.js, serves the rows with the Logs API stand-in (logs-api.js,
// Kusto's own parser; needs the devDependency @kusto/language-service-next, found from this folder) and
// queries it with the real LogsQueryClient of @azure/monitor-query-logs, in both schemas, comparing
// the answers with manifest.json.
//
//   node checkFixtures.mjs [--dir DIR]      (run it from this folder)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { LogsQueryClient } from '@azure/monitor-query-logs';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');
const { values } = parseArgs({ options: { dir: { type: 'string' } } });
const fixtures = resolve(values.dir ?? join(repoRoot, 'test', 'fixtures', 'appinsights'));
const sharedDir = resolve(repoRoot, '..', 'shared', 'appinsights');
const require = createRequire(import.meta.url);
const { ingest } = require(join(sharedDir, 'ingest.js'));
const { startLogsApi } = require(join(sharedDir, 'logs-api.js'));
const manifest = JSON.parse(readFileSync(join(fixtures, 'manifest.json'), 'utf8'));

const tmp = mkdtempSync(join(tmpdir(), 'appinsights-check-'));
const r = spawnSync(
  'openssl',
  [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    join(tmp, 'key.pem'),
    '-out',
    join(tmp, 'cert.pem'),
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
  ],
  { encoding: 'utf8' },
);
if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
const cert = readFileSync(join(tmp, 'cert.pem'));
const key = readFileSync(join(tmp, 'key.pem'));
rmSync(tmp, { recursive: true, force: true });

let clock = Date.parse(manifest.timeRange.newestEnvelope);
const server = await startLogsApi({ port: 0, rows: {}, cert, key, now: () => clock });
const credential = {
  getToken: async () => ({ token: 'test-token', expiresOnTimestamp: Date.now() + 3_600_000 }),
};
const client = new LogsQueryClient(credential, {
  endpoint: server.endpoint,
  tlsOptions: { ca: cert },
  retryOptions: { maxRetries: 0 },
});
const RESOURCE =
  '/subscriptions/0000/resourceGroups/rg/providers/microsoft.insights/components/llm-prod-insights';
const WORKSPACE = '00000000-0000-4000-8000-0000000000ws';

let passed = 0;
let failed = 0;
function expect(what, actual, expected) {
  const ok = JSON.stringify(actual) === JSON.stringify(expected);
  if (ok) passed++;
  else failed++;
  console.log(
    `${ok ? 'ok  ' : 'FAIL'} ${what}${ok ? '' : `: got ${JSON.stringify(actual)}, want ${JSON.stringify(expected)}`}`,
  );
}
async function query(kind, kql) {
  const timespan = { duration: 'PT1H' };
  const res =
    kind === 'classic'
      ? await client.queryResource(RESOURCE, kql, timespan)
      : await client.queryWorkspace(WORKSPACE, kql, timespan);
  if (res.status !== 'Success') throw new Error(`${kql}: ${res.status} ${JSON.stringify(res.partialError)}`);
  const t = res.tables[0];
  return t.rows.map((row) => Object.fromEntries(t.columnDescriptors.map((c, i) => [c.name, row[i]])));
}

try {
  for (const [library, m] of Object.entries(manifest.libraries)) {
    console.log(`# ${library}`);
    server.setRows(ingest([join(fixtures, m.folder)], Date.parse(m.timeRange.newestEnvelope)));
    clock = Date.parse(m.timeRange.newestEnvelope) + 60_000;

    const turns = await query(
      'classic',
      'requests | summarize turns = count(), failed = countif(success == false) by session_Id, user_AuthenticatedId | order by session_Id asc',
    );
    expect(
      `${library} classic: turns per session and user`,
      turns.map((t) => [t.session_Id, t.user_AuthenticatedId, t.turns]),
      m.sessions.map((s) => [s.sessionId, s.userAuthenticatedIds[0], s.turns.length]),
    );
    expect(
      `${library} classic: one failed request`,
      turns.reduce((n, t) => n + t.failed, 0),
      1,
    );

    for (const [classic, workspace] of [
      ['requests', 'AppRequests'],
      ['dependencies', 'AppDependencies'],
      ['traces', 'AppTraces'],
    ]) {
      const [c] = await query('classic', `${classic} | count`);
      const [w] = await query('workspace', `${workspace} | count`);
      expect(
        `${library}: ${classic} / ${workspace} rows`,
        [c.Count, w.Count],
        [m.rows[classic], m.rows[workspace]],
      );
    }

    const types = await query(
      'workspace',
      'AppDependencies | summarize n = count() by DependencyType | order by DependencyType asc',
    );
    expect(
      `${library} workspace: DependencyType`,
      Object.fromEntries(types.map((t) => [t.DependencyType, t.n])),
      m.dependencyTypes,
    );

    // Messages of one session, found through its requests' operation ids (log rows carry no session).
    const lisbon = m.sessions.find((s) => s.sessionId === 'sess-lisbon-weekend');
    const ops = await query(
      'workspace',
      'let ops = AppRequests | where SessionId == "sess-lisbon-weekend" | distinct OperationId; ' +
        'AppDependencies | where OperationId in (ops) | distinct OperationId | order by OperationId asc',
    );
    expect(
      `${library} workspace: Lisbon operations`,
      ops.map((o) => o.OperationId),
      [...lisbon.operationIds].sort(),
    );

    for (const cut of m.cut) {
      const where = cut.id ? `id == "${cut.id}"` : `operation_ParentId == "${cut.operation_ParentId}"`;
      const rows = await query(
        'classic',
        `${cut.table} | where operation_Id == "${cut.operation_Id}" and ${where} | extend v = tostring(${cut.field}) | project len = strlen(v) | order by len desc | take 1`,
      );
      // strlen counts characters; the cut values here are ASCII, so characters are bytes.
      expect(`${library} classic: cut ${cut.field}`, rows[0]?.len, cut.bytes ?? cut.chars);
    }

    if (Object.keys(m.traceEventNames).some((e) => e.startsWith('gen_ai.'))) {
      const events = await query(
        'classic',
        'traces | summarize n = count() by event = tostring(customDimensions["event.name"]) | order by event asc',
      );
      expect(
        `${library} classic: log records by event.name`,
        Object.fromEntries(events.map((e) => [e.event, e.n])),
        m.traceEventNames,
      );
    }
  }
} finally {
  await server.close();
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
