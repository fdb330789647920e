// The real query runner (client.ts over @azure/monitor-query-logs' LogsQueryClient) against the Logs API
// stand-in (../shared/appinsights/logs-api.js) over loopback HTTPS, with rows that ingest.js made from the
// envelopes the real Azure Monitor exporter sent for three instrumentation libraries. Every query is
// kql.ts's own; the stand-in binds each with Kusto's parser and answers 400 for what it cannot evaluate,
// so nothing here passes on rows it made up. Then every way a query fails, mapped to what the user can do.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as net from 'node:net';
import path from 'node:path';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { CredentialUnavailableError } from '@azure/identity';
import {
  AppInsightsQueryError,
  createQueryRunner,
  schemaOf,
  type AppInsightsTarget,
  type QueryErrorKind,
  type QueryRow,
  type QueryRunner,
  type QueryRunnerOptions,
} from '../../../src/appInsights/client';
import {
  genAiContentQuery,
  genAiContentSchemaQuery,
  operationRowsQuery,
  operationsOfQuery,
  QUESTION_TAIL_CHARS,
  recentCallsQuery,
  SCHEMA_NAMES,
  SUMMARY_KEYS,
  type AppInsightsSchema,
  type ListCursor,
} from '../../../src/appInsights/kql';
import { ingestWithMetrics, standIn } from '../../../scripts/lib/metricTables.cjs';
import { metricsSummaryQuery, summaryQuery } from '../../../src/appInsights/kql';
import { metricsFromRows, summaryFromRows } from '../../../src/appInsights/summary';
import { operationRowsToBatch, recentCallRowsToBatch } from '../../../src/appInsights/rows';
import type { SummaryFigures, SummaryGroup } from '../../../src/core/aggregate';
import { createPriceTable } from '../../../src/core/pricing';
import { TraceStore } from '../../../src/core/store';
import { createNormalizer } from '../../../src/core/genai/normalize';
import { loopbackCertificate } from '../../../scripts/lib/testCertificate.cjs';
import { envelopesWithEvaluations } from '../helpers/appInsightsEvaluations';

// ---- the shared stand-in (plain JavaScript beside the repository) ----

type Rows = Record<string, unknown[]>;
interface Fault {
  status?: number;
  retryAfter?: number;
  headers?: Record<string, string>;
  delayMs?: number;
  partial?: true | { maxRows?: number };
}
interface LoggedQuery {
  n: number;
  path: string;
  kind: string;
  id: string;
  query: string;
  timespan: string;
  headers: { authorization?: string };
  status: number | 'aborted' | null;
}
interface LogsApi {
  endpoint: string;
  queries: LoggedQuery[];
  setRows(rows: Rows): void;
  close(): Promise<void>;
}
interface LogsApiOptions {
  port: 0;
  rows: Rows;
  cert: Buffer;
  key: Buffer;
  now?: () => number;
  fault?: (info: LoggedQuery) => Fault | undefined;
  genAIContent?: boolean;
}

const ROOT = path.resolve(__dirname, '../../..');
// The stand-in with Application Insights' metrics tables added (scripts/lib/metricTables.cjs).
const shared = standIn();
const { startLogsApi } = shared.logsApi as {
  startLogsApi(options: LogsApiOptions): Promise<LogsApi>;
};
const { tables: TABLE_COLUMNS } = shared.schema as {
  tables: Record<string, { name: string; type: string }[]>;
};
/** ingest.js's rows of the envelope folders, and the metrics tables' rows of their MetricData envelopes. */
const ingest = ingestWithMetrics as (dirs: string[], newestMs?: number) => Rows;

// ---- the fixtures ----

const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'appinsights');
interface ManifestMetric {
  metric: string;
  tokenType: string | null;
  model: string | null;
  errorType: string | null;
  points: number;
  count: number;
  sum: number;
}
interface LibraryManifest {
  folder: string;
  metrics: ManifestMetric[];
  sessions: { sessionId: string; operationIds: string[] }[];
  users: { userAuthenticatedId: string; operationIds: string[] }[];
  operations: { operationId: string; turn: string; rows: Record<string, number> }[];
}
const manifest = JSON.parse(readFileSync(path.join(FIXTURES, 'manifest.json'), 'utf8')) as {
  timeRange: { newestEnvelope: string };
  libraries: Record<string, LibraryManifest>;
};
const LIBRARIES = ['otel-openai', 'traceloop', 'openinference'] as const;
type Library = (typeof LIBRARIES)[number];
const dirOf = (lib: Library): string => path.join(FIXTURES, manifest.libraries[lib]!.folder);

const NEWEST = Date.parse(manifest.timeRange.newestEnvelope);
const NOW = NEWEST + 60_000;
const WINDOW = { startMs: NOW - 3_600_000, endMs: NOW };

/** Each library's GenAI calls among its dependencies, told by name and type (not by the query's test). */
const GENAI_CALLS: Record<Library, { count: number; is: (row: QueryRow) => boolean }> = {
  // chat dependencies, and the agent and tool spans (InProc) with their gen_ai.operation.name.
  'otel-openai': { count: 16, is: () => true },
  // chat dependencies; the workflow and tool spans (InProc) carry no model.
  traceloop: { count: 7, is: (r) => r.type === 'Dependency' },
  // the LLM spans are InProc; the app's own handle_turn and tool spans are not calls.
  openinference: { count: 7, is: (r) => r.type === 'InProc' && r.name === 'OpenAI Chat Completions' },
};
const CONTENT_KEYS = [
  'gen_ai.input.messages',
  'gen_ai.output.messages',
  'gen_ai.system_instructions',
  'gen_ai.tool.definitions',
  'gen_ai.tool.call.arguments',
  'gen_ai.tool.call.result',
  'input.value',
  'output.value',
  'traceloop.entity.input',
  'traceloop.entity.output',
];

/** A table's rows as objects by column name. */
function objects(rows: Rows, table: string): QueryRow[] {
  const columns = TABLE_COLUMNS[table]!.map((c) => c.name);
  return (rows[table] ?? []).map((r) => Object.fromEntries(columns.map((c, i) => [c, (r as unknown[])[i]])));
}

