// The port probe against what can really hold a port: our own receiver, stand-ins that answer exactly
// as the named products do, a plain web server, programs that accept TCP but never speak HTTP, and a
// closed port. Every server here listens on port 0 and is closed in `after`.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import { MemoryLogger } from '../../../src/core/logger';
import { OtlpHttpReceiver } from '../../../src/otlp/httpReceiver';
import { findFreePort, probeOtlpPort } from '../../../src/otlp/portProbe';

const HOST = '127.0.0.1';
const closers: (() => Promise<void>)[] = [];

after(async () => {
  for (const close of closers.reverse()) await close();
});

async function httpServer(handler: http.RequestListener): Promise<number> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return (server.address() as net.AddressInfo).port;
}

async function tcpServer(onConnection: (socket: net.Socket) => void): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return (server.address() as net.AddressInfo).port;
}

/** Answers like an OTLP/HTTP receiver that accepts JSON and protobuf, with optional extras. */
function otlpLike(
  extra: { server?: string; page?: string; getTraces?: [number, string] } = {},
): http.RequestListener {
  return (req, res) => {
    req.resume();
    req.on('end', () => {
      if (extra.server) res.setHeader('Server', extra.server);
      if (req.method === 'POST' && req.url === '/v1/traces') {
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"partialSuccess":{}}');
      } else if (req.method === 'GET' && req.url === '/' && extra.page) {
        res.writeHead(200, { 'Content-Type': 'text/html' }).end(extra.page);
      } else if (req.method === 'GET' && req.url === '/v1/traces' && extra.getTraces) {
        res.writeHead(extra.getTraces[0], { 'Content-Type': 'text/plain' }).end(extra.getTraces[1]);
      } else {
        res.writeHead(404).end('404 page not found\n');
      }
    });
  };
}

