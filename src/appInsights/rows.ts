// Application Insights rows -> the source-neutral records every source produces (src/core/records.ts), so
// the store and the normalizer treat them like OTLP. This is where Application Insights' own shape is
// undone, and only here: the exporter turned spans into requests/dependencies rows and log records into
// traces rows, moved session.id and enduser.id out of the custom dimensions into columns, cut long values,
// and newer workspaces keep message content in AppGenAIContent. Pure: no vscode, no network.
//
// Decisions worth knowing:
// - Custom dimensions are kept as they are (strings): the normalizer reads ints from decimal strings and
//   arrays from JSON text, so nothing is converted here that it would read differently from OTLP.
// - A value cut by the exporter is recorded in SpanRecord.truncated / LogRecordData.truncatedBody and never
//   repaired: the exporter cuts any property at 8,192 UTF-8 bytes, the seven GenAI content keys at 262,144
//   (4 MiB with its experimental raised limit) and a log message at 32,768 characters. A property counts as
//   cut when its UTF-8 length is the limit or up to 3 bytes below it (the exporter does not split a
//   character); the captured fixtures show every cut exactly at the limit, as their text was ASCII there.
//   A value that merely happens to be that long is recorded too; the normalizer marks no message from it
//   when the value is JSON that still parses whole (JSON cut short does not).
// - AppGenAIContent rows are placed on their span by, in order: the `SpanId` column (in the published
//   table reference), `Id` when it names a span of the rows, then the published meaning of `ParentSpanId`
//   (the parent of the span the content belongs to: the GenAI child of that span, told apart by the kind
//   of content, the model and the nearest time when there are several), and last `ParentSpanId` as the span
//   itself (the way a trace row's ParentId names its own span). Content that fits none is left out.
// - Exception rows become an `exception` event on their span; rows whose span is not among the rows are
//   left out rather than given a made-up span.
// - The exporter sends a span event other than an exception as a traces row whose message is the event's
//   name, its attributes the dimensions, parented to its span, and nothing else says it was an event (a
//   log record event carries `event.name` instead). A row without `event.name` whose message is
//   `gen_ai.evaluation.result` becomes that span event again, as OTLP brings it; when its span is not
//   among the rows it stays a log record with that event name, joined to the span when it comes.
// - Nothing throws on a bad row: it is skipped and counted.

import { GenAi, GenAiEvents, OpenInference, Operations, Traceloop } from '../core/genai/keys';
import { parseJsonLenient } from '../core/genai/lenientJson';
import { contentParts, structuredParts } from '../core/genai/parts';
import { isPlainObject } from '../core/objects';
import {
  EVENT_NAME_ATTRIBUTE,
  SpanKind,
  StatusCode,
  type AttrValue,
  type Attributes,
  type InstrumentationScope,
  type LogRecordData,
  type SpanEventRecord,
  type SpanRecord,
  type TelemetryBatch,
  type Truncation,
} from '../core/records';
import type { QueryRow } from './client';
import { QUESTION_TAIL_CHARS, type AppInsightsSchema } from './kql';

/** What a mapping made of the rows, and what it had to leave out. */
export interface RowsMapping {
  batch: TelemetryBatch;
  /** Rows that could not be read (no operation id, no span id, no time, unknown table): left out. */
  skipped: number;
  /** Exception and GenAI content rows whose span is not among the rows: left out, no span made up. */
  unplaced: number;
}

/**
 * The Azure Monitor exporter's cuts (@azure/monitor-opentelemetry-exporter 1.0.0-beta.47, as captured in
 * test/fixtures/appinsights/manifest.json `limits`).
 */
export const EXPORTER_LIMITS = {
  propertyBytes: 8192,
  /**
   * The default, and the raised limit with APPLICATIONINSIGHTS_EXPERIMENTAL_FEATURES=
   * gen_ai_input_output_limit_increase ("4 MB": taken as 4 MiB, not seen in a capture).
   */
  genAIContentBytes: [262_144, 4_194_304] as readonly number[],
  messageChars: 32_768,
  genAIContentKeys: [
    GenAi.inputMessages,
    GenAi.outputMessages,
    GenAi.systemInstructions,
    GenAi.toolDefinitions,
    'gen_ai.tool.call.arguments',
    'gen_ai.tool.call.result',
    'gen_ai.evaluation.explanation',
  ] as readonly string[],
} as const;

/** The exporter does not split a character, so a cut value may end up to 3 bytes short of the limit. */
const CUT_SLACK_BYTES = 3;

