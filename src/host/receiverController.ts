// Owns the local OTLP receiver's life: start and stop, restart when its settings change, and a clear,
// actionable answer when the port is taken (who holds it, a free port to use instead, retry). Decoded
// batches go straight into the store.

import * as vscode from 'vscode';
import * as os from 'node:os';
import type { Logger } from '../core/logger';
import type { TraceStore } from '../core/store';
import type { TelemetryBatch } from '../core/records';
import { OtlpHttpReceiver, PortInUseError, type ReceiverBatchInfo } from '../otlp/httpReceiver';
import { findFreePort, probeOtlpPort, type PortHolderKind } from '../otlp/portProbe';
import { readConfig, updateSetting, type ReceiverConfig } from './config';
import { Commands, ContextKeys } from './ids';

export type ReceiverStateName = 'stopped' | 'starting' | 'listening' | 'portInUse' | 'failed';

export interface ReceiverState {
  state: ReceiverStateName;
  host: string;
  port: number;
  detail?: string;
  /** Who holds the port, when the state is portInUse and the probe could tell. */
  holder?: PortHolderKind;
}

export class ReceiverController implements vscode.Disposable {
  private receiver: OtlpHttpReceiver | undefined;
  private current: ReceiverState;
  private llmCalls = 0;
  private spans = 0;
  private readonly changed = new vscode.EventEmitter<ReceiverState>();
  /** The state changed: starting, listening, stopped, port in use, failed. */
  readonly onDidChange = this.changed.event;
  private readonly receivedEmitter = new vscode.EventEmitter<void>();
  /** Spans arrived (the counts changed); fires per request, so listeners must stay cheap. */
  readonly onDidReceive = this.receivedEmitter.event;
  private transition: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: TraceStore,
    private readonly logger: Logger,
  ) {
    const cfg = readConfig().receiver;
    this.current = { state: 'stopped', host: cfg.host, port: cfg.port };
    void this.setContext();
  }

  get state(): ReceiverState {
    return { ...this.current };
  }

  /** LLM calls and spans received since the receiver last started. */
  get received(): { llmCalls: number; spans: number } {
    return { llmCalls: this.llmCalls, spans: this.spans };
  }

  /** `http://host:port` while listening; what apps put in OTEL_EXPORTER_OTLP_ENDPOINT. */
  get endpoint(): string | undefined {
    return this.current.state === 'listening' ? endpointOf(this.current.host, this.current.port) : undefined;
  }

  /** Where the receiver runs, in words: this matters in SSH, container, WSL and Codespaces windows. */
  get machineDescription(): string {
    const remote = vscode.env.remoteName;
    const host = os.hostname();
    if (!remote) return vscode.l10n.t('on this machine ({0})', host);
    const kind = REMOTE_KINDS[remote];
    return kind ? vscode.l10n.t('on {0}, the {1} this window is connected to', host, kind) : vscode.l10n.t('on {0}, the remote machine this window is connected to', host);
  }

  /** Starts the receiver. With `interactive`, a taken port is answered with a notification and actions. */
  start(interactive = true): Promise<void> {
    return this.serialize(() => this.doStart(interactive ? 'always' : 'never'));
  }

  /**
   * The start when a window opens. With several windows open, every window after the first finds the port
   * held by the first one's receiver: that is expected, so it is said in the status bar, not in a toast.
   */
  startWithWindow(): Promise<void> {
    return this.serialize(() => this.doStart('unlessOtherWindow'));
  }

  stop(): Promise<void> {
    return this.serialize(() => this.doStop());
  }

  restart(): Promise<void> {
    return this.serialize(async () => {
      // A stopped receiver stays stopped; one that listens, or failed on its old port, tries the new settings.
      const shouldStart = this.current.state !== 'stopped';
      await this.doStop();
      if (shouldStart) await this.doStart('always');
    });
  }

  dispose(): void {
    void this.receiver?.stop();
    this.receiver = undefined;
    this.changed.dispose();
    this.receivedEmitter.dispose();
  }

  private serialize(step: () => Promise<void>): Promise<void> {
    const next = this.transition.then(step, step);
    this.transition = next.catch(() => undefined);
    return next;
  }

  private async doStart(notify: 'always' | 'never' | 'unlessOtherWindow'): Promise<void> {
    const interactive = notify !== 'never';
    if (this.current.state === 'listening') return;
    const cfg = readConfig().receiver;
    this.set({ state: 'starting', host: cfg.host, port: cfg.port });
    const receiver = new OtlpHttpReceiver({
      host: cfg.host,
      port: cfg.port,
      maxBodyBytes: cfg.maxRequestBytes,
      logger: this.logger,
      onBatch: (batch, info) => this.onBatch(batch, info),
    });
    try {
      const address = await receiver.start();
      this.receiver = receiver;
      this.llmCalls = 0;
      this.spans = 0;
      this.set({ state: 'listening', host: address.host, port: address.port });
      this.logger.info(`[receiver] listening on ${endpointOf(address.host, address.port)} ${this.machineDescription}`);
      if (!isLoopback(cfg.host)) {
        this.logger.warn(`[receiver] listening on ${cfg.host}: other machines on the network can send traces to it`);
        if (interactive) {
          void vscode.window.showWarningMessage(
            vscode.l10n.t(
              'The LLM Trace Inspector receiver listens on {0}:{1}, not only on loopback: any machine that can reach this one can send it traces. Set llmTraceInspector.receiver.host to 127.0.0.1 unless you need that.',
              cfg.host,
              String(address.port),
            ),
          );
        }
      }
    } catch (err) {
      if (err instanceof PortInUseError) {
        const holder = await probeOtlpPort(probeHost(cfg.host), cfg.port, 1500).catch(() => undefined);
        const detail = holder?.label ?? vscode.l10n.t('another program');
        this.set({ state: 'portInUse', host: cfg.host, port: cfg.port, detail, ...(holder ? { holder: holder.kind } : {}) });
        this.logger.warn(`[receiver] port ${cfg.port} on ${cfg.host} is in use by ${detail}`);
        if (notify === 'always' || (notify === 'unlessOtherWindow' && holder?.kind !== 'llmTraceInspector')) void this.offerPortChoices(cfg, detail);
        return;
      }
      const message = err instanceof Error ? err.message : String(err);
      this.set({ state: 'failed', host: cfg.host, port: cfg.port, detail: message });
      this.logger.error(err instanceof Error ? err : message);
      if (interactive) {
        void vscode.window.showErrorMessage(vscode.l10n.t('LLM Trace Inspector could not start its receiver on {0}:{1}: {2}', cfg.host, String(cfg.port), message), vscode.l10n.t('Show Log')).then((pick) => {
          if (pick) void vscode.commands.executeCommand(Commands.showLog);
        });
      }
    }
  }

  private async doStop(): Promise<void> {
    const receiver = this.receiver;
    this.receiver = undefined;
    if (receiver) {
      await receiver.stop();
      this.logger.info('[receiver] stopped');
    }
    this.set({ state: 'stopped', host: this.current.host, port: this.current.port });
  }

  private onBatch(batch: TelemetryBatch, info: ReceiverBatchInfo): void {
    const result = this.store.ingest(batch, 'otlp');
    this.llmCalls += result.llmCalls;
    this.spans += result.spans;
    this.logger.info(`[receiver] ${info.signal} ${info.encoding} ${info.bytes} B: ${result.spans} spans, ${result.logs} logs${result.uncorrelatedLogs ? `, ${result.uncorrelatedLogs} logs without a span` : ''}${result.repeatedLogs ? `, ${result.repeatedLogs} logs already received (an exporter retry) skipped` : ''}`);
    if (result.llmCalls > 0 || result.spans > 0) this.receivedEmitter.fire();
  }

  private async offerPortChoices(cfg: ReceiverConfig, holder: string): Promise<void> {
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
    const pick = await vscode.window.showWarningMessage(message, ...[useFree, choose, retry].filter((x): x is string => !!x));
    if (pick === useFree && free) {
      await updateSetting('receiver.port', free);
      await this.start();
    } else if (pick === choose) {
      await this.choosePort();
    } else if (pick === retry) {
      await this.start();
    }
  }

  async choosePort(): Promise<void> {
    const value = await vscode.window.showInputBox({
      title: vscode.l10n.t('LLM Trace Inspector: Receiver Port'),
      prompt: vscode.l10n.t('The port the OTLP/HTTP receiver listens on. Apps send to http://{0}:PORT', this.current.host),
      value: String(this.current.port),
      validateInput: (v) => (/^\d{1,5}$/.test(v) && Number(v) > 0 && Number(v) < 65536 ? undefined : vscode.l10n.t('Enter a port between 1 and 65535')),
    });
    if (!value) return;
    await updateSetting('receiver.port', Number(value));
    // The configuration listener restarts a listening receiver; start it here if it was not listening.
    if (this.current.state !== 'listening') await this.start();
  }

  private set(state: ReceiverState): void {
    this.current = state;
    void this.setContext();
    this.changed.fire(this.state);
  }

  private async setContext(): Promise<void> {
    await vscode.commands.executeCommand('setContext', ContextKeys.receiverState, this.current.state);
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
