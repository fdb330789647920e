// The extension host's view of the engine's store: every trace's summary, and the outline or the whole of
// the few traces the host shows (the tree's expanded traces, the open panels), kept up to date by the
// engine's change messages. It reads like the store (list, findSession, sessions, getTrace), so trees and
// commands work over either; what it does not hold it asks the engine for (`load`).

import type { Summary, SummaryWindow } from '../core/aggregate';
import type { Trace, TraceSummary } from '../core/model';
import type { TelemetryBatch } from '../core/records';
import type { SearchResult } from '../core/search';
import type { PanelStateOptions, TextSearchOptions } from '../core/source';
import type { Disposable, StoreChange } from '../core/store';
import { outlineOf } from './outline';
import type { ChangeMessage, WatchLevel } from './protocol';

export interface MirrorDeps {
  load(traceId: string, level: WatchLevel): Promise<Trace | undefined>;
  /** The engine stops sending these traces, or (`toOutline`) sends only their outlines. */
  unwatch(traceIds: string[], toOutline?: boolean): void;
  sync(): Promise<void>;
  clear(): Promise<void>;
  /** The raw records of these traces, from the engine's store. */
  records(traceIds: readonly string[]): Promise<TelemetryBatch>;
  /** The Summary view's figures, added up by the engine over every call it stores. */
  summarize?(window: SummaryWindow): Promise<Summary>;
  /** The engine's text search over its store's records. */
  search(text: string, options: TextSearchOptions): Promise<SearchResult>;
  /** A conversation panel's first state of a trace, built by the engine (UTF-8 JSON). */
  panelState(traceId: string, options: PanelStateOptions): Promise<Uint8Array | undefined>;
}

/** Outlines kept (the tree's expanded traces), and whole traces kept (open panels, recent reads). */
const MAX_OUTLINES = 500;
const MAX_FULL = 16;

export class MirrorStore {
  private readonly summaries = new Map<string, TraceSummary>();
  private readonly outlines = new Map<string, Trace>();
  private readonly full = new Map<string, Trace>();
  private readonly listeners = new Set<(change: StoreChange) => void>();
  /** Loads in flight, so a trace asked for twice is fetched once. */
  private readonly loading = new Map<string, Promise<Trace | undefined>>();
  private sorted: TraceSummary[] | undefined;

  constructor(private readonly deps: MirrorDeps) {}

  get size(): number {
    return this.summaries.size;
  }

  /** Applies one change message from the engine and tells listeners. */
  apply(message: ChangeMessage): void {
    if (message.cleared) {
      this.summaries.clear();
      this.outlines.clear();
      this.full.clear();
    }
    for (const id of message.removed) {
      this.summaries.delete(id);
      this.outlines.delete(id);
      this.full.delete(id);
    }
    for (const s of message.summaries) this.summaries.set(s.traceId, s);
    for (const t of message.outlines) if (this.outlines.has(t.traceId)) this.outlines.set(t.traceId, t);
    for (const t of message.full) {
      if (this.full.has(t.traceId)) this.full.set(t.traceId, t);
      // Watched whole by the engine but kept here only as an outline (the whole copy was dropped).
      if (this.outlines.has(t.traceId)) this.outlines.set(t.traceId, outlineOf(t));
    }
    this.sorted = undefined;
    const change: StoreChange = {
      changed: message.summaries.map((s) => s.traceId),
      removed: message.removed,
      cleared: message.cleared,
    };
    for (const listener of [...this.listeners]) listener(change);
  }

  /** Every trace, newest first. */
  list(): TraceSummary[] {
    this.sorted ??= [...this.summaries.values()].sort((a, b) => b.startMs - a.startMs);
    return this.sorted.slice();
  }

  summary(traceId: string): TraceSummary | undefined {
    return this.summaries.get(traceId.toLowerCase());
  }

  has(traceId: string): boolean {
    return this.summaries.has(traceId.toLowerCase());
  }

  /** The whole trace when it is held, else its outline when held; load() brings either. */
  getTrace(traceId: string): Trace | undefined {
    const id = traceId.toLowerCase();
    return this.full.get(id) ?? this.outlines.get(id);
  }

  /** Whether the trace is held whole (with its messages), not only as an outline. */
  isWhole(traceId: string): boolean {
    return this.full.has(traceId.toLowerCase());
  }

