// Messages from the OpenTelemetry GenAI generations: the structured JSON attributes
// (gen_ai.input.messages / gen_ai.output.messages / gen_ai.system_instructions), the per-message events
// (gen_ai.user.message, gen_ai.choice ...) sent as span events or as log records, the one-event form
// (gen_ai.client.inference.operation.details) and the oldest gen_ai.content.prompt/completion events.
// Each reader returns a MessageSource; normalize.ts picks the richest source per side.

import type { Attributes, Truncation } from '../records';
import type { Message, MessageOrigin, MessagePart } from '../model';
import { GenAi, GenAiEvents } from './keys';
import { contentParts, structuredParts, textOfContent, toolCallParts } from './parts';
import { asInt, asString, readStructured } from './values';
import { isPlainObject } from '../objects';
import { endOfJsonString } from '../jsonText';

/** What one form of content yielded for one call. */
export interface MessageSource {
  /** System instructions first, then the input messages in the order they were sent. */
  input: Message[];
  /** Output messages, ordered by choice index. */
  output: Message[];
  /** Finish reasons seen in the messages (used when no attribute reports them). */
  finishReasons: string[];
  /** A content value was present but nothing could be read from it (cut before the first message). */
  unreadable: boolean;
}

export function emptySource(): MessageSource {
  return { input: [], output: [], finishReasons: [], unreadable: false };
}

type Direction = Message['direction'];

interface Ctx {
  origin: MessageOrigin;
  originName: string;
}

// ---------------------------------------------------------------------------------------------------
// Structured attributes (current conventions)

/** Attribute key -> where the source saw its value cut (SpanRecord.truncated / LogRecordData.truncated). */
export type Cuts = Readonly<Record<string, Truncation>>;

/**
 * Reads the three structured content attributes from `attrs` (a span's attributes, or an
 * operation-details event's). `originName` defaults to the attribute's own key. `cuts` says which of
 * them the source saw cut, and where.
 */
export function structuredSource(
  attrs: Readonly<Record<string, unknown>>,
  origin: MessageOrigin,
  originName?: string,
  cuts?: Cuts,
  /** Only the messages sent to the model (gen_ai.input.messages): a preview's question, nothing else. */
  inputOnly = false,
): MessageSource {
  const out = emptySource();
  const system = inputOnly ? undefined : attrs[GenAi.systemInstructions];
  if (system !== undefined && system !== null) {
    const r = systemInstructions(
      system,
      { origin, originName: originName ?? GenAi.systemInstructions },
      cuts?.[GenAi.systemInstructions],
    );
    out.input.push(...r.messages);
    out.unreadable ||= r.unreadable;
  }
  const input = attrs[GenAi.inputMessages];
  if (input !== undefined && input !== null) {
    const r = structuredMessages(
      input,
      'input',
      { origin, originName: originName ?? GenAi.inputMessages },
      cuts?.[GenAi.inputMessages],
    );
    out.input.push(...r.messages);
    out.unreadable ||= r.unreadable;
  }
  const output = inputOnly ? undefined : attrs[GenAi.outputMessages];
  if (output !== undefined && output !== null) {
    const r = structuredMessages(
      output,
      'output',
      { origin, originName: originName ?? GenAi.outputMessages },
      cuts?.[GenAi.outputMessages],
    );
    out.output.push(...sortByIndex(r.messages));
    out.unreadable ||= r.unreadable;
  }
  collectFinishReasons(out);
  return out;
}

export interface ReadMessages {
  messages: Message[];
  unreadable: boolean;
}

