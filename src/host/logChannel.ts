// The extension's one LogOutputChannel behind the pure Logger interface.

import * as vscode from 'vscode';
import type { Logger } from '../core/logger';

export function createLogChannel(name: string): { logger: Logger; channel: vscode.LogOutputChannel } {
  const channel = vscode.window.createOutputChannel(name, { log: true });
  const logger: Logger = {
    trace: (m, ...a) => channel.trace(m, ...a),
    debug: (m, ...a) => channel.debug(m, ...a),
    info: (m, ...a) => channel.info(m, ...a),
    warn: (m, ...a) => channel.warn(m, ...a),
    error: (m, ...a) => channel.error(m, ...a),
  };
  return { logger, channel };
}
