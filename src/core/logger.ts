// The logging seam pure code accepts. The host backs it with a LogOutputChannel; tests use a memory or
// no-op logger. Never log message content or token values at info level.

export interface Logger {
  trace(message: string, ...args: unknown[]): void;
  debug(message: string, ...args: unknown[]): void;
  info(message: string, ...args: unknown[]): void;
  warn(message: string, ...args: unknown[]): void;
  error(message: string | Error, ...args: unknown[]): void;
}

export const nullLogger: Logger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** Prefixes every line with its component, e.g. `[receiver] listening on 127.0.0.1:4318`. */
export function scopedLogger(logger: Logger, component: string): Logger {
  const p = `[${component}] `;
  return {
    trace: (m, ...a) => logger.trace(p + m, ...a),
    debug: (m, ...a) => logger.debug(p + m, ...a),
    info: (m, ...a) => logger.info(p + m, ...a),
    warn: (m, ...a) => logger.warn(p + m, ...a),
    error: (m, ...a) =>
      m instanceof Error ? logger.error(p + (m.stack ?? m.message), ...a) : logger.error(p + m, ...a),
  };
}

/** Keeps lines in memory; for tests. */
export class MemoryLogger implements Logger {
  readonly lines: { level: string; message: string }[] = [];
  trace(m: string): void {
    this.lines.push({ level: 'trace', message: m });
  }
  debug(m: string): void {
    this.lines.push({ level: 'debug', message: m });
  }
  info(m: string): void {
    this.lines.push({ level: 'info', message: m });
  }
  warn(m: string): void {
    this.lines.push({ level: 'warn', message: m });
  }
  error(m: string | Error): void {
    this.lines.push({ level: 'error', message: m instanceof Error ? m.message : m });
  }
}
