// Reads an OTLP JSON file into records: JSON lines, one export request per line (the OpenTelemetry
// Collector's file exporter, and this extension's own export), traces, logs and metrics lines mixed; or
// one request as a whole document, pretty-printed or not. Each line goes through the receiver's own JSON
// reader, so a file reads exactly as the same requests sent over OTLP/HTTP would. A bad line is reported
// with its number and reason and the others still load; of the metrics, the GenAI points are kept (for the
// file's Summary) and the rest only counted.

import type { GenAiMetricPoint } from '../core/genaiMetrics';
import type { LogRecordData, SpanRecord } from '../core/records';
import { defaultDecodeLimits, OtlpDecodeError, type DecodedRequest, type OtlpSignal } from './decodeCommon';
import { readJsonRequest } from './jsonReader';

/** The largest file opened: a file is read whole, and its records are kept in the window's memory. */
export const MAX_OTLP_FILE_BYTES = 256 * 1024 * 1024;
/** Problems listed one by one; past this many only their count grows. */
const MAX_PROBLEMS_LISTED = 100;

export class OtlpFileTooLargeError extends Error {
  override name = 'OtlpFileTooLargeError';
  constructor(
    readonly bytes: number,
    readonly maxBytes: number,
  ) {
    super(
      `The file is ${formatMB(bytes)}; OTLP files of up to ${formatMB(maxBytes)} can be opened. ` +
        'Split it (each line is a request of its own) or export fewer traces.',
    );
  }
}

