// An opened OTLP JSON file as a read-only trace source: its records go into a store of its own once, when
// the file is read, and nothing arrives later. Everything else (the tree, the panels, Find by Session ID,
// export, compare) reads it as any other source. Its GenAI metric points are added up apart, as the
// engine does for the receiver, so the file's Summary shows them beside the span figures.

import type { Normalizer } from '../core/store';
import { DEFAULT_MAX_BYTES, TraceStore } from '../core/store';
import type { Summary, SummaryWindow } from '../core/aggregate';
import { GenAiMetrics, summarizeWithMetrics } from '../core/genaiMetrics';
import type { TraceSummary } from '../core/model';
import type { TelemetryBatch } from '../core/records';
import { searchStore, type SearchResult } from '../core/search';
import type { PersonKind, TextSearchOptions, TraceSource } from '../core/source';
import { readOtlpFile, type OtlpFileContents } from './fileReader';

export const FILE_SOURCE_PREFIX = 'file:';
/** Traces one file may hold in the window; a file with more keeps the newest-updated ones. */
const MAX_FILE_TRACES = 100_000;

export function fileSourceId(uri: string): string {
  return `${FILE_SOURCE_PREFIX}${uri}`;
}

export function isFileSourceId(sourceId: string | undefined): boolean {
  return sourceId?.startsWith(FILE_SOURCE_PREFIX) === true;
}

/** What reading the file gave, for the message that says it opened. */
export interface FileSummary {
  traces: number;
  spans: number;
  logs: number;
  metricCount: number;
  /** Data points of the GenAI metrics among them, kept for the Summary. */
  genAiMetricPoints: number;
  format: OtlpFileContents['format'];
  problems: OtlpFileContents['problems'];
  problemCount: number;
  /** Traces the store did not keep (over its bounds). */
  evictedTraces: number;
  bytes: number;
}

export class FileSource implements TraceSource {
  readonly kind = 'file' as const;
  readonly id: string;

  private constructor(
    /** The file's URI as text. */
    readonly uri: string,
    readonly label: string,
    readonly store: TraceStore,
    readonly summary: FileSummary,
    /** The file's GenAI metrics, added up once. */
    readonly metrics: GenAiMetrics,
  ) {
    this.id = fileSourceId(uri);
  }

  /** Reads the file's bytes; throws OtlpFileTooLargeError over the size limit. */
  static read(uri: string, label: string, bytes: Uint8Array, normalizer: Normalizer): FileSource {
    const contents = readOtlpFile(bytes);
    const store = new TraceStore({
      maxTraces: MAX_FILE_TRACES,
      maxBytes: DEFAULT_MAX_BYTES,
      normalizer,
      debounceMs: 0,
    });
    // Spans and log records in one batch: each log record joins its span at once.
    store.ingest({ spans: contents.spans, logs: contents.logs }, 'file');
    store.flush();
    const metrics = new GenAiMetrics();
    metrics.add(contents.metrics);
    const stats = store.stats();
    return new FileSource(
      uri,
      label,
      store,
      {
        traces: store.size,
        spans: stats.spans,
        logs: stats.logs,
        metricCount: contents.metricCount,
        genAiMetricPoints: contents.metrics.length,
        format: contents.format,
        problems: contents.problems,
        problemCount: contents.problemCount,
        evictedTraces: stats.evictedTraces,
        bytes: bytes.byteLength,
      },
      metrics,
    );
  }

  loadTrace(): Promise<void> {
    return Promise.resolve();
  }

  find(kind: PersonKind, value: string): Promise<TraceSummary[]> {
    return Promise.resolve(kind === 'session' ? this.store.findSession(value) : this.store.findUser(value));
  }

  noteFor(): string | undefined {
    return undefined;
  }

  isComplete(): boolean {
    return true;
  }

  records(traceIds: readonly string[]): Promise<TelemetryBatch> {
    return Promise.resolve(this.store.records(traceIds));
  }

  /** The same figures as the local source's, from this file's own store and metrics. */
  summarize(window: SummaryWindow): Promise<Summary> {
    return Promise.resolve(summarizeWithMetrics((w) => this.store.summarize(w), this.metrics, window));
  }

  search(text: string, options: TextSearchOptions = {}): Promise<SearchResult> {
    // On the host's thread: a large file yields between batches.
    return searchStore(this.store, text, { ...options, pause: () => new Promise((r) => setTimeout(r, 0)) });
  }

  dispose(): void {
    this.store.dispose();
  }
}
