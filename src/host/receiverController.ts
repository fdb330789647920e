// Owns the local OTLP receiver's life: start and stop, restart when its settings change, and a clear,
// actionable answer when the port is taken (who holds it, a free port to use instead, retry). Decoded
// batches go straight into the store.

import * as vscode from 'vscode';
import * as os from 'node:os';
import type { Logger } from '../core/logger';
import { ReceiverLogSummary } from '../core/throttle';
import type { TraceStore } from '../core/store';
import type { TelemetryBatch } from '../core/records';
import type { Tracer } from '@opentelemetry/api';
import { OtlpHttpReceiver, PortInUseError, type ReceiverBatchInfo } from '../otlp/httpReceiver';
import { OtlpForwarder } from '../otlp/forwarder';
import { OtlpGrpcReceiver } from '../otlp/grpcReceiver';
import type { RequestLog } from '../otlp/requestLog';
import { findFreePort, probeOtlpPort } from '../otlp/portProbe';
import {
  ReceiverLifecycle,
  type ListenSettings,
  type Listening,
  type ReceiverState,
  type StartNotice,
} from '../otlp/receiverLifecycle';
import { readConfig, updateEffectiveSetting } from './config';
import { Commands, ContextKeys } from './ids';

export type { ReceiverState, ReceiverStateName } from '../otlp/receiverLifecycle';

export class ReceiverController implements vscode.Disposable {
  private readonly lifecycle: ReceiverLifecycle;
  /** Under load, one line a second about accepted requests, and repeated refusals folded with a count. */
  private readonly requestLines: ReceiverLogSummary;
  private readonly receiverLogger: Logger;
  private forwarder: OtlpForwarder | undefined;
  private llmCalls = 0;
  private spans = 0;
  private readonly changed = new vscode.EventEmitter<ReceiverState>();
  /** The state changed: starting, listening, stopped, port in use, failed. */
  readonly onDidChange = this.changed.event;
  private readonly receivedEmitter = new vscode.EventEmitter<void>();
  /** Spans arrived (the counts changed); fires per request, so listeners must stay cheap (or throttle). */
  readonly onDidReceive = this.receivedEmitter.event;

  constructor(
    private readonly store: TraceStore,
    private readonly logger: Logger,
    /** Records the receiver's own span per request; the composition root decides where they go. */
    private readonly tracer: Tracer,
    /** Keeps each accepted request before it is answered, so a reload shows the same traces. */
    private readonly requestLog?: Pick<RequestLog, 'append'>,
  ) {
    this.requestLines = new ReceiverLogSummary(logger);
    this.receiverLogger = this.requestLines.coalescing();
    this.lifecycle = new ReceiverLifecycle({
      settings: () => readConfig().receiver,
      listen: (settings) => this.listen(settings),
      failed: (err, settings, notice) => this.failed(err, settings, notice),
      changed: (state) => {
        if (state.state === 'listening') {
          this.llmCalls = 0;
          this.spans = 0;
        }
        void this.setContext();
        this.changed.fire(state);
      },
    });
    void this.setContext();
  }

  get state(): ReceiverState {
    return this.lifecycle.state;
  }

  /** LLM calls and spans received since the receiver last started. */
  get received(): { llmCalls: number; spans: number } {
    return { llmCalls: this.llmCalls, spans: this.spans };
  }

  /** `http://host:port` while listening; what apps put in OTEL_EXPORTER_OTLP_ENDPOINT. */
  get endpoint(): string | undefined {
    const s = this.lifecycle.state;
    return s.state === 'listening' ? endpointOf(s.host, s.port) : undefined;
  }

  /** Where the receiver runs, in words: this matters in SSH, container, WSL and Codespaces windows. */
  get machineDescription(): string {
    const remote = vscode.env.remoteName;
    const host = os.hostname();
    if (!remote) return vscode.l10n.t('on this machine ({0})', host);
    const kind = REMOTE_KINDS[remote];
    return kind
      ? vscode.l10n.t('on {0}, the {1} this window is connected to', host, kind)
      : vscode.l10n.t('on {0}, the remote machine this window is connected to', host);
  }

  /** Starts the receiver. With `interactive`, a taken port is answered with a notification and actions. */
  start(interactive = true): Promise<void> {
    return this.lifecycle.start(interactive ? 'always' : 'never');
  }

  /**
   * The start when a window opens. With several windows open, every window after the first finds the port
   * held by the first one's receiver: that is expected, so it is said in the status bar, not in a toast.
   */
  startWithWindow(): Promise<void> {
    return this.lifecycle.start('unlessOtherWindow');
  }

  stop(): Promise<void> {
    return this.lifecycle.stop();
  }

