// Every KQL query the Application Insights source sends, built here and nowhere else, for both schemas:
// the classic names of an Application Insights resource (`dependencies`, `customDimensions`, `timestamp`)
// and the App* names of its Log Analytics workspace (`AppDependencies`, `Properties`, `TimeGenerated`).
// A value that comes from the user or from a row (a session id, an operation id, a cursor) enters a query
// only as a KQL string literal built by kqlString(), or after validation; nothing else is spliced in.
// Every query is bounded in rows; the time range goes with the request (the Logs API's timespan).

import {
  Evaluation,
  GenAi,
  GenAiEvents,
  OpenInference,
  Operations,
  SessionKeys,
  Traceloop,
  UsageKeys,
  UserKeys,
} from '../core/genai/keys';
import { GENAI_METRIC_KEYS, GENAI_METRIC_NAMES, MAX_METRIC_VALUE } from '../core/genaiMetrics';
import { EVENT_NAME_ATTRIBUTE } from '../core/records';
import type { PersonKind } from '../core/source';

export type { PersonKind };

export type AppInsightsSchema = 'classic' | 'workspace';

/** Column and table names of one schema. */
interface Names {
  requests: string;
  dependencies: string;
  traces: string;
  exceptions: string;
  time: string;
  dims: string;
  operationId: string;
  parentId: string;
  id: string;
  name: string;
  type: string;
  duration: string;
  success: string;
  resultCode: string;
  session: string;
  user: string;
  role: string;
  /** A traces row's text: a log record's body, or a span event's name. */
  message: string;
  /** The table of the app's metrics, its metric name, and a point's sum and count of values. */
  metrics: string;
  metricName: string;
  metricSum: string;
  metricCount: string;
}

export const SCHEMA_NAMES: Readonly<Record<AppInsightsSchema, Names>> = {
  classic: {
    requests: 'requests',
    dependencies: 'dependencies',
    traces: 'traces',
    exceptions: 'exceptions',
    time: 'timestamp',
    dims: 'customDimensions',
    operationId: 'operation_Id',
    parentId: 'operation_ParentId',
    id: 'id',
    name: 'name',
    type: 'type',
    duration: 'duration',
    success: 'success',
    resultCode: 'resultCode',
    session: 'session_Id',
    user: 'user_AuthenticatedId',
    role: 'cloud_RoleName',
    message: 'message',
    metrics: 'customMetrics',
    metricName: 'name',
    metricSum: 'valueSum',
    metricCount: 'valueCount',
  },
  workspace: {
    requests: 'AppRequests',
    dependencies: 'AppDependencies',
    traces: 'AppTraces',
    exceptions: 'AppExceptions',
    time: 'TimeGenerated',
    dims: 'Properties',
    operationId: 'OperationId',
    parentId: 'ParentId',
    id: 'Id',
    name: 'Name',
    type: 'DependencyType',
    duration: 'DurationMs',
    success: 'Success',
    resultCode: 'ResultCode',
    session: 'SessionId',
    user: 'UserAuthenticatedId',
    role: 'AppRoleName',
    message: 'Message',
    metrics: 'AppMetrics',
    metricName: 'Name',
    metricSum: 'Sum',
    metricCount: 'ItemCount',
  },
};

/**
 * A KQL string literal holding exactly `value`, double-quoted. Quote and backslash are escaped, and tab and
 * newline with the escapes Kusto documents (\t, \n). Text in any script goes through as it is (the request
 * body is UTF-8 JSON), so a session id in Greek or Japanese matches as typed. What could hide or break a line
 * (other control characters, line and paragraph separators, direction overrides, zero-width marks, lone
 * surrogates) is written as \uXXXX, which Kusto's parser reads back to the same character. No input can end
 * the literal, start a comment or a new statement.
 */
