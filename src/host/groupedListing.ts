// The grouping and filter of a view that lists several sources, each under a node of its own (a
// connection in the Application Insights view, a file in the OTLP Files view): the traces a source lists
// pass the view's filter, then show one by one or under their sessions or users, with totals, exactly as
// in the LLM Traces view (the same grouping, tree model and filter). The filter's text is searched by
// each source in what it holds, and searched again as its store changes.

import * as vscode from 'vscode';
import { groupModeOf, groupTraces, type GroupMode, type Grouping } from '../core/grouping';
import type { TraceSummary } from '../core/model';
import type { SearchResult } from '../core/search';
import type { TextSearchOptions, TraceReader } from '../core/source';
import { TextMatches } from '../core/textMatches';
import { matchesSummary, normalizeFilter, type TraceFilter } from '../core/traceFilter';
import type { FilterableView, GroupableView } from './filterCommands';
import { describeGroupedNode, describeNode, groupedTooltip } from './traceTree';
import {
  groupChildNodes,
  groupParentNode,
  groupRootNodes,
  nodeTooltip,
  type NodeView,
  type TreeNode,
} from './treeModel';
import { filterLine, filterParts, groupPart } from './viewFilter';

/** What the listing reads of a source. */
export interface ListedSource {
  readonly id: string;
  readonly store: TraceReader;
  search?(text: string, options?: TextSearchOptions): Promise<SearchResult>;
}

export interface GroupedListingOptions<S extends ListedSource> {
  /** The sources the view lists now. */
  sources(): S[];
  /** The traces a source lists, in its order (a connection: what its pages fetched). */
  listedOf(source: S): readonly string[];
  /** Redraws the tree (the grouping, the filter or an answer to its text changed). */
  redraw(): void;
  /** Where the grouping is remembered, per workspace. */
  memento?: vscode.Memento;
  mementoKey: string;
  /** The context key that says the view is filtered (its Clear Filter shows then). */
  filteredContextKey: string;
  filterTitle: string;
  groupTitle: string;
  /** Where a source looks for the text, when that is not every record it could have. */
  textScope?: string;
}

