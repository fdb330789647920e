// What the receivers' callers must tell apart without loading the receivers (the extension host imports
// these; the receivers themselves run in the ingest engine's worker thread).

/** Sent on every answer, so another window's port probe can tell this receiver from anything else. */
export const RECEIVER_SERVER_HEADER = 'llm-trace-inspector';

/** The port is held by another process (or another receiver of ours). */
export class PortInUseError extends Error {
  override name = 'PortInUseError';
  constructor(
    readonly host: string,
    readonly port: number,
  ) {
    super(`port ${port} on ${host} is already in use`);
  }
}

/** Any other reason the receiver could not listen; the message says what to do. */
export class ReceiverStartError extends Error {
  override name = 'ReceiverStartError';
  constructor(
    message: string,
    readonly host: string,
    readonly port: number,
    readonly code?: string,
  ) {
    super(message);
  }
}
