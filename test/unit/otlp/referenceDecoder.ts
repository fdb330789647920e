// The decoder as it was before the single-pass readers, kept only as the reference the differential tests
// compare the new one with: protobufjs objects (after a schema-guided pre-scan) or JSON.parse output, read
// into records by one tolerant reader. It is never used outside the tests.

import * as protobuf from 'protobufjs';
import type {
  AttrValue,
  Attributes,
  InstrumentationScope,
  LogRecordData,
  SpanEventRecord,
  SpanLinkRecord,
  SpanRecord,
} from '../../../src/core/records';
import { EVENT_NAME_ATTRIBUTE } from '../../../src/core/records';
import { isPlainObject } from '../../../src/core/objects';
import {
  genAiMetricFamily,
  genAiMetricPoint,
  type GenAiMetricPoint,
  type RawMetricPoint,
} from '../../../src/core/genaiMetrics';
import { otlpTypes } from '../../../src/otlp/otlpProto';
import {
  defaultDecodeLimits,
  OtlpDecodeError,
  type DecodeLimits,
  type DecodedRequest,
  type OtlpEncoding,
  type OtlpSignal,
} from '../../../src/otlp/decode';

/** Log records name their event here when LogRecord.event_name (field 12) is not set (older SDKs). */

const TRACE_ID_BYTES = 16;
const SPAN_ID_BYTES = 8;

export function referenceDecodeOtlp(
  signal: OtlpSignal,
  body: Uint8Array,
  encoding: OtlpEncoding,
  limits?: Partial<DecodeLimits>,
): DecodedRequest {
  const lim: DecodeLimits = { ...defaultDecodeLimits, ...limits };
  try {
    const root = encoding === 'protobuf' ? readProtobuf(signal, body, lim) : readJson(body, lim);
    return readRequest(signal, root, lim);
  } catch (err) {
    // protobufjs throws plain Errors ("index out of range"); anything else that slips through is still a
    // body we cannot read, never a reason to take the receiver down.
    const reason =
      err instanceof OtlpDecodeError
        ? err.message
        : `not a valid OTLP ${encoding === 'protobuf' ? 'protobuf' : 'JSON'} ${signal} export request (${err instanceof Error ? err.message : String(err)})`;
    // The commonest cause of a protobuf body that makes no sense: JSON sent with the protobuf type.
    if (encoding === 'protobuf' && looksLikeJson(body))
      throw new OtlpDecodeError(`${reason}; the body looks like JSON, sent as application/x-protobuf`);
    throw err instanceof OtlpDecodeError ? err : new OtlpDecodeError(reason);
  }
}

// ---------------------------------------------------------------------------------------------------
// Reading the body

function readProtobuf(signal: OtlpSignal, body: Uint8Array, lim: DecodeLimits): unknown {
  const types = otlpTypes();
  const type =
    signal === 'traces' ? types.traceRequest : signal === 'logs' ? types.logsRequest : types.metricsRequest;
  scanProtobuf(body, type, lim);
  return type.decode(body);
}

const WireType = { Varint: 0, Fixed64: 1, LengthDelimited: 2, Fixed32: 5 } as const;

const scalarWireType: Record<string, number> = {
  string: WireType.LengthDelimited,
  bytes: WireType.LengthDelimited,
  bool: WireType.Varint,
  int32: WireType.Varint,
  int64: WireType.Varint,
  uint32: WireType.Varint,
  uint64: WireType.Varint,
  sint32: WireType.Varint,
  sint64: WireType.Varint,
  fixed64: WireType.Fixed64,
  sfixed64: WireType.Fixed64,
  double: WireType.Fixed64,
  fixed32: WireType.Fixed32,
  sfixed32: WireType.Fixed32,
  float: WireType.Fixed32,
};

/**
 * Walks the wire format once, guided by the schema, without building anything: every length must fit,
 * every known field must have its declared wire type, nesting and the number of messages are bounded.
 * protobufjs would build millions of objects from a few megabytes of empty messages before noticing
 * anything; this pass costs no allocation and turns such a body into a short reason.
 */
