// Application Insights rows -> records -> the real normalizer and store, on what the real Azure Monitor
// exporter sent for three instrumentation libraries (test/fixtures/appinsights, captured by
// sample/appinsights/captureAppInsights.mjs). The rows are made by the shared ingestion stand-in
// (../shared/appinsights/ingest.js) in both schemas and read by column name, with datetime cells as Date,
// as the real query client gives them. Every expectation is read from the manifest or the envelopes
// themselves, or from the OTLP fixtures of the same library, never typed in.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { LogsQueryClient, LogsQueryResultStatus } from '@azure/monitor-query-logs';
import {
  cutOf,
  lastUserMessageText,
  operationRowsToBatch,
  readTimeNs,
  recentCallRowsToBatch,
  type RowsMapping,
} from '../../../src/appInsights/rows';
import type { QueryRow } from '../../../src/appInsights/client';
import { recentCallsQuery, type AppInsightsSchema } from '../../../src/appInsights/kql';
import { createNormalizer } from '../../../src/core/genai/normalize';
import { TraceStore } from '../../../src/core/store';
import type { Message, Span, Trace, TraceSummary } from '../../../src/core/model';
import type { SpanRecord, TelemetryBatch } from '../../../src/core/records';
import { buildConversationState } from '../../../src/views/conversationViewModel';
import { conversationMarkdown } from '../../../src/host/conversationMarkdown';
import { fixtureBatch, fixtureEntries } from '../helpers/fixtures';
import { envelopesWithEvaluations, type EvaluationEnvelopes } from '../helpers/appInsightsEvaluations';
import { sharedAppInsightsDir } from '../../../scripts/lib/shared.cjs';
import { loopbackCertificate } from '../../../scripts/lib/testCertificate.cjs';

// ---- the fixtures ----

const ROOT = path.resolve(__dirname, '..', '..', '..');
const SHARED = sharedAppInsightsDir();
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'appinsights');
const load = createRequire(__filename);

type Cell = unknown;
const { ingest } = load(path.join(SHARED, 'ingest.js')) as {
  ingest(dirs: string[], newest?: number): Record<string, Cell[][]>;
};
const { tables } = load(path.join(SHARED, 'schema.js')) as {
  tables: Record<string, { name: string; type: string }[]>;
};
const { startLogsApi } = load(path.join(SHARED, 'logs-api.js')) as {
  startLogsApi(opts: {
    port: number;
    rows: Record<string, Cell[][]>;
    cert: string;
    key: string;
    now?: () => number;
  }): Promise<{ endpoint: string; close(): Promise<void> }>;
};

interface ManifestOperation {
  operationId: string;
  turn: string;
  request: { id: string; name: string; success: boolean };
  sessionIds: string[];
  userAuthenticatedIds: string[];
  rows: Record<string, number>;
}
interface ManifestCut {
  table: string;
  operation_Id: string;
  id?: string;
  operation_ParentId?: string;
  field: string;
  bytes?: number;
  chars?: number;
  limit: number;
}
interface ManifestLibrary {
  folder: string;
  timeRange: { newestEnvelope: string };
  rows: Record<string, number>;
  sessions: { sessionId: string; operationIds: string[]; turns: string[] }[];
  users: { userAuthenticatedId: string; operationIds: string[] }[];
  operations: ManifestOperation[];
  cut: ManifestCut[];
}
interface Manifest {
  limits: {
    propertyBytes: number;
    genAIContentBytes: number;
    messageChars: number;
    genAIContentKeys: string[];
  };
  libraries: Record<string, ManifestLibrary>;
}
const manifest = JSON.parse(readFileSync(path.join(FIXTURES, 'manifest.json'), 'utf8')) as Manifest;
const LIBRARIES = Object.keys(manifest.libraries).sort();
const SCHEMAS: AppInsightsSchema[] = ['classic', 'workspace'];

interface Envelope {
  time: string;
  tags: Record<string, string | undefined>;
  data: { baseType: string; baseData: Record<string, unknown> };
}
type Props = Record<string, string>;