const SCOPE_NAME = 'appInsights';
const SESSION_ID = 'session.id';
const ENDUSER_ID = 'enduser.id';
const HTTP_STATUS = 'http.response.status_code';
const LEGACY_HTTP_STATUS = 'http.status_code';
/** Where the exporter writes the instrumentation scope when it keeps it (OpenTelemetry's non-OTLP keys). */
const SCOPE_KEYS = {
  name: ['otel.scope.name', 'otel.library.name'],
  version: ['otel.scope.version', 'otel.library.version'],
};

type TableKind = 'request' | 'dependency' | 'trace' | 'exception';

/** The columns of one table family, by the names each schema gives them. */
interface Columns {
  time: string;
  id: string;
  name: string;
  operationId: string;
  parentId: string;
  dims: string;
  measurements: string;
  duration: string;
  success: string;
  resultCode: string;
  dependencyType: string;
  session: string;
  user: string;
  role: string;
  roleInstance: string;
  message: string;
  severity: string;
  exceptionType: string;
  outerType: string;
  outerMessage: string;
  innermostMessage: string;
  details: string;
  itemType: string;
}

const COLUMNS: Readonly<Record<AppInsightsSchema, Columns>> = {
  classic: {
    time: 'timestamp',
    id: 'id',
    name: 'name',
    operationId: 'operation_Id',
    parentId: 'operation_ParentId',
    dims: 'customDimensions',
    measurements: 'customMeasurements',
    duration: 'duration',
    success: 'success',
    resultCode: 'resultCode',
    dependencyType: 'type',
    session: 'session_Id',
    user: 'user_AuthenticatedId',
    role: 'cloud_RoleName',
    roleInstance: 'cloud_RoleInstance',
    message: 'message',
    severity: 'severityLevel',
    exceptionType: 'type',
    outerType: 'outerType',
    outerMessage: 'outerMessage',
    innermostMessage: 'innermostMessage',
    details: 'details',
    itemType: 'itemType',
  },
  workspace: {
    time: 'TimeGenerated',
    id: 'Id',
    name: 'Name',
    operationId: 'OperationId',
    parentId: 'ParentId',
    dims: 'Properties',
    measurements: 'Measurements',
    duration: 'DurationMs',
    success: 'Success',
    resultCode: 'ResultCode',
    dependencyType: 'DependencyType',
    session: 'SessionId',
    user: 'UserAuthenticatedId',
    role: 'AppRoleName',
    roleInstance: 'AppRoleInstance',
    message: 'Message',
    severity: 'SeverityLevel',
    exceptionType: 'ExceptionType',
    outerType: 'OuterType',
    outerMessage: 'OuterMessage',
    innermostMessage: 'InnermostMessage',
    details: 'Details',
    itemType: 'Type',
  },
};

const TABLES: Readonly<Record<string, { kind: TableKind; schema: AppInsightsSchema }>> = {
  requests: { kind: 'request', schema: 'classic' },
  dependencies: { kind: 'dependency', schema: 'classic' },
  traces: { kind: 'trace', schema: 'classic' },
  exceptions: { kind: 'exception', schema: 'classic' },
  apprequests: { kind: 'request', schema: 'workspace' },
  appdependencies: { kind: 'dependency', schema: 'workspace' },
  apptraces: { kind: 'trace', schema: 'workspace' },
  appexceptions: { kind: 'exception', schema: 'workspace' },
};

/** Classic `itemType` values, for rows that lack the `table` column. */
const ITEM_TYPES: Readonly<Record<string, TableKind>> = {
  request: 'request',
  dependency: 'dependency',
  trace: 'trace',
  exception: 'exception',
};

/** AppGenAIContent columns -> the span attributes they were taken from. */
const CONTENT_COLUMNS: readonly (readonly [string, string])[] = [
  ['InputMessages', GenAi.inputMessages],
  ['OutputMessages', GenAi.outputMessages],
  ['SystemInstructions', GenAi.systemInstructions],
  ['ToolDefinitions', GenAi.toolDefinitions],
  ['ToolCallArguments', 'gen_ai.tool.call.arguments'],
  ['ToolCallResult', 'gen_ai.tool.call.result'],
  ['EvaluationExplanation', 'gen_ai.evaluation.explanation'],
];

/** AppGenAIContent columns that fill a span attribute only where the span lacks it. */
const CONTENT_FACTS: readonly (readonly [string, string])[] = [
  ['ModelName', GenAi.requestModel],
  ['AgentName', GenAi.agentName],
  ['AgentId', 'gen_ai.agent.id'],
];

// ---------------------------------------------------------------------------------------------------
// Every row of some operations

