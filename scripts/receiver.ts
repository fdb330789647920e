// `npm run receiver -- --port 4318 [--grpc-port 4317] [--host 127.0.0.1] [--max-traces N] [--persist DIR]`:
// the extension's ingest engine (OTLP/HTTP and OTLP/gRPC receivers, decoder, request log, normalizer and
// store) in its worker thread, outside VS Code, with the host's client and mirror on this thread. Prints what
// it stores once a second, for load tests and for anyone measuring it; Ctrl-C stops it.
import { join } from 'node:path';
import type { Logger } from '../src/core/logger';
import { EngineClient } from '../src/engine/client';

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] ? process.argv[at + 1]! : fallback;
}

const host = option('host', '127.0.0.1');
const port = Number(option('port', '4318'));
const grpcPort = option('grpc-port', 'off');
const persistDir = option('persist', '');
const quiet = process.argv.includes('--quiet');

const logger: Logger = {
  trace: () => undefined,
  debug: () => undefined,
  info: (m) => (quiet ? undefined : console.log(m)),
  warn: (m) => console.warn(m),
  error: (m) => console.error(m instanceof Error ? (m.stack ?? m.message) : m),
};

const totals = { requests: 0, spans: 0, llmCalls: 0 };
const engine = new EngineClient({
  workerPath: join(__dirname, '..', 'src', 'engine', 'tsWorker.cjs'),
  engine: {
    limits: { maxTraces: Number(option('max-traces', '1000')) },
    sessionAttributes: [],
    userAttributes: [],
    ...(persistDir ? { persist: { dir: persistDir, maxBytes: 200 * 1024 * 1024 } } : {}),
  },
  logger,
  onReceived: (counts) => Object.assign(totals, counts),
  onReplayed: (r) =>
    console.log(
      `replayed ${r.requests} kept requests (${r.spans} spans) in ${r.ms} ms` +
        (r.savedTraces ? `; ${r.savedTraces} traces took their saved summaries` : ''),
    ),
});

async function main(): Promise<void> {
  if (persistDir) await engine.replay();
  const bound = await engine.listen({
    host,
    port,
    maxRequestBytes: 20 * 1024 * 1024,
    grpcPort: grpcPort === 'off' ? undefined : Number(grpcPort),
  });
  console.log(`OTLP/HTTP on http://${bound.host}:${bound.port}`);
  if (bound.grpcPort !== undefined) console.log(`OTLP/gRPC on ${host}:${bound.grpcPort}`);
  if (bound.grpcProblem) console.warn(`OTLP/gRPC not listening: ${bound.grpcProblem.message}`);

  const started = Date.now();
  let last = { ...totals };
  const timer = setInterval(() => {
    void engine.stats().then((stats) => {
      const s = ((Date.now() - started) / 1000).toFixed(0).padStart(4);
      const rate = (k: keyof typeof totals): string => `${totals[k]} (+${totals[k] - last[k]}/s)`;
      const mb = (n: number): string => (n / 1024 / 1024).toFixed(0);
      console.log(
        `${s}s  requests ${rate('requests')}  spans ${rate('spans')}  logs ${stats.received.logs}  LLM calls ${totals.llmCalls}  kept: ${stats.store.traces} traces, ${stats.store.spans} spans, ${mb(stats.store.bytes)} MB (est.)${stats.store.evictedTraces ? `, ${stats.store.evictedTraces} evicted` : ''}  summaries here ${engine.mirror.size}  engine heap ${mb(stats.heapUsed)} MB  rss ${mb(process.memoryUsage().rss)} MB`,
      );
      last = { ...totals };
    });
  }, 1000);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      clearInterval(timer);
      void engine.dispose().then(() => process.exit(0));
    });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  void engine.dispose().then(() => process.exit(1));
});
