// Keeps the editor's UI cheap while the receiver takes thousands of spans a second: a throttle for the
// status bar (a few renders a second, the last one always made) and a log that writes one summary line a
// second instead of a line per request, and folds identical warnings (a refusal repeated by a misconfigured
// exporter) into one line with a count. Time comes from injected timers, so tests drive the clock.

import type { Logger } from './logger';

export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const handle = setTimeout(fn, ms);
    // A pending summary must never keep a process (the standalone receiver, a test) alive.
    (handle as { unref?: () => void }).unref?.();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Runs `fn` at most once per `intervalMs`: a call after a quiet interval runs at once, calls within the
 * interval are folded into one trailing run at its end, so the last call is always followed by a run.
 */
export class Throttle {
  private lastRun = Number.NEGATIVE_INFINITY;
  private pending: unknown;
  private disposed = false;

  constructor(
    private readonly fn: () => void,
    private readonly intervalMs: number,
    private readonly timers: Timers = realTimers,
  ) {}

  schedule(): void {
    if (this.disposed || this.pending !== undefined) return;
    const wait = this.lastRun + this.intervalMs - this.timers.now();
    if (wait <= 0) {
      this.run();
      return;
    }
    this.pending = this.timers.setTimeout(() => {
      this.pending = undefined;
      if (!this.disposed) this.run();
    }, wait);
  }

  /** Runs now if a trailing run is pending. */
  flush(): void {
    if (this.pending === undefined) return;
    this.timers.clearTimeout(this.pending);
    this.pending = undefined;
    this.run();
  }

  dispose(): void {
    this.disposed = true;
    if (this.pending !== undefined) this.timers.clearTimeout(this.pending);
    this.pending = undefined;
  }

  private run(): void {
    this.lastRun = this.timers.now();
    this.fn();
  }
}

/** What one accepted request held, as the receiver's log reports it. */
export interface AcceptedRequest {
  signal: string;
  encoding: string;
  bytes: number;
  spans: number;
  logs: number;
  uncorrelatedLogs: number;
  repeatedLogs: number;
}

/** The line of one request, as it is logged when it is the first after a quiet interval. */
export function describeRequest(r: AcceptedRequest): string {
  return `${r.signal} ${r.encoding} ${r.bytes} B: ${r.spans} spans, ${r.logs} logs${tail(r)}`;
}

function tail(r: Pick<AcceptedRequest, 'uncorrelatedLogs' | 'repeatedLogs'>): string {
  return `${r.uncorrelatedLogs ? `, ${r.uncorrelatedLogs} logs without a span` : ''}${r.repeatedLogs ? `, ${r.repeatedLogs} logs already received (an exporter retry) skipped` : ''}`;
}

type Level = 'info' | 'warn';

/** Distinct repeated lines tracked per interval; beyond this many, lines are written as they come. */
const MAX_COALESCED_LINES = 200;

/**
 * The receiver's log under load. `accepted` writes the first request after a quiet interval at once and
 * sums the ones that follow into one summary line per interval while they keep coming. The logger from
 * `coalescing` writes errors at once, always; an info or warning line is written the first time, and the
 * same line again within the interval only counts, written once at the interval's end with the count.
 */
export class ReceiverLogSummary {
  private readonly intervalMs: number;
  private readonly timers: Timers;
  private readonly prefix: string;
  private timer: unknown;
  /** Requests accepted since the last line about them; undefined: none since. */
  private summed: (AcceptedRequest & { requests: number; signals: Map<string, number> }) | undefined;
  /** Whether a request was written or summed within the current interval. */
  private requestsActive = false;
  /** Lines written this interval, with how many times they came again since. */
  private readonly repeats = new Map<string, { level: Level; count: number }>();

  constructor(
    private readonly logger: Logger,
    options: { intervalMs?: number; timers?: Timers; prefix?: string } = {},
  ) {
    this.intervalMs = options.intervalMs ?? 1000;
    this.timers = options.timers ?? realTimers;
    this.prefix = options.prefix ?? '[receiver] ';
  }

  accepted(r: AcceptedRequest): void {
    if (!this.requestsActive) {
      this.requestsActive = true;
      this.logger.info(this.prefix + describeRequest(r));
      this.arm();
      return;
    }
    const s = (this.summed ??= {
      signal: '',
      encoding: '',
      bytes: 0,
      spans: 0,
      logs: 0,
      uncorrelatedLogs: 0,
      repeatedLogs: 0,
      requests: 0,
      signals: new Map(),
    });
    s.requests++;
    s.bytes += r.bytes;
    s.spans += r.spans;
    s.logs += r.logs;
    s.uncorrelatedLogs += r.uncorrelatedLogs;
    s.repeatedLogs += r.repeatedLogs;
    s.signals.set(r.signal, (s.signals.get(r.signal) ?? 0) + 1);
  }

  /** A logger for the receivers: the same lines, identical repeats within an interval folded. */
  coalescing(): Logger {
    const line = (level: Level, message: string, args: unknown[]): void => {
      const seen = this.repeats.get(message);
      if (seen) {
        seen.count++;
        return;
      }
      if (this.repeats.size < MAX_COALESCED_LINES) {
        this.repeats.set(message, { level, count: 0 });
        this.arm();
      }
      this.logger[level](message, ...args);
    };
    return {
      trace: (m, ...a) => this.logger.trace(m, ...a),
      debug: (m, ...a) => this.logger.debug(m, ...a),
      info: (m, ...a) => line('info', m, a),
      warn: (m, ...a) => line('warn', m, a),
      error: (m, ...a) => this.logger.error(m, ...a),
    };
  }

  /** Writes what is summed or counted now (on stop and dispose, so nothing is lost). */
  flush(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.writePending();
    this.requestsActive = false;
    this.repeats.clear();
  }

  dispose(): void {
    this.flush();
  }

  private arm(): void {
    if (this.timer !== undefined) return;
    this.timer = this.timers.setTimeout(() => this.tick(), this.intervalMs);
  }

  private tick(): void {
    this.timer = undefined;
    // A quiet interval ends the burst: the next request or line is written at once again.
    for (const [message, seen] of this.repeats) {
      if (seen.count === 0) this.repeats.delete(message);
    }
    const wrote = this.writePending();
    if (!wrote.requests) this.requestsActive = false;
    if (this.requestsActive || this.repeats.size > 0) this.arm();
  }

  private writePending(): { requests: boolean } {
    const s = this.summed;
    this.summed = undefined;
    if (s) {
      const seconds = this.intervalMs / 1000;
      const signals = [...s.signals].map(([signal, n]) => `${n} ${signal}`).join(', ');
      this.logger.info(
        `${this.prefix}${s.requests} more request${s.requests === 1 ? '' : 's'} in the last ${seconds} s (${signals}): ${s.bytes} B, ${s.spans} spans, ${s.logs} logs${tail(s)}`,
      );
    }
    for (const [message, seen] of this.repeats) {
      if (seen.count === 0) continue;
      this.logger[seen.level](
        `${message} (${seen.count} more time${seen.count === 1 ? '' : 's'} in the last ${this.intervalMs / 1000} s)`,
      );
      seen.count = 0;
    }
    return { requests: s !== undefined };
  }
}