  /** A receiver setting changed (the settings listener); a stopped receiver stays stopped. */
  settingsChanged(): Promise<void> {
    return this.lifecycle.settingsChanged();
  }

  dispose(): void {
    void this.lifecycle.dispose().finally(() => {
      this.requestLines.dispose();
      this.changed.dispose();
      this.receivedEmitter.dispose();
    });
  }

  private async listen(cfg: ListenSettings): Promise<Listening> {
    const receiver = new OtlpHttpReceiver({
      host: cfg.host,
      port: cfg.port,
      maxBodyBytes: cfg.maxRequestBytes,
      logger: this.receiverLogger,
      tracer: this.tracer,
      onBatch: (batch, info) => this.onBatch(batch, info),
    });
    const address = await receiver.start();
    this.logger.info(
      `[receiver] listening on ${endpointOf(address.host, address.port)} ${this.machineDescription}`,
    );
    if (!isLoopback(cfg.host)) {
      this.logger.warn(
        `[receiver] listening on ${cfg.host}: other machines on the network can send traces to it`,
      );
      void vscode.window.showWarningMessage(
        vscode.l10n.t(
          'The LLM Trace Inspector receiver listens on {0}:{1}, not only on loopback: any machine that can reach this one can send it traces. Set llmTraceInspector.receiver.host to 127.0.0.1 unless you need that.',
          cfg.host,
          String(address.port),
        ),
      );
    }
    const grpc =
      cfg.grpcPort === undefined
        ? undefined
        : cfg.grpcPort !== 0 && cfg.grpcPort === address.port
          ? { problem: vscode.l10n.t('its port is the OTLP/HTTP port; choose another in receiver.grpcPort') }
          : await this.listenGrpc(cfg, cfg.grpcPort);
    if (cfg.forwardTo) {
      // A forward target that is down fails every request: its warnings are folded like refusals.
      this.forwarder = new OtlpForwarder({ endpoint: cfg.forwardTo, logger: this.receiverLogger });
      this.logger.info(`[receiver] forwarding every accepted request to ${cfg.forwardTo}`);
    }
    const listening: Listening = {
      ...address,
      stop: async () => {
        await Promise.all([receiver.stop(), grpc?.receiver?.stop()]);
        this.forwarder?.dispose();
        this.forwarder = undefined;
        this.requestLines.flush();
        this.logger.info('[receiver] stopped');
      },
    };
    if (grpc?.port !== undefined) listening.grpcPort = grpc.port;
    if (grpc?.problem !== undefined) listening.grpcProblem = grpc.problem;
    return listening;
  }

  /**
   * OTLP/gRPC beside OTLP/HTTP, with the same limits and pipeline. Its port is often taken by another OTLP
   * tool; then HTTP still listens and the status bar says why gRPC does not (no pop-up).
   */
  private async listenGrpc(
    cfg: ListenSettings,
    port: number,
  ): Promise<{ receiver?: OtlpGrpcReceiver; port?: number; problem?: string }> {
    const receiver = new OtlpGrpcReceiver({
      host: cfg.host,
      port,
      maxBodyBytes: cfg.maxRequestBytes,
      logger: this.receiverLogger,
      onBatch: (batch, info) => this.onBatch(batch, info),
    });
    try {
      const bound = await receiver.start();
      this.logger.info(`[receiver] OTLP/gRPC listening on ${cfg.host}:${bound.port}`);
      return { receiver, port: bound.port };
    } catch (err) {
      const problem =
        err instanceof PortInUseError
          ? vscode.l10n.t('port {0} is in use by another program', String(port))
          : err instanceof Error
            ? err.message
            : String(err);
      this.logger.warn(`[receiver] OTLP/gRPC not listening: ${problem}`);
      return { problem };
    }
  }

  private async failed(err: unknown, cfg: ListenSettings, notice: StartNotice): Promise<ReceiverState> {
    if (err instanceof PortInUseError) {
      const holder = await probeOtlpPort(probeHost(cfg.host), cfg.port, 1500).catch(() => undefined);
      const detail = holder?.label ?? vscode.l10n.t('another program');
      this.logger.warn(`[receiver] port ${cfg.port} on ${cfg.host} is in use by ${detail}`);
      const tell =
        notice === 'always' || (notice === 'unlessOtherWindow' && holder?.kind !== 'llmTraceInspector');
      if (tell) void this.offerPortChoices(cfg, detail);
      return {
        state: 'portInUse',
        host: cfg.host,
        port: cfg.port,
        detail,
        ...(holder ? { holder: holder.kind } : {}),
      };
    }
    const message = err instanceof Error ? err.message : String(err);
    this.logger.error(err instanceof Error ? err : message);
    if (notice !== 'never') {
      const text = vscode.l10n.t(
        'LLM Trace Inspector could not start its receiver on {0}:{1}: {2}',
        cfg.host,
        String(cfg.port),
        message,
      );
      void vscode.window.showErrorMessage(text, vscode.l10n.t('Show Log')).then((pick) => {
        if (pick) void vscode.commands.executeCommand(Commands.showLog);
      });
    }
    return { state: 'failed', host: cfg.host, port: cfg.port, detail: message };
  }

