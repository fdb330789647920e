// Reads an OTLP protobuf export request straight into records, in one pass over the bytes: no message
// objects, no Long per timestamp. Every field is checked against the schema as it is read (wire types,
// lengths, nesting, the number of messages), so a hostile body is refused after one cheap pass with the
// same reason wherever the problem is, and a bad span or log record is skipped and counted on its own.
//
// Protobuf merges repeated occurrences of a field that holds one message (two `status` fields of a span
// are one status); for the attribute values that can be nested this is done by reading the occurrences
// again as one message, which real exporters never cause.

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
import { setOwnKey } from '../core/objects';
import { AttributeLists } from './attributeShapes';
import { genAiMetricFamily, genAiMetricPoint, type RawMetricPoint } from '../core/genaiMetrics';
import * as protobuf from 'protobufjs';
import {
  idProblem,
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
import { otlpTypes } from './otlpProto';

// ---------------------------------------------------------------------------------------------------
// The schema, as tables: what each known field must look like on the wire, and the names for reasons

interface WireMessage {
  name: string;
  fields: Map<number, WireField>;
}

interface WireField {
  name: string;
  /** The wire type the field's declared type uses. */
  wire: number;
  repeated: boolean;
  /** Set for a message field, which is walked field by field even when nothing of it is kept. */
  message?: WireMessage;
  /** A string field: it must be UTF-8 even when it is not kept. */
  utf8: boolean;
}

const scalarWireType: Record<string, number> = {
  string: 2,
  bytes: 2,
  bool: 0,
  int32: 0,
  int64: 0,
  uint32: 0,
  uint64: 0,
  sint32: 0,
  sint64: 0,
  fixed64: 1,
  sfixed64: 1,
  double: 1,
  fixed32: 5,
  sfixed32: 5,
  float: 5,
};

const wireMessages = new Map<protobuf.Type, WireMessage>();

function wireMessageOf(type: protobuf.Type): WireMessage {
  let out = wireMessages.get(type);
  if (out) return out;
  out = { name: type.name, fields: new Map() };
  // Set before the fields are filled so that recursive types (AnyValue, ArrayValue) end.
  wireMessages.set(type, out);
  for (const field of type.fieldsArray) {
    field.resolve();
    const resolved = field.resolvedType;
    const isMessage = resolved instanceof protobuf.Type;
    const entry: WireField = {
      name: field.name,
      wire: isMessage ? 2 : resolved instanceof protobuf.Enum ? 0 : scalarWireType[field.type]!,
      repeated: field.repeated,
      utf8: field.type === 'string',
    };
    if (isMessage) entry.message = wireMessageOf(resolved);
    out.fields.set(field.id, entry);
  }
  return out;
}

interface Schema {
  traces: WireMessage;
  logs: WireMessage;
  metrics: WireMessage;
  resourceSpans: WireMessage;
  scopeSpans: WireMessage;
  span: WireMessage;
  event: WireMessage;
  link: WireMessage;
  status: WireMessage;
  resourceLogs: WireMessage;
  scopeLogs: WireMessage;
  logRecord: WireMessage;
  resourceMetrics: WireMessage;
  scopeMetrics: WireMessage;
  metric: WireMessage;
  sum: WireMessage;
  histogram: WireMessage;
  numberPoint: WireMessage;
  histogramPoint: WireMessage;
  resource: WireMessage;
  scope: WireMessage;
  keyValue: WireMessage;
  anyValue: WireMessage;
  arrayValue: WireMessage;
  kvList: WireMessage;
}

let schemaCache: Schema | undefined;

function schema(): Schema {
  if (schemaCache) return schemaCache;
  const types = otlpTypes();
  const traces = wireMessageOf(types.traceRequest);
  const logs = wireMessageOf(types.logsRequest);
  const metrics = wireMessageOf(types.metricsRequest);
  const sub = (m: WireMessage, no: number): WireMessage => m.fields.get(no)!.message!;
  const resourceSpans = sub(traces, 1);
  const scopeSpans = sub(resourceSpans, 2);
  const span = sub(scopeSpans, 2);
  const resourceLogs = sub(logs, 1);
  const scopeLogs = sub(resourceLogs, 2);
  const resourceMetrics = sub(metrics, 1);
  const metric = sub(sub(resourceMetrics, 2), 2);
  const sum = sub(metric, 7);
  const histogram = sub(metric, 9);
  const resource = sub(resourceSpans, 1);
  const keyValue = sub(resource, 1);
  const anyValue = sub(keyValue, 2);
  schemaCache = {
    traces,
    logs,
    metrics,
    resourceSpans,
    scopeSpans,
    span,
    event: sub(span, 11),
    link: sub(span, 13),
    status: sub(span, 15),
    resourceLogs,
    scopeLogs,
    logRecord: sub(scopeLogs, 2),
    resourceMetrics,
    scopeMetrics: sub(resourceMetrics, 2),
    metric,
    sum,
    histogram,
    numberPoint: sub(sum, 1),
    histogramPoint: sub(histogram, 1),
    resource,
    scope: sub(scopeSpans, 1),
    keyValue,
    anyValue,
    arrayValue: sub(anyValue, 5),
    kvList: sub(anyValue, 6),
  };
  return schemaCache;
}

// Module-local copies of what the hot loops use: a binding imported from another module costs a getter
// call per use where modules are not bundled (tsx, the tests and the bench).
const TRACE_ID_BYTES = 16;
const SPAN_ID_BYTES = 8;
/**
 * Node's own hex encoder (what `toString('hex')` calls), usable on any Uint8Array: one flat string per id,
 * as fast as joining table entries, where a joined id would be kept as a tree of 15 string objects.
 */
type Slice = (this: Uint8Array, start: number, end: number) => string;
const hexSlice = (Buffer.prototype as unknown as { hexSlice: Slice }).hexSlice;
const utf8Slice = (Buffer.prototype as unknown as { utf8Slice: Slice }).utf8Slice;

// ---------------------------------------------------------------------------------------------------
// The reader's state: one request at a time, synchronously, so plain module variables serve

let S: Schema;
const EMPTY = Buffer.alloc(0);
let buf: Uint8Array = EMPTY;
let len = 0;
let pos = 0;
let elements = 0;
/** Off while occurrences of a field are read again as one message (they were counted the first time). */
let counting = true;
let lim: DecodeLimits;
/**
 * The first encoding that the wire format tolerates but protobuf implementations refuse (a tag or a length
 * in more than five bytes, a string that is not UTF-8, nesting beyond protoc's limit). It refuses the
 * request, but only once the whole body has been walked: a structural problem anywhere is the reason then.
 */
let refusal: string | undefined;

const TRUNCATED_NUMBER = 'truncated protobuf message (a number runs past the end of the body)';
const LONG_NUMBER = 'malformed protobuf message (a number is longer than 10 bytes)';
const TRUNCATED_FIELD = 'truncated protobuf message (a field runs past the end of its message)';
const FIELD_ZERO = 'malformed protobuf message (field number 0)';
/** protoc's default recursion limit, which protobuf implementations apply. */
const PROTOC_RECURSION_LIMIT = 100;

function fail(reason: string): never {
  throw new OtlpDecodeError(reason);
}

/** Tags and lengths: the first 35 bits as a number; longer varints are only skipped or refused. */
function varintSlow(): number {
  let result = 0;
  for (let shift = 0; shift < 70; shift += 7) {
    if (pos >= len) fail(TRUNCATED_NUMBER);
    const b = buf[pos++]!;
    if (shift < 32) result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return result;
  }
  fail(LONG_NUMBER);
}

function tag(): number {
  if (pos < len) {
    const b = buf[pos]!;
    if (b < 0x80) {
      pos++;
      if (b < 8) fail(FIELD_ZERO);
      return b;
    }
  }
  if (pos + 1 < len) {
    const b1 = buf[pos + 1]!;
    if (b1 < 0x80) {
      const t = (buf[pos]! & 0x7f) | (b1 << 7);
      pos += 2;
      if (t < 8) fail(FIELD_ZERO);
      return t;
    }
  }
  const start = pos;
  const t = varintSlow();
  const n = pos - start;
  if (n > 5 || (n === 5 && buf[pos - 1]! >= 16)) refusal ??= 'invalid tag encoding';
  if (t < 8) fail(FIELD_ZERO);
  return t;
}

/** The end of a length-delimited field, which must lie inside its message. */
function lengthEnd(end: number): number {
  let n: number;
  if (pos < len && buf[pos]! < 0x80) {
    n = buf[pos++]!;
  } else if (pos + 1 < len && buf[pos + 1]! < 0x80) {
    n = (buf[pos]! & 0x7f) | (buf[pos + 1]! << 7);
    pos += 2;
  } else {
    const start = pos;
    n = varintSlow();
    const bytes = pos - start;
    if (bytes > 5 || (bytes === 5 && buf[pos - 1]! > 7)) refusal ??= 'invalid length encoding';
  }
  const e = pos + n;
  if (e > end) fail(TRUNCATED_FIELD);
  return e;
}

/** An embedded message: its end, counted against the limit. */
function child(end: number): number {
  const e = lengthEnd(end);
  countElement();
  return e;
}

/** `n` more messages against the limit (while occurrences are not being read a second time). */
function countElement(n = 1): void {
  if (counting && (elements += n) > lim.maxElements)
    fail(`too many items in one request (more than ${lim.maxElements} messages)`);
}

function enter(depth: number): void {
  if (depth > lim.maxNesting) fail(`messages nested more than ${lim.maxNesting} levels deep`);
  if (depth > PROTOC_RECURSION_LIMIT) refusal ??= 'max depth exceeded';
}

let vlo = 0;
let vhi = 0;
/** Whether any bit of the last varint64 was set (a bool is true then, whatever its width). */
let vnonzero = false;

/** A varint as two 32-bit halves (vlo, vhi), as int64, enums and bools are read. */
function varint64(): void {
  let lo = 0;
  let hi = 0;
  let any = 0;
  for (let i = 0; i < 10; i++) {
    if (pos >= len) fail(TRUNCATED_NUMBER);
    const b = buf[pos++]!;
    const bits = b & 0x7f;
    any |= bits;
    if (i < 4) lo |= bits << (7 * i);
    else if (i === 4) {
      lo |= bits << 28;
      hi |= bits >> 4;
    } else hi |= bits << (7 * (i - 5) + 3);
    if (b < 0x80) {
      vlo = lo >>> 0;
      vhi = hi >>> 0;
      vnonzero = any !== 0;
      return;
    }
  }
  fail(LONG_NUMBER);
}

/** An enum or int32: the low 32 bits, signed. */
function int32(): number {
  if (pos < len && buf[pos]! < 0x80) return buf[pos++]!;
  varint64();
  return vlo | 0;
}

function uint32(): number {
  if (pos < len && buf[pos]! < 0x80) return buf[pos++]!;
  varint64();
  return vlo;
}

function bool(): boolean {
  if (pos < len && buf[pos]! < 0x80) return buf[pos++] !== 0;
  varint64();
  return vnonzero;
}

/** int64 attribute values: a number when it fits a double exactly, else the decimal string. */
function int64(): number | string {
  if (pos < len && buf[pos]! < 0x80) return buf[pos++]!;
  varint64();
  if (vhi === 0) return vlo;
  const hi = vhi | 0;
  if (hi >= -0x200000 && hi < 0x200000) {
    const n = hi * 4294967296 + vlo;
    if (Number.isSafeInteger(n)) return n;
  }
  return BigInt.asIntN(64, (BigInt(vhi) << 32n) | BigInt(vlo)).toString();
}

function fixed32At(p: number): number {
  return (buf[p]! | (buf[p + 1]! << 8) | (buf[p + 2]! << 16) | (buf[p + 3]! << 24)) >>> 0;
}

/** fixed64 nanoseconds as a decimal string: a double cannot hold them. */
function nanos(end: number): string {
  if (pos + 8 > end) fail(TRUNCATED_FIELD);
  const lo = fixed32At(pos);
  const hi = fixed32At(pos + 4);
  pos += 8;
  return uint64String(lo, hi);
}

/**
 * An unsigned 64-bit value from its halves, exactly: directly below 2^53, else (every timestamp of this
 * century) in two parts of base 10^9 that a double holds exactly, which is far cheaper than a BigInt.
 */
export function uint64String(lo: number, hi: number): string {
  if (hi < 0x200000) return String(hi * 4294967296 + lo);
  // hi * 2^32 = a * 2^48 + b * 2^32, with 2^48 = 281474 * 10^9 + 976710656 and 2^32 = 4 * 10^9 + 294967296.
  const a = hi >>> 16;
  const b = hi & 0xffff;
  let low = a * 976710656 + b * 294967296 + lo;
  const carry = Math.floor(low / 1e9);
  low -= carry * 1e9;
  const high = a * 281474 + b * 4 + carry;
  // Every timestamp from 2001 to 2286 has 19 digits: made as one string from its characters. A string
  // joined from parts is kept as a tree of them (three objects here), which the collector lets go of only
  // if it meets the string flattened while young and outside a major collection's marking, which a store
  // filling up seldom is.
  if (high >= 1e9 && high < 1e10) return nineteenDigits(high, low);
  const digits = String(low);
  const out = String(high) + '000000000'.slice(digits.length) + digits;
  Number(out); // flattens it in place, so that the collector can at least drop the parts
  return out;
}

/** The character codes of "00" to "99", two a number. */
const PAIRS = new Uint8Array(200);
for (let i = 0; i < 100; i++) {
  PAIRS[2 * i] = 0x30 + Math.floor(i / 10);
  PAIRS[2 * i + 1] = 0x30 + (i % 10);
}

/** `high` (ten digits, as two halves of five), then `low` (nine, zero-padded), by pairs of digits. */
function nineteenDigits(high: number, low: number): string {
  let h = Math.floor(high / 100000) | 0;
  const h4 = h % 100;
  h = (h / 100) | 0;
  const h3 = h % 100;
  const h2 = (h / 100) | 0;
  let m = (high % 100000) | 0;
  const m4 = m % 100;
  m = (m / 100) | 0;
  const m3 = m % 100;
  const m2 = (m / 100) | 0;
  let l = low | 0;
  const l4 = l % 100;
  l = (l / 100) | 0;
  const l3 = l % 100;
  l = (l / 100) | 0;
  const l2 = l % 100;
  l = (l / 100) | 0;
  const l1 = l % 100;
  const l0 = (l / 100) | 0;
  const p = PAIRS;
  // prettier-ignore
  return String.fromCharCode(
    0x30 + h2, p[2 * h3]!, p[2 * h3 + 1]!, p[2 * h4]!, p[2 * h4 + 1]!,
    0x30 + m2, p[2 * m3]!, p[2 * m3 + 1]!, p[2 * m4]!, p[2 * m4 + 1]!,
    0x30 + l0, p[2 * l1]!, p[2 * l1 + 1]!, p[2 * l2]!, p[2 * l2 + 1]!, p[2 * l3]!, p[2 * l3 + 1]!,
    p[2 * l4]!, p[2 * l4 + 1]!,
  );
}

const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);

