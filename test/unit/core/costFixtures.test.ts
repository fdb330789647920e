// Cost and the trace roll-ups on what the real instrumentation libraries sent (test/fixtures). The mock
// model's token counts are the ones test/fixtures/README.md documents, and the prices are the providers'
// published ones written out here, so the expected dollars are worked out by hand, not read back.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createNormalizer } from '../../../src/core/genai/normalize';
import { TraceStore } from '../../../src/core/store';
import type { TraceSummary } from '../../../src/core/model';
import { SHIPPED_PRICES_AS_OF } from '../../../src/core/pricing';
import { IngestEngine } from '../../../src/engine/engine';
import { nullLogger } from '../../../src/core/logger';
import type { ChangeMessage, WorkerMessage } from '../../../src/engine/protocol';
import { fixtureBatch, fixtureEntries } from '../helpers/fixtures';

/** Per million tokens: input, cached input, output (reasoning is billed as output). */
const PRICES: Record<string, { id: string; input: number; cached: number; output: number }> = {
  'gpt-4o-mini': { id: 'gpt-4o-mini', input: 0.15, cached: 0.075, output: 0.6 },
  'o4-mini': { id: 'o4-mini', input: 1.1, cached: 0.275, output: 4.4 },
  'gpt-4.1-mini': { id: 'gpt-4.1-mini', input: 0.4, cached: 0.1, output: 1.6 },
};

/** The mock's counts per call (test/fixtures/README.md): input, output, cached of the input. */
const TURNS: Record<string, { model: string; calls: [number, number, number][] }> = {
  chat: { model: 'gpt-4o-mini', calls: [[71, 55, 41]] },
  tools: {
    model: 'gpt-4o-mini',
    calls: [
      [247, 21, 41],
      [318, 44, 41],
    ],
  },
  unicode: { model: 'o4-mini', calls: [[76, 156, 41]] },
  large: { model: 'gpt-4.1-mini', calls: [[75084, 60, 41]] },
};

/** Libraries that report the cached part of the input (the others report input and output only). */
const REPORTS_CACHED = new Set(['openinference']);

function summaries(library: string, scenario: string, pricing?: Parameters<typeof createNormalizer>[0]) {
  const store = new TraceStore({ maxTraces: 100, normalizer: createNormalizer(pricing), debounceMs: 0 });
  for (const e of fixtureEntries({ library, scenario })) {
    if (e.signal === 'metrics' || e.encoding !== 'protobuf') continue;
    store.ingest(fixtureBatch(e), 'otlp');
  }
  store.flush();
  return { store, list: store.list() };
}

const LIBRARIES = [...new Set(fixtureEntries().map((e) => e.library))].filter((l) => l !== 'appinsights');

