// The ingest engine: the OTLP receivers (HTTP and gRPC), the decoder, the request log and its replay,
// forwarding and the full trace store, run together off the editor's thread (worker.ts runs this in a
// worker thread; the headless receiver and the tests may run it anywhere). It answers the host's requests
// and sends it, at most once per debounce interval, the summaries of what changed plus the outline or the
// whole of the traces the host watches. It never touches the VS Code API.

import type { Logger } from '../core/logger';
import { ReceiverLogSummary } from '../core/throttle';
import { createNormalizer } from '../core/genai/normalize';
import { GenAiMetrics, summarizeWithMetrics } from '../core/genaiMetrics';
import type { Trace } from '../core/model';
import type { Summary, SummaryWindow } from '../core/aggregate';
import type { TelemetryBatch } from '../core/records';
import { searchStore } from '../core/search';
import { TraceStore, type IngestResult, type StoreChange } from '../core/store';
import { OtlpForwarder } from '../otlp/forwarder';
import { OtlpGrpcReceiver } from '../otlp/grpcReceiver';
import { OtlpHttpReceiver, PortInUseError, type ReceiverBatchInfo } from '../otlp/httpReceiver';
import { atOrBefore, RequestLog, type LogPosition } from '../otlp/requestLog';
import { replayRequestLog } from '../otlp/requestReplay';
import { outlineOf } from './outline';
import { buildPanelState } from '../views/conversationViewModel';
import { encodeState, type ConversationTarget } from '../protocol/conversation';
import {
  deleteSavedSummaries,
  readSavedSummaries,
  summariesFingerprint,
  writeSavedSummaries,
} from './savedSummaries';
import type {
  ChangeMessage,
  EngineOptions,
  EngineSettings,
  EngineStats,
  HostRequest,
  ListenResult,
  WatchLevel,
  WorkerMessage,
} from './protocol';

/** How many traces the host may watch; the oldest watch is dropped past it (the host asks again). */
const MAX_WATCHED = 2000;

/**
 * The summaries are saved this long after a change, and no sooner after the last save than twenty times
 * what it took: under steady load, saving costs the worker at most a twentieth of its time.
 */
const SAVE_AFTER_MS = 5000;

interface Running {
  http: OtlpHttpReceiver;
  grpc?: OtlpGrpcReceiver;
  forwarder?: OtlpForwarder;
}

export class IngestEngine {
  readonly store: TraceStore;
  /** The GenAI metrics' running totals, shown beside the span-derived figures in the Summary. */
  readonly metrics = new GenAiMetrics();
  private metricsTimer: ReturnType<typeof setTimeout> | undefined;
  private log: RequestLog | undefined;
  private readonly logger: Logger;
  private readonly watched = new Map<string, WatchLevel>();
  private running: Running | undefined;
  private replayCancelled = false;
  private replaying: Promise<unknown> | undefined;
  private readonly totals = { requests: 0, spans: 0, logs: 0, llmCalls: 0 };
  private receivedTimer: ReturnType<typeof setTimeout> | undefined;
  private options: EngineOptions;
  /** Under load, one line a second about accepted requests, and repeated refusals folded with a count. */
  private readonly requestLines: ReceiverLogSummary;
  private readonly receiverLogger: Logger;
  /** Saving the summaries beside the request log: a change since the last save, and when to save next. */
  private unsaved = false;
  private saveTimer: ReturnType<typeof setTimeout> | undefined;
  private lastSaveMs = 0;
  /**
   * How far into the log the store holds every record: the end of what the replay read, then of each
   * request this engine kept. Not the log's end, which another window's engine may have written since.
   */
  private covered: LogPosition | undefined;
  /** A replay was cut short (the log's settings changed meanwhile): the store lacks part of the log. */
  private incomplete = false;

  constructor(
    options: EngineOptions,
    private readonly post: (message: WorkerMessage) => void,
    logger: Logger,
    private readonly hooks: { between?: () => void } = {},
  ) {
    this.options = options;
    this.logger = logger;
    this.requestLines = new ReceiverLogSummary(logger);
    this.receiverLogger = this.requestLines.coalescing();
    this.store = new TraceStore({
      maxTraces: options.limits.maxTraces,
      ...(options.limits.maxBytes ? { maxBytes: options.limits.maxBytes } : {}),
      ...(options.limits.maxSpansPerTrace ? { maxSpansPerTrace: options.limits.maxSpansPerTrace } : {}),
      normalizer: createNormalizer({
        sessionAttributes: options.sessionAttributes,
        userAttributes: options.userAttributes,
        ...(options.pricing ? { pricing: options.pricing } : {}),
      }),
      debounceMs: options.debounceMs ?? 150,
    });
    this.store.onDidChange((change) => this.sendChanges(change));
    this.log = options.persist
      ? new RequestLog({ dir: options.persist.dir, maxBytes: options.persist.maxBytes, logger })
      : undefined;
  }

