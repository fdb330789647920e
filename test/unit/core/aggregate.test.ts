// The Summary view's figures: nearest-rank percentiles, buckets aligned as Kusto's bin() aligns them, the
// groups per model, service and user, unpriced calls, and the store's compact per-call facts (which must
// sum to what the traces' own summaries say, on the captured fixtures).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CallFacts,
  MAX_BUCKETS,
  bucketFor,
  callFactsOf,
  nearestRank,
  summarizeCalls,
  type CallFact,
} from '../../../src/core/aggregate';
import { createNormalizer } from '../../../src/core/genai/normalize';
import type { Span } from '../../../src/core/model';
import { TraceStore } from '../../../src/core/store';
import { fixtureBatch, fixtureEntries } from '../helpers/fixtures';

function fact(over: Partial<CallFact>): CallFact {
  return {
    startMs: 0,
    durationMs: 100,
    model: 'gpt-4o-mini',
    service: 'svc',
    user: '',
    inputTokens: 10,
    outputTokens: 5,
    cachedInputTokens: 0,
    reasoningTokens: 0,
    cost: 'priced',
    costUsd: 0.001,
    error: false,
    evaluations: 0,
    ...over,
  };
}

const each =
  (facts: CallFact[]) =>
  (visit: (f: CallFact) => void): void =>
    facts.forEach(visit);

describe('nearestRank', () => {
  it('takes the ceil(p/100 * n)-th smallest value', () => {
    const v = [15, 20, 35, 40, 50];
    assert.equal(nearestRank(v, 5), 15);
    assert.equal(nearestRank(v, 30), 20);
    assert.equal(nearestRank(v, 40), 20);
    assert.equal(nearestRank(v, 50), 35);
    assert.equal(nearestRank(v, 100), 50);
    assert.equal(nearestRank([], 50), undefined);
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.deepEqual(
      [50, 95, 99].map((p) => nearestRank(hundred, p)),
      [50, 95, 99],
    );
    // With fewer values than the percentile can tell apart, p99 is the largest.
    assert.equal(nearestRank([1, 2, 3], 99), 3);
  });
});