// ---- targets and credentials ----

const WORKSPACE_ID = '5a1e2b3c-7d4f-4e60-9a1b-2c3d4e5f6a70';
const RESOURCE_ID =
  '/subscriptions/0b1c2d3e-0000-4000-8000-000000000001/resourceGroups/rg-llm/providers/microsoft.insights/components/llm-prod-insights';
const TARGETS: { label: string; target: AppInsightsTarget; id: string }[] = [
  {
    label: 'a workspace id (queryWorkspace, workspace schema)',
    target: workspace(WORKSPACE_ID),
    id: WORKSPACE_ID,
  },
  {
    label: 'a component resource id (queryResource, classic schema)',
    target: { kind: 'component', resourceId: RESOURCE_ID },
    id: RESOURCE_ID,
  },
];
function workspace(workspaceId: string): AppInsightsTarget {
  return { kind: 'workspace', workspaceId };
}

class RecordingCredential implements TokenCredential {
  readonly scopes: string[][] = [];
  async getToken(scopes: string | string[]): Promise<AccessToken> {
    this.scopes.push(typeof scopes === 'string' ? [scopes] : [...scopes]);
    return { token: 'stand-in-token', expiresOnTimestamp: Date.now() + 3_600_000 };
  }
}

// ---- the servers ----

let cert = Buffer.alloc(0);
let main: LogsApi; // the three libraries, no AppGenAIContent
let withContent: LogsApi; // one library, and AppGenAIContent with rows
let scratch: LogsApi; // rows made by each test that needs its own
const faults = new Map<string, (info: LoggedQuery) => Fault | undefined>();
const credential = new RecordingCredential();
const allRows = ingest(LIBRARIES.map(dirOf), NEWEST);
const rowsByLibrary = Object.fromEntries(
  LIBRARIES.map((lib) => [lib, ingest([dirOf(lib)], NEWEST)]),
) as Record<Library, Rows>;

before(async () => {
  const made = loopbackCertificate();
  cert = Buffer.from(made.cert);
  const key = Buffer.from(made.key);
  const common = { port: 0 as const, cert, key, now: () => NOW };
  main = await startLogsApi({ ...common, rows: allRows, fault: (info) => faults.get(info.id)?.(info) });
  withContent = await startLogsApi({
    ...common,
    rows: { ...rowsByLibrary.traceloop, ...CONTENT },
    genAIContent: true,
  });
  scratch = await startLogsApi({ ...common, rows: {} });
});

after(async () => {
  await Promise.all([main, withContent, scratch].map((s) => s?.close()));
});

function runner(
  target: AppInsightsTarget,
  options: Partial<QueryRunnerOptions> & { server?: LogsApi; credential?: TokenCredential } = {},
) {
  const { server = main, credential: cred = credential, ...rest } = options;
  return createQueryRunner(target, cred, {
    endpoint: server.endpoint,
    audience: 'https://api.loganalytics.io',
    timeoutMs: 15_000,
    maxRetries: 2,
    retryDelayMs: 5,
    tlsCa: cert,
    ...rest,
  });
}

function queriesTo(id: string, server = main): LoggedQuery[] {
  return server.queries.filter((q) => q.id === id);
}

const time = (row: QueryRow): number => (row.callTime as Date).getTime();

// ---- reading ----

