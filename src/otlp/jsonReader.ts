// Reads an OTLP/JSON export request into records: the text, its nesting and size limits (counted before
// JSON.parse for a body large enough to exceed them), JSON.parse, then one walk from the parsed object to
// the records. OTLP/JSON writes lowerCamelCase keys, hex ids, int64s as strings and enums as numbers; the
// walk reads those first and still accepts what hand-made senders write (snake_case keys, base64 ids, enum
// names, numbers for int64s).

import type {
  AttrValue,
  Attributes,
  InstrumentationScope,
  LogRecordData,
  SpanEventRecord,
  SpanLinkRecord,
  SpanRecord,
} from '../core/records';
import { EVENT_NAME_ATTRIBUTE } from '../core/records';
import { endOfJsonString } from '../core/jsonText';
import { AttributeLists } from './attributeShapes';
import {
  AGGREGATION_TEMPORALITY_CUMULATIVE,
  AGGREGATION_TEMPORALITY_DELTA,
  genAiMetricFamily,
  genAiMetricPoint,
  type RawMetricPoint,
} from '../core/genaiMetrics';
import {
  HEX_PAIRS as SHARED_HEX_PAIRS,
  idProblem,
  ItemRejected,
  OtlpDecodeError,
  Rejections,
  tooDeepReason,
  type DecodedRequest,
  type DecodeLimits,
  type OtlpSignal,
  keptList,
  NO_EVENTS,
  NO_LINKS,
} from './decodeCommon';

export function readJsonRequest(signal: OtlpSignal, body: Uint8Array, lim: DecodeLimits): DecodedRequest {
  const text = bodyText(body);
  // A body this large could hold more objects than allowed: counted before JSON.parse builds them.
  // Smaller ones cannot, and V8 parses any depth without a deep stack.
  const countFirst = body.length > lim.maxElements * 2;
  if (countFirst) scanJson(text, lim);
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (err) {
    // A body too deep or too large says so, even when it is not JSON at all.
    if (!countFirst) scanJson(text, lim);
    if (text.trim() === '') throw new OtlpDecodeError('empty body (an OTLP/JSON request is at least {})');
    // V8's message quotes the body; only the position goes back to the sender and into the log.
    const at = /position (\d+)/.exec(err instanceof Error ? err.message : '');
    throw new OtlpDecodeError(
      at ? `body is not valid JSON (syntax error at character ${at[1]})` : 'body is not valid JSON',
    );
  }
  if (!isObject(root)) {
    if (!countFirst) scanJson(text, lim);
    throw new OtlpDecodeError('body is not a JSON object');
  }
  // The walk reads only what OTLP defines, and attribute values no deeper than lim.maxValueDepth: what
  // else a sender nested, however deep, is passed over unread, as protobuf skips a field it does not know.
  return readRequest(signal, root, lim);
}

/**
 * The body as text, as TextDecoder gives it (a leading BOM dropped, invalid sequences as U+FFFD) but at
 * the speed of Buffer's own UTF-8 decoding, which is several times faster here.
 */
function bodyText(body: Uint8Array): string {
  const b = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const bom = b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf;
  return b.toString('utf8', bom ? 3 : 0);
}

/**
 * Counts objects and arrays and their depth, skipping strings, before JSON.parse builds them: a few
 * megabytes of `[[[[` or `{},{},{}` would otherwise cost a deep stack or millions of objects. Only ASCII
 * characters matter and decoding keeps every one of them, so the text gives what the bytes would. Long
 * strings (message content) are crossed from quote to quote with indexOf.
 */
function scanJson(text: string, lim: DecodeLimits): void {
  const maxDepth = lim.maxNesting * 3;
  const maxElements = lim.maxElements * 2;
  const n = text.length;
  let depth = 0;
  let elements = 0;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c !== 0x22) {
      if (c === 0x7b || c === 0x5b) {
        if (++depth > maxDepth) throw new OtlpDecodeError(`JSON nested more than ${maxDepth} levels deep`);
        if (++elements > maxElements)
          throw new OtlpDecodeError(
            `too many items in one request (more than ${maxElements} objects and arrays)`,
          );
      } else if (c === 0x7d || c === 0x5d) {
        depth--;
      }
      i++;
      continue;
    }
    const close = endOfJsonString(text, i);
    if (close < 0) return; // unterminated: the rest is inside the string
    i = close + 1;
  }
}

