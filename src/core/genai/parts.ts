// Message parts, read from the two shapes content takes in the wild: the typed parts of the current GenAI
// conventions (gen_ai.input.messages: {type: 'text'|'tool_call'|...}) and the provider-style content of
// the events generation, OpenLLMetry and OpenInference (OpenAI chat content: a string, or an array of
// {type: 'text'|'image_url'|...}, plus `tool_calls`). Unknown shapes become `other` parts, never errors.

import type { MessagePart } from '../model';
import { asString, toAttrValue, toText } from './values';
import { isPlainObject } from '../objects';

/** Part types of the GenAI input/output message JSON schemas (semantic-conventions gen-ai-*-messages). */
const PartTypes = {
  text: 'text',
  toolCall: 'tool_call',
  toolCallResponse: 'tool_call_response',
  serverToolCall: 'server_tool_call',
  serverToolCallResponse: 'server_tool_call_response',
  reasoning: 'reasoning',
  /** OpenLLMetry writes Anthropic thinking blocks with this type. */
  thinking: 'thinking',
  blob: 'blob',
  uri: 'uri',
  file: 'file',
} as const;

/** One typed part of gen_ai.input.messages / output.messages / system_instructions. */
function structuredPart(p: unknown): MessagePart {
  if (typeof p === 'string') return { type: 'text', text: p };
  if (!isPlainObject(p)) return { type: 'other', kind: typeof p, value: toAttrValue(p) };
  const type = asString(p.type);
  switch (type) {
    case PartTypes.text:
      return { type: 'text', text: textField(p.content ?? p.text) };
    case PartTypes.reasoning:
    case PartTypes.thinking:
      return { type: 'reasoning', text: textField(p.content ?? p.text ?? p.thinking) };
    case PartTypes.toolCall:
      return withId(
        { type: 'toolCall', name: asString(p.name) ?? '', arguments: argumentsText(p.arguments) },
        p.id,
      );
    case PartTypes.serverToolCall:
      return withId(
        { type: 'toolCall', name: asString(p.name) ?? '', arguments: argumentsText(p.server_tool_call) },
        p.id,
      );
    case PartTypes.toolCallResponse:
      return withId({ type: 'toolResult', result: textField(p.response ?? p.result ?? p.content) }, p.id);
    case PartTypes.serverToolCallResponse:
      return withId({ type: 'toolResult', result: textField(p.server_tool_call_response) }, p.id);
    case PartTypes.blob:
      return media(p, { size: base64Size(p.content) });
    case PartTypes.uri:
      return media(p, uriFields(asString(p.uri)));
    case PartTypes.file:
      return media(p, { fileId: asString(p.file_id) });
    default: {
      // Provider-style parts (image_url, input_audio...) sometimes appear inside the typed form too.
      const provider = providerPart(p);
      if (provider) return provider;
      return { type: 'other', kind: type ?? 'unknown', value: toAttrValue(p) };
    }
  }
}

export function structuredParts(parts: unknown): MessagePart[] {
  if (Array.isArray(parts)) return parts.map(structuredPart);
  if (parts === undefined || parts === null) return [];
  return [structuredPart(parts)];
}

/**
 * Provider-style message content (OpenAI chat `content`): a string, an array of content parts, or an
 * object. An empty string is no part at all.
 */
export function contentParts(content: unknown): MessagePart[] {
  if (content === undefined || content === null) return [];
  if (typeof content === 'string') return content.length ? [{ type: 'text', text: content }] : [];
  if (Array.isArray(content)) {
    const out: MessagePart[] = [];
    for (const item of content) {
      if (typeof item === 'string') out.push({ type: 'text', text: item });
      else if (isPlainObject(item)) out.push(providerPart(item) ?? structuredPart(item));
      else if (item !== null && item !== undefined)
        out.push({ type: 'other', kind: typeof item, value: toAttrValue(item) });
    }
    return out;
  }
  if (isPlainObject(content)) return [providerPart(content) ?? structuredPart(content)];
  return [{ type: 'text', text: toText(content) }];
}

