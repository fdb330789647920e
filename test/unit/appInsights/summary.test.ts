// metricsFromRows: the rows of the metrics query (sums per metric, token type, model, service, error type
// and bucket, as Kusto gives them) read as the Summary's metrics figures.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { metricsFromRows } from '../../../src/appInsights/summary';
import type { QueryRow } from '../../../src/appInsights/client';

const MIN = 60_000;
const FROM = Date.parse('2026-12-02T10:02:30Z');
const WINDOW = { fromMs: FROM, toMs: FROM + 20 * MIN, bucketMs: 5 * MIN };
const BUCKET0 = Date.parse('2026-12-02T10:00:00Z');

function row(over: Partial<QueryRow>): QueryRow {
  return {
    metric: 'gen_ai.client.token.usage',
    tokenType: 'input',
    model: 'gpt-4o-mini',
    service: 'shop.checkout',
    errorType: '',
    bucket: new Date(BUCKET0 + 5 * MIN),
    points: 1,
    values: 1,
    total: 100,
    ...over,
  };
}

describe('metricsFromRows', () => {
  it('counts a first bucket that starts before the window (Kusto kept the window) in the first bucket', () => {
    const m = metricsFromRows([row({ bucket: new Date(BUCKET0), total: 40 }), row({ total: 60 })], WINDOW)!;
    assert.equal(m.totals.inputTokens, 100);
    assert.equal(m.buckets[0]!.startMs, BUCKET0);
    assert.deepEqual(
      m.buckets.slice(0, 2).map((b) => b.inputTokens),
      [40, 60],
    );
  });

  it('reads durations in seconds as milliseconds, with calls, errors and a mean but no percentiles', () => {
    const duration = { metric: 'gen_ai.client.operation.duration', tokenType: '' };
    const m = metricsFromRows(
      [
        row({ ...duration, values: 3, total: 1.5 }),
        row({ ...duration, values: 1, total: 0.5, errorType: 'InternalServerError' }),
      ],
      WINDOW,
    )!;
    assert.equal(m.totals.calls, 4);
    assert.equal(m.totals.errors, 1);
    assert.equal(m.totals.meanMs, 500);
    assert.equal(m.totals.p50Ms, undefined);
    assert.equal(m.totals.p95Ms, undefined);
  });

  it('groups by model and service, and takes a bucket time given as text', () => {
    const m = metricsFromRows(
      [
        row({ model: 'gpt-4o', total: 7 }),
        row({ tokenType: 'output', total: 5, service: 'shop.search' }),
        row({ bucket: new Date(BUCKET0 + 10 * MIN).toISOString(), total: 2 }),
      ],
      WINDOW,
    )!;
    assert.deepEqual(Object.fromEntries(m.byModel.map((g) => [g.key, [g.inputTokens, g.outputTokens]])), {
      'gpt-4o': [7, 0],
      'gpt-4o-mini': [2, 5],
    });
    assert.deepEqual(m.byService.map((g) => g.key).sort(), ['shop.checkout', 'shop.search']);
    assert.equal(m.buckets[2]!.inputTokens, 2);
  });

  it('skips what is not a figure: other metrics and token types, impossible values, unreadable times', () => {
    const m = metricsFromRows(
      [
        row({ total: 10 }),
        row({ metric: 'http.client.request.duration', total: 1000 }),
        row({ tokenType: 'cache_read', total: 1000 }),
        row({ total: -5 }),
        row({ total: Number.POSITIVE_INFINITY }),
        row({ total: 1e300 }),
        row({ bucket: 'not a time', total: 1000 }),
        row({ bucket: null, total: 1000 }),
        row({ values: null, total: 1000 }),
        row({ total: '' }),
      ],
      WINDOW,
    )!;
    assert.equal(m.totals.inputTokens, 10);
    // A duration row without its sum is no call of 0 ms.
    const duration = { metric: 'gen_ai.client.operation.duration', tokenType: '' };
    const d = metricsFromRows(
      [row({ ...duration, values: 2, total: 1 }), row({ ...duration, values: 5, total: null })],
      WINDOW,
    )!;
    assert.equal(d.totals.calls, 2);
    assert.equal(d.totals.meanMs, 500);
  });

  it('gives nothing for no rows, so the Summary shows no metrics section', () => {
    assert.equal(metricsFromRows([], WINDOW), undefined);
  });
});
