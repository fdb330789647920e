// A conversation's content travels to the page once: in the HTML, for the first paint. The host posts the
// state again on `ready` only when it changed since that HTML was built, and builds nothing for a hidden
// page or one that does not listen yet (the message would be dropped).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PanelSync } from '../../../src/host/panelSync';
import { buildConversationState } from '../../../src/views/conversationViewModel';
import { buildWebviewHtml, serializeForScript } from '../../../src/host/webviewHtml';
import { INITIAL_STATE_ELEMENT_ID } from '../../../src/protocol/conversation';
import { TraceStore } from '../../../src/core/store';
import { createNormalizer } from '../../../src/core/genai/normalize';
import { fixtureBatch, fixtureEntries } from '../helpers/fixtures';

describe('PanelSync', () => {
  it('posts nothing on ready when nothing changed since the HTML was built', () => {
    const sync = new PanelSync();
    sync.htmlBuilt();
    assert.equal(sync.ready(), false);
    assert.equal(sync.ready(), false, 'a page shown again after being hidden, nothing changed');
  });

  it('holds a change until the page listens, posts it on ready, then posts each change to the visible page', () => {
    const sync = new PanelSync();
    sync.htmlBuilt();
    assert.equal(sync.changed(true), false, 'the page does not listen yet');
    assert.equal(sync.ready(), true, 'the change follows on ready');
    assert.equal(sync.changed(true), true);
    // Shown again after being hidden, the page reloads its older HTML: the change is posted again on ready.
    assert.equal(sync.ready(), true);
    // New HTML: its page does not listen until it says ready.
    sync.htmlBuilt();
    assert.equal(sync.changed(true), false);
  });

  it('builds nothing for a hidden page, and posts the current state when it is shown and says ready', () => {
    const sync = new PanelSync();
    sync.htmlBuilt();
    assert.equal(sync.changed(false), false);
    assert.equal(sync.changed(false), false);
    assert.equal(sync.ready(), true);
    // New HTML carries the current state again.
    sync.htmlBuilt();
    assert.equal(sync.ready(), false);
  });

  it('puts the state in the HTML once, and nothing of the content anywhere else in the page', () => {
    const store = new TraceStore({ maxTraces: 10, normalizer: createNormalizer(), debounceMs: 0 });
    for (const e of fixtureEntries({ library: 'traceloop', scenario: 'tools', encoding: 'protobuf' }))
      if (e.signal !== 'metrics') store.ingest(fixtureBatch(e), 'otlp');
    const [summary] = store.list();
    assert.ok(summary);
    const state = buildConversationState(store.getTrace(summary.traceId), { traceId: summary.traceId }, 1);
    assert.ok(state.calls.length > 0 && state.calls[0]!.llm.messages.length > 0);
    const html = buildWebviewHtml({
      cspSource: 'https://*.vscode-cdn.net',
      nonce: 'n0nce-ABCdef_123456',
      scriptUri: 'https://x.vscode-cdn.net/dist/webview.js',
      styleUris: ['https://x.vscode-cdn.net/media/conversation.css'],
      codiconsUri: 'https://x.vscode-cdn.net/dist/codicons/codicon.css',
      initialState: state,
      title: 'Conversation',
    });
    const json = serializeForScript(state);
    assert.equal(html.split(json).length, 2, 'the state is embedded exactly once');
    assert.equal(html.split(INITIAL_STATE_ELEMENT_ID).length, 2);
    // The rest of the page is the shell: no second copy of any content.
    assert.ok(html.length - json.length < 1500, `shell of ${html.length - json.length} characters`);
  });
});
