// When the receiver's port is taken, the user needs to know by what: another VS Code window already
// receiving (nothing to do), another OTLP receiver (their app's data goes there instead), or an
// unrelated program. The probe asks the port the way an exporter would and names the holder only from
// what it can see in the answers (a Server header, the product's name in a page, a signature reply),
// never from the port number alone. It also finds a free port to offer instead.

import * as http from 'node:http';
import * as net from 'node:net';
import { RECEIVER_SERVER_HEADER } from './errors';

export type PortHolderKind = 'llmTraceInspector' | 'otlp' | 'http' | 'other';

export interface PortHolder {
  kind: PortHolderKind;
  /** A short English phrase that completes "port 4318 is in use by ...". */
  label: string;
}

interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** `silent`: the connection was accepted but nothing came back in time; `timeout`: not even accepted. */
type Attempt = HttpAnswer | 'refused' | 'notHttp' | 'silent' | 'timeout';

/** Bytes of a page read to look for a product name; names sit in the head. */
const MAX_BODY_CHARS = 64 * 1024;

/**
 * Products that can hold an OTLP port, each recognised only by its own name in what it sends back
 * (a GET / page or a header), or, for the Collector, by the exact reply its OTLP receiver gives a GET.
 */
const signatures: readonly {
  label: string;
  test: (a: { page?: HttpAnswer; get?: HttpAnswer; server: string }) => boolean;
}[] = [
  {
    label: 'Arize Phoenix',
    test: ({ page }) => /Arize Phoenix|<title>\s*Phoenix\s*<\/title>/i.test(page?.body ?? ''),
  },
  {
    label: 'the Aspire dashboard',
    test: ({ page, server }) => /\bAspire\b/.test(page?.body ?? '') || /aspire/i.test(server),
  },
  {
    label: 'Jaeger',
    test: ({ page, server }) =>
      /<title>[^<]*Jaeger[^<]*<\/title>/i.test(page?.body ?? '') || /jaeger/i.test(server),
  },
  {
    label: 'otel-desktop-viewer',
    test: ({ page, server }) =>
      /otel-desktop-viewer/i.test(page?.body ?? '') || /otel-desktop-viewer/i.test(server),
  },
  {
    label: 'AI Toolkit',
    test: ({ page, server }) => /\bAI Toolkit\b/i.test(page?.body ?? '') || /ai-?toolkit/i.test(server),
  },
  {
    label: 'Foundry Toolkit',
    test: ({ page, server }) =>
      /\bFoundry Toolkit\b/i.test(page?.body ?? '') || /foundry-?toolkit/i.test(server),
  },
  {
    // opentelemetry-collector receiver/otlpreceiver/otlphttp.go answers a GET with this text; tools that
    // embed the Collector (Jaeger 2, otel-desktop-viewer) do too, hence the wording.
    label: 'an OpenTelemetry Collector (or a tool built on it)',
    test: ({ get }) => get?.status === 405 && /method not allowed, supported: \[POST\]/.test(get.body),
  },
];

/**
 * Who holds `host:port`, or undefined when nothing accepts connections there (or it cannot be told in
 * time). Never throws; every connection it opens is closed before it resolves.
 */
