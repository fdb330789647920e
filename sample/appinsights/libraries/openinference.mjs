// The app instrumented with OpenInference (@arizeai/openinference-instrumentation-openai), exported by
// the Azure Monitor exporter. The instrumentation records the LLM spans; the app adds its request span
// (session.id, enduser.id), a CHAIN span for the turn with OpenInference's session.id and user.id, and a
// TOOL span.
import { createRequire } from 'node:module';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { OpenAIInstrumentation } from '@arizeai/openinference-instrumentation-openai';
import { appResource, createTraceExporter, httpTurn, SERVICE_VERSION } from '../appTelemetry.mjs';

const require = createRequire(import.meta.url);

export const libraryPackage = '@arizeai/openinference-instrumentation-openai';

export async function setup({ openaiOptions }) {
  const tracerProvider = new NodeTracerProvider({
    resource: appResource(),
    spanProcessors: [new BatchSpanProcessor(createTraceExporter())],
  });
  tracerProvider.register();
  const instrumentation = new OpenAIInstrumentation();
  instrumentation.setTracerProvider(tracerProvider);
  const openaiModule = require('openai');
  // Explicit, so patching does not depend on module load order.
  instrumentation.manuallyInstrument(openaiModule);
  const openai = new openaiModule.OpenAI(openaiOptions);

  const tracer = tracerProvider.getTracer('wayfarer-app', SERVICE_VERSION);
  const hooks = {
    turn: (meta, fn) =>
      httpTurn(tracer, meta, () =>
        tracer.startActiveSpan(
          'handle_turn',
          {
            kind: SpanKind.INTERNAL,
            attributes: {
              'openinference.span.kind': 'CHAIN',
              'session.id': meta.sessionId,
              'user.id': meta.userId,
              'input.value': meta.userText,
              'input.mime_type': 'text/plain',
            },
          },
          async (span) => {
            try {
              const text = await fn();
              span.setAttributes({ 'output.value': text, 'output.mime_type': 'text/plain' });
              // A failed turn already carries ERROR; OK would overwrite it.
              if (!meta.failed) span.setStatus({ code: SpanStatusCode.OK });
              return text;
            } finally {
              span.end();
            }
          },
        ),
      ),
    tool: (call, fn) =>
      tracer.startActiveSpan(
        call.name,
        {
          kind: SpanKind.INTERNAL,
          attributes: {
            'openinference.span.kind': 'TOOL',
            'tool.name': call.name,
            'tool_call.id': call.callId,
            'input.value': JSON.stringify(call.args),
            'input.mime_type': 'application/json',
          },
        },
        async (span) => {
          try {
            const result = await fn();
            span.setAttributes({
              'output.value': JSON.stringify(result),
              'output.mime_type': 'application/json',
            });
            span.setStatus({ code: SpanStatusCode.OK });
            return result;
          } finally {
            span.end();
          }
        },
      ),
  };

  return {
    openai,
    hooks,
    flush: () => tracerProvider.forceFlush(),
    shutdown: () => tracerProvider.shutdown(),
  };
}