function double(end: number): number {
  if (pos + 8 > end) fail(TRUNCATED_FIELD);
  for (let i = 0; i < 8; i++) f64Bytes[i] = buf[pos + i]!;
  pos += 8;
  return f64[0]!;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
/** Set for a Node Buffer, whose own UTF-8 slice needs no view of the bytes. */
let nodeBuffer: Buffer | undefined;

function decodeUtf8(s: number, e: number): string {
  if (nodeBuffer) {
    // Replacement characters mean invalid UTF-8, or a real U+FFFD: the strict decoder tells which.
    // utf8Slice is what toString('utf8') calls after checking its arguments, which these already are.
    const out = utf8Slice.call(nodeBuffer, s, e);
    if (out.indexOf('\ufffd') < 0) return out;
  }
  try {
    return strictUtf8.decode(buf.subarray(s, e));
  } catch (err) {
    refusal ??= err instanceof Error ? err.message : String(err);
    return '';
  }
}

/**
 * A string field's text; very short ASCII without leaving JavaScript. Longer text goes to the native
 * decoder: V8 keeps a joined string of 13 characters or more as a tree of its parts, which would cost a
 * kept span's names and ids several times their length.
 */
function text(s: number, e: number): string {
  const n = e - s;
  if (n === 0) return '';
  if (n > 12) return decodeUtf8(s, e);
  let out = '';
  let i = s;
  for (; i + 7 < e; i += 8) {
    const c1 = buf[i]!;
    const c2 = buf[i + 1]!;
    const c3 = buf[i + 2]!;
    const c4 = buf[i + 3]!;
    const c5 = buf[i + 4]!;
    const c6 = buf[i + 5]!;
    const c7 = buf[i + 6]!;
    const c8 = buf[i + 7]!;
    if ((c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8) & 0x80) return out + decodeUtf8(i, e);
    out += String.fromCharCode(c1, c2, c3, c4, c5, c6, c7, c8);
  }
  for (; i < e; i++) {
    const c = buf[i]!;
    if (c & 0x80) return out + decodeUtf8(i, e);
    out += String.fromCharCode(c);
  }
  return out;
}

/**
 * Attribute keys repeat in every span, and so do many short values (a model, a provider, an operation, a
 * span's name): each is read into the same string each time, which spares the allocation and, kept in the
 * store, the copies. A table's slot holds the last text whose bytes hashed to it, with those bytes as 32-bit
 * words, which a hit is checked against word for word. Keys are also made the property names V8 keeps
 * (internalized), so setting them on an object costs no lookup of its own.
 */
interface TextTable {
  /** Texts of at most this many bytes are kept. */
  max: number;
  words: number;
  texts: string[];
  bytes: Int32Array;
  internalize: boolean;
}

const TEXT_SLOTS = 4096;

function textTable(max: number, internalize: boolean): TextTable {
  const words = max / 4;
  return {
    max,
    words,
    texts: new Array<string>(TEXT_SLOTS).fill(''),
    bytes: new Int32Array(TEXT_SLOTS * words),
    internalize,
  };
}

const KEYS = textTable(64, true);
const VALUES = textTable(32, false);
/** The words of the text being read: four bytes each, the last one padded with zeros. */
const words = new Int32Array(KEYS.words);

function cachedText(table: TextTable, s: number, e: number): string {
  const n = e - s;
  if (n === 0 || n > table.max) return text(s, e);
  // Four bytes a step; a byte with the top bit set (not ASCII) makes `high` non-zero.
  const b = buf;
  let h = n;
  let high = 0;
  let i = s;
  let k = 0;
  for (; i + 3 < e; i += 4) {
    const w = b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
    words[k++] = w;
    high |= w;
    h = Math.imul(h ^ w, 0x01000193);
  }
  if (i < e) {
    let w = 0;
    for (let shift = 0; i < e; i++, shift += 8) w |= b[i]! << shift;
    words[k++] = w;
    high |= w;
    h = Math.imul(h ^ w, 0x01000193);
  }
  if (high & 0x80808080) return text(s, e);
  const slot = (h >>> 16) & (TEXT_SLOTS - 1);
  const cached = table.texts[slot]!;
  const at = slot * table.words;
  const known = table.bytes;
  if (cached.length === n) {
    let j = 0;
    while (j < k && known[at + j] === words[j]) j++;
    if (j === k) return cached;
  }
  const out = table.internalize ? Object.keys({ [text(s, e)]: 0 })[0]! : text(s, e);
  table.texts[slot] = out;
  known.set(words.subarray(0, k), at);
  return out;
}

function key(end: number): string {
  const e = lengthEnd(end);
  const s = pos;
  pos = e;
  return cachedText(KEYS, s, e);
}

/** A string that often repeats from one record to the next: an attribute's value, a name. */
function shortString(end: number): string {
  const e = lengthEnd(end);
  const s = pos;
  pos = e;
  return cachedText(VALUES, s, e);
}

function string(end: number): string {
  const e = lengthEnd(end);
  const s = text(pos, e);
  pos = e;
  return s;
}

function checkUtf8(s: number, e: number): void {
  for (let i = s; i < e; i++) {
    if (buf[i]! & 0x80) {
      decodeUtf8(i, e);
      return;
    }
  }
}

/**
 * A field the caller does not keep, or one with the wrong wire type: checked against the schema, walked
 * when it is a known message, skipped by its wire type otherwise.
 */
function other(message: WireMessage, t: number, end: number, depth: number): void {
  const no = Math.floor(t / 8);
  const wire = t % 8;
  const f = message.fields.get(no);
  if (f && wire !== f.wire && !(f.repeated && wire === 2))
    fail(`malformed protobuf message (${message.name}.${f.name} has wire type ${wire}, expected ${f.wire})`);
  switch (wire) {
    case 0:
      if (pos < len && buf[pos]! < 0x80) pos++;
      else varintSlow();
      break;
    case 1:
      pos += 8;
      break;
    case 5:
      pos += 4;
      break;
    case 2: {
      if (f?.message) {
        const e = child(end);
        walk(f.message, e, depth + 1);
      } else {
        const e = lengthEnd(end);
        if (f?.utf8) checkUtf8(pos, e);
        pos = e;
      }
      break;
    }
    default:
      // Groups (3, 4) are proto2 only and never part of OTLP; 6 and 7 do not exist.
      fail(`malformed protobuf message (wire type ${wire})`);
  }
}

/** A message nothing is kept of: only checked. */
function walk(message: WireMessage, end: number, depth: number): void {
  enter(depth);
  while (pos < end) {
    other(message, tag(), end, depth);
    if (pos > end) fail(TRUNCATED_FIELD);
  }
}

// ---------------------------------------------------------------------------------------------------
// Ids

function hex(s: number, e: number): string {
  return hexSlice.call(buf, s, e);
}

/** The last trace id read: the spans of a trace mostly come one after another, and share one string. */
const lastTrace = new Uint8Array(TRACE_ID_BYTES);
let lastTraceId = '';

function traceHex(s: number): string {
  const b = buf;
  let i = 0;
  while (i < TRACE_ID_BYTES && lastTrace[i] === b[s + i]) i++;
  if (i === TRACE_ID_BYTES && lastTraceId !== '') return lastTraceId;
  lastTrace.set(b.subarray(s, s + TRACE_ID_BYTES));
  lastTraceId = hexSlice.call(b, s, s + TRACE_ID_BYTES);
  return lastTraceId;
}

function allZero(s: number, e: number): boolean {
  for (let i = s; i < e; i++) if (buf[i] !== 0) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------------
// Attribute values

/** An attribute value nested deeper than the limit: the item holding it is rejected, unless it is dropped. */
const TOO_DEEP: unique symbol = Symbol('too deep');
type Value = AttrValue | typeof TOO_DEEP;

function anyValue(end: number, depth: number, valueDepth: number): Value {
  if (valueDepth > lim.maxValueDepth) {
    walk(S.anyValue, end, depth);
    return TOO_DEEP;
  }
  enter(depth);
  let str: string | undefined;
  let boolean: boolean | undefined;
  let int: number | string | undefined;
  let dbl: number | undefined;
  let array: AttrValue[] | undefined;
  let arrayTooDeep = false;
  let kvlist: Attributes | undefined;
  let kvlistTooDeep = false;
  let bytesStart = -1;
  let bytesEnd = -1;
  while (pos < end) {
    const t = tag();
    switch (t) {
      case 0x0a:
        str = shortString(end);
        break;
      case 0x10:
        boolean = bool();
        break;
      case 0x18:
        int = int64();
        break;
      case 0x21:
        dbl = double(end);
        break;
      case 0x2a: {
        const e = child(end);
        array ??= [];
        if (arrayValue(e, depth + 1, valueDepth, array)) arrayTooDeep = true;
        break;
      }
      case 0x32: {
        const e = child(end);
        kvlist ??= {};
        if (kvlistValue(e, depth + 1, valueDepth, kvlist)) kvlistTooDeep = true;
        break;
      }
      case 0x3a:
        bytesEnd = lengthEnd(end);
        bytesStart = pos;
        pos = bytesEnd;
        break;
      default:
        other(S.anyValue, t, end, depth);
    }
    if (pos > end) fail(TRUNCATED_FIELD);
  }
  // Only one member is meant to be set; when several are, the first in this order wins.
  if (str !== undefined) return str;
  if (boolean !== undefined) return boolean;
  if (int !== undefined) return int;
  if (dbl !== undefined) return dbl;
  // A copy holds exactly its elements: the array grown by pushes keeps room for 17 or more.
  if (array) return arrayTooDeep ? TOO_DEEP : array.slice();
  if (kvlist) return kvlistTooDeep ? TOO_DEEP : kvlist;
  // A copy: the request buffer must not stay alive in the store.
  if (bytesStart >= 0) {
    const bytes = new Uint8Array(bytesEnd - bytesStart);
    bytes.set(buf.subarray(bytesStart, bytesEnd));
    return bytes;
  }
  return null; // an empty AnyValue is allowed by the spec
}

/** True when an element is nested too deep. */
function arrayValue(end: number, depth: number, valueDepth: number, into: AttrValue[]): boolean {
  enter(depth);
  let tooDeep = false;
  while (pos < end) {
    const t = tag();
    if (t === 0x0a) {
      const e = child(end);
      const v = anyValue(e, depth + 1, valueDepth + 1);
      if (v === TOO_DEEP) tooDeep = true;
      else into.push(v);
    } else other(S.arrayValue, t, end, depth);
    if (pos > end) fail(TRUNCATED_FIELD);
  }
  return tooDeep;
}

function kvlistValue(end: number, depth: number, valueDepth: number, into: Attributes): boolean {
  enter(depth);
  let tooDeep = false;
  while (pos < end) {
    const t = tag();
    if (t === 0x0a) {
      const e = child(end);
      if (keyValue(e, depth + 1, valueDepth + 1, into, false)) tooDeep = true;
    } else other(S.kvList, t, end, depth);
    if (pos > end) fail(TRUNCATED_FIELD);
  }
  return tooDeep;
}

/**
 * One KeyValue into `into`. True when its value is nested too deep and the item must be rejected; with
 * `drop` (resource and scope attributes, shared by many items) only the key is lost instead.
 */
function keyValue(end: number, depth: number, valueDepth: number, into: Attributes, drop: boolean): boolean {
  const value = keyValueRead(end, depth, valueDepth);
  if (value === TOO_DEEP) return !drop;
  setOwnKey(into, readKey, value);
  return false;
}

/** The key of the KeyValue keyValueRead read last. */
let readKey = '';

/** One KeyValue: its value (or TOO_DEEP), its key in `readKey`. */
function keyValueRead(end: number, depth: number, valueDepth: number): Value {
  enter(depth);
  let name = '';
  let value: Value = null;
  // Where the value's occurrences lie: the first in two numbers, any more (which real exporters never send)
  // in a list, so that the common case allocates nothing.
  let firstStart = -1;
  let firstEnd = -1;
  let ranges: number[] | undefined;
  while (pos < end) {
    const t = tag();
    if (t === 0x0a) name = key(end);
    else if (t === 0x12) {
      const e = child(end);
      if (firstStart < 0) {
        firstStart = pos;
        firstEnd = e;
      } else (ranges ??= [firstStart, firstEnd]).push(pos, e);
      value = anyValue(e, depth + 1, valueDepth);
    } else other(S.keyValue, t, end, depth);
    if (pos > end) fail(TRUNCATED_FIELD);
  }
  if (ranges) value = mergedAnyValue(ranges, depth + 1, valueDepth);
  readKey = name;
  return value;
}

/** Several occurrences of one AnyValue field are one value: their bytes, read as one message. */
function mergedAnyValue(ranges: number[], depth: number, valueDepth: number): Value {
  let size = 0;
  for (let i = 0; i < ranges.length; i += 2) size += ranges[i + 1]! - ranges[i]!;
  const joined = Buffer.alloc(size);
  for (let i = 0, at = 0; i < ranges.length; i += 2) {
    joined.set(buf.subarray(ranges[i]!, ranges[i + 1]!), at);
    at += ranges[i + 1]! - ranges[i]!;
  }
  const saved = { buf, nodeBuffer, len, pos, counting };
  buf = joined;
  nodeBuffer = joined;
  len = size;
  pos = 0;
  counting = false;
  try {
    return anyValue(size, depth, valueDepth);
  } finally {
    ({ buf, nodeBuffer, len, pos, counting } = saved);
  }
}

/**
 * A span's or log record's attribute, its key and value pushed onto the lists the record's object is built
 * from at its end (see attributeShapes.ts); false when the value is nested too deep.
 */
function attributeRead(end: number, depth: number, into: AttributeLists): boolean {
  const e = child(end);
  const value = keyValueRead(e, depth + 1, 1);
  if (value === TOO_DEEP) return false;
  into.add(readKey, value);
  return true;
}

/** True when a value is nested too deep. */
function attributeInto(end: number, depth: number, into: Attributes, drop = false): boolean {
  const e = child(end);
  return keyValue(e, depth + 1, 1, into, drop);
}

// ---------------------------------------------------------------------------------------------------
// Resources and scopes

interface ScopeState {
  name: string;
  version: string;
  attributes: Attributes;
}

function scopeInto(end: number, depth: number, state: ScopeState): void {
  enter(depth);
  while (pos < end) {
    const t = tag();
    if (t === 0x0a) state.name = string(end);
    else if (t === 0x12) state.version = string(end);
    else if (t === 0x1a) attributeInto(end, depth, state.attributes, true);
    else other(S.scope, t, end, depth);
    if (pos > end) fail(TRUNCATED_FIELD);
  }
}

/**
 * Scopes without attributes of recent requests, by name and version: the same object each time, as for
 * resources, which spares the store from comparing them to share them.
 */
const KNOWN_SCOPES = 64;
const knownScopes = new Map<string, InstrumentationScope>();
const NO_SCOPE: InstrumentationScope = Object.freeze({ name: '' });

function scopeRecord(state: ScopeState | undefined): InstrumentationScope {
  if (!state) return NO_SCOPE;
  let hasAttributes = false;
  for (const _ in state.attributes) {
    hasAttributes = true;
    break;
  }
  const id = hasAttributes ? '' : `${state.name.length}:${state.name}${state.version}`;
  const known = hasAttributes ? undefined : knownScopes.get(id);
  if (known) return known;
  const scope: InstrumentationScope = { name: state.name };
  if (state.version) scope.version = state.version;
  if (hasAttributes) scope.attributes = state.attributes;
  else {
    if (knownScopes.size >= KNOWN_SCOPES) knownScopes.clear();
    knownScopes.set(id, Object.freeze(scope));
  }
  return scope;
}

function resourceInto(end: number, depth: number, into: Attributes): void {
  enter(depth);
  while (pos < end) {
    const t = tag();
    if (t === 0x0a) attributeInto(end, depth, into, true);
    else other(S.resource, t, end, depth);
    if (pos > end) fail(TRUNCATED_FIELD);
  }
}

/**
 * The resources of recent requests, by their bytes. An app sends the same resource (service, SDK, host,
 * process) with every request: read once, the same object is handed on, which also spares the store from
 * comparing its attributes to share it. A hit counts the elements its reading counted, so the limits see
 * the same request either way; a resource whose reading set a refusal is not kept.
 */
interface KnownResource {
  bytes: Buffer;
  attributes: Attributes;
  elements: number;
  /** The limits that shape what is read (too-deep values are dropped): a hit needs the same. */
  maxValueDepth: number;
  maxNesting: number;
}
const KNOWN_RESOURCES = 8;
const knownResources: KnownResource[] = [];

function knownResource(s: number, e: number): KnownResource | undefined {
  if (!nodeBuffer) return undefined;
  const n = e - s;
  for (const known of knownResources) {
    if (
      known.bytes.length === n &&
      known.maxValueDepth === lim.maxValueDepth &&
      known.maxNesting === lim.maxNesting &&
      nodeBuffer.compare(known.bytes, 0, n, s, e) === 0
    )
      return known;
  }
  return undefined;
}

/** The resource at pos..e, read or known; `into` is filled when it is read (a later occurrence merges). */
function resourceAt(e: number, depth: number, into: Attributes | undefined): Attributes {
  const s = pos;
  if (!into) {
    const known = knownResource(s, e);
    if (known) {
      countElement(known.elements);
      pos = e;
      return known.attributes;
    }
  }
  const attributes = into ?? {};
  const elementsBefore = elements;
  const refusalBefore = refusal;
  resourceInto(e, depth, attributes);
  if (!into && nodeBuffer && refusal === refusalBefore && e - s <= 64 * 1024) {
    if (knownResources.length >= KNOWN_RESOURCES) knownResources.pop();
    knownResources.unshift({
      bytes: Buffer.from(nodeBuffer.subarray(s, e)),
      attributes,
      elements: elements - elementsBefore,
      maxValueDepth: lim.maxValueDepth,
      maxNesting: lim.maxNesting,
    });
  }
  return attributes;
}

/** Filled in when the span's scope and resource have been read (they may come after it). */
const PENDING_SCOPE: InstrumentationScope = Object.freeze({ name: '' });
const PENDING_RESOURCE: Attributes = Object.freeze({});

type Item = SpanRecord | LogRecordData;

interface Signal<T extends Item> {
  resourceGroup: WireMessage;
  scopeGroup: WireMessage;
  /** The item, or the reason it is rejected. */
  read(end: number, depth: number): T | string;
}

/**
 * ResourceSpans / ResourceLogs: scope groups, then the pre-1.0 instrumentation_library_* groups (field
 * 1000, the same layout), each item given the resource and scope that hold it.
 */
function resourceGroup<T extends Item>(
  end: number,
  depth: number,
  signal: Signal<T>,
  items: T[],
  rejections: Rejections,
): void {
  enter(depth);
  const first = items.length;
  /** The first occurrence's object may be shared with other requests: a second one merges into a copy. */
  let resource: Attributes | undefined;
  let merged = false;
  let legacy: T[] | undefined;
  let legacyRejections: Rejections | undefined;
  while (pos < end) {
    const t = tag();
    if (t === 0x12) {
      scopeGroup(child(end), depth + 1, signal, items, rejections);
    } else if (t === 0x0a) {
      const e = child(end);
      if (resource && !merged) {
        resource = { ...resource };
        merged = true;
      }
      resource = resourceAt(e, depth + 1, resource);
    } else if (t === 8002) {
      legacy ??= [];
      legacyRejections ??= new Rejections();
      scopeGroup(child(end), depth + 1, signal, legacy, legacyRejections);
    } else other(signal.resourceGroup, t, end, depth);
    if (pos > end) fail(TRUNCATED_FIELD);
  }
  if (legacy && legacyRejections) {
    for (const item of legacy) items.push(item);
    rejections.count += legacyRejections.count;
    if (legacyRejections.first !== undefined) rejections.first ??= legacyRejections.first;
  }
  const attributes = resource ?? {};
  for (let i = first; i < items.length; i++) items[i]!.resource = attributes;
}

function scopeGroup<T extends Item>(
  end: number,
  depth: number,
  signal: Signal<T>,
  items: T[],
  rejections: Rejections,
): void {
  enter(depth);
  const first = items.length;
  let scope: ScopeState | undefined;
  while (pos < end) {
    const t = tag();
    if (t === 0x12) {
      const item = signal.read(child(end), depth + 1);
      if (typeof item === 'string') rejections.add(item);
      else items.push(item);
    } else if (t === 0x0a) {
      scope ??= { name: '', version: '', attributes: {} };
      scopeInto(child(end), depth + 1, scope);
    } else other(signal.scopeGroup, t, end, depth);
    if (pos > end) fail(TRUNCATED_FIELD);
  }
  const record = scopeRecord(scope);
  for (let i = first; i < items.length; i++) items[i]!.scope = record;
}

// ---------------------------------------------------------------------------------------------------
// Spans

let statusCode = 0;
let statusMessage = '';

function statusInto(end: number, depth: number): void {
  enter(depth);
  while (pos < end) {
    const t = tag();
    if (t === 0x12) statusMessage = string(end);
    else if (t === 0x18) statusCode = int32();
    else other(S.status, t, end, depth);
    if (pos > end) fail(TRUNCATED_FIELD);
  }
}

/** The event, or TOO_DEEP. */
function event(end: number, depth: number): SpanEventRecord | typeof TOO_DEEP {
  enter(depth);
  let name = '';
  let time = '0';
  const attributes: Attributes = {};
  let tooDeep = false;
  while (pos < end) {
    const t = tag();
    if (t === 0x1a) {
      if (attributeInto(end, depth, attributes)) tooDeep = true;
    } else if (t === 0x09) time = nanos(end);
    else if (t === 0x12) name = string(end);
    else other(S.event, t, end, depth);
    if (pos > end) fail(TRUNCATED_FIELD);
  }
  return tooDeep ? TOO_DEEP : { name, timeUnixNano: time, attributes };
}

/** The link; undefined when its ids are broken (it loses only itself); TOO_DEEP. */
function link(end: number, depth: number): SpanLinkRecord | typeof TOO_DEEP | undefined {
  enter(depth);
  let traceStart = 0;
  let traceEnd = 0;
  let spanStart = 0;
  let spanEnd = 0;
  const attributes: Attributes = {};
  let tooDeep = false;
  while (pos < end) {
    const t = tag();
    if (t === 0x22) {
      if (attributeInto(end, depth, attributes)) tooDeep = true;
    } else if (t === 0x0a) {
      traceEnd = lengthEnd(end);
      traceStart = pos;
      pos = traceEnd;
    } else if (t === 0x12) {
      spanEnd = lengthEnd(end);
      spanStart = pos;
      pos = spanEnd;
    } else other(S.link, t, end, depth);
    if (pos > end) fail(TRUNCATED_FIELD);
  }
  if (traceEnd - traceStart !== TRACE_ID_BYTES || spanEnd - spanStart !== SPAN_ID_BYTES) return undefined;
  if (tooDeep) return TOO_DEEP;
  return { traceId: hex(traceStart, traceEnd), spanId: hex(spanStart, spanEnd), attributes };
}

function span(end: number, depth: number): SpanRecord | string {
  enter(depth);
  let traceStart = 0;
  let traceEnd = 0;
  let spanStart = 0;
  let spanEnd = 0;
  let parentStart = 0;
  let parentEnd = 0;
  let name = '';
  let kind = 0;
  let start = '0';
  let finish = '0';
  let dropped = 0;
  const attributes = new AttributeLists();
  const events: SpanEventRecord[] = [];
  const links: SpanLinkRecord[] = [];
  let tooDeep = false;
  statusCode = 0;
  statusMessage = '';
  while (pos < end) {
    const t = tag();
    switch (t) {
      case 0x4a:
        if (!attributeRead(end, depth, attributes)) tooDeep = true;
        break;
      case 0x0a:
        traceEnd = lengthEnd(end);
        traceStart = pos;
        pos = traceEnd;
        break;
      case 0x12:
        spanEnd = lengthEnd(end);
        spanStart = pos;
        pos = spanEnd;
        break;
      case 0x22:
        parentEnd = lengthEnd(end);
        parentStart = pos;
        pos = parentEnd;
        break;
      case 0x2a:
        name = shortString(end);
        break;
      case 0x30:
        kind = int32();
        break;
      case 0x39:
        start = nanos(end);
        break;
      case 0x41:
        finish = nanos(end);
        break;
      case 0x50:
        dropped = uint32();
        break;
      case 0x5a: {
        const e = event(child(end), depth + 1);
        if (e === TOO_DEEP) tooDeep = true;
        else events.push(e);
        break;
      }
      case 0x6a: {
        const l = link(child(end), depth + 1);
        if (l === TOO_DEEP) tooDeep = true;
        else if (l) links.push(l);
        break;
      }
      case 0x7a:
        // A second status merges into the first, field by field.
        statusInto(child(end), depth + 1);
        break;
      default:
        other(S.span, t, end, depth);
    }
    if (pos > end) fail(TRUNCATED_FIELD);
  }

  const traceLength = traceEnd - traceStart;
  if (traceLength === 0) return 'a span has no trace id';
  if (traceLength !== TRACE_ID_BYTES) return idProblem('a span trace id', TRACE_ID_BYTES, traceLength);
  if (allZero(traceStart, traceEnd)) return 'a span has an all-zero trace id';
  const spanLength = spanEnd - spanStart;
  if (spanLength === 0) return 'a span has no span id';
  if (spanLength !== SPAN_ID_BYTES) return idProblem('a span id', SPAN_ID_BYTES, spanLength);
  if (allZero(spanStart, spanEnd)) return 'a span has an all-zero span id';
  const parentLength = parentEnd - parentStart;
  if (parentLength !== 0 && parentLength !== SPAN_ID_BYTES)
    return idProblem('a parent span id', SPAN_ID_BYTES, parentLength);
  if (tooDeep) return tooDeepReason(lim);

  const status: SpanRecord['status'] = { code: statusCode };
  if (statusMessage) status.message = statusMessage;
  const record: SpanRecord = {
    traceId: traceHex(traceStart),
    spanId: hex(spanStart, spanEnd),
    name,
    kind,
    startTimeUnixNano: start,
    endTimeUnixNano: finish,
    attributes: attributes.build(),
    events: keptList(events, NO_EVENTS),
    links: keptList(links, NO_LINKS),
    status,
    resource: PENDING_RESOURCE,
    scope: PENDING_SCOPE,
  };
  if (parentLength === SPAN_ID_BYTES && !allZero(parentStart, parentEnd))
    record.parentSpanId = hex(parentStart, parentEnd);
  if (dropped > 0) record.droppedAttributesCount = dropped;
  return record;
}

// ---------------------------------------------------------------------------------------------------
// Log records

function logRecord(end: number, depth: number): LogRecordData | string {
  enter(depth);
  let time = '0';
  let observed = '0';
  let severity = 0;
  let severityText = '';
  let eventName = '';
  let traceStart = 0;
  let traceEnd = 0;
  let spanStart = 0;
  let spanEnd = 0;
  const attributes = new AttributeLists();
  let tooDeep = false;
  let body: Value | undefined;
  let bodyRanges: number[] | undefined;
  while (pos < end) {
    const t = tag();
    switch (t) {
      case 0x32:
        if (!attributeRead(end, depth, attributes)) tooDeep = true;
        break;
      case 0x09:
        time = nanos(end);
        break;
      case 0x59:
        observed = nanos(end);
        break;
      case 0x10:
        severity = int32();
        break;
      case 0x1a:
        severityText = string(end);
        break;
      case 0x2a: {
        const e = child(end);
        (bodyRanges ??= []).push(pos, e);
        body = anyValue(e, depth + 1, 1);
        break;
      }
      case 0x4a:
        traceEnd = lengthEnd(end);
        traceStart = pos;
        pos = traceEnd;
        break;
      case 0x52:
        spanEnd = lengthEnd(end);
        spanStart = pos;
        pos = spanEnd;
        break;
      case 0x62:
        eventName = string(end);
        break;
      default:
        other(S.logRecord, t, end, depth);
    }
    if (pos > end) fail(TRUNCATED_FIELD);
  }
  if (bodyRanges && bodyRanges.length > 2) body = mergedAnyValue(bodyRanges, depth + 1, 1);

  // Log records may stand alone: empty (or all-zero) ids leave them uncorrelated, wrong lengths do not.
  const traceLength = traceEnd - traceStart;
  if (traceLength !== 0 && traceLength !== TRACE_ID_BYTES)
    return idProblem('a log record trace id', TRACE_ID_BYTES, traceLength);
  const spanLength = spanEnd - spanStart;
  if (spanLength !== 0 && spanLength !== SPAN_ID_BYTES)
    return idProblem('a log record span id', SPAN_ID_BYTES, spanLength);
  if (tooDeep || body === TOO_DEEP) return tooDeepReason(lim);

  const attrs = attributes.build();
  const log: LogRecordData = {
    timeUnixNano: time,
    attributes: attrs,
    resource: PENDING_RESOURCE,
    scope: PENDING_SCOPE,
  };
  if (observed !== '0') log.observedTimeUnixNano = observed;
  if (severity > 0) log.severityNumber = severity;
  if (severityText) log.severityText = severityText;
  if (body !== undefined) log.body = body;
  const fromAttribute = attrs[EVENT_NAME_ATTRIBUTE];
  eventName ||= typeof fromAttribute === 'string' ? fromAttribute : '';
  if (eventName) log.eventName = eventName;
  if (traceLength === TRACE_ID_BYTES && !allZero(traceStart, traceEnd))
    log.traceId = hex(traceStart, traceEnd);
  if (spanLength === SPAN_ID_BYTES && !allZero(spanStart, spanEnd)) log.spanId = hex(spanStart, spanEnd);
  return log;
}

// ---------------------------------------------------------------------------------------------------
// Metrics: counted; the GenAI ones read down to their data points, every other one skipped by its length

/** The metric's points, each given its resource and scope once those have been read (they may come after). */
function resourceMetrics(end: number, depth: number, out: DecodedRequest, rejections: Rejections): void {
  enter(depth);
  const resource: Attributes = {};
  const raw: RawMetricPoint[] = [];
  while (pos < end) {
    const t = tag();
    if (t === 0x12 || t === 8002) scopeMetrics(child(end), depth + 1, out, raw, rejections);
    else if (t === 0x0a) resourceInto(child(end), depth + 1, resource);
    else other(S.resourceMetrics, t, end, depth);
    if (pos > end) fail(TRUNCATED_FIELD);
  }
  for (const r of raw) {
    r.resource = resource;
    const point = genAiMetricPoint(r);
    if (point) (out.metrics ??= []).push(point);
  }
}

function scopeMetrics(
  end: number,
  depth: number,
  out: DecodedRequest,
  raw: RawMetricPoint[],
  rejections: Rejections,
): void {
  enter(depth);
  const first = raw.length;
  let scope: ScopeState | undefined;
  while (pos < end) {
    const t = tag();
    if (t === 0x12) {
      out.metricCount++;
      metric(child(end), depth + 1, raw, rejections);
    } else if (t === 0x0a) {
      scope ??= { name: '', version: '', attributes: {} };
      scopeInto(child(end), depth + 1, scope);
    } else other(S.scopeMetrics, t, end, depth);
    if (pos > end) fail(TRUNCATED_FIELD);
  }
  for (let i = first; i < raw.length; i++) {
    raw[i]!.scopeName = scope?.name ?? '';
    raw[i]!.scopeVersion = scope?.version ?? '';
  }
}

/**
 * One Metric. Its name may follow its data on the wire, so the data's place is noted and read once the
 * name is known to be a GenAI metric's; any other metric's data is stepped over unread.
 */
function metric(end: number, depth: number, raw: RawMetricPoint[], rejections: Rejections): void {
  enter(depth);
  let name = '';
  let unit = '';
  const data: number[] = [];
  while (pos < end) {
    const t = tag();
    if (t === 0x0a) name = string(end);
    else if (t === 0x1a) unit = string(end);
    else if (t === 0x3a || t === 0x4a) {
      const e = lengthEnd(end);
      data.push(t, pos, e);
      pos = e;
    } else other(S.metric, t, end, depth);
    if (pos > end) fail(TRUNCATED_FIELD);
  }
  if (data.length === 0 || !genAiMetricFamily(name)) return;
  const after = pos;
  for (let i = 0; i < data.length; i += 3) {
    pos = data[i + 1]!;
    const e = data[i + 2]!;
    countElement();
    const histogram = data[i] === 0x4a;
    const before = raw.length;
    const temporality = metricData(e, depth + 1, histogram, name, unit, raw, rejections);
    for (let j = before; j < raw.length; j++) raw[j]!.temporality = temporality;
  }
  pos = after;
}

/** Sum or Histogram: its points into `raw`; returns its temporality. */
function metricData(
  end: number,
  depth: number,
  histogram: boolean,
  name: string,
  unit: string,
  raw: RawMetricPoint[],
  rejections: Rejections,
): number {
  enter(depth);
  let temporality = 0;
  while (pos < end) {
    const t = tag();
    if (t === 0x0a) {
      const e = child(end);
      const p = histogram ? histogramPoint(e, depth + 1, name, unit) : numberPoint(e, depth + 1, name, unit);
      if (typeof p === 'string') rejections.add(p);
      else raw.push(p);
    } else if (t === 0x10) temporality = int32();
    else other(histogram ? S.histogram : S.sum, t, end, depth);
    if (pos > end) fail(TRUNCATED_FIELD);
  }
  return temporality;
}

function rawPoint(name: string, unit: string, attributes: Attributes): RawMetricPoint {
  return {
    metric: name,
    unit,
    temporality: 0,
    resource: PENDING_RESOURCE,
    scopeName: '',
    scopeVersion: '',
    attributes,
    startTimeUnixNano: '0',
    timeUnixNano: '0',
    count: 0,
    sum: 0,
  };
}

/** A fixed64 count as a number (exact below 2^53, which any real count is). */
/** A fixed64 (or, `signed`, an sfixed64) as a number. */
function fixed64Number(end: number, signed = false): number {
  if (pos + 8 > end) fail(TRUNCATED_FIELD);
  const high = fixed32At(pos + 4);
  const n = fixed32At(pos) + (signed ? high | 0 : high) * 4294967296;
  pos += 8;
  return n;
}

function numberPoint(end: number, depth: number, name: string, unit: string): RawMetricPoint | string {
  enter(depth);
  const attributes: Attributes = {};
  const p = rawPoint(name, unit, attributes);
  let tooDeep = false;
  while (pos < end) {
    const t = tag();
    if (t === 0x3a) {
      if (attributeInto(end, depth, attributes)) tooDeep = true;
    } else if (t === 0x11) p.startTimeUnixNano = nanos(end);
    else if (t === 0x19) p.timeUnixNano = nanos(end);
    else if (t === 0x21) p.sum = double(end);
    else if (t === 0x31) p.sum = fixed64Number(end, true);
    else other(S.numberPoint, t, end, depth);
    if (pos > end) fail(TRUNCATED_FIELD);
  }
  return tooDeep ? tooDeepReason(lim) : p;
}

function histogramPoint(end: number, depth: number, name: string, unit: string): RawMetricPoint | string {
  enter(depth);
  const attributes: Attributes = {};
  const p = rawPoint(name, unit, attributes);
  const counts: number[] = [];
  const bounds: number[] = [];
  let tooDeep = false;
  while (pos < end) {
    const t = tag();
    switch (t) {
      case 0x4a:
        if (attributeInto(end, depth, attributes)) tooDeep = true;
        break;
      case 0x11:
        p.startTimeUnixNano = nanos(end);
        break;
      case 0x19:
        p.timeUnixNano = nanos(end);
        break;
      case 0x21:
        p.count = fixed64Number(end);
        break;
      case 0x29:
        p.sum = double(end);
        break;
      case 0x31:
        counts.push(fixed64Number(end));
        break;
      case 0x32: {
        const e = lengthEnd(end);
        if ((e - pos) % 8 !== 0)
          fail('malformed protobuf message (a packed fixed64 list is not 8-byte aligned)');
        while (pos < e) counts.push(fixed64Number(e));
        break;
      }
      case 0x39:
        bounds.push(double(end));
        break;
      case 0x3a: {
        const e = lengthEnd(end);
        if ((e - pos) % 8 !== 0)
          fail('malformed protobuf message (a packed double list is not 8-byte aligned)');
        while (pos < e) bounds.push(double(e));
        break;
      }
      case 0x59:
        p.min = double(end);
        break;
      case 0x61:
        p.max = double(end);
        break;
      default:
        other(S.histogramPoint, t, end, depth);
    }
    if (pos > end) fail(TRUNCATED_FIELD);
  }
  if (tooDeep) return tooDeepReason(lim);
  if (counts.length > 0) {
    // Exactly sized copies: a series keeps its last counts, and an array grown by pushes keeps spare room.
    p.bucketCounts = counts.slice();
    p.bounds = bounds.slice();
  }
  return p;
}

// ---------------------------------------------------------------------------------------------------

let spanSignal: Signal<SpanRecord> | undefined;
let logSignal: Signal<LogRecordData> | undefined;

/**
 * The request in `body`. Throws OtlpDecodeError for a malformed body, and a plain Error with protobuf's
 * own reason for an encoding it refuses.
 */
export function readProtobufRequest(
  signal: OtlpSignal,
  body: Uint8Array,
  limits: DecodeLimits,
): DecodedRequest {
  S = schema();
  spanSignal ??= { resourceGroup: S.resourceSpans, scopeGroup: S.scopeSpans, read: span };
  logSignal ??= { resourceGroup: S.resourceLogs, scopeGroup: S.scopeLogs, read: logRecord };
  buf = body;
  nodeBuffer = Buffer.isBuffer(body) ? body : undefined;
  len = body.length;
  pos = 0;
  elements = 0;
  counting = true;
  lim = limits;
  refusal = undefined;
  try {
    const out: DecodedRequest = { spans: [], logs: [], metricCount: 0, rejected: 0 };
    const rejections = new Rejections();
    const root = signal === 'traces' ? S.traces : signal === 'logs' ? S.logs : S.metrics;
    enter(0);
    while (pos < len) {
      const t = tag();
      if (t === 0x0a) {
        const e = child(len);
        if (signal === 'traces') resourceGroup(e, 1, spanSignal, out.spans, rejections);
        else if (signal === 'logs') resourceGroup(e, 1, logSignal, out.logs, rejections);
        else resourceMetrics(e, 1, out, rejections);
      } else other(root, t, len, 0);
      if (pos > len) fail(TRUNCATED_FIELD);
    }
    if (refusal !== undefined) throw new Error(refusal);
    out.rejected = rejections.count;
    if (rejections.first !== undefined) out.rejectReason = rejections.first;
    return out;
  } finally {
    buf = EMPTY; // do not keep the request alive
    nodeBuffer = undefined;
  }
}
