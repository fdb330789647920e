// Forwarding to another OTLP/HTTP endpoint: what arrives there is what was received, byte for byte, with
// its content type; a dead or failing endpoint is logged once and never throws; beyond the in-flight cap
// requests are dropped and counted.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemoryLogger } from '../../../src/core/logger';
import { OtlpForwarder, parseForwardEndpoint } from '../../../src/otlp/forwarder';

describe('OtlpForwarder', () => {
  const got: { path: string; type: string; body: Buffer }[] = [];
  let status = 200;
  let hold = false;
  const held: http.ServerResponse[] = [];
  let server: http.Server;
  let base: string;

  before(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        got.push({
          path: req.url ?? '',
          type: String(req.headers['content-type']),
          body: Buffer.concat(chunks),
        });
        if (hold) held.push(res);
        else res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('sends each request to <endpoint>/v1/<signal> with its content type, byte for byte', async () => {
    const f = new OtlpForwarder({ endpoint: `${base}/otlp/`, logger: new MemoryLogger() });
    await f.forward('traces', 'protobuf', Buffer.from([1, 2, 3]));
    await f.forward('logs', 'json', Buffer.from('{"resourceLogs":[]}'));
    f.dispose();
    assert.deepEqual(
      got.slice(-2).map((g) => [g.path, g.type, g.body.toString('hex')]),
      [
        ['/otlp/v1/traces', 'application/x-protobuf', '010203'],
        ['/otlp/v1/logs', 'application/json', Buffer.from('{"resourceLogs":[]}').toString('hex')],
      ],
    );
    assert.deepEqual(f.stats, { sent: 2, failed: 0, dropped: 0 });
  });

  it('logs a failing or dead endpoint once, and never throws', async () => {
    const logger = new MemoryLogger();
    status = 503;
    const f = new OtlpForwarder({ endpoint: base, logger });
    await f.forward('traces', 'protobuf', Buffer.from([1]));
    await f.forward('traces', 'protobuf', Buffer.from([2]));
    status = 200;
    f.dispose();
    const dead = new OtlpForwarder({ endpoint: 'http://127.0.0.1:9', logger, timeoutMs: 2000 });
    await dead.forward('traces', 'protobuf', Buffer.from([1]));
    dead.dispose();
    assert.equal(f.stats.failed, 2);
    assert.equal(dead.stats.failed, 1);
    const warnings = logger.lines.filter((l) => l.level === 'warn').map((l) => l.message);
    assert.equal(warnings.filter((w) => /HTTP 503/.test(w)).length, 1, warnings.join('\n'));
    assert.ok(warnings.some((w) => /ECONNREFUSED/.test(w)));
  });

  it('drops what goes beyond the in-flight cap, and counts it', async () => {
    hold = true;
    const f = new OtlpForwarder({ endpoint: base, logger: new MemoryLogger(), maxInFlight: 2 });
    const pending = [1, 2, 3, 4].map((n) => f.forward('traces', 'protobuf', Buffer.from([n])));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(f.stats.dropped, 2);
    hold = false;
    for (const res of held.splice(0)) res.writeHead(200).end();
    await Promise.all(pending);
    f.dispose();
    assert.equal(f.stats.sent, 2);
  });

  it('takes only http(s) endpoints without credentials', () => {
    assert.ok(parseForwardEndpoint('http://127.0.0.1:4319'));
    assert.ok(parseForwardEndpoint('https://collector.example/otlp'));
    for (const bad of ['', 'ftp://x', 'file:///etc', 'http://user:pw@host', 'not a url']) {
      assert.equal(parseForwardEndpoint(bad), undefined, bad);
    }
  });
});
