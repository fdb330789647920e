// What an LLM call cost: a price table (US dollars per million tokens, per model), how a reported model
// name finds its entry, and how a call's usage is split into the kinds of token a provider bills.
//
// Matching. A name is lower-cased and, when it is an Azure OpenAI deployment named in settings, replaced by
// its model. Then only what is known to be no part of the model is taken off, one piece at a time: a
// provider or router prefix (`openai/`, `models/`, Bedrock's `us.anthropic.`), then a date or version
// suffix (`-2024-07-18`, `-20241022`, `@20240620`, `-latest`, `-v2:0`, Gemini's `-001`). The longest
// form with an entry wins, an entry from settings before a shipped one of the same form. Nothing else is
// taken off, so `gpt-4o-mini` never gets `gpt-4o`'s price and a model the table lacks
// (`gpt-4o-audio-preview`, `claude-opus-4-5`) gets no price rather than its family's.
//
// Counting. The GenAI conventions and OpenAI count cached tokens inside the input tokens, and reasoning
// tokens inside the output tokens; most instrumentations sum Anthropic's three disjoint input counts the
// same way. Anthropic's raw `input_tokens` leave the cache out: when the cached tokens exceed the input, or
// the reported total only adds up with them added, the input is taken as uncached. The same test on the
// output side tells a Gemini-style count, whose thoughts are apart from the answer. So no token is billed
// twice.

import type { CallCost, CostKinds, PriceEntryRef, Usage } from './model';
import { isPlainObject, setOwnKey } from './objects';

/**
 * US dollars per million tokens. Cached input and cache writes default to the input price, reasoning to
 * the output price.
 */
export interface ModelPrice {
  input: number;
  output: number;
  /** Input read from the prompt cache. */
  cachedInput?: number;
  /** Input written to the prompt cache (Anthropic's cache creation). */
  cacheWrite?: number;
  /** Reasoning tokens; providers that bill them as output need not set it. */
  reasoning?: number;
}

/** The user's part of the table: overrides and additions, and Azure OpenAI deployments mapped to models. */
export interface PricingSettings {
  models: Record<string, ModelPrice>;
  /** Deployment name -> model id (`my-gpt4o` -> `gpt-4o`). */
  azureDeployments: Record<string, string>;
}

/** When the shipped prices were last checked against the providers' public price pages. */
export const SHIPPED_PRICES_AS_OF = '2025-08-15';

interface ShippedEntry {
  /** The entry's id first, then other spellings of the same model. */
  ids: readonly string[];
  price: ModelPrice;
}

