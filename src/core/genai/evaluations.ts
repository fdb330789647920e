// `gen_ai.evaluation.result` events: an evaluator's score, label and explanation of one LLM call. The
// conventions parent the event to the evaluated span when they can and name the call by
// `gen_ai.response.id` when they cannot (an evaluator that runs later, in a span of its own), so an event
// belongs to the span it sits on unless its response id names another call; those are matched across the
// trace once its spans are all read (`linkEvaluations`).

import type { Evaluation, Span } from '../model';
import { EVENT_NAME_ATTRIBUTE, type Attributes, type LogRecordData, type SpanEventRecord } from '../records';
import { Evaluation as Keys, GenAiEvents } from './keys';
import { asString, toText } from './values';

export interface FoundEvaluation {
  evaluation: Evaluation;
  responseId?: string;
}

function scoreOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** One event's attributes as an evaluation; without a name it is not one (the name is required). */
function read(attrs: Attributes, body: unknown): FoundEvaluation | undefined {
  // A log record may carry the fields in its body rather than its attributes.
  const fields: Record<string, unknown> =
    body && typeof body === 'object' && !Array.isArray(body) ? { ...(body as object), ...attrs } : attrs;
  const name = asString(fields[Keys.name]);
  if (!name) return undefined;
  const evaluation: Evaluation = { name };
  const score = scoreOf(fields[Keys.scoreValue]);
  if (score !== undefined) evaluation.score = score;
  const label = fields[Keys.scoreLabel];
  if (label !== undefined && label !== null && label !== '') evaluation.label = toText(label);
  const explanation = fields[Keys.explanation];
  if (explanation !== undefined && explanation !== null && explanation !== '')
    evaluation.explanation = toText(explanation);
  const found: FoundEvaluation = { evaluation };
  const responseId = asString(fields[Keys.responseId]);
  if (responseId) found.responseId = responseId;
  return found;
}

/** The evaluation events a span carries: its span events first, then its log records, each in order. */
export function evaluationEvents(
  events: readonly SpanEventRecord[] | undefined,
  logs: readonly LogRecordData[],
): FoundEvaluation[] {
  const out: FoundEvaluation[] = [];
  for (const e of events ?? []) {
    if (e.name !== GenAiEvents.evaluationResult) continue;
    const found = read(e.attributes ?? {}, undefined);
    if (found) out.push(found);
  }
  for (const log of logs) {
    const name = log.eventName || asString(log.attributes?.[EVENT_NAME_ATTRIBUTE]);
    if (name !== GenAiEvents.evaluationResult) continue;
    const found = read(log.attributes ?? {}, log.body);
    if (found) out.push(found);
  }
  return out;
}

// What a span carries about other calls, kept beside the span object (which the store caches and reuses)
// rather than in the model: it only matters until the trace's calls are matched.
const unclaimed = new WeakMap<Span, FoundEvaluation[]>();

/**
 * Gives the span's LLM call the evaluations that are about it, and keeps those naming another response
 * for `linkEvaluations`.
 */
export function claimEvaluations(span: Span, found: readonly FoundEvaluation[]): void {
  if (found.length === 0) return;
  const own: Evaluation[] = [];
  const others: FoundEvaluation[] = [];
  const responseId = span.llm?.responseId;
  for (const f of found) {
    if (span.llm && (f.responseId === undefined || f.responseId === responseId)) own.push(f.evaluation);
    else if (f.responseId !== undefined) others.push(f);
  }
  if (span.llm && own.length > 0) span.llm.evaluations = own;
  if (others.length > 0) unclaimed.set(span, others);
}

/**
 * The trace's spans with the evaluations sent from elsewhere added to the calls they name by response id.
 * A span that gains some is copied, never changed: the store reuses span objects between builds.
 */
export function linkEvaluations(spans: Span[]): Span[] {
  let byResponse: Map<string, Evaluation[]> | undefined;
  for (const span of spans) {
    const list = unclaimed.get(span);
    if (!list) continue;
    byResponse ??= new Map();
    for (const f of list) {
      const id = f.responseId as string;
      const forId = byResponse.get(id);
      if (forId) forId.push(f.evaluation);
      else byResponse.set(id, [f.evaluation]);
    }
  }
  if (!byResponse) return spans;
  return spans.map((span) => {
    const id = span.llm?.responseId;
    const more = id !== undefined ? byResponse.get(id) : undefined;
    if (!span.llm || !more) return span;
    return { ...span, llm: { ...span.llm, evaluations: [...(span.llm.evaluations ?? []), ...more] } };
  });
}
