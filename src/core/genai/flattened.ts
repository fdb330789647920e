// The flattened dialects, where one message is spread over many attributes:
// OpenLLMetry  gen_ai.prompt.N.role / .content / .tool_calls.M.{id,name,arguments} / .tool_call_id,
//              gen_ai.completion.N.* (+ finish_reason), llm.request.functions.N.* (tool definitions);
// OpenInference llm.input_messages.N.message.{role,content,contents.M.message_content.*,
// tool_calls.M.tool_call.*},
//              llm.output_messages.N.message.*, llm.tools.N.tool.json_schema.
// Keys are grouped into small trees in one pass over the span's attributes, so a span with thousands of
// attributes costs one scan, not one scan per message.

import type { AttrValue, Attributes, Truncation } from '../records';
import type { Message, MessagePart, ToolDefinition } from '../model';
import { GenAi, OpenInference, Traceloop } from './keys';
import { emptySource, msg, normRole, type Cuts, type MessageSource } from './genaiMessages';
import { argumentsText, contentParts, textOfContent } from './parts';
import { asString, readStructured, toText } from './values';
import { isPlainObject } from '../objects';

/** One level of a dotted key tree; a node may hold a value and children both (colliding keys). */
export interface KeyNode {
  value?: AttrValue;
  children?: Map<string, KeyNode>;
}

const PREFIXES = [
  Traceloop.promptPrefix,
  Traceloop.completionPrefix,
  Traceloop.functionsPrefix,
  OpenInference.inputMessagesPrefix,
  OpenInference.outputMessagesPrefix,
  OpenInference.toolsPrefix,
] as const;

export type FlattenedGroups = Partial<Record<(typeof PREFIXES)[number], KeyNode>>;

/**
 * A cheap first test of a key: the prefixes' first letters and eighth characters. Almost every key of a
 * span fails it (`gen_ai.request.model`, `traceloop.span.kind`) without being compared with each prefix.
 */
const FIRST = new Uint8Array(128);
const EIGHTH = new Uint8Array(128);
for (const prefix of PREFIXES) {
  FIRST[prefix.charCodeAt(0)] = 1;
  EIGHTH[prefix.charCodeAt(7)] = 1;
}

/** The prefix a flattened key starts with, the first in PREFIXES; undefined for every other key. */
function flattenedPrefix(key: string): (typeof PREFIXES)[number] | undefined {
  // A character past the end or beyond ASCII reads as NaN or a big number, which no table entry holds.
  if (FIRST[key.charCodeAt(0)] !== 1 || EIGHTH[key.charCodeAt(7)] !== 1) return undefined;
  for (const prefix of PREFIXES) if (key.length > prefix.length && key.startsWith(prefix)) return prefix;
  return undefined;
}

/** Whether `groupFlattened(attrs)` would have a group for any of `prefixes`, without building any. */
export function hasFlattened(attrs: Attributes, prefixes: readonly (typeof PREFIXES)[number][]): boolean {
  for (const key in attrs) {
    const prefix = flattenedPrefix(key);
    if (prefix !== undefined && prefixes.includes(prefix)) return true;
  }
  return false;
}

/** Splits the flattened keys of `attrs` by prefix into trees; one pass over the keys. */
export function groupFlattened(attrs: Attributes): FlattenedGroups {
  const groups: FlattenedGroups = {};
  for (const key in attrs) {
    const prefix = flattenedPrefix(key);
    if (prefix === undefined) continue;
    const root = (groups[prefix] ??= {});
    insert(root, key.slice(prefix.length).split('.'), attrs[key] as AttrValue);
  }
  return groups;
}

function insert(root: KeyNode, path: string[], value: AttrValue): void {
  let node = root;
  for (const seg of path) {
    node.children ??= new Map();
    let next = node.children.get(seg);
    if (!next) node.children.set(seg, (next = {}));
    node = next;
  }
  node.value = value;
}

