// The LLM Traces view's filter: Filter… (one quick pick of every criterion, each showing its current value;
// models, services and users offered from the traces listed), Filter by Text… (straight to the text, for a
// key binding) and Clear Filter. Scripts and tests pass the criteria as arguments and see no prompt.

import * as vscode from 'vscode';
import { formatTokens, formatUsd } from '../core/format';
import type { LocalTraces } from '../core/source';
import { filterChoices, parseMinimum, type TraceFilter } from '../core/traceFilter';
import { Commands } from './ids';
import type { TraceTreeProvider } from './traceTree';

export interface FilterDeps {
  store: LocalTraces;
  tree: TraceTreeProvider;
}

type Criterion =
  'text' | 'model' | 'service' | 'userId' | 'errorsOnly' | 'minTokens' | 'minCostUsd' | 'clear';

const KEYS: readonly (keyof TraceFilter)[] = [
  'text',
  'model',
  'service',
  'userId',
  'errorsOnly',
  'minTokens',
  'minCostUsd',
];

/**
 * Criteria from a script: a TraceFilter's fields, each replacing the current one (null or an empty value
 * removes it); anything else in the object is ignored.
 */
export function filterFromArgument(current: TraceFilter | undefined, arg: unknown): TraceFilter | undefined {
  if (typeof arg !== 'object' || arg === null) return undefined;
  const next: Record<string, unknown> = { ...current };
  for (const key of KEYS) {
    if (!(key in arg)) continue;
    const value = (arg as Record<string, unknown>)[key];
    if (value === null || value === undefined) delete next[key];
    else if (key === 'errorsOnly') next[key] = value === true;
    else if (key === 'minTokens' || key === 'minCostUsd') next[key] = typeof value === 'number' ? value : NaN;
    else if (typeof value === 'string') next[key] = value;
  }
  return next as TraceFilter;
}

export function registerFilterCommands(deps: FilterDeps): vscode.Disposable[] {
  const { tree } = deps;
  return [
    vscode.commands.registerCommand(Commands.filter, async (arg?: unknown) => {
      const given = filterFromArgument(tree.currentFilter, arg);
      if (given) return tree.setFilter(given);
      return chooseFilter(deps);
    }),
    vscode.commands.registerCommand(Commands.filterByText, async (text?: unknown) => {
      if (typeof text === 'string') return tree.setFilter({ ...tree.currentFilter, text });
      return askText(tree);
    }),
    vscode.commands.registerCommand(Commands.clearFilter, () => tree.setFilter(undefined)),
  ];
}

async function chooseFilter(deps: FilterDeps): Promise<void> {
  const { tree, store } = deps;
  const f = tree.currentFilter ?? {};
  const any = vscode.l10n.t('any');
  const items: (vscode.QuickPickItem & { criterion: Criterion })[] = [
    {
      criterion: 'text',
      label: `$(search) ${vscode.l10n.t('Text…')}`,
      description: f.text ?? any,
      detail: vscode.l10n.t('In message content, span names and attribute values'),
    },
    { criterion: 'model', label: `$(sparkle) ${vscode.l10n.t('Model…')}`, description: f.model ?? any },
    { criterion: 'service', label: `$(server) ${vscode.l10n.t('Service…')}`, description: f.service ?? any },
    { criterion: 'userId', label: `$(person) ${vscode.l10n.t('User…')}`, description: f.userId ?? any },
    {
      criterion: 'errorsOnly',
      label: `$(error) ${vscode.l10n.t('Errors Only')}`,
      description: f.errorsOnly ? vscode.l10n.t('on: pick to show every trace') : vscode.l10n.t('off'),
    },
    {
      criterion: 'minTokens',
      label: `$(symbol-numeric) ${vscode.l10n.t('Minimum Tokens…')}`,
      description: f.minTokens !== undefined ? formatTokens(f.minTokens) : any,
    },
    {
      criterion: 'minCostUsd',
      label: `$(credit-card) ${vscode.l10n.t('Minimum Cost…')}`,
      description: f.minCostUsd !== undefined ? formatUsd(f.minCostUsd) : any,
    },
  ];
  if (tree.currentFilter)
    items.push({ criterion: 'clear', label: `$(clear-all) ${vscode.l10n.t('Clear Filter')}` });
  const choice = await vscode.window.showQuickPick(items, {
    title: vscode.l10n.t('Filter the LLM Traces view'),
    placeHolder: vscode.l10n.t('Pick what to filter by; every criterion set must hold'),
    matchOnDescription: true,
  });
  if (!choice) return;
  switch (choice.criterion) {
    case 'clear':
      return tree.setFilter(undefined);
    case 'text':
      return askText(tree);
    case 'errorsOnly':
      return tree.setFilter({ ...f, errorsOnly: !f.errorsOnly });
    case 'minTokens':
    case 'minCostUsd':
      return askMinimum(tree, choice.criterion);
    default:
      return pickValue(tree, store, choice.criterion);
  }
}