describe('summarizeCalls', () => {
  it('adds up totals, groups per model, service and user, and counts unpriced calls apart', () => {
    const facts = [
      fact({ startMs: 1000, durationMs: 300, model: 'a', user: 'u1', costUsd: 0.5 }),
      fact({
        startMs: 2000,
        durationMs: 100,
        model: 'a',
        user: 'u2',
        costUsd: 0.25,
        error: true,
        evaluations: 2,
      }),
      fact({
        startMs: 3000,
        durationMs: 200,
        model: 'b',
        service: 'other',
        inputTokens: 1000,
        cost: 'unpriced',
      }),
      fact({ startMs: 4000, durationMs: 50, model: '', cost: 'none', inputTokens: 0, outputTokens: 0 }),
    ];
    const s = summarizeCalls(each(facts), { fromMs: 0, toMs: 10_000, bucketMs: 5000 }, 99_999);
    assert.equal(s.totals.calls, 4);
    assert.equal(s.totals.evaluations, 2);
    assert.equal(s.byUser.find((g) => g.key === 'u2')!.evaluations, 2);
    assert.equal(s.totals.inputTokens, 1020);
    assert.equal(s.totals.outputTokens, 15);
    assert.equal(s.totals.costUsd, 0.75);
    assert.equal(s.totals.pricedCalls, 2);
    assert.equal(s.totals.unpricedCalls, 1);
    assert.equal(s.totals.errors, 1);
    assert.deepEqual([s.totals.p50Ms, s.totals.p95Ms, s.totals.p99Ms], [100, 300, 300]);
    // Sorted by tokens: b (1,005) before a (30) before the call with no model.
    assert.deepEqual(
      s.byModel.map((g) => [g.key, g.calls, g.costUsd, g.unpricedCalls, g.p50Ms]),
      [
        ['b', 1, 0, 1, 200],
        ['a', 2, 0.75, 0, 100],
        ['', 1, 0, 0, 50],
      ],
    );
    assert.deepEqual(
      s.byService.map((g) => [g.key, g.calls]),
      [
        ['other', 1],
        ['svc', 3],
      ],
    );
    assert.deepEqual(s.byUser.map((g) => [g.key, g.calls, g.errors]).sort(), [
      ['', 2, 0],
      ['u1', 1, 0],
      ['u2', 1, 1],
    ]);
    assert.deepEqual(
      s.buckets.map((b) => [b.startMs, b.calls, b.errors, b.p50Ms, b.p95Ms]),
      [
        [0, 4, 1, 100, 300],
        [5000, 0, 0, undefined, undefined],
        [10_000, 0, 0, undefined, undefined],
      ],
    );
  });

  it('keeps only calls that start within the window, and aligns buckets to multiples of their size', () => {
    const facts = [1_000, 59_999, 60_000, 125_000, 200_000].map((startMs) => fact({ startMs }));
    const s = summarizeCalls(each(facts), { fromMs: 30_000, toMs: 130_000, bucketMs: 60_000 }, 0);
    assert.equal(s.totals.calls, 3);
    assert.deepEqual(
      s.buckets.map((b) => [b.startMs, b.calls]),
      [
        [0, 1],
        [60_000, 1],
        [120_000, 1],
      ],
    );
  });

  it('ends a window with only a start at now, and spans the calls when it has no bounds', () => {
    const facts = [fact({ startMs: 5_000 }), fact({ startMs: 50_000 })];
    const last = summarizeCalls(each(facts), { fromMs: 40_000 }, 60_000);
    assert.deepEqual([last.fromMs, last.toMs, last.totals.calls], [40_000, 60_000, 1]);
    const all = summarizeCalls(each(facts), {}, 1e12);
    assert.deepEqual([all.fromMs, all.toMs, all.totals.calls], [5_000, 50_000, 2]);
    assert.equal(all.bucketMs, bucketFor(45_000));
    const none = summarizeCalls(each([]), {}, 7_000);
    assert.equal(none.totals.calls, 0);
    assert.equal(none.totals.p50Ms, undefined);
    assert.equal(none.buckets.length, 1);
  });

  it('never makes more than MAX_BUCKETS buckets', () => {
    const s = summarizeCalls(each([fact({ startMs: 0 })]), { fromMs: 0, toMs: 1e9, bucketMs: 1 }, 0);
    assert.ok(s.buckets.length <= MAX_BUCKETS, `${s.buckets.length}`);
    assert.equal(s.buckets[0]!.calls, 1);
  });
});

describe('CallFacts', () => {
  it('gives back what was written, replaces runs in place or at the end, and compacts', () => {
    const table = new CallFacts();
    const read = (): CallFact[] => {
      const out: CallFact[] = [];
      table.each((f) => out.push({ ...f }));
      return out;
    };
    const a = [
      fact({ model: 'a', user: 'ü', error: true, reasoningTokens: 7, evaluations: 3 }),
      fact({ model: 'a2' }),
    ];
    const b = [fact({ model: 'b', cost: 'unpriced', costUsd: 0 })];
    const atA = table.append(a);
    const atB = table.append(b);
    assert.deepEqual(read(), [...a, ...b]);
    // One call fewer: overwritten in place, the left-over row dead.
    assert.equal(table.replace(atA, 2, [fact({ model: 'a3' })]), atA);
    assert.deepEqual(
      read().map((f) => f.model),
      ['a3', 'b'],
    );
    // More calls than the run holds: moved to the end.
    const moved = table.replace(atB, 1, [fact({ model: 'b1' }), fact({ model: 'b2' })]);
    assert.equal(moved, 3);
    assert.deepEqual([table.length, table.live], [5, 3]);
    const starts = new Map<number, number>();
    const next = table.compact(
      [
        { at: atA, count: 1 },
        { at: moved, count: 2 },
      ],
      (o, n) => starts.set(o, n),
    );
    assert.deepEqual(
      [...starts],
      [
        [atA, 0],
        [moved, 1],
      ],
    );
    const after: string[] = [];
    next.each((f) => after.push(f.model));
    assert.deepEqual(after, ['a3', 'b1', 'b2']);
    assert.equal(next.length, 3);
  });

  it('clamps token counts a Uint32Array cannot hold', () => {
    const table = new CallFacts();
    table.append([fact({ inputTokens: 5e9, outputTokens: -3 })]);
    table.each((f) => assert.deepEqual([f.inputTokens, f.outputTokens], [0xffffffff, 0]));
  });
});

