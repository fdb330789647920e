// The status bar item: whether the receiver listens, where, and how many LLM calls it has received.
// Clicking it offers the receiver's actions. Under load the count is rendered a few times a second, not per
// request; the last render always follows the last request, so the count shown ends right.

import * as vscode from 'vscode';
import { Throttle } from '../core/throttle';
import { Commands } from './ids';
import type { ReceiverController } from './receiverController';

export class ReceiverStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly subscriptions: vscode.Disposable[];
  private readonly countChanged = new Throttle(() => this.render(), 250);

  constructor(private readonly receiver: ReceiverController) {
    this.item = vscode.window.createStatusBarItem(
      'llmTraceInspector.receiver',
      vscode.StatusBarAlignment.Left,
      10,
    );
    this.item.name = vscode.l10n.t('LLM Trace Inspector Receiver');
    this.item.command = Commands.receiverActions;
    this.subscriptions = [
      receiver.onDidChange(() => this.render()),
      receiver.onDidReceive(() => this.countChanged.schedule()),
      this.countChanged,
    ];
    this.render();
    this.item.show();
  }

  private render(): void {
    const s = this.receiver.state;
    const calls = this.receiver.received.llmCalls;
    this.item.backgroundColor = undefined;
    switch (s.state) {
      case 'listening':
        this.item.text = `$(radio-tower) ${vscode.l10n.t('LLM {0}', String(calls))}`;
        this.item.tooltip = [
          vscode.l10n.t(
            'LLM Trace Inspector is listening on {0} {1}.',
            this.receiver.endpoint ?? '',
            this.receiver.machineDescription,
          ),
          s.grpcPort !== undefined
            ? vscode.l10n.t('OTLP/gRPC on {0}:{1}.', s.host, String(s.grpcPort))
            : s.grpcProblem
              ? vscode.l10n.t('OTLP/gRPC is not listening: {0}.', s.grpcProblem)
              : undefined,
          vscode.l10n.t('{0} LLM calls received since it started.', String(calls)),
          vscode.l10n.t('Click for actions.'),
        ]
          .filter((line) => line !== undefined)
          .join('\n');
        this.item.accessibilityInformation = {
          label: vscode.l10n.t(
            'LLM Trace Inspector receiver listening on {0}, {1} LLM calls received',
            this.receiver.endpoint ?? '',
            String(calls),
          ),
        };
        break;
      case 'starting':
        this.item.text = `$(loading~spin) ${vscode.l10n.t('LLM')}`;
        this.item.tooltip = vscode.l10n.t(
          'LLM Trace Inspector: starting the receiver on {0}:{1}',
          s.host,
          String(s.port),
        );
        this.item.accessibilityInformation = { label: String(this.item.tooltip) };
        break;
      case 'portInUse':
        if (s.holder === 'llmTraceInspector') {
          // Several windows: the first one receives; this is expected, not a warning.
          this.item.text = `$(radio-tower) ${vscode.l10n.t('LLM: other window')}`;
          this.item.tooltip = vscode.l10n.t(
            'Another VS Code window runs the LLM Trace Inspector receiver on port {0}: traces sent there show in that window. Click to receive in this window on another port.',
            String(s.port),
          );
          this.item.accessibilityInformation = { label: String(this.item.tooltip) };
          break;
        }
        this.item.text = `$(warning) ${vscode.l10n.t('LLM: port {0} in use', String(s.port))}`;
        this.item.tooltip = vscode.l10n.t(
          'LLM Trace Inspector could not listen: port {0} is in use by {1}. Click for actions.',
          String(s.port),
          s.detail ?? '',
        );
        this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
        this.item.accessibilityInformation = { label: String(this.item.tooltip) };
        break;
      case 'failed':
        this.item.text = `$(error) ${vscode.l10n.t('LLM: receiver failed')}`;
        this.item.tooltip = vscode.l10n.t(
          'LLM Trace Inspector receiver failed: {0}. Click for actions.',
          s.detail ?? '',
        );
        this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
        this.item.accessibilityInformation = { label: String(this.item.tooltip) };
        break;
      case 'stopped':
        this.item.text = `$(circle-slash) ${vscode.l10n.t('LLM')}`;
        this.item.tooltip = vscode.l10n.t('LLM Trace Inspector: the receiver is stopped. Click to start it.');
        this.item.accessibilityInformation = { label: String(this.item.tooltip) };
        break;
    }
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.item.dispose();
  }
}
