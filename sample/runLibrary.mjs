// Runs the sample app's turns under ONE instrumentation library and exits. One process per library,
// because instrumentations patch the `openai` module globally and would otherwise see each other's
// calls. Telemetry goes to OTEL_EXPORTER_OTLP_ENDPOINT (default http://localhost:4318).
//
//   node runLibrary.mjs --library otel-openai|traceloop|openinference|traceloop-legacy|azure-ai-inference
//     [--protocol protobuf|json] [--gzip]
//        [--scenarios chat,tools,...] [--session ID --user ID] [--openai-base-url URL] [--markers]
//
// Without --openai-base-url (or OPENAI_BASE_URL) it starts its own loopback mock of the OpenAI API.
// After each turn it flushes every exporter, so each export request holds one turn; with --markers it
// then prints `@@turn-flushed <scenario> [<turn>]` for captureFixtures.mjs (the turn of a multi-turn
// scenario such as `sessions`, whose own sessions and users --session / --user do not override).
import { parseArgs } from 'node:util';
import { startMockOpenAI } from './mockOpenAI.mjs';
import { CORE_SCENARIOS, SCENARIOS, runTurns } from './scenarios.mjs';
import { createExporters } from './telemetry.mjs';

export const LIBRARIES = {
  'otel-openai': './libraries/otelOpenai.mjs',
  traceloop: './libraries/traceloop.mjs',
  openinference: './libraries/openinference.mjs',
  // These two need `npm ci` in legacy/ first (captureFixtures.mjs does it).
  'traceloop-legacy': './legacy/traceloopLegacy.mjs',
  'azure-ai-inference': './legacy/azureAiInference.mjs',
};

const { values } = parseArgs({
  options: {
    library: { type: 'string' },
    protocol: { type: 'string', default: 'protobuf' },
    gzip: { type: 'boolean', default: false },
    scenarios: { type: 'string', default: CORE_SCENARIOS.join(',') },
    session: { type: 'string' },
    user: { type: 'string' },
    'openai-base-url': { type: 'string' },
    markers: { type: 'boolean', default: false },
  },
});

const modulePath = LIBRARIES[values.library ?? ''];
if (!modulePath) {
  console.error(`--library must be one of ${Object.keys(LIBRARIES).join(', ')}`);
  process.exit(2);
}
const scenarios = values.scenarios.split(',').filter(Boolean);
const unknown = scenarios.filter((s) => !SCENARIOS.includes(s));
if (unknown.length > 0) {
  console.error(`unknown scenarios: ${unknown.join(', ')} (known: ${SCENARIOS.join(', ')})`);
  process.exit(2);
}

let mock;
let baseURL = values['openai-base-url'] ?? process.env.OPENAI_BASE_URL;
if (!baseURL) {
  mock = await startMockOpenAI();
  baseURL = mock.url;
}

let exitCode = 0;
try {
  const library = await import(modulePath);
  const app = await library.setup({
    exporters: createExporters({ protocol: values.protocol, gzip: values.gzip }),
    // maxRetries 0: the mock's 500 is deliberate, and a retry would only add a backoff pause.
    openaiOptions: { apiKey: 'sk-mock-0000000000000000', baseURL, maxRetries: 0 },
  });
  for (const scenario of scenarios) {
    let started = Date.now();
    for await (const result of runTurns(scenario, {
      openai: app.openai,
      hooks: app.hooks,
      sessionId: values.session,
      userId: values.user,
    })) {
      const preview = result.text.length > 70 ? `${result.text.slice(0, 67)}...` : result.text;
      const name = result.turn ? `${scenario} ${result.turn}` : scenario;
      console.log(
        `[${values.library}] ${name.padEnd(10)} ${result.failed ? 'FAILED' : 'ok    '} ${String(Date.now() - started).padStart(5)} ms  ${result.sessionId} ${result.userId}  ${preview.replace(/\s+/g, ' ')}`,
      );
      await app.flush();
      if (values.markers) console.log(`@@turn-flushed ${scenario}${result.turn ? ` ${result.turn}` : ''}`);
      started = Date.now();
    }
  }
  await app.shutdown();
} catch (err) {
  console.error(err);
  exitCode = 1;
} finally {
  await mock?.close();
}
process.exit(exitCode);
