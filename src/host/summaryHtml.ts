// The Summary panel's HTML document, from plain inputs: pure, so the CSP and the embedded state are tested
// without VS Code and the browser test loads the very same document. The policy is the conversation
// panel's (scripts by nonce, styles only from the extension's output, no 'unsafe-inline').

import { SUMMARY_STATE_ELEMENT_ID, type SummaryPageState } from '../protocol/summary';
import { buildContentSecurityPolicy, escapeHtml, serializeForScript } from './webviewHtml';

export interface SummaryHtmlInput {
  cspSource: string;
  nonce: string;
  /** dist/summary.js and dist/summary.css as the webview sees them. */
  scriptUri: string;
  styleUri: string;
  initialState: SummaryPageState;
  title: string;
}

export function buildSummaryHtml(input: SummaryHtmlInput): string {
  if (!/^[A-Za-z0-9+/=_-]{8,}$/.test(input.nonce)) throw new Error('summaryHtml: the nonce must be a token');
  if (/[;,'"]/.test(input.cspSource.replace(/'self'/g, '')))
    throw new Error(
      `summaryHtml: cspSource must be CSP source expressions, got ${JSON.stringify(input.cspSource)}`,
    );
  const csp = buildContentSecurityPolicy(input.cspSource, input.nonce);
  return `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
    <meta name="viewport" content="width=device-width, initial-scale=1.0">
    <link rel="stylesheet" href="${escapeHtml(input.styleUri)}">
    <title>${escapeHtml(input.title)}</title>
  </head>
  <body>
    <main id="lti-summary-root" class="lti-summary"><p class="lti-sum-loading">Adding up…</p></main>
    <script type="application/json" id="${SUMMARY_STATE_ELEMENT_ID}">${serializeForScript(input.initialState)}</script>
    <script nonce="${escapeHtml(input.nonce)}" src="${escapeHtml(input.scriptUri)}"></script>
  </body>
</html>
`;
}
