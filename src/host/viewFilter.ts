// How a view names its grouping and filter (the description under its title) and what the filter found
// (the line above the tree): the same words in the LLM Traces, Application Insights and OTLP Files views.

import * as vscode from 'vscode';
import { formatTokens, formatUsd } from '../core/format';
import type { GroupMode } from '../core/grouping';
import { DEFAULT_SEARCH_LIMIT } from '../core/search';
import type { TextMatches } from '../core/textMatches';
import type { TraceFilter } from '../core/traceFilter';

/** "by session" or "by user"; nothing for one trace a row. */
export function groupPart(mode: GroupMode): string | undefined {
  return mode === 'session'
    ? vscode.l10n.t('by session')
    : mode === 'user'
      ? vscode.l10n.t('by user')
      : undefined;
}

/** The filter as the view's description names it, one short part per criterion. */
export function filterParts(filter: TraceFilter | undefined): string[] {
  if (!filter) return [];
  const parts: string[] = [];
  if (filter.text !== undefined) parts.push(vscode.l10n.t('“{0}”', filter.text));
  if (filter.model !== undefined) parts.push(vscode.l10n.t('model {0}', filter.model));
  if (filter.service !== undefined) parts.push(vscode.l10n.t('service {0}', filter.service));
  if (filter.userId !== undefined) parts.push(vscode.l10n.t('user {0}', filter.userId));
  if (filter.errorsOnly) parts.push(vscode.l10n.t('errors only'));
  if (filter.minTokens !== undefined)
    parts.push(vscode.l10n.t('≥ {0} tokens', formatTokens(filter.minTokens)));
  if (filter.minCostUsd !== undefined) parts.push(vscode.l10n.t('≥ {0}', formatUsd(filter.minCostUsd)));
  return parts;
}

/** How many traces pass the filter, and what of the text search is still to come or was cut short. */
export function filterLine(
  text: Pick<TextMatches, 'pending' | 'completed' | 'error'>,
  shown: number,
): string {
  if (text.error !== undefined) return vscode.l10n.t('The search failed: {0}', text.error);
  if (text.pending) return vscode.l10n.t('Searching the traces…');
  const line =
    shown === 0
      ? vscode.l10n.t('No trace matches the filter.')
      : shown === 1
        ? vscode.l10n.t('1 trace matches the filter.')
        : vscode.l10n.t('{0} traces match the filter.', String(shown));
  if (text.completed) return line;
  return `${line} ${vscode.l10n.t(
    'The search stopped after the newest {0} traces that contain the text.',
    String(DEFAULT_SEARCH_LIMIT),
  )}`;
}