describe('probeOtlpPort', () => {
  it('recognises another LLM Trace Inspector receiver', async () => {
    const receiver = new OtlpHttpReceiver({
      host: HOST,
      port: 0,
      maxBodyBytes: 1024,
      logger: new MemoryLogger(),
      onBatch: () => undefined,
    });
    const { port } = await receiver.start();
    closers.push(() => receiver.stop());
    assert.deepEqual(await probeOtlpPort(HOST, port, 2000), {
      kind: 'llmTraceInspector',
      label: 'another VS Code window running LLM Trace Inspector',
    });
  });

  it('calls an unnamed OTLP receiver "another OTLP receiver", with its Server header when it sends one', async () => {
    assert.deepEqual(await probeOtlpPort(HOST, await httpServer(otlpLike()), 2000), {
      kind: 'otlp',
      label: 'another OTLP receiver',
    });
    assert.deepEqual(await probeOtlpPort(HOST, await httpServer(otlpLike({ server: 'Kestrel' })), 2000), {
      kind: 'otlp',
      label: 'another OTLP receiver (Kestrel)',
    });
  });

  it("names the OpenTelemetry Collector by its OTLP receiver's answer to a GET", async () => {
    const port = await httpServer(
      otlpLike({ getTraces: [405, '405 method not allowed, supported: [POST]'] }),
    );
    assert.deepEqual(await probeOtlpPort(HOST, port, 2000), {
      kind: 'otlp',
      label: 'an OpenTelemetry Collector (or a tool built on it)',
    });
  });

  it('names a product whose own page says what it is, and only then', async () => {
    const phoenix = await httpServer(
      otlpLike({
        page: '<!DOCTYPE html><html><head><title>Phoenix</title><meta name="title" content="Arize Phoenix" /></head></html>',
      }),
    );
    assert.deepEqual(await probeOtlpPort(HOST, phoenix, 2000), { kind: 'otlp', label: 'Arize Phoenix' });
    const jaeger = await httpServer(otlpLike({ page: '<html><head><title>Jaeger UI</title></head></html>' }));
    assert.deepEqual(await probeOtlpPort(HOST, jaeger, 2000), { kind: 'otlp', label: 'Jaeger' });
    const unnamed = await httpServer(
      otlpLike({ page: '<html><head><title>Dashboard</title></head></html>' }),
    );
    assert.deepEqual(await probeOtlpPort(HOST, unnamed, 2000), {
      kind: 'otlp',
      label: 'another OTLP receiver',
    });
  });

  it('recognises a receiver that takes only protobuf (415 for JSON)', async () => {
    const port = await httpServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.method === 'POST' && req.headers['content-type'] === 'application/x-protobuf')
          res.writeHead(200, { 'Content-Type': 'application/x-protobuf' }).end();
        else if (req.method === 'POST') res.writeHead(415).end();
        else res.writeHead(404).end();
      });
    });
    assert.deepEqual(await probeOtlpPort(HOST, port, 2000), { kind: 'otlp', label: 'another OTLP receiver' });
  });

  it('calls any other HTTP answer a web server', async () => {
    const plain = await httpServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>hello</html>');
    });
    assert.deepEqual(await probeOtlpPort(HOST, plain, 2000), {
      kind: 'http',
      label: 'a web server (not an OTLP receiver)',
    });
    const nginx = await httpServer((req, res) => {
      req.resume();
      res
        .writeHead(404, { Server: 'nginx/1.25.3', 'Content-Type': 'text/html' })
        .end('<html>not found</html>');
    });
    assert.deepEqual(await probeOtlpPort(HOST, nginx, 2000), {
      kind: 'http',
      label: 'a web server (nginx/1.25.3), not an OTLP receiver',
    });
  });

  it('keeps hostile Server headers out of the label', async () => {
    const port = await httpServer((req, res) => {
      req.resume();
      res
        .writeHead(404, { Server: '<img src=x onerror=alert(1)> [click](http://evil) ' + 'x'.repeat(100) })
        .end();
    });
    assert.deepEqual(await probeOtlpPort(HOST, port, 2000), {
      kind: 'http',
      label: 'a web server (not an OTLP receiver)',
    });
    const long = await httpServer((req, res) => {
      req.resume();
      res.writeHead(404, { Server: 'Apache/2.4.41 (Ubuntu) <b>bold</b>' }).end();
    });
    assert.deepEqual(await probeOtlpPort(HOST, long, 2000), {
      kind: 'http',
      label: 'a web server (Apache/2.4.41), not an OTLP receiver',
    });
  });

  // A probe that ignored its 300 ms timeout would wait on this server for ever and fail on the test's own.
  it('calls a TCP server that never answers "other", within the timeout', { timeout: 10_000 }, async () => {
    const port = await tcpServer(() => undefined);
    assert.deepEqual(await probeOtlpPort(HOST, port, 300), {
      kind: 'other',
      label: 'a program that does not answer HTTP requests',
    });
  });

  it('calls a TCP server that answers something other than HTTP "other"', async () => {
    const port = await tcpServer((socket) => socket.end('\x00\x00\x12\x04\x00\x00\x00\x00\x00 not http'));
    assert.deepEqual(await probeOtlpPort(HOST, port, 2000), {
      kind: 'other',
      label: 'a program that is not an HTTP server',
    });
  });

  it('returns undefined for a closed port', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    assert.equal(await probeOtlpPort(HOST, port, 1000), undefined);
  });
});

describe('findFreePort', () => {
  it('returns the first port at or after `from` that can be listened on', async () => {
    const taken = await tcpServer(() => undefined);
    const free = await findFreePort(HOST, taken);
    assert.ok(free !== undefined && free > taken && free <= taken + 50, `got ${free}`);
    // The port it returned really is free: a server can listen on it.
    const check = net.createServer();
    await new Promise<void>((resolve, reject) => {
      check.once('error', reject);
      check.listen(free, HOST, resolve);
    });
    await new Promise<void>((resolve) => check.close(() => resolve()));
    assert.equal(await findFreePort(HOST, free!), free);
  });

  it('gives up past the top of the port range', async () => {
    // Hold 65535 (unless something else already does): nothing above it may be offered.
    const top = net.createServer();
    const held = await new Promise<boolean>((resolve) => {
      top.once('error', () => resolve(false));
      top.listen(65535, HOST, () => resolve(true));
    });
    try {
      assert.equal(await findFreePort(HOST, 65535), undefined);
    } finally {
      if (held) await new Promise<void>((resolve) => top.close(() => resolve()));
    }
  });
});
