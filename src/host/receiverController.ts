// Owns the local OTLP receiver's life: start and stop, restart when its settings change, and a clear,
// actionable answer when the port is taken (who holds it, a free port to use instead, retry). The receivers
// themselves run in the ingest engine's worker thread; this asks it to listen and hears its counts.

import * as vscode from 'vscode';
import * as os from 'node:os';
import type { Logger } from '../core/logger';
import type { ListenResult } from '../engine/protocol';
import { PortInUseError } from '../otlp/errors';
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

/** What the controller needs of the ingest engine. */
export interface ReceiverEngine {
  listen(settings: ListenSettings): Promise<ListenResult>;
  stopListening(): Promise<void>;
}

export class ReceiverController implements vscode.Disposable {
  private readonly lifecycle: ReceiverLifecycle;
  private llmCalls = 0;
  private spans = 0;
  private readonly changed = new vscode.EventEmitter<ReceiverState>();
  /** The state changed: starting, listening, stopped, port in use, failed. */
  readonly onDidChange = this.changed.event;
  private readonly receivedEmitter = new vscode.EventEmitter<void>();
  /** Spans arrived (the counts changed): at most four times a second, as the engine sends its counts. */
  readonly onDidReceive = this.receivedEmitter.event;

  constructor(
    private readonly engine: ReceiverEngine,
    private readonly logger: Logger,
  ) {
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
      this.changed.dispose();
      this.receivedEmitter.dispose();
    });
  }

  /** The engine's counts since the receiver started (a few times a second at most). */
  noteReceived(counts: { spans: number; llmCalls: number }): void {
    if (this.lifecycle.state.state !== 'listening') return;
    if (counts.spans === this.spans && counts.llmCalls === this.llmCalls) return;
    this.spans = counts.spans;
    this.llmCalls = counts.llmCalls;
    this.receivedEmitter.fire();
  }

  /** The engine was started again after it died: listen again as before. */
  engineRestarted(): void {
    if (this.lifecycle.state.state !== 'listening') return;
    void this.lifecycle.stop().then(() => this.lifecycle.start('always'));
  }

  private async listen(cfg: ListenSettings): Promise<Listening> {
    const address = await this.engine.listen(cfg);
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
    const grpcProblem = address.grpcProblem && this.grpcProblem(address.grpcProblem);
    if (address.grpcPort !== undefined)
      this.logger.info(`[receiver] OTLP/gRPC listening on ${cfg.host}:${address.grpcPort}`);
    if (grpcProblem) this.logger.warn(`[receiver] OTLP/gRPC not listening: ${grpcProblem}`);
    if (cfg.forwardTo) this.logger.info(`[receiver] forwarding every accepted request to ${cfg.forwardTo}`);
    const listening: Listening = {
      host: address.host,
      port: address.port,
      stop: async () => {
        await this.engine.stopListening();
        this.logger.info('[receiver] stopped');
      },
    };
    if (address.grpcPort !== undefined) listening.grpcPort = address.grpcPort;
    if (grpcProblem) listening.grpcProblem = grpcProblem;
    return listening;
  }

  /**
   * Why OTLP/gRPC does not listen beside OTLP/HTTP, in words. Its port is often taken by another OTLP
   * tool; then HTTP still listens and the status bar says why gRPC does not (no pop-up).
   */
  private grpcProblem(problem: NonNullable<ListenResult['grpcProblem']>): string {
    if (problem.kind === 'samePort')
      return vscode.l10n.t('its port is the OTLP/HTTP port; choose another in receiver.grpcPort');
    if (problem.kind === 'portInUse')
      return vscode.l10n.t('port {0} is in use by another program', String(problem.port));
    return problem.message;
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
