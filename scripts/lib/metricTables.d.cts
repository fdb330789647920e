/** The stand-in's modules (logs-api.js, kql.js, ingest.js, schema.js), its schema with the metrics tables. */
export function standIn(): { schema: unknown; logsApi: unknown; kql: unknown; ingestion: unknown };
/** ingest.js's rows of the envelope folders, with customMetrics and AppMetrics rows of their MetricData. */
export function ingestWithMetrics(dirs: string[], newest?: number): Record<string, unknown[][]>;
