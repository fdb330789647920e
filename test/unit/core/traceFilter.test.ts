// The LLM Traces view's filter over trace summaries normalized from the real captures, and the folding
// both sides of a text search go through.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TraceSummary } from '../../../src/core/model';
import {
  filterChoices,
  foldText,
  matchesSummary,
  normalizeFilter,
  parseMinimum,
  type TraceFilter,
} from '../../../src/core/traceFilter';
import { fixtureBatch } from '../helpers/fixtures';
import { ingest, newStore, rewriteBatch, scenario } from '../helpers/sessions';

const LIB = 'otel-openai';

/** Lisbon (chat, tools), Porto (error, stream, large), and Kyoto (unicode) sent by another service. */
function captured(): TraceSummary[] {
  const store = newStore();
  for (const s of ['chat', 'tools', 'error', 'stream', 'large']) ingest(store, scenario(LIB, s));
  for (const entry of scenario(LIB, 'unicode')) {
    const batch = rewriteBatch(fixtureBatch(entry), {});
    const admin = { 'service.name': 'wayfarer-concierge' };
    store.ingest(
      {
        spans: batch.spans.map((s) => ({ ...s, resource: { ...s.resource, ...admin } })),
        logs: batch.logs.map((l) => ({ ...l, resource: { ...l.resource, ...admin } })),
      },
      'otlp',
    );
  }
  store.flush();
  return store.list();
}

const kept = (all: TraceSummary[], filter: TraceFilter, text?: ReadonlySet<string>) =>
  all.filter((s) => matchesSummary(s, filter, text));

describe('matchesSummary', () => {
  const all = captured();

  it('keeps the traces of one model, whichever call of the trace used it', () => {
    const mini = kept(all, { model: 'gpt-4o-mini-2024-07-18' });
    assert.ok(mini.length >= 2);
    assert.ok(mini.every((s) => s.models.includes('gpt-4o-mini-2024-07-18')));
    assert.ok(mini.length < all.length);
    // The failed call asked for "gpt-4o-mini" and never got an answer naming the dated model.
    const asked = kept(all, { model: 'gpt-4o-mini' });
    assert.deepEqual(
      asked.map((s) => s.hasError),
      [true],
      'a model is matched exactly, not as a prefix',
    );
  });

  it('keeps the traces of one service and of one user', () => {
    const concierge = kept(all, { service: 'wayfarer-concierge' });
    assert.deepEqual(
      concierge.map((s) => s.sessionId),
      ['sess-kyoto-autumn'],
    );
    const user = kept(all, { userId: 'user-1042' });
    assert.equal(user.length, 2);
    assert.ok(user.every((s) => s.sessionId === 'sess-lisbon-weekend'));
  });

  it('keeps only failed traces', () => {
    const failed = kept(all, { errorsOnly: true });
    assert.equal(failed.length, 1);
    assert.ok(failed[0]!.hasError && failed[0]!.errorCount > 0);
  });

  it('keeps traces of at least so many tokens, or so much cost', () => {
    const big = kept(all, { minTokens: 10_000 });
    assert.equal(big.length, 1, 'the large turn only');
    assert.ok(big[0]!.usage.inputTokens! > 10_000);
    const pricey = kept(all, { minCostUsd: 0.01 });
    assert.deepEqual(pricey, big);
    // A trace without a price (the failed call reported no tokens) never passes a minimum cost.
    assert.ok(kept(all, { minCostUsd: 0.000001 }).every((s) => s.cost !== undefined));
  });

  it('combines criteria: every one must hold', () => {
    const porto = kept(all, { userId: 'user-2077', model: 'gpt-4o-mini-2024-07-18' });
    assert.ok(porto.length >= 1);
    assert.ok(porto.every((s) => s.userId === 'user-2077' && s.models.includes('gpt-4o-mini-2024-07-18')));
    assert.deepEqual(kept(all, { userId: 'user-1042', errorsOnly: true }), []);
    assert.deepEqual(kept(all, { service: 'wayfarer-concierge', minTokens: 10_000 }), []);
  });

  it('leaves the text to the source: only the traces it found pass, none while its answer is awaited', () => {
    const one = new Set([all[2]!.traceId]);
    assert.deepEqual(kept(all, { text: 'Lisbon' }, one), [all[2]]);
    assert.deepEqual(kept(all, { text: 'Lisbon' }), []);
    assert.deepEqual(kept(all, { text: 'Lisbon', errorsOnly: true }, one), all[2]!.hasError ? [all[2]] : []);
  });
});

