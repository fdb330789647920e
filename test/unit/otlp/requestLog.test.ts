// The receiver's request log on a real disk: what is appended is read back, in order and byte for byte; a
// torn tail or a damaged record is skipped with a log line and the rest is kept; the budget deletes the
// oldest segments; Clear deletes everything.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MemoryLogger } from '../../../src/core/logger';
import { RequestLog } from '../../../src/otlp/requestLog';
import { replayRequestLog } from '../../../src/otlp/requestReplay';
import { createNormalizer } from '../../../src/core/genai/normalize';
import { TraceStore } from '../../../src/core/store';
import { fixtureBatch, fixtureEntries, fixturePayload } from '../helpers/fixtures';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lti-requestlog-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const freshDir = (): string => path.join(tmp, `d${++n}`);

describe('RequestLog', () => {
  it('reads back what was appended, in order, across segments and a new instance', () => {
    const dir = freshDir();
    const log = new RequestLog({
      dir,
      maxBytes: 10 * 1024 * 1024,
      segmentBytes: 64 * 1024,
      logger: new MemoryLogger(),
    });
    const bodies = Array.from({ length: 40 }, (_, i) => Buffer.alloc(5000, i));
    bodies.forEach((b, i) =>
      assert.ok(log.append(i % 2 ? 'logs' : 'traces', i % 3 ? 'protobuf' : 'json', b)),
    );
    log.dispose();
    assert.ok(fs.readdirSync(dir).length > 1, 'several segments');
    const again = new RequestLog({ dir, maxBytes: 10 * 1024 * 1024, logger: new MemoryLogger() });
    const read = [...again.read()];
    assert.equal(read.length, 40);
    read.forEach((r, i) => {
      assert.equal(r.signal, i % 2 ? 'logs' : 'traces');
      assert.equal(r.encoding, i % 3 ? 'protobuf' : 'json');
      assert.ok(r.body.equals(bodies[i]!));
    });
  });

  it('skips a torn tail and a damaged record with a log line, and keeps the records before them', () => {
    const dir = freshDir();
    const logger = new MemoryLogger();
    const log = new RequestLog({ dir, maxBytes: 1024 * 1024, logger });
    for (let i = 0; i < 3; i++) log.append('traces', 'protobuf', Buffer.from(`body ${i}`));
    log.dispose();
    const file = path.join(dir, fs.readdirSync(dir)[0]!);
    const whole = fs.readFileSync(file);
    fs.writeFileSync(file, whole.subarray(0, whole.length - 3)); // a crash mid-write
    assert.deepEqual(
      [...log.read()].map((r) => r.body.toString()),
      ['body 0', 'body 1'],
    );
    assert.ok(
      logger.lines.some((l) => /torn record/.test(l.message)),
      logger.lines.map((l) => l.message).join('\n'),
    );
    const damaged = Buffer.from(whole);
    damaged[damaged.length - 1] ^= 0xff;
    fs.writeFileSync(file, damaged);
    assert.deepEqual(
      [...log.read()].map((r) => r.body.toString()),
      ['body 0', 'body 1'],
    );
    assert.ok(logger.lines.some((l) => /damaged record/.test(l.message)));
    fs.writeFileSync(file, Buffer.concat([whole, Buffer.from('garbage that is not a record')]));
    assert.equal([...log.read()].length, 3);
  });

  it('stays within its budget by deleting the oldest segments, and Clear deletes everything', () => {
    const dir = freshDir();
    const log = new RequestLog({
      dir,
      maxBytes: 256 * 1024,
      segmentBytes: 64 * 1024,
      logger: new MemoryLogger(),
    });
    for (let i = 0; i < 100; i++) log.append('traces', 'protobuf', Buffer.alloc(10_000, i % 250));
    assert.ok(log.size() <= 256 * 1024, `kept ${log.size()} bytes`);
    const read = [...log.read()];
    assert.ok(read.length > 0 && read.length < 100);
    assert.equal(read[read.length - 1]!.body[0], 99 % 250, 'the newest request is kept');
    log.clear();
    assert.equal([...log.read()].length, 0);
    assert.ok(log.append('logs', 'json', Buffer.from('after clear')));
    assert.deepEqual(
      [...log.read()].map((r) => r.body.toString()),
      ['after clear'],
    );
  });

  it('a new session keeps the previous one within the budget: segments are a small part of it', () => {
    const dir = freshDir();
    const first = new RequestLog({ dir, maxBytes: 1024 * 1024, logger: new MemoryLogger() });
    for (let i = 0; i < 60; i++) first.append('traces', 'protobuf', Buffer.alloc(10_000, i));
    first.dispose();
    const second = new RequestLog({ dir, maxBytes: 1024 * 1024, logger: new MemoryLogger() });
    second.append('logs', 'protobuf', Buffer.from('the next session'));
    const read = [...second.read()];
    assert.equal(read.length, 61, 'nothing of the previous session was deleted');
    assert.equal(read[0]!.body[0], 0);
  });

  it('refuses a request larger than the whole budget, and a write that fails leaves the receiver going', () => {
    const dir = freshDir();
    const logger = new MemoryLogger();
    const log = new RequestLog({ dir, maxBytes: 64 * 1024, logger });
    assert.equal(log.append('traces', 'protobuf', Buffer.alloc(70 * 1024)), false);
    fs.mkdirSync(dir, { recursive: true });
    const blocked = new RequestLog({ dir: path.join(dir, 'file-not-dir'), maxBytes: 64 * 1024, logger });
    fs.writeFileSync(path.join(dir, 'file-not-dir'), 'x');
    assert.equal(blocked.append('traces', 'protobuf', Buffer.from('x')), false);
    assert.ok(logger.lines.some((l) => /could not keep/.test(l.message)));
  });
});

describe('replayRequestLog', () => {
  it('replays kept requests of the real libraries into the same traces as receiving them did', async () => {
    const dir = freshDir();
    const log = new RequestLog({ dir, maxBytes: 50 * 1024 * 1024, logger: new MemoryLogger() });
    const entries = fixtureEntries({ scenario: 'tools' }).filter((e) => e.signal !== 'metrics');
    const direct = new TraceStore({ maxTraces: 1000, normalizer: createNormalizer({}), debounceMs: 0 });
    for (const e of entries) {
      assert.ok(log.append(e.signal as 'traces' | 'logs', e.encoding, fixturePayload(e)));
      direct.ingest(fixtureBatch(e), 'otlp');
    }
    log.dispose();
    const replayed = new TraceStore({ maxTraces: 1000, normalizer: createNormalizer({}), debounceMs: 0 });
    let yields = 0;
    const result = await replayRequestLog(
      new RequestLog({ dir, maxBytes: 50 * 1024 * 1024, logger: new MemoryLogger() }),
      (batch) => replayed.ingest(batch, 'otlp'),
      { sliceMs: 0, yieldTo: async () => void yields++ },
    );
    assert.equal(result.requests, entries.length);
    assert.equal(result.skipped, 0);
    assert.ok(yields > 0, 'it yields between slices');
    direct.flush();
    replayed.flush();
    const view = (s: TraceStore) =>
      s.list().map((t) => ({ id: t.traceId, calls: t.llmCallCount, usage: t.usage, preview: t.preview }));
    assert.deepEqual(
      view(replayed).sort((a, b) => a.id.localeCompare(b.id)),
      view(direct).sort((a, b) => a.id.localeCompare(b.id)),
    );
  });
});
