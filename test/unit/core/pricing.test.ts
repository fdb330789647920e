// The price table: how reported model names find their entry, how a call's usage is split into the kinds
// of token a provider bills (no token billed twice), and how the user's price settings are validated.
// Expected figures are worked out here from the published per-million prices, not read back.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  SHIPPED_PRICES_AS_OF,
  billedTokens,
  costByKind,
  createPriceTable,
  modelForms,
  priceCall,
  readPricingSettings,
} from '../../../src/core/pricing';
import { formatCost, formatUsd } from '../../../src/core/format';

const shipped = createPriceTable();

function entryOf(model: string, table = shipped): string | undefined {
  return table.lookup(model)?.entry.id;
}

/** Dollars to compare at a precision far below a cent's millionth. */
function close(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) < 1e-12, `${what}: ${actual} != ${expected}`);
}

describe('price table matching', () => {
  it('finds an entry by its exact id, case-insensitively', () => {
    assert.equal(entryOf('gpt-4o-mini'), 'gpt-4o-mini');
    assert.equal(entryOf('GPT-4o-Mini'), 'gpt-4o-mini');
    assert.equal(entryOf('claude-sonnet-4'), 'claude-sonnet-4');
  });

  it('takes dated snapshots and version suffixes off', () => {
    assert.equal(entryOf('gpt-4o-mini-2024-07-18'), 'gpt-4o-mini');
    assert.equal(entryOf('gpt-4.1-mini-2025-04-14'), 'gpt-4.1-mini');
    assert.equal(entryOf('o4-mini-2025-04-16'), 'o4-mini');
    assert.equal(entryOf('claude-3-5-sonnet-20241022'), 'claude-3-5-sonnet');
    assert.equal(entryOf('claude-3-5-sonnet-latest'), 'claude-3-5-sonnet');
    assert.equal(entryOf('claude-3-5-sonnet@20240620'), 'claude-3-5-sonnet');
    assert.equal(entryOf('claude-3-5-sonnet-v2@20241022'), 'claude-3-5-sonnet');
    assert.equal(entryOf('gemini-1.5-pro-002'), 'gemini-1.5-pro');
  });

  it('takes provider and router prefixes off, Bedrock ids included', () => {
    assert.equal(entryOf('openai/gpt-4o'), 'gpt-4o');
    assert.equal(entryOf('azure/gpt-4o-mini'), 'gpt-4o-mini');
    assert.equal(entryOf('models/gemini-2.0-flash'), 'gemini-2.0-flash');
    assert.equal(entryOf('us.anthropic.claude-3-5-sonnet-20241022-v2:0'), 'claude-3-5-sonnet');
    assert.equal(entryOf('anthropic.claude-3-haiku-20240307-v1:0'), 'claude-3-haiku');
    assert.equal(entryOf('eu.anthropic.claude-sonnet-4-20250514-v1:0'), 'claude-sonnet-4');
    assert.equal(entryOf('anthropic/claude-3.5-sonnet'), 'claude-3-5-sonnet');
  });

  it('gives the longest entry that matches: a mini model never gets its family’s price', () => {
    assert.equal(entryOf('gpt-4o-mini-2024-07-18'), 'gpt-4o-mini');
    assert.equal(entryOf('gpt-4.1-nano'), 'gpt-4.1-nano');
    assert.equal(entryOf('gemini-2.5-flash-lite'), 'gemini-2.5-flash-lite');
    // A snapshot with a price of its own keeps it; the later ones take the family's.
    assert.equal(entryOf('gpt-4o-2024-05-13'), 'gpt-4o-2024-05-13');
    assert.equal(entryOf('gpt-4o-2024-08-06'), 'gpt-4o');
    assert.deepEqual(modelForms('us.anthropic.claude-3-haiku-20240307-v1:0'), [
      'us.anthropic.claude-3-haiku-20240307-v1:0',
      'claude-3-haiku-20240307-v1:0',
      'claude-3-haiku-20240307-v1',
      'claude-3-haiku-20240307',
      'claude-3-haiku',
    ]);
  });

  it('gives no price, never a guess, for a model the table lacks', () => {
    for (const model of [
      'gpt-4o-audio-preview',
      'claude-opus-4-5-20251101',
      'gemini-2.5-flash-preview-04-17',
      'my-finetune',
      'llama-3.1-70b',
      '',
    ])
      assert.equal(shipped.lookup(model), undefined, model);
    const cost = priceCall(shipped, { inputTokens: 10, outputTokens: 5 }, ['my-finetune', 'other']);
    assert.deepEqual(cost, { priced: false, models: ['my-finetune', 'other'] });
    assert.deepEqual(priceCall(shipped, { inputTokens: 10 }, []), { priced: false, models: [] });
  });

  it('maps an Azure OpenAI deployment to its model before anything else', () => {
    const table = createPriceTable({ models: {}, azureDeployments: { 'Prod-Chat': 'gpt-4o-mini' } });
    assert.equal(entryOf('prod-chat', table), 'gpt-4o-mini');
    assert.equal(entryOf('azure/prod-chat', table), 'gpt-4o-mini');
    assert.equal(entryOf('prod-chat'), undefined, 'without the mapping a deployment has no price');
    // The response's model is tried first; the deployment (the request's model) when it has none.
    const cost = priceCall(table, { inputTokens: 1_000_000, outputTokens: 0 }, [
      'unknown-model',
      'prod-chat',
    ]);
    assert.ok(cost?.priced);
    assert.equal(cost.model, 'gpt-4o-mini');
    close(cost.usd, 0.15, 'a million input tokens of gpt-4o-mini');
  });

  it('lets settings override a shipped price and add models, and says where each price came from', () => {
    const table = createPriceTable({
      models: { 'gpt-4o-mini': { input: 0.1, output: 0.2 }, 'my-finetune': { input: 1, output: 2 } },
      azureDeployments: {},
    });
    const override = table.lookup('gpt-4o-mini-2024-07-18');
    assert.deepEqual(override?.entry, { id: 'gpt-4o-mini', source: 'settings' });
    assert.equal(override?.price.input, 0.1);
    assert.deepEqual(table.lookup('My-Finetune')?.entry, { id: 'my-finetune', source: 'settings' });
    assert.deepEqual(table.lookup('gpt-4o')?.entry, {
      id: 'gpt-4o',
      source: 'shipped',
      asOf: SHIPPED_PRICES_AS_OF,
    });
    assert.match(SHIPPED_PRICES_AS_OF, /^\d{4}-\d{2}-\d{2}$/);
  });
});