function scanProtobuf(buf: Uint8Array, root: protobuf.Type, lim: DecodeLimits): void {
  let pos = 0;
  let elements = 0;

  const varint = (): number => {
    // Lengths and tags fit 32 bits; longer varints (int64 values) are only skipped, never used.
    let result = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (pos >= buf.length)
        throw new OtlpDecodeError('truncated protobuf message (a number runs past the end of the body)');
      const b = buf[pos++]!;
      if (shift < 32) result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
    }
    throw new OtlpDecodeError('malformed protobuf message (a number is longer than 10 bytes)');
  };

  const scan = (type: ScanType, end: number, depth: number): void => {
    if (depth > lim.maxNesting)
      throw new OtlpDecodeError(`messages nested more than ${lim.maxNesting} levels deep`);
    while (pos < end) {
      const tag = varint();
      const fieldNo = Math.floor(tag / 8);
      const wire = tag % 8;
      if (fieldNo === 0) throw new OtlpDecodeError('malformed protobuf message (field number 0)');
      const field = type.fields.get(fieldNo);
      // A repeated scalar may be packed (length-delimited) whatever its type.
      if (
        field &&
        field.wire !== undefined &&
        wire !== field.wire &&
        !(field.repeated && wire === WireType.LengthDelimited)
      ) {
        throw new OtlpDecodeError(
          `malformed protobuf message (${type.name}.${field.name} has wire type ${wire}, expected ${field.wire})`,
        );
      }
      switch (wire) {
        case WireType.Varint:
          varint();
          break;
        case WireType.Fixed64:
          pos += 8;
          break;
        case WireType.Fixed32:
          pos += 4;
          break;
        case WireType.LengthDelimited: {
          const len = varint();
          const subEnd = pos + len;
          if (subEnd > end)
            throw new OtlpDecodeError(
              'truncated protobuf message (a field runs past the end of its message)',
            );
          if (field?.message) {
            if (++elements > lim.maxElements)
              throw new OtlpDecodeError(
                `too many items in one request (more than ${lim.maxElements} messages)`,
              );
            scan(field.message, subEnd, depth + 1);
          }
          pos = subEnd;
          break;
        }
        default:
          // Groups (3, 4) are proto2 only and never part of OTLP; 6 and 7 do not exist.
          throw new OtlpDecodeError(`malformed protobuf message (wire type ${wire})`);
      }
      if (pos > end)
        throw new OtlpDecodeError('truncated protobuf message (a field runs past the end of its message)');
    }
  };

  scan(scanTypeOf(root), buf.length, 0);
}

/** What the scan needs of a message type, worked out once per type instead of once per field read. */
interface ScanType {
  name: string;
  fields: Map<number, ScanField>;
}

interface ScanField {
  name: string;
  /** The wire type the field's declared type uses; undefined for a type the scan does not check. */
  wire: number | undefined;
  repeated: boolean;
  /** Set for a message field (not a map), which the scan descends into. */
  message?: ScanType;
}

const scanTypes = new WeakMap<protobuf.Type, ScanType>();

function scanTypeOf(type: protobuf.Type): ScanType {
  let out = scanTypes.get(type);
  if (out) return out;
  out = { name: type.name, fields: new Map() };
  // Set before the fields are filled so that recursive types (AnyValue, ArrayValue) end.
  scanTypes.set(type, out);
  for (const field of type.fieldsArray) {
    field.resolve();
    const resolved = field.resolvedType;
    const isMessage = resolved instanceof protobuf.Type;
    const entry: ScanField = {
      name: field.name,
      wire: isMessage
        ? WireType.LengthDelimited
        : resolved instanceof protobuf.Enum
          ? WireType.Varint
          : scalarWireType[field.type],
      repeated: field.repeated,
    };
    if (isMessage && !field.map) entry.message = scanTypeOf(resolved);
    out.fields.set(field.id, entry);
  }
  return out;
}

const utf8 = new TextDecoder('utf-8');

/**
 * The limits are counted first on a body large enough to hold more objects than allowed; a smaller one that
 * is not a JSON object is counted after, for the reason it gives. What an object body nests where no record
 * is read from is not looked at (the walk bounds attribute values itself).
 */
