// The summaries an engine saves beside its request log: the next start takes them for the records they were
// built from, reads as usual what came after or what the log lost, and never takes a file of other settings,
// another version, or one that is damaged.
import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Logger } from '../../../src/core/logger';
import { nullLogger } from '../../../src/core/logger';
import type { TraceSummary } from '../../../src/core/model';
import { IngestEngine } from '../../../src/engine/engine';
import type { EngineOptions, ReplayedMessage, WorkerMessage } from '../../../src/engine/protocol';
import { SAVED_FILE } from '../../../src/engine/savedSummaries';
import { RequestLog } from '../../../src/otlp/requestLog';
import { traceRequestJson } from '../../../src/otlp/jsonWriter';
import { fixtureBatch, fixtureBody, fixtureEntries, type FixtureEntry } from '../helpers/fixtures';

/** Every captured request of the sessions scenario (several traces, sessions and users; log records too). */
const requests = (): FixtureEntry[] =>
  fixtureEntries({ scenario: 'sessions', encoding: 'protobuf' }).filter((e) => e.signal !== 'metrics');

function options(dir: string, extra: Partial<EngineOptions> = {}): EngineOptions {
  return {
    limits: { maxTraces: 1000 },
    sessionAttributes: [],
    userAttributes: [],
    debounceMs: 0,
    persist: { dir, maxBytes: 64 * 1024 * 1024 },
    ...extra,
  };
}

/** Keeps requests as the receiver does (logged, then ingested) through the engine's own path. */
function keep(dir: string, entries: FixtureEntry[]): void {
  const log = new RequestLog({ dir, maxBytes: 64 * 1024 * 1024, logger: nullLogger });
  for (const e of entries) log.append(e.signal, e.encoding, fixtureBody(e));
  log.dispose();
}

interface Start {
  summaries: TraceSummary[];
  replayed: ReplayedMessage;
  lines: string[];
}

/** A start of the engine: replays, lists what it stores, and stops (saving its summaries). */
async function start(dir: string, extra: Partial<EngineOptions> = {}): Promise<Start> {
  const posted: WorkerMessage[] = [];
  const lines: string[] = [];
  const logger: Logger = {
    ...nullLogger,
    info: (m) => void lines.push(String(m)),
    warn: (m) => void lines.push(String(m)),
  };
  const engine = new IngestEngine(options(dir, extra), (m) => void posted.push(m), logger);
  try {
    await engine.handle({ op: 'replay' });
    const summaries = engine.store.list();
    const replayed = posted.find((m): m is ReplayedMessage => m.type === 'replayed')!;
    return { summaries: JSON.parse(JSON.stringify(summaries)) as TraceSummary[], replayed, lines };
  } finally {
    await engine.dispose();
  }
}

const withoutTimes = (list: TraceSummary[]) => list.map(({ updatedMs: _, ...rest }) => rest);

