// Opening OTLP JSON files: the Collector file exporter's JSON lines (traces, logs and metrics lines
// mixed), a single request as a document, bad lines named with their reason while the good ones load,
// and the size limit.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeProblems, OtlpFileTooLargeError, readOtlpFile } from '../../../src/otlp/fileReader';
import { fixtureBatch, fixtureEntries, fixturePayload } from '../helpers/fixtures';

const json = (signal: 'traces' | 'logs' | 'metrics', scenario = 'chat') =>
  fixtureEntries({ library: 'otel-openai', scenario, signal, encoding: 'json' })[0]!;
const line = (signal: 'traces' | 'logs' | 'metrics', scenario = 'chat'): string =>
  // Fixture bodies are single-line JSON, as the Collector writes each request.
  fixturePayload(json(signal, scenario)).toString('utf8').trim();

describe('OTLP file reader', () => {
  it('reads Collector file exporter output: one request per line, traces, logs and metrics mixed', () => {
    const text = [line('traces'), line('metrics'), line('logs'), line('traces', 'error')].join('\n') + '\n';
    const read = readOtlpFile(Buffer.from(text));
    assert.equal(read.format, 'jsonLines');
    assert.deepEqual(read.problems, []);
    assert.deepEqual(read.requests, { traces: 2, logs: 1, metrics: 1 });
    const spans = [...fixtureBatch(json('traces')).spans, ...fixtureBatch(json('traces', 'error')).spans];
    assert.deepEqual(read.spans, spans);
    assert.deepEqual(read.logs, fixtureBatch(json('logs')).logs);
    assert.equal(read.metricCount, fixtureBatch(json('metrics')).metricCount);
    assert.ok(read.metricCount > 0);
    // The GenAI points are kept as the receiver reads them, for the file's Summary.
    assert.deepEqual(read.metrics, fixtureBatch(json('metrics')).metrics);
    assert.ok(read.metrics.length > 0);
  });

  it('reads one request as a pretty-printed document, and as a single line', () => {
    const obj = JSON.parse(line('traces')) as unknown;
    const pretty = readOtlpFile(Buffer.from(JSON.stringify(obj, null, 2)));
    assert.equal(pretty.format, 'document');
    assert.deepEqual(pretty.problems, []);
    assert.deepEqual(pretty.spans, fixtureBatch(json('traces')).spans);
    const single = readOtlpFile(Buffer.from(line('logs')));
    assert.equal(single.format, 'document');
    assert.deepEqual(single.logs, fixtureBatch(json('logs')).logs);
  });

  it('names each bad line and its reason; the good lines still load', () => {
    const traces = JSON.parse(line('traces')) as {
      resourceSpans: { scopeSpans: { spans: Record<string, unknown>[] }[] }[];
    };
    const spans = traces.resourceSpans[0]!.scopeSpans[0]!.spans;
    const total = fixtureBatch(json('traces')).spans.length;
    delete spans[0]!.traceId;
    const text = [
      line('logs'),
      '{"resourceSpans": [ {"broken"',
      '',
      '{"hello": "world"}',
      JSON.stringify(traces),
      '[1, 2]',
      '{}',
    ].join('\r\n');
    const read = readOtlpFile(Buffer.from(text));
    assert.equal(read.format, 'jsonLines');
    assert.deepEqual(
      read.problems.map((p) => p.line),
      [2, 4, 5, 6],
    );
    assert.match(read.problems[0]!.reason, /not valid JSON \(syntax error at character \d+\)/);
    assert.match(read.problems[1]!.reason, /not an OTLP export request/);
    assert.match(read.problems[2]!.reason, /^1 span skipped: a span has no trace id/);
    assert.match(read.problems[3]!.reason, /not a JSON object/);
    assert.equal(read.spans.length, total - 1);
    assert.equal(read.logs.length, fixtureBatch(json('logs')).logs.length);
    assert.deepEqual(describeProblems(read)[0], `line 2: ${read.problems[0]!.reason}`);
  });

  it('says so for an empty file and for a file that is no OTLP at all', () => {
    assert.deepEqual(readOtlpFile(Buffer.from(' \n\n')).problems, [{ line: 1, reason: 'the file is empty' }]);
    const read = readOtlpFile(Buffer.from('hello\nworld\n'));
    assert.equal(read.problemCount, 2);
    assert.equal(read.spans.length, 0);
  });

  it('keeps the first hundred problems and counts the rest', () => {
    const read = readOtlpFile(Buffer.from('x\n'.repeat(150)));
    assert.equal(read.problems.length, 100);
    assert.equal(read.problemCount, 150);
    assert.equal(describeProblems(read).at(-1), 'and 50 more');
  });

  it('refuses a file over the limit with a message that says both sizes', () => {
    const body = Buffer.from(line('traces'));
    assert.throws(
      () => readOtlpFile(body, body.length - 1),
      (err: unknown) =>
        err instanceof OtlpFileTooLargeError &&
        err.bytes === body.length &&
        /OTLP files of up to .* MB can be opened/.test(err.message),
    );
    assert.equal(readOtlpFile(body, body.length).spans.length, fixtureBatch(json('traces')).spans.length);
  });
});
