// Forwarding (off by default): every request the receiver accepts, over HTTP or gRPC, is also sent as
// OTLP/HTTP to another endpoint (a Collector, Jaeger, the Aspire dashboard), so a developer keeps their usual
// backend while the editor shows the same data. Fire and forget: receiving never waits for it; failures are
// logged (once per kind of failure and minute), and beyond a small number in flight requests are dropped with
// a count rather than queued without bound.

import * as http from 'node:http';
import * as https from 'node:https';
import type { Logger } from '../core/logger';
import type { OtlpEncoding, OtlpSignal } from './decode';

export interface ForwarderOptions {
  /** The OTLP/HTTP base URL, e.g. http://127.0.0.1:4319; requests go to `<base>/v1/<signal>`. */
  endpoint: string;
  logger: Logger;
  maxInFlight?: number;
  timeoutMs?: number;
}

export interface ForwarderStats {
  sent: number;
  failed: number;
  dropped: number;
}

/** A forwarding endpoint: http or https, no credentials in the URL. Undefined when it is not one. */
export function parseForwardEndpoint(value: string): URL | undefined {
  try {
    const url = new URL(value.trim());
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password)
      return undefined;
    url.pathname = url.pathname.replace(/\/+$/, '');
    return url;
  } catch {
    return undefined;
  }
}

export class OtlpForwarder {
  private inFlight = 0;
  readonly stats: ForwarderStats = { sent: 0, failed: 0, dropped: 0 };
  private readonly lastWarned = new Map<string, number>();
  private readonly base: URL;
  private readonly agent: http.Agent;

  constructor(private readonly options: ForwarderOptions) {
    const base = parseForwardEndpoint(options.endpoint);
    if (!base) throw new Error(`not an http(s) endpoint: ${options.endpoint}`);
    this.base = base;
    this.agent =
      base.protocol === 'https:' ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
  }

  /** Sends one request's (decompressed) body on; resolves when it is done or given up, never rejects. */
  forward(signal: OtlpSignal, encoding: OtlpEncoding, body: Uint8Array): Promise<void> {
    if (this.inFlight >= (this.options.maxInFlight ?? 16)) {
      this.stats.dropped++;
      this.warn(
        'busy',
        `forwarding to ${this.base.origin} cannot keep up; requests are dropped (received ones are kept)`,
      );
      return Promise.resolve();
    }
    this.inFlight++;
    const prefix = this.base.pathname.replace(/\/+$/, '');
    const url = new URL(`${this.base.origin}${prefix}/v1/${signal}`);
    const client = url.protocol === 'https:' ? https : http;
    return new Promise<void>((resolve) => {
      const done = (failure?: string): void => {
        this.inFlight--;
        if (failure) {
          this.stats.failed++;
          this.warn(failure.split(':')[0]!, `forwarding to ${url.origin} failed: ${failure}`);
        } else this.stats.sent++;
        resolve();
      };
      const req = client.request(
        url,
        {
          method: 'POST',
          agent: this.agent,
          timeout: this.options.timeoutMs ?? 10_000,
          headers: {
            'Content-Type': encoding === 'protobuf' ? 'application/x-protobuf' : 'application/json',
            'Content-Length': body.length,
          },
        },
        (res) => {
          res.resume();
          res.on('end', () =>
            done(res.statusCode && res.statusCode < 300 ? undefined : `HTTP ${res.statusCode}`),
          );
          res.on('error', () => done('the answer broke off'));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
      req.end(body);
    });
  }

  dispose(): void {
    this.agent.destroy();
  }

  /** One line per kind of failure and minute: a dead endpoint must not flood the log. */
  private warn(kind: string, message: string): void {
    const now = Date.now();
    if (now - (this.lastWarned.get(kind) ?? 0) < 60_000) return;
    this.lastWarned.set(kind, now);
    this.options.logger.warn(`[forward] ${message}`);
  }
}
