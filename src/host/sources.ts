// Every trace source the window has: the local receiver's, and one per Application Insights connection.
// The panels, the commands and Find by Session ID look sources up here by id; a change to any source's
// traces is heard through one event.

import * as vscode from 'vscode';
import { LOCAL_SOURCE_ID, type TraceSource } from '../core/source';
import type { StoreChange } from '../core/store';

export interface SourceCatalog {
  /** The source with this id; no id means the local one. */
  get(sourceId: string | undefined): TraceSource | undefined;
  all(): TraceSource[];
  readonly onDidChangeTraces: vscode.Event<{ sourceId: string; change: StoreChange }>;
  /** A source was added or removed (a connection made, dropped or rebuilt). */
  readonly onDidChangeSources: vscode.Event<void>;
}

export class TraceSources implements SourceCatalog, vscode.Disposable {
  private readonly sources = new Map<string, { source: TraceSource; subscription: { dispose(): void } }>();
  private readonly tracesChanged = new vscode.EventEmitter<{ sourceId: string; change: StoreChange }>();
  readonly onDidChangeTraces = this.tracesChanged.event;
  private readonly setChanged = new vscode.EventEmitter<void>();
  /** A source was added or removed. */
  readonly onDidChangeSources = this.setChanged.event;

  constructor(readonly local: TraceSource) {
    this.add(local);
  }

  get(sourceId: string | undefined): TraceSource | undefined {
    return this.sources.get(sourceId ?? LOCAL_SOURCE_ID)?.source;
  }

  all(): TraceSource[] {
    return [...this.sources.values()].map((s) => s.source);
  }

  /** Cloud sources, in the order they were added. */
  remote(): TraceSource[] {
    return this.all().filter((s) => s.id !== LOCAL_SOURCE_ID);
  }

  add(source: TraceSource): void {
    this.remove(source.id);
    const subscription = source.store.onDidChange((change) =>
      this.tracesChanged.fire({ sourceId: source.id, change }),
    );
    this.sources.set(source.id, { source, subscription });
    this.setChanged.fire();
  }

  remove(sourceId: string): void {
    const entry = this.sources.get(sourceId);
    if (!entry || sourceId === LOCAL_SOURCE_ID) return;
    entry.subscription.dispose();
    this.sources.delete(sourceId);
    this.setChanged.fire();
  }

  dispose(): void {
    for (const { subscription } of this.sources.values()) subscription.dispose();
    this.sources.clear();
    this.tracesChanged.dispose();
    this.setChanged.dispose();
  }
}
