// Small HTTP helpers for the receiver and probe tests: one request on its own connection, with the
// status, headers and body of the answer, so a test can look at exactly what a sender would see.
import * as http from 'node:http';

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface SendOptions {
  method?: string;
  headers?: http.OutgoingHttpHeaders;
  /** Written in one piece (Content-Length set) unless `chunks` is given. */
  body?: Uint8Array | string;
  /** Written one after another with chunked transfer encoding and no Content-Length. */
  chunks?: Uint8Array[];
}

export function send(port: number, path: string, options: SendOptions = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = { ...options.headers };
    if (options.body !== undefined && headers['content-length'] === undefined)
      headers['content-length'] = Buffer.byteLength(options.body);
    const req = http.request(
      { host: '127.0.0.1', port, path, method: options.method ?? 'POST', headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    );
    // A server that refuses early may close while we still write; the answer it sent first still counts.
    req.on('error', (err) => setTimeout(() => reject(err), 200));
    if (options.chunks) {
      for (const c of options.chunks) req.write(c);
      req.end();
    } else {
      req.end(options.body);
    }
  });
}

/**
 * A POST whose body has not finished arriving: the first `sent` bytes are written, `finish()` the rest.
 * `answer` resolves with what the receiver answers, whenever it does.
 */
export function startSending(
  port: number,
  path: string,
  body: string,
  headers: http.OutgoingHttpHeaders,
  sent: number,
): { req: http.ClientRequest; answer: Promise<Answer>; finish(): void } {
  const req = http.request({
    host: '127.0.0.1',
    port,
    path,
    method: 'POST',
    agent: false,
    headers: { ...headers, 'content-length': Buffer.byteLength(body) },
  });
  const answer = new Promise<Answer>((resolve, reject) => {
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
  });
  req.write(body.slice(0, sent));
  return { req, answer, finish: () => req.end(body.slice(sent)) };
}
