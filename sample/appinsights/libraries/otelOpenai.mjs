// The app instrumented with @opentelemetry/instrumentation-openai, exported by the Azure Monitor
// exporter: spans for the calls, message content as log records (only with a LoggerProvider and
// OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true), which become rows of `traces`, and the
// gen_ai.client.token.usage and gen_ai.client.operation.duration histograms, which the metric exporter
// sends as MetricData envelopes (Application Insights keeps them in customMetrics / AppMetrics). The
// instrumentation sets no session or user: the app's request span carries session.id and enduser.id,
// and its invoke_agent span gen_ai.conversation.id. The app writes its own execute_tool span.
import { createRequire } from 'node:module';
import { SpanKind } from '@opentelemetry/api';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { OpenAIInstrumentation } from '@opentelemetry/instrumentation-openai';
import {
  appResource,
  createLogExporter,
  createMetricExporter,
  createTraceExporter,
  httpTurn,
  SERVICE_VERSION,
} from '../appTelemetry.mjs';

const require = createRequire(import.meta.url);

export const libraryPackage = '@opentelemetry/instrumentation-openai';

export async function setup({ openaiOptions }) {
  process.env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT ??= 'true';
  const resource = appResource();
  const tracerProvider = new NodeTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(createTraceExporter())],
  });
  tracerProvider.register();
  // sdk-logs of the exporter's own minor (0.221): with another, the exporter sends no log records.
  const loggerProvider = new LoggerProvider({
    resource,
    processors: [new BatchLogRecordProcessor({ exporter: createLogExporter() })],
  });

  // Registered before `openai` is first required, so its require hook patches the module.
  const instrumentation = new OpenAIInstrumentation();
  instrumentation.setTracerProvider(tracerProvider);
  instrumentation.setLoggerProvider(loggerProvider);
  // Its histograms exist only once a meter provider is set (without, a failed call throws inside the
  // instrumentation). Exported on each flush (the interval is longer than a capture), as delta points:
  // the exporter's temporality for histograms.
  const meterProvider = new MeterProvider({
    resource,
    readers: [
      new PeriodicExportingMetricReader({
        exporter: createMetricExporter(),
        exportIntervalMillis: 3_600_000,
      }),
    ],
  });
  instrumentation.setMeterProvider(meterProvider);
  const { OpenAI } = require('openai');
  const openai = new OpenAI(openaiOptions);

  const tracer = tracerProvider.getTracer('wayfarer-app', SERVICE_VERSION);
  const inSpan = (name, attributes, fn, after) =>
    tracer.startActiveSpan(name, { kind: SpanKind.INTERNAL, attributes }, async (span) => {
      try {
        const result = await fn();
        after?.(span, result);
        return result;
      } finally {
        span.end();
      }
    });
  const hooks = {
    turn: (meta, fn) =>
      httpTurn(tracer, meta, () =>
        inSpan(
          'invoke_agent Wayfarer',
          {
            'gen_ai.operation.name': 'invoke_agent',
            'gen_ai.provider.name': 'openai',
            'gen_ai.agent.name': 'Wayfarer',
            'gen_ai.conversation.id': meta.sessionId,
          },
          fn,
        ),
      ),
    tool: (call, fn) =>
      inSpan(
        `execute_tool ${call.name}`,
        {
          'gen_ai.operation.name': 'execute_tool',
          'gen_ai.tool.name': call.name,
          'gen_ai.tool.type': 'function',
          'gen_ai.tool.call.id': call.callId,
          'gen_ai.tool.call.arguments': JSON.stringify(call.args),
        },
        fn,
        (span, result) => span.setAttribute('gen_ai.tool.call.result', JSON.stringify(result)),
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
