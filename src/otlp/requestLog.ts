// The local receiver's memory across reloads and restarts: every accepted request's (decompressed) body is
// appended to a segment file in the extension's storage before the receiver answers, and replayed through
// the same decoder on start. Records are framed and checksummed, so a torn tail after a crash, or a damaged
// record, is skipped with a log line and never stops the rest. Bounded in bytes: when the segments pass the
// budget, the oldest go first. Node only; the host passes the folder.
//
// Record: magic "LTI1" | signal (1 byte) | encoding (1 byte) | reserved (2) | time ms (float64 LE) |
//         length (uint32 LE) | sha-256 of the body, first 4 bytes | body

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Logger } from '../core/logger';
import type { OtlpEncoding, OtlpSignal } from './decode';

const MAGIC = Buffer.from('LTI1', 'ascii');
const HEADER_BYTES = 4 + 4 + 8 + 4 + 4;
const SIGNALS: readonly OtlpSignal[] = ['traces', 'logs', 'metrics'];
const ENCODINGS: readonly OtlpEncoding[] = ['protobuf', 'json'];
const SEGMENT = /^requests-(\d{8})\.log$/;

export interface LoggedRequest {
  signal: OtlpSignal;
  encoding: OtlpEncoding;
  timeMs: number;
  body: Buffer;
  /** Where the record ends in the log. */
  at: LogPosition;
}

/** A point in the log: the end of the records before it, in a segment (segments sort by name). */
export interface LogPosition {
  segment: string;
  offset: number;
}

/** Whether `a` is at or before `b`. */
export function atOrBefore(a: LogPosition, b: LogPosition): boolean {
  return a.segment < b.segment || (a.segment === b.segment && a.offset <= b.offset);
}

export interface RequestLogOptions {
  dir: string;
  /** Everything kept, in bytes; the oldest segments are deleted past it. */
  maxBytes: number;
  /** A segment is closed and a new one started past this size. */
  segmentBytes?: number;
  logger: Logger;
  now?: () => number;
}

export class RequestLog {
  private fd: number | undefined;
  private current: string | undefined;
  private currentBytes = 0;
  private readonly segmentBytes: number;
  private readonly now: () => number;

  constructor(private readonly options: RequestLogOptions) {
    // Segments are a small part of the budget, so deleting the oldest one keeps most of the history.
    const byBudget = Math.floor(options.maxBytes / 8);
    this.segmentBytes = Math.max(64 * 1024, Math.min(options.segmentBytes ?? 8 * 1024 * 1024, byBudget));
    this.now = options.now ?? Date.now;
  }

  /** Appends one request; returns false (and logs why) when it could not be written. Never throws. */
  append(signal: OtlpSignal, encoding: OtlpEncoding, body: Uint8Array): boolean {
    if (body.length + HEADER_BYTES > this.options.maxBytes) {
      this.options.logger.warn(
        `[persist] a ${signal} request of ${body.length} bytes is larger than store.persistMaxMB: kept in memory only`,
      );
      return false;
    }
    try {
      const full =
        this.currentBytes > 0 && this.currentBytes + body.length + HEADER_BYTES > this.segmentBytes;
      if (this.fd === undefined || full) this.rotate();
      const record = Buffer.alloc(HEADER_BYTES + body.length);
      MAGIC.copy(record, 0);
      record.writeUInt8(SIGNALS.indexOf(signal), 4);
      record.writeUInt8(ENCODINGS.indexOf(encoding), 5);
      record.writeDoubleLE(this.now(), 8);
      record.writeUInt32LE(body.length, 16);
      checksum(body).copy(record, 20);
      record.set(body, HEADER_BYTES);
      // One write per record: a short one (a full disk) ends this segment, so nothing lands after a tear.
      const written = fs.writeSync(this.fd!, record);
      if (written !== record.length)
        throw new Error(`only ${written} of ${record.length} bytes were written`);
      this.currentBytes += record.length;
      return true;
    } catch (err) {
      this.options.logger.warn(
        `[persist] could not keep a request: ${err instanceof Error ? err.message : String(err)}`,
      );
      this.closeFd();
      return false;
    }
  }