export function kqlString(value: string): string {
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    const ch = value[i]!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (code >= 0x20 && code < 0x7f) out += ch;
    else if (code >= 0xd800 && code <= 0xdbff && isLow(value.charCodeAt(i + 1))) {
      out += value.slice(i, i + 2); // a whole surrogate pair: an emoji, a CJK extension character
      i++;
    } else if (isInvisibleOrBreaking(code)) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

function isLow(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** Characters that do not show as themselves or that some reader may take for a line break. */
function isInvisibleOrBreaking(code: number): boolean {
  return (
    code < 0x20 ||
    (code >= 0x7f && code <= 0x9f) ||
    (code >= 0xd800 && code <= 0xdfff) || // a surrogate not part of a pair
    (code >= 0x2000 && code <= 0x200f) || // spaces of other widths, zero-width marks, LRM/RLM
    (code >= 0x2028 && code <= 0x202f) || // line/paragraph separators, bidi embeddings and overrides
    (code >= 0x2060 && code <= 0x206f) || // word joiner, invisible operators, bidi isolates
    code === 0x061c ||
    code === 0x00ad ||
    code === 0xfeff ||
    (code >= 0xfff0 && code <= 0xffff)
  );
}

/** A list of string literals for `in (...)`. */
function kqlStringList(values: readonly string[]): string {
  return values.map(kqlString).join(', ');
}

/** A custom dimension as a string: `tostring(customDimensions["gen_ai.system"])`. */
function dim(n: Names, key: string): string {
  return `tostring(${n.dims}[${kqlString(key)}])`;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HEX_ID = /^[0-9a-f]{16,32}$/i;

/** An operation id (trace id) as the exporter writes it: 32 hex characters (or a GUID from older SDKs). */
export function isOperationId(value: string): boolean {
  return HEX_ID.test(value) || GUID.test(value);
}

/** The dimensions that tell a GenAI span, whichever convention wrote it. */
function genAiPredicate(n: Names): string {
  const present = [
    GenAi.operationName,
    GenAi.system,
    GenAi.providerName,
    GenAi.requestModel,
    Traceloop.requestType,
    OpenInference.modelName,
  ].map((k) => `isnotempty(${dim(n, k)})`);
  return [
    ...present,
    `${dim(n, OpenInference.spanKind)} =~ "LLM"`,
    // The Python exporter writes "GenAI | <gen_ai.system>" as the dependency type.
    `${n.type} startswith "GenAI"`,
  ].join(' or ');
}

/** Dimensions kept in list rows: what the tree and Find by Session need, never message content. */
export const SUMMARY_KEYS: readonly string[] = [
  GenAi.operationName,
  GenAi.system,
  GenAi.providerName,
  GenAi.requestModel,
  GenAi.responseModel,
  GenAi.responseFinishReasons,
  GenAi.agentName,
  GenAi.toolName,
  ...UsageKeys.input,
  ...UsageKeys.output,
  ...UsageKeys.total,
  ...UsageKeys.cachedInput,
  ...UsageKeys.reasoning,
  Traceloop.requestType,
  Traceloop.spanKind,
  OpenInference.spanKind,
  OpenInference.modelName,
  OpenInference.provider,
  OpenInference.system,
  'error.type',
  ...SessionKeys,
  ...UserKeys,
];

/** How much of the end of the input messages a list row carries, to show what the turn asked. */
export const QUESTION_TAIL_CHARS = 1500;

/**
 * Where a page of the list ends (newest first): the next page holds rows older than the millisecond of
 * `timeIso`, and the rows within that millisecond that the pages so far did not show (`idsAtTime` lists
 * the ones they did). Milliseconds, because the client hands datetimes back as Date: the service keeps
 * 100 ns, so rows a fraction of a millisecond apart would otherwise fall between two pages.
 */
export interface ListCursor {
  timeIso: string;
  idsAtTime: string[];
}

/**
 * Recent LLM calls, newest first: one row per GenAI dependency, with the summary dimensions and the tail of
 * its input messages (for the question), never the whole content. Pages on with `after`.
 *
 * Columns: callTime, id, operationId, parentId, name, type, durationMs, success, resultCode, role, session,
 * user, dims (a bag of SUMMARY_KEYS), inputTail.
 */
export function recentCallsQuery(schema: AppInsightsSchema, limit: number, after?: ListCursor): string {
  const n = SCHEMA_NAMES[schema];
  const lines = [`${n.dependencies}`, `| where ${genAiPredicate(n)}`];
  if (after) {
    const t = `datetime(${toMillisecond(validIsoTime(after.timeIso))})`;
    const seen = after.idsAtTime.length ? ` and ${n.id} !in (${kqlStringList(after.idsAtTime)})` : '';
    lines.push(`| where ${n.time} < ${t} or (${n.time} < ${t} + 1ms${seen})`);
  }
  lines.push(
    `| order by ${n.time} desc, ${n.id} desc`,
    `| take ${boundedInt(limit, 1, 1000)}`,
    ...summaryProjection(n),
  );
  return lines.join('\n');
}

function summaryProjection(n: Names): string[] {
  const packed = SUMMARY_KEYS.map((k) => `${kqlString(k)}, ${n.dims}[${kqlString(k)}]`).join(', ');
  const input = `tostring(${n.dims}[${kqlString(GenAi.inputMessages)}])`;
  const openInferenceInput = `tostring(${n.dims}[${kqlString(OpenInference.inputValue)}])`;
  return [
    `| extend inputText = iff(isnotempty(${input}), ${input}, ${openInferenceInput})`,
    `| project callTime = ${n.time}, id = ${n.id}, operationId = ${n.operationId}, parentId = ${n.parentId},`,
    `    name = ${n.name}, type = ${n.type}, durationMs = todouble(${n.duration}), success = ${n.success},`,
    `    resultCode = ${n.resultCode}, role = ${n.role}, session = ${n.session}, user = ${n.user},`,
    `    dims = bag_pack(${packed}),`,
    `    inputTail = substring(inputText, max_of(0, strlen(inputText) - ${QUESTION_TAIL_CHARS}))`,
  ];
}

/**
 * The operations (traces) of one session or one user, oldest first: the id is matched on the column the
 * exporter moves session.id / enduser.id into, and on every dimension that names a session or user (the
 * configured ones first). One row per operation with its first time.
 */
export function operationsOfQuery(
  schema: AppInsightsSchema,
  kind: PersonKind,
  id: string,
  extraKeys: readonly string[],
  limit: number,
): string {
  const n = SCHEMA_NAMES[schema];
  const keys = [...new Set([...extraKeys, ...(kind === 'session' ? SessionKeys : UserKeys)])];
  const column = kind === 'session' ? n.session : n.user;
  const value = kqlString(id);
  const match = [`${column} == ${value}`, ...keys.map((k) => `${dim(n, k)} == ${value}`)].join(' or ');
  return [
    `union ${n.dependencies}, ${n.requests}`,
    `| where ${match}`,
    `| summarize firstTime = min(${n.time}), calls = countif(${genAiPredicate(n)}) by operationId = ${n.operationId}`,
    `| order by firstTime asc`,
    `| take ${boundedInt(limit, 1, 500)}`,
  ].join('\n');
}

/**
 * Every row of the given operations: requests and dependencies (spans), traces (log records), exceptions.
 * `table` says which table a row came from; the mapping reads each row by its own table's column names.
 */
export function operationRowsQuery(
  schema: AppInsightsSchema,
  operationIds: readonly string[],
  limit: number,
): string {
  const n = SCHEMA_NAMES[schema];
  const ids = validOperationIds(operationIds);
  return [
    `union withsource = table ${n.requests}, ${n.dependencies}, ${n.traces}, ${n.exceptions}`,
    `| where ${n.operationId} in~ (${kqlStringList(ids)})`,
    `| order by ${n.time} asc`,
    `| take ${boundedInt(limit, 1, 20000)}`,
  ].join('\n');
}

/**
 * Message content that newer workspaces keep apart from the spans (AppGenAIContent), for the given
 * operations. `union isfuzzy=true` with an empty table of the same key keeps the query valid, and its answer
 * empty, where the workspace has no such table. The columns are not a published list: every column comes
 * back and the mapping reads the ones it knows.
 */
export function genAiContentQuery(operationIds: readonly string[], limit: number): string {
  const ids = validOperationIds(operationIds);
  return [
    `union isfuzzy=true (datatable(OperationId: string, ParentSpanId: string) []), AppGenAIContent`,
    `| where OperationId in~ (${kqlStringList(ids)})`,
    `| take ${boundedInt(limit, 1, 20000)}`,
  ].join('\n');
}

/** The schema of AppGenAIContent, to learn which columns a workspace has. */
export function genAiContentSchemaQuery(): string {
  return 'AppGenAIContent | getschema | project ColumnName, ColumnType';
}

function validOperationIds(ids: readonly string[]): string[] {
  const bad = ids.find((id) => !isOperationId(id));
  if (bad !== undefined) throw new RangeError(`not an operation id: ${JSON.stringify(bad.slice(0, 80))}`);
  if (ids.length === 0) throw new RangeError('no operation ids');
  return [...new Set(ids.map((id) => id.toLowerCase()))];
}

function validIsoTime(iso: string): string {
  // Date.parse rolls 2026-02-30 over to March (and 24:00 to the next day): a real time reads back the same.
  const ms = Date.parse(iso);
  const real = !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 19) === iso.slice(0, 19);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?Z$/.test(iso) || !real) {
    throw new RangeError(`not an ISO time: ${JSON.stringify(iso.slice(0, 40))}`);
  }
  return iso;
}

/** The time cut to its millisecond (the precision of a Date). */
function toMillisecond(iso: string): string {
  return iso.replace(/(\.\d{3})\d+Z$/, '$1Z');
}

function boundedInt(n: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.trunc(Number.isFinite(n) ? n : min)));
}

