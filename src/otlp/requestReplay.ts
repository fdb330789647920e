// Replays the request log into the store on start, through the same decoder the receiver uses, a slice at
// a time: the extension host yields between slices, so the editor stays responsive while a large log is
// read. A request that no longer decodes is skipped and counted. Metrics requests are kept only when they
// held GenAI metrics (the receivers hand on no others), and replayed like the rest.

import type { TelemetryBatch } from '../core/records';
import { decodeOtlp } from './decode';
import type { LogPosition, RequestLog } from './requestLog';

export interface ReplayResult {
  requests: number;
  spans: number;
  logs: number;
  /** Data points of the GenAI metrics (the other metrics are not kept). */
  metricPoints: number;
  skipped: number;
}

export async function replayRequestLog(
  log: RequestLog,
  /** Each request decoded, with where its record ends in the log. */
  ingest: (batch: TelemetryBatch, at: LogPosition) => void,
  options: { sliceMs?: number; yieldTo?: () => Promise<void>; cancelled?: () => boolean } = {},
): Promise<ReplayResult> {
  const sliceMs = options.sliceMs ?? 15;
  const yieldTo = options.yieldTo ?? (() => new Promise<void>((resolve) => setImmediate(resolve)));
  const result: ReplayResult = { requests: 0, spans: 0, logs: 0, metricPoints: 0, skipped: 0 };
  // The first slice waits too: replay starts after activation, not inside it.
  await yieldTo();
  let sliceStart = Date.now();
  for (const request of log.read()) {
    if (options.cancelled?.()) break;
    try {
      const batch = decodeOtlp(request.signal, request.body, request.encoding);
      ingest(batch, request.at);
      result.requests++;
      result.spans += batch.spans.length;
      result.logs += batch.logs.length;
      result.metricPoints += batch.metrics?.length ?? 0;
    } catch {
      result.skipped++;
    }
    if (Date.now() - sliceStart >= sliceMs) {
      await yieldTo();
      sliceStart = Date.now();
    }
  }
  return result;
}
