// A view's filter: Filter… (one quick pick of every criterion, each showing its current value; models,
// services and users offered from the traces listed), Filter by Text… (straight to the text, for a key
// binding) and Clear Filter, and Group By… (trace, session or user). The LLM Traces view has these under
// the first ids; the Application Insights and OTLP Files views have their own (a view's title button
// passes no argument to say which view it is). Scripts and tests pass the criteria as arguments and see
// no prompt.

import * as vscode from 'vscode';
import { formatTokens, formatUsd } from '../core/format';
import { GROUP_MODES, type GroupMode } from '../core/grouping';
import type { TraceSummary } from '../core/model';
import type { LocalTraces } from '../core/source';
import { filterChoices, parseMinimum, type TraceFilter } from '../core/traceFilter';
import { Commands } from './ids';
import type { TraceTreeProvider } from './traceTree';

export interface FilterDeps {
  store: LocalTraces;
  tree: TraceTreeProvider;
}

/** What the filter commands need of a view. */
export interface FilterableView {
  readonly currentFilter: TraceFilter | undefined;
  setFilter(filter: TraceFilter | undefined): Promise<void>;
  /** The traces whose models, services and users the pickers offer. */
  summaries(): TraceSummary[];
  /** The quick pick's title: "Filter the LLM Traces view". */
  readonly filterTitle: string;
  /** Where the text is looked for, when that is not every record of the source. */
  readonly textScope?: string;
}

/** What the grouping commands need of a view. */
export interface GroupableView {
  readonly grouped: GroupMode;
  setGroupBy(mode: GroupMode): void;
  /** The quick pick's title: "Group LLM Traces by". */
  readonly groupTitle: string;
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
  const { tree, store } = deps;
  const view: FilterableView = {
    get currentFilter() {
      return tree.currentFilter;
    },
    setFilter: (filter) => tree.setFilter(filter),
    summaries: () => store.list(),
    filterTitle: vscode.l10n.t('Filter the LLM Traces view'),
  };
  return [
    ...registerViewFilterCommands(view, {
      filter: Commands.filter,
      filterByText: Commands.filterByText,
      clearFilter: Commands.clearFilter,
    }),
  ];
}

/** Filter…, Filter by Text… (when the view has the id) and Clear Filter of one view. */
export function registerViewFilterCommands(
  view: FilterableView,
  ids: { filter: string; filterByText?: string; clearFilter: string },
): vscode.Disposable[] {
  const out = [
    vscode.commands.registerCommand(ids.filter, async (arg?: unknown) => {
      const given = filterFromArgument(view.currentFilter, arg);
      if (given) return view.setFilter(given);
      return chooseFilter(view);
    }),
    vscode.commands.registerCommand(ids.clearFilter, () => view.setFilter(undefined)),
  ];
  if (ids.filterByText)
    out.push(
      vscode.commands.registerCommand(ids.filterByText, async (text?: unknown) => {
        if (typeof text === 'string') return view.setFilter({ ...view.currentFilter, text });
        return askText(view);
      }),
    );
  return out;
}

/** Group By… of one view: a quick pick, or the mode given as the argument. */
export function registerGroupCommand(view: GroupableView, id: string): vscode.Disposable {
  return vscode.commands.registerCommand(id, (mode?: unknown) => {
    if (GROUP_MODES.includes(mode as GroupMode)) return view.setGroupBy(mode as GroupMode);
    return chooseGrouping(view);
  });
}

export async function chooseGrouping(view: GroupableView): Promise<void> {
  const labels: Record<GroupMode, string> = {
    trace: vscode.l10n.t('Traces'),
    session: vscode.l10n.t('Sessions'),
    user: vscode.l10n.t('Users'),
  };
  const details: Record<GroupMode, string> = {
    trace: vscode.l10n.t('Every trace on its own, newest first'),
    session: vscode.l10n.t('Each session with its turns, oldest turn first, and its totals'),
    user: vscode.l10n.t('Each user with their sessions and totals'),
  };
  const pick = await vscode.window.showQuickPick(
    GROUP_MODES.map((mode) => ({
      label: `${mode === view.grouped ? '$(check) ' : ''}${labels[mode]}`,
      detail: details[mode],
      mode,
    })),
    { title: view.groupTitle, placeHolder: labels[view.grouped] },
  );
  if (pick) view.setGroupBy(pick.mode);
}

async function chooseFilter(view: FilterableView): Promise<void> {
  const f = view.currentFilter ?? {};
  const any = vscode.l10n.t('any');
  const items: (vscode.QuickPickItem & { criterion: Criterion })[] = [
    {
      criterion: 'text',
      label: `$(search) ${vscode.l10n.t('Text…')}`,
      description: f.text ?? any,
      detail: view.textScope ?? vscode.l10n.t('In message content, span names and attribute values'),
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
  if (view.currentFilter)
    items.push({ criterion: 'clear', label: `$(clear-all) ${vscode.l10n.t('Clear Filter')}` });
  const choice = await vscode.window.showQuickPick(items, {
    title: view.filterTitle,
    placeHolder: vscode.l10n.t('Pick what to filter by; every criterion set must hold'),
    matchOnDescription: true,
  });
  if (!choice) return;
  switch (choice.criterion) {
    case 'clear':
      return view.setFilter(undefined);
    case 'text':
      return askText(view);
    case 'errorsOnly':
      return view.setFilter({ ...f, errorsOnly: !f.errorsOnly });
    case 'minTokens':
    case 'minCostUsd':
      return askMinimum(view, choice.criterion);
    default:
      return pickValue(view, choice.criterion);
  }
}

async function askText(tree: FilterableView): Promise<void> {
  const text = await vscode.window.showInputBox({
    title: vscode.l10n.t('Filter by Text'),
    prompt: [
      vscode.l10n.t(
        'Traces whose messages, span names or attribute values contain every word; "quote" a phrase. Empty: any text.',
      ),
      ...(tree.textScope ? [tree.textScope] : []),
    ].join(' '),
    value: tree.currentFilter?.text ?? '',
  });
  if (text === undefined) return;
  return tree.setFilter({ ...tree.currentFilter, text });
}

async function pickValue(tree: FilterableView, criterion: 'model' | 'service' | 'userId'): Promise<void> {
  const choices = filterChoices(tree.summaries());
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

async function askMinimum(tree: FilterableView, criterion: 'minTokens' | 'minCostUsd'): Promise<void> {
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
