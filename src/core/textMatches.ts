// One source's answer to a view's filter text: the traces whose records contain it, kept up to date as
// the source's store changes. The search runs where the records are (the engine's worker, a file's or a
// connection's store); each view (the LLM Traces view, and each source under the Application Insights and
// OTLP Files views) holds one of these per source it lists.

import { DEFAULT_SEARCH_LIMIT, type SearchResult } from './search';
import type { TextSearchOptions } from './source';
import type { StoreChange } from './store';

export type TextSearch = (text: string, options?: TextSearchOptions) => Promise<SearchResult>;

export class TextMatches {
  private text: string | undefined;
  /** The source's answer: undefined while the first answer travels. */
  private matches: Set<string> | undefined;
  private complete = true;
  private failure: string | undefined;
  /** Searches run one after another, so an answer about a few changed traces never precedes the full one. */
  private searches: Promise<void> = Promise.resolve();
  private generation = 0;

  /**
   * `onAnswer` hears each answer that changes what is listed: `whole` for the answer to a new text, not for
   * one about changed traces that moved none in or out.
   */
  constructor(
    private readonly search: TextSearch,
    private readonly onAnswer: (whole: boolean) => void,
    private readonly limit = DEFAULT_SEARCH_LIMIT,
  ) {}

  /** The text searched for; undefined when the filter has none. */
  get current(): string | undefined {
    return this.text;
  }

  /** True while the answer to the current text has not come (nothing passes meanwhile). */
  get pending(): boolean {
    return this.text !== undefined && this.matches === undefined && this.failure === undefined;
  }

  /** False when the search stopped at its limit: more traces may contain the text. */
  get completed(): boolean {
    return this.complete;
  }

  get error(): string | undefined {
    return this.failure;
  }

  /** Whether the trace contains the text (always true without a text; false while the answer travels). */
  has(traceId: string): boolean {
    return this.text === undefined || this.matches?.has(traceId) === true;
  }

  /** The matching trace ids, for `matchesSummary` (undefined while the answer travels). */
  get set(): ReadonlySet<string> | undefined {
    return this.matches;
  }

  /** Searches for a new text (or none); resolves once its answer is in. The same text searches nothing. */
  setText(text: string | undefined): Promise<void> {
    if (text === this.text) return this.searches;
    this.text = text;
    this.generation++;
    this.matches = undefined;
    this.complete = true;
    this.failure = undefined;
    if (text === undefined) return this.searches;
    return this.run(text);
  }

  /** Follows a change of the source's store: only the traces that changed are searched again. */
  storeChanged(change: StoreChange): void {
    const text = this.text;
    if (text === undefined) return;
    if (change.cleared) this.matches = new Set();
    for (const id of change.removed) this.matches?.delete(id);
    if (change.changed.length > 0) void this.run(text, change.changed);
  }

  /** Resolves once every search started so far has answered. */
  settled(): Promise<void> {
    return this.searches;
  }

  /** Runs after the searches before it; an answer for a text no longer searched for is dropped. */
  private run(text: string, traceIds?: readonly string[]): Promise<void> {
    const generation = this.generation;
    const step = async (): Promise<void> => {
      if (generation !== this.generation) return;
      try {
        const result = await this.search(text, traceIds ? { traceIds } : { limit: this.limit });
        if (generation !== this.generation) return;
        if (!traceIds) {
          this.matches = new Set(result.traceIds);
          this.complete = result.complete;
        } else {
          const found = new Set(result.traceIds);
          const matches = (this.matches ??= new Set());
          let moved = false;
          for (const raw of traceIds) {
            const id = raw.toLowerCase();
            if (found.has(id) === matches.has(id)) continue;
            moved = true;
            if (found.has(id)) matches.add(id);
            else matches.delete(id);
          }
          // The store's change has redrawn the view already: draw again only when a trace came in or went.
          if (!moved && this.failure === undefined) return;
        }
        this.failure = undefined;
      } catch (err) {
        if (generation !== this.generation) return;
        this.failure = err instanceof Error ? err.message : String(err);
      }
      this.onAnswer(!traceIds);
    };
    this.searches = this.searches.then(step);
    return this.searches;
  }
}