/** The window of a summary query: calls that start within it, in buckets of bucketMs (whole seconds). */
export interface SummaryQueryWindow {
  fromMs: number;
  toMs: number;
  bucketMs: number;
}

/** Rows a summary query returns at most: the groups of three dimensions, the buckets, per model. */
export const SUMMARY_QUERY_ROWS = 20_000;

/** The first non-empty of several dimensions, as a number (0 when none has one). */
function dimNumber(n: Names, keys: readonly string[]): string {
  return `coalesce(${keys.map((k) => `todouble(${n.dims}[${kqlString(k)}])`).join(', ')}, 0.0)`;
}

/**
 * The Summary view's figures, added up by Kusto rather than by downloading rows: per model, service
 * (cloud role), user and time bucket (binFromEpoch), and in all. Two parts, told by `part`:
 * - `latency`: calls, errors and the call duration's percentiles 50, 95 and 99 per `dimension` and `key`;
 * - `tokens`: calls, calls with tokens and the token sums per `dimension`, `key` and `model`, so the host
 *   can price each model's tokens with its own table (a price is linear in tokens, so pricing the sum is
 *   pricing each call) and add the dollars up per key.
 * `dimension` is model, service, user, bucket or total; a bucket's key is its start as a datetime.
 *
 * Columns: part, dimension, key, model, calls, errors, p50, p95, p99, tokenCalls, inputTokens,
 * outputTokens, cachedInputTokens, cacheWriteTokens, reasoningTokens.
 */
