// The extension host's end of the ingest engine: starts the worker thread, sends it requests and matches
// the answers, applies its change messages to the host's mirror of the store and passes its log lines on.
// A worker that dies is started again (the request log brings its traces back), and says so.

import { Worker } from 'node:worker_threads';
import type { Summary } from '../core/aggregate';
import type { Logger } from '../core/logger';
import type { Trace } from '../core/model';
import type { TelemetryBatch } from '../core/records';
import type { SearchResult } from '../core/search';
import { PortInUseError, ReceiverStartError } from '../otlp/errors';
import { MirrorStore } from './mirror';
import type {
  EngineOptions,
  EngineSettings,
  EngineStats,
  HostMessage,
  HostRequest,
  ListenResult,
  ReceivedMessage,
  ReplayedMessage,
  ResponseMessage,
  WorkerMessage,
} from './protocol';
import type { ListenSettings } from '../otlp/receiverLifecycle';

export interface EngineClientOptions {
  /** The worker's script: dist/engineWorker.js, or src/engine/worker.ts with tsx in `execArgv`. */
  workerPath: string;
  execArgv?: string[];
  engine: EngineOptions;
  logger: Logger;
  /** Counts since the receiver started, a few times a second at most. */
  onReceived?(counts: ReceivedMessage): void;
  onReplayed?(result: ReplayedMessage): void;
  /** The worker died and was started again: whatever listened must be listened again. */
  onRestarted?(reason: string): void;
}

export class EngineClient {
  readonly mirror: MirrorStore;
  private worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private disposed = false;
  private restarts = 0;
  private exited: Promise<void> = Promise.resolve();

  constructor(private readonly options: EngineClientOptions) {
    this.mirror = new MirrorStore({
      load: (traceId, level) => this.request<Trace | undefined>({ op: 'load', traceId, level }),
      unwatch: (traceIds, toOutline) =>
        void this.request({ op: 'unwatch', traceIds, ...(toOutline ? { toOutline } : {}) }).catch(
          () => undefined,
        ),
      sync: () => this.request<void>({ op: 'sync' }),
      clear: () => this.request<void>({ op: 'clear' }),
      records: (traceIds) => this.request<TelemetryBatch>({ op: 'records', traceIds: [...traceIds] }),
      summarize: (window) => this.request<Summary>({ op: 'summarize', window }),
      panelState: (traceId, { spanId, maxAttributeLength }) =>
        this.request<Uint8Array | undefined>({
          op: 'panelState',
          traceId,
          nowMs: Date.now(),
          maxAttributeLength,
          ...(spanId !== undefined ? { spanId } : {}),
        }),
      search: (text, { limit, traceIds }) =>
        this.request<SearchResult>({
          op: 'search',
          text,
          ...(limit !== undefined ? { limit } : {}),
          ...(traceIds ? { traceIds: [...traceIds] } : {}),
        }),
    });
    this.worker = this.spawn();
  }

  listen(settings: ListenSettings): Promise<ListenResult> {
    return this.request<ListenResult>({ op: 'listen', settings });
  }

  stopListening(): Promise<void> {
    return this.request<void>({ op: 'stopListening' });
  }

  configure(settings: EngineSettings): Promise<void> {
    const { persist, ...options } = settings;
    this.options.engine = { ...this.options.engine, ...options };
    // A restarted worker starts with what is in effect now.
    if (persist === null) delete this.options.engine.persist;
    else if (persist) this.options.engine.persist = persist;
    return this.request<void>({ op: 'configure', options: settings });
  }

  replay(): Promise<void> {
    return this.request<void>({ op: 'replay' });
  }

  stats(): Promise<EngineStats> {
    return this.request<EngineStats>({ op: 'stats' });
  }

  /** Stops the receivers and the worker; resolves when the thread has ended (its ports are free). */
  async dispose(): Promise<void> {
    if (this.disposed) return this.exited;
    this.disposed = true;
    this.mirror.dispose();
    // Closing the port lets the worker stop its servers and exit by itself; terminate() is the backstop.
    const worker = this.worker;
    const backstop = setTimeout(() => void worker.terminate(), 3000);
    worker.postMessage({ type: 'close' });
    await this.exited;
    clearTimeout(backstop);
  }

  private request<T>(request: HostRequest): Promise<T> {
    if (this.disposed) return Promise.reject(new Error('the ingest engine is stopped'));
    const id = this.nextId++;
    const message: HostMessage = { type: 'request', id, request };
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage(message);
    });
  }

  private spawn(): Worker {
    const worker = new Worker(this.options.workerPath, {
      workerData: this.options.engine,
      execArgv: this.options.execArgv ?? [],
      // The engine's heap is its own: the store's budget is not the editor's.
      name: 'llm-trace-inspector-engine',
      // Decoding and storing allocate many short-lived objects: a young generation twice the worker's default
      // makes replaying kept requests about a quarter faster (npm run bench).
      resourceLimits: { maxYoungGenerationSizeMb: 64 },
    });
    let exit!: () => void;
    this.exited = new Promise((resolve) => (exit = resolve));
    worker.on('message', (m: WorkerMessage) => this.onMessage(m));
    worker.on('error', (err) => this.options.logger.error(err));
    worker.on('exit', (code) => {
      exit();
      this.failPending(`the ingest engine stopped (exit code ${code})`);
      if (this.disposed) return;
      // A crash: start again, at most a few times, so the receiver and the kept traces come back.
      if (this.restarts++ >= 3) {
        this.options.logger.error(`[engine] stopped with exit code ${code}; not restarted again`);
        return;
      }
      this.options.logger.error(`[engine] stopped with exit code ${code}; starting it again`);
      this.worker = this.spawn();
      this.options.onRestarted?.(`exit code ${code}`);
    });
    return worker;
  }

  private onMessage(m: WorkerMessage): void {
    switch (m.type) {
      case 'changes':
        this.mirror.apply(m);
        return;
      case 'received':
        this.options.onReceived?.(m);
        return;
      case 'replayed':
        this.options.onReplayed?.(m);
        return;
      case 'log':
        this.options.logger[m.level](m.message);
        return;
      case 'response':
        this.settle(m);
        return;
    }
  }

  private settle(m: ResponseMessage): void {
    const waiting = this.pending.get(m.id);
    if (!waiting) return;
    this.pending.delete(m.id);
    if (!m.error) {
      waiting.resolve(m.result);
      return;
    }
    const { name, message, host, port } = m.error;
    // The receivers' typed errors are rebuilt, so the host tells a taken port from any other failure.
    if (name === 'PortInUseError' && host !== undefined && port !== undefined)
      waiting.reject(new PortInUseError(host, port));
    else if (name === 'ReceiverStartError' && host !== undefined && port !== undefined)
      waiting.reject(new ReceiverStartError(message, host, port));
    else waiting.reject(new Error(message));
  }

  private failPending(reason: string): void {
    for (const [, waiting] of this.pending) waiting.reject(new Error(reason));
    this.pending.clear();
  }
}