function structuredMessages(value: unknown, direction: Direction, ctx: Ctx, cut?: Truncation): ReadMessages {
  if (typeof value === 'string' && !/^\s*[[{]/.test(value)) {
    // Not JSON at all: someone put the plain text there. Show it rather than call it unreadable.
    const parts: MessagePart[] = value ? [{ type: 'text', text: value }] : [];
    return markTextCut(
      {
        messages: parts.length
          ? [msg(direction === 'input' ? 'user' : 'assistant', direction, parts, ctx)]
          : [],
        unreadable: false,
      },
      cut,
    );
  }
  const s = readStructured(value);
  if (!s) return { messages: [], unreadable: true };
  const list = messageList(s.value);
  const messages: Message[] = [];
  list.forEach((m, i) => {
    const message = structuredMessage(m, direction, ctx, i);
    if (message) messages.push(message);
  });
  return finishRead(messages, s.complete, cut);
}

/**
 * How a JSON encoder writes the start of a user message: compact (JavaScript's), or with Python's spaces.
 * An encoder writes one or the other, so the second is looked for only where the first is not found.
 */
const USER_MESSAGE_STARTS = ['{"role":"user"', '{"role": "user"'];

function isJsonSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * The last message of gen_ai.input.messages read alone when it is the user's, or undefined to read the list
 * whole: a trace's question is that message, and the list before it (a system prompt, the history) is most
 * of the text. It is found as the text's last `{"role":"user"` (in valid JSON only an object starts so: a
 * string holds no unescaped quote) and taken only when it sits directly in the outer list (the brackets
 * before it, strings skipped, leave one open) and is that list's last element (the rest of the text is
 * exactly that one object), so it is the message the whole list would give last. Before it the text is
 * counted, not parsed: where that part is not valid JSON (a NaN, a control character in a string), the
 * whole list read leniently may give less than this does.
 */
export function lastUserMessage(text: string): Message | undefined {
  // Text that is not a list is read as it is, plain text included.
  let first = 0;
  while (first < text.length && isJsonSpace(text.charCodeAt(first))) first++;
  if (text.charCodeAt(first) !== 0x5b /* [ */) return undefined;
  let at = -1;
  for (let i = 0; i < USER_MESSAGE_STARTS.length && at < 0; i++)
    at = text.lastIndexOf(USER_MESSAGE_STARTS[i]!);
  if (at < 0) return undefined;
  let end = text.length;
  while (end > at && isJsonSpace(text.charCodeAt(end - 1))) end--;
  if (text.charCodeAt(end - 1) !== 0x5d /* ] */) return undefined;
  let before = at;
  while (before > 0 && isJsonSpace(text.charCodeAt(before - 1))) before--;
  const c = text.charCodeAt(before - 1);
  if (c !== 0x5b /* [ */ && c !== 0x2c /* , */) return undefined;
  if (!inOuterList(text, first, at)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.slice(at, end - 1));
  } catch {
    return undefined; // more than the one object (it was nested, or not last): read whole
  }
  if (!isPlainObject(parsed)) return undefined;
  return structuredMessage(parsed, 'input', { origin: 'attribute', originName: GenAi.inputMessages }, 0);
}

/**
 * Whether `at` is directly inside the list that opens at `first`: its brackets, strings crossed from quote to
 * quote with indexOf, leave exactly that one open there.
 */
function inOuterList(text: string, first: number, at: number): boolean {
  let depth = 0;
  let i = first;
  while (i < at) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const close = endOfJsonString(text, i);
      if (close < 0 || close >= at) return false;
      i = close + 1;
      continue;
    }
    if (c === 0x5b || c === 0x7b) depth++;
    else if (c === 0x5d || c === 0x7d) {
      // The outer list closed before the message: what follows is not in it.
      if (--depth === 0) return false;
    }
    i++;
  }
  return depth === 1;
}

function structuredMessage(
  m: unknown,
  direction: Direction,
  ctx: Ctx,
  position: number,
): Message | undefined {
  if (!isPlainObject(m)) {
    const parts = structuredParts(m);
    return parts.length
      ? msg(direction === 'input' ? 'user' : 'assistant', direction, parts, ctx)
      : undefined;
  }
  // Some emitters write provider-style messages ({role, content, tool_calls}) under the structured keys.
  const parts =
    m.parts !== undefined
      ? structuredParts(m.parts)
      : [...contentParts(m.content), ...toolCallParts(m.tool_calls)];
  const role = normRole(m.role) ?? (direction === 'input' ? 'user' : 'assistant');
  const message = msg(role, direction, parts, ctx);
  const name = asString(m.name);
  if (name) message.name = name;
  const finish = asString(m.finish_reason);
  if (finish) message.finishReason = finish;
  if (direction === 'output') message.index = asInt(m.index) ?? position;
  // A message with no parts still carries its finish reason (a choice whose content capture was off).
  return message;
}