export function summaryQuery(
  schema: AppInsightsSchema,
  window: SummaryQueryWindow,
  userKeys: readonly string[] = [],
): string {
  const n = SCHEMA_NAMES[schema];
  const { from, to, bucket } = windowLiterals(window);
  const model = [GenAi.responseModel, GenAi.requestModel, OpenInference.modelName]
    .map((k) => dim(n, k))
    .join(', ');
  const users = [...userKeys, ...UserKeys].map((k) => dim(n, k)).join(', ');
  const notCalls = [...Operations.tool, ...Operations.agent];
  const evaluation = kqlString(GenAiEvents.evaluationResult);
  const calls = [
    // The exporter sends a span event other than an exception as a traces row named by the event and
    // parented to its span; a log record event carries its name in the dimensions. As the normalizer does,
    // an event without a response id counts on the call it is parented to, and one with a response id on
    // the calls of its operation that gave that response (an evaluator's own span names its call so).
    `let evaluations = materialize(${n.traces}`,
    `| where ${n.time} between (${from} .. ${to})`,
    `| where ${n.message} == ${evaluation} or ${dim(n, EVENT_NAME_ATTRIBUTE)} == ${evaluation}`,
    `| where isnotempty(${dim(n, Evaluation.name)})`,
    `| project parent = ${n.parentId}, op = ${n.operationId}, responseId = ${dim(n, Evaluation.responseId)});`,
    `let byParent = evaluations | where isempty(responseId)`,
    `| summarize parentEvaluations = count() by parent;`,
    `let byResponse = evaluations | where isnotempty(responseId)`,
    `| summarize responseEvaluations = count() by op, responseId;`,
    `let calls = materialize(${n.dependencies}`,
    `| where ${n.time} between (${from} .. ${to})`,
    `| where ${genAiPredicate(n)}`,
    // Agent and tool spans carry GenAI dimensions too, but are not calls of a model (as the normalizer says).
    `| where ${dim(n, GenAi.operationName)} !in~ (${kqlStringList(notCalls)})`,
    `| where isempty(${dim(n, OpenInference.spanKind)}) or ${dim(n, OpenInference.spanKind)} in~ ("LLM", "EMBEDDING")`,
    `| project t = ${n.time}, dur = todouble(${n.duration}),`,
    `    model = coalesce(${model}), service = ${n.role}, user = coalesce(${n.user}, ${users}),`,
    `    failed = ${n.success} == false or isnotempty(${dim(n, 'error.type')}),`,
    `    inTok = ${dimNumber(n, UsageKeys.input)}, outTok = ${dimNumber(n, UsageKeys.output)},`,
    `    cachedTok = ${dimNumber(n, UsageKeys.cachedInput)},`,
    `    writeTok = ${dimNumber(n, UsageKeys.cacheCreationInput)},`,
    `    reasoningTok = ${dimNumber(n, UsageKeys.reasoning)}, id = ${n.id},`,
    `    op = ${n.operationId}, responseId = ${dim(n, GenAi.responseId)}`,
    `| join kind=leftouter byParent on $left.id == $right.parent`,
    `| join kind=leftouter byResponse on op, responseId`,
    `| project t, dur, model, service, user, failed, inTok, outTok, cachedTok, writeTok, reasoningTok,`,
    `    evaluations = coalesce(parentEvaluations, long(0)) + coalesce(responseEvaluations, long(0))`,
    `| extend bucket = tostring(${binFromEpoch('t', bucket)}));`,
  ];
  const keys: [string, string][] = [
    ['model', 'model'],
    ['service', 'service'],
    ['user', 'user'],
    ['bucket', 'bucket'],
    ['total', '""'],
  ];
  const latency = keys.map(
    ([d, key]) =>
      `(calls | summarize calls = count(), errors = countif(failed), evaluations = sum(evaluations),` +
      ` p50 = percentile(dur, 50),` +
      ` p95 = percentile(dur, 95), p99 = percentile(dur, 99) by key = ${key}` +
      ` | extend part = "latency", dimension = "${d}", model = "")`,
  );
  const tokens = keys.map(
    ([d, key]) =>
      `(calls | summarize calls = count(), tokenCalls = countif(inTok + outTok > 0),` +
      ` inputTokens = sum(inTok), outputTokens = sum(outTok), cachedInputTokens = sum(cachedTok),` +
      ` cacheWriteTokens = sum(writeTok), reasoningTokens = sum(reasoningTok)` +
      ` by key = ${key}, model | extend part = "tokens", dimension = "${d}")`,
  );
  return [
    ...calls,
    `union ${[...latency, ...tokens].join(',\n  ')}`,
    `| project part, dimension, key, model, calls, errors, evaluations, p50, p95, p99, tokenCalls, inputTokens,`,
    `    outputTokens, cachedInputTokens, cacheWriteTokens, reasoningTokens`,
    `| take ${SUMMARY_QUERY_ROWS}`,
  ].join('\n');
}