// Public list prices, standard tier, text tokens, for prompts below a provider's long-context tier.
// Azure OpenAI's global deployments bill OpenAI's prices. Open models cost what their host charges, so
// only ids that name the host are here (DeepSeek's own API, Groq's); anything else goes in settings.
export const SHIPPED_PRICES: readonly ShippedEntry[] = [
  // OpenAI (and Azure OpenAI): reasoning tokens are billed as output.
  { ids: ['gpt-5'], price: { input: 1.25, cachedInput: 0.125, output: 10 } },
  { ids: ['gpt-5-mini'], price: { input: 0.25, cachedInput: 0.025, output: 2 } },
  { ids: ['gpt-5-nano'], price: { input: 0.05, cachedInput: 0.005, output: 0.4 } },
  { ids: ['gpt-4.1'], price: { input: 2, cachedInput: 0.5, output: 8 } },
  { ids: ['gpt-4.1-mini'], price: { input: 0.4, cachedInput: 0.1, output: 1.6 } },
  { ids: ['gpt-4.1-nano'], price: { input: 0.1, cachedInput: 0.025, output: 0.4 } },
  { ids: ['gpt-4o'], price: { input: 2.5, cachedInput: 1.25, output: 10 } },
  // The first gpt-4o snapshot kept its launch price.
  { ids: ['gpt-4o-2024-05-13'], price: { input: 5, output: 15 } },
  { ids: ['gpt-4o-mini'], price: { input: 0.15, cachedInput: 0.075, output: 0.6 } },
  { ids: ['o1'], price: { input: 15, cachedInput: 7.5, output: 60 } },
  { ids: ['o1-mini'], price: { input: 1.1, cachedInput: 0.55, output: 4.4 } },
  { ids: ['o3'], price: { input: 2, cachedInput: 0.5, output: 8 } },
  { ids: ['o3-mini'], price: { input: 1.1, cachedInput: 0.55, output: 4.4 } },
  { ids: ['o4-mini'], price: { input: 1.1, cachedInput: 0.275, output: 4.4 } },
  { ids: ['gpt-4-turbo'], price: { input: 10, output: 30 } },
  { ids: ['gpt-4'], price: { input: 30, output: 60 } },
  { ids: ['gpt-3.5-turbo', 'gpt-35-turbo'], price: { input: 0.5, output: 1.5 } },
  { ids: ['text-embedding-3-small'], price: { input: 0.02, output: 0 } },
  { ids: ['text-embedding-3-large'], price: { input: 0.13, output: 0 } },
  { ids: ['text-embedding-ada-002'], price: { input: 0.1, output: 0 } },
  // Anthropic (and Bedrock, Vertex AI): 5-minute cache writes at 1.25x input, cache reads at 0.1x.
  {
    ids: ['claude-opus-4-1', 'claude-opus-4.1'],
    price: { input: 15, cacheWrite: 18.75, cachedInput: 1.5, output: 75 },
  },
  {
    ids: ['claude-opus-4', 'claude-4-opus'],
    price: { input: 15, cacheWrite: 18.75, cachedInput: 1.5, output: 75 },
  },
  {
    ids: ['claude-sonnet-4', 'claude-4-sonnet'],
    price: { input: 3, cacheWrite: 3.75, cachedInput: 0.3, output: 15 },
  },
  {
    ids: ['claude-3-7-sonnet', 'claude-3.7-sonnet'],
    price: { input: 3, cacheWrite: 3.75, cachedInput: 0.3, output: 15 },
  },
  {
    ids: ['claude-3-5-sonnet', 'claude-3.5-sonnet'],
    price: { input: 3, cacheWrite: 3.75, cachedInput: 0.3, output: 15 },
  },
  {
    ids: ['claude-3-5-haiku', 'claude-3.5-haiku'],
    price: { input: 0.8, cacheWrite: 1, cachedInput: 0.08, output: 4 },
  },
  {
    ids: ['claude-3-opus'],
    price: { input: 15, cacheWrite: 18.75, cachedInput: 1.5, output: 75 },
  },
  {
    ids: ['claude-3-haiku'],
    price: { input: 0.25, cacheWrite: 0.3, cachedInput: 0.03, output: 1.25 },
  },
  // Google Gemini API, prompts up to 200k tokens (2.5 Pro) or 128k (1.5): thinking is billed as output.
  { ids: ['gemini-2.5-pro'], price: { input: 1.25, output: 10 } },
  { ids: ['gemini-2.5-flash'], price: { input: 0.3, output: 2.5 } },
  { ids: ['gemini-2.5-flash-lite'], price: { input: 0.1, output: 0.4 } },
  { ids: ['gemini-2.0-flash'], price: { input: 0.1, output: 0.4 } },
  { ids: ['gemini-2.0-flash-lite'], price: { input: 0.075, output: 0.3 } },
  { ids: ['gemini-1.5-pro'], price: { input: 1.25, output: 5 } },
  { ids: ['gemini-1.5-flash'], price: { input: 0.075, output: 0.3 } },
  { ids: ['gemini-1.5-flash-8b'], price: { input: 0.0375, output: 0.15 } },
  // Mistral's own API; its snapshots end in YYMM, which is no date this module takes off.
  { ids: ['mistral-large-2411', 'mistral-large'], price: { input: 2, output: 6 } },
  {
    ids: ['mistral-small-2506', 'mistral-small-2503', 'mistral-small-2501', 'mistral-small'],
    price: { input: 0.1, output: 0.3 },
  },
  { ids: ['codestral-2501', 'codestral'], price: { input: 0.3, output: 0.9 } },
  // DeepSeek's own API: deepseek-chat is V3, deepseek-reasoner is R1 (cache hits at the cached price).
  { ids: ['deepseek-chat'], price: { input: 0.27, cachedInput: 0.07, output: 1.1 } },
  { ids: ['deepseek-reasoner'], price: { input: 0.55, cachedInput: 0.14, output: 2.19 } },
  // Llama on Groq, under Groq's ids.
  { ids: ['llama-3.3-70b-versatile'], price: { input: 0.59, output: 0.79 } },
  { ids: ['llama-3.1-8b-instant'], price: { input: 0.05, output: 0.08 } },
];

interface Found {
  price: ModelPrice;
  /** The price with its defaults filled in, one object per entry for all the calls it prices. */
  rates: CostKinds;
  entry: PriceEntryRef;
}

function found(price: ModelPrice, entry: PriceEntryRef): Found {
  const rates: CostKinds = {
    input: price.input,
    cachedInput: price.cachedInput ?? price.input,
    cacheWrite: price.cacheWrite ?? price.input,
    output: price.output,
    reasoning: price.reasoning ?? price.output,
  };
  return { price, rates, entry };
}