  /** Answers one request from the host; a rejection becomes an error response. */
  async handle(request: HostRequest): Promise<unknown> {
    switch (request.op) {
      case 'listen':
        return this.listen(request.settings);
      case 'stopListening':
        return this.stopListening();
      case 'load':
        return this.load(request.traceId, request.level);
      case 'unwatch':
        for (const raw of request.traceIds) {
          const id = raw.toLowerCase();
          if (request.toOutline && this.watched.has(id)) this.watched.set(id, 'outline');
          else this.watched.delete(id);
        }
        return undefined;
      case 'configure':
        return this.configure(request.options);
      case 'clear':
        this.replayCancelled = true;
        this.log?.clear();
        this.covered = undefined;
        this.incomplete = false;
        this.deleteSaved();
        this.store.clear();
        this.metrics.clear();
        return undefined;
      case 'sync':
        this.store.flush();
        return undefined;
      case 'replay':
        return this.replay();
      case 'stats':
        return this.stats();
      case 'records':
        this.store.flush();
        return this.store.records(request.traceIds);
      case 'summarize':
        return this.summarize(request.window);
      case 'panelState':
        return this.panelState(request);
      case 'search':
        this.store.flush();
        return searchStore(this.store, request.text, {
          ...(request.limit !== undefined ? { limit: request.limit } : {}),
          ...(request.traceIds ? { traceIds: request.traceIds } : {}),
          // Between batches the worker reads the next request or batch of spans.
          pause: () => new Promise((resolve) => setImmediate(resolve)),
        });
    }
  }

  stats(): EngineStats {
    return {
      received: { ...this.totals },
      store: this.store.stats(),
      heapUsed: process.memoryUsage().heapUsed,
    };
  }

  async dispose(): Promise<void> {
    // A replay cut short leaves the store without part of the log: what was saved before still holds.
    if (this.replaying) this.incomplete = true;
    this.replayCancelled = true;
    await this.stopListening();
    await this.replaying;
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    this.saveSummaries();
    this.store.dispose();
    this.log?.dispose();
    this.requestLines.dispose();
    if (this.receivedTimer) clearTimeout(this.receivedTimer);
    if (this.metricsTimer) clearTimeout(this.metricsTimer);
  }

  /** The span-derived figures, and beside them the metrics' own over the same window, when there are any. */
  summarize(window: SummaryWindow): Summary {
    return summarizeWithMetrics((w) => this.store.summarize(w), this.metrics, window);
  }

  /** Feeds a decoded request to the store (the receivers, the replay and the tests come through here). */
  ingest(batch: TelemetryBatch): IngestResult {
    this.addMetrics(batch);
    const result = this.store.ingest(batch, 'otlp');
    this.totals.requests++;
    this.totals.spans += result.spans;
    this.totals.logs += result.logs;
    this.totals.llmCalls += result.llmCalls;
    this.noteReceived();
    return result;
  }

  private async listen(settings: Extract<HostRequest, { op: 'listen' }>['settings']): Promise<ListenResult> {
    await this.stopListening();
    const onBatch = (batch: TelemetryBatch, info: ReceiverBatchInfo): void => this.onBatch(batch, info);
    const http = new OtlpHttpReceiver({
      host: settings.host,
      port: settings.port,
      maxBodyBytes: settings.maxRequestBytes,
      ...(settings.maxConcurrentRequests ? { maxConcurrentRequests: settings.maxConcurrentRequests } : {}),
      logger: this.receiverLogger,
      onBatch,
    });
    const address = await http.start();
    this.totals.requests = this.totals.spans = this.totals.logs = this.totals.llmCalls = 0;
    const running: Running = { http };
    const result: ListenResult = { host: address.host, port: address.port };
    if (settings.grpcPort !== undefined) {
      if (settings.grpcPort !== 0 && settings.grpcPort === address.port) {
        result.grpcProblem = { kind: 'samePort', port: settings.grpcPort, message: 'same port as HTTP' };
      } else {
        const grpc = new OtlpGrpcReceiver({
          host: settings.host,
          port: settings.grpcPort,
          maxBodyBytes: settings.maxRequestBytes,
          ...(settings.maxConcurrentRequests
            ? { maxConcurrentRequests: settings.maxConcurrentRequests }
            : {}),
          logger: this.receiverLogger,
          onBatch,
        });
        try {
          result.grpcPort = (await grpc.start()).port;
          running.grpc = grpc;
        } catch (err) {
          result.grpcProblem = {
            kind: err instanceof PortInUseError ? 'portInUse' : 'failed',
            port: settings.grpcPort,
            message: err instanceof Error ? err.message : String(err),
          };
        }
      }
    }
    if (settings.forwardTo)
      running.forwarder = new OtlpForwarder({ endpoint: settings.forwardTo, logger: this.receiverLogger });
    this.running = running;
    return result;
  }