function readJson(body: Uint8Array, lim: DecodeLimits): unknown {
  const countFirst = body.length > lim.maxElements * 2;
  if (countFirst) scanJson(body, lim);
  const text = utf8.decode(body); // drops a BOM; invalid sequences become U+FFFD
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    if (!countFirst) scanJson(body, lim);
    if (text.trim() === '') throw new OtlpDecodeError('empty body (an OTLP/JSON request is at least {})');
    // V8's message quotes the body; only the position goes back to the sender and into the log.
    const at = /position (\d+)/.exec(err instanceof Error ? err.message : '');
    throw new OtlpDecodeError(
      at ? `body is not valid JSON (syntax error at character ${at[1]})` : 'body is not valid JSON',
    );
  }
  if (!isPlainObject(value)) {
    if (!countFirst) scanJson(body, lim);
    throw new OtlpDecodeError('body is not a JSON object');
  }
  return value;
}

function looksLikeJson(body: Uint8Array): boolean {
  for (const c of body) {
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
    return c === 0x7b; // '{'
  }
  return false;
}

/**
 * Counts objects and arrays and their depth on the raw bytes, skipping strings, before JSON.parse
 * builds them: a few megabytes of `[[[[` or `{},{},{}` would otherwise cost a deep stack or millions
 * of objects. Multi-byte UTF-8 never contains these ASCII bytes, so a byte loop is exact.
 */
function scanJson(body: Uint8Array, lim: DecodeLimits): void {
  let depth = 0;
  let elements = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > lim.maxNesting * 3)
        throw new OtlpDecodeError(`JSON nested more than ${lim.maxNesting * 3} levels deep`);
      if (++elements > lim.maxElements * 2)
        throw new OtlpDecodeError(
          `too many items in one request (more than ${lim.maxElements * 2} objects and arrays)`,
        );
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Reading into records (both encodings)

type Obj = Record<string, unknown>;

/** A field under its lowerCamelCase name (protobufjs, OTLP/JSON) or its proto name (snake_case JSON). */
function pick(o: Obj, camel: string, snake?: string): unknown {
  const v = o[camel];
  if (v !== undefined && v !== null) return v;
  return snake === undefined ? undefined : o[snake];
}

/** An own field only: protobufjs keeps defaults of oneof members on the prototype. */
function own(o: Obj, camel: string, snake: string): unknown {
  if (Object.prototype.hasOwnProperty.call(o, camel) && o[camel] !== null && o[camel] !== undefined)
    return o[camel];
  if (Object.prototype.hasOwnProperty.call(o, snake)) return o[snake];
  return undefined;
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

function num(v: unknown): number {
  if (typeof v === 'number') return Number.isFinite(v) ? v : 0;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  if (isLong(v)) return v.toNumber();
  return 0;
}

interface LongLike {
  low: number;
  high: number;
  unsigned: boolean;
  toString(): string;
  toNumber(): number;
}

function isLong(v: unknown): v is LongLike {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as LongLike).low === 'number' &&
    typeof (v as LongLike).high === 'number'
  );
}

const UINT64_DIGITS = /^\d{1,20}$/;

/** fixed64 nanoseconds as a decimal string: a double cannot hold them. */
function nanos(v: unknown): string {
  if (isLong(v)) return v.toString();
  if (typeof v === 'string') {
    const s = v.trim();
    return UINT64_DIGITS.test(s) ? BigInt(s).toString() : '0';
  }
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return BigInt(Math.trunc(v)).toString();
  return '0';
}

