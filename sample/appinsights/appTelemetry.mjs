// What every library's setup shares: the app's resource, the Azure Monitor exporters (connection string
// from APPLICATIONINSIGHTS_CONNECTION_STRING, as an app configured by environment has it) and the app's
// own HTTP server span for a turn, which carries session.id and enduser.id the way an app sets them on
// its request span (the exporter moves them into the session_Id and user_AuthenticatedId columns).
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AzureMonitorLogExporter,
  AzureMonitorMetricExporter,
  AzureMonitorTraceExporter,
} from '@azure/monitor-opentelemetry-exporter';

// As in ../telemetry.mjs (not importable here: it loads the OTLP exporters).
export const SERVICE_NAME = 'wayfarer-trips';
export const SERVICE_NAMESPACE = 'wayfarer';
export const SERVICE_VERSION = '1.4.0';

export const RESOURCE_ATTRIBUTES = {
  'service.namespace': SERVICE_NAMESPACE,
  'service.version': SERVICE_VERSION,
  'deployment.environment.name': 'development',
};

export function appResource() {
  return resourceFromAttributes({ 'service.name': SERVICE_NAME, ...RESOURCE_ATTRIBUTES });
}

function exporterOptions() {
  const connectionString = process.env.APPLICATIONINSIGHTS_CONNECTION_STRING;
  if (!connectionString) throw new Error('APPLICATIONINSIGHTS_CONNECTION_STRING is not set');
  // No offline storage: a failed send should fail the capture, not be retried from disk later.
  return { connectionString, disableOfflineStorage: true };
}

export const createTraceExporter = () => new AzureMonitorTraceExporter(exporterOptions());
export const createLogExporter = () => new AzureMonitorLogExporter(exporterOptions());
export const createMetricExporter = () => new AzureMonitorMetricExporter(exporterOptions());

/**
 * The app's `POST /api/chat` server span around one turn (a request row). A failed turn answers 503
 * with the apology, so its request is unsuccessful too.
 */
export function httpTurn(tracer, meta, fn) {
  return tracer.startActiveSpan(
    'POST /api/chat',
    {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': 'POST',
        'http.route': '/api/chat',
        'url.scheme': 'https',
        'url.path': '/api/chat',
        'server.address': 'trips.wayfarer.example',
        'server.port': 443,
        'client.address': '203.0.113.24',
        'user_agent.original': 'WayfarerWeb/1.4.0',
        'session.id': meta.sessionId,
        'enduser.id': meta.userId,
      },
    },
    async (span) => {
      try {
        const text = await fn();
        span.setAttribute('http.response.status_code', meta.failed ? 503 : 200);
        if (meta.failed) span.setStatus({ code: SpanStatusCode.ERROR });
        return text;
      } finally {
        span.end();
      }
    },
  );
}