for (const { label, target, id } of TARGETS) {
  const schema: AppInsightsSchema = schemaOf(target);
  const n = SCHEMA_NAMES[schema];

  describe(`reading through ${label}`, () => {
    it('lists recent calls newest first: the GenAI dependencies of each library, OpenInference’s InProc LLM spans included', async () => {
      const before = main.queries.length;
      const { rows, partialError } = await runner(target).run(recentCallsQuery(schema, 200), WINDOW);
      assert.equal(partialError, undefined);
      const sent = main.queries.slice(before);
      assert.equal(sent.length, 1);
      assert.equal(
        sent[0]!.path,
        target.kind === 'workspace' ? `/v1/workspaces/${id}/query` : `/v1/${id}/query`,
      );
      assert.equal(sent[0]!.headers.authorization, 'Bearer stand-in-token');
      assert.equal(
        sent[0]!.timespan,
        `${new Date(WINDOW.startMs).toISOString()}/${new Date(WINDOW.endMs).toISOString()}`,
      );

      for (let i = 1; i < rows.length; i++) {
        const [a, b] = [rows[i - 1]!, rows[i]!];
        assert.ok(
          time(a) > time(b) || (time(a) === time(b) && String(a.id) > String(b.id)),
          `row ${i} order`,
        );
      }

      const found = new Set(rows.map((r) => r.id as string));
      const expected = new Set<string>();
      for (const lib of LIBRARIES) {
        const deps: QueryRow[] = objects(rowsByLibrary[lib], n.dependencies).map((d) => ({
          ...d,
          type: d[n.type],
          name: d[n.name],
        }));
        const calls = deps.filter(GENAI_CALLS[lib].is);
        assert.equal(calls.length, GENAI_CALLS[lib].count, `${lib}: the fixtures changed`);
        for (const call of calls) {
          const callId = call[n.id] as string;
          expected.add(callId);
          assert.ok(found.has(callId), `${lib}: ${String(call.name)} ${callId} missing`);
        }
        for (const other of deps.filter((d) => !GENAI_CALLS[lib].is(d))) {
          assert.ok(!found.has(other[n.id] as string), `${lib}: ${String(other.name)} is not an LLM call`);
        }
      }
      assert.equal(rows.length, expected.size);
      assert.ok(rows.some((r) => r.type === 'InProc' && r.name === 'OpenAI Chat Completions'));

      const sources = new Map(objects(allRows, n.dependencies).map((d) => [d[n.id] as string, d]));
      let cut = 0;
      for (const row of rows) {
        const source = sources.get(row.id as string)!;
        const dims = source[n.dims] as Record<string, string>;
        assert.equal(row.operationId, source[n.operationId]);
        assert.equal(row.parentId, source[n.parentId]);
        assert.equal(row.name, source[n.name]);
        assert.equal(row.durationMs, source[n.duration]);
        assert.equal(row.success, source[n.success]);
        assert.equal(typeof row.role, 'string');

        // The summary keys the span had, with their values; never message content.
        const bag = row.dims as Record<string, unknown>;
        assert.equal(typeof bag, 'object');
        for (const key of Object.keys(bag)) assert.ok(SUMMARY_KEYS.includes(key), `unexpected key ${key}`);
        for (const key of SUMMARY_KEYS) if (key in dims) assert.equal(bag[key], dims[key], key);
        for (const key of CONTENT_KEYS) assert.ok(!(key in bag), key);
        const text = JSON.stringify(bag);
        for (const key of CONTENT_KEYS) {
          const content = dims[key];
          if (content && content.length > 40) assert.ok(!text.includes(content.slice(-40)), `${key} leaked`);
        }

        // inputTail ends the input (counted in characters, as KQL's strlen/substring do).
        const input = dims['gen_ai.input.messages'] || dims['input.value'] || '';
        const tail = row.inputTail as string;
        assert.ok(input.endsWith(tail), `inputTail of ${String(row.id)}`);
        assert.equal([...tail].length, Math.min([...input].length, QUESTION_TAIL_CHARS));
        if ([...input].length > QUESTION_TAIL_CHARS) cut++;
      }
      assert.ok(cut > 0, 'some input is longer than the tail');
      assert.ok(
        rows.some((r) => (r.inputTail as string).length > 0 && r.type === 'InProc'),
        'OpenInference input.value',
      );
    });

    it('loads more with the cursor: pages of 3, no row twice, none missing', async () => {
      const run = runner(target);
      const all = (await run.run(recentCallsQuery(schema, 1000), WINDOW)).rows.map((r) => r.id as string);
      const paged = await pageThrough(run, schema, 3);
      assert.deepEqual(paged.ids, all);
      assert.ok(paged.pages.every((p) => p <= 3));
      assert.equal(paged.pages.filter((p) => p > 0).length, Math.ceil(all.length / 3));
      assert.ok(paged.splitTies > 0, 'some page ended inside a millisecond that the next page went on with');
    });

    it('finds a session’s operations, oldest first: every session of the manifest', async () => {
      for (const sessionId of sessionIds()) {
        const expected = new Set(LIBRARIES.flatMap((lib) => operationsOfSession(lib, sessionId)));
        const { rows } = await runner(target).run(
          operationsOfQuery(schema, 'session', sessionId, [], 100),
          WINDOW,
        );
        assert.deepEqual(new Set(rows.map((r) => r.operationId)), expected, sessionId);
        assert.equal(rows.length, expected.size);
        assertOldestFirst(rows);
        // OpenInference's session is only in the session column (the exporter moved session.id there).
        for (const op of operationsOfSession('openinference', sessionId)) {
          assert.ok(rows.some((r) => r.operationId === op));
        }
      }
    });

    it('finds a session through traceloop.association.properties.session_id alone, and a configured key', async () => {
      scratch.setRows(withoutPeopleColumns(rowsByLibrary.traceloop));
      const run = runner(target, { server: scratch });
      for (const sessionId of sessionIds()) {
        const { rows } = await run.run(operationsOfQuery(schema, 'session', sessionId, [], 100), WINDOW);
        assert.deepEqual(
          new Set(rows.map((r) => r.operationId)),
          new Set(operationsOfSession('traceloop', sessionId)),
        );
        assertOldestFirst(rows);
      }
      // Neither the column nor a known key: found only when the key is configured.
      const renamed = renameDimension(
        rowsByLibrary.traceloop,
        'traceloop.association.properties.session_id',
        'app.chat',
      );
      scratch.setRows(withoutPeopleColumns(renamed));
      const sessionId = 'sess-porto-trip';
      const unconfigured = await run.run(operationsOfQuery(schema, 'session', sessionId, [], 100), WINDOW);
      assert.deepEqual(unconfigured.rows, []);
      const configured = await run.run(
        operationsOfQuery(schema, 'session', sessionId, ['app.chat'], 100),
        WINDOW,
      );
      assert.deepEqual(
        new Set(configured.rows.map((r) => r.operationId)),
        new Set(operationsOfSession('traceloop', sessionId)),
      );
    });

    it('finds a user’s operations: through the column, user.id and traceloop’s user_id', async () => {
      for (const userId of userIds()) {
        const expected = new Set(LIBRARIES.flatMap((lib) => operationsOfUser(lib, userId)));
        const { rows } = await runner(target).run(operationsOfQuery(schema, 'user', userId, [], 100), WINDOW);
        assert.deepEqual(new Set(rows.map((r) => r.operationId)), expected, userId);
        assertOldestFirst(rows);
      }
      scratch.setRows(withoutPeopleColumns(rowsByLibrary.traceloop));
      for (const userId of userIds()) {
        const { rows } = await runner(target, { server: scratch }).run(
          operationsOfQuery(schema, 'user', userId, [], 100),
          WINDOW,
        );
        assert.deepEqual(
          new Set(rows.map((r) => r.operationId)),
          new Set(operationsOfUser('traceloop', userId)),
        );
      }
    });

    it('returns every row of an operation: requests, dependencies and traces, each with its table', async () => {
      const tableName = { requests: n.requests, dependencies: n.dependencies, traces: n.traces };
      const tools = manifest.libraries['otel-openai']!.operations.find((o) => o.turn === 'tools')!;
      // Upper case as a user might paste it; kql.ts matches the lower-case id the exporter writes.
      const { rows } = await runner(target).run(
        operationRowsQuery(schema, [tools.operationId.toUpperCase()], 1000),
        WINDOW,
      );
      assert.deepEqual(countBy(rows, 'table'), renameKeys(tools.rows, tableName));
      for (const row of rows) assert.equal(row[n.operationId], tools.operationId);
      for (let i = 1; i < rows.length; i++) {
        assert.ok(
          (rows[i - 1]![n.time] as Date).getTime() <= (rows[i]![n.time] as Date).getTime(),
          'time order',
        );
      }
      assert.ok(
        rows.some(
          (r) => r.table === n.traces && typeof r[schema === 'classic' ? 'message' : 'Message'] === 'string',
        ),
      );

      // Several operations at once: the rows of each, none of the others'.
      const ops = manifest.libraries.traceloop!.operations.slice(0, 3);
      const several = await runner(target).run(
        operationRowsQuery(
          schema,
          ops.map((o) => o.operationId),
          1000,
        ),
        WINDOW,
      );
      const expected: Record<string, number> = {};
      for (const op of ops) {
        for (const [table, count] of Object.entries(renameKeys(op.rows, tableName))) {
          expected[table] = (expected[table] ?? 0) + count;
        }
      }
      assert.deepEqual(countBy(several.rows, 'table'), expected);
    });
  });
}

