// Activation, commands and the receiver, inside a real VS Code extension host: real OTLP exporters from
// the OpenTelemetry JS SDK send to the extension's receiver, and a taken port is answered without throwing.
import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import * as http from 'node:http';
import * as vscode from 'vscode';
import { context as otelContext, trace as otelTrace, SpanKind } from '@opentelemetry/api';
import { TracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OtlpHttpReceiver } from '../../src/otlp/httpReceiver';
import { nullLogger } from '../../src/core/logger';
import { activateExtension, configure, waitFor } from './util';

describe('activation and commands', () => {
  it('activates, returns its API and registers every command it declares', async () => {
    const { api, extension } = await activateExtension();
    assert.ok(api.activationMs >= 0);
    // Reported for the README's figures; activation must stay cheap because it runs at startup.
    console.log(`      activate() took ${api.activationMs.toFixed(1)} ms`);
    const declared: string[] = (extension.packageJSON.contributes.commands as { command: string }[]).map(
      (c) => c.command,
    );
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = declared.filter((c) => !registered.has(c));
    assert.deepEqual(missing, []);
    for (const c of extension.packageJSON.contributes.commands as { category?: string }[])
      assert.equal(c.category, 'LLM Trace Inspector');
  });

  it('listens on the configured loopback port at startup', async () => {
    const { api } = await activateExtension();
    const port = vscode.workspace.getConfiguration('llmTraceInspector').get<number>('receiver.port');
    await waitFor(() => api.receiverState.state === 'listening', 'receiver listening');
    assert.equal(api.endpoint, `http://127.0.0.1:${port}`);
  });

  it('Copy Receiver Endpoint puts the endpoint on the clipboard', async () => {
    const { api } = await activateExtension();
    await vscode.commands.executeCommand('llmTraceInspector.copyEndpoint');
    assert.equal(await vscode.env.clipboard.readText(), api.endpoint);
  });
});

describe('receiver with real OpenTelemetry exporters', () => {
  for (const [name, Exporter] of [
    ['protobuf (@opentelemetry/exporter-trace-otlp-proto)', ProtoExporter],
    ['JSON (@opentelemetry/exporter-trace-otlp-http)', JsonExporter],
  ] as const) {
    it(`accepts spans sent as ${name} and shows them in the tree`, async () => {
      const { api } = await activateExtension();
      await waitFor(() => api.endpoint !== undefined, 'receiver listening');
      const exporter = new Exporter({ url: `${api.endpoint}/v1/traces` });
      const provider = new TracerProvider({
        resource: resourceFromAttributes({ 'service.name': `exporter-test-${name.split(' ')[0]}` }),
        spanProcessors: [new SimpleSpanProcessor({ exporter })],
      });
      const tracer = provider.getTracer('extension-test');
      let traceId = '';
      tracer.startActiveSpan('handle request', (root) => {
        traceId = root.spanContext().traceId;
        const call = tracer.startSpan(
          'chat gpt-4o-mini',
          {
            kind: SpanKind.CLIENT,
            attributes: {
              'gen_ai.operation.name': 'chat',
              'gen_ai.system': 'openai',
              'gen_ai.request.model': 'gpt-4o-mini',
              'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
              'gen_ai.usage.input_tokens': 42,
              'gen_ai.usage.output_tokens': 7,
              'gen_ai.response.finish_reasons': ['stop'],
            },
          },
          otelTrace.setSpan(otelContext.active(), root),
        );
        call.end();
        root.end();
      });
      await provider.forceFlush();
      await provider.shutdown();
      await waitFor(
        async () => (await api.trace(traceId))?.spans.length === 2,
        `trace ${traceId} with two spans in the store`,
      );
      const t = (await api.trace(traceId))!;
      assert.equal(t.summary.name, 'handle request');
      assert.equal(t.summary.llmCallCount, 1);
      assert.deepEqual(t.summary.models, ['gpt-4o-mini-2024-07-18']);
      const items = await api.treeSnapshot(3);
      const item = items.find((i) => i.node.kind === 'trace' && i.node.traceId === traceId);
      assert.ok(item, 'the trace is a root of the tree');
      assert.match(item.description, /gpt-4o-mini-2024-07-18/);
      assert.match(item.description, /49 tok/);
      const llm = item.children?.[0]?.children?.[0];
      assert.equal(llm?.contextValue, 'llmCall');
      assert.match(llm.description, /42→7 tok/);
    });
  }

  it('answers a malformed body with 400 and keeps serving', async () => {
    const { api } = await activateExtension();
    await waitFor(() => api.endpoint !== undefined, 'receiver listening');
    const before = api.traces().length;
    const bad = await post(
      `${api.endpoint}/v1/traces`,
      'application/x-protobuf',
      Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]),
    );
    assert.equal(bad.status, 400);
    const wrongType = await post(`${api.endpoint}/v1/traces`, 'text/plain', Buffer.from('hello'));
    assert.equal(wrongType.status, 415);
    const ok = await post(
      `${api.endpoint}/v1/traces`,
      'application/json',
      Buffer.from('{"resourceSpans":[]}'),
    );
    assert.equal(ok.status, 200);
    assert.equal(api.traces().length, before);
  });
});

