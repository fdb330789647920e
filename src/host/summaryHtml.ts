// The Summary panel's HTML document, from plain inputs: pure, so the CSP and the embedded state are tested
// without VS Code and the browser test loads the very same document. It is the conversation panel's
// document (webviewHtml.ts: the same policy and checks) with the summary's root, bundle and styles.

import { SUMMARY_STATE_ELEMENT_ID, type SummaryPageState } from '../protocol/summary';
import { buildWebviewHtml } from './webviewHtml';

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
  return buildWebviewHtml({
    cspSource: input.cspSource,
    nonce: input.nonce,
    scriptUri: input.scriptUri,
    styleUris: [input.styleUri],
    initialState: input.initialState,
    title: input.title,
    root: { id: 'lti-summary-root', className: 'lti-summary', loading: 'Adding up…' },
    stateElementId: SUMMARY_STATE_ELEMENT_ID,
  });
}