  /**
   * Brings the outline or the whole of a trace from the engine and keeps it up to date from then on; the
   * least recently loaded go first past the bounds (the engine stops sending them).
   */
  async load(traceId: string, level: WatchLevel): Promise<Trace | undefined> {
    const id = traceId.toLowerCase();
    const held = level === 'full' ? this.full.get(id) : this.getTrace(id);
    if (held) {
      this.touch(level === 'full' ? this.full : this.outlines.has(id) ? this.outlines : this.full, id, held);
      return held;
    }
    const key = `${level}|${id}`;
    let pending = this.loading.get(key);
    if (!pending) {
      pending = this.deps.load(id, level).finally(() => this.loading.delete(key));
      this.loading.set(key, pending);
    }
    const trace = await pending;
    if (!trace) return undefined;
    // A change message may have removed it while the answer travelled.
    if (!this.summaries.has(id)) this.summaries.set(id, trace.summary);
    const map = level === 'full' ? this.full : this.outlines;
    this.touch(map, id, map.get(id) ?? trace);
    this.bound();
    return map.get(id);
  }

  findSession(sessionId: string): TraceSummary[] {
    const key = sessionId.trim();
    return this.oldestFirst((s) => s.sessionId === key);
  }

  findUser(userId: string): TraceSummary[] {
    const key = userId.trim();
    return this.oldestFirst((s) => s.userId === key);
  }

  sessions(): { sessionId: string; traceCount: number; lastMs: number }[] {
    const bySession = new Map<string, { sessionId: string; traceCount: number; lastMs: number }>();
    for (const s of this.summaries.values()) {
      if (!s.sessionId) continue;
      const entry = bySession.get(s.sessionId) ?? { sessionId: s.sessionId, traceCount: 0, lastMs: 0 };
      entry.traceCount++;
      entry.lastMs = Math.max(entry.lastMs, s.startMs);
      bySession.set(s.sessionId, entry);
    }
    return [...bySession.values()].sort((a, b) => b.lastMs - a.lastMs);
  }

  onDidChange(listener: (change: StoreChange) => void): Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Nothing to do synchronously: the engine's changes arrive on their own (see sync()). */
  flush(): void {}

  /** Resolves once every change the engine holds has been applied here. */
  sync(): Promise<void> {
    return this.deps.sync();
  }

  clear(): Promise<void> {
    return this.deps.clear();
  }

  records(traceIds: readonly string[]): Promise<TelemetryBatch> {
    return this.deps.records(traceIds);
  }

  summarize(window: SummaryWindow): Promise<Summary> {
    if (!this.deps.summarize) return Promise.reject(new Error('This store cannot summarize.'));
    return this.deps.summarize(window);
  }

  panelState(traceId: string, options: PanelStateOptions): Promise<Uint8Array | undefined> {
    return this.deps.panelState(traceId.toLowerCase(), options);
  }

  search(text: string, options: TextSearchOptions = {}): Promise<SearchResult> {
    return this.deps.search(text, options);
  }

  dispose(): void {
    this.listeners.clear();
  }

  private oldestFirst(keep: (s: TraceSummary) => boolean): TraceSummary[] {
    const out: TraceSummary[] = [];
    for (const s of this.summaries.values()) if (keep(s)) out.push(s);
    return out.sort((a, b) => a.startMs - b.startMs);
  }

  private touch(map: Map<string, Trace>, id: string, trace: Trace): void {
    map.delete(id);
    map.set(id, trace);
  }

  private bound(): void {
    const dropped: string[] = [];
    const toOutline: string[] = [];
    for (const [map, max] of [
      [this.full, MAX_FULL],
      [this.outlines, MAX_OUTLINES],
    ] as const) {
      while (map.size > max) {
        const oldest = map.keys().next().value as string;
        map.delete(oldest);
        if (!this.full.has(oldest) && !this.outlines.has(oldest)) dropped.push(oldest);
        else if (map === this.full) toOutline.push(oldest);
      }
    }
    if (dropped.length > 0) this.deps.unwatch(dropped);
    // Still in the tree but no longer whole here: the engine need not read and send it whole any more.
    if (toOutline.length > 0) this.deps.unwatch(toOutline, true);
  }
}