/**
 * The rows of `operationRowsQuery` (requests, dependencies, traces and exceptions of some operations, each
 * with a `table` column) and, for workspaces that have it, the rows of `genAiContentQuery`, as records.
 * Spans come out in time order, log records in time order (rows at the same time keep the rows' order).
 */
export function operationRowsToBatch(
  schema: AppInsightsSchema,
  rows: readonly QueryRow[],
  genAiContent: readonly QueryRow[] = [],
): RowsMapping {
  let skipped = 0;
  let unplaced = 0;
  const spans: { record: SpanRecord; startNs: bigint; order: number }[] = [];
  const logs: { record: LogRecordData; timeNs: bigint; order: number }[] = [];
  const exceptions: { traceId: string; spanId: string | undefined; event: SpanEventRecord }[] = [];
  const spanEvents: { record: LogRecordData; timeNs: bigint; order: number }[] = [];
  rows.forEach((row, order) => {
    const read = safe(() => readRow(schema, row), undefined);
    if (!read) {
      skipped++;
      return;
    }
    if (read.kind === 'span') spans.push({ record: read.record, startNs: read.startNs, order });
    else if (read.kind === 'log')
      (read.spanEvent ? spanEvents : logs).push({ record: read.record, timeNs: read.timeNs, order });
    else exceptions.push(read);
  });

  const byId = new Map<string, SpanRecord[]>();
  for (const { record } of spans) push(byId, record.spanId, record);
  const find = (traceId: string, spanId: string): SpanRecord | undefined =>
    byId.get(spanId)?.find((s) => s.traceId === traceId);

  for (const e of exceptions) {
    const span = e.spanId ? find(e.traceId, e.spanId) : undefined;
    if (span) span.events.push(e.event);
    else unplaced++;
  }
  for (const e of spanEvents) {
    const span = e.record.spanId && e.record.traceId ? find(e.record.traceId, e.record.spanId) : undefined;
    if (span) span.events.push(spanEventOf(e.record));
    else logs.push(e);
  }

  if (genAiContent.length) {
    const byParent = new Map<string, SpanRecord[]>();
    for (const { record } of spans) if (record.parentSpanId) push(byParent, record.parentSpanId, record);
    const filled = new Set<SpanRecord>();
    for (const row of genAiContent) {
      const placed = safe(() => placeContent(row, byId, byParent, filled), 'bad' as const);
      if (placed === 'bad') skipped++;
      else if (!placed) unplaced++;
    }
  }

  spans.sort((a, b) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : a.order - b.order));
  logs.sort((a, b) => (a.timeNs < b.timeNs ? -1 : a.timeNs > b.timeNs ? 1 : a.order - b.order));
  for (const { record } of spans) record.events.sort((a, b) => compareNs(a.timeUnixNano, b.timeUnixNano));
  return {
    batch: { spans: spans.map((s) => s.record), logs: logs.map((l) => l.record) },
    skipped,
    unplaced,
  };
}

type ReadRow =
  | { kind: 'span'; record: SpanRecord; startNs: bigint }
  | { kind: 'log'; record: LogRecordData; timeNs: bigint; spanEvent: boolean }
  | { kind: 'exception'; traceId: string; spanId: string | undefined; event: SpanEventRecord };

function readRow(schema: AppInsightsSchema, row: QueryRow): ReadRow | undefined {
  if (!isPlainObject(row)) return undefined;
  const table = tableOf(schema, row);
  if (!table) return undefined;
  const c = COLUMNS[table.schema];
  const traceId = idOf(row[c.operationId]);
  if (!traceId) return undefined;
  const timeNs = readTimeNs(row[c.time]);
  if (timeNs === undefined) return undefined;
  const dims = readBag(row[c.dims]);
  const parent = idOf(row[c.parentId]);
  switch (table.kind) {
    case 'request':
    case 'dependency': {
      const spanId = idOf(row[c.id]);
      if (!spanId) return undefined;
      const record = spanRecord({
        traceId,
        spanId,
        parent,
        name: text(row[c.name]),
        kind:
          table.kind === 'request'
            ? SpanKind.Server
            : text(row[c.dependencyType])?.toLowerCase() === 'inproc'
              ? SpanKind.Internal
              : SpanKind.Client,
        startNs: timeNs,
        durationNs: readDurationNs(row[c.duration]),
        dims,
        success: readBool(row[c.success]),
        resultCode: text(row[c.resultCode]),
        session: text(row[c.session]),
        user: text(row[c.user]),
        role: text(row[c.role]),
        roleInstance: text(row[c.roleInstance]),
        isRequest: table.kind === 'request',
      });
      addMeasurements(record.attributes, readBag(row[c.measurements]));
      return { kind: 'span', record, startNs: timeNs };
    }
    case 'trace': {
      const record = logRecord(row, c, traceId, parent, timeNs, dims);
      return { kind: 'log', record, timeNs, spanEvent: isSpanEventRow(record, dims) };
    }
    case 'exception':
      // Not on a span of its own: the event goes on the span the row names, or nowhere.
      return {
        kind: 'exception',
        traceId,
        spanId: parent && parent !== traceId ? parent : undefined,
        event: exceptionEvent(row, c, timeNs),
      };
  }
}