async function pageThrough(
  run: QueryRunner,
  schema: AppInsightsSchema,
  size: number,
): Promise<{ ids: string[]; pages: number[]; splitTies: number }> {
  const ids: string[] = [];
  const pages: number[] = [];
  const shownAt = new Map<number, string[]>();
  let cursor: ListCursor | undefined;
  let splitTies = 0;
  for (let page = 0; page < 100; page++) {
    const { rows } = await run.run(recentCallsQuery(schema, size, cursor), WINDOW);
    pages.push(rows.length);
    if (rows.length === 0) return { ids, pages, splitTies };
    if (cursor && time(rows[0]!) === Date.parse(cursor.timeIso)) splitTies++;
    for (const row of rows) {
      ids.push(row.id as string);
      shownAt.set(time(row), [...(shownAt.get(time(row)) ?? []), row.id as string]);
    }
    // What a caller has: the last row's time as a Date, and the ids it showed within that millisecond.
    const last = time(rows[rows.length - 1]!);
    cursor = { timeIso: new Date(last).toISOString(), idsAtTime: shownAt.get(last)! };
  }
  throw new Error('the cursor never ran out');
}

function sessionIds(): string[] {
  return [...new Set(LIBRARIES.flatMap((lib) => manifest.libraries[lib]!.sessions.map((s) => s.sessionId)))];
}
function userIds(): string[] {
  return [
    ...new Set(LIBRARIES.flatMap((lib) => manifest.libraries[lib]!.users.map((u) => u.userAuthenticatedId))),
  ];
}
function operationsOfSession(lib: Library, sessionId: string): string[] {
  return manifest.libraries[lib]!.sessions.find((s) => s.sessionId === sessionId)?.operationIds ?? [];
}
function operationsOfUser(lib: Library, userId: string): string[] {
  return manifest.libraries[lib]!.users.find((u) => u.userAuthenticatedId === userId)?.operationIds ?? [];
}

function assertOldestFirst(rows: QueryRow[]): void {
  assert.ok(rows.length > 0);
  for (let i = 1; i < rows.length; i++) {
    assert.ok(
      (rows[i - 1]!.firstTime as Date).getTime() <= (rows[i]!.firstTime as Date).getTime(),
      'oldest first',
    );
  }
  for (const row of rows) assert.ok(typeof row.calls === 'number');
}

function countBy(rows: QueryRow[], column: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const row of rows) out[String(row[column])] = (out[String(row[column])] ?? 0) + 1;
  return out;
}
function renameKeys(counts: Record<string, number>, names: Record<string, string>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).map(([k, v]) => [names[k] ?? k, v]));
}

/** The rows with no session or user in the columns, so only custom dimensions can name them. */
function withoutPeopleColumns(rows: Rows): Rows {
  const blank = new Set([
    'session_Id',
    'SessionId',
    'user_Id',
    'UserId',
    'user_AuthenticatedId',
    'UserAuthenticatedId',
  ]);
  return mapRows(rows, (name, value) => (blank.has(name) ? '' : value));
}
function renameDimension(rows: Rows, from: string, to: string): Rows {
  return mapRows(rows, (name, value) => {
    if ((name !== 'customDimensions' && name !== 'Properties') || !value || !(from in (value as object)))
      return value;
    const { [from]: moved, ...rest } = value as Record<string, unknown>;
    return { ...rest, [to]: moved };
  });
}
function mapRows(rows: Rows, f: (column: string, value: unknown) => unknown): Rows {
  return Object.fromEntries(
    Object.entries(rows).map(([table, list]) => {
      const columns = TABLE_COLUMNS[table]!.map((c) => c.name);
      return [table, list.map((r) => (r as unknown[]).map((v, i) => f(columns[i]!, v)))];
    }),
  );
}

describe('paging within one millisecond (the service keeps 100 ns, a Date keeps 1 ms)', () => {
  it('no row is lost between pages when rows differ by a fraction of a millisecond', async () => {
    const row = (id: string, t: string) => ({
      Properties: { 'gen_ai.operation.name': 'chat', 'gen_ai.system': 'openai' },
      customDimensions: { 'gen_ai.operation.name': 'chat', 'gen_ai.system': 'openai' },
      ...{ TimeGenerated: t, timestamp: t },
      ...{ Id: id, id, OperationId: 'c'.repeat(32), operation_Id: 'c'.repeat(32) },
      ...{
        Name: 'chat gpt-4o-mini',
        name: 'chat gpt-4o-mini',
        DependencyType: 'Dependency',
        type: 'Dependency',
      },
    });
    const ms = new Date(NEWEST - 1000).toISOString().slice(0, 23);
    const list = [
      row('r1', `${ms}9000Z`),
      row('r2', `${ms}6000Z`),
      row('r3', `${ms}3000Z`),
      row('r4', `${ms}0000Z`),
      row('r5', new Date(NEWEST - 2000).toISOString()),
    ];
    scratch.setRows({ AppDependencies: list, dependencies: list });
    for (const { target } of TARGETS) {
      for (const size of [1, 2]) {
        const paged = await pageThrough(runner(target, { server: scratch }), schemaOf(target), size);
        assert.deepEqual(paged.ids, ['r1', 'r2', 'r3', 'r4', 'r5'], `${target.kind}, pages of ${size}`);
      }
    }
  });
});

