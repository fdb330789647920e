// The Summary panel's document and protocol: the same strict CSP as the conversation panel, the state
// embedded so no name in it can close its element, and the guard on what the page may post.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildSummaryHtml } from '../../../src/host/summaryHtml';
import {
  SUMMARY_STATE_ELEMENT_ID,
  asSummaryTarget,
  isSummaryPageMessage,
  summaryWindowOf,
  type SummaryPageState,
} from '../../../src/protocol/summary';

const state: SummaryPageState = {
  sourceId: 'local',
  sourceLabel: '</script><script>alert(1)</script>',
  window: '24h',
  builtMs: 0,
};

function html(over: Partial<Parameters<typeof buildSummaryHtml>[0]> = {}): string {
  return buildSummaryHtml({
    cspSource: 'https://x.vscode-cdn.net',
    nonce: 'abcdefgh12345678',
    scriptUri: 'https://x.vscode-cdn.net/dist/summary.js',
    styleUri: 'https://x.vscode-cdn.net/dist/summary.css',
    initialState: state,
    title: 'Summary · <b>Local</b>',
    ...over,
  });
}

describe('buildSummaryHtml', () => {
  it('allows scripts only by nonce and styles only from the extension, and embeds the state inertly', () => {
    const doc = html();
    const csp = /content="([^"]+)"/.exec(doc)![1]!.replace(/&#39;/g, "'");
    assert.ok(csp.includes("default-src 'none'"));
    assert.ok(csp.includes("script-src 'nonce-abcdefgh12345678'"));
    assert.ok(!csp.includes('unsafe-inline'));
    assert.equal((doc.match(/<script/g) ?? []).length, 2, 'the state and the bundle, nothing from the label');
    const json = new RegExp(`id="${SUMMARY_STATE_ELEMENT_ID}">(.*)</script>`).exec(doc)![1]!;
    assert.deepEqual(JSON.parse(json), state);
    assert.ok(doc.includes('<title>Summary · &lt;b&gt;Local&lt;/b&gt;</title>'));
  });

  it('refuses a nonce or a CSP source that could widen the policy', () => {
    assert.throws(() => html({ nonce: "x' 'unsafe-inline" }));
    assert.throws(() => html({ cspSource: "https://x; script-src 'unsafe-inline'" }));
  });
});

describe('the summary protocol', () => {
  it('accepts only the messages the page may send', () => {
    assert.ok(isSummaryPageMessage({ type: 'ready' }));
    assert.ok(isSummaryPageMessage({ type: 'refresh' }));
    assert.ok(isSummaryPageMessage({ type: 'setWindow', window: '7d' }));
    assert.ok(!isSummaryPageMessage({ type: 'setWindow', window: '3y' }));
    assert.ok(!isSummaryPageMessage({ type: 'openTrace' }));
    assert.ok(!isSummaryPageMessage(null));
    assert.ok(!isSummaryPageMessage('ready'));
  });

  it('restores a saved page from its ids only, and refuses what is not a source id', () => {
    assert.deepEqual(asSummaryTarget({ sourceId: 'local', window: '7d' }), {
      sourceId: 'local',
      window: '7d',
    });
    assert.deepEqual(asSummaryTarget({ sourceId: 'file:/tmp/a.json', window: 'forever' }), {
      sourceId: 'file:/tmp/a.json',
      window: '24h',
    });
    assert.equal(asSummaryTarget({ sourceId: '' }), undefined);
    assert.equal(asSummaryTarget({ sourceId: 'a\nb' }), undefined);
    assert.equal(asSummaryTarget({ sourceId: 'x'.repeat(1001) }), undefined);
    assert.equal(asSummaryTarget({ sourceId: 5 }), undefined);
    assert.equal(asSummaryTarget(undefined), undefined);
  });

  it('ends every window but "all" now', () => {
    assert.deepEqual(summaryWindowOf('15m', 1_000_000), { fromMs: 100_000, toMs: 1_000_000 });
    assert.deepEqual(summaryWindowOf('all', 1_000_000), {});
  });
});