function child(node: KeyNode | undefined, path: string): KeyNode | undefined {
  let n = node;
  for (const seg of path.split('.')) {
    n = n?.children?.get(seg);
    if (!n) return undefined;
  }
  return n;
}

function val(node: KeyNode | undefined, path: string): AttrValue | undefined {
  return child(node, path)?.value;
}

function leafString(node: KeyNode | undefined, path: string): string | undefined {
  return asString(val(node, path));
}

/** Children with numeric keys, in numeric order. */
function indexed(node: KeyNode | undefined): { index: number; node: KeyNode }[] {
  if (!node?.children) return [];
  const out: { index: number; node: KeyNode }[] = [];
  for (const [k, n] of node.children) if (/^\d+$/.test(k)) out.push({ index: Number(k), node: n });
  return out.sort((a, b) => a.index - b.index);
}

/**
 * The message indexes under `prefix` (`llm.input_messages.`) that have a value the source saw cut, with
 * where: any cut leaf (content, a content part, tool-call arguments) cuts the message it belongs to.
 */
function cutIndexes(cuts: Cuts | undefined, prefix: string): Map<number, Truncation> {
  const out = new Map<number, Truncation>();
  if (!cuts) return out;
  for (const key in cuts) {
    if (!key.startsWith(prefix)) continue;
    const m = /^(\d+)\./.exec(key.slice(prefix.length));
    if (m) out.set(Number(m[1]), cuts[key]!);
  }
  return out;
}

/** A flattened message is text as it arrived: a cut the source saw cannot be checked, so it is taken. */
function markCut(m: Message, cut: Truncation | undefined): void {
  if (!cut) return;
  m.truncated = true;
  m.truncatedAt = cut;
}

// ---------------------------------------------------------------------------------------------------
// OpenLLMetry

export function openLlmetrySource(groups: FlattenedGroups, cuts?: Cuts): MessageSource {
  const out = emptySource();
  const promptName = `${GenAi.prompt}.N`;
  const promptCuts = cutIndexes(cuts, Traceloop.promptPrefix);
  for (const { index, node } of indexed(groups[Traceloop.promptPrefix])) {
    const m = openLlmetryMessage(node, 'input', promptName);
    if (m) {
      markCut(m, promptCuts.get(index));
      out.input.push(m);
    }
  }
  const completionName = `${GenAi.completion}.N`;
  const completionCuts = cutIndexes(cuts, Traceloop.completionPrefix);
  for (const { index, node } of indexed(groups[Traceloop.completionPrefix])) {
    const m = openLlmetryMessage(node, 'output', completionName);
    const finish = leafString(node, 'finish_reason');
    if (finish) out.finishReasons.push(finish);
    if (!m) continue;
    markCut(m, completionCuts.get(index));
    m.index = index;
    if (finish) m.finishReason = finish;
    out.output.push(m);
  }
  return out;
}

function openLlmetryMessage(
  node: KeyNode,
  direction: Message['direction'],
  originName: string,
): Message | undefined {
  const role = normRole(val(node, 'role')) ?? (direction === 'input' ? 'user' : 'assistant');
  let content = val(node, 'content');
  // Older OpenLLMetry (0.22) wrote JSON.stringify(null) for an assistant turn that only called tools
  // (and dropped the calls themselves): the text "null" is that artifact, not something anyone said.
  if (content === 'null') content = undefined;
  const parts: MessagePart[] = [];
  if (role === 'tool') {
    const id = leafString(node, 'tool_call_id');
    if (content !== undefined || id !== undefined) {
      const part: MessagePart = {
        type: 'toolResult',
        result: content === undefined || content === null ? '' : textOfContent(content),
      };
      if (id !== undefined) part.id = id;
      parts.push(part);
    }
  } else {
    parts.push(...flattenedContent(content));
    for (const { node: call } of indexed(child(node, 'tool_calls'))) {
      parts.push(toolCall(leafString(call, 'id'), leafString(call, 'name'), val(call, 'arguments')));
    }
    const fn = child(node, 'function_call');
    if (fn) parts.push(toolCall(undefined, leafString(fn, 'name'), val(fn, 'arguments')));
  }
  if (parts.length === 0) return undefined;
  return msg(role, direction, parts, { origin: 'flattenedAttribute', originName });
}