function tableOf(
  schema: AppInsightsSchema,
  row: Record<string, unknown>,
): { kind: TableKind; schema: AppInsightsSchema } | undefined {
  const table = text(row.table);
  if (table) return TABLES[table.toLowerCase()];
  // Without the union's `table` column: classic rows name their kind in itemType, workspace rows in Type.
  const type = text(row[COLUMNS[schema].itemType])?.toLowerCase();
  if (!type) return undefined;
  if (schema === 'workspace') return TABLES[type];
  const kind = ITEM_TYPES[type];
  return kind ? { kind, schema } : undefined;
}

interface SpanFacts {
  traceId: string;
  spanId: string;
  parent: string | undefined;
  name: string | undefined;
  kind: number;
  startNs: bigint;
  durationNs: bigint;
  dims: Record<string, unknown>;
  success: boolean | undefined;
  resultCode: string | undefined;
  session: string | undefined;
  user: string | undefined;
  role: string | undefined;
  roleInstance: string | undefined;
  isRequest: boolean;
}

/** One span from a requests/dependencies row or a list row: the parts both share. */
function spanRecord(f: SpanFacts): SpanRecord {
  const { attributes, truncated } = readAttributes(f.dims);
  // The exporter moved these two out of the dimensions; put them back where the conventions have them.
  if (f.session && attributes[SESSION_ID] === undefined) attributes[SESSION_ID] = f.session;
  if (f.user && attributes[ENDUSER_ID] === undefined) attributes[ENDUSER_ID] = f.user;
  if (
    f.isRequest &&
    f.resultCode &&
    /^\d{3}$/.test(f.resultCode) &&
    attributes[HTTP_STATUS] === undefined &&
    attributes[LEGACY_HTTP_STATUS] === undefined
  )
    attributes[HTTP_STATUS] = Number(f.resultCode);
  const status: SpanRecord['status'] = { code: f.success === false ? StatusCode.Error : StatusCode.Unset };
  // "0" is what the exporter writes for every span that had no result code: it says nothing.
  if (f.success === false && f.resultCode && f.resultCode !== '0')
    status.message = `result code ${f.resultCode}`;
  const resource: Attributes = {};
  if (f.role) resource['service.name'] = f.role;
  if (f.roleInstance) resource['service.instance.id'] = f.roleInstance;
  const record: SpanRecord = {
    traceId: f.traceId,
    spanId: f.spanId,
    name: f.name ?? '',
    kind: f.kind,
    startTimeUnixNano: f.startNs.toString(),
    endTimeUnixNano: (f.startNs + f.durationNs).toString(),
    attributes,
    events: [],
    links: [],
    status,
    resource,
    scope: scopeOf(attributes),
  };
  if (f.parent && f.parent !== f.traceId) record.parentSpanId = f.parent;
  if (truncated) record.truncated = truncated;
  return record;
}

function logRecord(
  row: Record<string, unknown>,
  c: Columns,
  traceId: string,
  parent: string | undefined,
  timeNs: bigint,
  dims: Record<string, unknown>,
): LogRecordData {
  const { attributes, truncated } = readAttributes(dims);
  const resource: Attributes = {};
  const role = text(row[c.role]);
  const instance = text(row[c.roleInstance]);
  if (role) resource['service.name'] = role;
  if (instance) resource['service.instance.id'] = instance;
  const record: LogRecordData = {
    timeUnixNano: timeNs.toString(),
    attributes,
    traceId,
    resource,
    scope: scopeOf(attributes),
  };
  // The row's parent is the span the record was emitted in; a record outside any span has the operation.
  if (parent && parent !== traceId) record.spanId = parent;
  const severity = severityOf(row[c.severity]);
  if (severity) {
    record.severityNumber = severity.number;
    record.severityText = severity.text;
  }
  const message = row[c.message];
  if (typeof message === 'string') {
    record.body = bodyOf(message);
    if (message.length === EXPORTER_LIMITS.messageChars)
      record.truncatedBody = { limit: EXPORTER_LIMITS.messageChars, unit: 'characters' };
  }
  const eventName = text(attributes[EVENT_NAME_ATTRIBUTE]) ?? spanEventName(message, dims);
  if (eventName) record.eventName = eventName;
  if (truncated) record.truncated = truncated;
  return record;
}