describe('cost and roll-ups on the captured fixtures', () => {
  for (const library of LIBRARIES) {
    it(`${library}: each turn costs its calls' tokens at the published prices`, () => {
      for (const [scenario, turn] of Object.entries(TURNS)) {
        const { list, store } = summaries(library, scenario);
        if (list.length === 0) continue;
        assert.equal(list.length, 1, `${scenario}: one trace`);
        const summary = list[0]!;
        const p = PRICES[turn.model]!;
        const expected = turn.calls.reduce(
          (usd, [input, output, cached]) =>
            usd +
            (REPORTS_CACHED.has(library)
              ? (input - cached) * p.input + cached * p.cached + output * p.output
              : input * p.input + output * p.output) /
              1e6,
          0,
        );
        assert.ok(summary.cost, `${scenario}: a cost`);
        assert.ok(
          Math.abs(summary.cost.usd - expected) < 1e-12,
          `${scenario}: ${summary.cost.usd} != ${expected}`,
        );
        assert.deepEqual(
          [summary.cost.pricedCalls, summary.cost.unpricedCalls],
          [turn.calls.length, 0],
          scenario,
        );
        assert.deepEqual(summary.costBasis, {
          entries: [{ id: p.id, source: 'shipped', asOf: SHIPPED_PRICES_AS_OF }],
          unpricedModels: [],
        });
        // The outline (what the tree reads) and the whole trace carry the same figures, call by call.
        const outline = store.getOutline(summary.traceId)!;
        const whole = store.getTrace(summary.traceId)!;
        const costs = (t: typeof whole) => t.spans.filter((s) => s.llm).map((s) => s.llm!.cost);
        assert.deepEqual(costs(outline), costs(whole), `${scenario}: outline and whole trace agree`);
        assert.deepEqual(whole.summary.cost, summary.cost);
      }
    });

    it(`${library}: counts tool executions and failed spans`, () => {
      const counts = (scenario: string): Pick<TraceSummary, 'toolCallCount' | 'errorCount'> | undefined => {
        const s = summaries(library, scenario).list[0];
        return s && { toolCallCount: s.toolCallCount, errorCount: s.errorCount };
      };
      // The tools turn runs get_weather once; nothing else runs a tool, and only the error turn fails.
      assert.equal(counts('tools')?.toolCallCount, 1);
      assert.equal(counts('tools')?.errorCount, 0);
      assert.equal(counts('chat')?.toolCallCount, 0);
      const failed = counts('error')!;
      assert.equal(failed.toolCallCount, 0);
      assert.ok(failed.errorCount >= 1, `the failed turn counts its failed spans: ${failed.errorCount}`);
      // The failed call reported no tokens, so it has no cost (rather than a zero or "no price").
      assert.equal(summaries(library, 'error').list[0]!.cost, undefined);
    });
  }

  it('prices from settings first, maps a deployment, and says a model has no price', () => {
    const overridden = summaries('otel-openai', 'chat', {
      pricing: { models: { 'gpt-4o-mini': { input: 1, output: 2 } }, azureDeployments: {} },
    }).list[0]!;
    assert.ok(Math.abs(overridden.cost!.usd - (71 * 1 + 55 * 2) / 1e6) < 1e-12);
    assert.deepEqual(overridden.costBasis?.entries, [{ id: 'gpt-4o-mini', source: 'settings' }]);
    // With the model priced nowhere, the call has tokens but no price.
    const unknown = summaries('otel-openai', 'chat', {
      pricing: {
        models: {},
        azureDeployments: { 'gpt-4o-mini-2024-07-18': 'my-model', 'gpt-4o-mini': 'my-model' },
      },
    }).list[0]!;
    assert.deepEqual(unknown.cost, { usd: 0, pricedCalls: 0, unpricedCalls: 1 });
    assert.deepEqual(unknown.costBasis, {
      entries: [],
      unpricedModels: ['gpt-4o-mini-2024-07-18', 'gpt-4o-mini'],
    });
  });

  it('the engine re-prices the traces it holds when the price settings change', async () => {
    const posted: WorkerMessage[] = [];
    const engine = new IngestEngine(
      { limits: { maxTraces: 100 }, sessionAttributes: [], userAttributes: [], debounceMs: 0 },
      (m) => void posted.push(m),
      nullLogger,
    );
    try {
      for (const e of fixtureEntries({ library: 'traceloop', scenario: 'chat', encoding: 'json' }))
        if (e.signal === 'traces') engine.ingest(fixtureBatch(e));
      engine.store.flush();
      const before = engine.store.list()[0]!;
      assert.equal(before.costBasis?.entries[0]?.source, 'shipped');
      posted.length = 0;
      await engine.handle({
        op: 'configure',
        options: { pricing: { models: { 'gpt-4o-mini': { input: 10, output: 10 } }, azureDeployments: {} } },
      });
      engine.store.flush();
      const change = posted.find((m): m is ChangeMessage => m.type === 'changes');
      const after = change?.summaries.find((s) => s.traceId === before.traceId);
      assert.ok(after, 'the host hears of the re-priced trace');
      assert.ok(Math.abs(after.cost!.usd - ((71 + 55) * 10) / 1e6) < 1e-12, `${after.cost!.usd}`);
      assert.deepEqual(after.costBasis?.entries, [{ id: 'gpt-4o-mini', source: 'settings' }]);
    } finally {
      await engine.dispose();
    }
  });
});
