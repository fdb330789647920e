// One connection as a source, with a fake runner that records the queries it is sent: a refresh lets go of
// what was listed, Load More pages on with a cursor (no row twice across pages, rows that share a
// millisecond included), an answer to a superseded refresh is dropped, a search loads whole operations, and a
// failure becomes the status the view shows.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AppInsightsQueryError, type QueryAnswer, type QueryRow } from '../../../src/appInsights/client';
import { METRICS_QUERY_ROWS } from '../../../src/appInsights/kql';
import { AppInsightsSource, nextCursor, type RowMapping } from '../../../src/appInsights/source';
import { createNormalizer } from '../../../src/core/genai/normalize';
import { nullLogger, type Logger } from '../../../src/core/logger';
import type { TelemetryBatch } from '../../../src/core/records';
import { TraceStore } from '../../../src/core/store';

const opId = (n: number): string => n.toString(16).padStart(32, '0');
const NOW = Date.parse('2026-12-01T12:00:00.000Z');

function callRow(n: number, timeMs: number): QueryRow {
  return { callTime: new Date(timeMs), id: `span${n}`, operationId: opId(n) };
}

/** Each listed row becomes one LLM span of its own trace. */
const mapping: RowMapping = {
  recentCalls: (_schema, rows) => batch(rows.map((r) => ({ op: String(r.operationId), id: String(r.id) }))),
  operations: (_schema, rows) => batch(rows.map((r) => ({ op: String(r.operationId), id: String(r.id) }))),
};

function batch(items: { op: string; id: string }[]): TelemetryBatch {
  return {
    logs: [],
    spans: items.map(({ op, id }) => ({
      traceId: op,
      spanId: id.padStart(16, '0').slice(-16),
      name: 'chat gpt-4o-mini',
      kind: 3,
      startTimeUnixNano: `${NOW}000000`,
      endTimeUnixNano: `${NOW + 5}000000`,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'gpt-4o-mini',
        'session.id': 's-1',
      },
      events: [],
      links: [],
      status: { code: 0 },
      resource: { 'service.name': 'svc' },
      scope: { name: 'test' },
    })),
  };
}

function source(
  answer: (query: string) => Promise<QueryAnswer> | QueryAnswer,
  pageSize = 3,
  logger: Logger = nullLogger,
) {
  const queries: string[] = [];
  const store = new TraceStore({ maxTraces: 100, normalizer: createNormalizer({}), debounceMs: 0 });
  const s = new AppInsightsSource({
    connection: { id: 'w', name: 'prod', target: { kind: 'workspace', workspaceId: 'w' } },
    runner: {
      run: async (query) => {
        queries.push(query);
        return answer(query);
      },
    },
    store,
    mapping,
    logger,
    pageSize,
    range: { kind: 'last', ms: 3600_000 },
    sessionKeys: [],
    userKeys: [],
    now: () => NOW,
  });
  return { s, store, queries };
}

