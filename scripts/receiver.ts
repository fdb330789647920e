// `npm run receiver -- --port 4318 [--grpc-port 4317] [--host 127.0.0.1] [--max-traces 1000]`:
// the extension's receiver (OTLP/HTTP and OTLP/gRPC), decoder, normalizer and store, outside VS Code.
// Prints what it stores once a second, for load tests and for anyone measuring it; Ctrl-C stops it.
import { createNormalizer } from '../src/core/genai/normalize';
import type { Logger } from '../src/core/logger';
import { TraceStore } from '../src/core/store';
import { OtlpGrpcReceiver } from '../src/otlp/grpcReceiver';
import { OtlpHttpReceiver } from '../src/otlp/httpReceiver';

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] ? process.argv[at + 1]! : fallback;
}

const host = option('host', '127.0.0.1');
const port = Number(option('port', '4318'));
const grpcPort = option('grpc-port', 'off');
const maxBodyBytes = 20 * 1024 * 1024;
const quiet = process.argv.includes('--quiet');

const logger: Logger = {
  trace: () => undefined,
  debug: () => undefined,
  info: (m) => (quiet ? undefined : console.log(m)),
  warn: (m) => console.warn(m),
  error: (m) => console.error(m instanceof Error ? (m.stack ?? m.message) : m),
};

const store = new TraceStore({
  maxTraces: Number(option('max-traces', '1000')),
  normalizer: createNormalizer({}),
});
const totals = { requests: 0, spans: 0, logs: 0, llmCalls: 0 };
const onBatch = (
  batch: Parameters<ConstructorParameters<typeof OtlpHttpReceiver>[0]['onBatch']>[0],
): void => {
  const r = store.ingest(batch, 'otlp');
  totals.requests++;
  totals.spans += r.spans;
  totals.logs += r.logs;
  totals.llmCalls += r.llmCalls;
};

const http = new OtlpHttpReceiver({ host, port, maxBodyBytes, logger, onBatch });
const grpc =
  grpcPort === 'off'
    ? undefined
    : new OtlpGrpcReceiver({ host, port: Number(grpcPort), maxBodyBytes, logger, onBatch });

async function main(): Promise<void> {
  const bound = await http.start();
  console.log(`OTLP/HTTP on http://${bound.host}:${bound.port}`);
  if (grpc) console.log(`OTLP/gRPC on ${host}:${(await grpc.start()).port}`);

  const started = Date.now();
  let last = { ...totals };
  const timer = setInterval(() => {
    const s = ((Date.now() - started) / 1000).toFixed(0).padStart(4);
    const rate = (k: keyof typeof totals): string => `${totals[k]} (+${totals[k] - last[k]}/s)`;
    const rss = (process.memoryUsage().rss / 1024 / 1024).toFixed(0);
    console.log(
      `${s}s  requests ${rate('requests')}  spans ${rate('spans')}  logs ${rate('logs')}  LLM calls ${totals.llmCalls}  traces kept ${store.size}  rss ${rss} MB`,
    );
    last = { ...totals };
  }, 1000);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      clearInterval(timer);
      void Promise.all([http.stop(), grpc?.stop()]).then(() => {
        store.dispose();
        process.exit(0);
      });
    });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