describe('port already in use', () => {
  it('reports another OTLP receiver on the port, then recovers when the port is free again', async () => {
    const { api } = await activateExtension();
    await waitFor(() => api.receiverState.state === 'listening', 'receiver listening');
    const original = api.receiverState.port;
    // A stand-in for another local OTLP tool: answers POST /v1/traces like a receiver does.
    const other = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(req.url === '/v1/traces' ? 200 : 404, { 'Content-Type': 'application/json' });
        res.end('{}');
      });
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    const taken = (other.address() as net.AddressInfo).port;
    try {
      await configure('receiver.port', taken);
      await waitFor(() => api.receiverState.state === 'portInUse', 'portInUse state');
      assert.equal(api.receiverState.port, taken);
      assert.match(api.receiverState.detail ?? '', /OTLP receiver/i);
      assert.equal(api.endpoint, undefined);
    } finally {
      await new Promise<void>((r) => other.close(() => r()));
    }
    await vscode.commands.executeCommand('llmTraceInspector.startReceiver');
    await waitFor(() => api.receiverState.state === 'listening', 'listening after the port was freed');
    assert.equal(api.receiverState.port, taken);
    await configure('receiver.port', original);
    await waitFor(
      () => api.receiverState.state === 'listening' && api.receiverState.port === original,
      'back on the original port',
    );
  });

  it('tells a non-OTLP program apart from an OTLP receiver', async () => {
    const { api } = await activateExtension();
    await waitFor(() => api.receiverState.state === 'listening', 'receiver listening');
    const original = api.receiverState.port;
    const raw = net.createServer((s) => {
      s.resume(); // a real program reads what it is sent, so it sees the probe hang up
      s.end('SSH-2.0-OpenSSH_9.2\r\n');
    });
    await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
    const taken = (raw.address() as net.AddressInfo).port;
    try {
      await configure('receiver.port', taken);
      await waitFor(() => api.receiverState.state === 'portInUse', 'portInUse state');
      assert.doesNotMatch(api.receiverState.detail ?? '', /OTLP receiver/i);
    } finally {
      await new Promise<void>((r) => raw.close(() => r()));
      await configure('receiver.port', original);
      await vscode.commands.executeCommand('llmTraceInspector.startReceiver');
    }
    await waitFor(
      () => api.receiverState.state === 'listening' && api.receiverState.port === original,
      'back on the original port',
    );
  });
});

describe('several windows', () => {
  it('recognises another window’s receiver on the port and says so in the status bar state', async () => {
    const { api } = await activateExtension();
    await waitFor(() => api.receiverState.state === 'listening', 'receiver listening');
    const original = api.receiverState.port;
    // What another VS Code window runs: this extension's own receiver.
    const other = new OtlpHttpReceiver({
      host: '127.0.0.1',
      port: 0,
      maxBodyBytes: 1024 * 1024,
      logger: nullLogger,
      onBatch: () => undefined,
    });
    const { port } = await other.start();
    try {
      await configure('receiver.port', port);
      await waitFor(() => api.receiverState.state === 'portInUse', 'portInUse state');
      assert.equal(api.receiverState.holder, 'llmTraceInspector');
      assert.match(api.receiverState.detail ?? '', /another VS Code window/);
    } finally {
      await other.stop();
      await configure('receiver.port', original);
    }
    await waitFor(
      () => api.receiverState.state === 'listening' && api.receiverState.port === original,
      'back on the original port',
    );
  });
});

