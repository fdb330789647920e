// The span-events generation of GenAI content: the Azure AI Inference client (@azure-rest/ai-inference)
// traced through @azure/opentelemetry-instrumentation-azure-sdk writes each message as a span event
// (gen_ai.system.message, gen_ai.user.message, gen_ai.assistant.message, gen_ai.tool.message,
// gen_ai.choice) whose JSON payload is the gen_ai.event.content attribute. The client talks to the
// same mock (it posts to {endpoint}/chat/completions); a thin shim gives the scenarios the
// `openai.chat.completions.create` shape they call. Streaming is not part of this capture.
import { createRequire } from 'node:module';
import { SpanKind } from '@opentelemetry/api';
import { createAppTracerProvider, SERVICE_VERSION } from '../telemetry.mjs';

const require = createRequire(import.meta.url);

export const libraryPackage = '@azure-rest/ai-inference';

export async function setup({ exporters, openaiOptions }) {
  if (process.env.AZURE_TRACING_GEN_AI_CONTENT_RECORDING_ENABLED === undefined) {
    process.env.AZURE_TRACING_GEN_AI_CONTENT_RECORDING_ENABLED = 'true';
  }
  const tracerProvider = createAppTracerProvider(exporters.traces);
  // Enabled before the Azure client loads @azure/core-tracing, so core-tracing reports to OpenTelemetry.
  const { createAzureSdkInstrumentation } = require('@azure/opentelemetry-instrumentation-azure-sdk');
  const instrumentation = createAzureSdkInstrumentation();
  instrumentation.setTracerProvider(tracerProvider);
  instrumentation.enable();
  const { default: createModelClient, isUnexpected } = require('@azure-rest/ai-inference');
  const { AzureKeyCredential } = require('@azure/core-auth');
  const client = createModelClient(openaiOptions.baseURL, new AzureKeyCredential(openaiOptions.apiKey), {
    allowInsecureConnection: true,
    retryOptions: { maxRetries: 0 },
  });

  const openai = {
    chat: {
      completions: {
        create: async (params) => {
          if (params.stream) throw new Error('streaming is not captured for the Azure AI Inference client');
          const res = await client.path('/chat/completions').post({ body: params });
          if (isUnexpected(res)) {
            const err = new Error(`${res.status} ${res.body?.error?.message ?? 'request failed'}`);
            err.status = Number(res.status);
            throw err;
          }
          return res.body;
        },
      },
    },
  };

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
            'gen_ai.tool.call.id': call.callId,
          },
        },
        async (span) => {
          try {
            return await fn();
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
