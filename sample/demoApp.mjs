// Feeds a running receiver (the extension's, by default on localhost:4318) with live traffic for demos
// and manual testing: waits until the OTLP endpoint answers, runs every scenario under each of the three
// libraries and the multi-turn `sessions` (three conversations of two users) under the first, then sends a
// new turn every ~10 s with a changing library, scenario, session and user until stopped. Each turn runs
// in a child process (instrumentations patch modules globally).
//
//   node demoApp.mjs [--endpoint http://127.0.0.1:4318] [--protocol protobuf|json] [--interval 10]
import { spawn } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { startMockOpenAI } from './mockOpenAI.mjs';
import { CORE_SCENARIOS } from './scenarios.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    endpoint: { type: 'string' },
    protocol: { type: 'string', default: 'protobuf' },
    interval: { type: 'string', default: '10' },
  },
});
const endpoint = (
  values.endpoint ??
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT ??
  'http://127.0.0.1:4318'
).replace(/\/+$/, '');
const intervalMs = Math.max(1, Number(values.interval)) * 1000;
const LIBRARIES = ['otel-openai', 'traceloop', 'openinference'];
const DEMO_SESSIONS = ['sess-demo-rome', 'sess-demo-oslo', 'sess-demo-lima'];
const DEMO_USERS = ['user-5001', 'user-5002'];

let stopping = false;
let child;
const stopController = new AbortController();

async function endpointAnswers() {
  try {
    // Any HTTP answer means something listens; an empty JSON export is harmless to a receiver.
    await fetch(`${endpoint}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"resourceSpans":[]}',
      signal: AbortSignal.timeout(2000),
    });
    return true;
  } catch {
    return false;
  }
}

function runTurns(library, args) {
  return new Promise((resolve) => {
    child = spawn(
      process.execPath,
      ['runLibrary.mjs', '--library', library, '--protocol', values.protocol, ...args],
      {
        cwd: here,
        env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint },
        stdio: ['ignore', 'inherit', 'inherit'],
      },
    );
    child.on('close', (code) => {
      child = undefined;
      if (code !== 0 && !stopping) console.error(`[demo] ${library} runner exited with ${code}`);
      resolve();
    });
  });
}

function stop(signal) {
  if (stopping) return;
  stopping = true;
  console.log(`[demo] ${signal}: stopping`);
  stopController.abort();
  if (child?.pid) child.kill('SIGTERM');
}
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));

const mock = await startMockOpenAI();
try {
  console.log(`[demo] mock OpenAI API at ${mock.url}; sending ${values.protocol} OTLP to ${endpoint}`);
  let warned = false;
  while (!stopping && !(await endpointAnswers())) {
    if (!warned) console.log(`[demo] waiting for ${endpoint} to accept OTLP (start the receiver)...`);
    warned = true;
    await sleep(1000, undefined, { signal: stopController.signal }).catch(() => {});
  }
  for (const library of LIBRARIES) {
    if (stopping) break;
    await runTurns(library, ['--openai-base-url', mock.url]);
  }
  // Once, not per library: the same three conversations three times over would read as one long one each.
  if (!stopping) await runTurns(LIBRARIES[0], ['--openai-base-url', mock.url, '--scenarios', 'sessions']);
  for (let i = 0; !stopping; i++) {
    await sleep(intervalMs, undefined, { signal: stopController.signal }).catch(() => {});
    if (stopping) break;
    const library = LIBRARIES[i % LIBRARIES.length];
    const scenario = CORE_SCENARIOS[i % CORE_SCENARIOS.length];
    const session = DEMO_SESSIONS[Math.floor(i / 2) % DEMO_SESSIONS.length];
    const user = DEMO_USERS[Math.floor(i / 3) % DEMO_USERS.length];
    await runTurns(library, [
      '--openai-base-url',
      mock.url,
      '--scenarios',
      scenario,
      '--session',
      session,
      '--user',
      user,
    ]);
  }
} finally {
  await mock.close();
}
process.exit(0);
