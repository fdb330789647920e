// The ingest engine's worker thread (built to dist/engineWorker.js). It runs the engine and speaks the
// protocol of protocol.ts over its parent port; its log lines go to the host's log.

import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import type { Logger } from '../core/logger';
import { IngestEngine } from './engine';
import type { EngineOptions, HostMessage, LogMessage, WorkerMessage } from './protocol';

const port = parentPort;
if (!port) throw new Error('engineWorker.js runs only as a worker thread');

const post = (message: WorkerMessage, transfer: ArrayBuffer[] = []): void =>
  port.postMessage(message, transfer);
const line =
  (level: LogMessage['level']) =>
  (message: string | Error): void =>
    post({
      type: 'log',
      level,
      message: message instanceof Error ? (message.stack ?? message.message) : message,
    });
const logger: Logger = {
  trace: line('trace'),
  debug: line('debug'),
  info: line('info'),
  warn: line('warn'),
  error: line('error'),
};

// Under load a request from the host would wait behind every batch already queued; the engine calls
// `between` after each batch it stores, which answers whatever the host has asked meanwhile.
const engine = new IngestEngine(workerData as EngineOptions, post, logger, {
  between: () => {
    for (let m = receiveMessageOnPort(port as MessagePort); m; m = receiveMessageOnPort(port as MessagePort))
      onMessage(m.message as HostMessage);
  },
});

/**
 * The buffer that bytes (a panel's state) can move to the host in, instead of being copied: only one that
 * holds them alone, never a slice of a pool other values share.
 */
function ownBuffer(result: unknown): ArrayBuffer[] {
  if (!(result instanceof Uint8Array) || !(result.buffer instanceof ArrayBuffer)) return [];
  return result.byteOffset === 0 && result.byteLength === result.buffer.byteLength ? [result.buffer] : [];
}

function onMessage(message: HostMessage): void {
  // The host is done (or the window goes): stop listening first, so the ports are free, then end.
  if (message?.type === 'close') {
    void engine.dispose().finally(() => process.exit(0));
    return;
  }
  if (message?.type !== 'request') return;
  engine.handle(message.request).then(
    (result) => post({ type: 'response', id: message.id, result }, ownBuffer(result)),
    (err: unknown) => {
      const e = err as { name?: string; message?: string; port?: number; host?: string };
      const error: NonNullable<Extract<WorkerMessage, { type: 'response' }>['error']> = {
        name: e?.name ?? 'Error',
        message: e?.message ?? String(err),
      };
      if (typeof e?.port === 'number') error.port = e.port;
      if (typeof e?.host === 'string') error.host = e.host;
      post({ type: 'response', id: message.id, error });
    },
  );
}

port.on('message', onMessage);
