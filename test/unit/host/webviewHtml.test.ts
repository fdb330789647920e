// The conversation panel's HTML is the one place where untrusted trace content meets markup: these tests
// pin the Content Security Policy and prove the embedded state cannot break out of its script element.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { INITIAL_STATE_ELEMENT_ID, type ConversationState } from '../../../src/protocol/conversation';
import {
  buildContentSecurityPolicy,
  buildWebviewHtml,
  escapeHtml,
  serializeForScript,
  type WebviewHtmlInput,
} from '../../../src/host/webviewHtml';
import { answer, llm, span, text, trace } from '../../browser/traceBuilders';
import { buildConversationState } from '../../../src/views/conversationViewModel';

// What VS Code's webview.cspSource looks like: a host wildcard under its own CDN domain.
const CSP_SOURCE = 'https://*.vscode-cdn.net';
const RESOURCES = 'https://file+.vscode-resource.vscode-cdn.net';
const NONCE = 'n0nce-ABCdef_123456';
const HOSTILE = '</script><script>alert(1)</script><!-- \u2028 \u2029 & <img src=x onerror=alert(2)>';

function hostileState(): ConversationState {
  const call = span({
    llm: llm({ messages: [text('user', HOSTILE), answer(`reply ${HOSTILE}`)] }),
    attributes: { 'x.evil': HOSTILE },
  });
  return buildConversationState(
    trace([call], { name: HOSTILE }),
    { traceId: call.traceId, spanId: call.spanId },
    1,
  );
}

function input(overrides: Partial<WebviewHtmlInput> = {}): WebviewHtmlInput {
  return {
    cspSource: CSP_SOURCE,
    nonce: NONCE,
    scriptUri: `${RESOURCES}/ext/dist/webview.js`,
    styleUris: [`${RESOURCES}/ext/media/conversation.css`],
    codiconsUri: `${RESOURCES}/ext/dist/codicons/codicon.css`,
    initialState: hostileState(),
    title: 'chat · gpt-4o',
    ...overrides,
  };
}

function cspOf(html: string): string {
  const m = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html);
  assert.ok(m, 'the document has a CSP meta element');
  return (m[1] as string).replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}

function stateJson(html: string): string {
  const m = new RegExp(
    `<script type="application/json" id="${INITIAL_STATE_ELEMENT_ID}">([\\s\\S]*?)</script>`,
  ).exec(html);
  assert.ok(m, 'the document embeds the initial state');
  return m[1] as string;
}

describe('buildContentSecurityPolicy', () => {
  it('is exactly: nothing by default, scripts by nonce, styles fonts and images from the webview source', () => {
    assert.equal(
      buildContentSecurityPolicy(CSP_SOURCE, NONCE),
      `default-src 'none'; script-src 'nonce-${NONCE}'; style-src ${CSP_SOURCE}; font-src ${CSP_SOURCE}; img-src ${CSP_SOURCE} data:`,
    );
  });
});

describe('buildWebviewHtml', () => {
  it('puts the exact CSP in the document and never allows inline code or eval', () => {
    const html = buildWebviewHtml(input());
    const csp = cspOf(html);
    assert.equal(csp, buildContentSecurityPolicy(CSP_SOURCE, NONCE));
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|(^|\s)\*(\s|;|$)/);
    const directives = new Map(
      csp
        .split(';')
        .map((d) => d.trim().split(/\s+/))
        .map(([name, ...values]) => [name, values]),
    );
    assert.deepEqual(
      [...directives.keys()],
      ['default-src', 'script-src', 'style-src', 'font-src', 'img-src'],
    );
    assert.deepEqual(directives.get('script-src'), [`'nonce-${NONCE}'`]);
    assert.doesNotMatch(html, /\sstyle=/, 'no inline style attributes');
    assert.doesNotMatch(html, /<style/, 'no style elements');
  });

  it('runs only the bundle, by nonce; the state element is data, not script', () => {
    const html = buildWebviewHtml(input());
    const scripts = [...html.matchAll(/<script\b([^>]*)>/g)].map((m) => m[1] as string);
    assert.equal(scripts.length, 2);
    assert.match(scripts[0] as string, /type="application\/json"/);
    assert.equal(scripts[1], ` nonce="${NONCE}" src="${RESOURCES}/ext/dist/webview.js"`);
  });

  it('keeps hostile text in the state as data that round-trips exactly', () => {
    const state = hostileState();
    const html = buildWebviewHtml(input({ initialState: state }));
    const json = stateJson(html);
    assert.doesNotMatch(json, /<|>|&|\u2028|\u2029/);
    // The only closing script tags are the two the builder wrote.
    assert.equal(html.match(/<\/script>/g)?.length, 2);
    assert.deepEqual(JSON.parse(json), JSON.parse(JSON.stringify(state)));
    const parsed = JSON.parse(json) as ConversationState;
    const first = parsed.calls[0]?.llm.messages[0]?.parts[0];
    assert.deepEqual(first, { type: 'text', text: HOSTILE });
    assert.equal(parsed.trace?.name, HOSTILE);
  });

  it('escapes the title and the resource URIs', () => {
    const html = buildWebviewHtml(
      input({
        title: '</title><script>alert(1)</script>',
        styleUris: ['https://x/a.css"><script>alert(2)</script>'],
      }),
    );
    assert.match(html, /<title>&lt;\/title&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;<\/title>/);
    assert.doesNotMatch(html, /<script>alert/);
    assert.match(html, /href="https:\/\/x\/a.css&quot;&gt;&lt;script&gt;/);
  });

  it('rejects a nonce or CSP source that could inject into the policy', () => {
    for (const nonce of ['', 'short', `${NONCE}' 'unsafe-inline`, `${NONCE}"`, `${NONCE} x`, `${NONCE};`]) {
      assert.throws(() => buildWebviewHtml(input({ nonce })), /nonce/, JSON.stringify(nonce));
    }
    for (const cspSource of [
      '',
      `${CSP_SOURCE}; script-src *`,
      `${CSP_SOURCE} 'unsafe-inline'`,
      'a"b',
      'a,b',
    ]) {
      assert.throws(() => buildWebviewHtml(input({ cspSource })), /cspSource/, JSON.stringify(cspSource));
    }
  });
});

describe('serializeForScript and escapeHtml', () => {
  it('serializes to valid JSON without markup characters', () => {
    const value = { a: '</script>', b: '<!--', c: '&amp;', d: '\u2028\u2029', e: [1, true, null] };
    const out = serializeForScript(value);
    assert.doesNotMatch(out, /[<>&\u2028\u2029]/);
    assert.deepEqual(JSON.parse(out), value);
  });

  it('escapes the five HTML specials', () => {
    assert.equal(
      escapeHtml(`<a href="x" title='y'>&</a>`),
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });
});