// ---- AppGenAIContent ----

const CONTENT_OP = manifest.libraries.traceloop!.operations.find((o) => o.turn === 'tools')!.operationId;
const OTHER_OP = manifest.libraries.traceloop!.operations.find((o) => o.turn === 'chat')!.operationId;
const contentRow = (op: string, parent: string, text: string) => ({
  TimeGenerated: new Date(NEWEST - 500).toISOString(),
  OperationId: op,
  ParentSpanId: parent,
  Id: `content-${parent}`,
  InputMessages: [{ role: 'user', parts: [{ type: 'text', content: text }] }],
  OutputMessages: [{ role: 'assistant', parts: [{ type: 'text', content: `re: ${text}` }] }],
  ModelName: 'gpt-4o-mini',
  Type: 'AppGenAIContent',
});
const CONTENT: Rows = {
  AppGenAIContent: [
    contentRow(CONTENT_OP, '1111111111111111', 'What is the weather in Lisbon?'),
    contentRow(CONTENT_OP, '2222222222222222', 'And tomorrow?'),
    contentRow(OTHER_OP, '3333333333333333', 'not this one'),
  ],
};

describe('AppGenAIContent', () => {
  it('present: the rows of the operations asked for, content parsed', async () => {
    const run = runner(workspace(WORKSPACE_ID), { server: withContent });
    const { rows, partialError } = await run.run(genAiContentQuery([CONTENT_OP], 100), WINDOW);
    assert.equal(partialError, undefined);
    assert.deepEqual(rows.map((r) => r.ParentSpanId).sort(), ['1111111111111111', '2222222222222222']);
    for (const row of rows) {
      assert.equal(row.OperationId, CONTENT_OP);
      assert.equal((row.InputMessages as { role: string }[])[0]!.role, 'user');
      assert.equal(row.ModelName, 'gpt-4o-mini');
    }
    const schema = await run.run(genAiContentSchemaQuery(), WINDOW);
    const columns = schema.rows.map((r) => r.ColumnName);
    for (const name of ['OperationId', 'ParentSpanId', 'InputMessages', 'OutputMessages'])
      assert.ok(columns.includes(name));
  });

  it('absent: the fuzzy union answers empty, with no error', async () => {
    const before = main.queries.length;
    const answer = await runner(workspace(WORKSPACE_ID)).run(
      genAiContentQuery([CONTENT_OP, OTHER_OP], 100),
      WINDOW,
    );
    assert.deepEqual(answer, { rows: [] });
    assert.deepEqual(
      main.queries.slice(before).map((q) => q.status),
      [200],
    );
  });
});

// ---- signing in ----

describe('the credential', () => {
  it('is asked for https://api.loganalytics.io/.default', async () => {
    const azure = new RecordingCredential();
    await runner(workspace(WORKSPACE_ID), { credential: azure }).run('AppRequests | take 1', WINDOW);
    assert.deepEqual(azure.scopes, [['https://api.loganalytics.io/.default']]);
    // And so was the one the other tests share, whichever ran.
    for (const scopes of credential.scopes) {
      assert.deepEqual(scopes, ['https://api.loganalytics.io/.default']);
    }
  });

  it('is asked for the scope of a custom audience (a sovereign cloud)', async () => {
    const china = new RecordingCredential();
    await runner(workspace(WORKSPACE_ID), {
      credential: china,
      audience: 'https://api.loganalytics.azure.cn/',
    }).run('AppRequests | take 1', WINDOW);
    assert.deepEqual(china.scopes, [['https://api.loganalytics.azure.cn/.default']]);
  });
});

// ---- failures ----

async function failure(
  promise: Promise<unknown>,
  kind: QueryErrorKind,
  action: RegExp,
  status?: number,
): Promise<AppInsightsQueryError> {
  let caught: unknown;
  await assert.rejects(promise, (err) => ((caught = err), true));
  assert.ok(caught instanceof AppInsightsQueryError, `not an AppInsightsQueryError: ${String(caught)}`);
  assert.equal(caught.kind, kind, caught.message);
  assert.match(caught.action, action);
  assert.equal(caught.status, status);
  assert.ok(caught.message.length > 0);
  return caught;
}

/** A workspace of its own for one test, answered by `fault`. */
function faulty(name: string, fault: (info: LoggedQuery) => Fault | undefined): AppInsightsTarget {
  faults.set(name, fault);
  return workspace(name);
}

const LIST = recentCallsQuery('workspace', 50);

