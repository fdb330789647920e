// The tree reads trace outlines (no message content): on every captured fixture, every node it shows must
// read exactly as it would from the whole trace, and the outline's summary must be the one the whole
// trace's spans give.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TraceStore } from '../../../src/core/store';
import { createNormalizer } from '../../../src/core/genai/normalize';
import type { Span } from '../../../src/core/model';
import {
  childNodes,
  childrenOf,
  describeSpan,
  describeTrace,
  rootNodes,
  spanOf,
  treeTrace,
  type NodeView,
  type TreeModelSource,
  type TreeNode,
} from '../../../src/host/treeModel';
import { fixtureBatch, fixtureEntries } from '../helpers/fixtures';

/** How a node reads, as traceTree.ts's describeNode builds it, from whichever trace the source gives. */
function describe_(source: TreeModelSource, node: TreeNode, llmOnly: boolean, now: number): NodeView {
  if (node.kind === 'session' || node.kind === 'user') throw new Error('no filters here');
  const trace = treeTrace(source, node.traceId)!;
  if (node.kind === 'trace') return describeTrace(trace.summary, now);
  const span = spanOf(trace, node.spanId)!;
  return describeSpan(span, !llmOnly && childrenOf(trace, span.spanId).length > 0);
}

/** Every node of the tree, depth first, with how it reads. */
function walk(source: TreeModelSource, llmOnly: boolean, now: number): [TreeNode, NodeView][] {
  const out: [TreeNode, NodeView][] = [];
  const visit = (node: TreeNode): void => {
    out.push([node, describe_(source, node, llmOnly, now)]);
    for (const child of childNodes(source, node, { llmOnly })) visit(child);
  };
  for (const root of rootNodes(source, { llmOnly })) visit(root);
  return out;
}

/** A span less what only the whole trace has. */
function withoutContent(span: Span): Span {
  if (!span.llm) return span;
  const {
    messages: _m,
    toolDefinitions: _t,
    parameters: _p,
    missingContent: _c,
    contentPending: _pending,
    ...rest
  } = span.llm;
  return { ...span, llm: { ...rest, messages: [], toolDefinitions: [], parameters: {} } };
}

const traceEntries = fixtureEntries({ signal: 'traces' });

describe('the tree from trace outlines', () => {
  it('has fixtures to read', () => assert.ok(traceEntries.length >= 40));

  for (const entry of traceEntries) {
    it(`reads ${entry.file} the same from the outline as from the whole trace`, () => {
      const normalizer = createNormalizer();
      const store = new TraceStore({ maxTraces: 100, normalizer, debounceMs: 0 });
      store.ingest(fixtureBatch(entry), 'otlp');
      // The content some libraries send as log records, captured in the same run.
      for (const logs of fixtureEntries({
        library: entry.library,
        scenario: entry.scenario,
        turn: entry.turn,
        signal: 'logs',
        encoding: entry.encoding,
      }))
        store.ingest(fixtureBatch(logs), 'otlp');
      const outlines: TreeModelSource = {
        list: () => store.list(),
        getTrace: (id) => store.getTrace(id),
        getOutline: (id) => store.getOutline(id),
        has: (id) => store.has(id),
        summary: (id) => store.getOutline(id)?.summary,
        findSession: (id) => store.findSession(id),
        findUser: (id) => store.findUser(id),
      };
      const whole: TreeModelSource = {
        ...outlines,
        getOutline: undefined,
        summary: (id) => store.getTrace(id)?.summary,
      };
      delete whole.getOutline;
      const now = Date.now();
      for (const llmOnly of [false, true]) {
        const fromOutline = walk(outlines, llmOnly, now);
        if (!llmOnly) assert.ok(fromOutline.length > 0);
        assert.deepEqual(fromOutline, walk(whole, llmOnly, now));
      }
      for (const summary of store.list()) {
        const outline = store.getOutline(summary.traceId)!;
        const full = store.getTrace(summary.traceId)!;
        const rebuilt = normalizer.trace(summary.traceId, full.spans, summary.updatedMs).summary;
        assert.deepEqual(outline.summary, rebuilt, 'the summary is the same either way');
        assert.deepEqual(full.summary, rebuilt);
        assert.deepEqual(
          outline.spans.map((s) => s.spanId),
          full.spans.map((s) => s.spanId),
        );
        outline.spans.forEach((s, i) => {
          const f = full.spans[i]!;
          assert.deepEqual(withoutContent(s), withoutContent(f));
          // A chat call has messages or says why not; its outline says they are still to be read.
          if (f.llm && (f.llm.messages.length > 0 || f.llm.missingContent))
            assert.equal(s.llm!.contentPending, true);
          assert.equal(s.llm?.messages.length ?? 0, 0);
          assert.equal(f.llm?.contentPending, undefined);
        });
      }
    });
  }
});