function formatMB(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)} MB`;
}

export interface FileProblem {
  /** 1-based; for a whole document, 1. */
  line: number;
  reason: string;
}

export interface OtlpFileContents {
  spans: SpanRecord[];
  logs: LogRecordData[];
  /** Export requests read, by signal. */
  requests: Record<OtlpSignal, number>;
  /** Data points of every metric, GenAI or not. */
  metricCount: number;
  /** The GenAI metrics' points, as the receiver reads them. */
  metrics: GenAiMetricPoint[];
  format: 'jsonLines' | 'document';
  /** Lines that could not be read, or that lost spans or log records; the first ones. */
  problems: FileProblem[];
  /** How many problems there were in all. */
  problemCount: number;
}

const SIGNAL_KEYS: readonly [string, OtlpSignal][] = [
  ['resourceSpans', 'traces'],
  ['resource_spans', 'traces'],
  ['resourceLogs', 'logs'],
  ['resource_logs', 'logs'],
  ['resourceMetrics', 'metrics'],
  ['resource_metrics', 'metrics'],
];
// What the Collector writes: the signal's key first. Anything else is parsed to find it.
const LEADING_KEY = /^\s*\{\s*"(resource_?[A-Za-z]+)"\s*:/;

type Read = { kind: 'request'; signal: OtlpSignal; request: DecodedRequest } | { kind: 'empty' };

/** One export request's text, whatever its signal; throws OtlpDecodeError with the reason. */
function readRequestText(bytes: Uint8Array): Read {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 256)).toString(
    'latin1',
  );
  const leading = LEADING_KEY.exec(head)?.[1];
  let signal = SIGNAL_KEYS.find(([k]) => k === leading)?.[1];
  if (!signal) {
    let root: unknown;
    try {
      root = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
    } catch (err) {
      const at = /position (\d+)/.exec(err instanceof Error ? err.message : '');
      throw new OtlpDecodeError(
        at ? `not valid JSON (syntax error at character ${at[1]})` : 'not valid JSON',
      );
    }
    if (typeof root !== 'object' || root === null || Array.isArray(root))
      throw new OtlpDecodeError('not a JSON object');
    const keys = Object.keys(root);
    if (keys.length === 0) return { kind: 'empty' };
    signal = SIGNAL_KEYS.find(([k]) => keys.includes(k))?.[1];
    if (!signal)
      throw new OtlpDecodeError(
        'not an OTLP export request (no resourceSpans, resourceLogs or resourceMetrics)',
      );
  }
  return { kind: 'request', signal, request: readJsonRequest(signal, bytes, defaultDecodeLimits) };
}

function isBlank(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = bytes[i]!;
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0a) return false;
  }
  return true;
}

const ITEM: Record<OtlpSignal, [string, string]> = {
  traces: ['span', 'spans'],
  logs: ['log record', 'log records'],
  metrics: ['data point', 'data points'],
};

/** Reads the file's bytes; throws OtlpFileTooLargeError past `maxBytes`, and nothing else. */
export function readOtlpFile(bytes: Uint8Array, maxBytes = MAX_OTLP_FILE_BYTES): OtlpFileContents {
  if (bytes.byteLength > maxBytes) throw new OtlpFileTooLargeError(bytes.byteLength, maxBytes);
  const out: OtlpFileContents = {
    spans: [],
    logs: [],
    requests: { traces: 0, logs: 0, metrics: 0 },
    metricCount: 0,
    metrics: [],
    format: 'jsonLines',
    problems: [],
    problemCount: 0,
  };
  const problem = (line: number, reason: string): void => {
    out.problemCount++;
    // The receiver's reader speaks of a request body; here the body is a line.
    if (out.problems.length < MAX_PROBLEMS_LISTED)
      out.problems.push({ line, reason: reason.replace(/^body is /, '') });
  };
  const take = (line: number, read: Read): void => {
    if (read.kind === 'empty') return;
    const { signal, request } = read;
    out.requests[signal]++;
    out.metricCount += request.metricCount;
    for (const s of request.spans) out.spans.push(s);
    for (const l of request.logs) out.logs.push(l);
    if (request.metrics) for (const m of request.metrics) out.metrics.push(m);
    if (request.rejected > 0) {
      const [one, many] = ITEM[signal];
      problem(
        line,
        `${request.rejected} ${request.rejected === 1 ? one : many} skipped: ${request.rejectReason ?? 'invalid'}`,
      );
    }
  };

  const lines: { line: number; start: number; end: number }[] = [];
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let start = 0, line = 1; start < bytes.byteLength; line++) {
    let end = buffer.indexOf(0x0a, start);
    if (end < 0) end = bytes.byteLength;
    if (!isBlank(bytes, start, end)) lines.push({ line, start, end });
    start = end + 1;
  }
  if (lines.length === 0) {
    problem(1, 'the file is empty');
    return out;
  }

  const slice = (l: { start: number; end: number }): Uint8Array => bytes.subarray(l.start, l.end);
  let first: Read | OtlpDecodeError;
  try {
    first = readRequestText(slice(lines[0]!));
  } catch (err) {
    first = asDecodeError(err);
  }
  // A first line that is not a request by itself: the file may be one request spread over many lines.
  if (first instanceof OtlpDecodeError && lines.length > 1) {
    try {
      const whole = readRequestText(bytes);
      out.format = 'document';
      take(1, whole);
      return out;
    } catch {
      // Not a document either: read line by line, and say which lines are bad.
    }
  }
  lines.forEach((l, i) => {
    let read: Read | OtlpDecodeError;
    if (i === 0) read = first;
    else {
      try {
        read = readRequestText(slice(l));
      } catch (err) {
        read = asDecodeError(err);
      }
    }
    if (read instanceof OtlpDecodeError) problem(l.line, read.message);
    else take(l.line, read);
  });
  if (lines.length === 1 && !(first instanceof OtlpDecodeError)) out.format = 'document';
  return out;
}

function asDecodeError(err: unknown): OtlpDecodeError {
  if (err instanceof OtlpDecodeError) return err;
  return new OtlpDecodeError(err instanceof Error ? err.message : String(err));
}

/** One line per problem, for the log and a message: "line 3: not valid JSON ...". */
export function describeProblems(
  contents: Pick<OtlpFileContents, 'problems' | 'problemCount' | 'format'>,
): string[] {
  const lines = contents.problems.map((p) =>
    contents.format === 'document' ? p.reason : `line ${p.line}: ${p.reason}`,
  );
  const more = contents.problemCount - contents.problems.length;
  if (more > 0) lines.push(`and ${more} more`);
  return lines;
}