export interface PriceTable {
  /** The entry for a reported model name, or undefined: no price. */
  lookup(model: string): (Found & { model: string }) | undefined;
}

const MAX_KNOWN_MODELS = 1000;

export function createPriceTable(settings?: PricingSettings): PriceTable {
  const shipped = new Map<string, Found>();
  for (const e of SHIPPED_PRICES) {
    const f = found(e.price, { id: e.ids[0]!, source: 'shipped', asOf: SHIPPED_PRICES_AS_OF });
    for (const id of e.ids) shipped.set(id, f);
  }
  const user = new Map<string, Found>();
  for (const [id, price] of Object.entries(settings?.models ?? {}))
    user.set(id.trim().toLowerCase(), found(price, { id, source: 'settings' }));
  const deployments = new Map<string, string>();
  for (const [name, model] of Object.entries(settings?.azureDeployments ?? {}))
    deployments.set(name.trim().toLowerCase(), model.trim().toLowerCase());
  // Every call is priced as it is read, and an app names a handful of models: each name is matched once
  // (a dozen regular expressions) and its answer kept, shared by every call that names it.
  const known = new Map<string, ReturnType<PriceTable['lookup']> | null>();
  const match = (model: string): ReturnType<PriceTable['lookup']> => {
    const lower = model.trim().toLowerCase();
    // The reported string itself when nothing changed it: every stored call keeps this name.
    const name = mapDeployment(lower === model ? model : lower, deployments);
    for (const form of modelForms(name)) {
      const hit = user.get(form) ?? shipped.get(form);
      if (hit) return { ...hit, model: name };
    }
    return undefined;
  };
  return {
    lookup(model) {
      const hit = known.get(model);
      if (hit !== undefined) return hit ?? undefined;
      const answer = match(model);
      if (known.size >= MAX_KNOWN_MODELS) known.clear();
      known.set(model, answer ?? null);
      return answer;
    },
  };
}

/** A deployment named as reported, or after a router's prefix (`azure/my-gpt4o`), is its model. */
function mapDeployment(name: string, deployments: ReadonlyMap<string, string>): string {
  const direct = deployments.get(name);
  if (direct !== undefined) return direct;
  const slash = name.lastIndexOf('/');
  return (slash >= 0 ? deployments.get(name.slice(slash + 1)) : undefined) ?? name;
}

const BEDROCK_REGION = /^(?:us|eu|apac|us-gov|ca|jp|au|global)\./;
const VENDOR_PREFIX = /^(?:anthropic|meta|mistral|amazon|cohere|ai21|deepseek|openai|google|qwen)\./;
/** Suffixes that name a snapshot or a version of a model, never another model; tried in this order. */
const SUFFIXES = [
  /:\d+$/, // Bedrock's `:0`
  /-v\d+$/, // Bedrock's `-v1`, Vertex's `claude-3-5-sonnet-v2`
  /@(?:\d{8}|latest|default)$/, // Vertex AI's `@20240620`
  /-latest$/,
  /-\d{4}-\d{2}-\d{2}$/, // OpenAI's `-2024-07-18`
  /-\d{8}$/, // Anthropic's `-20241022`
  /-00\d$/, // Gemini's `-001`, `-002`
];

/** The forms of a name to look up, longest first: as given, without prefixes, then without suffixes. */
export function modelForms(name: string): string[] {
  const forms = [name];
  let s = name;
  const slash = s.lastIndexOf('/');
  if (slash >= 0) s = s.slice(slash + 1);
  s = s.replace(BEDROCK_REGION, '').replace(VENDOR_PREFIX, '');
  if (s !== name) forms.push(s);
  for (let changed = true; changed;) {
    changed = false;
    for (const suffix of SUFFIXES) {
      const next = s.replace(suffix, '');
      if (next !== s && next !== '') {
        s = next;
        forms.push(s);
        changed = true;
      }
    }
  }
  return forms;
}

/**
 * The tokens a call is billed for, by kind, or undefined when it reported neither input nor output (a total
 * alone cannot be split). See the module's comment for when cached and reasoning tokens are inside the
 * input and output counts.
 */
export function billedTokens(u: Usage): CostKinds | undefined {
  if (u.inputTokens === undefined && u.outputTokens === undefined) return undefined;
  const input = u.inputTokens ?? 0;
  const output = u.outputTokens ?? 0;
  const read = u.cachedInputTokens ?? 0;
  const write = u.cacheCreationInputTokens ?? 0;
  const reasoning = u.reasoningTokens ?? 0;
  const cache = read + write;
  const total = u.totalTokens;
  const sums = (...parts: number[]): boolean =>
    total !== undefined && total === parts.reduce((a, b) => a + b);
  const cacheApart =
    cache > input || (cache > 0 && (sums(input, cache, output) || sums(input, cache, output, reasoning)));
  const reasoningApart =
    reasoning > output ||
    (reasoning > 0 && (sums(input, output, reasoning) || sums(input, cache, output, reasoning)));
  return {
    input: cacheApart ? input : input - cache,
    cachedInput: read,
    cacheWrite: write,
    output: reasoningApart ? output : output - reasoning,
    reasoning,
  };
}