export class GroupedListing<S extends ListedSource = ListedSource>
  implements FilterableView, GroupableView, vscode.Disposable
{
  private groupBy: GroupMode;
  private filter: TraceFilter | undefined;
  private readonly texts = new Map<string, { matches: TextMatches; subscription: vscode.Disposable }>();
  /** Each source's grouping of what it lists, built once per change, not once per node. */
  private readonly groupings = new Map<string, Grouping>();
  /** The view whose description and message name the grouping and the filter. */
  private view: { description?: string; message?: string } | undefined;

  constructor(private readonly options: GroupedListingOptions<S>) {
    this.groupBy = groupModeOf(options.memento?.get<unknown>(options.mementoKey));
  }

  attach(view: { description?: string; message?: string }): void {
    this.view = view;
    this.redraw();
  }

  /** The line under the view's title, as the view shows it. */
  get shownDescription(): string | undefined {
    return this.view?.description;
  }

  /** The line above the tree, as the view shows it. */
  get shownMessage(): string | undefined {
    return this.view?.message;
  }

  /** Names the grouping and the filter in the view, then redraws the tree. */
  redraw(): void {
    if (this.view) {
      this.view.description = this.description();
      this.view.message = this.message();
    }
    this.options.redraw();
  }

  get filterTitle(): string {
    return this.options.filterTitle;
  }

  get groupTitle(): string {
    return this.options.groupTitle;
  }

  get textScope(): string | undefined {
    return this.options.textScope;
  }

  get grouped(): GroupMode {
    return this.groupBy;
  }

  setGroupBy(mode: GroupMode): void {
    if (mode === this.groupBy) return;
    this.groupBy = mode;
    void this.options.memento?.update(this.options.mementoKey, mode);
    this.groupings.clear();
    this.redraw();
  }

  get currentFilter(): TraceFilter | undefined {
    return this.filter && { ...this.filter };
  }

  /** Resolves once every source listed now has answered the text, if any. */
  setFilter(filter: TraceFilter | undefined): Promise<void> {
    const next = normalizeFilter(filter);
    const textChanged = next?.text !== this.filter?.text;
    this.filter = next;
    if (textChanged) this.dropTexts();
    this.groupings.clear();
    void vscode.commands.executeCommand('setContext', this.options.filteredContextKey, next !== undefined);
    const searched =
      next?.text !== undefined
        ? Promise.all(this.options.sources().map((s) => this.textOf(s).settled()))
        : undefined;
    this.redraw();
    return searched ? searched.then(() => undefined) : Promise.resolve();
  }

  summaries(): TraceSummary[] {
    return this.options.sources().flatMap((s) => this.passing(s, this.options.listedOf(s), false));
  }

  /** The source's store changed, or the traces it lists: groups are built again on the next read. */
  invalidate(sourceId?: string): void {
    if (sourceId === undefined) this.groupings.clear();
    else this.groupings.delete(sourceId);
  }

  /** A source went away: what was kept for it goes too. */
  forget(sourceId: string): void {
    this.groupings.delete(sourceId);
    const text = this.texts.get(sourceId);
    text?.subscription.dispose();
    this.texts.delete(sourceId);
  }

  /** The grouping shown, or undefined when each trace is a row of its own. */
  get mode(): Exclude<GroupMode, 'trace'> | undefined {
    return this.groupBy === 'trace' ? undefined : this.groupBy;
  }

  /** The traces of these (listed by the source, in its order) that pass the filter (if `filtered`). */
  private passing(source: S, traceIds: readonly string[], filtered = true): TraceSummary[] {
    const out: TraceSummary[] = [];
    const filter = filtered ? this.filter : undefined;
    const text = filter?.text !== undefined ? this.textOf(source) : undefined;
    for (const id of traceIds) {
      const summary = source.store.summary(id);
      if (summary && (!filter || matchesSummary(summary, filter, text?.set))) out.push(summary);
    }
    return out;
  }

  /** What a source node lists: its traces that pass the filter, one by one or in their groups. */
  nodes(source: S): TreeNode[] {
    const mode = this.mode;
    const sourceId = source.id;
    const traceIds = this.options.listedOf(source);
    if (!mode)
      return this.passing(source, traceIds).map((t) => ({ kind: 'trace', traceId: t.traceId, sourceId }));
    const grouping = groupTraces(this.passing(source, traceIds));
    this.groupings.set(sourceId, grouping);
    return groupRootNodes(grouping, mode).map((n) => ({ ...n, sourceId }));
  }

  /** A group node's children: a user's sessions, a session's turns. */
  children(source: S, node: TreeNode): TreeNode[] {
    return groupChildNodes(this.groupingOf(source), node).map((n) => ({ ...n, sourceId: source.id }));
  }

  /** Where a node sits in a grouped listing; undefined: right under the source's node. */
  parent(source: S, node: TreeNode): TreeNode | undefined {
    const mode = this.mode;
    if (!mode) return undefined;
    const parent = groupParentNode(this.groupingOf(source), mode, node, (id) => source.store.summary(id));
    return parent && { ...parent, sourceId: source.id };
  }

  describe(source: S, node: TreeNode): NodeView {
    if (!this.mode) return describeNode(source.store, node, false);
    return describeGroupedNode(this.groupingOf(source), source.store, node, false);
  }

  tooltip(source: S, node: TreeNode): string[] {
    if (!this.mode) return nodeTooltip(source.store, node);
    return groupedTooltip(this.groupingOf(source), node, source.store);
  }

  /** The line under the view's title: the grouping and the filter. */
  description(): string | undefined {
    const parts = [groupPart(this.groupBy), ...filterParts(this.filter)].filter(
      (d): d is string => d !== undefined,
    );
    return parts.length > 0 ? parts.join(' · ') : undefined;
  }

  /**
   * The line above the tree while filtered: how many of the listed traces pass, in every source, and
   * where the text was looked for.
   */
  message(): string | undefined {
    if (!this.filter) return undefined;
    let shown = 0;
    let pending = false;
    let completed = true;
    let error: string | undefined;
    for (const source of this.options.sources()) {
      shown += this.passing(source, this.options.listedOf(source)).length;
      const text = this.filter.text !== undefined ? this.textOf(source) : undefined;
      if (!text) continue;
      pending ||= text.pending;
      completed &&= text.completed;
      error ??= text.error;
    }
    const line = filterLine({ pending, completed, error }, shown);
    return this.filter.text !== undefined && this.options.textScope
      ? `${line} ${this.options.textScope}`
      : line;
  }

  private groupingOf(source: S): Grouping {
    let grouping = this.groupings.get(source.id);
    if (!grouping) {
      grouping = groupTraces(this.passing(source, this.options.listedOf(source)));
      this.groupings.set(source.id, grouping);
    }
    return grouping;
  }

  /** The source's answer to the filter's text, asked for the first time the source is listed. */
  private textOf(source: S): TextMatches {
    const known = this.texts.get(source.id);
    if (known) return known.matches;
    const search =
      source.search?.bind(source) ??
      (() => Promise.reject(new Error(vscode.l10n.t('This source cannot search its traces.'))));
    const matches = new TextMatches(search, () => {
      this.groupings.delete(source.id);
      this.redraw();
    });
    const subscription = source.store.onDidChange((change) => matches.storeChanged(change));
    this.texts.set(source.id, { matches, subscription });
    void matches.setText(this.filter?.text);
    return matches;
  }

  private dropTexts(): void {
    for (const { subscription } of this.texts.values()) subscription.dispose();
    this.texts.clear();
  }

  dispose(): void {
    this.dropTexts();
  }
}
