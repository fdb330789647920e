import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildWaterfall } from '../../../src/views/waterfallModel';
import { buildConversationState, buildSpanDetails } from '../../../src/views/conversationViewModel';
import {
  barGeometry,
  packWaterfall,
  unpackWaterfall,
  visibleRows,
  type WaterfallRow,
} from '../../../src/protocol/conversation';
import type { Span } from '../../../src/core/model';
import { llm, span, spanId, T0, trace } from '../../browser/traceBuilders';
import { fixtureBatch, fixtureEntries } from '../helpers/fixtures';
import { TraceStore } from '../../../src/core/store';
import { createNormalizer } from '../../../src/core/genai/normalize';

const id = (n: number): string => spanId(0x700 + n);

/** Root agent step with a call and a failing tool call under it, the tool with a grandchild. */
function agentTrace(): Span[] {
  return [
    span({
      spanId: id(1),
      name: 'invoke_agent planner',
      startMs: T0,
      durationMs: 1000,
      attributes: { 'gen_ai.operation.name': 'invoke_agent' },
    }),
    span({ spanId: id(2), parentSpanId: id(1), startMs: T0 + 100, durationMs: 300, llm: llm() }),
    span({
      spanId: id(3),
      parentSpanId: id(1),
      name: 'execute_tool get_weather',
      startMs: T0 + 450,
      durationMs: 200,
      status: { code: 'error', message: 'timeout' },
      attributes: { 'gen_ai.operation.name': 'execute_tool' },
    }),
    span({ spanId: id(4), parentSpanId: id(3), name: 'GET /weather', startMs: T0 + 460, durationMs: 150 }),
  ];
}

function byId(rows: readonly WaterfallRow[], n: number): WaterfallRow {
  const row = rows.find((r) => r.spanId === id(n));
  assert.ok(row, `row ${n}`);
  return row;
}

