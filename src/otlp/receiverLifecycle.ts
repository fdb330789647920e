// The receiver's life as a small state machine, apart from the editor, so its rules are unit-tested:
// every start, stop, settings change and dispose runs one after another; a setting written by a command
// and the settings listener that hears it start the receiver once between them; and a dispose while a
// start is in flight leaves no server listening.

import type { PortHolderKind } from './portProbe';

export type ReceiverStateName = 'stopped' | 'starting' | 'listening' | 'portInUse' | 'failed';

export interface ReceiverState {
  state: ReceiverStateName;
  host: string;
  port: number;
  detail?: string;
  /** Who holds the port, when the state is portInUse and the probe could tell. */
  holder?: PortHolderKind;
  /** While listening: the OTLP/gRPC port, or why gRPC is not listening. */
  grpcPort?: number;
  grpcProblem?: string;
}

/** What a receiver is started with; a change of any of them needs a restart. */
export interface ListenSettings {
  host: string;
  port: number;
  maxRequestBytes: number;
  /** Requests read at once (HTTP), calls in flight per connection (gRPC). */
  maxConcurrentRequests?: number | undefined;
  /** OTLP/gRPC beside OTLP/HTTP: its port, or undefined when it is off. */
  grpcPort?: number | undefined;
  /** Where accepted requests are also sent (OTLP/HTTP), or undefined. */
  forwardTo?: string | undefined;
}

/** A receiver that listens, and how to stop it. */
export interface Listening {
  host: string;
  port: number;
  /** The gRPC port bound, when gRPC listens too. */
  grpcPort?: number;
  /** Why gRPC does not listen although it is on (its port is taken, say); HTTP listens regardless. */
  grpcProblem?: string;
  stop(): Promise<void>;
}

/** Whether a failed start is told to the user: always, never, or unless another window holds the port. */
export type StartNotice = 'always' | 'never' | 'unlessOtherWindow';

export interface ReceiverLifecycleDeps {
  /** The settings as they are now. */
  settings(): ListenSettings;
  /** Starts a receiver; rejects when it cannot listen. */
  listen(settings: ListenSettings): Promise<Listening>;
  /** A start failed: tells the user as `notice` says and returns the state to show (port in use, failed). */
  failed(err: unknown, settings: ListenSettings, notice: StartNotice): Promise<ReceiverState>;
  /** Called after every change of state. */
  changed(state: ReceiverState): void;
}

export class ReceiverLifecycle {
  private current: ReceiverState;
  private running: Listening | undefined;
  /** The settings of the last start attempt, kept until a stop: a change to the same values is no change. */
  private attempted: ListenSettings | undefined;
  private queue: Promise<void> = Promise.resolve();
  private disposed = false;

  constructor(private readonly deps: ReceiverLifecycleDeps) {
    const s = deps.settings();
    this.current = { state: 'stopped', host: s.host, port: s.port };
  }

  get state(): ReceiverState {
    return { ...this.current };
  }

  /** Starts the receiver unless it listens already. */
  start(notice: StartNotice = 'always'): Promise<void> {
    return this.serialize(async () => {
      if (this.current.state === 'listening') return;
      await this.attempt(notice);
    });
  }

  stop(): Promise<void> {
    return this.serialize(() => this.close());
  }

  /**
   * The settings listener heard a receiver setting change. A stopped receiver stays stopped; a running or
   * failed one tries the new values, unless it already did (the command that wrote them got there first).
   */
  settingsChanged(): Promise<void> {
    return this.serialize(async () => {
      if (this.current.state === 'stopped' || sameSettings(this.attempted, this.deps.settings())) return;
      await this.close();
      await this.attempt('always');
    });
  }

  /**
   * A command wrote new settings (Change Receiver Port, Use Port N) and wants the receiver on them, started
   * if it was stopped, unless the settings listener already started it with these values.
   */
  useNewSettings(): Promise<void> {
    return this.serialize(async () => {
      if (this.current.state !== 'stopped' && sameSettings(this.attempted, this.deps.settings())) return;
      await this.close();
      await this.attempt('always');
    });
  }

  /** Stops the receiver after whatever is in flight; nothing queued after this starts one. */
  dispose(): Promise<void> {
    this.disposed = true;
    return this.serialize(() => this.close(), { evenWhenDisposed: true });
  }

  private serialize(step: () => Promise<void>, opts: { evenWhenDisposed?: boolean } = {}): Promise<void> {
    const guarded = (): Promise<void> =>
      this.disposed && !opts.evenWhenDisposed ? Promise.resolve() : step();
    const next = this.queue.then(guarded, guarded);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async attempt(notice: StartNotice): Promise<void> {
    const settings = this.deps.settings();
    this.attempted = settings;
    this.set({ state: 'starting', host: settings.host, port: settings.port });
    let listening: Listening;
    try {
      listening = await this.deps.listen(settings);
    } catch (err) {
      this.set(await this.deps.failed(err, settings, this.disposed ? 'never' : notice));
      return;
    }
    if (this.disposed) {
      // Disposed while it was starting: it must not outlive the extension.
      await listening.stop();
      this.set({ state: 'stopped', host: settings.host, port: settings.port });
      return;
    }
    this.running = listening;
    const state: ReceiverState = { state: 'listening', host: listening.host, port: listening.port };
    if (listening.grpcPort !== undefined) state.grpcPort = listening.grpcPort;
    if (listening.grpcProblem !== undefined) state.grpcProblem = listening.grpcProblem;
    this.set(state);
  }

  private async close(): Promise<void> {
    const running = this.running;
    this.running = undefined;
    this.attempted = undefined;
    if (running) await running.stop();
    if (this.current.state !== 'stopped')
      this.set({ state: 'stopped', host: this.current.host, port: this.current.port });
  }

  private set(state: ReceiverState): void {
    this.current = state;
    this.deps.changed(this.state);
  }
}

function sameSettings(a: ListenSettings | undefined, b: ListenSettings): boolean {
  return (
    !!a &&
    a.host === b.host &&
    a.port === b.port &&
    a.maxRequestBytes === b.maxRequestBytes &&
    a.maxConcurrentRequests === b.maxConcurrentRequests &&
    a.grpcPort === b.grpcPort &&
    a.forwardTo === b.forwardTo
  );
}