  private async stopListening(): Promise<void> {
    const running = this.running;
    this.running = undefined;
    if (!running) return;
    await Promise.all([running.http.stop(), running.grpc?.stop()]);
    running.forwarder?.dispose();
    this.requestLines.flush();
  }

  private onBatch(batch: TelemetryBatch, info: ReceiverBatchInfo): void {
    // Kept before the receiver answers 200: what the exporter was told is stored survives a reload.
    if (this.log && info.body && this.log.append(info.signal, info.encoding, info.body))
      this.covered = this.log.position();
    // Sent on without waiting: forwarding never holds up receiving.
    if (this.running?.forwarder && info.body)
      void this.running.forwarder.forward(info.signal, info.encoding, info.body);
    const result = this.ingest(batch);
    this.hooks.between?.();
    this.requestLines.accepted({
      signal: info.signal,
      encoding: info.encoding,
      bytes: info.bytes,
      spans: result.spans,
      logs: result.logs,
      uncorrelatedLogs: result.uncorrelatedLogs,
      repeatedLogs: result.repeatedLogs,
    });
  }

  /** The outline or the whole of one trace, from now on kept up to date in every change message. */
  private load(rawTraceId: string, level: WatchLevel): Trace | undefined {
    const traceId = rawTraceId.toLowerCase();
    this.store.flush();
    const current = this.watched.get(traceId);
    const next: WatchLevel = current === 'full' || level === 'full' ? 'full' : 'outline';
    this.watched.delete(traceId);
    this.watched.set(traceId, next);
    while (this.watched.size > MAX_WATCHED) this.watched.delete(this.watched.keys().next().value as string);
    return this.traceAt(traceId, level);
  }

  private panelState(request: Extract<HostRequest, { op: 'panelState' }>): Uint8Array | undefined {
    this.store.flush();
    const trace = this.store.getTrace(request.traceId.toLowerCase());
    if (!trace) return undefined;
    const target: ConversationTarget = { traceId: trace.traceId };
    if (request.spanId !== undefined) target.spanId = request.spanId;
    return encodeState(buildPanelState(trace, target, request.nowMs, {}, request.maxAttributeLength));
  }

  private traceAt(traceId: string, level: WatchLevel): Trace | undefined {
    if (level === 'full') return this.store.getTrace(traceId);
    const outline = this.store.getOutline(traceId);
    return outline && outlineOf(outline);
  }

  private configure(settings: EngineSettings): void {
    const { persist, ...options } = settings;
    if (persist !== undefined) this.setPersist(persist ?? undefined);
    this.options = { ...this.options, ...options };
    if (options.limits) this.store.setLimits(options.limits);
    // Every stored span is read again, so a price that changed re-prices the traces already kept.
    if (options.sessionAttributes || options.userAttributes || options.pricing) {
      this.store.setNormalizer(
        createNormalizer({
          sessionAttributes: this.options.sessionAttributes,
          userAttributes: this.options.userAttributes,
          ...(this.options.pricing ? { pricing: this.options.pricing } : {}),
        }),
      );
    }
  }

  /**
   * Keeping requests turned on (from now on; nothing earlier is read), off (what was kept is deleted, as the
   * user asked for nothing to stay on disk), or given another budget.
   */
  private setPersist(persist: EngineOptions['persist']): void {
    const before = this.options.persist;
    if (before?.dir === persist?.dir && before?.maxBytes === persist?.maxBytes) return;
    if (this.replaying) this.incomplete = true;
    this.replayCancelled = true;
    if (!persist) {
      this.log?.clear();
      this.deleteSaved();
    }
    this.log?.dispose();
    this.covered = undefined;
    this.log = persist
      ? new RequestLog({ dir: persist.dir, maxBytes: persist.maxBytes, logger: this.logger })
      : undefined;
    if (persist) this.options = { ...this.options, persist };
    else delete this.options.persist;
  }

