// Text search over a store's raw records, on the real captures: content in span attributes (traceloop),
// in span events (Azure AI Inference), in log record bodies (the OpenTelemetry OpenAI instrumentation),
// Japanese text, words that occur nowhere, and the limit.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { recordsMatch, searchMatcher, searchStore, searchTerms } from '../../../src/core/search';
import type { TelemetryBatch } from '../../../src/core/records';
import type { TraceStore } from '../../../src/core/store';
import { fixtureBatch } from '../helpers/fixtures';
import { ingest, newStore, scenario } from '../helpers/sessions';

function storeOf(library: string, scenarios: string[]): TraceStore {
  const store = newStore();
  for (const s of scenarios) ingest(store, scenario(library, s));
  return store;
}

/** The session each found trace belongs to: what a reader of the results can tell apart. */
function sessionsOf(store: TraceStore, ids: string[]): (string | undefined)[] {
  return ids.map((id) => store.summary(id)?.sessionId);
}

describe('searchStore', () => {
  it('finds content in span attributes, case-insensitively, newest first', async () => {
    const store = storeOf('traceloop', ['chat', 'error', 'unicode']);
    const found = await searchStore(store, 'LISBON');
    assert.deepEqual(sessionsOf(store, found.traceIds), ['sess-lisbon-weekend']);
    assert.equal(found.complete, true);
    assert.equal(found.scanned, 3);
    // The message is in the attributes of the span only: the content is read as it arrived.
    const spans = store.records(found.traceIds).spans;
    assert.ok(spans.some((s) => Object.values(s.attributes).some((v) => String(v).includes('Lisbon'))));
  });

  it('finds content in span events', async () => {
    const store = storeOf('azure-ai-inference', ['chat', 'error']);
    const found = await searchStore(store, 'porto train');
    assert.deepEqual(sessionsOf(store, found.traceIds), ['sess-porto-trip']);
    const [trace] = store.records(found.traceIds).spans.filter((s) => s.events.length > 0);
    assert.ok(trace, 'the content is in events');
  });

  it('finds content that only log records carry, and Japanese text', async () => {
    const store = storeOf('otel-openai', ['chat', 'unicode']);
    const spans = store.records(store.list().map((s) => s.traceId)).spans;
    assert.ok(!JSON.stringify(spans).includes('京都'), 'the spans themselves carry no content');
    const found = await searchStore(store, '京都');
    assert.deepEqual(sessionsOf(store, found.traceIds), ['sess-kyoto-autumn']);
    assert.deepEqual(
      sessionsOf(store, (await searchStore(store, 'wayfarer')).traceIds).sort(),
      ['sess-kyoto-autumn', 'sess-lisbon-weekend'],
      'the system prompt of both',
    );
  });

  it('finds span names and error messages', async () => {
    const store = storeOf('otel-openai', ['chat', 'error']);
    assert.equal((await searchStore(store, 'handle_turn')).traceIds.length, 2);
    const error = await searchStore(store, 'server had an error');
    assert.deepEqual(sessionsOf(store, error.traceIds), ['sess-porto-trip']);
  });

  it('needs every word somewhere in the trace, and a quoted phrase as written', async () => {
    const store = storeOf('traceloop', ['chat', 'error']);
    assert.equal((await searchStore(store, 'lisbon june')).traceIds.length, 1);
    assert.equal((await searchStore(store, 'lisbon porto')).traceIds.length, 0);
    assert.equal((await searchStore(store, '"for the weekend"')).traceIds.length, 1);
    assert.equal((await searchStore(store, '"weekend for the"')).traceIds.length, 0);
  });

  it('finds nothing for a word that occurs nowhere, or for no words', async () => {
    const store = storeOf('traceloop', ['chat', 'tools', 'error', 'unicode']);
    const none = await searchStore(store, 'zanzibar');
    assert.deepEqual(none, { traceIds: [], complete: true, scanned: 4 });
    assert.deepEqual((await searchStore(store, '   ')).traceIds, []);
  });

  it('stops at its limit, says so, and pauses between batches', async () => {
    const store = storeOf('traceloop', ['chat', 'tools', 'error', 'stream', 'unicode']);
    const all = await searchStore(store, 'handle_turn');
    assert.equal(all.traceIds.length, 5);
    assert.deepEqual(
      all.traceIds,
      store.list().map((s) => s.traceId),
      'newest first',
    );
    let pauses = 0;
    const two = await searchStore(store, 'handle_turn', {
      limit: 2,
      batchSize: 1,
      pause: async () => void pauses++,
    });
    assert.deepEqual(two.traceIds, all.traceIds.slice(0, 2));
    assert.equal(two.complete, false);
    assert.equal(two.scanned, 2);
    assert.equal(pauses, 1);
  });

  it('searches only the traces asked for, and skips those no longer stored', async () => {
    const store = storeOf('traceloop', ['chat', 'tools']);
    const [newest, older] = store.list().map((s) => s.traceId);
    const only = await searchStore(store, 'wayfarer', {
      traceIds: [older!, 'ffffffffffffffffffffffffffffffff'],
    });
    assert.deepEqual(only.traceIds, [older]);
    assert.equal(only.scanned, 1);
    assert.notEqual(newest, older);
  });
});