describe('failures, each with what to do', () => {
  it('401: not signed in', async () => {
    const e = await failure(
      runner(faulty('ws-401', () => ({ status: 401 }))).run(LIST, WINDOW),
      'notSignedIn',
      /Sign in/,
      401,
    );
    assert.match(e.message, /ws-401/);
  });

  it('a credential that cannot sign in (CredentialUnavailableError): not signed in, nothing sent', async () => {
    const unavailable: TokenCredential = {
      getToken: async () => {
        throw new CredentialUnavailableError('Azure CLI could not be found on the PATH');
      },
    };
    const target = faulty('ws-no-credential', () => undefined);
    const e = await failure(
      runner(target, { credential: unavailable }).run(LIST, WINDOW),
      'notSignedIn',
      /Sign in/,
    );
    assert.match(e.message, /Azure CLI could not be found/);
    assert.deepEqual(queriesTo('ws-no-credential'), []);
  });

  it('403: names the Log Analytics Reader role', async () => {
    const e = await failure(
      runner(faulty('ws-403', () => ({ status: 403 }))).run(LIST, WINDOW),
      'forbidden',
      /Log Analytics Reader/,
      403,
    );
    assert.match(e.message, /insufficient access/);
    // The same for a component, named as the user knows it.
    const denied = RESOURCE_ID.replace('llm-prod-insights', 'llm-denied');
    faults.set(denied, () => ({ status: 403 }));
    const classic = await failure(
      runner({ kind: 'component', resourceId: denied }).run(recentCallsQuery('classic', 5), WINDOW),
      'forbidden',
      /Log Analytics Reader/,
      403,
    );
    assert.match(classic.message, /Application Insights resource llm-denied/);
  });

  it('404: an unknown workspace, and a path the Logs API does not have', async () => {
    await failure(
      runner(faulty('ws-unknown', () => ({ status: 404 }))).run(LIST, WINDOW),
      'notFound',
      /Check the connection/,
      404,
    );
    const e = await failure(
      runner({ kind: 'component', resourceId: '/providers/microsoft.insights/components/nowhere' }).run(
        recentCallsQuery('classic', 5),
        WINDOW,
      ),
      'notFound',
      /Check the connection/,
      404,
    );
    assert.match(e.message, /nowhere/);
  });

  it('429 with Retry-After: waits as asked, then answers', async () => {
    let n = 0;
    const target = faulty('ws-429-once', () => (n++ === 0 ? { status: 429, retryAfter: 1 } : undefined));
    const started = Date.now();
    const { rows } = await runner(target).run(LIST, WINDOW);
    assert.ok(rows.length > 0);
    assert.deepEqual(
      queriesTo('ws-429-once').map((q) => q.status),
      [429, 200],
    );
    assert.ok(Date.now() - started >= 950, 'waited the second Retry-After asked for (retryDelayMs is 5)');
  });

  it('429 that persists: throttled, after the configured retries', async () => {
    const target = faulty('ws-429', () => ({ status: 429, retryAfter: 0 }));
    await failure(runner(target, { maxRetries: 2 }).run(LIST, WINDOW), 'throttled', /Wait/, 429);
    assert.equal(queriesTo('ws-429').length, 3);
  });

  for (const [status, kind, action] of [
    [500, 'service', /try again/],
    [503, 'service', /try again/],
    [504, 'timeout', /time range|queryTimeoutSeconds/],
  ] as const) {
    it(`${status}: ${kind}`, async () => {
      const target = faulty(`ws-${status}`, () => ({ status, retryAfter: 0 }));
      await failure(runner(target).run(LIST, WINDOW), kind, action, status);
    });
  }

  it('a partial result: the rows kept, partialError set', async () => {
    const all = await runner(faulty('ws-partial-all', () => ({ partial: true }))).run(LIST, WINDOW);
    assert.ok(all.rows.length > 2);
    assert.match(all.partialError ?? '', /PartialError: There were some errors/);
    const cut = await runner(faulty('ws-partial', () => ({ partial: { maxRows: 2 } }))).run(LIST, WINDOW);
    assert.equal(cut.rows.length, 2);
    assert.deepEqual(cut.rows, all.rows.slice(0, 2));
    assert.ok(cut.partialError);
  });

  it('an answer slower than timeoutMs: timeout', async () => {
    const target = faulty('ws-slow', () => ({ delayMs: 5000 }));
    const started = Date.now();
    await failure(
      runner(target, { timeoutMs: 300, maxRetries: 1 }).run(LIST, WINDOW),
      'timeout',
      /queryTimeoutSeconds/,
    );
    assert.ok(Date.now() - started < 3000, `gave up after ${Date.now() - started} ms`);
  });

  it('a refused connection: offline', async () => {
    const port = await closedPort();
    // A short timeoutMs: the HTTP client leaves its timeout timer running when the connection fails, and
    // a long one would hold the test process open after the suite.
    const offline = { endpoint: `https://127.0.0.1:${port}/v1`, maxRetries: 1, timeoutMs: 500 };
    const e = await failure(runner(workspace(WORKSPACE_ID), offline).run(LIST, WINDOW), 'offline', /network/);
    assert.match(e.message, /ECONNREFUSED/);
  });

  it('a 400 for a query the service cannot run: badQuery, with the service’s reason', async () => {
    const e = await failure(
      runner(workspace(WORKSPACE_ID)).run(
        'AppDependencies | parse Name with verb " " model | take 1',
        WINDOW,
      ),
      'badQuery',
      /Log Analytics/,
      400,
    );
    assert.match(e.message, /parse/);
    await failure(
      runner(workspace(WORKSPACE_ID)).run('AppDependencies | where', WINDOW),
      'badQuery',
      /Log Analytics/,
      400,
    );
  });
});

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

// ---- the Summary view's query, run by the stand-in ----

describe('the summary query, added up by the stand-in, agrees with the local aggregator over the same calls', () => {
  for (const { label, target } of TARGETS) {
    const schema: AppInsightsSchema = schemaOf(target);
    it(label, async () => {
      const run = runner(target);
      const q = { fromMs: WINDOW.startMs, toMs: WINDOW.endMs, bucketMs: 300_000 };
      const answer = await run.run(summaryQuery(schema, q), WINDOW);
      assert.equal(answer.partialError, undefined);
      const prices = createPriceTable();
      const kusto = summaryFromRows(answer.rows, q, prices);

      // The same calls as list rows, read by the normalizer into a store and added up there.
      const listed = (await run.run(recentCallsQuery(schema, 1000), WINDOW)).rows;
      const store = new TraceStore({ maxTraces: 1000, normalizer: createNormalizer(), debounceMs: 0 });
      store.ingest(recentCallRowsToBatch(schema, listed).batch, 'appInsights');
      const local = store.summarize(q);
      store.dispose();

      assert.ok(kusto.totals.calls > 0, 'some calls');
      // Spans keep nanoseconds from the row's 100 ns ticks, the row's duration is a real in milliseconds:
      // the same duration to the microsecond, told apart from a wrong one (another call's) by whole steps.
      const us = (ms: number | undefined) => (ms === undefined ? undefined : Math.round(ms * 1000));
      const near = (a: number | undefined, b: number | undefined) =>
        a === undefined || b === undefined ? a === b : Math.abs(a - b) <= 1;
      const sameDurations = (what: string, a: (number | undefined)[], b: (number | undefined)[]) =>
        assert.ok(
          a.length === b.length && a.every((x, i) => near(x, b[i])),
          `${what}: ${JSON.stringify(a)} against ${JSON.stringify(b)} (µs)`,
        );
      const durations = (f: SummaryFigures) => [us(f.p50Ms), us(f.p95Ms), us(f.p99Ms)];
      const figures = (f: SummaryFigures) => [
        f.calls,
        f.inputTokens,
        f.outputTokens,
        f.cachedInputTokens,
        f.reasoningTokens,
        f.errors,
        f.evaluations ?? 0,
        f.pricedCalls,
        f.unpricedCalls,
        Math.round(f.costUsd * 1e9),
      ];
      assert.deepEqual(figures(kusto.totals), figures(local.totals));
      sameDurations('totals', durations(kusto.totals), durations(local.totals));
      const byKey = (groups: SummaryGroup[]) => Object.fromEntries(groups.map((g) => [g.key, figures(g)]));
      for (const dimension of ['byModel', 'byService', 'byUser'] as const) {
        assert.deepEqual(byKey(kusto[dimension]), byKey(local[dimension]));
        for (const g of kusto[dimension]) {
          const other = local[dimension].find((l) => l.key === g.key)!;
          sameDurations(`${dimension} ${g.key}`, durations(g), durations(other));
        }
      }
      assert.deepEqual(
        kusto.buckets.map((b) => [b.startMs, b.calls, b.inputTokens]),
        local.buckets.map((b) => [b.startMs, b.calls, b.inputTokens]),
      );
      sameDurations(
        'buckets',
        kusto.buckets.map((b) => us(b.p50Ms)),
        local.buckets.map((b) => us(b.p50Ms)),
      );
    });
  }
});