/** int64 attribute values: a number when it fits a double exactly, else the decimal string. */
function int64(v: unknown): number | string {
  let s: string;
  if (isLong(v)) s = v.toString();
  else if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : 0;
  else if (typeof v === 'string' && /^\s*-?\d{1,20}\s*$/.test(v)) s = BigInt(v.trim()).toString();
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
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

type IdResult = { kind: 'empty' } | { kind: 'ok'; hex: string } | { kind: 'bad'; length: number };

function hexOf(bytes: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += (bytes[i]! & 0xff).toString(16).padStart(2, '0');
  return s;
}

/**
 * An id from bytes (protobuf) or from a string: OTLP/JSON says hex, but some hand-made senders use the
 * base64 of proto3's standard JSON mapping; both are accepted when they give the right length.
 */
function readId(v: unknown, size: number): IdResult {
  if (v === undefined || v === null) return { kind: 'empty' };
  if (v instanceof Uint8Array || Array.isArray(v)) {
    const bytes = v as ArrayLike<number>;
    if (bytes.length === 0) return { kind: 'empty' };
    if (bytes.length !== size) return { kind: 'bad', length: bytes.length };
    const nested = Array.isArray(v) && v.some((b) => typeof b === 'object' && b !== null);
    return nested ? { kind: 'bad', length: -1 } : { kind: 'ok', hex: hexOf(bytes) };
  }
  if (typeof v !== 'string') return { kind: 'bad', length: -1 };
  const s = v.trim();
  if (s === '') return { kind: 'empty' };
  if (s.length === size * 2 && HEX.test(s)) return { kind: 'ok', hex: s.toLowerCase() };
  if (BASE64.test(s) && s.length <= Math.ceil(size / 3) * 4) {
    const bytes = Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (bytes.length === size) return { kind: 'ok', hex: hexOf(bytes) };
  }
  return { kind: 'bad', length: HEX.test(s) ? s.length / 2 : -1 };
}

function isZeroHex(hex: string): boolean {
  return /^0+$/.test(hex);
}

function idProblem(what: string, size: number, r: { length: number }): string {
  return r.length < 0
    ? `${what} is neither hex nor base64 of ${size} bytes`
    : `${what} is ${r.length} bytes, not ${size}`;
}

/** Thrown inside one item; the item is skipped and counted, the rest of the request is kept. */
class ItemRejected extends Error {}

/** Object keys come from the sender: `__proto__` must stay a plain key, not change the prototype. */
function setKey(target: Record<string, AttrValue>, key: string, value: AttrValue): void {
  if (key === '__proto__')
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

function anyValue(v: unknown, depth: number, lim: DecodeLimits): AttrValue {
  if (!isPlainObject(v)) return null;
  if (depth > lim.maxValueDepth)
    throw new ItemRejected(`an attribute value is nested more than ${lim.maxValueDepth} levels deep`);
  let x = own(v, 'stringValue', 'string_value');
  // A number or boolean sent as the string is its text; an object or array is none (String() of one can
  // recurse as deep as it nests, or throw).
  if (x !== undefined) return typeof x === 'string' ? x : typeof x === 'object' ? '' : String(x);
  x = own(v, 'boolValue', 'bool_value');
  if (x !== undefined) return x === true || x === 'true';
  x = own(v, 'intValue', 'int_value');
  if (x !== undefined) return int64(x);
  x = own(v, 'doubleValue', 'double_value');
  if (x !== undefined) return typeof x === 'number' ? x : typeof x === 'string' ? Number(x) : null; // "NaN", "Infinity" in JSON
  x = own(v, 'arrayValue', 'array_value');
  if (x !== undefined) {
    const values = isPlainObject(x) ? x['values'] : undefined;
    return Array.isArray(values) ? values.map((item) => anyValue(item, depth + 1, lim)) : [];
  }
  x = own(v, 'kvlistValue', 'kvlist_value');
  if (x !== undefined) {
    const values = isPlainObject(x) ? x['values'] : undefined;
    return Array.isArray(values) ? keyValues(values, depth + 1, lim) : {};
  }
  x = own(v, 'bytesValue', 'bytes_value');
  if (x !== undefined) {
    // A copy: protobufjs slices share the request buffer, which must not stay alive in the store.
    if (x instanceof Uint8Array) return new Uint8Array(x);
    if (typeof x === 'string') return new Uint8Array(Buffer.from(x, 'base64'));
    return new Uint8Array(0);
  }
  return null; // an empty AnyValue is allowed by the spec
}

/** With `dropTooDeep`, a value nested too deep loses only its own key instead of rejecting the item. */
function keyValues(items: unknown, depth: number, lim: DecodeLimits, dropTooDeep = false): Attributes {
  const out: Attributes = {};
  if (!Array.isArray(items)) return out;
  for (const kv of items) {
    if (!isPlainObject(kv)) continue;
    const key = kv['key'];
    if (typeof key !== 'string') continue;
    try {
      setKey(out, key, anyValue(kv['value'], depth, lim));
    } catch (err) {
      if (!(dropTooDeep && err instanceof ItemRejected)) throw err;
    }
  }
  return out;
}

function attributes(o: Obj, lim: DecodeLimits, dropTooDeep = false): Attributes {
  return keyValues(pick(o, 'attributes'), 1, lim, dropTooDeep);
}

function scopeOf(o: unknown, lim: DecodeLimits): InstrumentationScope {
  if (!isPlainObject(o)) return { name: '' };
  const scope: InstrumentationScope = { name: stringOrEmpty(pick(o, 'name')) };
  const version = stringOrEmpty(pick(o, 'version'));
  if (version) scope.version = version;
  const attrs = attributes(o, lim, true);
  if (Object.keys(attrs).length > 0) scope.attributes = attrs;
  return scope;
}

interface Groups {
  resource: Attributes;
  scope: InstrumentationScope;
  items: unknown[];
}

/**
 * Resource -> scope -> item lists, wherever they are: scope_spans, or the pre-1.0
 * instrumentation_library_spans (field 1000) with its instrumentation_library scope.
 */
function* groups(
  root: Obj,
  lim: DecodeLimits,
  names: {
    resource: [string, string];
    scope: [string, string];
    legacyScope: [string, string];
    items: [string, string];
  },
): Generator<Groups> {
  const resources = list(root, '', ...names.resource);
  for (let r = 0; r < resources.length; r++) {
    const rs = resources[r];
    if (!isPlainObject(rs)) throw new OtlpDecodeError(`${names.resource[0]}[${r}] is not an object`);
    const res = pick(rs, 'resource');
    // Shared by every item under it; a resource value nested too deep must not reject all of them.
    const resource = isPlainObject(res) ? attributes(res, lim, true) : {};
    const scopes = [
      ...list(rs, `${names.resource[0]}[${r}].`, ...names.scope),
      ...list(rs, `${names.resource[0]}[${r}].`, ...names.legacyScope),
    ];
    for (let s = 0; s < scopes.length; s++) {
      const ss = scopes[s];
      if (!isPlainObject(ss))
        throw new OtlpDecodeError(`${names.resource[0]}[${r}].${names.scope[0]}[${s}] is not an object`);
      const scope = scopeOf(
        pick(ss, 'scope') ?? pick(ss, 'instrumentationLibrary', 'instrumentation_library'),
        lim,
      );
      yield {
        resource,
        scope,
        items: list(ss, `${names.resource[0]}[${r}].${names.scope[0]}[${s}].`, ...names.items),
      };
    }
  }
}

class Rejections {
  count = 0;
  first: string | undefined;
  add(reason: string): void {
    this.count++;
    this.first ??= reason;
  }

  /** Reads each item into `into`; an item that is invalid on its own is counted, not fatal to the request. */
  collect<T>(items: readonly unknown[], read: (item: unknown) => T, into: T[]): void {
    for (const item of items) {
      try {
        into.push(read(item));
      } catch (err) {
        if (!(err instanceof ItemRejected)) throw err;
        this.add(err.message);
      }
    }
  }
}

function readRequest(signal: OtlpSignal, root: unknown, lim: DecodeLimits): DecodedRequest {
  if (!isPlainObject(root)) throw new OtlpDecodeError('body is not an export request object');
  const out: DecodedRequest = { spans: [], logs: [], metricCount: 0, rejected: 0 };
  const rejections = new Rejections();
  if (signal === 'traces') {
    for (const g of groups(root, lim, {
      resource: ['resourceSpans', 'resource_spans'],
      scope: ['scopeSpans', 'scope_spans'],
      legacyScope: ['instrumentationLibrarySpans', 'instrumentation_library_spans'],
      items: ['spans', 'spans'],
    })) {
      rejections.collect(g.items, (item) => spanOf(item, g, lim), out.spans);
    }
  } else if (signal === 'logs') {
    for (const g of groups(root, lim, {
      resource: ['resourceLogs', 'resource_logs'],
      scope: ['scopeLogs', 'scope_logs'],
      legacyScope: ['instrumentationLibraryLogs', 'instrumentation_library_logs'],
      items: ['logRecords', 'log_records'],
    })) {
      rejections.collect(g.items, (item) => logOf(item, g, lim), out.logs);
    }
  } else {
    for (const g of groups(root, lim, {
      resource: ['resourceMetrics', 'resource_metrics'],
      scope: ['scopeMetrics', 'scope_metrics'],
      legacyScope: ['instrumentationLibraryMetrics', 'instrumentation_library_metrics'],
      items: ['metrics', 'metrics'],
    })) {
      out.metricCount += g.items.length;
      for (const item of g.items) metricInto(item, g, lim, out, rejections);
    }
  }
  out.rejected = rejections.count;
  if (rejections.first !== undefined) out.rejectReason = rejections.first;
  return out;
}

/** The GenAI metrics' points, read from protobufjs objects or parsed JSON alike. */
function metricInto(
  item: unknown,
  g: Groups,
  lim: DecodeLimits,
  out: DecodedRequest,
  rejections: Rejections,
): void {
  if (!isPlainObject(item)) return;
  const name = stringOrEmpty(item['name']);
  if (!genAiMetricFamily(name)) return;
  for (const field of ['sum', 'histogram'] as const) {
    const data = pick(item, field);
    if (!isPlainObject(data)) continue;
    const temporality = enumValue(
      pick(data, 'aggregationTemporality', 'aggregation_temporality'),
      {
        AGGREGATION_TEMPORALITY_UNSPECIFIED: 0,
        AGGREGATION_TEMPORALITY_DELTA: 1,
        AGGREGATION_TEMPORALITY_CUMULATIVE: 2,
      },
      'AGGREGATION_TEMPORALITY_',
    );
    const points: unknown[] = [];
    const found: (GenAiMetricPoint | undefined)[] = [];
    for (const dp of list(data, `${field}.`, 'dataPoints', 'data_points')) points.push(dp);
    rejections.collect(
      points,
      (dp) => {
        if (!isPlainObject(dp)) throw new ItemRejected('a data point is not an object');
        const raw: RawMetricPoint = {
          metric: name,
          unit: stringOrEmpty(item['unit']),
          temporality,
          resource: g.resource,
          scopeName: g.scope.name,
          scopeVersion: g.scope.version ?? '',
          attributes: attributes(dp, lim),
          startTimeUnixNano: nanos(pick(dp, 'startTimeUnixNano', 'start_time_unix_nano')),
          timeUnixNano: nanos(pick(dp, 'timeUnixNano', 'time_unix_nano')),
          count: field === 'histogram' ? num(pick(dp, 'count')) : 0,
          sum:
            field === 'histogram'
              ? num(pick(dp, 'sum'))
              : num(pick(dp, 'asDouble', 'as_double') ?? pick(dp, 'asInt', 'as_int')),
        };
        const counts = pick(dp, 'bucketCounts', 'bucket_counts');
        if (field === 'histogram' && Array.isArray(counts) && counts.length > 0) {
          const bounds = pick(dp, 'explicitBounds', 'explicit_bounds');
          raw.bucketCounts = counts.map(num);
          raw.bounds = Array.isArray(bounds) ? bounds.map(num) : [];
        }
        if (field === 'histogram' && pick(dp, 'min') !== undefined) raw.min = num(pick(dp, 'min'));
        if (field === 'histogram' && pick(dp, 'max') !== undefined) raw.max = num(pick(dp, 'max'));
        return genAiMetricPoint(raw);
      },
      found,
    );
    for (const p of found) if (p) (out.metrics ??= []).push(p);
  }
}

function spanOf(item: unknown, g: Groups, lim: DecodeLimits): SpanRecord {
  if (!isPlainObject(item)) throw new ItemRejected('a span is not an object');
  const traceId = readId(pick(item, 'traceId', 'trace_id'), TRACE_ID_BYTES);
  if (traceId.kind !== 'ok')
    throw new ItemRejected(
      traceId.kind === 'empty'
        ? 'a span has no trace id'
        : idProblem('a span trace id', TRACE_ID_BYTES, traceId),
    );
  if (isZeroHex(traceId.hex)) throw new ItemRejected('a span has an all-zero trace id');
  const spanId = readId(pick(item, 'spanId', 'span_id'), SPAN_ID_BYTES);
  if (spanId.kind !== 'ok')
    throw new ItemRejected(
      spanId.kind === 'empty' ? 'a span has no span id' : idProblem('a span id', SPAN_ID_BYTES, spanId),
    );
  if (isZeroHex(spanId.hex)) throw new ItemRejected('a span has an all-zero span id');
  const parent = readId(pick(item, 'parentSpanId', 'parent_span_id'), SPAN_ID_BYTES);
  if (parent.kind === 'bad') throw new ItemRejected(idProblem('a parent span id', SPAN_ID_BYTES, parent));

  const statusObj = pick(item, 'status');
  const status: SpanRecord['status'] = { code: 0 };
  if (isPlainObject(statusObj)) {
    status.code = enumValue(pick(statusObj, 'code'), statusCodeNames, 'STATUS_CODE_');
    const message = stringOrEmpty(pick(statusObj, 'message'));
    if (message) status.message = message;
  }

  const events: SpanEventRecord[] = [];
  for (const e of list(item, 'span.', 'events', 'events')) {
    if (!isPlainObject(e)) continue;
    events.push({
      name: stringOrEmpty(pick(e, 'name')),
      timeUnixNano: nanos(pick(e, 'timeUnixNano', 'time_unix_nano')),
      attributes: attributes(e, lim),
    });
  }
  const links: SpanLinkRecord[] = [];
  for (const l of list(item, 'span.', 'links', 'links')) {
    if (!isPlainObject(l)) continue;
    const lt = readId(pick(l, 'traceId', 'trace_id'), TRACE_ID_BYTES);
    const ls = readId(pick(l, 'spanId', 'span_id'), SPAN_ID_BYTES);
    // A broken link loses only itself: the span is still worth showing.
    if (lt.kind === 'ok' && ls.kind === 'ok')
      links.push({ traceId: lt.hex, spanId: ls.hex, attributes: attributes(l, lim) });
  }

  const span: SpanRecord = {
    traceId: traceId.hex,
    spanId: spanId.hex,
    name: stringOrEmpty(pick(item, 'name')),
    kind: enumValue(pick(item, 'kind'), spanKindNames, 'SPAN_KIND_'),
    startTimeUnixNano: nanos(pick(item, 'startTimeUnixNano', 'start_time_unix_nano')),
    endTimeUnixNano: nanos(pick(item, 'endTimeUnixNano', 'end_time_unix_nano')),
    attributes: attributes(item, lim),
    events,
    links,
    status,
    resource: g.resource,
    scope: g.scope,
  };
  if (parent.kind === 'ok' && !isZeroHex(parent.hex)) span.parentSpanId = parent.hex;
  const dropped = num(pick(item, 'droppedAttributesCount', 'dropped_attributes_count'));
  if (dropped > 0) span.droppedAttributesCount = dropped;
  return span;
}

function logOf(item: unknown, g: Groups, lim: DecodeLimits): LogRecordData {
  if (!isPlainObject(item)) throw new ItemRejected('a log record is not an object');
  // Log records may stand alone: empty (or all-zero) ids leave them uncorrelated, wrong lengths do not.
  const traceId = readId(pick(item, 'traceId', 'trace_id'), TRACE_ID_BYTES);
  if (traceId.kind === 'bad')
    throw new ItemRejected(idProblem('a log record trace id', TRACE_ID_BYTES, traceId));
  const spanId = readId(pick(item, 'spanId', 'span_id'), SPAN_ID_BYTES);
  if (spanId.kind === 'bad') throw new ItemRejected(idProblem('a log record span id', SPAN_ID_BYTES, spanId));

  const attrs = attributes(item, lim);
  const log: LogRecordData = {
    timeUnixNano: nanos(pick(item, 'timeUnixNano', 'time_unix_nano')),
    attributes: attrs,
    resource: g.resource,
    scope: g.scope,
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
  const body = pick(item, 'body');
  if (isPlainObject(body)) log.body = anyValue(body, 1, lim);
  const eventName =
    stringOrEmpty(pick(item, 'eventName', 'event_name')) || stringOrEmpty(attrs[EVENT_NAME_ATTRIBUTE]);
  if (eventName) log.eventName = eventName;
  if (traceId.kind === 'ok' && !isZeroHex(traceId.hex)) log.traceId = traceId.hex;
  if (spanId.kind === 'ok' && !isZeroHex(spanId.hex)) log.spanId = spanId.hex;
  return log;
}