/** The window's bounds and bucket as KQL literals: times within years 2000 to 2200, whole seconds. */
function windowLiterals(window: SummaryQueryWindow): { from: string; to: string; bucket: string } {
  return {
    from: `datetime(${new Date(boundedTime(window.fromMs)).toISOString()})`,
    to: `datetime(${new Date(boundedTime(window.toMs)).toISOString()})`,
    bucket: `${boundedInt(Math.round(window.bucketMs / 1000), 1, 366 * 86_400)}s`,
  };
}

/** MAX_METRIC_VALUE as a KQL real. */
const MAX_METRIC_VALUE_KQL = MAX_METRIC_VALUE.toExponential().replace('e+', 'e');

/**
 * A time's bucket counted from the Unix epoch, as the host's buckets are: Kusto's bin() counts from
 * 0001-01-01, whose weeks (and any bucket that does not divide a day) fall elsewhere.
 */
function binFromEpoch(time: string, bucket: string): string {
  return `bin_at(${time}, ${bucket}, datetime(1970-01-01))`;
}

/** Rows a metrics query returns at most: one per metric, token type, model, service, error, bucket. */
export const METRICS_QUERY_ROWS = 20_000;

/**
 * The app's own GenAI metrics (gen_ai.client.token.usage, gen_ai.client.operation.duration and their newer
 * names) over the window, added up by Kusto: the metric exporter sends each histogram point's sum and count
 * (not its buckets), which Application Insights keeps in customMetrics (valueSum, valueCount) or AppMetrics
 * (Sum, ItemCount), the point's attributes in the dimensions. One row per metric, token type, model (the
 * response model, else the request model), service (cloud role), error type and time bucket.
 *
 * Columns: metric, tokenType, model, service, errorType, bucket, values, total.
 */