test('a start takes the summaries the last one saved, and reads the records that came after them', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lti-saved-'));
  try {
    const all = requests();
    const spanRequests = all.filter((e) => e.signal === 'traces');
    assert.ok(spanRequests.length >= 4);
    // The last trace request comes only after the first two starts.
    const later = spanRequests.at(-1)!;
    keep(
      dir,
      all.filter((e) => e !== later),
    );
    const first = await start(dir);
    assert.equal(first.replayed.savedTraces, undefined, 'nothing was saved before the first start');
    assert.ok(existsSync(join(dir, SAVED_FILE)), 'the first start saved its summaries as it stopped');
    const second = await start(dir);
    assert.equal(second.replayed.savedTraces, first.summaries.length);
    assert.deepEqual(withoutTimes(second.summaries), withoutTimes(first.summaries));

    // A request after the save (kept, then the window closed before the next save): read as usual.
    keep(dir, [later]);
    const third = await start(dir);
    assert.equal(third.replayed.savedTraces, first.summaries.length);
    // The same as a start that had nothing saved.
    const fresh = mkdtempSync(join(tmpdir(), 'lti-saved-'));
    try {
      keep(
        fresh,
        all.filter((e) => e !== later),
      );
      keep(fresh, [later]);
      const reference = await start(fresh);
      assert.equal(reference.replayed.savedTraces, undefined);
      assert.ok(reference.summaries.length > first.summaries.length, 'the later request brought a trace');
      assert.deepEqual(withoutTimes(third.summaries), withoutTimes(reference.summaries));
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }

    // A span sent again after the save with other figures (its trace keeps its count of spans): the trace
    // is read again, not taken as saved.
    const resent = spanRequests
      .flatMap((e) => fixtureBatch(e).spans)
      .find((sp) => sp.attributes['gen_ai.usage.input_tokens'] !== undefined && sp.traceId !== undefined)!;
    const changed = { ...resent, attributes: { ...resent.attributes, 'gen_ai.usage.input_tokens': 999_999 } };
    const log = new RequestLog({ dir, maxBytes: 64 * 1024 * 1024, logger: nullLogger });
    log.append('traces', 'json', Buffer.from(JSON.stringify(traceRequestJson([changed]))));
    log.dispose();
    const fourth = await start(dir);
    assert.ok(fourth.replayed.savedTraces! > 0);
    const trace = fourth.summaries.find((t) => t.traceId === resent.traceId.toLowerCase())!;
    assert.ok(trace.usage.inputTokens! >= 999_999, `the resent span counts: ${trace.usage.inputTokens}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('summaries of other settings, of another version, or damaged are not taken; Clear deletes them', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lti-saved-'));
  try {
    keep(dir, requests());
    const first = await start(dir);
    const file = join(dir, SAVED_FILE);
    const good = readFileSync(file, 'utf8');

    // Other session attributes: other summaries (and the file is saved again with them).
    const other = await start(dir, { sessionAttributes: ['app.conversation'] });
    assert.equal(other.replayed.savedTraces, undefined);
    assert.ok(other.lines.some((l) => /of other settings or another version/.test(l)));

    // Another version of the engine wrote it.
    const parsed = JSON.parse(good) as { fingerprint: string };
    writeFileSync(file, JSON.stringify({ ...parsed, fingerprint: 'f'.repeat(64) }));
    assert.equal((await start(dir)).replayed.savedTraces, undefined);

    // Cut short, or of the right shape but not as written: read as usual, said in the log.
    const cut = good.slice(0, good.length / 2);
    // Valid JSON of the wrong types, each one the host's tree or panel would trip over.
    const wrong = [
      good.replace(/"spanCount":\d+/, '"spanCount":"four"'),
      good.replace(/"preview":"[^"]*"/, '"preview":5'),
      good.replace(/"costBasis":\{"entries":/, '"costBasis":{"entriez":'),
      good.replace(
        /"traceId":"([0-9a-f]+)","spans"/,
        (_m, id: string) => `"traceId":"${id.toUpperCase()}","spans"`,
      ),
    ];
    for (const w of wrong) {
      assert.notEqual(w, good);
      JSON.parse(w);
    }
    for (const damaged of [cut, ...wrong]) {
      writeFileSync(file, damaged);
      const again = await start(dir);
      assert.equal(again.replayed.savedTraces, undefined);
      assert.ok(again.lines.some((l) => new RegExp(`${SAVED_FILE} is`).test(l)));
      assert.deepEqual(withoutTimes(again.summaries), withoutTimes(first.summaries));
    }

    const engine = new IngestEngine(options(dir), () => undefined, nullLogger);
    try {
      await engine.handle({ op: 'replay' });
      await engine.handle({ op: 'clear' });
      assert.equal(existsSync(file), false, 'Clear Local Traces deletes the saved summaries');
    } finally {
      await engine.dispose();
    }
    assert.equal(existsSync(file), false, 'nothing saved after a clear');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a replay cut short saves nothing: the summaries saved before still match the log', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lti-saved-'));
  try {
    const entries = requests();
    keep(dir, entries);
    await start(dir);
    const file = join(dir, SAVED_FILE);
    const before = readFileSync(file, 'utf8');
    // Enough requests that the replay yields several times before it ends.
    keep(dir, Array.from({ length: 60 }, () => entries).flat());
    const engine = new IngestEngine(options(dir), () => undefined, nullLogger);
    const replay = engine.handle({ op: 'replay' });
    for (const end = Date.now() + 5000; engine.store.stats().spans === 0 && Date.now() < end;)
      await new Promise((resolve) => setTimeout(resolve, 1));
    assert.ok(engine.store.stats().spans > 0, 'part of the log was replayed');
    await engine.dispose();
    await replay;
    assert.equal(readFileSync(file, 'utf8'), before);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
