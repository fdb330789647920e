// OTLP/HTTP exporters for the sample app, protobuf or JSON, plain or gzip'd. They take their endpoint
// from OTEL_EXPORTER_OTLP_ENDPOINT (and append /v1/traces, /v1/logs, /v1/metrics), exactly as an app
// configured by environment does, so the receiver under test sees ordinary exporter traffic.
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import {
  OTLPMetricExporter as JsonMetricExporter,
  AggregationTemporalityPreference,
} from '@opentelemetry/exporter-metrics-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';

export const SERVICE_NAME = 'wayfarer-trips';
export const SERVICE_VERSION = '1.4.0';

export function appResource() {
  return resourceFromAttributes({
    'service.name': SERVICE_NAME,
    'service.version': SERVICE_VERSION,
    'deployment.environment.name': 'development',
  });
}

/** @param {{ protocol: 'protobuf' | 'json', gzip?: boolean }} options */
export function createExporters({ protocol, gzip = false }) {
  if (protocol !== 'protobuf' && protocol !== 'json') throw new Error(`unknown protocol ${protocol}`);
  const compression = gzip ? 'gzip' : 'none';
  const proto = protocol === 'protobuf';
  // Delta temporality: each flush then carries only what happened since the previous one, so a
  // metrics request belongs to one scenario like the spans and logs do.
  const metricOptions = { compression, temporalityPreference: AggregationTemporalityPreference.DELTA };
  return {
    traces: proto ? new ProtoTraceExporter({ compression }) : new JsonTraceExporter({ compression }),
    logs: proto ? new ProtoLogExporter({ compression }) : new JsonLogExporter({ compression }),
    metrics: proto ? new ProtoMetricExporter(metricOptions) : new JsonMetricExporter(metricOptions),
  };
}

/**
 * The app's tracer provider, registered as the global one (context manager included). Adapters in
 * legacy/ use it too, so every library is exported by the same SDK version.
 */
export function createAppTracerProvider(traceExporter) {
  const provider = new NodeTracerProvider({
    resource: appResource(),
    spanProcessors: [new BatchSpanProcessor(traceExporter)],
  });
  provider.register();
  return provider;
}
