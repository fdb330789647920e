// Runs the app's turns (turns.mjs) under ONE instrumentation library, exported by the Azure Monitor
// exporter, and exits. One process per library, because instrumentations patch the `openai` module
// globally and would otherwise see each other's calls. The exporter sends to the ingestion endpoint of
// APPLICATIONINSIGHTS_CONNECTION_STRING; captureAppInsights.mjs starts this with everything set.
//
//   node runApp.mjs --library otel-openai|traceloop|openinference --openai-base-url URL
//
// After each turn it flushes every provider, so each request the exporter sends holds one turn, and
// prints `@@turn-flushed <turn>`.
import { parseArgs } from 'node:util';
import { registerSampleImports } from './sampleImports.mjs';

export const LIBRARIES = {
  'otel-openai': './libraries/otelOpenai.mjs',
  traceloop: './libraries/traceloop.mjs',
  openinference: './libraries/openinference.mjs',
};

const { values } = parseArgs({
  options: { library: { type: 'string' }, 'openai-base-url': { type: 'string' } },
});
const modulePath = LIBRARIES[values.library ?? ''];
if (!modulePath || !values['openai-base-url']) {
  console.error(`usage: --library ${Object.keys(LIBRARIES).join('|')} --openai-base-url URL`);
  process.exit(2);
}

// Before ../scenarios.mjs is first imported (by turns.mjs).
registerSampleImports();
const { runTurns } = await import('./turns.mjs');

let exitCode = 0;
try {
  const library = await import(modulePath);
  const app = await library.setup({
    // maxRetries 0: the mock's 500 is deliberate, and a retry would only add a backoff pause.
    openaiOptions: { apiKey: 'sk-mock-0000000000000000', baseURL: values['openai-base-url'], maxRetries: 0 },
  });
  await runTurns(app, async (name, result) => {
    const preview = result.text.length > 60 ? `${result.text.slice(0, 57)}...` : result.text;
    console.log(`[${values.library}] ${name.padEnd(8)} ${result.failed ? 'FAILED' : 'ok    '} ${preview}`);
    await app.flush();
    console.log(`@@turn-flushed ${name}`);
  });
  await app.shutdown();
} catch (err) {
  console.error(err);
  exitCode = 1;
}
process.exit(exitCode);
