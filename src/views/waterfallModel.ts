// The waterfall's layout: every span of a trace as a row on one time axis, depth first with children in
// start order, so the page draws rows as they come and folds a subtree by skipping a range. Pure and
// linear in the trace's spans (no recursion: a chain of 10,000 spans is as cheap as a flat list).

import type { Span, Trace } from '../core/model';
import type { SpanRole, WaterfallRow, WaterfallView } from '../protocol/conversation';

const OPERATION = 'gen_ai.operation.name';

/** What a span is to the views (an LLM call, a tool call, an agent step or another span): icon and colour. */
export function spanRole(span: Span): SpanRole {
  if (span.llm) return 'llm';
  const op = span.attributes['gen_ai.operation.name'];
  if (op === 'execute_tool' || span.attributes['openinference.span.kind'] === 'TOOL') return 'tool';
  if (
    op === 'invoke_agent' ||
    op === 'create_agent' ||
    span.attributes['openinference.span.kind'] === 'AGENT'
  )
    return 'agent';
  return 'span';
}

/** The earliest start and latest end of the spans; a span without a start time (0) is left out. */
function timeAxis(spans: readonly Span[]): { startMs: number; endMs: number } {
  let startMs = Number.POSITIVE_INFINITY;
  let endMs = Number.NEGATIVE_INFINITY;
  for (const s of spans) {
    if (s.startMs <= 0 && spans.length > 1) continue;
    startMs = Math.min(startMs, s.startMs);
    endMs = Math.max(endMs, s.startMs + s.durationMs);
  }
  if (!Number.isFinite(startMs)) return { startMs: 0, endMs: 0 };
  return { startMs, endMs };
}

function rowOf(span: Span, depth: number, axisStartMs: number, parent: Span | undefined): WaterfallRow {
  const role = spanRole(span);
  const row: WaterfallRow = {
    spanId: span.spanId,
    name: span.name,
    service: span.service,
    depth,
    descendants: 0,
    offsetMs: span.startMs > 0 ? Math.max(0, span.startMs - axisStartMs) : 0,
    durationMs: span.durationMs,
    role: role === 'llm' || role === 'tool' || role === 'agent' ? role : 'span',
  };
  const op = span.llm ? span.llm.operation : span.attributes[OPERATION];
  if (typeof op === 'string' && op !== '' && row.role !== 'span') row.operation = op;
  if (span.status.code === 'error' || span.error) row.error = true;
  if (span.parentSpanId !== undefined && parent === undefined && depth === 0) row.orphan = true;
  if (parent && span.startMs > 0 && parent.startMs > 0 && span.startMs < parent.startMs) row.skewed = true;
  return row;
}

export function buildWaterfall(trace: Trace): WaterfallView {
  const spans = trace.spans;
  const byId = new Map<string, Span>();
  for (const s of spans) if (!byId.has(s.spanId)) byId.set(s.spanId, s);
  // Children in the trace's order, which is by start time (the store sorts its spans so).
  const children = new Map<string, Span[]>();
  const roots: Span[] = [];
  for (const s of spans) {
    const p = s.parentSpanId;
    if (p === undefined || p === s.spanId || !byId.has(p)) {
      roots.push(s);
      continue;
    }
    const list = children.get(p);
    if (list) list.push(s);
    else children.set(p, [s]);
  }
  const axis = timeAxis(spans);
  const rows: WaterfallRow[] = [];
  const seen = new Set<Span>();
  const walk = (root: Span): void => {
    // Each frame: the span, its row, and the next child to visit.
    const stack: { span: Span; row: number; next: number }[] = [];
    const enter = (span: Span, depth: number, parent: Span | undefined): void => {
      seen.add(span);
      rows.push(rowOf(span, depth, axis.startMs, parent));
      stack.push({ span, row: rows.length - 1, next: 0 });
    };
    enter(root, 0, undefined);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const kids = children.get(top.span.spanId);
      const child = kids?.[top.next++];
      if (child === undefined) {
        rows[top.row]!.descendants = rows.length - top.row - 1;
        stack.pop();
      } else if (!seen.has(child)) {
        enter(child, stack.length, top.span);
      }
    }
  };
  for (const r of roots) walk(r);
  // Spans whose parents form a cycle (a broken exporter) are reachable from no root: each shows as one.
  for (const s of spans) if (!seen.has(s)) walk(s);
  return { startMs: axis.startMs, durationMs: Math.max(0, axis.endMs - axis.startMs), rows };
}