describe('AppInsightsSource', () => {
  it('lists a page, then the next one after the cursor, until there is no more', async () => {
    // Rows 1..7, newest first; rows 3, 4 and 5 share one millisecond.
    const all = [1, 2, 3, 4, 5, 6, 7].map((n) => callRow(n, NOW - (n <= 3 ? n : n >= 5 ? n - 2 : 3) * 1000));
    const { s, store, queries } = source((query) => {
      const m = /< datetime\(([^)]+)\) \+ 1ms(?: and Id !in \(([^)]*)\))?/.exec(query);
      const end = m ? Date.parse(m[1]!) + 1 : Infinity;
      const seen = new Set((m?.[2] ?? '').split(', ').map((x) => x.replace(/"/g, '')));
      const take = Number(/\| take (\d+)/.exec(query)![1]);
      const rows = all.filter((r) => (r.callTime as Date).getTime() < end && !seen.has(String(r.id)));
      return { rows: rows.slice(0, take) };
    });
    await s.refresh();
    assert.equal(s.status.state, 'ready');
    assert.equal(s.status.listed, 3);
    assert.equal(s.status.hasMore, true);
    await s.loadMore();
    await s.loadMore();
    assert.equal(s.status.hasMore, false);
    store.flush();
    assert.deepEqual(
      store
        .list()
        .map((t) => t.traceId)
        .sort(),
      all.map((r) => String(r.operationId)).sort(),
    );
    assert.equal(s.status.listed, 7);
    assert.match(queries[0]!, /^AppDependencies\n/);
    assert.equal(s.listQuery.includes('| take 3'), true, 'the query shown asks for a page');
  });

  it('searches the traces it listed, not what else its store holds', async () => {
    const { s, store } = source(() => ({ rows: [callRow(1, NOW), callRow(2, NOW - 1000)] }));
    await s.refresh();
    store.ingest(batch([{ op: opId(9), id: 'span9' }]), 'appInsights');
    store.flush();
    assert.equal(store.size, 3);
    const found = await s.search('GPT-4O-MINI');
    assert.deepEqual(found.traceIds, s.listedTraceIds());
    assert.deepEqual(found.traceIds.sort(), [opId(1), opId(2)]);
    assert.deepEqual((await s.search('gpt-4o-mini', { traceIds: [opId(9), opId(2)] })).traceIds, [opId(2)]);
    assert.deepEqual((await s.search('zanzibar')).traceIds, []);
  });

  it('keeps the ids listed within the cursor millisecond', () => {
    const t = NOW - 1000;
    const first = nextCursor(undefined, [callRow(1, t + 5), callRow(2, t), callRow(3, t)]);
    assert.deepEqual(first, { timeIso: new Date(t).toISOString(), idsAtTime: ['span2', 'span3'] });
    const second = nextCursor(first, [callRow(4, t)]);
    assert.deepEqual(second?.idsAtTime, ['span2', 'span3', 'span4']);
  });

  it('drops the answer to a refresh that a newer one superseded', async () => {
    let release: (() => void) | undefined;
    let calls = 0;
    const { s, store } = source(async () => {
      calls++;
      if (calls === 1) await new Promise<void>((r) => (release = r));
      return { rows: calls === 1 ? [callRow(1, NOW)] : [callRow(2, NOW)] };
    });
    const slow = s.refresh();
    await new Promise((r) => setImmediate(r));
    await s.refresh();
    release!();
    await slow;
    store.flush();
    assert.deepEqual(
      store.list().map((t) => t.traceId),
      [opId(2)],
    );
  });

  it('turns a failed query into the status the view shows, and a partial answer into a note', async () => {
    const failing = source(() => {
      throw new AppInsightsQueryError('forbidden', 'no (403)', 'Ask for the Log Analytics Reader role.', 403);
    });
    await failing.s.refresh();
    assert.equal(failing.s.status.state, 'error');
    assert.equal(failing.s.status.error?.kind, 'forbidden');
    const partial = source(() => ({ rows: [callRow(1, NOW)], partialError: 'PartialError: limit' }));
    await partial.s.refresh();
    assert.equal(partial.s.status.partial, 'PartialError: limit');
  });

  it('puts the app’s metrics beside the Summary’s span figures, and leaves them out when they fail', async () => {
    const metricRow: QueryRow = {
      metric: 'gen_ai.client.token.usage',
      tokenType: 'input',
      model: 'gpt-4o-mini',
      service: 'svc',
      errorType: '',
      bucket: new Date(NOW - 60_000),
      points: 2,
      values: 2,
      total: 120,
    };
    const ok = source((query) => ({ rows: query.startsWith('AppMetrics') ? [metricRow] : [] }));
    const summary = await ok.s.summarize({ fromMs: NOW - 3_600_000, toMs: NOW });
    assert.equal(summary.totals.calls, 0);
    assert.equal(summary.metrics?.totals.inputTokens, 120);
    assert.equal(ok.queries.filter((q) => q.startsWith('AppMetrics')).length, 1);

    const warnings: string[] = [];
    const logger: Logger = { ...nullLogger, warn: (m: string) => warnings.push(m) };
    const failing = source(
      (query) => {
        if (query.startsWith('AppMetrics'))
          throw new AppInsightsQueryError('badQuery', 'no such table (400)', 'Check the query.', 400);
        return { rows: [] };
      },
      3,
      logger,
    );
    const without = await failing.s.summarize({ fromMs: NOW - 3_600_000, toMs: NOW });
    assert.equal(without.metrics, undefined);
    assert.equal(without.totals.calls, 0, 'the span figures still come');
    assert.deepEqual(warnings, [
      "[appInsights] prod: the app's metrics could not be read: no such table (400)",
    ]);

    // An answer that fills the query's rows, or comes partial, says so; its figures still show.
    warnings.length = 0;
    const full = source(
      (query) =>
        query.startsWith('AppMetrics')
          ? { rows: Array.from({ length: METRICS_QUERY_ROWS }, () => metricRow), partialError: 'limit' }
          : { rows: [] },
      3,
      logger,
    );
    const cut = await full.s.summarize({ fromMs: NOW - 3_600_000, toMs: NOW });
    assert.equal(cut.metrics?.totals.inputTokens, 120 * METRICS_QUERY_ROWS);
    assert.deepEqual(warnings, [
      '[appInsights] prod: metrics partial: limit',
      `[appInsights] prod: the app's metrics filled ${METRICS_QUERY_ROWS} rows of sums, so some are left out: ` +
        'pick a shorter window for whole figures',
    ]);
  });

  it('a search loads the operations it finds, whole, and says what the store has for the session', async () => {
    const { s, queries } = source((query) => {
      if (query.startsWith('union AppDependencies, AppRequests'))
        return { rows: [{ operationId: opId(8) }, { operationId: opId(9) }, { operationId: 'bad id' }] };
      if (query.startsWith('union withsource'))
        return {
          rows: [
            { operationId: opId(8), id: 'a' },
            { operationId: opId(9), id: 'b' },
          ],
        };
      return { rows: [] };
    });
    const found = await s.find('session', 's-1');
    assert.deepEqual(found.map((t) => t.traceId).sort(), [opId(8), opId(9)]);
    assert.deepEqual(s.listedTraceIds(), [], 'what a search brings is not listed as recent calls');
    assert.ok(s.isComplete(opId(8)));
    assert.ok(
      queries.some((q) => q.includes('AppGenAIContent')),
      'a workspace reads AppGenAIContent too',
    );
    const before = queries.length;
    await s.loadTrace(opId(8));
    assert.equal(queries.length, before, 'a whole trace is not fetched again');
  });

  it('a refused AppGenAIContent read becomes a note that names the missing role', async () => {
    const { s } = source((query) => {
      if (query.includes('AppGenAIContent')) throw new AppInsightsQueryError('forbidden', 'no', '', 403);
      return { rows: [{ operationId: opId(5), id: 'x' }] };
    });
    await s.loadTrace(opId(5));
    assert.match(s.noteFor(opId(5)) ?? '', /Privileged Monitoring Data Reader/);
  });
});

describe('AppInsightsSource content notes', () => {
  it('an LLM call with no content anywhere on a workspace gets a note naming the role that reads it', async () => {
    const { s } = source((query) => {
      if (query.includes('AppGenAIContent')) return { rows: [] };
      return { rows: [{ operationId: opId(6), id: 'y' }] };
    });
    await s.loadTrace(opId(6));
    assert.match(s.noteFor(opId(6)) ?? '', /AppGenAIContent.*Privileged Monitoring Data Reader/);
  });
});

describe('AppInsightsSource life', () => {
  it('one fetch per trace however many ask, and nothing kept after dispose', async () => {
    let release: (() => void) | undefined;
    const { s, store, queries } = source(async (query) => {
      if (query.startsWith('union withsource')) await new Promise<void>((r) => (release = r));
      return { rows: query.startsWith('union withsource') ? [{ operationId: opId(3), id: 'z' }] : [] };
    });
    const a = s.loadTrace(opId(3));
    const b = s.loadTrace(opId(3));
    await new Promise((r) => setImmediate(r));
    assert.equal(queries.filter((q) => q.startsWith('union withsource')).length, 1);
    s.dispose();
    release!();
    await Promise.all([a, b]);
    store.flush();
    assert.equal(store.list().length, 0, 'an answer after dispose is dropped');
  });

  it('a trace the store lets go is fetched again when it is opened', async () => {
    const { s, store, queries } = source((query) =>
      query.startsWith('union withsource') ? { rows: [{ operationId: opId(4), id: 'w' }] } : { rows: [] },
    );
    await s.loadTrace(opId(4));
    store.setMaxTraces(1);
    store.ingest(batch([{ op: opId(40), id: 'other' }]), 'appInsights');
    store.flush();
    assert.equal(store.getTrace(opId(4)), undefined, 'evicted');
    const before = queries.length;
    await s.loadTrace(opId(4));
    assert.ok(queries.length > before);
  });
});
