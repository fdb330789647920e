// A view's answer to its filter text, over a store of the real captures: the first answer, a change to
// a trace that moves it in, a change that moves nothing (no redraw), an eviction, a text replaced while
// its search travels (the stale answer is dropped), and a failed search.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { searchStore } from '../../../src/core/search';
import { TextMatches } from '../../../src/core/textMatches';
import { ingest, newStore, scenario } from '../helpers/sessions';

function setup(): {
  store: ReturnType<typeof newStore>;
  matches: TextMatches;
  answers: boolean[];
  searched: (readonly string[] | undefined)[];
} {
  const store = newStore();
  ingest(store, scenario('traceloop', 'chat'));
  ingest(store, scenario('traceloop', 'error'));
  const answers: boolean[] = [];
  const searched: (readonly string[] | undefined)[] = [];
  const matches = new TextMatches(
    (text, options) => {
      searched.push(options?.traceIds);
      return searchStore(store, text, options);
    },
    (whole) => answers.push(whole),
  );
  return { store, matches, answers, searched };
}

const sessionOf = (store: ReturnType<typeof newStore>, id: string) => store.summary(id)?.sessionId;

describe('TextMatches', () => {
  it('answers a text with the traces that contain it; nothing passes while it travels', async () => {
    const { store, matches, answers } = setup();
    assert.equal(matches.has(store.list()[0]!.traceId), true, 'no text: everything passes');
    const done = matches.setText('lisbon');
    assert.equal(matches.pending, true);
    assert.equal(
      store.list().some((t) => matches.has(t.traceId)),
      false,
    );
    await done;
    assert.equal(matches.pending, false);
    assert.equal(matches.completed, true);
    const found = store.list().filter((t) => matches.has(t.traceId));
    assert.deepEqual(
      found.map((t) => sessionOf(store, t.traceId)),
      ['sess-lisbon-weekend'],
    );
    assert.deepEqual(answers, [true]);
    // The same text again searches nothing.
    await matches.setText('lisbon');
    assert.deepEqual(answers, [true]);
  });

  it('searches only the traces that changed, and redraws only when one moves in or out', async () => {
    const { store, matches, answers, searched } = setup();
    await matches.setText('lisbon');
    const lisbon = [...matches.set!][0]!;
    const other = store.list().find((t) => t.traceId !== lisbon)!.traceId;
    // A change to a trace that still does not contain the text moves nothing.
    matches.storeChanged({ changed: [other], removed: [], cleared: false });
    await matches.settled();
    assert.deepEqual(searched.at(-1), [other]);
    assert.deepEqual(answers, [true]);
    // A trace that arrives with the text comes in, from a search of that trace alone.
    await matches.setText('京都');
    assert.equal(matches.set?.size, 0);
    ingest(store, scenario('traceloop', 'unicode'));
    store.flush();
    const added = store.list().find((t) => t.traceId !== lisbon && t.traceId !== other)!.traceId;
    matches.storeChanged({ changed: [added], removed: [], cleared: false });
    await matches.settled();
    assert.deepEqual(searched.at(-1), [added]);
    assert.equal(matches.has(added), true);
    assert.deepEqual(answers, [true, true, false]);
    matches.storeChanged({ changed: [], removed: [added], cleared: false });
    assert.equal(matches.has(added), false, 'an evicted trace leaves the answer');
    matches.storeChanged({ changed: [], removed: [], cleared: true });
    assert.equal(matches.set?.size, 0);
  });

  it('drops the answer to a text replaced while its search travels', async () => {
    const { store, matches, answers } = setup();
    const first = matches.setText('lisbon');
    const second = matches.setText('no-such-word-anywhere');
    await Promise.all([first, second]);
    assert.equal(
      store.list().some((t) => matches.has(t.traceId)),
      false,
    );
    assert.deepEqual(answers, [true]);
    await matches.setText(undefined);
    assert.equal(matches.has(store.list()[0]!.traceId), true);
  });

  it('says why a search failed, and lists nothing', async () => {
    const matches = new TextMatches(
      () => Promise.reject(new Error('the worker is gone')),
      () => undefined,
    );
    await matches.setText('anything');
    assert.equal(matches.error, 'the worker is gone');
    assert.equal(matches.pending, false);
    assert.equal(matches.has('0af7651916cd43dd8448eb211c80319c'), false);
  });
});