// ---- the app's metrics, added up by Kusto ----

describe('the metrics query: the app’s GenAI metrics from customMetrics / AppMetrics, added up by the stand-in', () => {
  const sent = manifest.libraries['otel-openai']!.metrics;
  const sum = (m: ManifestMetric[], f: (x: ManifestMetric) => number) => m.reduce((n, x) => n + f(x), 0);
  const tokens = (type: string, model?: string) =>
    sum(
      sent.filter(
        (m) =>
          m.metric === 'gen_ai.client.token.usage' &&
          m.tokenType === type &&
          (model === undefined || m.model === model),
      ),
      (m) => m.sum,
    );
  const durations = sent.filter((m) => m.metric === 'gen_ai.client.operation.duration');
  for (const { label, target } of TARGETS) {
    const schema: AppInsightsSchema = schemaOf(target);
    it(label, async () => {
      const run = runner(target);
      const q = { fromMs: WINDOW.startMs, toMs: WINDOW.endMs, bucketMs: 300_000 };
      const answer = await run.run(metricsSummaryQuery(schema, q), WINDOW);
      assert.equal(answer.partialError, undefined);
      // Rows are sums: fewer than the points the exporter sent.
      const points = sum(sent, (m) => m.points);
      assert.ok(answer.rows.length > 0 && answer.rows.length < points, `${answer.rows.length} of ${points}`);
      const metrics = metricsFromRows(answer.rows, q)!;
      assert.ok(metrics, 'metrics figures');

      // What the exporter sent, added up from the envelopes (the manifest), not by this code.
      assert.equal(metrics.totals.inputTokens, tokens('input'));
      assert.equal(metrics.totals.outputTokens, tokens('output'));
      assert.ok(metrics.totals.inputTokens > 0 && metrics.totals.outputTokens > 0);
      assert.equal(
        metrics.totals.calls,
        sum(durations, (m) => m.count),
      );
      assert.equal(
        metrics.totals.errors,
        sum(
          durations.filter((m) => m.errorType),
          (m) => m.count,
        ),
      );
      assert.ok(metrics.totals.errors! > 0, 'the failed call is counted');
      const meanMs = (sum(durations, (m) => m.sum) * 1000) / sum(durations, (m) => m.count);
      assert.ok(
        Math.abs(metrics.totals.meanMs! - meanMs) < 1e-6,
        `${metrics.totals.meanMs} against ${meanMs}`,
      );
      assert.equal(metrics.totals.p50Ms, undefined, 'no histogram buckets, so no percentiles');
      assert.deepEqual(
        metrics.byModel.map((g) => g.key).sort(),
        [...new Set(sent.map((m) => m.model ?? ''))].sort(),
      );
      for (const g of metrics.byModel) {
        assert.equal(g.inputTokens, tokens('input', g.key), g.key);
        assert.equal(g.outputTokens, tokens('output', g.key), g.key);
      }
      assert.deepEqual(
        metrics.byService.map((g) => g.key),
        ['wayfarer.wayfarer-trips'],
      );
      assert.deepEqual(metrics.metrics, ['gen_ai.client.operation.duration', 'gen_ai.client.token.usage']);
      const inBuckets = metrics.buckets.reduce((n, b) => n + b.inputTokens, 0);
      assert.equal(inBuckets, metrics.totals.inputTokens, 'every point in one of the summary’s buckets');

      // The same calls as spans: the app's metrics and its spans agree on every model's tokens.
      scratch.setRows(rowsByLibrary['otel-openai']);
      const otel = summaryFromRows(
        (await runner(target, { server: scratch }).run(summaryQuery(schema, q), WINDOW)).rows,
        q,
        createPriceTable(),
      );
      scratch.setRows({});
      assert.equal(otel.totals.calls, metrics.totals.calls, 'a duration point per call, the failed one too');
      for (const g of otel.byModel) {
        const m = metrics.byModel.find((x) => x.key === g.key);
        assert.equal(m?.inputTokens ?? 0, g.inputTokens, g.key);
        assert.equal(m?.outputTokens ?? 0, g.outputTokens, g.key);
      }
    });
  }

  for (const { label, target } of TARGETS) {
    const schema: AppInsightsSchema = schemaOf(target);
    it(`${label}: weekly buckets line up with the span figures’, and impossible points are left out`, async () => {
      const week = 7 * 86_400_000;
      const q = { fromMs: WINDOW.endMs - 5 * week, toMs: WINDOW.endMs, bucketMs: week };
      const range = { startMs: q.fromMs, endMs: q.toMs };
      const run = runner(target);
      const metrics = metricsFromRows((await run.run(metricsSummaryQuery(schema, q), range)).rows, q)!;
      const spans = summaryFromRows(
        (await run.run(summaryQuery(schema, q), range)).rows,
        q,
        createPriceTable(),
      );
      // Weeks from the epoch start on a Thursday; Kusto's bin() would start them on a Monday.
      assert.deepEqual(
        metrics.buckets.map((b) => b.startMs),
        spans.buckets.map((b) => b.startMs),
      );
      assert.equal(new Date(spans.buckets[0]!.startMs).getUTCDay(), 4);
      const filled = (buckets: { inputTokens: number }[]) =>
        buckets.flatMap((b, i) => (b.inputTokens > 0 ? [i] : []));
      assert.equal(
        spans.buckets.reduce((n, b) => n + b.inputTokens, 0),
        spans.totals.inputTokens,
        'every call in one of the buckets',
      );
      assert.deepEqual(filled(metrics.buckets), filled(spans.buckets));
      assert.equal(filled(spans.buckets).length, 1);

      // A point of negative or absurd value (a broken exporter) is not summed with the rest.
      const rows = rowsByLibrary['otel-openai'];
      const table = schema === 'classic' ? 'customMetrics' : 'AppMetrics';
      const columns = TABLE_COLUMNS[table]!.map((c) => c.name);
      const at = (name: string) => columns.indexOf(name);
      const usage = (rows[table] as unknown[][]).find(
        (r) =>
          r[at(schema === 'classic' ? 'name' : 'Name')] === 'gen_ai.client.token.usage' &&
          (r[at(schema === 'classic' ? 'customDimensions' : 'Properties')] as Record<string, string>)[
            'gen_ai.token.type'
          ] === 'input',
      )!;
      const bad = (sum: number) =>
        usage.map((v, i) =>
          ['value', 'valueSum', 'Sum'].includes(columns[i]!) ? sum : columns[i] === 'itemId' ? 'bad' : v,
        );
      const q1 = { fromMs: WINDOW.startMs, toMs: WINDOW.endMs, bucketMs: 300_000 };
      const summed = async (extra: unknown[][]) => {
        scratch.setRows({ ...rows, [table]: [...(rows[table] as unknown[][]), ...extra] });
        const answer = await runner(target, { server: scratch }).run(metricsSummaryQuery(schema, q1), WINDOW);
        return metricsFromRows(answer.rows, q1)!.totals.inputTokens;
      };
      const clean = await summed([]);
      assert.equal(await summed([bad(-1e9), bad(1e300)]), clean);
      assert.equal(await summed([bad(5)]), clean + 5, 'a plausible extra point does count');
      scratch.setRows({});
    });
  }

  it('a window without metrics gives none, so the Summary shows no metrics section', async () => {
    const q = { fromMs: WINDOW.startMs - 7_200_000, toMs: WINDOW.startMs - 3_600_000, bucketMs: 300_000 };
    const answer = await runner(TARGETS[0]!.target).run(metricsSummaryQuery('workspace', q), {
      startMs: q.fromMs,
      endMs: q.toMs,
    });
    assert.equal(answer.rows.length, 0);
    assert.equal(metricsFromRows(answer.rows, q), undefined);
  });
});