export async function probeOtlpPort(
  host: string,
  port: number,
  timeoutMs: number,
): Promise<PortHolder | undefined> {
  const deadline = Date.now() + timeoutMs;
  const left = (): number => Math.max(1, deadline - Date.now());
  try {
    const post = await request(
      host,
      port,
      'POST',
      '/v1/traces',
      { 'Content-Type': 'application/json' },
      '{"resourceSpans":[]}',
      left(),
    );
    if (post === 'refused') return undefined;
    if (post === 'notHttp') return { kind: 'other', label: 'a program that is not an HTTP server' };
    if (post === 'silent') return { kind: 'other', label: 'a program that does not answer HTTP requests' };
    if (post === 'timeout') return undefined;
    if (serverHeader(post) === RECEIVER_SERVER_HEADER) {
      return { kind: 'llmTraceInspector', label: 'another VS Code window running LLM Trace Inspector' };
    }

    let otlp = isOtlpSuccess(post);
    if (!otlp && post.status === 415) {
      // Some receivers take only protobuf (the spec makes JSON optional): an empty body is a valid request.
      const proto = await request(
        host,
        port,
        'POST',
        '/v1/traces',
        { 'Content-Type': 'application/x-protobuf' },
        '',
        left(),
      );
      otlp = typeof proto === 'object' && isOtlpSuccess(proto);
    }

    const [page, get] = await Promise.all([
      request(host, port, 'GET', '/', { Accept: 'text/html' }, undefined, left()),
      request(host, port, 'GET', '/v1/traces', {}, undefined, left()),
    ]);
    const evidence = {
      page: typeof page === 'object' ? page : undefined,
      get: typeof get === 'object' ? get : undefined,
      server: serverHeader(post),
    };
    const named = signatures.find((s) => s.test(evidence));
    if (named) return { kind: 'otlp', label: named.label };
    const server = safeName(evidence.server);
    if (otlp)
      return { kind: 'otlp', label: server ? `another OTLP receiver (${server})` : 'another OTLP receiver' };
    return {
      kind: 'http',
      label: server
        ? `a web server (${server}), not an OTLP receiver`
        : 'a web server (not an OTLP receiver)',
    };
  } catch {
    return undefined;
  }
}

/** The first port from `from` to `from + 50` that `host` lets us listen on, or undefined. */
export async function findFreePort(host: string, from: number): Promise<number | undefined> {
  for (let port = Math.max(1, from); port <= Math.min(from + 50, 65535); port++) {
    if (await canListen(host, port)) return port;
  }
  return undefined;
}

function isOtlpSuccess(a: HttpAnswer): boolean {
  const type = String(a.headers['content-type'] ?? '')
    .split(';')[0]!
    .trim()
    .toLowerCase();
  return (
    a.status >= 200 &&
    a.status < 300 &&
    (type === 'application/json' || type === 'application/x-protobuf' || type === 'application/protobuf')
  );
}

function serverHeader(a: HttpAnswer): string {
  const v = a.headers['server'];
  return (Array.isArray(v) ? v[0] : v) ?? '';
}

/** The Server header goes into a message: keep its first product token (`nginx/1.25.3`) only. */
function safeName(server: string): string {
  return /^[A-Za-z0-9][\w./-]{0,39}/.exec(server.trim())?.[0] ?? '';
}

function request(
  host: string,
  port: number,
  method: string,
  path: string,
  headers: http.OutgoingHttpHeaders,
  body: string | undefined,
  timeoutMs: number,
): Promise<Attempt> {
  return new Promise((resolve) => {
    let settled = false;
    let socket: net.Socket | undefined;
    const finish = (result: Attempt): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      // After a parse error the request no longer owns its socket; without this the connection stays
      // half-open and the program we probed cannot close its listener.
      socket?.destroy();
      resolve(result);
    };
    const req = http.request({
      host,
      port,
      method,
      path,
      agent: false,
      headers: {
        ...headers,
        Connection: 'close',
        ...(body !== undefined ? { 'Content-Length': Buffer.byteLength(body) } : {}),
      },
    });
    let connected = false;
    req.on('socket', (s) => {
      socket = s;
      s.once('connect', () => (connected = true));
    });
    const timer = setTimeout(() => finish(connected ? 'silent' : 'timeout'), timeoutMs);
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (text.length < MAX_BODY_CHARS) text += chunk;
        if (text.length >= MAX_BODY_CHARS)
          finish({ status: res.statusCode ?? 0, headers: res.headers, body: text });
      });
      res.on('end', () => finish({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      res.on('error', () => finish({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? '';
      if (
        code === 'ECONNREFUSED' ||
        code === 'EHOSTUNREACH' ||
        code === 'ENETUNREACH' ||
        code === 'EADDRNOTAVAIL' ||
        code === 'ENOTFOUND'
      )
        finish('refused');
      // A reply that is not HTTP/1.x (llhttp's HPE_* codes), or a connection closed without any reply.
      else finish('notHttp');
    });
    req.end(body);
  });
}

function canListen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port }, () => server.close(() => resolve(true)));
  });
}
