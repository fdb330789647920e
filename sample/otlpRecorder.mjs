// A loopback OTLP/HTTP endpoint that keeps every request body exactly as it arrived (still gzip'd if
// it was sent gzip'd) with its path and headers, and answers like a collector: 200 with an empty
// Export*ServiceResponse in the request's own encoding.
import { createServer } from 'node:http';

export async function startOtlpRecorder({ port = 0, onRequest } = {}) {
  const requests = [];
  const server = createServer((req, res) => {
    const parts = [];
    req.on('data', (c) => parts.push(c));
    req.on('end', () => {
      const contentType = String(req.headers['content-type'] ?? '');
      if (req.method === 'POST' && /^\/v1\/(traces|logs|metrics)$/.test(req.url ?? '')) {
        const record = {
          seq: requests.length,
          path: req.url,
          contentType,
          contentEncoding: req.headers['content-encoding'] ? String(req.headers['content-encoding']) : null,
          body: Buffer.concat(parts),
          receivedAt: Date.now(),
        };
        requests.push(record);
        onRequest?.(record);
      }
      const json = contentType.includes('json');
      // An empty protobuf message is zero bytes; its JSON form is {}.
      const body = json ? '{}' : '';
      res.writeHead(200, {
        'content-type': json ? 'application/json' : 'application/x-protobuf',
        'content-length': Buffer.byteLength(body),
      });
      res.end(body);
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
