// Replays every request body the real instrumentation libraries sent (test/fixtures) through the real
// receiver, with the content type and encoding each was recorded with: every one must be accepted, and
// what the receiver hands on must be exactly what decoding the same body directly gives.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryLogger } from '../../../src/core/logger';
import type { DecodedRequest } from '../../../src/otlp/decode';
import { otlpTypes } from '../../../src/otlp/otlpProto';
import { OtlpHttpReceiver, type ReceiverBatchInfo } from '../../../src/otlp/httpReceiver';
import { fixtureBatch, fixtureBody, fixtureEntries, fixturePayload } from '../helpers/fixtures';
import { send } from './helpers';

describe('replaying the captured fixtures through the receiver', () => {
  const received: { batch: DecodedRequest; info: ReceiverBatchInfo }[] = [];
  const logger = new MemoryLogger();
  let receiver: OtlpHttpReceiver;
  let port: number;

  before(async () => {
    receiver = new OtlpHttpReceiver({
      host: '127.0.0.1',
      port: 0,
      maxBodyBytes: 20 * 1024 * 1024,
      logger,
      onBatch: (batch, info) => void received.push({ batch, info }),
    });
    port = (await receiver.start()).port;
  });
  after(() => receiver.stop());

  const entries = fixtureEntries();
  it('has fixtures to replay, for every signal', () => {
    assert.ok(entries.length > 0);
    for (const signal of ['traces', 'logs', 'metrics'] as const)
      assert.ok(
        entries.some((e) => e.signal === signal),
        signal,
      );
    assert.ok(
      entries.some((e) => e.contentEncoding === 'gzip'),
      'a gzip body',
    );
  });

  for (const entry of entries) {
    it(`accepts ${entry.file} (${entry.contentType}${entry.contentEncoding ? `, ${entry.contentEncoding}` : ''})`, async () => {
      const body = fixtureBody(entry);
      const headers: Record<string, string> = { 'content-type': entry.contentType };
      if (entry.contentEncoding) headers['content-encoding'] = entry.contentEncoding;
      const before = received.length;
      const answer = await send(port, entry.path, { headers, body });
      assert.equal(answer.status, 200, answer.body.toString());

      // The answer is a full success in the request's own encoding.
      if (entry.encoding === 'json') {
        assert.deepEqual(JSON.parse(answer.body.toString()), {});
      } else {
        const types = otlpTypes();
        const type =
          entry.signal === 'traces'
            ? types.traceResponse
            : entry.signal === 'logs'
              ? types.logsResponse
              : types.metricsResponse;
        assert.deepEqual(type.toObject(type.decode(answer.body)), {});
      }

      const direct = fixtureBatch(entry);
      assert.equal(direct.rejected, 0);
      if (entry.signal === 'metrics') {
        // Every captured metrics request holds GenAI metrics, which are handed on (kept and replayed).
        assert.ok(direct.metricCount > 0);
        assert.ok((direct.metrics?.length ?? 0) > 0, 'GenAI data points are read');
      } else assert.ok(direct.spans.length + direct.logs.length > 0, 'the fixture carries something');
      assert.equal(received.length, before + 1);
      const { batch, info } = received.at(-1)!;
      assert.equal(batch.spans.length, direct.spans.length);
      assert.equal(batch.logs.length, direct.logs.length);
      assert.equal(batch.metrics?.length, direct.metrics?.length);
      assert.deepEqual(batch, direct);
      const { body: kept, ...rest } = info;
      assert.ok(
        kept && Buffer.from(kept).equals(fixturePayload(entry)),
        'the decompressed body is handed on',
      );
      assert.deepEqual(rest, {
        signal: entry.signal,
        encoding: entry.encoding,
        bytes: body.length,
        remoteAddress: '127.0.0.1',
        ...(entry.contentEncoding ? { contentEncoding: entry.contentEncoding } : {}),
      });
    });
  }

  it('refused nothing and logged no warning', () => {
    assert.deepEqual(
      logger.lines.filter((l) => l.level === 'warn' || l.level === 'error'),
      [],
    );
  });
});