describe('OTLP/gRPC', () => {
  it('takes spans from the real gRPC exporter on its own port, into the same store', async () => {
    const { api } = await activateExtension();
    await waitFor(() => api.receiverState.grpcPort !== undefined, 'gRPC listening');
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'grpc-app' }),
      spanProcessors: [
        new SimpleSpanProcessor({
          exporter: new GrpcExporter({ url: `http://127.0.0.1:${api.receiverState.grpcPort}` }),
        }),
      ],
    });
    const span = provider.getTracer('extension-test').startSpan('chat gpt-4o-mini', {
      kind: SpanKind.CLIENT,
      attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o-mini' },
    });
    const traceId = span.spanContext().traceId;
    span.end();
    await provider.shutdown();
    await waitFor(
      async () => (await api.trace(traceId))?.summary.llmCallCount === 1,
      'the gRPC span in the store',
    );
    assert.equal((await api.trace(traceId))!.summary.service, 'grpc-app');
  });
});

describe('forwarding', () => {
  it('sends every accepted request on to the configured OTLP/HTTP endpoint as well', async () => {
    const { api } = await activateExtension();
    await waitFor(() => api.receiverState.state === 'listening', 'receiver listening');
    const forwarded: { path: string; body: Buffer }[] = [];
    const backend = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        forwarded.push({ path: req.url ?? '', body: Buffer.concat(chunks) });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    const port = (backend.address() as net.AddressInfo).port;
    try {
      await configure('receiver.forwardTo', `http://127.0.0.1:${port}`);
      // The settings listener restarts the receiver with forwarding on: send spans until one arrives there
      // (a span sent before the restart is received without being forwarded).
      const end = Date.now() + 15_000;
      while (forwarded.length === 0) {
        if (Date.now() > end) throw new Error('nothing arrived at the forwarding endpoint');
        await new Promise((r) => setTimeout(r, 300));
        if (!api.endpoint) continue;
        const exporter = new JsonExporter({ url: `${api.endpoint}/v1/traces` });
        const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
        provider.getTracer('forward-test').startSpan('forwarded span').end();
        await provider.shutdown().catch(() => undefined);
      }
      assert.equal(forwarded[0]!.path, '/v1/traces');
      assert.match(forwarded[0]!.body.toString('utf8'), /forwarded span/);
    } finally {
      await configure('receiver.forwardTo', undefined);
      await new Promise((r) => backend.close(r));
    }
    await waitFor(() => api.receiverState.state === 'listening', 'listening again');
  });
});

describe('a session of one turn', () => {
  it('Find by Session ID says "1 trace, 1 LLM call" in the line above the tree', async () => {
    const { api } = await activateExtension();
    await waitFor(() => api.endpoint !== undefined, 'receiver listening');
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'one-turn' }),
      spanProcessors: [
        new SimpleSpanProcessor({ exporter: new ProtoExporter({ url: `${api.endpoint}/v1/traces` }) }),
      ],
    });
    const span = provider.getTracer('extension-test').startSpan('chat gpt-4o-mini', {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.system': 'openai',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.usage.input_tokens': 10,
        'gen_ai.usage.output_tokens': 2,
        'session.id': 'sess-one-turn',
      },
    });
    span.end();
    await provider.shutdown();
    await waitFor(() => api.traces().some((t) => t.sessionId === 'sess-one-turn'), 'the one-turn session');
    await vscode.commands.executeCommand('llmTraceInspector.findBySession', 'sess-one-turn');
    try {
      const message = api.treeMessage() ?? '';
      assert.match(message, /Session sess-one-turn: 1 trace, 1 LLM call, 12 tokens/);
    } finally {
      await vscode.commands.executeCommand('llmTraceInspector.clearSessionFilter');
    }
  });
});