/** Span events the exporter sent as traces rows that are read back as events (see the header). */
const SPAN_EVENT_NAMES: readonly string[] = [GenAiEvents.evaluationResult];

/** The event a traces row was sent for, when it is one of SPAN_EVENT_NAMES sent as a span event. */
function spanEventName(message: unknown, dims: Record<string, unknown>): string | undefined {
  if (typeof message !== 'string' || dims[EVENT_NAME_ATTRIBUTE] !== undefined) return undefined;
  const name = message.trim();
  return SPAN_EVENT_NAMES.includes(name) ? name : undefined;
}

function isSpanEventRow(record: LogRecordData, dims: Record<string, unknown>): boolean {
  return record.eventName !== undefined && dims[EVENT_NAME_ATTRIBUTE] === undefined;
}

/** A traces row made from a span event, as that span event again. */
function spanEventOf(record: LogRecordData): SpanEventRecord {
  return { name: record.eventName ?? '', timeUnixNano: record.timeUnixNano, attributes: record.attributes };
}

/**
 * The exporter JSON-serialises a structured log body into `message` (the OpenAI instrumentation's
 * `{"content":...}`); it is parsed back when it is a whole JSON object or array. Anything else, a cut
 * JSON text included, stays the text it is, for the normalizer's lenient reader.
 */
function bodyOf(message: string): AttrValue {
  const t = message.trimStart();
  if (!t.startsWith('{') && !t.startsWith('[')) return message;
  try {
    return attrValue(JSON.parse(message)) ?? message;
  } catch {
    return message;
  }
}

const SEVERITIES: readonly { number: number; text: string }[] = [
  { number: 5, text: 'Verbose' }, // DEBUG
  { number: 9, text: 'Information' }, // INFO
  { number: 13, text: 'Warning' }, // WARN
  { number: 17, text: 'Error' }, // ERROR
  { number: 21, text: 'Critical' }, // FATAL
];

function severityOf(v: unknown): { number: number; text: string } | undefined {
  if (typeof v === 'string') {
    const byName = SEVERITIES.find((s) => s.text.toLowerCase() === v.trim().toLowerCase());
    if (byName) return byName;
  }
  const n = readNumber(v);
  return n !== undefined && Number.isInteger(n) ? SEVERITIES[n] : undefined;
}

function exceptionEvent(row: Record<string, unknown>, c: Columns, timeNs: bigint): SpanEventRecord {
  const details = readList(row[c.details]);
  const first = details.find(isPlainObject);
  const attributes: Attributes = {};
  const type = text(row[c.exceptionType]) ?? text(row[c.outerType]) ?? text(first?.type);
  if (type) attributes['exception.type'] = type;
  const message =
    text(row[c.message]) ??
    text(row[c.outerMessage]) ??
    text(first?.message) ??
    text(row[c.innermostMessage]);
  if (message) attributes['exception.message'] = message;
  const stack = stackOf(first);
  if (stack) attributes['exception.stacktrace'] = stack;
  return { name: 'exception', timeUnixNano: timeNs.toString(), attributes };
}

/** The stack as the exporter sent it (rawStack), else the parsed frames one per line. */
function stackOf(detail: Record<string, unknown> | undefined): string | undefined {
  if (!detail) return undefined;
  const raw = text(detail.rawStack) ?? text(detail.stack);
  if (raw) return raw;
  const frames = readList(detail.parsedStack).filter(isPlainObject);
  if (!frames.length) return undefined;
  return frames
    .map((f) => {
      const where = [text(f.fileName), text(f.line)].filter(Boolean).join(':');
      const method = text(f.method) ?? text(f.assembly) ?? '?';
      return where ? `    at ${method} (${where})` : `    at ${method}`;
    })
    .join('\n');
}

function addMeasurements(attributes: Attributes, measurements: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(measurements)) {
    const n = readNumber(v);
    if (n !== undefined && attributes[k] === undefined) attributes[k] = n;
  }
}

// ---------------------------------------------------------------------------------------------------
// AppGenAIContent