// ---------------------------------------------------------------------------------------------------

type Obj = Record<string, unknown>;

// Module-local copies of what the hot loops use: a binding imported from another module costs a getter
// call per use where modules are not bundled (tsx, the tests and the bench).
const TRACE_ID_BYTES = 16;
const SPAN_ID_BYTES = 8;
const HEX_PAIRS: readonly string[] = SHARED_HEX_PAIRS.slice();

/** A JSON object (JSON.parse gives no byte arrays). */
function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A field under its lowerCamelCase name (OTLP/JSON) or its proto name (snake_case). */
function pick(o: Obj, camel: string, snake?: string): unknown {
  const v = o[camel];
  if (v !== undefined && v !== null) return v;
  return snake === undefined ? undefined : o[snake];
}

/** A repeated field; a value that is present but not a list is a structural error. */
function list(o: Obj, where: string, camel: string, snake: string): unknown[] {
  const v = pick(o, camel, snake);
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new OtlpDecodeError(`${where}${camel} is not an array`);
  return v;
}

function stringOrEmpty(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

interface LongLike {
  low: number;
  high: number;
  toString(): string;
  toNumber(): number;
}

/** An object shaped like a Long ({low, high}) is read as one, as protobufjs objects once were. */
function isLong(v: unknown): v is LongLike {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as LongLike).low === 'number' &&
    typeof (v as LongLike).high === 'number'
  );
}

function num(v: unknown): number {
  if (typeof v === 'number') return Number.isFinite(v) ? v : 0;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  if (isLong(v)) return v.toNumber();
  return 0;
}

const UINT64_DIGITS = /^\d{1,20}$/;

function allDigits(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** fixed64 nanoseconds as a decimal string: a double cannot hold them. */
function nanos(v: unknown): string {
  if (typeof v === 'string') {
    const s = v.trim();
    // The usual case, a canonical decimal of 19 digits, needs no BigInt round trip.
    if (s.length > 0 && s.length < 20 && s.charCodeAt(0) !== 0x30 && allDigits(s)) return s;
    return UINT64_DIGITS.test(s) ? BigInt(s).toString() : '0';
  }
  if (isLong(v)) return v.toString();
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return BigInt(Math.trunc(v)).toString();
  return '0';
}

/** int64 attribute values: a number when it fits a double exactly, else the decimal string. */
function int64(v: unknown): number | string {
  let s: string;
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : 0;
  if (typeof v === 'string' && /^\s*-?\d{1,20}\s*$/.test(v)) s = BigInt(v.trim()).toString();
  else if (isLong(v)) s = v.toString();
  else return 0;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : s;
}

/** An enum as its number, from a number, a numeric string, its full name or its short name. */
function enumValue(v: unknown, names: Readonly<Record<string, number>>, prefix: string): number {
  if (typeof v === 'number') return Number.isInteger(v) ? v : 0;
  if (typeof v === 'string') {
    const s = v.trim();
    if (/^\d+$/.test(s)) return Number(s);
    const upper = s.toUpperCase();
    return names[upper] ?? names[prefix + upper] ?? 0;
  }
  return 0;
}

const spanKindNames: Record<string, number> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
};
const statusCodeNames: Record<string, number> = {
  STATUS_CODE_UNSET: 0,
  STATUS_CODE_OK: 1,
  STATUS_CODE_ERROR: 2,
};
const severityNames: Record<string, number> = (() => {
  const names: Record<string, number> = { SEVERITY_NUMBER_UNSPECIFIED: 0 };
  ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'].forEach((level, i) => {
    names[`SEVERITY_NUMBER_${level}`] = i * 4 + 1;
    for (let k = 2; k <= 4; k++) names[`SEVERITY_NUMBER_${level}${k}`] = i * 4 + k;
  });
  return names;
})();

const HEX = /^[0-9a-fA-F]*$/;