describe('changing the port', () => {
  /** Replaces a `vscode.window` function for one test; the extension calls it through the same object. */
  function stub<K extends 'showInputBox' | 'showWarningMessage'>(
    name: K,
    fn: (...args: unknown[]) => unknown,
  ): () => void {
    const window = vscode.window as unknown as Record<string, unknown>;
    const original = window[name];
    window[name] = fn;
    return () => {
      window[name] = original;
    };
  }

  it('Change Receiver Port writes the workspace setting when that is the one in effect', async () => {
    const { api } = await activateExtension();
    await waitFor(() => api.receiverState.state === 'listening', 'receiver listening');
    const config = () => vscode.workspace.getConfiguration('llmTraceInspector');
    const userPort = config().inspect<number>('receiver.port')?.globalValue;
    const workspacePort = await freePort();
    await config().update('receiver.port', workspacePort, vscode.ConfigurationTarget.Workspace);
    let chosen = 0;
    const restore = stub('showInputBox', async () => String(chosen));
    try {
      await waitFor(
        () => api.receiverState.state === 'listening' && api.receiverState.port === workspacePort,
        'on the workspace port',
      );
      chosen = await freePort();
      await vscode.commands.executeCommand('llmTraceInspector.choosePort');
      await waitFor(
        () => api.receiverState.state === 'listening' && api.receiverState.port === chosen,
        `listening on the chosen port ${chosen}`,
      );
      assert.equal(
        config().inspect<number>('receiver.port')?.workspaceValue,
        chosen,
        'the workspace value changed',
      );
      assert.equal(
        config().inspect<number>('receiver.port')?.globalValue,
        userPort,
        'the user value did not',
      );
    } finally {
      restore();
      await config().update('receiver.port', undefined, vscode.ConfigurationTarget.Workspace);
    }
    await waitFor(
      () => api.receiverState.state === 'listening' && api.receiverState.port === userPort,
      'back on the user port',
    );
  });

  // From a receiver that already failed on a taken port, both the command and the settings listener used
  // to start it again on the next port.
  it('a port chosen while it is taken is reported once, not by both the command and the settings listener', async () => {
    const { api } = await activateExtension();
    await waitFor(() => api.receiverState.state === 'listening', 'receiver listening');
    const original = api.receiverState.port;
    const blockers = [
      net.createServer((socket) => socket.destroy()),
      net.createServer((socket) => socket.destroy()),
    ];
    for (const b of blockers) await new Promise<void>((resolve) => b.listen(0, '127.0.0.1', resolve));
    const [first, second] = blockers.map((b) => (b.address() as net.AddressInfo).port) as [number, number];
    const warnings: string[] = [];
    let answer = first;
    const restoreInput = stub('showInputBox', async () => String(answer));
    const restoreWarning = stub('showWarningMessage', async (message: unknown) => {
      warnings.push(String(message));
      return undefined;
    });
    try {
      await vscode.commands.executeCommand('llmTraceInspector.choosePort');
      await waitFor(
        () => api.receiverState.state === 'portInUse' && api.receiverState.port === first,
        'first port in use',
      );
      answer = second;
      await vscode.commands.executeCommand('llmTraceInspector.choosePort');
      await waitFor(
        () => api.receiverState.state === 'portInUse' && api.receiverState.port === second,
        'second port in use',
      );
      await new Promise((r) => setTimeout(r, 1500)); // time for another start, if one were coming
      for (const port of [first, second]) {
        const about = warnings.filter((w) => w.includes(`port ${port} `));
        assert.equal(about.length, 1, `one notification for port ${port}, got: ${JSON.stringify(about)}`);
      }
    } finally {
      restoreInput();
      restoreWarning();
      for (const b of blockers) await new Promise((r) => b.close(r));
      await configure('receiver.port', original);
    }
    await waitFor(
      () => api.receiverState.state === 'listening' && api.receiverState.port === original,
      'back on the original port',
    );
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

describe('stop and start', () => {
  it('Stop Receiver closes the port and Start Receiver opens it again', async () => {
    const { api } = await activateExtension();
    await waitFor(() => api.receiverState.state === 'listening', 'receiver listening');
    const endpoint = api.endpoint!;
    await vscode.commands.executeCommand('llmTraceInspector.stopReceiver');
    assert.equal(api.receiverState.state, 'stopped');
    await assert.rejects(post(`${endpoint}/v1/traces`, 'application/json', Buffer.from('{}')));
    await vscode.commands.executeCommand('llmTraceInspector.startReceiver');
    assert.equal(api.receiverState.state, 'listening');
    assert.equal((await post(`${endpoint}/v1/traces`, 'application/json', Buffer.from('{}'))).status, 200);
  });
});

function post(url: string, contentType: string, body: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', headers: { 'Content-Type': contentType, 'Content-Length': body.length } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