async function askText(tree: TraceTreeProvider): Promise<void> {
  const text = await vscode.window.showInputBox({
    title: vscode.l10n.t('Filter by Text'),
    prompt: vscode.l10n.t(
      'Traces whose messages, span names or attribute values contain every word; "quote" a phrase. Empty: any text.',
    ),
    value: tree.currentFilter?.text ?? '',
  });
  if (text === undefined) return;
  return tree.setFilter({ ...tree.currentFilter, text });
}

async function pickValue(
  tree: TraceTreeProvider,
  store: LocalTraces,
  criterion: 'model' | 'service' | 'userId',
): Promise<void> {
  const choices = filterChoices(store.list());
  const values =
    criterion === 'model' ? choices.models : criterion === 'service' ? choices.services : choices.users;
  const anyLabel =
    criterion === 'model'
      ? vscode.l10n.t('Any model')
      : criterion === 'service'
        ? vscode.l10n.t('Any service')
        : vscode.l10n.t('Any user');
  const current = tree.currentFilter?.[criterion];
  const items: (vscode.QuickPickItem & { value?: string })[] = [
    { label: `$(circle-slash) ${anyLabel}` },
    ...values.map((v) => ({
      label: v.value,
      value: v.value,
      description: v.count === 1 ? vscode.l10n.t('1 trace') : vscode.l10n.t('{0} traces', String(v.count)),
      ...(v.value === current ? { picked: true, detail: vscode.l10n.t('the filter now') } : {}),
    })),
  ];
  const title =
    criterion === 'model'
      ? vscode.l10n.t('Filter by Model')
      : criterion === 'service'
        ? vscode.l10n.t('Filter by Service')
        : vscode.l10n.t('Filter by User');
  const choice = await vscode.window.showQuickPick(items, {
    title,
    placeHolder: vscode.l10n.t('Type to narrow the list'),
  });
  if (!choice) return;
  const next: TraceFilter = { ...tree.currentFilter };
  if (choice.value === undefined) delete next[criterion];
  else next[criterion] = choice.value;
  return tree.setFilter(next);
}

async function askMinimum(tree: TraceTreeProvider, criterion: 'minTokens' | 'minCostUsd'): Promise<void> {
  const current = tree.currentFilter?.[criterion];
  const text = await vscode.window.showInputBox({
    title: criterion === 'minTokens' ? vscode.l10n.t('Minimum Tokens') : vscode.l10n.t('Minimum Cost'),
    prompt:
      criterion === 'minTokens'
        ? vscode.l10n.t('Traces of at least this many tokens, e.g. 2000 or 12k. Empty: any.')
        : vscode.l10n.t('Traces that cost at least this many US dollars, e.g. 0.05. Empty: any.'),
    value: current !== undefined ? String(current) : '',
    validateInput: (value) =>
      Number.isNaN(parseMinimum(value)) ? vscode.l10n.t('Type a number, or nothing for any.') : undefined,
  });
  if (text === undefined) return;
  const next: TraceFilter = { ...tree.currentFilter };
  const value = parseMinimum(text);
  if (value === undefined) delete next[criterion];
  else next[criterion] = value;
  return tree.setFilter(next);
}