describe('TraceStore.summarize on the captured fixtures', () => {
  it('sums to what the traces say of themselves, and follows eviction', () => {
    const store = new TraceStore({ maxTraces: 1000, normalizer: createNormalizer(), debounceMs: 0 });
    for (const e of fixtureEntries()) {
      if (e.signal === 'metrics' || e.encoding !== 'protobuf' || e.library === 'appinsights') continue;
      store.ingest(fixtureBatch(e), 'otlp');
    }
    const list = store.list();
    const s = store.summarize({});
    const sum = (f: (t: (typeof list)[number]) => number): number => list.reduce((n, t) => n + f(t), 0);
    assert.ok(s.totals.calls > 10, `${s.totals.calls} calls`);
    assert.equal(
      s.totals.calls,
      sum((t) => t.llmCallCount),
    );
    assert.equal(
      s.totals.inputTokens,
      sum((t) => t.usage.inputTokens ?? 0),
    );
    assert.equal(
      s.totals.outputTokens,
      sum((t) => t.usage.outputTokens ?? 0),
    );
    assert.equal(
      s.totals.pricedCalls,
      sum((t) => t.cost?.pricedCalls ?? 0),
    );
    assert.ok(Math.abs(s.totals.costUsd - sum((t) => t.cost?.usd ?? 0)) < 1e-9);
    assert.equal(
      s.byModel.reduce((n, g) => n + g.calls, 0),
      s.totals.calls,
    );
    assert.ok(s.byModel.some((g) => g.key === 'gpt-4o-mini'));
    assert.equal(
      s.buckets.reduce((n, b) => n + b.calls, 0),
      s.totals.calls,
    );

    // Fewer traces: the evicted ones leave the figures.
    store.setMaxTraces(3);
    const kept = store.list();
    const after = store.summarize({});
    assert.equal(
      after.totals.calls,
      kept.reduce((n, t) => n + t.llmCallCount, 0),
    );
    store.clear();
    assert.equal(store.summarize({}).totals.calls, 0);
    store.dispose();
  });
});

describe('callFactsOf', () => {
  it('counts a framework call above another once in tokens and cost, as the trace usage does', () => {
    const span = (spanId: string, parentSpanId: string | undefined, input: number): Span =>
      ({
        traceId: 't',
        spanId,
        parentSpanId,
        name: spanId,
        kind: 'client',
        startMs: 1,
        durationMs: 10,
        status: { code: spanId === 'inner' ? 'error' : 'unset' },
        service: 'svc',
        scope: '',
        attributes: {},
        resource: {},
        events: [],
        llm: {
          convention: 'genai',
          requestModel: 'gpt-4o',
          responseModel: spanId === 'inner' ? 'gpt-4o-2024-08-06' : undefined,
          messages: [],
          toolDefinitions: [],
          usage: { inputTokens: input, outputTokens: 1 },
          finishReasons: [],
          parameters: {},
          cost: { priced: false, models: ['gpt-4o'] },
          ...(spanId === 'inner'
            ? { evaluations: [{ name: 'relevance', score: 0.9 }, { name: 'tone' }] }
            : {}),
        },
      }) as Span;
    const facts = callFactsOf([span('outer', undefined, 100), span('inner', 'outer', 100)], 'u');
    assert.deepEqual(
      facts.map((f) => [f.model, f.inputTokens, f.cost, f.error, f.user, f.evaluations]),
      [
        ['gpt-4o', 0, 'none', false, 'u', 0],
        ['gpt-4o-2024-08-06', 100, 'unpriced', true, 'u', 2],
      ],
    );
  });
});