describe('cost arithmetic', () => {
  it('bills input and output at their prices', () => {
    const cost = priceCall(shipped, { inputTokens: 71, outputTokens: 55 }, ['gpt-4o-mini-2024-07-18']);
    assert.ok(cost?.priced);
    close(cost.usd, (71 * 0.15 + 55 * 0.6) / 1e6, 'gpt-4o-mini');
    assert.deepEqual(costByKind(cost, { inputTokens: 71, outputTokens: 55 }).tokens, {
      input: 71,
      cachedInput: 0,
      cacheWrite: 0,
      output: 55,
      reasoning: 0,
    });
    assert.deepEqual(cost.rates, {
      input: 0.15,
      cachedInput: 0.075,
      cacheWrite: 0.15,
      output: 0.6,
      reasoning: 0.6,
    });
    // One rates object per entry, whatever the number of calls it prices.
    const again = priceCall(shipped, { inputTokens: 1, outputTokens: 1 }, ['gpt-4o-mini']);
    assert.ok(again?.priced);
    assert.equal(again.rates, cost.rates);
    assert.deepEqual(cost.entry, { id: 'gpt-4o-mini', source: 'shipped', asOf: SHIPPED_PRICES_AS_OF });
  });

  it('takes cached tokens out of an OpenAI-style input count and reasoning out of its output', () => {
    // OpenAI: prompt_tokens include the cached ones, completion_tokens the reasoning ones.
    const usage = {
      inputTokens: 76,
      outputTokens: 156,
      totalTokens: 232,
      cachedInputTokens: 41,
      reasoningTokens: 104,
    };
    assert.deepEqual(billedTokens(usage), {
      input: 35,
      cachedInput: 41,
      cacheWrite: 0,
      output: 52,
      reasoning: 104,
    });
    const cost = priceCall(shipped, usage, ['o4-mini-2025-04-16']);
    assert.ok(cost?.priced);
    const byKind = costByKind(cost, usage).usd;
    close(byKind.input, (35 * 1.1) / 1e6, 'input');
    close(byKind.cachedInput, (41 * 0.275) / 1e6, 'cached');
    close(byKind.output, (52 * 4.4) / 1e6, 'output');
    close(byKind.reasoning, (104 * 4.4) / 1e6, 'reasoning at the output price');
    close(
      byKind.input + byKind.cachedInput + byKind.output + byKind.reasoning,
      cost.usd,
      'the kinds sum to the cost',
    );
    close(cost.usd, (35 * 1.1 + 41 * 0.275 + 156 * 4.4) / 1e6, 'sum');
  });

  it('leaves an Anthropic-style input count alone when the cache is plainly outside it', () => {
    // Anthropic's raw input_tokens exclude cache reads and writes: here the reads alone exceed it.
    const raw = {
      inputTokens: 20,
      outputTokens: 100,
      cachedInputTokens: 4000,
      cacheCreationInputTokens: 500,
    };
    assert.deepEqual(billedTokens(raw), {
      input: 20,
      cachedInput: 4000,
      cacheWrite: 500,
      output: 100,
      reasoning: 0,
    });
    const cost = priceCall(shipped, raw, ['claude-3-5-sonnet-20241022']);
    assert.ok(cost?.priced);
    close(cost.usd, (20 * 3 + 4000 * 0.3 + 500 * 3.75 + 100 * 15) / 1e6, 'claude-3-5-sonnet');
    // A total that only adds up with the cache added says the same.
    assert.equal(
      billedTokens({ inputTokens: 600, outputTokens: 10, cachedInputTokens: 300, totalTokens: 910 })?.input,
      600,
    );
    // The conventions' count (every input token, cache included) is split once.
    const summed = {
      inputTokens: 4520,
      outputTokens: 100,
      cachedInputTokens: 4000,
      cacheCreationInputTokens: 500,
    };
    assert.equal(billedTokens(summed)?.input, 20);
    const split = priceCall(shipped, summed, ['claude-3-5-sonnet']);
    assert.ok(split?.priced);
    close(split.usd, (20 * 3 + 4000 * 0.3 + 500 * 3.75 + 100 * 15) / 1e6, 'the same cost either way');
  });

  it('adds thoughts reported beside the answer (Gemini-style) without taking them from it', () => {
    const usage = { inputTokens: 10, outputTokens: 40, reasoningTokens: 200, totalTokens: 250 };
    assert.deepEqual(billedTokens(usage), {
      input: 10,
      cachedInput: 0,
      cacheWrite: 0,
      output: 40,
      reasoning: 200,
    });
    const cost = priceCall(shipped, usage, ['gemini-2.5-flash']);
    assert.ok(cost?.priced);
    close(cost.usd, (10 * 0.3 + 240 * 2.5) / 1e6, 'thinking at the output price');
  });

  it('uses the entry’s own cached, cache-write and reasoning prices, else input and output', () => {
    const table = createPriceTable({
      models: {
        full: { input: 1, output: 2, cachedInput: 0.5, cacheWrite: 1.5, reasoning: 3 },
        plain: { input: 1, output: 2 },
      },
      azureDeployments: {},
    });
    const usage = {
      inputTokens: 1000,
      cachedInputTokens: 200,
      cacheCreationInputTokens: 100,
      outputTokens: 500,
      reasoningTokens: 300,
    };
    const full = priceCall(table, usage, ['full']);
    const plain = priceCall(table, usage, ['plain']);
    assert.ok(full?.priced && plain?.priced);
    close(full.usd, (700 * 1 + 200 * 0.5 + 100 * 1.5 + 200 * 2 + 300 * 3) / 1e6, 'full');
    close(plain.usd, (1000 * 1 + 500 * 2) / 1e6, 'plain: every token at input or output');
  });

  it('prices nothing for a call without input or output tokens', () => {
    assert.equal(priceCall(shipped, {}, ['gpt-4o']), undefined);
    assert.equal(priceCall(shipped, { totalTokens: 10 }, ['gpt-4o']), undefined);
    const embedding = priceCall(shipped, { inputTokens: 1_000_000 }, ['text-embedding-3-small']);
    assert.ok(embedding?.priced);
    close(embedding.usd, 0.02, 'embedding input');
  });

  it('formats small and large amounts', () => {
    assert.equal(formatUsd(0.00042), '$0.00042');
    assert.equal(formatUsd(0.0012), '$0.0012');
    assert.equal(formatUsd(0.099999), '$0.10');
    assert.equal(formatUsd(1.234), '$1.23');
    assert.equal(formatUsd(1234.5), '$1,234.50');
    assert.equal(formatUsd(0), '$0.00');
    assert.equal(formatCost({ usd: 0.0012, pricedCalls: 2, unpricedCalls: 0 }), '$0.0012');
    assert.equal(formatCost({ usd: 0.0012, pricedCalls: 1, unpricedCalls: 1 }), '≥ $0.0012');
    assert.equal(formatCost({ usd: 0, pricedCalls: 0, unpricedCalls: 3 }), 'no price');
  });
});

