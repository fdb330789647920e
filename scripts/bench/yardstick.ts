// The bench's yardstick: a plain protobufjs decode (or JSON.parse) of the same bytes, after gunzip for
// compressed rows, in a fresh thread that does nothing else, one for each round. In one long-lived thread
// the rate of the same decode of the same bytes varied by up to three times from one run to the next (on
// this VM, as the thread's JIT and heap happened to settle), and every ratio beside it with it; the best of
// several fresh threads varies far less. The decode-alone rows run the receiver's decoder the same way (the
// production build of src/otlp/decode.ts), so both sides of their ratio are measured alike.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { buildSync } from 'esbuild';
import { otlpTypes } from '../../src/otlp/otlpProto';

export interface DecodeRound {
  /** Requests decoded. */
  calls: number;
  ms: number;
}

type Decoder = 'plain' | 'ours';

const CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const zlib = require('node:zlib');
const { decoder, encoding, gzip, schema, ms } = workerData;
const payloads = workerData.payloads.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength));
let decode;
if (decoder === 'ours') {
  const { decodeOtlp } = require(workerData.ours);
  decode = (raw) => decodeOtlp('traces', raw, encoding);
} else if (encoding === 'protobuf') {
  const protobuf = require(workerData.protobufjs);
  const type = protobuf.Root.fromJSON(schema).lookupType('opentelemetry.proto.collector.ExportTraceServiceRequest');
  decode = (raw) => type.decode(raw);
} else {
  decode = (raw) => JSON.parse(raw.toString('utf8'));
}
let i = 0;
const run = (ms) => {
  let calls = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    const p = payloads[i++ % payloads.length];
    decode(gzip ? zlib.gunzipSync(p) : p);
    calls++;
  }
  return { calls, ms: performance.now() - start };
};
run(300); // warm-up, not counted
parentPort.postMessage(run(ms));
`;

let built: { dir: string; file: string } | undefined;

/** The receiver's decoder as production builds it, once per bench run. */
function oursBundle(): string {
  if (!built) {
    const dir = mkdtempSync(join(tmpdir(), 'lti-bench-decoder-'));
    const file = join(dir, 'decode.js');
    buildSync({
      entryPoints: [join(__dirname, '..', '..', 'src', 'otlp', 'decode.ts')],
      bundle: true,
      minify: true,
      platform: 'node',
      format: 'cjs',
      target: 'node18',
      outfile: file,
      logLevel: 'warning',
    });
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    built = { dir, file };
  }
  return built.file;
}

/** The next message a worker posts, or its error. */
export function nextMessage<T>(worker: Worker): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    worker.once('error', onError);
    worker.once('message', (m: T) => {
      worker.off('error', onError);
      resolve(m);
    });
  });
}

/** Rounds of one decode of `payloads`, each in a fresh thread warmed on them first. */
export class Yardstick {
  private readonly workerData: Record<string, unknown>;

  constructor(encoding: 'protobuf' | 'json', gzip: boolean, payloads: Buffer[], decoder: Decoder = 'plain') {
    this.workerData = {
      decoder,
      encoding,
      gzip,
      payloads,
      ...(decoder === 'ours'
        ? { ours: oursBundle() }
        : { protobufjs: require.resolve('protobufjs'), schema: otlpTypes().traceRequest.root.toJSON() }),
    };
  }

  /** A round of `ms` in a thread of its own: how many requests it decoded, in how long. */
  async round(ms: number): Promise<DecodeRound> {
    const worker = new Worker(CODE, { eval: true, workerData: { ...this.workerData, ms } });
    try {
      return await nextMessage<DecodeRound>(worker);
    } finally {
      await worker.terminate();
    }
  }
}