describe('searchTerms and recordsMatch', () => {
  it('folds each term as the records are folded', () => {
    assert.deepEqual(searchTerms('  Lisbon  "ON THE Weekend"  lisbon '), ['lisbon', 'on the weekend']);
    assert.deepEqual(searchTerms('İstanbul'), ['istanbul']);
    assert.deepEqual(searchTerms(''), []);
  });

  it('finds words of the captured German and Japanese turn however their case and accents are typed', () => {
    const [entry] = scenario('traceloop', 'unicode').filter((e) => e.signal === 'traces');
    const batch = fixtureBatch(entry!);
    const has = (text: string, b: TelemetryBatch = batch) => recordsMatch(b, searchMatcher(text));
    assert.ok(has('FÜR'));
    assert.ok(has('SPASS'), '"Spaß" as it is typed without an ß');
    assert.ok(has('YUDŌFU'));
    assert.ok(has('Yudo\u0304fu'), 'a decomposed ō');
    assert.ok(!has('yudofu'), 'an accent is a letter of its own');
    // The same records with their text decomposed (NFD), and with a Turkish city in place of a word.
    const rewrite = (fn: (v: string) => string) => ({
      spans: batch.spans.map((span) => ({
        ...span,
        attributes: Object.fromEntries(
          Object.entries(span.attributes).map(([k, v]) => [k, typeof v === 'string' ? fn(v) : v]),
        ),
      })),
      logs: [],
    });
    assert.ok(
      has(
        'yudōfu',
        rewrite((v) => v.normalize('NFD')),
      ),
    );
    const turkish = rewrite((v) => v.replace(/Für/g, 'İSTANBUL için Diyarbakır'));
    assert.ok(has('istanbul', turkish));
    assert.ok(has('İstanbul', turkish));
    assert.ok(has('DIYARBAKIR', turkish));
    assert.ok(!has('ankara', turkish));
  });

  it('reads \\u escapes of JSON written by Python, so a Japanese word is found in them', () => {
    const [entry] = scenario('traceloop', 'unicode').filter((e) => e.signal === 'traces');
    const batch = fixtureBatch(entry!);
    // As json.dumps writes it by default (ensure_ascii): every non-ASCII character escaped.
    const escaped = batch.spans.map((s) => ({
      ...s,
      attributes: Object.fromEntries(
        Object.entries(s.attributes).map(([k, v]) => [
          k,
          typeof v === 'string'
            ? v.replace(/[^\u0000-\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
            : v,
        ]),
      ),
    }));
    assert.ok(!JSON.stringify(escaped).includes('京都'));
    assert.equal(recordsMatch({ spans: escaped, logs: [] }, searchMatcher('京都')), true);
    assert.equal(recordsMatch({ spans: escaped, logs: [] }, searchMatcher('東京')), false);
  });
});