describe('waterfall layout', () => {
  it('lays spans out depth first, children by start, with offsets from the earliest start', () => {
    const view = buildWaterfall(trace(agentTrace()));
    assert.equal(view.startMs, T0);
    assert.equal(view.durationMs, 1000);
    assert.deepEqual(
      view.rows.map((r) => [r.spanId, r.depth, r.descendants, r.offsetMs, r.durationMs]),
      [
        [id(1), 0, 3, 0, 1000],
        [id(2), 1, 0, 100, 300],
        [id(3), 1, 1, 450, 200],
        [id(4), 2, 0, 460, 150],
      ],
    );
    assert.deepEqual(
      view.rows.map((r) => [r.role, r.operation, r.error]),
      [
        ['agent', 'invoke_agent', undefined],
        ['llm', 'chat', undefined],
        ['tool', 'execute_tool', true],
        ['span', undefined, undefined],
      ],
    );
  });

  it('shows a span whose parent is missing as a root, marked, and keeps its own children under it', () => {
    const spans = agentTrace().filter((s) => s.spanId !== id(1));
    const rows = buildWaterfall(trace(spans)).rows;
    assert.equal(byId(rows, 2).depth, 0);
    assert.equal(byId(rows, 2).orphan, true);
    assert.equal(byId(rows, 3).orphan, true);
    assert.equal(byId(rows, 4).depth, 1);
    assert.equal(byId(rows, 4).orphan, undefined);
    // A true root is not an orphan.
    assert.equal(buildWaterfall(trace(agentTrace())).rows[0]?.orphan, undefined);
  });

  it('gives a zero-duration span a visible sliver inside the axis, and a span at the end stays inside', () => {
    const spans = [
      span({ spanId: id(1), startMs: T0, durationMs: 1000 }),
      span({ spanId: id(2), parentSpanId: id(1), startMs: T0 + 500, durationMs: 0 }),
      span({ spanId: id(3), parentSpanId: id(1), startMs: T0 + 1000, durationMs: 0 }),
    ];
    const view = buildWaterfall(trace(spans));
    const zero = byId(view.rows, 2);
    assert.equal(zero.durationMs, 0);
    const g = barGeometry(zero, view.durationMs);
    assert.equal(g.left, 0.5);
    assert.ok(g.width > 0);
    const atEnd = barGeometry(byId(view.rows, 3), view.durationMs);
    assert.ok(atEnd.left + atEnd.width <= 1 + 1e-12, JSON.stringify(atEnd));
    // A trace of one instant: an axis of 0 ms still draws its bars.
    const instant = buildWaterfall(trace([span({ spanId: id(9), startMs: T0, durationMs: 0 })]));
    assert.equal(instant.durationMs, 0);
    assert.deepEqual(barGeometry(instant.rows[0]!, 0), { left: 0, width: 0.002 });
  });

  it('marks a child that starts before its parent (clock skew) and measures it from the earliest start', () => {
    const spans = [
      span({ spanId: id(1), startMs: T0 + 50, durationMs: 500, service: 'api' }),
      span({ spanId: id(2), parentSpanId: id(1), startMs: T0, durationMs: 100, service: 'worker' }),
    ];
    const view = buildWaterfall(trace(spans));
    assert.equal(view.startMs, T0);
    assert.deepEqual(
      view.rows.map((r) => [r.spanId, r.depth, r.offsetMs, r.skewed]),
      [
        [id(1), 0, 50, undefined],
        [id(2), 1, 0, true],
      ],
    );
  });

  it('survives parents that form a cycle and a span that names itself as parent', () => {
    const spans = [
      span({ spanId: id(1), parentSpanId: id(2), startMs: T0 }),
      span({ spanId: id(2), parentSpanId: id(1), startMs: T0 + 1 }),
      span({ spanId: id(3), parentSpanId: id(3), startMs: T0 + 2 }),
    ];
    const rows = buildWaterfall(trace(spans)).rows;
    assert.deepEqual(rows.map((r) => r.spanId).sort(), [id(1), id(2), id(3)]);
    assert.equal(byId(rows, 3).depth, 0);
  });

  it('lays out a chain 10,000 spans deep without recursion', () => {
    const spans: Span[] = [];
    for (let i = 0; i < 10_000; i++)
      spans.push(
        span({
          spanId: spanId(0x10000 + i),
          ...(i > 0 ? { parentSpanId: spanId(0x10000 + i - 1) } : {}),
          startMs: T0 + i,
          durationMs: 10_000 - i,
        }),
      );
    const rows = buildWaterfall(trace(spans)).rows;
    assert.equal(rows.length, 10_000);
    assert.equal(rows[0]?.descendants, 9_999);
    assert.equal(rows[9_999]?.depth, 9_999);
  });

  it('folds a subtree by skipping its rows', () => {
    const rows = buildWaterfall(trace(agentTrace())).rows;
    assert.deepEqual(visibleRows(rows, new Set()), [0, 1, 2, 3]);
    assert.deepEqual(visibleRows(rows, new Set([id(3)])), [0, 1, 2]);
    assert.deepEqual(visibleRows(rows, new Set([id(1)])), [0]);
    // Folding a leaf changes nothing.
    assert.deepEqual(visibleRows(rows, new Set([id(2)])), [0, 1, 2, 3]);
  });

  it('reaches the page with the conversation state, and lays out every captured fixture', () => {
    const state = buildConversationState(trace(agentTrace()), { traceId: 't' }, 0);
    assert.deepEqual(unpackWaterfall(state.waterfall!), buildWaterfall(trace(agentTrace())));
    let llmRows = 0;
    for (const entry of fixtureEntries({ signal: 'traces' })) {
      const store = new TraceStore({ maxTraces: 100, normalizer: createNormalizer(), debounceMs: 0 });
      store.ingest(fixtureBatch(entry), 'otlp');
      for (const summary of store.list()) {
        const real = store.getTrace(summary.traceId)!;
        const view = buildWaterfall(real);
        // Packed for the page and back, every row is what the host laid out.
        assert.deepEqual(unpackWaterfall(packWaterfall(view)), view);
        const rows = view.rows;
        assert.deepEqual(rows.map((r) => r.spanId).sort(), real.spans.map((s) => s.spanId).sort());
        llmRows += rows.filter((r) => r.role === 'llm').length;
        // Every subtree's extent stays inside the rows, and holds only deeper rows.
        rows.forEach((r, i) => {
          for (let j = i + 1; j <= i + r.descendants; j++) assert.ok(rows[j]!.depth > r.depth);
        });
      }
      store.dispose();
    }
    assert.ok(llmRows > 0);
  });
});

describe('span details', () => {
  it('lists attributes, resource and events as text, cut like the dimensions, with status and error', () => {
    const s = span({
      spanId: id(1),
      parentSpanId: id(0),
      attributes: { 'http.url': 'https://example.com/'.padEnd(50, 'x'), 'app.n': 3 },
      status: { code: 'error', message: 'boom' },
      error: { type: 'TimeoutError', message: 'took too long' },
      events: [{ name: 'exception', timeMs: T0 + 20, attributes: { 'exception.message': 'x'.repeat(40) } }],
    });
    const d = buildSpanDetails(s, { maxAttributeLength: 30 });
    assert.equal(d.parentSpanId, id(0));
    assert.deepEqual(d.status, { code: 'error', message: 'boom' });
    assert.equal(d.error?.type, 'TimeoutError');
    assert.deepEqual(
      d.attributes.map((r) => [r.key, r.from, r.fullLength]),
      [
        ['app.n', 'span', undefined],
        ['http.url', 'span', 50],
        ['service.name', 'resource', undefined],
      ],
    );
    assert.equal(d.events[0]?.offsetMs, 20);
    assert.equal(d.events[0]?.attributes[0]?.fullLength, 40);
    assert.equal(d.isLlmCall, undefined);
    assert.equal(buildSpanDetails(span({ llm: llm() })).isLlmCall, true);
  });
});