describe('price settings', () => {
  it('keeps valid entries and deployments', () => {
    const { settings, problems } = readPricingSettings(
      { 'my-model': { input: 1, output: 2, cachedInput: 0.1 }, ' spaced ': { input: 0, output: 0 } },
      { prod: 'gpt-4o' },
    );
    assert.deepEqual(problems, []);
    assert.deepEqual(settings, {
      models: { 'my-model': { input: 1, output: 2, cachedInput: 0.1 }, spaced: { input: 0, output: 0 } },
      azureDeployments: { prod: 'gpt-4o' },
    });
  });

  it('skips every bad entry with a reason and never throws', () => {
    // As settings arrive: parsed JSON, where `__proto__` is an ordinary key.
    const models: unknown = JSON.parse('{"__proto__": {"input": 1, "output": 1}}');
    const { settings, problems } = readPricingSettings(
      {
        ...(models as object),
        noOutput: { input: 1 },
        negative: { input: -1, output: 1 },
        text: { input: '1', output: 1 },
        huge: { input: 1e9, output: 1 },
        notANumber: { input: Number.NaN, output: 1 },
        list: [1, 2],
        scalar: 3,
        '': { input: 1, output: 1 },
        good: { input: 1, output: 1 },
      },
      { '': 'gpt-4o', blank: ' ', number: 4, ok: 'gpt-4o-mini' },
    );
    assert.deepEqual(Object.keys(settings.models), ['__proto__', 'good']);
    assert.deepEqual(settings.azureDeployments, { ok: 'gpt-4o-mini' });
    assert.equal(Object.getPrototypeOf(settings.models), Object.prototype);
    for (const name of [
      'noOutput',
      'negative',
      'text',
      'huge',
      'notANumber',
      'list',
      'scalar',
      'blank',
      'number',
    ])
      assert.ok(
        problems.some((p) => p.includes(`"${name}"`)),
        `${name} is reported: ${problems.join(' | ')}`,
      );
    assert.deepEqual(readPricingSettings('nonsense', 7).problems.length, 2);
    assert.deepEqual(readPricingSettings(undefined, undefined), {
      settings: { models: {}, azureDeployments: {} },
      problems: [],
    });
  });
});