const envelopeCache = new Map<string, Envelope[]>();
function envelopes(lib: string): Envelope[] {
  let out = envelopeCache.get(lib);
  if (!out) {
    const dir = path.join(FIXTURES, manifest.libraries[lib]!.folder);
    out = readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .flatMap((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Envelope[]);
    envelopeCache.set(lib, out);
  }
  return out;
}
const props = (e: Envelope): Props => (e.data.baseData.properties ?? {}) as Props;
const spanEnvelopes = (lib: string): Envelope[] =>
  envelopes(lib).filter((e) => ['RequestData', 'RemoteDependencyData'].includes(e.data.baseType));

const ingestCache = new Map<string, Record<string, Cell[][]>>();
/** ingest.js's rows, keeping the captured times. */
function ingested(lib: string): Record<string, Cell[][]> {
  let out = ingestCache.get(lib);
  if (!out) {
    const m = manifest.libraries[lib]!;
    out = ingest([path.join(FIXTURES, m.folder)], Date.parse(m.timeRange.newestEnvelope));
    ingestCache.set(lib, out);
  }
  return out;
}

const TABLES: Record<AppInsightsSchema, string[]> = {
  classic: ['requests', 'dependencies', 'traces', 'exceptions'],
  workspace: ['AppRequests', 'AppDependencies', 'AppTraces', 'AppExceptions'],
};

/** One array row as the query client gives it: by column name, datetime cells as Date. */
function byName(table: string, cells: Cell[]): QueryRow {
  const row: QueryRow = {};
  tables[table]!.forEach((c, i) => {
    const v = cells[i];
    row[c.name] = c.type === 'datetime' && typeof v === 'string' ? new Date(v) : v;
  });
  return row;
}

/** What operationRowsQuery returns: every row of the four tables, with its `table`, in time order. */
function operationRows(lib: string, schema: AppInsightsSchema): QueryRow[] {
  const out: QueryRow[] = [];
  for (const t of TABLES[schema])
    for (const cells of ingested(lib)[t]!) out.push({ ...byName(t, cells), table: t });
  const time = schema === 'classic' ? 'timestamp' : 'TimeGenerated';
  return out.sort((a, b) => (a[time] as Date).getTime() - (b[time] as Date).getTime());
}

function storeOf(batch: TelemetryBatch): TraceStore {
  const store = new TraceStore({
    maxTraces: 100,
    normalizer: createNormalizer(),
    debounceMs: 0,
    now: () => 0,
  });
  store.ingest(batch, 'appInsights');
  return store;
}

function tracesOf(store: TraceStore): Trace[] {
  return store
    .list()
    .map((t) => store.getTrace(t.traceId)!)
    .sort((a, b) => a.traceId.localeCompare(b.traceId));
}

const mapped = new Map<string, RowsMapping>();
function mapping(lib: string, schema: AppInsightsSchema): RowsMapping {
  const key = `${lib}/${schema}`;
  let m = mapped.get(key);
  if (!m) mapped.set(key, (m = operationRowsToBatch(schema, operationRows(lib, schema))));
  return m;
}

// ---- reading the envelopes the way a person reads them ----

const isLlmEnvelope = (e: Envelope): boolean =>
  props(e)['gen_ai.operation.name'] === 'chat' || props(e)['openinference.span.kind'] === 'LLM';

/** "00:00:00.0495368" -> ms. */
function timespanMs(d: unknown): number {
  const m = /^(\d+):(\d+):(\d+(?:\.\d+)?)$/.exec(String(d));
  assert.ok(m, `timespan ${String(d)}`);
  return ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1000;
}

function int(v: string | undefined): number | undefined {
  return v === undefined ? undefined : Number(v);
}

function expectedUsage(p: Props): Record<string, number> {
  const u: Record<string, number | undefined> = {
    inputTokens: int(p['gen_ai.usage.input_tokens'] ?? p['llm.token_count.prompt']),
    outputTokens: int(p['gen_ai.usage.output_tokens'] ?? p['llm.token_count.completion']),
    totalTokens: int(p['gen_ai.usage.total_tokens'] ?? p['llm.token_count.total']),
    cachedInputTokens: int(p['llm.token_count.prompt_details.cache_read']),
    reasoningTokens: int(p['llm.token_count.completion_details.reasoning']),
  };
  return Object.fromEntries(Object.entries(u).filter(([, v]) => v !== undefined)) as Record<string, number>;
}

function expectedFinish(p: Props): string[] {
  if (p['gen_ai.response.finish_reasons']) return JSON.parse(p['gen_ai.response.finish_reasons']) as string[];
  return p['llm.finish_reason'] ? [p['llm.finish_reason']] : [];
}

const textOf = (m: Message): string =>
  m.parts.map((p) => (p.type === 'text' ? p.text : p.type === 'toolCall' ? `<call ${p.name}>` : '')).join('');

/** The span's own session/user, else the trace's (what the views show for it). */
const sessionOf = (s: Span, t: TraceSummary): string | undefined => s.sessionId ?? t.sessionId;
const userOf = (s: Span, t: TraceSummary): string | undefined => s.userId ?? t.userId;

// ---------------------------------------------------------------------------------------------------

describe('Application Insights rows from the real exporter', () => {
  it('cover the three libraries, and ingest.js made the rows the manifest counts', () => {
    assert.deepEqual(LIBRARIES, ['openinference', 'otel-openai', 'traceloop']);
    for (const lib of LIBRARIES) {
      const rows = ingested(lib);
      for (const [table, n] of Object.entries(manifest.libraries[lib]!.rows))
        assert.equal(rows[table]?.length ?? 0, n, `${lib} ${table}`);
    }
  });

  for (const lib of LIBRARIES) {
    const m = manifest.libraries[lib]!;
    for (const schema of SCHEMAS) {
      describe(`${lib} (${schema})`, () => {
        it('every row becomes a record; spans in time order', () => {
          const { batch, skipped, unplaced } = mapping(lib, schema);
          assert.equal(skipped, 0);
          assert.equal(unplaced, 0);
          const [req, dep, tr] = TABLES[schema];
          assert.equal(batch.spans.length, m.rows[req!]! + m.rows[dep!]!);
          assert.equal(batch.logs.length, m.rows[tr!]);
          for (let i = 1; i < batch.spans.length; i++)
            assert.ok(
              BigInt(batch.spans[i - 1]!.startTimeUnixNano) <= BigInt(batch.spans[i]!.startTimeUnixNano),
              'spans in time order',
            );
          for (const s of batch.spans) {
            assert.equal(s.resource['service.name'], 'wayfarer.wayfarer-trips', 'cloud role kept whole');
            assert.equal(s.resource['service.instance.id'], 'vm');
            assert.deepEqual(s.scope, { name: 'appInsights' });
          }
        });

        it('every operation is a trace with its spans, parent links, names, kinds and times', () => {
          const store = storeOf(mapping(lib, schema).batch);
          assert.equal(store.list().length, m.operations.length);
          for (const op of m.operations) {
            const trace = store.getTrace(op.operationId);
            assert.ok(trace, `trace ${op.operationId}`);
            assert.equal(trace.spans.length, op.rows.requests! + op.rows.dependencies!);
            assert.equal(trace.summary.rootSpanId, op.request.id);
            assert.equal(trace.summary.name, op.request.name);
            assert.equal(trace.summary.hasError, !op.request.success);
            const own = spanEnvelopes(lib).filter((e) => e.tags['ai.operation.id'] === op.operationId);
            assert.equal(own.length, trace.spans.length);
            for (const e of own) {
              const bd = e.data.baseData;
              const span: Span | undefined = trace.spans.find((s) => s.spanId === bd.id);
              assert.ok(span, `span ${String(bd.id)}`);
              assert.equal(span.parentSpanId, e.tags['ai.operation.parentId']);
              assert.equal(span.name, bd.name);
              assert.equal(
                span.kind,
                e.data.baseType === 'RequestData' ? 'server' : bd.type === 'InProc' ? 'internal' : 'client',
              );
              assert.equal(span.startMs, Date.parse(e.time));
              // Exact in the records; in the model, as exact as ms since 1970 in a double allow.
              const record = mapping(lib, schema).batch.spans.find((s) => s.spanId === bd.id)!;
              assert.equal(
                BigInt(record.endTimeUnixNano) - BigInt(record.startTimeUnixNano),
                BigInt(Math.round(timespanMs(bd.duration) * 1e6)),
              );
              assert.ok(Math.abs(span.durationMs - timespanMs(bd.duration)) < 1e-3, 'duration');
              assert.equal(span.status.code, bd.success === false ? 'error' : 'unset');
              if (bd.success === false) assert.ok(span.error, `${span.name} failed and says so`);
              // Custom dimensions arrive as they were sent.
              for (const [k, v] of Object.entries(props(e))) assert.equal(span.attributes[k], v, k);
            }
          }
        });

        it('finds the LLM calls with model, tokens and finish reasons', () => {
          const store = storeOf(mapping(lib, schema).batch);
          const calls = spanEnvelopes(lib).filter(isLlmEnvelope);
          assert.ok(calls.length > 0);
          const found = tracesOf(store).flatMap((t) => t.spans.filter((s) => s.llm));
          assert.deepEqual(found.map((s) => s.spanId).sort(), calls.map((e) => e.data.baseData.id).sort());
          for (const e of calls) {
            const p = props(e);
            const llm = found.find((s) => s.spanId === e.data.baseData.id)!.llm!;
            assert.equal(
              llm.responseModel ?? llm.requestModel,
              p['gen_ai.response.model'] ?? p['llm.model_name'] ?? p['gen_ai.request.model'],
            );
            if (p['gen_ai.request.model']) assert.equal(llm.requestModel, p['gen_ai.request.model']);
            assert.deepEqual(llm.usage, expectedUsage(p));
            assert.deepEqual(llm.finishReasons, expectedFinish(p));
          }
        });

        it('the tool call and its result', () => {
          const store = storeOf(mapping(lib, schema).batch);
          const op = m.operations.find((o) => o.turn === 'tools')!;
          const trace = store.getTrace(op.operationId)!;
          const toolEnvelope = spanEnvelopes(lib).find(
            (e) =>
              e.tags['ai.operation.id'] === op.operationId &&
              (props(e)['gen_ai.operation.name'] === 'execute_tool' ||
                props(e)['openinference.span.kind'] === 'TOOL' ||
                props(e)['traceloop.span.kind'] === 'tool'),
          )!;
          const p = props(toolEnvelope);
          const tool = {
            id: p['gen_ai.tool.call.id'] ?? p['tool_call.id'],
            name: p['gen_ai.tool.name'] ?? p['tool.name'] ?? p['traceloop.entity.name'],
            args: JSON.parse(
              p['gen_ai.tool.call.arguments'] ??
                p['input.value'] ??
                JSON.stringify((JSON.parse(p['traceloop.entity.input']!) as { kwargs: unknown }).kwargs),
            ) as unknown,
            result: JSON.parse(
              p['gen_ai.tool.call.result'] ?? p['output.value'] ?? p['traceloop.entity.output']!,
            ) as unknown,
          };
          const [first, second] = trace.spans.filter((s) => s.llm);
          assert.ok(first && second, 'two LLM calls');
          const call = first
            .llm!.messages.filter((x) => x.direction === 'output')
            .flatMap((x) => x.parts)
            .find((x) => x.type === 'toolCall');
          assert.ok(call && call.type === 'toolCall', 'the first call answers with a tool call');
          assert.equal(call.name, tool.name);
          assert.deepEqual(JSON.parse(call.arguments), tool.args);
          if (tool.id) assert.equal(call.id, tool.id);
          const result = second
            .llm!.messages.filter((x) => x.direction === 'input')
            .flatMap((x) => x.parts)
            .find((x) => x.type === 'toolResult');
          assert.ok(result && result.type === 'toolResult', 'the second call is sent the result');
          assert.equal(result.id, call.id);
          assert.deepEqual(JSON.parse(result.result), tool.result);
        });

        it('the failed turn is marked as an error where the rows say it failed', () => {
          const store = storeOf(mapping(lib, schema).batch);
          const op = m.operations.find((o) => !o.request.success)!;
          const trace = store.getTrace(op.operationId)!;
          assert.equal(trace.summary.hasError, true);
          const failed = spanEnvelopes(lib)
            .filter((e) => e.tags['ai.operation.id'] === op.operationId && e.data.baseData.success === false)
            .map((e) => e.data.baseData.id);
          assert.ok(failed.length > 0);
          assert.deepEqual(
            trace.spans
              .filter((s) => s.status.code === 'error')
              .map((s) => s.spanId)
              .sort(),
            [...failed].sort(),
          );
          const root = trace.spans.find((s) => s.spanId === op.request.id)!;
          const code = spanEnvelopes(lib).find((e) => e.data.baseData.id === op.request.id)!.data.baseData
            .responseCode as string;
          assert.equal(root.attributes['http.response.status_code'], Number(code));
          assert.equal(root.error?.type, code);
        });

        it('session and user resolve for every span of every turn, as the manifest says', () => {
          const store = storeOf(mapping(lib, schema).batch);
          for (const op of m.operations) {
            const trace = store.getTrace(op.operationId)!;
            assert.deepEqual(op.sessionIds.length, 1);
            for (const s of trace.spans) {
              assert.equal(sessionOf(s, trace.summary), op.sessionIds[0], `${op.turn} ${s.name} session`);
              assert.equal(userOf(s, trace.summary), op.userAuthenticatedIds[0], `${op.turn} ${s.name} user`);
            }
          }
          for (const session of m.sessions)
            assert.deepEqual(
              store
                .findSession(session.sessionId)
                .map((t) => t.traceId)
                .sort(),
              [...session.operationIds].sort(),
            );
          for (const user of m.users)
            assert.deepEqual(
              store
                .findUser(user.userAuthenticatedId)
                .map((t) => t.traceId)
                .sort(),
              [...user.operationIds].sort(),
            );
        });

        it('the three-turn Lisbon session reads as one conversation', () => {
          const store = storeOf(mapping(lib, schema).batch);
          const session = m.sessions.find((s) => s.turns.length === 3)!;
          const turns = store.findSession(session.sessionId);
          // Oldest first: the turns in the order the manifest's operations list them.
          const order = m.operations.filter((o) => session.operationIds.includes(o.operationId));
          assert.deepEqual(
            turns.map((t) => t.traceId),
            order.map((o) => o.operationId),
          );
          const calls = turns.map((t) => store.getTrace(t.traceId)!.spans.filter((s) => s.llm));
          const inputs = (s: Span): Message[] => s.llm!.messages.filter((x) => x.direction === 'input');
          const outputs = (s: Span): Message[] => s.llm!.messages.filter((x) => x.direction === 'output');
          const lastUser = (s: Span): string =>
            textOf(
              inputs(s)
                .filter((x) => x.role === 'user')
                .pop()!,
            );
          const [chat, tools, followup] = calls as [Span[], Span[], Span[]];
          const history = inputs(followup[0]!).map((x) => `${x.role}: ${textOf(x)}`);
          assert.deepEqual(history, [
            `system: ${textOf(inputs(chat[0]!)[0]!)}`,
            `user: ${lastUser(chat[0]!)}`,
            `assistant: ${textOf(outputs(chat[0]!)[0]!)}`,
            `user: ${lastUser(tools[0]!)}`,
            `assistant: ${textOf(outputs(tools[tools.length - 1]!)[0]!)}`,
            `user: ${lastUser(followup[0]!)}`,
          ]);
          assert.equal(new Set(turns.map((t) => t.preview)).size, 3, 'three different questions');
          turns.forEach((t, i) => assert.equal(t.preview, lastUser(calls[i]![0]!)));
        });

        it('cut values are marked with their limit, and nothing after the cut is made up', () => {
          const { batch } = mapping(lib, schema);
          const store = storeOf(batch);
          assert.ok(m.cut.length > 0);
          const cutSpans = new Set(m.cut.filter((c) => c.id).map((c) => c.id));
          for (const s of batch.spans) {
            const expected = m.cut
              .filter((c) => c.id === s.spanId)
              .map((c) => [
                /^customDimensions\["(.+)"\]$/.exec(c.field)![1]!,
                { limit: c.limit, unit: 'bytes' },
              ]);
            if (cutSpans.has(s.spanId)) assert.deepEqual(s.truncated, Object.fromEntries(expected));
            else assert.equal(s.truncated, undefined, `${s.name} was not cut`);
          }
          for (const l of batch.logs) {
            const c = m.cut.find((x) => x.operation_ParentId === l.spanId && x.field === 'message');
            const body = typeof l.body === 'string' ? l.body : '';
            if (c && body.length === c.chars)
              assert.deepEqual(l.truncatedBody, { limit: c.limit, unit: 'characters' });
            else assert.equal(l.truncatedBody, undefined);
          }

          const keyOf = (c: ManifestCut): string =>
            /^customDimensions\["(.+)"\]$/.exec(c.field)?.[1] ?? c.field;
          for (const spanId of new Set(m.cut.map((c) => c.id ?? c.operation_ParentId!))) {
            const span = tracesOf(store)
              .flatMap((t) => t.spans)
              .find((s) => s.spanId === spanId)!;
            const cut = span.llm!.messages.filter((x) => x.truncated);
            assert.equal(cut.length, 1, 'one message went through the cut');
            const message = cut[0]!;
            // The cut value the message was read from (a span may have several cut values).
            const c = m.cut.find(
              (x) =>
                (x.id ?? x.operation_ParentId) === spanId &&
                (message.origin === 'logRecord'
                  ? x.field === 'message'
                  : message.origin === 'flattenedAttribute'
                    ? keyOf(x).startsWith(message.originName.replace(/N$/, ''))
                    : keyOf(x) === message.originName),
            )!;
            assert.ok(c, `the cut of ${message.originName} is in the manifest`);
            assert.deepEqual(message.truncatedAt, {
              limit: c.limit,
              unit: c.field === 'message' ? 'characters' : 'bytes',
            });
            // The raw value as the exporter sent it, and the message text read from it.
            const text = textOf(message);
            const raw =
              c.field === 'message'
                ? (envelopes(lib).find(
                    (e) =>
                      e.tags['ai.operation.parentId'] === spanId &&
                      String(e.data.baseData.message).length === c.chars,
                  )!.data.baseData.message as string)
                : props(spanEnvelopes(lib).find((e) => e.data.baseData.id === spanId)!)[keyOf(c)]!;
            if (!raw.trimStart().startsWith('{') && !raw.trimStart().startsWith('[')) {
              assert.equal(text, raw, 'plain text is all that arrived');
            } else {
              // JSON cut inside the content string: the text is that string up to the cut, at most a
              // dangling escape short of it, and nothing more.
              const start = raw.lastIndexOf('"content":"') + '"content":"'.length;
              const rest = raw.slice(start);
              const escaped = JSON.stringify(text).slice(1, -1);
              assert.ok(rest.startsWith(escaped), 'the text is what the value held');
              assert.ok(rest.length - escaped.length <= 5, 'and all of it');
            }
          }
          // Nothing else is marked.
          const marked = tracesOf(store).flatMap((t) =>
            t.spans.flatMap((s) => s.llm?.messages.filter((x) => x.truncated) ?? []),
          );
          assert.equal(marked.length, new Set(m.cut.map((c) => c.id ?? c.operation_ParentId)).size);
        });

        if (lib === 'otel-openai') {
          it('messages are joined from the log rows, one per row, in order', () => {
            const store = storeOf(mapping(lib, schema).batch);
            const logs = envelopes(lib).filter((e) => e.data.baseType === 'MessageData');
            const calls = tracesOf(store).flatMap((t) => t.spans.filter((s) => s.llm));
            assert.equal(calls.length, new Set(logs.map((e) => e.tags['ai.operation.parentId'])).size);
            const ROLE: Record<string, string> = {
              'gen_ai.system.message': 'system',
              'gen_ai.user.message': 'user',
              'gen_ai.assistant.message': 'assistant',
              'gen_ai.tool.message': 'tool',
              'gen_ai.choice': 'assistant',
            };
            for (const span of calls) {
              const own = logs.filter((e) => e.tags['ai.operation.parentId'] === span.spanId);
              const messages = span.llm!.messages;
              assert.equal(messages.length, own.length, span.name);
              own.forEach((e, i) => {
                const msg = messages[i]!;
                const event = props(e)['event.name']!;
                assert.equal(msg.origin, 'logRecord');
                assert.equal(msg.originName, event);
                assert.equal(msg.role, ROLE[event]);
                assert.equal(msg.direction, event === 'gen_ai.choice' ? 'output' : 'input');
                let body: { content?: unknown; message?: { content?: unknown } } | undefined;
                try {
                  body = JSON.parse(e.data.baseData.message as string) as typeof body;
                } catch {
                  return; // the cut one, checked above
                }
                const content = event === 'gen_ai.choice' ? body!.message?.content : body!.content;
                if (typeof content === 'string' && event !== 'gen_ai.tool.message')
                  assert.equal(textOf(msg), content);
              });
            }
          });
        }
      });
    }

    it(`${lib}: classic and workspace rows give the same domain model`, () => {
      assert.deepEqual(
        tracesOf(storeOf(mapping(lib, 'workspace').batch)),
        tracesOf(storeOf(mapping(lib, 'classic').batch)),
      );
    });
  }
});

// ---------------------------------------------------------------------------------------------------
// The OTLP fixtures of the same libraries: the same turns, read from OTLP

describe('the same conversations as the OTLP fixtures of each library', () => {
  const scenarios = ['chat', 'tools', 'error', 'stream', 'unicode', 'large'];
  for (const lib of LIBRARIES) {
    for (const scenario of scenarios) {
      it(`${lib} ${scenario}`, () => {
        const entries = fixtureEntries({ library: lib, scenario, encoding: 'protobuf' }).filter(
          (e) => e.signal !== 'metrics',
        );
        assert.ok(entries.length > 0);
        const otlp = new TraceStore({ maxTraces: 5, normalizer: createNormalizer(), debounceMs: 0 });
        for (const e of entries) otlp.ingest(fixtureBatch(e), 'otlp');
        const otlpTrace = otlp.getTrace(otlp.list()[0]!.traceId)!;
        const op = manifest.libraries[lib]!.operations.find((o) => o.turn === scenario)!;
        const aiTrace = storeOf(mapping(lib, 'workspace').batch).getTrace(op.operationId)!;
        const calls = (t: Trace) =>
          t.spans
            .filter((s) => s.llm)
            .map((s) => ({
              model: s.llm!.responseModel ?? s.llm!.requestModel,
              usage: s.llm!.usage,
              finishReasons: s.llm!.finishReasons,
              messages: s.llm!.messages.map((x) => ({
                role: x.role,
                direction: x.direction,
                origin: x.origin,
                finishReason: x.finishReason,
                parts: x.parts,
              })),
            }));
        const ai = calls(aiTrace);
        const ref = calls(otlpTrace);
        if (scenario !== 'large') {
          assert.deepEqual(ai, ref);
          assert.equal(aiTrace.summary.preview, otlpTrace.summary.preview);
          return;
        }
        // The large turn: the same, but for the question the exporter cut, which is a beginning of the
        // question OTLP carried whole.
        assert.equal(ai.length, ref.length);
        ai.forEach((call, i) => {
          const other = ref[i]!;
          assert.deepEqual({ ...call, messages: [] }, { ...other, messages: [] });
          assert.equal(call.messages.length, other.messages.length);
          call.messages.forEach((msg, j) => {
            const full = other.messages[j]!;
            const a = msg.parts.map((p) => (p.type === 'text' ? p.text : '')).join('');
            const b = full.parts.map((p) => (p.type === 'text' ? p.text : '')).join('');
            if (a === b) return;
            assert.ok(b.startsWith(a) && a.length > 1000, `message ${j} is a beginning of the whole`);
          });
        });
      });
    }
  }
});

// ---------------------------------------------------------------------------------------------------
// Exceptions

/** Exception rows as Application Insights makes them of ExceptionData envelopes (ingest.js makes none). */
function exceptionRows(lib: string, schema: AppInsightsSchema): QueryRow[] {
  return envelopes(lib)
    .filter((e) => e.data.baseType === 'ExceptionData')
    .map((e) => {
      const ex = (e.data.baseData.exceptions as { typeName: string; message: string; stack: string }[])[0]!;
      const details = [{ outerId: '0', id: '1', type: ex.typeName, message: ex.message, rawStack: ex.stack }];
      return schema === 'classic'
        ? {
            table: 'exceptions',
            timestamp: new Date(e.time),
            operation_Id: e.tags['ai.operation.id'],
            operation_ParentId: e.tags['ai.operation.parentId'],
            type: ex.typeName,
            message: ex.message,
            outerType: ex.typeName,
            outerMessage: ex.message,
            severityLevel: 3,
            details,
            customDimensions: props(e),
            cloud_RoleName: e.tags['ai.cloud.role'],
          }
        : {
            table: 'AppExceptions',
            TimeGenerated: new Date(e.time),
            OperationId: e.tags['ai.operation.id'],
            ParentId: e.tags['ai.operation.parentId'],
            ExceptionType: ex.typeName,
            OuterMessage: ex.message,
            SeverityLevel: 3,
            Details: details,
            Properties: props(e),
            AppRoleName: e.tags['ai.cloud.role'],
          };
    });
}

describe('exception rows', () => {
  for (const lib of LIBRARIES) {
    for (const schema of SCHEMAS) {
      it(`${lib} (${schema}): an exception event on the span it names, and its message on the error`, () => {
        const extra = exceptionRows(lib, schema);
        assert.equal(extra.length, 1);
        const parentCol = schema === 'classic' ? 'operation_ParentId' : 'ParentId';
        const opCol = schema === 'classic' ? 'operation_Id' : 'OperationId';
        const orphan = { ...extra[0]!, [parentCol]: 'ffffffffffffffff' };
        const atRoot = { ...extra[0]!, [parentCol]: extra[0]![opCol] };
        const result = operationRowsToBatch(schema, [
          ...operationRows(lib, schema),
          ...extra,
          orphan,
          atRoot,
        ]);
        assert.equal(result.skipped, 0);
        assert.equal(result.unplaced, 2, 'the exceptions whose span is not among the rows are left out');
        assert.equal(result.batch.spans.length, mapping(lib, schema).batch.spans.length, 'no span made up');
        const envelope = envelopes(lib).find((e) => e.data.baseType === 'ExceptionData')!;
        const ex = (
          envelope.data.baseData.exceptions as { typeName: string; message: string; stack: string }[]
        )[0]!;
        const trace = storeOf(result.batch).getTrace(envelope.tags['ai.operation.id']!)!;
        const span = trace.spans.find((s) => s.spanId === envelope.tags['ai.operation.parentId'])!;
        assert.deepEqual(span.events, [
          {
            name: 'exception',
            timeMs: Date.parse(envelope.time),
            attributes: {
              'exception.type': ex.typeName,
              'exception.message': ex.message,
              'exception.stacktrace': ex.stack,
            },
          },
        ]);
        assert.equal(span.status.code, 'error');
        assert.equal(span.error?.message, ex.message);
        assert.equal(span.error?.type, ex.typeName);
      });
    }
  }
});

// ---------------------------------------------------------------------------------------------------
// AppGenAIContent

const CONTENT_COLUMNS: Record<string, string> = {
  'gen_ai.input.messages': 'InputMessages',
  'gen_ai.output.messages': 'OutputMessages',
  'gen_ai.system_instructions': 'SystemInstructions',
  'gen_ai.tool.definitions': 'ToolDefinitions',
  'gen_ai.tool.call.arguments': 'ToolCallArguments',
  'gen_ai.tool.call.result': 'ToolCallResult',
  'gen_ai.evaluation.explanation': 'EvaluationExplanation',
};

type Link = 'Id is the span' | 'SpanId' | 'ParentSpanId is the parent' | 'ParentSpanId is the span';

/**
 * Workspace rows with the seven content keys moved out of the span rows into AppGenAIContent rows, linked
 * the way `link` says; dynamic content cells parsed where they are valid JSON (as the client does).
 */
function splitContent(lib: string, link: Link, parsed: boolean): { rows: QueryRow[]; content: QueryRow[] } {
  const content: QueryRow[] = [];
  let n = 0;
  const rows = operationRows(lib, 'workspace').map((row) => {
    if (row.table !== 'AppDependencies' && row.table !== 'AppRequests') return row;
    const properties = { ...(row.Properties as Record<string, string>) };
    const cells: QueryRow = {};
    for (const [key, column] of Object.entries(CONTENT_COLUMNS)) {
      const value = properties[key];
      if (value === undefined) continue;
      delete properties[key];
      let cell: unknown = value;
      if (parsed) {
        try {
          cell = JSON.parse(value);
        } catch {
          // a cut value is not JSON: the client leaves it a string
        }
      }
      cells[column] = cell;
    }
    if (Object.keys(cells).length === 0) return row;
    const recordId = `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;
    const ids: QueryRow =
      link === 'Id is the span'
        ? { Id: row.Id, ParentSpanId: row.ParentId }
        : link === 'SpanId'
          ? { Id: recordId, SpanId: row.Id, ParentSpanId: row.ParentId }
          : link === 'ParentSpanId is the parent'
            ? { Id: recordId, ParentSpanId: row.ParentId }
            : { Id: recordId, ParentSpanId: row.Id };
    content.push({
      ...ids,
      ...cells,
      OperationId: row.OperationId,
      TimeGenerated: row.TimeGenerated,
      ModelName: properties['gen_ai.request.model'] ?? '',
      Attributes: {},
      RoleName: row.AppRoleName,
    });
    return { ...row, Properties: properties };
  });
  return { rows, content };
}

describe('AppGenAIContent rows', () => {
  const links: Link[] = [
    'Id is the span',
    'SpanId',
    'ParentSpanId is the parent',
    'ParentSpanId is the span',
  ];
  for (const lib of ['otel-openai', 'traceloop']) {
    for (const link of links) {
      it(`${lib}: content placed by "${link}" gives the model the span rows gave`, () => {
        const { rows, content } = splitContent(lib, link, link !== 'Id is the span');
        assert.ok(content.length > 0, 'there is content to move');
        const result = operationRowsToBatch('workspace', rows, content);
        assert.equal(result.skipped, 0);
        assert.equal(result.unplaced, 0);
        assert.deepEqual(tracesOf(storeOf(result.batch)), tracesOf(storeOf(mapping(lib, 'workspace').batch)));
      });
    }
  }

  it('the Attributes bag fills what the span lacks; content no span matches is left out', () => {
    const { rows, content } = splitContent('traceloop', 'SpanId', true);
    const first = content[0]!;
    const orphan = { ...first, SpanId: 'ffffffffffffffff', Id: 'x', ParentSpanId: 'eeeeeeeeeeeeeeee' };
    const extra = {
      ...first,
      Attributes: { 'gen_ai.agent.name': 'Wayfarer', 'gen_ai.request.model': 'not-this-one' },
    };
    const result = operationRowsToBatch('workspace', rows, [extra, ...content.slice(1), orphan]);
    assert.equal(result.unplaced, 1);
    const span = result.batch.spans.find((s) => s.spanId === first.SpanId)!;
    assert.equal(span.attributes['gen_ai.agent.name'], 'Wayfarer');
    assert.equal(span.attributes['gen_ai.request.model'], 'gpt-4o-mini', 'the span keeps its own');
    assert.equal(result.batch.spans.length, mapping('traceloop', 'workspace').batch.spans.length);
  });

  it('two calls under one parent equally near in time get no content rather than the wrong one', () => {
    const { rows, content } = splitContent('traceloop', 'ParentSpanId is the parent', true);
    const tools = manifest.libraries.traceloop!.operations.find((o) => o.turn === 'tools')!;
    const calls = rows.filter((r) => r.OperationId === tools.operationId && r.Name === 'chat gpt-4o-mini');
    assert.equal(calls.length, 2);
    const sameTime = rows.map((r) => (r === calls[1] ? { ...r, TimeGenerated: calls[0]!.TimeGenerated } : r));
    const own = content.filter((c) => c.OperationId === tools.operationId);
    const result = operationRowsToBatch('workspace', sameTime, own);
    assert.equal(result.unplaced, 2);
  });
});

// ---------------------------------------------------------------------------------------------------
// The cut as the views show it

describe('a cut message in the conversation view and Copy as Markdown', () => {
  it('says where it was cut', () => {
    const c = manifest.libraries.traceloop!.cut[0]!;
    const trace = storeOf(mapping('traceloop', 'classic').batch).getTrace(c.operation_Id)!;
    const md = conversationMarkdown(buildConversationState(trace, { traceId: trace.traceId }, 0));
    assert.ok(md.includes('cut at 262,144 bytes upstream'), 'the limit is named');
  });
});

// ---------------------------------------------------------------------------------------------------
// Evaluation events

/** The operation rows (as operationRows) of the otel-openai envelopes with evaluations added. */
function evaluationRows(schema: AppInsightsSchema): { rows: QueryRow[]; made: EvaluationEnvelopes } {
  const m = manifest.libraries['otel-openai']!;
  const made = envelopesWithEvaluations(path.join(FIXTURES, m.folder));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lti-rows-evaluations-'));
  try {
    writeFileSync(path.join(dir, 'envelopes.json'), JSON.stringify(made.envelopes));
    const all = ingest([dir], Date.parse(m.timeRange.newestEnvelope));
    const rows: QueryRow[] = [];
    for (const t of TABLES[schema]) for (const cells of all[t]!) rows.push({ ...byName(t, cells), table: t });
    const time = schema === 'classic' ? 'timestamp' : 'TimeGenerated';
    rows.sort((a, b) => (a[time] as Date).getTime() - (b[time] as Date).getTime());
    return { rows, made };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const evaluationNames = (s: Span | undefined): string[] | undefined =>
  s?.llm?.evaluations?.map((e) => e.name);

describe('evaluation events sent as traces rows', () => {
  for (const schema of SCHEMAS) {
    it(`${schema}: show on the calls they evaluate, as they do from OTLP`, () => {
      const { rows, made } = evaluationRows(schema);
      const result = operationRowsToBatch(schema, rows);
      assert.equal(result.skipped, 0);
      const store = storeOf(result.batch);
      let seen = 0;
      for (const [spanId, names] of made.expected) {
        const trace = store.getTrace(made.operations.get(spanId)!)!;
        const call = trace.spans.find((s) => s.spanId === spanId);
        assert.deepEqual(evaluationNames(call), names, spanId);
        seen += names.length;
      }
      assert.equal(seen, 4);
      const calls = tracesOf(store).flatMap((t) => t.spans.filter((s) => s.llm));
      assert.equal(
        calls.reduce((n, s) => n + (s.llm!.evaluations?.length ?? 0), 0),
        seen,
        'no other call shows one',
      );

      const [first] = made.expected.keys();
      const span = store.getTrace(made.operations.get(first!)!)!.spans.find((s) => s.spanId === first)!;
      assert.deepEqual(span.llm!.evaluations![0], {
        name: 'Relevance',
        score: 0.9,
        label: 'relevant',
        explanation: 'It answers the question asked.',
      });
      // A span event again, on its span, as OTLP brings it; other events' rows stay log records.
      assert.deepEqual(
        span.events.map((e) => e.name),
        ['gen_ai.evaluation.result', 'gen_ai.evaluation.result', 'gen_ai.evaluation.result'],
      );
      assert.ok(result.batch.logs.some((l) => l.spanId === first && l.body === 'gen_ai.choice'));
      assert.ok(!result.batch.logs.some((l) => l.body === 'gen_ai.evaluation.result'));
      // The log record event keeps its event name and body.
      const coherence = result.batch.logs.find((l) => l.attributes['gen_ai.evaluation.name'] === 'Coherence');
      assert.equal(coherence?.eventName, 'gen_ai.evaluation.result');
      assert.deepEqual(coherence?.body, { score: 0.4 });
    });

    it(`${schema}: one whose span is not among the rows stays a log record, read when the span comes`, () => {
      const { rows, made } = evaluationRows(schema);
      const [first] = made.expected.keys();
      const idCol = schema === 'classic' ? 'id' : 'Id';
      const withoutSpan = rows.filter((r) => r[idCol] !== first || !/dependencies$/i.test(String(r.table)));
      assert.equal(withoutSpan.length, rows.length - 1);
      const result = operationRowsToBatch(schema, withoutSpan);
      const pending = result.batch.logs.filter(
        (l) => l.spanId === first && l.eventName === 'gen_ai.evaluation.result',
      );
      assert.equal(pending.length, 3);
      const store = storeOf(result.batch);
      const spanRow = rows.filter((r) => !withoutSpan.includes(r));
      store.ingest(operationRowsToBatch(schema, spanRow).batch, 'appInsights');
      const call = store.getTrace(made.operations.get(first!)!)!.spans.find((s) => s.spanId === first);
      assert.deepEqual(evaluationNames(call), made.expected.get(first!));
    });
  }
});

// ---------------------------------------------------------------------------------------------------
// Rows read defensively

describe('bad rows', () => {
  it('are skipped and counted, never thrown on', () => {
    const good = operationRows('otel-openai', 'classic');
    const dep = good.find((r) => r.table === 'dependencies')!;
    const bad: unknown[] = [
      null,
      42,
      'text',
      [],
      {},
      { table: 'nonsense', operation_Id: 'a'.repeat(32), timestamp: new Date() },
      { ...dep, operation_Id: '' },
      { ...dep, id: null },
      { ...dep, timestamp: 'not a time' },
      { ...dep, timestamp: new Date(Number.NaN) },
    ];
    const result = operationRowsToBatch('classic', [...good, ...(bad as QueryRow[])]);
    assert.equal(result.skipped, bad.length);
    assert.equal(result.batch.spans.length, mapping('otel-openai', 'classic').batch.spans.length);
  });

  it('read what is there: ISO string times, JSON text bags, missing columns, nulls and empty strings', () => {
    const result = operationRowsToBatch('workspace', [
      {
        table: 'AppDependencies',
        TimeGenerated: '2026-12-01T15:01:03.9251234Z',
        Id: 'ABCDEF0123456789',
        OperationId: 'A62C5154908B436B70C0508CFB174236',
        ParentId: '',
        Name: null,
        DurationMs: '12.5',
        Success: 'false',
        ResultCode: '0',
        DependencyType: 'InProc',
        Properties: '{"gen_ai.operation.name":"chat","gen_ai.usage.input_tokens":"7","x":null}',
        Measurements: { 'some.count': 3, notANumber: 'x' },
        SessionId: '',
        UserAuthenticatedId: null,
      },
      {
        Type: 'AppTraces',
        TimeGenerated: '2026-12-01T15:01:04Z',
        OperationId: 'a'.repeat(32),
        Message: 'hi',
      },
      {
        table: 'AppRequests',
        TimeGenerated: new Date('2026-12-01T15:01:05Z'),
        Id: 'c'.repeat(16),
        OperationId: 'b'.repeat(32),
        ParentId: 'B'.repeat(32),
        Success: false,
        ResultCode: '503',
        Properties: { 'http.status_code': '502' },
      },
    ]);
    assert.equal(result.skipped, 0);
    const [span] = result.batch.spans;
    assert.ok(span);
    assert.equal(span.traceId, 'a62c5154908b436b70c0508cfb174236');
    assert.equal(span.spanId, 'abcdef0123456789');
    assert.equal(span.parentSpanId, undefined);
    assert.equal(span.startTimeUnixNano, '1796137263925123400');
    assert.equal(span.endTimeUnixNano, '1796137263937623400');
    assert.equal(span.kind, 1);
    assert.deepEqual(span.status, { code: 2 });
    assert.deepEqual(span.attributes, {
      'gen_ai.operation.name': 'chat',
      'gen_ai.usage.input_tokens': '7',
      'some.count': 3,
    });
    assert.deepEqual(span.resource, {});
    const request = result.batch.spans[1]!;
    assert.equal(request.parentSpanId, undefined, 'a parent that is the operation is no span');
    assert.equal(request.kind, 2);
    assert.deepEqual(request.status, { code: 2, message: 'result code 503' });
    assert.deepEqual(request.attributes, { 'http.status_code': '502' }, 'the span keeps its own status code');
    const [log] = result.batch.logs;
    assert.equal(log?.body, 'hi');
    assert.equal(log?.spanId, undefined, 'a record outside any span has no span id');
  });

  it('never throw on rows of random cells', () => {
    let seed = 7;
    const rnd = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const values = [
      null,
      undefined,
      '',
      'x',
      0,
      -1,
      1e300,
      Number.NaN,
      true,
      {},
      [],
      new Date(0),
      '{"a":',
      '[1',
    ];
    const pick = (): unknown => values[Math.floor(rnd() * values.length)];
    const columns = Object.keys(operationRows('otel-openai', 'classic')[0]!).concat(['table', 'Id', 'Type']);
    for (let i = 0; i < 300; i++) {
      const row: QueryRow = {};
      for (const c of columns) if (rnd() < 0.7) row[c] = pick();
      if (rnd() < 0.5) row.table = ['requests', 'dependencies', 'traces', 'exceptions'][i % 4];
      if (rnd() < 0.5) row.operation_Id = 'f'.repeat(32);
      if (rnd() < 0.5) row.timestamp = new Date(1e12);
      assert.doesNotThrow(() => operationRowsToBatch('classic', [row], [row]));
      assert.doesNotThrow(() => recentCallRowsToBatch('classic', [row]));
    }
  });

  it('times keep their digits below the millisecond; Dates are whole milliseconds', () => {
    assert.equal(readTimeNs('2026-12-01T15:01:03.9251234Z'), 1796137263925123400n);
    assert.equal(readTimeNs('2026-12-01T15:01:03Z'), 1796137263000000000n);
    assert.equal(readTimeNs(new Date('2026-12-01T15:01:03.925Z')), 1796137263925000000n);
    assert.equal(readTimeNs('yesterday'), undefined);
    assert.equal(readTimeNs(undefined), undefined);
  });
});

// ---------------------------------------------------------------------------------------------------
// Where a cut is detected, and how the normalizer reads a cut value

describe('cut detection', () => {
  const limits = manifest.limits;
  it('a property at 8,192 UTF-8 bytes, or up to 3 short of it when a character did not fit', () => {
    assert.deepEqual(cutOf('x', 'a'.repeat(limits.propertyBytes)), { limit: 8192, unit: 'bytes' });
    // 2730 three-byte characters and one byte: 8191 bytes; another € would have made 8194.
    assert.deepEqual(cutOf('x', '€'.repeat(2730) + 'a'), { limit: 8192, unit: 'bytes' });
    assert.deepEqual(cutOf('x', '€'.repeat(2730)), { limit: 8192, unit: 'bytes' }, '8190 bytes');
    assert.equal(cutOf('x', 'a'.repeat(8188)), undefined);
    assert.equal(cutOf('x', 'a'.repeat(8193)), undefined);
    // Four-byte characters count four.
    assert.deepEqual(cutOf('x', '🍁'.repeat(2048)), { limit: 8192, unit: 'bytes' });
  });

  it('the GenAI content keys at 262,144 bytes, not at 8,192', () => {
    for (const key of limits.genAIContentKeys) {
      assert.equal(cutOf(key, 'a'.repeat(limits.propertyBytes)), undefined, key);
      assert.deepEqual(cutOf(key, 'a'.repeat(limits.genAIContentBytes)), { limit: 262144, unit: 'bytes' });
    }
  });

  it('the normalizer marks a cut plain text, and not a JSON value that still parses whole', () => {
    const normalizer = createNormalizer();
    const base: SpanRecord = {
      traceId: 'a'.repeat(32),
      spanId: 'b'.repeat(16),
      name: 'chat',
      kind: 3,
      startTimeUnixNano: '1',
      endTimeUnixNano: '2',
      attributes: {},
      events: [],
      links: [],
      status: { code: 0 },
      resource: {},
      scope: { name: 'appInsights' },
    };
    const at = { limit: 8192, unit: 'bytes' as const };
    const whole = normalizer.span(
      {
        ...base,
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.input.messages': '[{"role":"user","parts":[{"type":"text","content":"hi"}]}]',
        },
        truncated: { 'gen_ai.input.messages': at },
      },
      [],
    );
    assert.equal(whole.llm!.messages[0]!.truncated, undefined, 'whole JSON was not cut');
    const text = normalizer.span(
      {
        ...base,
        attributes: { 'openinference.span.kind': 'LLM', 'llm.input_messages.0.message.content': 'hel' },
        truncated: { 'llm.input_messages.0.message.content': at },
      },
      [],
    );
    assert.deepEqual(
      { truncated: text.llm!.messages[0]!.truncated, at: text.llm!.messages[0]!.truncatedAt },
      { truncated: true, at },
    );
    const log = normalizer.span({ ...base, attributes: { 'gen_ai.operation.name': 'chat' } }, [
      {
        timeUnixNano: '1',
        attributes: { 'event.name': 'gen_ai.user.message' },
        eventName: 'gen_ai.user.message',
        body: '{"content":"hel',
        truncatedBody: { limit: 32768, unit: 'characters' },
        resource: {},
        scope: { name: 'appInsights' },
      },
    ]);
    assert.deepEqual(log.llm!.messages[0]!.parts, [{ type: 'text', text: 'hel' }]);
    assert.deepEqual(log.llm!.messages[0]!.truncatedAt, { limit: 32768, unit: 'characters' });
  });
});

// ---------------------------------------------------------------------------------------------------
// The question from the end of the input

describe('lastUserMessageText', () => {
  it('reads the last user message from the end of a message list', () => {
    const list = JSON.stringify([
      { role: 'user', parts: [{ type: 'text', content: 'first' }] },
      { role: 'assistant', parts: [{ type: 'text', content: 'answer {with braces}' }] },
      { role: 'user', parts: [{ type: 'text', content: 'second' }] },
      { role: 'assistant', parts: [{ type: 'tool_call', id: 'c', name: 'f', arguments: { a: 1 } }] },
      { role: 'tool', parts: [{ type: 'tool_call_response', id: 'c', response: '{"role":"user"}' }] },
    ]);
    assert.deepEqual(lastUserMessageText(list.slice(20), false), ['second']);
    const body = JSON.stringify({
      model: 'm',
      messages: [
        { role: 'system', content: 's' },
        { role: 'user', content: 'q' },
      ],
    });
    assert.deepEqual(lastUserMessageText(body, true), ['q']);
  });

  it('finds the message when its role comes after its parts', () => {
    const list =
      '[{"role":"user","content":"one"},{"parts":[{"type":"text","content":"two"}],"role":"user"}]';
    assert.deepEqual(lastUserMessageText(list, true), ['two']);
  });

  it('never guesses: a message whose start is not in the tail is not read, nor an earlier one instead', () => {
    const tail = 'text of a long question","role":"user"}]';
    assert.equal(lastUserMessageText(tail, false), undefined);
    const cutStart =
      'e","role":"user"},{"role":"assistant","content":"a"},{"parts":[{"type":"text","content":"q"}';
    // The last user role found is the first message's, whose start is gone; the last message has no role.
    assert.equal(lastUserMessageText(cutStart, false), undefined);
    assert.equal(lastUserMessageText('plain text that may have lost its beginning', false), undefined);
    assert.deepEqual(lastUserMessageText('a whole plain question?', true), ['a whole plain question?']);
    assert.equal(lastUserMessageText('{"not":"messages"}', true), undefined);
    // The last message does not read as JSON up to its role: the whole earlier question is not taken for it.
    const unreadable =
      '[{"role":"user","content":"q1"},{"parts":[{"type":"text","content":"q2"}],"n":01,"role":"user"}]';
    assert.equal(lastUserMessageText(unreadable, true), undefined);
  });
});

// ---------------------------------------------------------------------------------------------------
// List rows from the real recentCallsQuery, evaluated by the Logs API stand-in through the real client

describe('recent LLM calls from the real query', () => {
  let cert: string;
  let key: string;
  before(() => {
    ({ cert, key } = loopbackCertificate());
  });

  async function query(lib: string, schema: AppInsightsSchema, kql: string): Promise<QueryRow[]> {
    const newest = Date.parse(manifest.libraries[lib]!.timeRange.newestEnvelope);
    const server = await startLogsApi({ port: 0, rows: ingested(lib), cert, key, now: () => newest });
    try {
      const credential = {
        getToken: async () => ({ token: 'test-token', expiresOnTimestamp: Date.now() + 3_600_000 }),
      };
      const client = new LogsQueryClient(credential, {
        endpoint: server.endpoint,
        tlsOptions: { ca: cert },
        retryOptions: { maxRetries: 0 },
      } as ConstructorParameters<typeof LogsQueryClient>[1]);
      const timespan = { startTime: new Date(newest - 3_600_000), endTime: new Date(newest + 60_000) };
      const result =
        schema === 'workspace'
          ? await client.queryWorkspace('00000000-0000-4000-8000-0000000000ws', kql, timespan)
          : await client.queryResource(
              '/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/rg/providers/microsoft.insights/components/wayfarer',
              kql,
              timespan,
            );
      assert.equal(result.status, LogsQueryResultStatus.Success);
      const table = result.tables[0]!;
      const names = table.columnDescriptors.map((c) => c.name ?? '');
      return table.rows.map((cells) => Object.fromEntries(names.map((n, i) => [n, cells[i]])));
    } finally {
      await server.close();
    }
  }

  for (const lib of LIBRARIES) {
    for (const schema of SCHEMAS) {
      it(`${lib} (${schema}): the list summarises each trace as the full rows do`, async () => {
        const rows = await query(lib, schema, recentCallsQuery(schema, 100));
        assert.ok(rows.length > 0);
        assert.ok(
          rows.every((r) => r.callTime instanceof Date),
          'times come as Date',
        );
        const list = recentCallRowsToBatch(schema, rows);
        assert.equal(list.skipped, 0);
        assert.equal(list.batch.spans.length, rows.length);
        const listStore = storeOf(list.batch);
        const full = storeOf(mapping(lib, schema).batch);
        let previews = 0;
        for (const summary of listStore.list()) {
          const whole = full.getTrace(summary.traceId)!.summary;
          assert.deepEqual(summary.models, whole.models, 'models');
          assert.deepEqual(summary.usage, whole.usage, 'tokens');
          assert.equal(summary.llmCallCount, whole.llmCallCount);
          assert.equal(summary.hasError, whole.hasError);
          // Session, user and the question come from the list row where it carries them, and then agree.
          const own = rows.filter((r) => String(r.operationId) === summary.traceId);
          const dims = own.map((r) => r.dims as Record<string, unknown>);
          const carries = (column: 'session' | 'user', keys: string[]): boolean =>
            own.some((r) => !!r[column]) ||
            dims.some((d) => keys.some((k) => d[k] !== null && d[k] !== undefined));
          if (
            carries('session', [
              'gen_ai.conversation.id',
              'session.id',
              'traceloop.association.properties.session_id',
            ])
          )
            assert.equal(summary.sessionId, whole.sessionId, 'session');
          else assert.equal(summary.sessionId, undefined);
          if (carries('user', ['enduser.id', 'user.id', 'traceloop.association.properties.user_id']))
            assert.equal(summary.userId, whole.userId, 'user');
          else assert.equal(summary.userId, undefined);
          if (summary.preview !== undefined) {
            previews++;
            assert.equal(summary.preview, whole.preview, 'question');
          }
          const first = listStore.getTrace(summary.traceId)!.spans.find((s) => s.llm);
          const tail = String(own.find((r) => r.id === first?.spanId)?.inputTail ?? '');
          if (/"role"\s*:\s*"user"/.test(tail)) assert.ok(summary.preview, 'a question in the tail is found');
        }
        // The OpenAI instrumentation sends the question as a log record, which the list does not read.
        if (lib === 'otel-openai') assert.equal(previews, 0);
        else assert.ok(previews >= 5, `${previews} questions recovered`);
      });
    }
  }
});