/**
 * OpenLLMetry writes array content (multimodal, or provider content blocks) as JSON text. It is read as
 * parts only when every element looks like a content part, so a user who typed "[1, 2]" still sees text.
 */
function flattenedContent(content: AttrValue | undefined): MessagePart[] {
  if (typeof content === 'string') {
    const t = content.trimStart();
    if (t.startsWith('[')) {
      const s = readStructured(t);
      if (
        s?.complete &&
        Array.isArray(s.value) &&
        s.value.length > 0 &&
        s.value.every((p) => isPlainObject(p) && typeof p.type === 'string')
      ) {
        return contentParts(s.value);
      }
    }
    return content.length ? [{ type: 'text', text: content }] : [];
  }
  return contentParts(content);
}

function toolCall(id: string | undefined, name: string | undefined, args: unknown): MessagePart {
  const part: MessagePart = { type: 'toolCall', name: name ?? '', arguments: argumentsText(args) };
  if (id !== undefined) part.id = id;
  return part;
}

// ---------------------------------------------------------------------------------------------------
// OpenInference

export function openInferenceSource(groups: FlattenedGroups, cuts?: Cuts): MessageSource {
  const out = emptySource();
  const inputName = `${OpenInference.inputMessagesPrefix}N`;
  const inputCuts = cutIndexes(cuts, OpenInference.inputMessagesPrefix);
  for (const { index, node } of indexed(groups[OpenInference.inputMessagesPrefix])) {
    const m = openInferenceMessage(child(node, 'message'), 'input', inputName);
    if (m) {
      markCut(m, inputCuts.get(index));
      out.input.push(m);
    }
  }
  const outputName = `${OpenInference.outputMessagesPrefix}N`;
  const outputCuts = cutIndexes(cuts, OpenInference.outputMessagesPrefix);
  for (const { index, node } of indexed(groups[OpenInference.outputMessagesPrefix])) {
    const m = openInferenceMessage(child(node, 'message'), 'output', outputName);
    if (!m) continue;
    markCut(m, outputCuts.get(index));
    m.index = index;
    out.output.push(m);
  }
  return out;
}

function openInferenceMessage(
  node: KeyNode | undefined,
  direction: Message['direction'],
  originName: string,
): Message | undefined {
  if (!node) return undefined;
  const role = normRole(val(node, 'role')) ?? (direction === 'input' ? 'user' : 'assistant');
  const parts: MessagePart[] = [];
  const content = val(node, 'content');
  if (role === 'tool') {
    const id = leafString(node, 'tool_call_id');
    const text =
      content !== undefined && content !== null
        ? textOfContent(content)
        : contentsText(child(node, 'contents'));
    if (text !== undefined || id !== undefined) {
      const part: MessagePart = { type: 'toolResult', result: text ?? '' };
      if (id !== undefined) part.id = id;
      const name = leafString(node, 'name');
      if (name !== undefined) part.name = name;
      parts.push(part);
    }
  } else {
    if (content !== undefined && content !== null) parts.push(...contentParts(content));
    for (const { node: c } of indexed(child(node, 'contents'))) {
      const part = openInferenceContent(child(c, 'message_content'));
      if (part) parts.push(part);
    }
    for (const { node: c } of indexed(child(node, 'tool_calls'))) {
      const call = child(c, 'tool_call');
      parts.push(
        toolCall(leafString(call, 'id'), leafString(call, 'function.name'), val(call, 'function.arguments')),
      );
    }
    const fnName = leafString(node, 'function_call_name');
    if (fnName) parts.push(toolCall(undefined, fnName, val(node, 'function_call_arguments_json')));
  }
  if (parts.length === 0) return undefined;
  const m = msg(role, direction, parts, { origin: 'flattenedAttribute', originName });
  const name = leafString(node, 'name');
  if (name && role !== 'tool') m.name = name;
  return m;
}