function placeContent(
  row: QueryRow,
  byId: ReadonlyMap<string, SpanRecord[]>,
  byParent: ReadonlyMap<string, SpanRecord[]>,
  filled: Set<SpanRecord>,
): boolean | 'bad' {
  if (!isPlainObject(row)) return 'bad';
  const traceId = idOf(row.OperationId);
  const inTrace = (s: SpanRecord): boolean => !traceId || s.traceId === traceId;
  const content: [string, string][] = [];
  for (const [column, key] of CONTENT_COLUMNS) {
    const value = contentText(row[column]);
    if (value !== undefined) content.push([key, value]);
  }
  const extra = readBag(row.Attributes);
  let span: SpanRecord | undefined;
  for (const column of ['SpanId', 'Id']) {
    const id = idOf(row[column]);
    span = id ? byId.get(id)?.find(inTrace) : undefined;
    if (span) break;
  }
  const parentId = idOf(row.ParentSpanId);
  if (!span && parentId) {
    span = childFor(row, content, (byParent.get(parentId) ?? []).filter(inTrace), filled);
    if (!span) {
      const self = byId.get(parentId)?.find(inTrace);
      if (self && isGenAiSpan(self)) span = self;
    }
  }
  if (!span) return false;
  filled.add(span);
  for (const [key, value] of content) {
    // The span row keeps at most a pointer where the content was: the content row's value replaces it.
    span.attributes[key] = value;
    const cut = cutOf(key, value);
    if (cut) (span.truncated ??= {})[key] = cut;
    else if (span.truncated) delete span.truncated[key];
  }
  for (const [k, v] of Object.entries(extra)) {
    const value = attrValue(v);
    if (value !== undefined && span.attributes[k] === undefined) span.attributes[k] = value;
  }
  for (const [column, key] of CONTENT_FACTS) {
    const value = text(row[column]);
    if (value && span.attributes[key] === undefined) span.attributes[key] = value;
  }
  return true;
}

/** The GenAI child of the content row's parent span that the content belongs to, when one can tell. */
function childFor(
  row: Record<string, unknown>,
  content: readonly [string, string][],
  children: readonly SpanRecord[],
  filled: ReadonlySet<SpanRecord>,
): SpanRecord | undefined {
  let candidates = children.filter((s) => isGenAiSpan(s) && !filled.has(s));
  if (candidates.length > 1) {
    // Tool-call content belongs to a tool span, messages to a model (or agent) call.
    const toolContent = content.length > 0 && content.every(([k]) => k.startsWith('gen_ai.tool.call.'));
    const byKind = candidates.filter((s) => isToolSpan(s) === toolContent);
    if (byKind.length) candidates = byKind;
  }
  const model = text(row.ModelName);
  if (candidates.length > 1 && model) {
    const byModel = candidates.filter(
      (s) => s.attributes[GenAi.requestModel] === model || s.attributes[GenAi.responseModel] === model,
    );
    if (byModel.length) candidates = byModel;
  }
  if (candidates.length <= 1) return candidates[0];
  const time = readTimeNs(row.TimeGenerated);
  if (time === undefined) return undefined;
  const distance = (s: SpanRecord): bigint => {
    const d = BigInt(s.startTimeUnixNano) - time;
    return d < 0n ? -d : d;
  };
  const sorted = [...candidates].sort((a, b) => compareBig(distance(a), distance(b)));
  // Two spans equally near: nothing says which, and content on the wrong call is worse than none.
  return distance(sorted[0]!) === distance(sorted[1]!) ? undefined : sorted[0];
}

function isGenAiSpan(s: SpanRecord): boolean {
  const a = s.attributes;
  return (
    a[GenAi.operationName] !== undefined ||
    a[GenAi.system] !== undefined ||
    a[GenAi.providerName] !== undefined ||
    a[GenAi.requestModel] !== undefined ||
    a[Traceloop.requestType] !== undefined ||
    a[OpenInference.spanKind] !== undefined
  );
}

function isToolSpan(s: SpanRecord): boolean {
  const op = text(s.attributes[GenAi.operationName])?.toLowerCase();
  return (
    (op !== undefined && (Operations.tool as readonly string[]).includes(op)) ||
    text(s.attributes[OpenInference.spanKind])?.toUpperCase() === 'TOOL' ||
    text(s.attributes[Traceloop.spanKind])?.toLowerCase() === 'tool'
  );
}