describe('normalizeFilter', () => {
  it('drops empty criteria, and the whole filter when nothing is left', () => {
    assert.equal(normalizeFilter(undefined), undefined);
    assert.equal(normalizeFilter({ text: '   ', model: '', errorsOnly: false, minTokens: 0 }), undefined);
    assert.equal(normalizeFilter({ minCostUsd: Number.NaN }), undefined);
    assert.deepEqual(normalizeFilter({ text: ' Lisbon ', minTokens: 100, minCostUsd: -1 }), {
      text: 'Lisbon',
      minTokens: 100,
    });
  });
});

describe('filterChoices', () => {
  it('offers the models, services and users of the traces, the most used first', () => {
    const choices = filterChoices(captured());
    assert.equal(choices.models[0]!.value, 'gpt-4o-mini-2024-07-18');
    assert.ok(choices.models.some((m) => m.value === 'o4-mini-2025-04-16'));
    assert.deepEqual(
      choices.services.map((s) => s.value),
      ['wayfarer-trips', 'wayfarer-concierge'],
    );
    assert.deepEqual(
      choices.users.map((u) => [u.value, u.count]),
      [
        ['user-2077', 3],
        ['user-1042', 2],
        ['user-3318', 1],
      ],
    );
  });
});

describe('foldText', () => {
  const finds = (haystack: string, needle: string) => foldText(haystack).includes(foldText(needle));

  it('ignores case in any script, and how an accented letter is composed', () => {
    assert.ok(finds('Ångström', 'ÅNGSTRÖM'));
    // "A" followed by a combining ring above (NFD), as macOS file names and some keyboards give it.
    assert.ok(finds('A\u030angstro\u0308m', 'ångström'));
    assert.ok(finds('ΟΔΥΣΣΕΥΣ', 'οδυσσευς'), 'a final sigma is a sigma');
    assert.ok(finds('Grüße aus Köln', 'GRÜSSE'));
    assert.ok(!finds('Ångström', 'angstrom'), 'accents are letters of their own');
  });

  it('finds Japanese as written, and full-width letters as ASCII', () => {
    assert.ok(finds('京都でおすすめの寺', '京都'));
    assert.ok(finds('東京タワー', '東京'));
    assert.ok(finds('ＡＰＩ ｋｅｙ', 'api key'));
  });

  it('takes the Turkish dotted and dotless I as i, whichever way they are typed', () => {
    assert.ok(finds('İstanbul', 'istanbul'));
    assert.ok(finds('istanbul', 'İSTANBUL'));
    assert.ok(finds('ISPARTA', 'ısparta'));
    assert.ok(finds('Diyarbakır', 'DIYARBAKIR'));
  });

  it('only lower-cases ASCII', () => {
    assert.equal(foldText('Hello World'), 'hello world');
    const plain = 'already lower';
    assert.equal(foldText(plain), plain);
  });
});

describe('parseMinimum', () => {
  it('reads counts with separators and k or M, and dollars with or without the sign', () => {
    assert.equal(parseMinimum('2000'), 2000);
    assert.equal(parseMinimum(' 2,000 '), 2000);
    assert.equal(parseMinimum('12.5k'), 12_500);
    assert.equal(parseMinimum('1M'), 1_000_000);
    assert.equal(parseMinimum('$0.05'), 0.05);
    assert.equal(parseMinimum('.5'), 0.5);
    assert.equal(parseMinimum(''), undefined);
    assert.ok(Number.isNaN(parseMinimum('lots')));
    assert.ok(Number.isNaN(parseMinimum('-3')));
  });
});