function contentsText(contents: KeyNode | undefined): string | undefined {
  const texts = indexed(contents)
    .map(({ node }) => leafString(node, 'message_content.text'))
    .filter((t): t is string => t !== undefined);
  return texts.length ? texts.join('') : undefined;
}

function openInferenceContent(node: KeyNode | undefined): MessagePart | undefined {
  if (!node) return undefined;
  const type = leafString(node, 'type') ?? 'text';
  const text = val(node, 'text');
  switch (type) {
    case 'text':
      return { type: 'text', text: text === undefined || text === null ? '' : toText(text) };
    case 'reasoning':
      return { type: 'reasoning', text: text === undefined || text === null ? '' : toText(text) };
    case 'image': {
      const url = leafString(node, 'image.image.url');
      return contentParts([{ type: 'image_url', image_url: { url } }])[0];
    }
    case 'audio': {
      const part: MessagePart = { type: 'media', modality: 'audio' };
      const url = leafString(node, 'audio.audio.url');
      const mime = leafString(node, 'audio.audio.mime_type');
      if (url && !url.startsWith('data:')) part.uri = url;
      if (mime) part.mimeType = mime;
      return part;
    }
    default: {
      const value: Record<string, AttrValue> = {};
      for (const [k, n] of node.children ?? []) if (n.value !== undefined) value[k] = n.value;
      return { type: 'other', kind: type, value };
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Tool definitions

/**
 * gen_ai.tool.definitions, then OpenLLMetry llm.request.functions.N.*, then OpenInference
 * llm.tools.N.tool.*.
 */
export function toolDefinitions(attrs: Attributes, groups: FlattenedGroups): ToolDefinition[] {
  const semconv = attrs[GenAi.toolDefinitions];
  if (semconv !== undefined && semconv !== null) {
    const s = readStructured(semconv);
    if (s && Array.isArray(s.value)) {
      const defs = s.value.map(definitionFrom).filter((d): d is ToolDefinition => d !== undefined);
      if (defs.length) return defs;
    }
  }
  const fromFunctions = indexed(groups[Traceloop.functionsPrefix])
    // 0.22 wrote the parameters schema under `arguments`.
    .map(({ node }) =>
      definition(
        leafString(node, 'name'),
        leafString(node, 'description'),
        val(node, 'parameters') ?? val(node, 'arguments'),
      ),
    )
    .filter((d): d is ToolDefinition => d !== undefined);
  if (fromFunctions.length) return fromFunctions;
  return indexed(groups[OpenInference.toolsPrefix])
    .map(({ node }) => {
      const schema = val(node, 'tool.json_schema');
      if (schema !== undefined) {
        const s = readStructured(schema);
        const d = s ? definitionFrom(s.value) : undefined;
        if (d) return d;
      }
      return definition(
        leafString(node, 'tool.name'),
        leafString(node, 'tool.description'),
        val(node, 'tool.parameters'),
      );
    })
    .filter((d): d is ToolDefinition => d !== undefined);
}

/** A definition in either the convention's flat shape or OpenAI's {type, function: {...}} shape. */
function definitionFrom(v: unknown): ToolDefinition | undefined {
  if (!isPlainObject(v)) return undefined;
  const fn = isPlainObject(v.function) ? v.function : v;
  return definition(asString(fn.name), asString(fn.description), fn.parameters ?? fn.input_schema);
}

function definition(
  name: string | undefined,
  description: string | undefined,
  parameters: unknown,
): ToolDefinition | undefined {
  if (!name) return undefined;
  const d: ToolDefinition = { name };
  if (description) d.description = description;
  if (parameters !== undefined && parameters !== null) d.parameters = toText(parameters);
  return d;
}