/** A content cell as the JSON text the span attribute held: strings as they are, parsed dynamics again. */
function contentText(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v.length ? v : undefined;
  try {
    return JSON.stringify(v);
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------
// Recent LLM calls (list rows)

/**
 * The rows of `recentCallsQuery` as spans, so the store and the tree can summarise each trace (model,
 * tokens, session, user, status, the question) before its full rows are fetched. The summary dimensions
 * become the attributes; the question is recovered from the input's tail (see lastUserMessageText) and
 * written as a one-message `gen_ai.input.messages`. The list's columns are the same in both schemas.
 */
export function recentCallRowsToBatch(_schema: AppInsightsSchema, rows: readonly QueryRow[]): RowsMapping {
  let skipped = 0;
  const spans: { record: SpanRecord; startNs: bigint; order: number }[] = [];
  rows.forEach((row, order) => {
    const record = safe(() => listRow(row), undefined);
    if (record) spans.push({ record, startNs: BigInt(record.startTimeUnixNano), order });
    else skipped++;
  });
  spans.sort((a, b) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : a.order - b.order));
  return { batch: { spans: spans.map((s) => s.record), logs: [] }, skipped, unplaced: 0 };
}

function listRow(row: QueryRow): SpanRecord | undefined {
  if (!isPlainObject(row)) return undefined;
  const traceId = idOf(row.operationId);
  const spanId = idOf(row.id);
  const startNs = readTimeNs(row.callTime);
  if (!traceId || !spanId || startNs === undefined) return undefined;
  const record = spanRecord({
    traceId,
    spanId,
    parent: idOf(row.parentId),
    name: text(row.name),
    kind: text(row.type)?.toLowerCase() === 'inproc' ? SpanKind.Internal : SpanKind.Client,
    startNs,
    durationNs: readDurationNs(row.durationMs),
    dims: readBag(row.dims),
    success: readBool(row.success),
    resultCode: text(row.resultCode),
    session: text(row.session),
    user: text(row.user),
    role: text(row.role),
    roleInstance: undefined,
    isRequest: false,
  });
  const tail = typeof row.inputTail === 'string' ? row.inputTail : undefined;
  if (tail && record.attributes[GenAi.inputMessages] === undefined) {
    const question = lastUserMessageText(tail, tail.length < QUESTION_TAIL_CHARS);
    if (question) {
      record.attributes[GenAi.inputMessages] = JSON.stringify([
        { role: 'user', parts: question.map((content) => ({ type: 'text', content })) },
      ]);
    }
  }
  return record;
}

const USER_ROLE = /"role"\s*:\s*"user"/g;
/** How many `{` before the last user role are tried as the start of its message. */
const MAX_OPENINGS = 64;

/**
 * The text parts of the last user message in `tail`, the end of a JSON list of messages
 * (`gen_ai.input.messages`, a request body's `messages`), or the whole of a plain-text input when
 * `whole` says the tail is the entire value. Undefined when the message's start is not in the tail: only
 * text that is there is returned, never a guess.
 */
export function lastUserMessageText(tail: string, whole: boolean): string[] | undefined {
  let at = -1;
  for (const m of tail.matchAll(USER_ROLE)) at = m.index;
  if (at >= 0) {
    // The message object opens at one of the braces before its role; parsing from the nearest outward,
    // the first that reads as an object with that role is it (braces inside strings read as nothing).
    let tries = 0;
    for (let open = tail.lastIndexOf('{', at); open >= 0 && tries < MAX_OPENINGS; tries++) {
      const value = parseJsonLenient(tail.slice(open))?.value;
      // The object must reach the role found: an earlier user message, whole before it, is not the last.
      // (Written out again a value is never longer than its text, give or take whitespace and escapes.)
      if (
        isPlainObject(value) &&
        typeof value.role === 'string' &&
        value.role.toLowerCase() === 'user' &&
        JSON.stringify(value).length > at - open
      ) {
        const texts = (value.parts !== undefined ? structuredParts(value.parts) : contentParts(value.content))
          .map((p) => (p.type === 'text' ? p.text : ''))
          .filter((t) => t.trim().length > 0);
        return texts.length ? texts : undefined;
      }
      open = open > 0 ? tail.lastIndexOf('{', open - 1) : -1;
    }
    return undefined;
  }
  const t = tail.trim();
  if (!whole || !t || t.startsWith('{') || t.startsWith('[')) return undefined;
  return [tail];
}

// ---------------------------------------------------------------------------------------------------
// Cells, read defensively

function readAttributes(dims: Record<string, unknown>): {
  attributes: Attributes;
  truncated?: Record<string, Truncation>;
} {
  const attributes: Attributes = {};
  let truncated: Record<string, Truncation> | undefined;
  for (const [k, v] of Object.entries(dims)) {
    const value = attrValue(v);
    if (value === undefined) continue;
    attributes[k] = value;
    if (typeof value === 'string') {
      const cut = cutOf(k, value);
      if (cut) (truncated ??= {})[k] = cut;
    }
  }
  return truncated ? { attributes, truncated } : { attributes };
}

/** Where the exporter cut `value`, if its UTF-8 length sits at the limit for `key`. */
export function cutOf(key: string, value: string): Truncation | undefined {
  const limits = EXPORTER_LIMITS.genAIContentKeys.includes(key)
    ? EXPORTER_LIMITS.genAIContentBytes
    : [EXPORTER_LIMITS.propertyBytes];
  // UTF-8 takes 1 to 3 bytes per UTF-16 unit: most values are ruled out without counting.
  if (value.length * 3 < limits[0]! - CUT_SLACK_BYTES || value.length > limits[limits.length - 1]!)
    return undefined;
  const bytes = utf8Length(value);
  const limit = limits.find((l) => bytes <= l && bytes >= l - CUT_SLACK_BYTES);
  return limit === undefined ? undefined : { limit, unit: 'bytes' };
}

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d < 0xe000) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

