// A trace's outline: what the sidebar needs of each span (names, times, status, model, tokens, session,
// user, the attributes that say what kind of span it is), without message content or long values, so the
// extension host holds and receives little for the traces it only lists.

import type { AttrValue, Attributes } from '../core/records';
import type { Span, Trace } from '../core/model';
import { setOwnKey } from '../core/objects';

/** Attribute strings longer than this are left out of an outline (message JSON, prompts, outputs). */
const OUTLINE_VALUE_CHARS = 256;

export function outlineOf(trace: Trace): Trace {
  return { ...trace, spans: trace.spans.map(outlineSpan) };
}

function outlineSpan(span: Span): Span {
  const out: Span = {
    ...span,
    attributes: shortValues(span.attributes),
    events: span.events.map((e) => ({ name: e.name, timeMs: e.timeMs, attributes: {} })),
  };
  if (span.llm) out.llm = { ...span.llm, messages: [], toolDefinitions: [], contentPending: true };
  return out;
}

function shortValues(attributes: Attributes): Attributes {
  const out: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (!isShort(value)) continue;
    setOwnKey(out, key, value);
  }
  return out;
}

function isShort(value: AttrValue): boolean {
  if (typeof value === 'string') return value.length <= OUTLINE_VALUE_CHARS;
  return value === null || typeof value !== 'object';
}