export function metricsSummaryQuery(schema: AppInsightsSchema, window: SummaryQueryWindow): string {
  const n = SCHEMA_NAMES[schema];
  const { from, to, bucket } = windowLiterals(window);
  const tokenType = dim(n, GENAI_METRIC_KEYS.tokenType);
  return [
    n.metrics,
    `| where ${n.time} between (${from} .. ${to})`,
    `| where ${n.metricName} in (${kqlStringList(Object.values(GENAI_METRIC_NAMES))})`,
    // The token types the figures read; a point that cannot be a measurement is left out, not summed.
    `| where ${n.metricName} != ${kqlString(GENAI_METRIC_NAMES.tokenUsage)} or ${tokenType} in ("input", "output")`,
    `| where todouble(${n.metricSum}) between (0.0 .. ${MAX_METRIC_VALUE_KQL})` +
      ` and todouble(${n.metricCount}) between (0.0 .. ${MAX_METRIC_VALUE_KQL})`,
    `| summarize values = sum(todouble(${n.metricCount})), total = sum(todouble(${n.metricSum}))`,
    `    by metric = ${n.metricName}, tokenType = ${tokenType},`,
    `    model = coalesce(${dim(n, GENAI_METRIC_KEYS.responseModel)}, ${dim(n, GENAI_METRIC_KEYS.requestModel)}),`,
    `    service = ${n.role}, errorType = ${dim(n, GENAI_METRIC_KEYS.errorType)},`,
    `    bucket = ${binFromEpoch(n.time, bucket)}`,
    `| take ${METRICS_QUERY_ROWS}`,
  ].join('\n');
}

/** A time within years 2000 to 2200: anything else is a caller's mistake, not a query. */
function boundedTime(ms: number): number {
  return Math.min(7_258_118_400_000, Math.max(946_684_800_000, Math.floor(ms)));
}
