// The facts of a call that are not messages: token usage, finish reasons, request parameters, streaming,
// models, provider and operation, read from every generation's attribute names (keys.ts).

import type { AttrValue, Attributes } from '../records';
import type { Usage } from '../model';
import { GenAi, OpenInference, Traceloop, UsageKeys } from './keys';
import { asBool, asInt, asString, asStringList, firstPresent, readStructured, toAttrValue } from './values';
import { isPlainObject } from '../objects';

/** Usage from the first key of each list that holds an integer; `totalTokens` only when reported. */
export function readUsage(attrs: Attributes): Usage {
  const u: Usage = {};
  const input = firstInt(attrs, UsageKeys.input);
  if (input !== undefined) u.inputTokens = input;
  const output = firstInt(attrs, UsageKeys.output);
  if (output !== undefined) u.outputTokens = output;
  const total = firstInt(attrs, UsageKeys.total);
  if (total !== undefined) u.totalTokens = total;
  const cached = firstInt(attrs, UsageKeys.cachedInput);
  if (cached !== undefined) u.cachedInputTokens = cached;
  const cacheCreation = firstInt(attrs, UsageKeys.cacheCreationInput);
  if (cacheCreation !== undefined) u.cacheCreationInputTokens = cacheCreation;
  const reasoning = firstInt(attrs, UsageKeys.reasoning);
  if (reasoning !== undefined) u.reasoningTokens = reasoning;
  return u;
}

export function hasUsage(u: Usage): boolean {
  return u.inputTokens !== undefined || u.outputTokens !== undefined || u.totalTokens !== undefined;
}

function firstInt(attrs: Attributes, keys: readonly string[]): number | undefined {
  for (const k of keys) {
    const n = asInt(attrs[k]);
    if (n !== undefined) return n;
  }
  return undefined;
}

/**
 * gen_ai.response.finish_reasons (array, JSON text, or a string: Azure AI Inference joins several with
 * commas), else OpenInference llm.finish_reason.
 */
export function readFinishReasons(attrs: Attributes): string[] {
  const v = firstPresent(attrs, [GenAi.responseFinishReasons, OpenInference.finishReason]);
  if (v === undefined) return [];
  if (typeof v === 'string' && !v.trimStart().startsWith('['))
    return v
      .split(',')
      .map((r) => r.trim())
      .filter((r) => r.length > 0);
  return asStringList(v);
}

/**
 * Request parameters: `gen_ai.request.*` but the model, then OpenLLMetry's own keys, then OpenInference's
 * invocation parameters JSON; the first source to name a parameter wins. Keys lose their prefix
 * (`temperature`, `max_tokens`...).
 */
export function readParameters(attrs: Attributes): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  for (const key in attrs) {
    if (key.startsWith(GenAi.requestPrefix) && key !== GenAi.requestModel) {
      const v = attrs[key];
      if (v !== undefined && v !== null) out[key.slice(GenAi.requestPrefix.length)] = v;
    }
  }
  for (const [key, name] of Object.entries(Traceloop.parameters)) {
    const v = attrs[key];
    if (v !== undefined && v !== null && !(name in out)) out[name] = v;
  }
  const inv = invocationParameters(attrs);
  if (inv) {
    for (const [k, v] of Object.entries(inv)) {
      if (INVOCATION_SKIP.has(k) || v === undefined || k in out) continue;
      out[k] = toAttrValue(v);
    }
  }
  return out;
}

/** Invocation-parameter keys that are not parameters: the model is shown apart, the rest is content. */
const INVOCATION_SKIP = new Set(['model', 'messages', 'tools', 'functions', 'input', 'prompt']);

export function invocationParameters(attrs: Attributes): Record<string, unknown> | undefined {
  const raw = attrs[OpenInference.invocationParameters];
  if (raw === undefined || raw === null) return undefined;
  const s = readStructured(raw);
  return s && isPlainObject(s.value) ? s.value : undefined;
}

/** True/false when the call says whether it streamed; undefined when nothing says. */
export function readStreaming(attrs: Attributes): boolean | undefined {
  const explicit = asBool(attrs[GenAi.requestStream]) ?? asBool(attrs[Traceloop.isStreaming]);
  if (explicit !== undefined) return explicit;
  const inv = invocationParameters(attrs);
  const fromInv = inv ? asBool(inv.stream) : undefined;
  if (fromInv !== undefined) return fromInv;
  // Only streamed responses have a first chunk.
  if (attrs[GenAi.responseTimeToFirstChunk] !== undefined) return true;
  return undefined;
}

export interface ModelFacts {
  provider?: string;
  operation?: string;
  requestModel?: string;
  responseModel?: string;
  responseId?: string;
}

export function readModelFacts(attrs: Attributes): ModelFacts {
  const f: ModelFacts = {};
  const provider = firstString(attrs, [
    GenAi.providerName,
    GenAi.system,
    OpenInference.provider,
    OpenInference.system,
  ]);
  if (provider) f.provider = provider;
  const operation = firstString(attrs, [GenAi.operationName, Traceloop.requestType]);
  if (operation) f.operation = operation;
  // OpenInference's llm.model_name holds the request's model until a response names one: it is the
  // response model only when it differs from the model in the invocation parameters.
  const oiModel = asString(attrs[OpenInference.modelName]);
  const invModel = asString(invocationParameters(attrs)?.model);
  const requestModel =
    firstString(attrs, [GenAi.requestModel, OpenInference.requestModelName]) ?? invModel ?? oiModel;
  if (requestModel) f.requestModel = requestModel;
  const responseModel =
    firstString(attrs, [GenAi.responseModel, OpenInference.responseModelName]) ??
    (oiModel !== undefined && invModel !== undefined && oiModel !== invModel ? oiModel : undefined);
  if (responseModel) f.responseModel = responseModel;
  const responseId = firstString(attrs, [GenAi.responseId]);
  if (responseId) f.responseId = responseId;
  return f;
}

function firstString(attrs: Attributes, keys: readonly string[]): string | undefined {
  for (const k of keys) {
    const s = asString(attrs[k]);
    if (s !== undefined) return s;
  }
  return undefined;
}
