// The app instrumented with @opentelemetry/instrumentation-openai: spans for the calls, message
// content as log records (only with a LoggerProvider and OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT),
// and duration/token histograms. The instrumentation sets no session or user, so the app puts
// gen_ai.conversation.id and enduser.id on its own parent span, and writes its own execute_tool span.
import { createRequire } from 'node:module';
import { SpanKind } from '@opentelemetry/api';
import { LoggerProvider, BatchLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { OpenAIInstrumentation } from '@opentelemetry/instrumentation-openai';
import { appResource, createAppTracerProvider, SERVICE_VERSION } from '../telemetry.mjs';

const require = createRequire(import.meta.url);

export const libraryPackage = '@opentelemetry/instrumentation-openai';

export async function setup({ exporters, openaiOptions }) {
  if (process.env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT === undefined) {
    process.env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT = 'true';
  }
  const resource = appResource();
  const tracerProvider = createAppTracerProvider(exporters.traces);
  const loggerProvider = new LoggerProvider({
    resource,
    processors: [new BatchLogRecordProcessor({ exporter: exporters.logs })],
  });
  // A long interval: the runner flushes explicitly after each turn.
  const metricReader = new PeriodicExportingMetricReader({
    exporter: exporters.metrics,
    exportIntervalMillis: 3_600_000,
  });
  const meterProvider = new MeterProvider({ resource, readers: [metricReader] });

  // Registered before `openai` is first required, so its require hook patches the module.
  const instrumentation = new OpenAIInstrumentation();
  instrumentation.setTracerProvider(tracerProvider);
  instrumentation.setLoggerProvider(loggerProvider);
  instrumentation.setMeterProvider(meterProvider);
  const { OpenAI } = require('openai');
  const openai = new OpenAI(openaiOptions);

  const tracer = tracerProvider.getTracer('wayfarer-app', SERVICE_VERSION);
  const hooks = {
    turn: (meta, fn) =>
      tracer.startActiveSpan(
        'handle_turn',
        {
          kind: SpanKind.INTERNAL,
          attributes: { 'gen_ai.conversation.id': meta.sessionId, 'enduser.id': meta.userId },
        },
        async (span) => {
          try {
            return await fn();
          } finally {
            span.end();
          }
        },
      ),
    tool: (call, fn) =>
      tracer.startActiveSpan(
        `execute_tool ${call.name}`,
        {
          kind: SpanKind.INTERNAL,
          attributes: {
            'gen_ai.operation.name': 'execute_tool',
            'gen_ai.tool.name': call.name,
            'gen_ai.tool.type': 'function',
            'gen_ai.tool.call.id': call.callId,
            'gen_ai.tool.call.arguments': JSON.stringify(call.args),
          },
        },
        async (span) => {
          try {
            const result = await fn();
            span.setAttribute('gen_ai.tool.call.result', JSON.stringify(result));
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
    flush: async () => {
      await tracerProvider.forceFlush();
      await loggerProvider.forceFlush();
      await meterProvider.forceFlush();
    },
    shutdown: async () => {
      await tracerProvider.shutdown();
      await loggerProvider.shutdown();
      await meterProvider.shutdown();
    },
  };
}
