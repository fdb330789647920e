// The throttle behind the status bar and the receiver's summarised log, on a clock the test drives; and
// the real HTTP receiver's refusals folded into one line with a count.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryLogger } from '../../../src/core/logger';
import {
  describeRequest,
  ReceiverLogSummary,
  Throttle,
  type AcceptedRequest,
  type Timers,
} from '../../../src/core/throttle';
import { OtlpHttpReceiver } from '../../../src/otlp/httpReceiver';

/** Timers on a clock that moves only when the test says so. */
class FakeTimers implements Timers {
  private time = 1_000_000;
  private nextId = 1;
  private readonly queue = new Map<number, { at: number; fn: () => void }>();
  now(): number {
    return this.time;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.queue.set(id, { at: this.time + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.queue.delete(handle as number);
  }
  get pending(): number {
    return this.queue.size;
  }
  /** Moves the clock on, running each timer that falls due in time order. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.queue)
        if (entry[1].at <= end && (!next || entry[1].at < next[1].at)) next = entry;
      if (!next) break;
      this.queue.delete(next[0]);
      this.time = next[1].at;
      next[1].fn();
    }
    this.time = end;
  }
}

function request(over: Partial<AcceptedRequest> = {}): AcceptedRequest {
  return {
    signal: 'traces',
    encoding: 'protobuf',
    bytes: 8697,
    spans: 4,
    logs: 0,
    uncorrelatedLogs: 0,
    repeatedLogs: 0,
    ...over,
  };
}

describe('Throttle', () => {
  it('runs the first call at once, folds a burst into one trailing run, and always runs after the last', () => {
    const timers = new FakeTimers();
    const runs: number[] = [];
    let value = 0;
    const throttle = new Throttle(() => runs.push(value), 250, timers);
    value = 1;
    throttle.schedule();
    assert.deepEqual(runs, [1], 'the first call renders at once');
    // 1,000 calls over 999 ms: four runs a second at most, and the last value is the one shown.
    for (let i = 2; i <= 1001; i++) {
      value = i;
      throttle.schedule();
      timers.advance(1);
    }
    timers.advance(250);
    assert.ok(runs.length <= 6, `at most a few runs a second, got ${runs.length}`);
    assert.equal(runs.at(-1), 1001, 'the trailing run shows the final value');
    assert.equal(timers.pending, 0);
    // After a quiet interval the next call runs at once again.
    timers.advance(1000);
    value = 2000;
    throttle.schedule();
    assert.equal(runs.at(-1), 2000);
  });

  it('flushes a pending run and runs nothing after dispose', () => {
    const timers = new FakeTimers();
    let runs = 0;
    const throttle = new Throttle(() => runs++, 250, timers);
    throttle.schedule();
    throttle.schedule();
    assert.equal(runs, 1);
    throttle.flush();
    assert.equal(runs, 2);
    throttle.schedule();
    throttle.dispose();
    timers.advance(1000);
    assert.equal(runs, 2);
    assert.equal(timers.pending, 0);
  });
});

describe('ReceiverLogSummary', () => {
  it('logs the first request at once, then one summary line a second while requests keep coming', () => {
    const timers = new FakeTimers();
    const logger = new MemoryLogger();
    const log = new ReceiverLogSummary(logger, { timers });
    log.accepted(request());
    assert.deepEqual(logger.lines, [{ level: 'info', message: `[receiver] ${describeRequest(request())}` }]);
    // 3 s of 200 requests a second: one line a second, not 600.
    for (let i = 0; i < 600; i++) {
      log.accepted(request({ signal: i % 4 === 0 ? 'logs' : 'traces', logs: i % 4 === 0 ? 2 : 0 }));
      timers.advance(5);
    }
    timers.advance(1000);
    const lines = logger.lines.map((l) => l.message);
    assert.equal(lines.length, 4, lines.join('\n'));
    const [first, ...summaries] = lines;
    assert.equal(first, '[receiver] traces protobuf 8697 B: 4 spans, 0 logs');
    const counts = summaries.map((l) =>
      Number(/^\[receiver\] (\d+) more requests in the last 1 s/.exec(l)?.[1]),
    );
    assert.equal(
      counts.reduce((a, b) => a + b, 0),
      600,
      'every request is counted in some line',
    );
    assert.match(summaries[0]!, /\(\d+ logs, \d+ traces\): \d+ B, \d+ spans, \d+ logs$/);
    // Then quiet: the timer stops, and the next request is logged at once again.
    timers.advance(5000);
    assert.equal(timers.pending, 0);
    log.accepted(request({ uncorrelatedLogs: 3 }));
    assert.equal(
      logger.lines.at(-1)?.message,
      '[receiver] traces protobuf 8697 B: 4 spans, 0 logs, 3 logs without a span',
    );
  });

  it('sums spans, logs, bytes and the retried logs of a burst', () => {
    const timers = new FakeTimers();
    const logger = new MemoryLogger();
    const log = new ReceiverLogSummary(logger, { timers });
    log.accepted(request());
    log.accepted(request({ signal: 'logs', spans: 0, logs: 5, bytes: 100, repeatedLogs: 2 }));
    log.accepted(request({ spans: 1, bytes: 50 }));
    timers.advance(1000);
    assert.equal(
      logger.lines.at(-1)?.message,
      '[receiver] 2 more requests in the last 1 s (1 logs, 1 traces): 150 B, 1 spans, 5 logs, 2 logs already received (an exporter retry) skipped',
    );
  });

  it('writes errors at once, and folds an identical refusal repeated within a second into a count', () => {
    const timers = new FakeTimers();
    const logger = new MemoryLogger();
    const log = new ReceiverLogSummary(logger, { timers });
    const receiverLog = log.coalescing();
    const refusal = '[receiver] refused POST /v1/traces from 127.0.0.1: 415 unsupported content type';
    for (let i = 0; i < 50; i++) receiverLog.warn(refusal);
    receiverLog.warn('[receiver] refused POST /v1/logs from 127.0.0.1: 400 body is not valid gzip data');
    receiverLog.error('[receiver] the receiver could not store this batch');
    receiverLog.error('[receiver] the receiver could not store this batch');
    assert.deepEqual(
      logger.lines.map((l) => l.level),
      ['warn', 'warn', 'error', 'error'],
    );
    timers.advance(1000);
    assert.deepEqual(logger.lines.at(-1), {
      level: 'warn',
      message: `${refusal} (49 more times in the last 1 s)`,
    });
    assert.equal(logger.lines.length, 5);
    // Still coming: counted again, one line per second.
    receiverLog.warn(refusal);
    receiverLog.warn(refusal);
    timers.advance(1000);
    assert.equal(logger.lines.at(-1)?.message, `${refusal} (2 more times in the last 1 s)`);
    // After a quiet second the same refusal is written at once again, as itself.
    timers.advance(2000);
    assert.equal(timers.pending, 0);
    receiverLog.warn(refusal);
    assert.deepEqual(logger.lines.at(-1), { level: 'warn', message: refusal });
  });

  it('writes what is pending on flush', () => {
    const timers = new FakeTimers();
    const logger = new MemoryLogger();
    const log = new ReceiverLogSummary(logger, { timers });
    log.accepted(request());
    log.accepted(request());
    log.coalescing().info('x');
    log.coalescing().info('x');
    log.flush();
    assert.deepEqual(
      logger.lines.map((l) => l.message),
      [
        '[receiver] traces protobuf 8697 B: 4 spans, 0 logs',
        'x',
        '[receiver] 1 more request in the last 1 s (1 traces): 8697 B, 4 spans, 0 logs',
        'x (1 more time in the last 1 s)',
      ],
    );
    assert.equal(timers.pending, 0);
  });

  it('folds the real HTTP receiver’s repeated refusals into one line with a count', async () => {
    const timers = new FakeTimers();
    const logger = new MemoryLogger();
    const log = new ReceiverLogSummary(logger, { timers });
    const receiver = new OtlpHttpReceiver({
      host: '127.0.0.1',
      port: 0,
      maxBodyBytes: 1024 * 1024,
      logger: log.coalescing(),
      onBatch: () => undefined,
    });
    const { port } = await receiver.start();
    try {
      for (let i = 0; i < 20; i++) {
        const answer = await fetch(`http://127.0.0.1:${port}/v1/traces`, {
          method: 'POST',
          headers: { 'content-type': 'text/plain' },
          body: 'not otlp',
        });
        assert.equal(answer.status, 415);
        await answer.arrayBuffer();
      }
    } finally {
      await receiver.stop();
    }
    const refusals = logger.lines.filter((l) => l.message.includes('refused'));
    assert.equal(refusals.length, 1, JSON.stringify(refusals));
    timers.advance(1000);
    const all = logger.lines.filter((l) => l.message.includes('refused'));
    assert.equal(all.length, 2);
    assert.match(
      all[1]!.message,
      /^\[receiver\] refused POST \/v1\/traces from .*: 415 .* \(19 more times in the last 1 s\)$/,
    );
  });
});