function systemInstructions(value: unknown, ctx: Ctx, cut?: Truncation): ReadMessages {
  if (typeof value === 'string' && !/^\s*[[{]/.test(value)) {
    return markTextCut(
      {
        messages: value ? [msg('system', 'input', [{ type: 'text', text: value }], ctx)] : [],
        unreadable: false,
      },
      cut,
    );
  }
  const s = readStructured(value);
  if (!s) return { messages: [], unreadable: true };
  const list = Array.isArray(s.value) ? s.value : [s.value];
  // Either a list of parts (the convention) or, from some emitters, a list of system messages.
  if (list.some((x) => isPlainObject(x) && (x.parts !== undefined || x.role !== undefined))) {
    const messages = list
      .map((m, i) => structuredMessage(m, 'input', ctx, i))
      .filter((m): m is Message => m !== undefined);
    for (const m of messages) if (!m.role) m.role = 'system';
    return finishRead(messages, s.complete, cut);
  }
  const parts = structuredParts(list);
  return finishRead(parts.length ? [msg('system', 'input', parts, ctx)] : [], s.complete, cut);
}

// ---------------------------------------------------------------------------------------------------
// Events (span events and log records)

/** A content-carrying event, whichever way it travelled. */
export interface ContentEvent {
  name: string;
  /** The event body: a log record's body, or a span event's JSON payload / its attributes. */
  body: unknown;
  /** False when the body was JSON text that was cut. */
  bodyComplete: boolean;
  attributes: Attributes;
  origin: 'spanEvent' | 'logRecord';
  /**
   * Where the source saw the body cut, when that cut is visible in what was read (a JSON body that no
   * longer parses, or a text body): the message read from it is marked with it.
   */
  cut?: Truncation;
  /** Which of the event's attributes the source saw cut (operation-details events carry content there). */
  attributeCuts?: Cuts;
}

const EVENT_ROLES: Readonly<Record<string, string>> = {
  [GenAiEvents.systemMessage]: 'system',
  [GenAiEvents.userMessage]: 'user',
  [GenAiEvents.assistantMessage]: 'assistant',
  [GenAiEvents.toolMessage]: 'tool',
};

/** True for the event names this module reads messages from. */
export function isContentEventName(name: string | undefined): boolean {
  if (!name) return false;
  return (
    name in EVENT_ROLES ||
    name === GenAiEvents.choice ||
    name === GenAiEvents.operationDetails ||
    name === GenAiEvents.contentPrompt ||
    name === GenAiEvents.contentCompletion
  );
}

/** Messages from events of one origin, in the order they were emitted. */
export function eventSource(events: readonly ContentEvent[]): MessageSource {
  const out = emptySource();
  const outputs: Message[] = [];
  for (const e of events) {
    const ctx: Ctx = { origin: e.origin, originName: e.name };
    const role = EVENT_ROLES[e.name];
    if (role !== undefined) {
      const m = providerMessage(e.body, role, 'input', ctx, true);
      if (m) {
        markEventCut(m, e);
        out.input.push(m);
      } else if (!e.bodyComplete || e.cut) out.unreadable = true;
      continue;
    }
    switch (e.name) {
      case GenAiEvents.choice: {
        const m = choiceMessage(e.body, ctx, outputs.length);
        if (m) {
          markEventCut(m, e);
          outputs.push(m);
        } else if (!e.bodyComplete || e.cut) out.unreadable = true;
        break;
      }
      case GenAiEvents.operationDetails: {
        // The messages travel as event attributes; a logs bridge may have put them in a map body instead.
        const attrs: Record<string, unknown> = { ...(isPlainObject(e.body) ? e.body : {}), ...e.attributes };
        const s = structuredSource(attrs, e.origin, e.name, e.attributeCuts);
        out.input.push(...s.input);
        outputs.push(...s.output);
        out.unreadable ||= s.unreadable;
        break;
      }
      case GenAiEvents.contentPrompt: {
        const r = providerMessageList(e.attributes[GenAi.prompt] ?? bodyOrUndefined(e), 'input', ctx);
        out.input.push(...r.messages);
        out.unreadable ||= r.unreadable;
        break;
      }
      case GenAiEvents.contentCompletion: {
        const r = providerMessageList(e.attributes[GenAi.completion] ?? bodyOrUndefined(e), 'output', ctx);
        outputs.push(...r.messages);
        out.unreadable ||= r.unreadable;
        break;
      }
      default:
        break;
    }
  }
  out.output = sortByIndex(outputs);
  collectFinishReasons(out);
  return out;
}

function markEventCut(m: Message, e: ContentEvent): void {
  if (e.bodyComplete && !e.cut) return;
  m.truncated = true;
  if (e.cut) m.truncatedAt = e.cut;
}

function bodyOrUndefined(e: ContentEvent): unknown {
  return e.body === undefined || e.body === null ? undefined : e.body;
}

function choiceMessage(body: unknown, ctx: Ctx, position: number): Message | undefined {
  if (!isPlainObject(body)) {
    const parts = contentParts(body);
    return parts.length
      ? Object.assign(msg('assistant', 'output', parts, ctx), { index: position })
      : undefined;
  }
  const inner = isPlainObject(body.message) ? body.message : body;
  const m = providerMessage(inner, 'assistant', 'output', ctx, false) ?? msg('assistant', 'output', [], ctx);
  const finish = asString(body.finish_reason);
  if (finish) m.finishReason = finish;
  m.index = asInt(body.index) ?? position;
  return m;
}

// ---------------------------------------------------------------------------------------------------
// Provider-style messages ({role, content, tool_calls, tool_call_id}), shared with the flattened forms

/**
 * One provider-style message. `role` is the default (or, with `forceRole`, the role the event name
 * says: log records carry no role of their own). Returns undefined when the message has no content.
 */
export function providerMessage(
  body: unknown,
  role: string,
  direction: Direction,
  ctx: Ctx,
  forceRole: boolean,
): Message | undefined {
  if (!isPlainObject(body)) {
    if (role === 'tool') {
      if (body === undefined || body === null) return undefined;
      return msg('tool', direction, [{ type: 'toolResult', result: textOfContent(body) }], ctx);
    }
    const parts = contentParts(body);
    return parts.length ? msg(role, direction, parts, ctx) : undefined;
  }
  const r = forceRole ? role : (normRole(body.role) ?? role);
  const parts: MessagePart[] = [];
  if (r === 'tool') {
    const id = asString(body.id) ?? asString(body.tool_call_id);
    if (body.content !== undefined || id !== undefined) {
      const part: MessagePart = {
        type: 'toolResult',
        result: body.content === undefined || body.content === null ? '' : textOfContent(body.content),
      };
      if (id !== undefined) part.id = id;
      const name = asString(body.name);
      if (name !== undefined) part.name = name;
      parts.push(part);
    }
  } else {
    parts.push(...contentParts(body.content));
    // Azure AI Inference spells the choice's tool calls the SDK's way, `toolCalls`.
    parts.push(...toolCallParts(body.tool_calls ?? body.toolCalls));
    if (isPlainObject(body.function_call)) parts.push(...toolCallParts([body.function_call]));
  }
  if (parts.length === 0) return undefined;
  const m = msg(r, direction, parts, ctx);
  const name = asString(body.name);
  if (name && r !== 'tool') m.name = name;
  return m;
}

/**
 * A JSON list of provider-style messages or choices (the deprecated gen_ai.prompt / gen_ai.completion
 * attributes and content events, OpenInference input.value). Plain text becomes one message. `cut`: where
 * the source saw the value cut.
 */
export function providerMessageList(
  value: unknown,
  direction: Direction,
  ctx: Ctx,
  cut?: Truncation,
): ReadMessages {
  if (value === undefined || value === null) return { messages: [], unreadable: false };
  const s = readStructured(value, true);
  if (!s) return { messages: [], unreadable: true };
  if (typeof s.value === 'string') {
    const read: ReadMessages = {
      messages: s.value
        ? [
            msg(
              direction === 'input' ? 'user' : 'assistant',
              direction,
              [{ type: 'text', text: s.value }],
              ctx,
            ),
          ]
        : [],
      unreadable: !s.complete,
    };
    return s.complete ? markTextCut(read, cut) : read;
  }
  const list = messageList(s.value);
  const messages: Message[] = [];
  list.forEach((item, i) => {
    const m =
      isPlainObject(item) && (isPlainObject(item.message) || item.finish_reason !== undefined)
        ? choiceMessage(item, ctx, i)
        : providerMessage(item, direction === 'input' ? 'user' : 'assistant', direction, ctx, false);
    if (m) {
      if (direction === 'output' && m.index === undefined) m.index = i;
      messages.push(m);
    }
  });
  return finishRead(direction === 'output' ? sortByIndex(messages) : messages, s.complete, cut);
}

// ---------------------------------------------------------------------------------------------------
// helpers

function messageList(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (isPlainObject(v)) {
    if (Array.isArray(v.messages)) return v.messages;
    if (Array.isArray(v.choices)) return v.choices;
    return [v];
  }
  return v === undefined || v === null ? [] : [v];
}

/**
 * The messages of one JSON value. A value that did not parse to its end was cut: the message the cut went
 * through is marked, with where the source saw the cut when it knew. A value the source thought cut (its
 * size sits at a known limit) that still parses whole was not: JSON cut anywhere but at its very end does
 * not parse, so the size was a coincidence and nothing is marked.
 */
function finishRead(messages: Message[], complete: boolean, cut?: Truncation): ReadMessages {
  if (complete) return { messages, unreadable: false };
  // The message the cut went through may have lost all its parts: the one before it then ends the list.
  while (messages.length && messages[messages.length - 1]!.parts.length === 0) messages.pop();
  const last = messages[messages.length - 1];
  if (last) {
    last.truncated = true;
    if (cut) last.truncatedAt = cut;
  }
  return { messages, unreadable: messages.length === 0 };
}

/**
 * Plain text read whole: nothing in it shows a cut, so the source's word is taken. The text ends where
 * the value ended; the last message is the one the cut went through.
 */
export function markTextCut(read: ReadMessages, cut: Truncation | undefined): ReadMessages {
  if (!cut) return read;
  const last = read.messages[read.messages.length - 1];
  if (last) {
    last.truncated = true;
    last.truncatedAt = cut;
  }
  return read;
}

export function msg(role: string, direction: Direction, parts: MessagePart[], ctx: Ctx): Message {
  return { role, direction, parts, origin: ctx.origin, originName: ctx.originName };
}

/** Roles in lower case: Semantic Kernel and some SDKs send "Assistant", "User". */
export function normRole(v: unknown): string | undefined {
  const s = asString(v);
  return s === undefined ? undefined : s.toLowerCase();
}

/** Stable sort by choice index; messages without one keep their place after indexed ones. */
export function sortByIndex(messages: Message[]): Message[] {
  return messages
    .map((m, i) => ({ m, i }))
    .sort(
      (a, b) => (a.m.index ?? Number.MAX_SAFE_INTEGER) - (b.m.index ?? Number.MAX_SAFE_INTEGER) || a.i - b.i,
    )
    .map(({ m }) => m);
}

function collectFinishReasons(s: MessageSource): void {
  for (const m of s.output) if (m.finishReason) s.finishReasons.push(m.finishReason);
}