// ---- evaluations in the summary ----

describe('evaluation events: counted by the summary query and shown on their calls in opened traces', () => {
  for (const { label, target } of TARGETS) {
    const schema: AppInsightsSchema = schemaOf(target);
    it(label, async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'lti-evaluations-'));
      try {
        const made = envelopesWithEvaluations(dirOf('otel-openai'));
        writeFileSync(path.join(dir, 'envelopes.json'), JSON.stringify(made.envelopes));
        const q = { fromMs: WINDOW.startMs, toMs: WINDOW.endMs, bucketMs: 300_000 };
        const summarize = async (rows: Rows) => {
          scratch.setRows(rows);
          const answer = await runner(target, { server: scratch }).run(summaryQuery(schema, q), WINDOW);
          assert.equal(answer.partialError, undefined);
          return summaryFromRows(answer.rows, q, createPriceTable());
        };
        const before = await summarize(rowsByLibrary['otel-openai']);
        const summary = await summarize(ingest([dir], NEWEST));
        assert.equal(before.totals.evaluations, 0);
        assert.ok(summary.totals.calls > 0);
        assert.equal(summary.totals.calls, before.totals.calls, 'no call counted twice');
        const expected = [...made.expected.values()].flat().length;
        assert.equal(expected, 4, 'two span events and a log record on their calls, one by response id');
        assert.equal(summary.totals.evaluations, expected);
        const sum = (groups: { evaluations?: number }[]) =>
          groups.reduce((n, g) => n + (g.evaluations ?? 0), 0);
        assert.equal(sum(summary.byModel), expected);
        assert.equal(sum(summary.byService), expected);
        assert.equal(sum(summary.byUser), expected);
        assert.equal(sum(summary.buckets), expected);

        // The same operations opened as the source opens them, read by the normalizer.
        const run = runner(target, { server: scratch });
        const ops = [...new Set(made.operations.values())];
        const { rows } = await run.run(operationRowsQuery(schema, ops, 20000), WINDOW);
        const store = new TraceStore({ maxTraces: 1000, normalizer: createNormalizer(), debounceMs: 0 });
        store.ingest(operationRowsToBatch(schema, rows).batch, 'appInsights');
        for (const [spanId, names] of made.expected) {
          const call = store.getTrace(made.operations.get(spanId)!)!.spans.find((s) => s.spanId === spanId);
          assert.deepEqual(
            call?.llm?.evaluations?.map((e) => e.name),
            names,
            spanId,
          );
        }
        // What the opened traces add up to agrees with Kusto, call by call's model.
        const local = store.summarize(q);
        store.dispose();
        assert.equal(local.totals.evaluations, expected);
        const byKey = (groups: SummaryGroup[]) =>
          Object.fromEntries(groups.filter((g) => g.evaluations).map((g) => [g.key, g.evaluations]));
        assert.deepEqual(byKey(summary.byModel), byKey(local.byModel));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