  /**
   * Every request kept, oldest first. A torn or damaged record ends the reading of its segment (what follows
   * cannot be framed) and is logged; the other segments are read as usual.
   */
  *read(): Generator<LoggedRequest> {
    for (const file of this.segments()) {
      let data: Buffer;
      try {
        data = fs.readFileSync(path.join(this.options.dir, file));
      } catch {
        continue;
      }
      let at = 0;
      while (at < data.length) {
        const problem = frameProblem(data, at);
        if (problem) {
          this.options.logger.warn(
            `[persist] ${file}: skipped ${data.length - at} bytes from offset ${at} (${problem}); earlier records kept`,
          );
          break;
        }
        const length = data.readUInt32LE(at + 16);
        const end = at + HEADER_BYTES + length;
        yield {
          signal: SIGNALS[data.readUInt8(at + 4)]!,
          encoding: ENCODINGS[data.readUInt8(at + 5)]!,
          timeMs: data.readDoubleLE(at + 8),
          body: data.subarray(at + HEADER_BYTES, end),
          at: { segment: file, offset: end },
        };
        at = end;
      }
    }
  }

  /** The end of what is written now; undefined when nothing is kept. */
  position(): LogPosition | undefined {
    if (this.current !== undefined && this.fd !== undefined)
      return { segment: this.current, offset: this.currentBytes };
    const last = this.segments().at(-1);
    return last === undefined
      ? undefined
      : { segment: last, offset: fileSize(path.join(this.options.dir, last)) };
  }

  /** Bytes kept on disk now. */
  size(): number {
    return this.segments().reduce((n, f) => n + fileSize(path.join(this.options.dir, f)), 0);
  }

  /** Deletes every segment (Clear Local Traces). */
  clear(): void {
    this.closeFd();
    for (const f of this.segments()) {
      try {
        fs.rmSync(path.join(this.options.dir, f), { force: true });
      } catch (err) {
        this.options.logger.warn(
          `[persist] could not delete ${f}: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    }
  }

  dispose(): void {
    this.closeFd();
  }

  private rotate(): void {
    this.closeFd();
    fs.mkdirSync(this.options.dir, { recursive: true });
    const existing = this.segments();
    const last = existing.length ? Number(SEGMENT.exec(existing[existing.length - 1]!)![1]) : 0;
    this.current = `requests-${String(last + 1).padStart(8, '0')}.log`;
    this.fd = fs.openSync(path.join(this.options.dir, this.current), 'a');
    this.currentBytes = 0;
    try {
      this.prune();
    } catch (err) {
      this.options.logger.warn(
        `[persist] could not delete old segments: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }

  /** Keeps the newest segments within the budget; the one being written is never deleted. */
  private prune(): void {
    const files = this.segments();
    let total = files.reduce((n, f) => n + fileSize(path.join(this.options.dir, f)), 0);
    for (const f of files) {
      if (total <= this.options.maxBytes - this.segmentBytes || f === this.current) break;
      total -= fileSize(path.join(this.options.dir, f));
      fs.rmSync(path.join(this.options.dir, f), { force: true });
      this.options.logger.info(`[persist] deleted ${f} to stay within ${this.options.maxBytes} bytes`);
    }
  }

  private segments(): string[] {
    try {
      return fs
        .readdirSync(this.options.dir)
        .filter((f) => SEGMENT.test(f))
        .sort();
    } catch {
      return [];
    }
  }

  private closeFd(): void {
    if (this.fd !== undefined) {
      try {
        fs.closeSync(this.fd);
      } catch {
        /* already closed */
      }
    }
    this.fd = undefined;
  }
}

function checksum(body: Uint8Array): Buffer {
  return createHash('sha256').update(body).digest().subarray(0, 4);
}

function frameProblem(data: Buffer, at: number): string | undefined {
  if (data.length - at < HEADER_BYTES) return 'a torn header';
  if (!data.subarray(at, at + 4).equals(MAGIC)) return 'not a record';
  if (data.readUInt8(at + 4) >= SIGNALS.length || data.readUInt8(at + 5) >= ENCODINGS.length)
    return 'bad header';
  const length = data.readUInt32LE(at + 16);
  if (data.length - at - HEADER_BYTES < length) return 'a torn record';
  const body = data.subarray(at + HEADER_BYTES, at + HEADER_BYTES + length);
  if (!checksum(body).equals(data.subarray(at + 20, at + 24))) return 'a damaged record';
  return undefined;
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}
