// The app instrumented with OpenLLMetry (@traceloop/node-server-sdk), exported by the Azure Monitor
// exporter. Session and user go in as association properties (traceloop.association.properties.*), the
// turn is a Traceloop workflow and the tool a Traceloop tool, as the SDK's docs have apps do it; around
// them the app's own request span carries session.id and enduser.id.
import { createRequire } from 'node:module';
import { trace } from '@opentelemetry/api';
import * as traceloop from '@traceloop/node-server-sdk';
import {
  createTraceExporter,
  httpTurn,
  RESOURCE_ATTRIBUTES,
  SERVICE_NAME,
  SERVICE_VERSION,
} from '../appTelemetry.mjs';

const require = createRequire(import.meta.url);

export const libraryPackage = '@traceloop/node-server-sdk';

export async function setup({ openaiOptions }) {
  // The SDK builds its own resource (NodeSDK, which reads these) from appName.
  process.env.OTEL_RESOURCE_ATTRIBUTES = Object.entries(RESOURCE_ATTRIBUTES)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  // NodeSDK would otherwise set up OTLP log and metric exporters of its own.
  process.env.OTEL_LOGS_EXPORTER ??= 'none';
  process.env.OTEL_METRICS_EXPORTER ??= 'none';
  const { OpenAI } = require('openai');
  traceloop.initialize({
    appName: SERVICE_NAME,
    exporter: createTraceExporter(),
    // Offline: without this, initialize() tries to fetch prompts from Traceloop's cloud.
    traceloopSyncEnabled: false,
    // Patch the very class this app uses (CommonJS instance of `openai`).
    instrumentModules: { openAI: OpenAI },
    silenceInitializationMessage: true,
  });
  const openai = new OpenAI(openaiOptions);
  // initialize() registered the SDK's tracer provider globally.
  const tracer = trace.getTracer('wayfarer-app', SERVICE_VERSION);

  const hooks = {
    // The extra arguments are what the SDK records as traceloop.entity.input.
    turn: (meta, fn) =>
      httpTurn(tracer, meta, () =>
        traceloop.withAssociationProperties({ session_id: meta.sessionId, user_id: meta.userId }, () =>
          traceloop.withWorkflow({ name: 'handle_turn' }, (_userMessage) => fn(), meta.userText),
        ),
      ),
    tool: (call, fn) => traceloop.withTool({ name: call.name }, (_args) => fn(), call.args),
  };

  return {
    openai,
    hooks,
    flush: () => traceloop.forceFlush(),
    // The SDK exports no shutdown; everything is out once the flush has resolved.
    shutdown: () => traceloop.forceFlush(),
  };
}