  private onBatch(batch: TelemetryBatch, info: ReceiverBatchInfo): void {
    // Kept before the receiver answers 200: what the exporter was told is stored survives a reload.
    if (this.requestLog && info.body) this.requestLog.append(info.signal, info.encoding, info.body);
    // Sent on without waiting: forwarding never holds up receiving.
    if (this.forwarder && info.body) void this.forwarder.forward(info.signal, info.encoding, info.body);
    const result = this.store.ingest(batch, 'otlp');
    this.llmCalls += result.llmCalls;
    this.spans += result.spans;
    this.requestLines.accepted({
      signal: info.signal,
      encoding: info.encoding,
      bytes: info.bytes,
      spans: result.spans,
      logs: result.logs,
      uncorrelatedLogs: result.uncorrelatedLogs,
      repeatedLogs: result.repeatedLogs,
    });
    if (result.llmCalls > 0 || result.spans > 0) this.receivedEmitter.fire();
  }

  private async offerPortChoices(cfg: ListenSettings, holder: string): Promise<void> {
    const free = await findFreePort(probeHost(cfg.host), cfg.port + 1).catch(() => undefined);
    const useFree = free ? vscode.l10n.t('Use Port {0}', String(free)) : undefined;
    const choose = vscode.l10n.t('Choose Port...');
    const retry = vscode.l10n.t('Retry');
    const message = vscode.l10n.t(
      'LLM Trace Inspector: port {0} on {1} is already in use by {2}. Stop that program, or receive on another port and point your app at it.',
      String(cfg.port),
      cfg.host,
      holder,
    );
    const pick = await vscode.window.showWarningMessage(
      message,
      ...[useFree, choose, retry].filter((x): x is string => !!x),
    );
    if (pick === useFree && free) {
      await this.usePort(free);
    } else if (pick === choose) {
      await this.choosePort();
    } else if (pick === retry) {
      await this.start();
    }
  }

  async choosePort(): Promise<void> {
    const s = this.lifecycle.state;
    const value = await vscode.window.showInputBox({
      title: vscode.l10n.t('LLM Trace Inspector: Receiver Port'),
      prompt: vscode.l10n.t(
        'The port the OTLP/HTTP receiver listens on. Apps send to http://{0}:PORT',
        s.host,
      ),
      value: String(s.port),
      validateInput: (v) =>
        /^\d{1,5}$/.test(v) && Number(v) > 0 && Number(v) < 65536
          ? undefined
          : vscode.l10n.t('Enter a port between 1 and 65535'),
    });
    if (!value) return;
    await this.usePort(Number(value));
  }

  /**
   * Writes the port where its effective value comes from (a workspace setting would otherwise silently win
   * over a user one) and starts the receiver on it, once, whether the settings listener hears it first or
   * not.
   */
  private async usePort(port: number): Promise<void> {
    await updateEffectiveSetting('receiver.port', port);
    await this.lifecycle.useNewSettings();
  }

  private async setContext(): Promise<void> {
    const s = this.lifecycle.state;
    await vscode.commands.executeCommand('setContext', ContextKeys.receiverState, s.state);
    await vscode.commands.executeCommand(
      'setContext',
      ContextKeys.portHolder,
      s.state === 'portInUse' ? (s.holder ?? 'other') : '',
    );
    await vscode.commands.executeCommand('setContext', ContextKeys.endpoint, this.endpoint ?? '');
  }
}

/** `vscode.env.remoteName` values of the common remotes, in words. */
const REMOTE_KINDS: Record<string, string> = {
  'ssh-remote': 'SSH host',
  'dev-container': 'dev container',
  'attached-container': 'container',
  wsl: 'WSL distribution',
  codespaces: 'codespace',
  tunnel: 'tunnel machine',
};

export function endpointOf(host: string, port: number): string {
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `http://${h === '0.0.0.0' || h === '[::]' ? 'localhost' : h}:${port}`;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host.startsWith('127.') || host === '::1' || host === '[::1]';
}

/** Where to connect to reach a receiver bound to `host` (a wildcard bind is reached on loopback). */
function probeHost(host: string): string {
  return host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
}