  private async replay(): Promise<void> {
    if (!this.log || this.replaying) return;
    const started = Date.now();
    this.replayCancelled = false;
    // Kept requests are stored again but not counted as received: the counts are of what apps sent since the
    // receiver started.
    // What the last session saved of the same records: their traces need not be read again.
    const dir = this.options.persist?.dir;
    const saved = dir ? readSavedSummaries(dir, this.fingerprint(), this.logger) : undefined;
    let restoring = saved !== undefined;
    let taken = 0;
    if (saved) this.store.beginRestore(saved.traces);
    const log = this.log;
    const run = replayRequestLog(
      log,
      (batch, at) => {
        if (!this.covered || !atOrBefore(at, this.covered)) this.covered = at;
        if (restoring && !atOrBefore(at, saved!.position)) {
          restoring = false;
          taken = this.store.endRestore();
        }
        this.addMetrics(batch);
        this.store.ingest(batch, 'otlp', true);
      },
      {
        // Clear Local Traces during the replay: what is still to come stays cleared.
        cancelled: () => this.replayCancelled,
      },
    )
      .then((r) => {
        if (restoring) taken = this.store.endRestore();
        this.store.flush();
        this.post({
          type: 'replayed',
          ...r,
          ...(saved ? { savedTraces: taken } : {}),
          ms: Date.now() - started,
        });
      })
      .finally(() => {
        this.replaying = undefined;
        if (this.unsaved) this.scheduleSave();
      });
    this.replaying = run;
    await run;
  }

  private sendChanges(change: StoreChange): void {
    if (change.changed.length > 0 || change.removed.length > 0 || change.cleared) {
      this.unsaved = true;
      this.scheduleSave();
    }
    const message: ChangeMessage = {
      type: 'changes',
      cleared: change.cleared,
      summaries: [],
      removed: change.removed,
      outlines: [],
      full: [],
    };
    if (change.cleared) this.watched.clear();
    for (const id of change.removed) this.watched.delete(id);
    // Summaries and outlines come from what the store indexed at ingest; only the few traces a panel
    // shows are read whole (their message content parsed) here. An unwatched trace sends its summary alone:
    // reading its outline would warm it, and in a burst of more traces than the store keeps warm, read every
    // cold one's spans again.
    for (const id of change.changed) {
      const level = this.watched.get(id);
      const summary = this.store.summary(id);
      if (!summary) continue;
      message.summaries.push(summary);
      if (level === 'outline') {
        const outline = this.store.getOutline(id);
        if (outline) message.outlines.push(outlineOf(outline));
      } else if (level === 'full') {
        const whole = this.store.getTrace(id);
        if (whole) message.full.push(whole);
      }
    }
    this.post(message);
    this.postReceived();
  }

  /** What the saved summaries depend on besides the records: the settings that shape them. */
  private fingerprint(): string {
    const o = this.options;
    return summariesFingerprint({
      sessionAttributes: o.sessionAttributes,
      userAttributes: o.userAttributes,
      pricing: o.pricing ?? null,
      maxSpansPerTrace: this.store.currentLimits.maxSpansPerTrace,
    });
  }

  private scheduleSave(): void {
    if (this.saveTimer || !this.log || this.replaying) return;
    const wait = Math.max(SAVE_AFTER_MS, this.lastSaveMs * 20);
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      if (this.replaying) return; // saved when the replay ends
      this.saveSummaries();
    }, wait);
    this.saveTimer.unref?.();
  }

  /**
   * Saves every summary with how far the store covers the log: between two requests the store holds
   * exactly what the log does up to there (a request is kept, then stored, in one go), except what the log
   * could not keep, which the next replay then reads as usual.
   */
  private saveSummaries(): void {
    const dir = this.options.persist?.dir;
    if (!this.unsaved || !this.log || !dir || this.incomplete) return;
    const position = this.covered;
    this.unsaved = false;
    if (!position) {
      if (!this.log.position()) this.deleteSaved();
      return;
    }
    const t0 = Date.now();
    writeSavedSummaries(dir, this.fingerprint(), { position, traces: this.store.save() }, this.logger);
    this.lastSaveMs = Date.now() - t0;
  }

  private deleteSaved(): void {
    const dir = this.options.persist?.dir;
    if (!dir) return;
    try {
      deleteSavedSummaries(dir);
    } catch (err) {
      this.logger.warn(
        `[persist] could not delete the saved summaries: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }

  /**
   * A request of metrics alone changes no trace: an empty change tells the host (and an open Summary) that
   * figures moved, at most once per debounce interval.
   */
  private addMetrics(batch: TelemetryBatch): void {
    if (!batch.metrics?.length || this.metrics.add(batch.metrics) === 0) return;
    if (this.metricsTimer || batch.spans.length > 0 || batch.logs.length > 0) return;
    this.metricsTimer = setTimeout(() => {
      this.metricsTimer = undefined;
      this.sendChanges({ changed: [], removed: [], cleared: false });
    }, this.options.debounceMs ?? 150);
  }

  /** The counts travel at most a few times a second, whatever the request rate. */
  private noteReceived(): void {
    if (this.receivedTimer) return;
    this.receivedTimer = setTimeout(() => this.postReceived(), 250);
  }

  private postReceived(): void {
    if (this.receivedTimer) clearTimeout(this.receivedTimer);
    this.receivedTimer = undefined;
    const { requests, spans, llmCalls } = this.totals;
    this.post({ type: 'received', requests, spans, llmCalls });
  }
}