/** OpenAI / Anthropic content parts; undefined when the part is not one of theirs. */
function providerPart(p: Record<string, unknown>): MessagePart | undefined {
  switch (p.type) {
    case 'text':
    case 'input_text':
    case 'output_text':
      if (typeof p.text === 'string') return { type: 'text', text: p.text };
      return undefined;
    case 'refusal':
      return { type: 'text', text: textField(p.refusal) };
    case 'image_url': {
      const img = p.image_url;
      const url = isPlainObject(img) ? asString(img.url) : asString(img);
      return { type: 'media', modality: 'image', ...uriFields(url) };
    }
    case 'input_image':
      return { type: 'media', modality: 'image', ...uriFields(asString(p.image_url)) };
    case 'input_audio': {
      const a = isPlainObject(p.input_audio) ? p.input_audio : {};
      const format = asString(a.format);
      const out: MessagePart = { type: 'media', modality: 'audio', size: base64Size(a.data) };
      if (format) out.mimeType = `audio/${format}`;
      return dropUndefined(out);
    }
    case 'file': {
      const f = isPlainObject(p.file) ? p.file : undefined;
      if (!f) return undefined;
      const part: MessagePart = {
        type: 'media',
        modality: 'file',
        fileId: asString(f.file_id),
        ...uriFields(asString(f.file_data)),
      };
      return dropUndefined(part);
    }
    case 'tool_use':
      // Anthropic content block, as some instrumentations pass it through.
      return withId(
        { type: 'toolCall', name: asString(p.name) ?? '', arguments: argumentsText(p.input) },
        p.id,
      );
    case 'tool_result':
      return withId({ type: 'toolResult', result: textOfContent(p.content) }, p.tool_use_id);
    default:
      return undefined;
  }
}

/** OpenAI `tool_calls`: [{id, type, function: {name, arguments}}], or already-flat {name, arguments}. */
export function toolCallParts(toolCalls: unknown): MessagePart[] {
  if (!Array.isArray(toolCalls)) return isPlainObject(toolCalls) ? toolCallParts([toolCalls]) : [];
  const out: MessagePart[] = [];
  for (const c of toolCalls) {
    if (!isPlainObject(c)) continue;
    const fn = isPlainObject(c.function) ? c.function : c;
    const name = asString(fn.name) ?? '';
    out.push(withId({ type: 'toolCall', name, arguments: argumentsText(fn.arguments) }, c.id));
  }
  return out;
}

/** The plain text of provider-style content (for tool results, which the model keeps as one string). */
export function textOfContent(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    const texts: string[] = [];
    for (const item of content) {
      if (typeof item === 'string') texts.push(item);
      else if (isPlainObject(item) && typeof item.text === 'string') texts.push(item.text);
      else if (isPlainObject(item) && typeof item.content === 'string') texts.push(item.content);
      else return toText(content);
    }
    return texts.join('');
  }
  return toText(content);
}

/** Tool-call arguments as the text the model produced: strings unchanged, objects as JSON. */
export function argumentsText(v: unknown): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'string' ? v : toText(v);
}

function textField(v: unknown): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'string' ? v : textOfContent(v);
}

function withId<T extends MessagePart & { id?: string }>(part: T, id: unknown): T {
  const s = asString(id);
  if (s !== undefined) part.id = s;
  return part;
}

function media(
  p: Record<string, unknown>,
  extra: { size?: number; uri?: string; mimeType?: string; fileId?: string },
): MessagePart {
  const out: MessagePart = { type: 'media' };
  const modality = asString(p.modality);
  if (modality) out.modality = modality;
  const mime = asString(p.mime_type) ?? asString(p.mimeType);
  if (mime) out.mimeType = mime;
  if (extra.mimeType && !out.mimeType) out.mimeType = extra.mimeType;
  if (extra.uri !== undefined) out.uri = extra.uri;
  if (extra.size !== undefined) out.size = extra.size;
  if (extra.fileId !== undefined) out.fileId = extra.fileId;
  return out;
}

/**
 * A data: URI is kept as its MIME type and size only: multi-megabyte base64 images would otherwise be
 * copied into every view state. Other URIs are kept as they are.
 */
function uriFields(uri: string | undefined): { uri?: string; mimeType?: string; size?: number } {
  if (!uri) return {};
  if (!uri.startsWith('data:')) return { uri };
  const comma = uri.indexOf(',');
  const header = uri.slice(5, comma < 0 ? Math.min(uri.length, 200) : comma);
  const mimeType = header.split(';')[0] || undefined;
  const size =
    comma < 0
      ? undefined
      : header.includes(';base64')
        ? base64Size(uri.slice(comma + 1))
        : uri.length - comma - 1;
  return dropUndefined({ mimeType, size });
}

/** Decoded byte length of base64 text, without decoding it. */
function base64Size(v: unknown): number | undefined {
  if (v instanceof Uint8Array) return v.length;
  if (typeof v !== 'string' || v.length === 0) return undefined;
  let len = v.length;
  while (len > 0 && v[len - 1] === '=') len--;
  return Math.floor((len * 3) / 4);
}

function dropUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}