function scopeOf(attributes: Attributes): InstrumentationScope {
  const name = SCOPE_KEYS.name.map((k) => text(attributes[k])).find(Boolean);
  if (!name) return { name: SCOPE_NAME };
  const version = SCOPE_KEYS.version.map((k) => text(attributes[k])).find(Boolean);
  return version ? { name, version } : { name };
}

/** A dynamic bag: already an object (the client parses dynamic cells), or its JSON text. */
function readBag(v: unknown): Record<string, unknown> {
  if (isPlainObject(v)) return v;
  if (typeof v === 'string' && v.trimStart().startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(v);
      if (isPlainObject(parsed)) return parsed;
    } catch {
      // not a bag
    }
  }
  return {};
}

function readList(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (typeof v === 'string' && v.trimStart().startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(v);
      if (Array.isArray(parsed)) return parsed;
    } catch {
      // not a list
    }
  }
  return [];
}

/** Cell values as attribute values; null and undefined are absent. */
function attrValue(v: unknown): AttrValue | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : v.toISOString();
  if (Array.isArray(v)) return v.map((x) => attrValue(x) ?? null);
  if (isPlainObject(v)) {
    const out: Record<string, AttrValue> = {};
    for (const [k, x] of Object.entries(v)) {
      const value = attrValue(x);
      if (value !== undefined) out[k] = value;
    }
    return out;
  }
  return String(v);
}

/** A non-empty trimmed string from a string or number cell. */
function text(v: unknown): string | undefined {
  if (typeof v === 'string') {
    const t = v.trim();
    return t.length ? t : undefined;
  }
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

function idOf(v: unknown): string | undefined {
  return text(v)?.toLowerCase();
}

function readBool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const t = v.trim().toLowerCase();
    if (t === 'true') return true;
    if (t === 'false') return false;
  }
  if (typeof v === 'number') return v !== 0;
  return undefined;
}

export function readNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

const ISO = /^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$/i;

/** Unix nanoseconds from a Date (what the client gives), an ISO text (keeping digits below ms) or ms. */
export function readTimeNs(v: unknown): bigint | undefined {
  if (v instanceof Date) {
    const ms = v.getTime();
    return Number.isFinite(ms) ? BigInt(ms) * 1_000_000n : undefined;
  }
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return undefined;
    const whole = Math.floor(v);
    return BigInt(whole) * 1_000_000n + BigInt(Math.round((v - whole) * 1e6));
  }
  if (typeof v !== 'string') return undefined;
  const m = ISO.exec(v.trim());
  if (!m) return undefined;
  const seconds = Date.parse(`${m[1]!.replace(' ', 'T')}${m[3] ?? 'Z'}`);
  if (!Number.isFinite(seconds)) return undefined;
  const fraction = (m[2] ?? '').slice(0, 9).padEnd(9, '0');
  return BigInt(seconds) * 1_000_000n + BigInt(fraction);
}

const TIMESPAN = /^(-)?(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;

/** A duration in ms (number or decimal text, as `duration`/`DurationMs` are) or a KQL timespan text. */
function readDurationNs(v: unknown): bigint {
  const ms = readNumber(v);
  if (ms !== undefined) return ms > 0 ? BigInt(Math.round(ms * 1e6)) : 0n;
  if (typeof v !== 'string') return 0n;
  const m = TIMESPAN.exec(v.trim());
  if (!m || m[1]) return 0n;
  const seconds = ((Number(m[2] ?? 0) * 24 + Number(m[3])) * 60 + Number(m[4])) * 60 + Number(m[5]);
  return BigInt(seconds) * 1_000_000_000n + BigInt((m[6] ?? '').padEnd(9, '0'));
}

function compareNs(a: string, b: string): number {
  return compareBig(BigInt(a), BigInt(b));
}

function compareBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function safe<T, F>(fn: () => T, fallback: F): T | F {
  try {
    return fn();
  } catch {
    return fallback;
  }
}
