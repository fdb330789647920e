// Replays the request log into the store on start, through the same decoder the receiver uses, a slice at
// a time: the extension host yields between slices, so the editor stays responsive while a large log is
// read. A request that no longer decodes is skipped and counted.

import type { TelemetryBatch } from '../core/records';
import { decodeOtlp } from './decode';
import type { RequestLog } from './requestLog';

export interface ReplayResult {
  requests: number;
  spans: number;
  logs: number;
  skipped: number;
}

export async function replayRequestLog(
  log: RequestLog,
  ingest: (batch: TelemetryBatch) => void,
  options: { sliceMs?: number; yieldTo?: () => Promise<void>; cancelled?: () => boolean } = {},
): Promise<ReplayResult> {
  const sliceMs = options.sliceMs ?? 15;
  const yieldTo = options.yieldTo ?? (() => new Promise<void>((resolve) => setImmediate(resolve)));
  const result: ReplayResult = { requests: 0, spans: 0, logs: 0, skipped: 0 };
  // The first slice waits too: replay starts after activation, not inside it.
  await yieldTo();
  let sliceStart = Date.now();
  for (const request of log.read()) {
    if (options.cancelled?.()) break;
    if (request.signal !== 'metrics') {
      try {
        const batch = decodeOtlp(request.signal, request.body, request.encoding);
        ingest(batch);
        result.requests++;
        result.spans += batch.spans.length;
        result.logs += batch.logs.length;
      } catch {
        result.skipped++;
      }
    }
    if (Date.now() - sliceStart >= sliceMs) {
      await yieldTo();
      sliceStart = Date.now();
    }
  }
  return result;
}