/**
 * A call's cost from the first of its model names (the response's, then the request's) with an entry;
 * undefined when it reported no tokens to bill.
 */
export function priceCall(table: PriceTable, usage: Usage, models: readonly string[]): CallCost | undefined {
  const tokens = billedTokens(usage);
  if (!tokens) return undefined;
  const looked: string[] = [];
  for (const model of models) {
    const found = table.lookup(model);
    if (!found) {
      if (!looked.includes(model)) looked.push(model);
      continue;
    }
    const r = found.rates;
    const usd =
      (tokens.input * r.input +
        tokens.cachedInput * r.cachedInput +
        tokens.cacheWrite * r.cacheWrite +
        tokens.output * r.output +
        tokens.reasoning * r.reasoning) /
      1e6;
    return { priced: true, usd, rates: r, model: found.model, entry: found.entry };
  }
  return { priced: false, models: looked };
}

/** A priced call's tokens and US dollars per kind, from its usage and the rates that priced it. */
export function costByKind(
  cost: Extract<CallCost, { priced: true }>,
  usage: Usage,
): { tokens: CostKinds; usd: CostKinds } {
  const tokens = billedTokens(usage) ?? { input: 0, cachedInput: 0, cacheWrite: 0, output: 0, reasoning: 0 };
  const r = cost.rates;
  return {
    tokens,
    usd: {
      input: (tokens.input * r.input) / 1e6,
      cachedInput: (tokens.cachedInput * r.cachedInput) / 1e6,
      cacheWrite: (tokens.cacheWrite * r.cacheWrite) / 1e6,
      output: (tokens.output * r.output) / 1e6,
      reasoning: (tokens.reasoning * r.reasoning) / 1e6,
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Settings

const PRICE_FIELDS = ['input', 'output', 'cachedInput', 'cacheWrite', 'reasoning'] as const;
/** No model costs this much per million tokens: a larger figure is a typo (per token, per thousand). */
const MAX_PRICE = 100_000;

/**
 * The user's price entries and deployments, validated: an entry that is not an object of prices (input
 * and output required, every price a number from 0 to 100,000) is skipped and said why, never thrown.
 */
export function readPricingSettings(
  models: unknown,
  deployments: unknown,
): { settings: PricingSettings; problems: string[] } {
  const problems: string[] = [];
  const settings: PricingSettings = { models: {}, azureDeployments: {} };
  if (isPlainObject(models)) {
    for (const [id, raw] of Object.entries(models)) {
      const price = readPrice(id, raw, problems);
      if (price) setOwnKey(settings.models, id.trim(), price);
    }
  } else if (models !== undefined && models !== null) {
    problems.push('pricing.models is not an object of model id -> prices: ignored');
  }
  if (isPlainObject(deployments)) {
    for (const [name, model] of Object.entries(deployments)) {
      if (name.trim() === '' || typeof model !== 'string' || model.trim() === '')
        problems.push(`pricing.azureDeployments["${name}"]: the model must be a model id: skipped`);
      else setOwnKey(settings.azureDeployments, name.trim(), model.trim());
    }
  } else if (deployments !== undefined && deployments !== null) {
    problems.push('pricing.azureDeployments is not an object of deployment -> model id: ignored');
  }
  return { settings, problems };
}

function readPrice(id: string, raw: unknown, problems: string[]): ModelPrice | undefined {
  const where = `pricing.models["${id}"]`;
  if (id.trim() === '') {
    problems.push(`${where}: an empty model id: skipped`);
    return undefined;
  }
  if (!isPlainObject(raw)) {
    problems.push(`${where}: not an object with input and output prices: skipped`);
    return undefined;
  }
  const price: Partial<ModelPrice> = {};
  for (const field of PRICE_FIELDS) {
    const v = raw[field];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > MAX_PRICE) {
      problems.push(`${where}.${field}: ${JSON.stringify(v)} is no price per million tokens: entry skipped`);
      return undefined;
    }
    price[field] = v;
  }
  if (price.input === undefined || price.output === undefined) {
    problems.push(`${where}: input and output prices are both required: skipped`);
    return undefined;
  }
  return price as ModelPrice;
}
