// Builds the conversation panel's HTML document from plain inputs. It is pure (no 'vscode' import) so the
// Content Security Policy and the escaping of the embedded state are tested in milliseconds, and the same
// document is loaded into a real browser by the webview rendering test.

import { INITIAL_STATE_ELEMENT_ID, type ConversationState } from '../protocol/conversation';
import type { SessionState } from '../protocol/session';
import type { SummaryPageState } from '../protocol/summary';

export interface WebviewHtmlInput {
  /** `webview.cspSource`: the origin the panel may load styles, fonts and images from. */
  cspSource: string;
  /** A fresh random value per render; only scripts carrying it may run. */
  nonce: string;
  /** URI of the webview bundle (dist/webview.js) as the webview sees it. */
  scriptUri: string;
  /** URIs of the panel's style sheets (media/conversation.css ...). */
  styleUris: readonly string[];
  /** URI of dist/codicons/codicon.css; a page without icons has none. */
  codiconsUri?: string;
  /** Rendered on first paint, before the webview has talked to the host. */
  initialState: ConversationState | SessionState | SummaryPageState;
  title: string;
  /** The page's root element and what it says until the script paints (the conversation's by default). */
  root?: { id: string; className: string; loading: string };
  /** The id of the script element holding the initial state. */
  stateElementId?: string;
}

const CONVERSATION_ROOT = { id: 'lti-root', className: 'lti-root', loading: 'Loading conversation…' };

/** The panel's Content Security Policy. Scripts only by nonce; never 'unsafe-inline' (nor for styles). */
export function buildContentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    `default-src 'none'`,
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `img-src ${cspSource} data:`,
  ].join('; ');
}

/** Escapes text for an HTML attribute value or text node. */
export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * Serialises a value as JSON that is safe inside a `<script type="application/json">` element: no `<`,
 * `>` or `&` can close the element or open a comment, and U+2028/U+2029 are escaped for old parsers. The
 * result is still valid JSON that parses back to the same value.
 */
export function serializeForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Nonces must be plain tokens: anything else would let a caller inject into the CSP or the tag. */
function assertToken(name: string, value: string): void {
  if (!/^[A-Za-z0-9+/=_-]{8,}$/.test(value)) {
    throw new Error(`webviewHtml: ${name} must be at least 8 characters of [A-Za-z0-9+/=_-]`);
  }
}

/**
 * `webview.cspSource` is one host source on desktop and several (space-separated, `'self'` among them) in
 * some web hosts such as code-server. Anything that could end the directive or widen it (`;`, `,`, other
 * quoted keywords such as `'unsafe-inline'`) is refused.
 */
function assertCspSource(value: string): void {
  const parts = value.trim().split(/\s+/);
  if (value.trim().length === 0 || !parts.every((p) => p === "'self'" || /^[^\s;'",]+$/.test(p))) {
    throw new Error(`webviewHtml: cspSource must be CSP source expressions, got ${JSON.stringify(value)}`);
  }
}

export function buildWebviewHtml(input: WebviewHtmlInput): string {
  assertToken('nonce', input.nonce);
  assertCspSource(input.cspSource);
  const csp = buildContentSecurityPolicy(input.cspSource, input.nonce);
  const styles = [
    ...(input.codiconsUri
      ? [`    <link rel="stylesheet" href="${escapeHtml(input.codiconsUri)}" id="vscode-codicon-stylesheet">`]
      : []),
    ...input.styleUris.map((uri) => `    <link rel="stylesheet" href="${escapeHtml(uri)}">`),
  ].join('\n');
  const root = input.root ?? CONVERSATION_ROOT;
  const stateId = input.stateElementId ?? INITIAL_STATE_ELEMENT_ID;
  return `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
    <meta name="viewport" content="width=device-width, initial-scale=1.0">
${styles}
    <title>${escapeHtml(input.title)}</title>
  </head>
  <body>
    <div id="${escapeHtml(root.id)}" class="${escapeHtml(root.className)}"><p class="lti-loading">${escapeHtml(root.loading)}</p></div>
    <script type="application/json" id="${escapeHtml(stateId)}">${serializeForScript(input.initialState)}</script>
    <script nonce="${escapeHtml(input.nonce)}" src="${escapeHtml(input.scriptUri)}"></script>
  </body>
</html>
`;
}