function isLowerHex(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

type IdResult = { kind: 'empty' } | { kind: 'ok'; hex: string } | { kind: 'bad'; length: number };

const EMPTY_ID: IdResult = { kind: 'empty' };

function hexOf(bytes: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX_PAIRS[bytes[i]! & 0xff]!;
  return s;
}

/**
 * An id from a string: OTLP/JSON says hex, but some hand-made senders use the base64 of proto3's
 * standard JSON mapping; both are accepted when they give the right length. A list of byte values is
 * read as the bytes.
 */
function readId(v: unknown, size: number): IdResult {
  if (v === undefined || v === null) return EMPTY_ID;
  if (typeof v === 'string') {
    // The usual case first: exactly the hex OTLP/JSON writes, already trimmed and lowercase.
    if (v.length === size * 2 && isLowerHex(v)) return { kind: 'ok', hex: v };
    const s = v.trim();
    if (s === '') return EMPTY_ID;
    if (s.length === size * 2 && HEX.test(s)) return { kind: 'ok', hex: s.toLowerCase() };
    if (BASE64.test(s) && s.length <= Math.ceil(size / 3) * 4) {
      const bytes = Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
      if (bytes.length === size) return { kind: 'ok', hex: hexOf(bytes) };
    }
    return { kind: 'bad', length: HEX.test(s) ? s.length / 2 : -1 };
  }
  if (Array.isArray(v)) {
    const bytes = v as ArrayLike<number>;
    if (bytes.length === 0) return EMPTY_ID;
    if (bytes.length !== size) return { kind: 'bad', length: bytes.length };
    // An object among the bytes is no byte (read as a number, a nested one would recurse or throw).
    return hasObject(v) ? { kind: 'bad', length: -1 } : { kind: 'ok', hex: hexOf(bytes) };
  }
  return { kind: 'bad', length: -1 };
}

function hasObject(list: readonly unknown[]): boolean {
  for (let i = 0; i < list.length; i++) if (typeof list[i] === 'object' && list[i] !== null) return true;
  return false;
}

function isZeroHex(hex: string): boolean {
  for (let i = 0; i < hex.length; i++) if (hex.charCodeAt(i) !== 0x30) return false;
  return hex.length > 0;
}

function anyValue(v: unknown, depth: number, lim: DecodeLimits): AttrValue {
  if (!isObject(v)) return null;
  if (depth > lim.maxValueDepth) throw new ItemRejected(tooDeepReason(lim));
  let x = pick(v, 'stringValue', 'string_value');
  // A number or boolean sent as the string is its text; an object or array is none (String() of one can
  // recurse as deep as it nests, or throw).
  if (x !== undefined) return typeof x === 'string' ? x : typeof x === 'object' ? '' : String(x);
  x = pick(v, 'boolValue', 'bool_value');
  if (x !== undefined) return x === true || x === 'true';
  x = pick(v, 'intValue', 'int_value');
  if (x !== undefined) return int64(x);
  x = pick(v, 'doubleValue', 'double_value');
  if (x !== undefined) return typeof x === 'number' ? x : typeof x === 'string' ? Number(x) : null; // "NaN", "Infinity" in JSON
  x = pick(v, 'arrayValue', 'array_value');
  if (x !== undefined) {
    const values = isObject(x) ? x['values'] : undefined;
    if (!Array.isArray(values)) return [];
    // map() sizes the array once; one grown by pushes would keep room for 17 or more elements.
    return values.map((x) => anyValue(x, depth + 1, lim));
  }
  x = pick(v, 'kvlistValue', 'kvlist_value');
  if (x !== undefined) {
    const values = isObject(x) ? x['values'] : undefined;
    return Array.isArray(values) ? keyValues(values, depth + 1, lim) : {};
  }
  x = pick(v, 'bytesValue', 'bytes_value');
  if (x !== undefined)
    return typeof x === 'string' ? new Uint8Array(Buffer.from(x, 'base64')) : new Uint8Array(0);
  return null; // an empty AnyValue is allowed by the spec
}

/**
 * With `dropTooDeep`, a value nested too deep loses only its own key instead of rejecting the item. The
 * object is built by the keys' shape when they have one (see attributeShapes.ts).
 */
function keyValues(items: unknown, depth: number, lim: DecodeLimits, dropTooDeep = false): Attributes {
  if (!Array.isArray(items)) return {};
  const into = new AttributeLists();
  for (let i = 0; i < items.length; i++) {
    const kv: unknown = items[i];
    // An array has no "key" either, so it is skipped like any value that is not an object.
    if (typeof kv !== 'object' || kv === null) continue;
    const key = (kv as Obj)['key'];
    if (typeof key !== 'string') continue;
    if (!dropTooDeep) {
      into.add(key, anyValue((kv as Obj)['value'], depth, lim));
      continue;
    }
    try {
      into.add(key, anyValue((kv as Obj)['value'], depth, lim));
    } catch (err) {
      if (!(err instanceof ItemRejected)) throw err;
    }
  }
  return into.build();
}

function attributes(o: Obj, lim: DecodeLimits, dropTooDeep = false): Attributes {
  return keyValues(o['attributes'], 1, lim, dropTooDeep);
}

function scopeOf(o: unknown, lim: DecodeLimits): InstrumentationScope {
  if (!isObject(o)) return { name: '' };
  const scope: InstrumentationScope = { name: stringOrEmpty(o['name']) };
  const version = stringOrEmpty(o['version']);
  if (version) scope.version = version;
  const attrs = attributes(o, lim, true);
  if (Object.keys(attrs).length > 0) scope.attributes = attrs;
  return scope;
}

interface Names {
  resource: [string, string];
  scope: [string, string];
  legacyScope: [string, string];
  items: [string, string];
}

const TRACE_NAMES: Names = {
  resource: ['resourceSpans', 'resource_spans'],
  scope: ['scopeSpans', 'scope_spans'],
  legacyScope: ['instrumentationLibrarySpans', 'instrumentation_library_spans'],
  items: ['spans', 'spans'],
};
const LOG_NAMES: Names = {
  resource: ['resourceLogs', 'resource_logs'],
  scope: ['scopeLogs', 'scope_logs'],
  legacyScope: ['instrumentationLibraryLogs', 'instrumentation_library_logs'],
  items: ['logRecords', 'log_records'],
};
const METRIC_NAMES: Names = {
  resource: ['resourceMetrics', 'resource_metrics'],
  scope: ['scopeMetrics', 'scope_metrics'],
  legacyScope: ['instrumentationLibraryMetrics', 'instrumentation_library_metrics'],
  items: ['metrics', 'metrics'],
};

/**
 * Resource -> scope -> item lists, wherever they are: scope_spans, or the pre-1.0
 * instrumentation_library_spans with its instrumentation_library scope.
 */
function readRequest(signal: OtlpSignal, root: Obj, lim: DecodeLimits): DecodedRequest {
  const out: DecodedRequest = { spans: [], logs: [], metricCount: 0, rejected: 0 };
  const rejections = new Rejections();
  const names = signal === 'traces' ? TRACE_NAMES : signal === 'logs' ? LOG_NAMES : METRIC_NAMES;
  const resources = list(root, '', names.resource[0], names.resource[1]);
  for (let r = 0; r < resources.length; r++) {
    const rs = resources[r];
    if (!isObject(rs)) throw new OtlpDecodeError(`${names.resource[0]}[${r}] is not an object`);
    const res = rs['resource'];
    // Shared by every item under it; a resource value nested too deep must not reject all of them.
    const resource = isObject(res) ? attributes(res, lim, true) : {};
    const scopes = list(rs, `${names.resource[0]}[${r}].`, names.scope[0], names.scope[1]);
    const legacy = list(rs, `${names.resource[0]}[${r}].`, names.legacyScope[0], names.legacyScope[1]);
    const count = scopes.length + legacy.length;
    for (let s = 0; s < count; s++) {
      const ss = s < scopes.length ? scopes[s] : legacy[s - scopes.length];
      if (!isObject(ss))
        throw new OtlpDecodeError(`${names.resource[0]}[${r}].${names.scope[0]}[${s}] is not an object`);
      const scope = scopeOf(
        pick(ss, 'scope') ?? pick(ss, 'instrumentationLibrary', 'instrumentation_library'),
        lim,
      );
      const items = list(
        ss,
        `${names.resource[0]}[${r}].${names.scope[0]}[${s}].`,
        names.items[0],
        names.items[1],
      );
      if (signal === 'metrics') {
        out.metricCount += items.length;
        for (let i = 0; i < items.length; i++) metricInto(items[i], resource, scope, lim, out, rejections);
        continue;
      }
      for (let i = 0; i < items.length; i++) {
        try {
          if (signal === 'traces') out.spans.push(spanOf(items[i], resource, scope, lim));
          else out.logs.push(logOf(items[i], resource, scope, lim));
        } catch (err) {
          if (!(err instanceof ItemRejected)) throw err;
          rejections.add(err.message);
        }
      }
    }
  }
  out.rejected = rejections.count;
  if (rejections.first !== undefined) out.rejectReason = rejections.first;
  return out;
}

const temporalityNames: Record<string, number> = {
  AGGREGATION_TEMPORALITY_UNSPECIFIED: 0,
  AGGREGATION_TEMPORALITY_DELTA,
  AGGREGATION_TEMPORALITY_CUMULATIVE,
};

/** A GenAI metric's sum or histogram points into `out.metrics`; any other metric is only counted. */
function metricInto(
  item: unknown,
  resource: Attributes,
  scope: InstrumentationScope,
  lim: DecodeLimits,
  out: DecodedRequest,
  rejections: Rejections,
): void {
  if (!isObject(item)) return;
  const name = stringOrEmpty(item['name']);
  if (!genAiMetricFamily(name)) return;
  const unit = stringOrEmpty(item['unit']);
  for (const [field, histogram] of [
    ['sum', false],
    ['histogram', true],
  ] as const) {
    const data = item[field];
    if (!isObject(data)) continue;
    const temporality = enumValue(
      pick(data, 'aggregationTemporality', 'aggregation_temporality'),
      temporalityNames,
      'AGGREGATION_TEMPORALITY_',
    );
    for (const dp of list(data, `${field}.`, 'dataPoints', 'data_points')) {
      try {
        const point = genAiMetricPoint(
          metricPointOf(dp, name, unit, temporality, histogram, resource, scope, lim),
        );
        if (point) (out.metrics ??= []).push(point);
      } catch (err) {
        if (!(err instanceof ItemRejected)) throw err;
        rejections.add(err.message);
      }
    }
  }
}

function metricPointOf(
  dp: unknown,
  name: string,
  unit: string,
  temporality: number,
  histogram: boolean,
  resource: Attributes,
  scope: InstrumentationScope,
  lim: DecodeLimits,
): RawMetricPoint {
  if (!isObject(dp)) throw new ItemRejected('a data point is not an object');
  const p: RawMetricPoint = {
    metric: name,
    unit,
    temporality,
    resource,
    scopeName: scope.name,
    scopeVersion: scope.version ?? '',
    attributes: attributes(dp, lim),
    startTimeUnixNano: nanos(pick(dp, 'startTimeUnixNano', 'start_time_unix_nano')),
    timeUnixNano: nanos(pick(dp, 'timeUnixNano', 'time_unix_nano')),
    count: 0,
    sum: 0,
  };
  if (!histogram) {
    const asDouble = pick(dp, 'asDouble', 'as_double');
    p.sum = asDouble !== undefined ? num(asDouble) : num(pick(dp, 'asInt', 'as_int'));
    return p;
  }
  p.count = num(dp['count']);
  p.sum = num(dp['sum']);
  const counts = pick(dp, 'bucketCounts', 'bucket_counts');
  if (Array.isArray(counts) && counts.length > 0) {
    const bounds = pick(dp, 'explicitBounds', 'explicit_bounds');
    p.bucketCounts = counts.map(num);
    p.bounds = Array.isArray(bounds) ? bounds.map(num) : [];
  }
  if (dp['min'] !== undefined) p.min = num(dp['min']);
  if (dp['max'] !== undefined) p.max = num(dp['max']);
  return p;
}

function idError(what: string, size: number, r: IdResult): ItemRejected {
  return new ItemRejected(idProblem(what, size, r.kind === 'bad' ? r.length : -1));
}

function spanOf(
  item: unknown,
  resource: Attributes,
  scope: InstrumentationScope,
  lim: DecodeLimits,
): SpanRecord {
  if (!isObject(item)) throw new ItemRejected('a span is not an object');
  const traceId = readId(pick(item, 'traceId', 'trace_id'), TRACE_ID_BYTES);
  if (traceId.kind !== 'ok')
    throw traceId.kind === 'empty'
      ? new ItemRejected('a span has no trace id')
      : idError('a span trace id', TRACE_ID_BYTES, traceId);
  if (isZeroHex(traceId.hex)) throw new ItemRejected('a span has an all-zero trace id');
  const spanId = readId(pick(item, 'spanId', 'span_id'), SPAN_ID_BYTES);
  if (spanId.kind !== 'ok')
    throw spanId.kind === 'empty'
      ? new ItemRejected('a span has no span id')
      : idError('a span id', SPAN_ID_BYTES, spanId);
  if (isZeroHex(spanId.hex)) throw new ItemRejected('a span has an all-zero span id');
  const parent = readId(pick(item, 'parentSpanId', 'parent_span_id'), SPAN_ID_BYTES);
  if (parent.kind === 'bad') throw idError('a parent span id', SPAN_ID_BYTES, parent);

  const statusObj = item['status'];
  const status: SpanRecord['status'] = { code: 0 };
  if (isObject(statusObj)) {
    status.code = enumValue(statusObj['code'], statusCodeNames, 'STATUS_CODE_');
    const message = stringOrEmpty(statusObj['message']);
    if (message) status.message = message;
  }

  const events: SpanEventRecord[] = [];
  for (const e of list(item, 'span.', 'events', 'events')) {
    if (!isObject(e)) continue;
    events.push({
      name: stringOrEmpty(e['name']),
      timeUnixNano: nanos(pick(e, 'timeUnixNano', 'time_unix_nano')),
      attributes: attributes(e, lim),
    });
  }
  const links: SpanLinkRecord[] = [];
  for (const l of list(item, 'span.', 'links', 'links')) {
    if (!isObject(l)) continue;
    const lt = readId(pick(l, 'traceId', 'trace_id'), TRACE_ID_BYTES);
    const ls = readId(pick(l, 'spanId', 'span_id'), SPAN_ID_BYTES);
    // A broken link loses only itself: the span is still worth showing.
    if (lt.kind === 'ok' && ls.kind === 'ok')
      links.push({ traceId: lt.hex, spanId: ls.hex, attributes: attributes(l, lim) });
  }

  const span: SpanRecord = {
    traceId: traceId.hex,
    spanId: spanId.hex,
    name: stringOrEmpty(item['name']),
    kind: enumValue(item['kind'], spanKindNames, 'SPAN_KIND_'),
    startTimeUnixNano: nanos(pick(item, 'startTimeUnixNano', 'start_time_unix_nano')),
    endTimeUnixNano: nanos(pick(item, 'endTimeUnixNano', 'end_time_unix_nano')),
    attributes: attributes(item, lim),
    events: keptList(events, NO_EVENTS),
    links: keptList(links, NO_LINKS),
    status,
    resource,
    scope,
  };
  if (parent.kind === 'ok' && !isZeroHex(parent.hex)) span.parentSpanId = parent.hex;
  const dropped = num(pick(item, 'droppedAttributesCount', 'dropped_attributes_count'));
  if (dropped > 0) span.droppedAttributesCount = dropped;
  return span;
}

function logOf(
  item: unknown,
  resource: Attributes,
  scope: InstrumentationScope,
  lim: DecodeLimits,
): LogRecordData {
  if (!isObject(item)) throw new ItemRejected('a log record is not an object');
  // Log records may stand alone: empty (or all-zero) ids leave them uncorrelated, wrong lengths do not.
  const traceId = readId(pick(item, 'traceId', 'trace_id'), TRACE_ID_BYTES);
  if (traceId.kind === 'bad') throw idError('a log record trace id', TRACE_ID_BYTES, traceId);
  const spanId = readId(pick(item, 'spanId', 'span_id'), SPAN_ID_BYTES);
  if (spanId.kind === 'bad') throw idError('a log record span id', SPAN_ID_BYTES, spanId);

  const attrs = attributes(item, lim);
  const log: LogRecordData = {
    timeUnixNano: nanos(pick(item, 'timeUnixNano', 'time_unix_nano')),
    attributes: attrs,
    resource,
    scope,
  };
  const observed = nanos(pick(item, 'observedTimeUnixNano', 'observed_time_unix_nano'));
  if (observed !== '0') log.observedTimeUnixNano = observed;
  const severity = enumValue(
    pick(item, 'severityNumber', 'severity_number'),
    severityNames,
    'SEVERITY_NUMBER_',
  );
  if (severity > 0) log.severityNumber = severity;
  const severityText = stringOrEmpty(pick(item, 'severityText', 'severity_text'));
  if (severityText) log.severityText = severityText;
  const body = item['body'];
  if (isObject(body)) log.body = anyValue(body, 1, lim);
  const eventName =
    stringOrEmpty(pick(item, 'eventName', 'event_name')) || stringOrEmpty(attrs[EVENT_NAME_ATTRIBUTE]);
  if (eventName) log.eventName = eventName;
  if (traceId.kind === 'ok' && !isZeroHex(traceId.hex)) log.traceId = traceId.hex;
  if (spanId.kind === 'ok' && !isZeroHex(spanId.hex)) log.spanId = spanId.hex;
  return log;
}
