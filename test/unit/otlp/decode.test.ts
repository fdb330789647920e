// The decoder against known requests in both encodings: protobuf bodies built with protobufjs (and by
// hand where protobufjs refuses to build them), and the OTLP/JSON variants exporters actually send.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as protobuf from 'protobufjs';
import { otlpTypes } from '../../../src/otlp/otlpProto';
import {
  decodeOtlp,
  encodeErrorStatus,
  encodeExportResponse,
  OtlpDecodeError,
} from '../../../src/otlp/decode';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const SPAN = 'b7ad6b7169203331';
const PARENT = '00f067aa0ba902b7';
const hex = (h: string): Buffer => Buffer.from(h, 'hex');

function pbTraces(obj: Record<string, unknown>): Uint8Array {
  const t = otlpTypes().traceRequest;
  return t.encode(t.fromObject(obj)).finish();
}
function pbLogs(obj: Record<string, unknown>): Uint8Array {
  const t = otlpTypes().logsRequest;
  return t.encode(t.fromObject(obj)).finish();
}
const json = (obj: unknown): Buffer => Buffer.from(JSON.stringify(obj));
const oneSpan = (span: Record<string, unknown>): Record<string, unknown> => ({
  resourceSpans: [{ scopeSpans: [{ spans: [span] }] }],
});

function decodeError(fn: () => unknown): OtlpDecodeError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof OtlpDecodeError, `expected OtlpDecodeError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected an OtlpDecodeError');
}

describe('decodeOtlp: protobuf traces', () => {
  const body = pbTraces({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'shop' } }] },
        scopeSpans: [
          {
            scope: {
              name: '@opentelemetry/instrumentation-openai',
              version: '0.5.0',
              attributes: [{ key: 'scope.attr', value: { boolValue: true } }],
            },
            spans: [
              {
                traceId: hex(TRACE),
                spanId: hex(SPAN),
                parentSpanId: hex(PARENT),
                name: 'chat gpt-4o',
                kind: 3,
                startTimeUnixNano: '1700000000123456789',
                endTimeUnixNano: '18446744073709551615', // max fixed64: must survive as text
                droppedAttributesCount: 2,
                attributes: [
                  { key: 'str', value: { stringValue: 'héllo ✓' } },
                  { key: 'yes', value: { boolValue: true } },
                  { key: 'no', value: { boolValue: false } },
                  { key: 'small', value: { intValue: 42 } },
                  { key: 'negative', value: { intValue: -7 } },
                  { key: 'big', value: { intValue: '9007199254740993' } },
                  { key: 'double', value: { doubleValue: 0.25 } },
                  {
                    key: 'array',
                    value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: 1 }, {}] } },
                  },
                  {
                    key: 'kv',
                    value: { kvlistValue: { values: [{ key: 'inner', value: { stringValue: 'x' } }] } },
                  },
                  { key: 'bytes', value: { bytesValue: Buffer.from([0, 255, 7]) } },
                  { key: 'empty', value: {} },
                  { key: 'zero', value: { stringValue: '' } },
                ],
                events: [
                  {
                    timeUnixNano: '1700000000200000000',
                    name: 'gen_ai.choice',
                    attributes: [{ key: 'index', value: { intValue: 0 } }],
                  },
                ],
                links: [
                  {
                    traceId: hex('11111111111111111111111111111111'),
                    spanId: hex('2222222222222222'),
                    attributes: [{ key: 'l', value: { stringValue: 'v' } }],
                  },
                  { traceId: hex('1111'), spanId: hex('2222222222222222') },
                ],
                status: { code: 2, message: 'rate limited' },
              },
            ],
          },
        ],
      },
    ],
  });

  it('maps every field of a span, ids as lowercase hex and times as exact decimal strings', () => {
    const out = decodeOtlp('traces', body, 'protobuf');
    assert.equal(out.rejected, 0);
    assert.equal(out.metricCount, 0);
    assert.deepEqual(out.logs, []);
    assert.equal(out.spans.length, 1);
    const s = out.spans[0]!;
    assert.equal(s.traceId, TRACE);
    assert.equal(s.spanId, SPAN);
    assert.equal(s.parentSpanId, PARENT);
    assert.equal(s.name, 'chat gpt-4o');
    assert.equal(s.kind, 3);
    assert.equal(s.startTimeUnixNano, '1700000000123456789');
    assert.equal(s.endTimeUnixNano, '18446744073709551615');
    assert.equal(s.droppedAttributesCount, 2);
    assert.deepEqual(s.status, { code: 2, message: 'rate limited' });
    assert.deepEqual(s.resource, { 'service.name': 'shop' });
    assert.deepEqual(s.scope, {
      name: '@opentelemetry/instrumentation-openai',
      version: '0.5.0',
      attributes: { 'scope.attr': true },
    });
    assert.deepEqual(s.events, [
      { name: 'gen_ai.choice', timeUnixNano: '1700000000200000000', attributes: { index: 0 } },
    ]);
    // The link with a 2-byte trace id is dropped on its own; the span stays.
    assert.deepEqual(s.links, [
      { traceId: '11111111111111111111111111111111', spanId: '2222222222222222', attributes: { l: 'v' } },
    ]);
  });

  it('turns each AnyValue kind into a plain value, int64 beyond 2^53 as a string', () => {
    const a = decodeOtlp('traces', body, 'protobuf').spans[0]!.attributes;
    assert.equal(a['str'], 'héllo ✓');
    assert.equal(a['yes'], true);
    assert.equal(a['no'], false);
    assert.equal(a['small'], 42);
    assert.equal(a['negative'], -7);
    assert.equal(a['big'], '9007199254740993');
    assert.equal(a['double'], 0.25);
    assert.deepEqual(a['array'], ['a', 1, null]);
    assert.deepEqual(a['kv'], { inner: 'x' });
    assert.ok(a['bytes'] instanceof Uint8Array);
    assert.deepEqual([...(a['bytes'] as Uint8Array)], [0, 255, 7]);
    assert.equal(a['empty'], null);
    assert.equal(a['zero'], '');
  });

  it('copies bytes values instead of keeping the request buffer alive', () => {
    const copy = Buffer.from(body);
    const value = decodeOtlp('traces', copy, 'protobuf').spans[0]!.attributes['bytes'] as Uint8Array;
    copy.fill(0);
    assert.deepEqual([...value], [0, 255, 7]);
    assert.notEqual(value.buffer, copy.buffer);
  });

  it('reads instrumentation_library_spans (field 1000) of pre-1.0 exporters', () => {
    const legacy = pbTraces({
      resourceSpans: [
        {
          instrumentationLibrarySpans: [
            {
              scope: { name: 'old-lib', version: '0.1' },
              spans: [{ traceId: hex(TRACE), spanId: hex(SPAN), name: 'old' }],
            },
          ],
        },
      ],
    });
    // Field 1000, wire type 2: the tag is the varint of 8002.
    assert.ok(Buffer.from(legacy).includes(Buffer.from([0xc2, 0x3e])));
    const out = decodeOtlp('traces', legacy, 'protobuf');
    assert.equal(out.spans.length, 1);
    assert.deepEqual(out.spans[0]!.scope, { name: 'old-lib', version: '0.1' });
  });

  it('skips spans with wrong-length or missing ids, counts them and keeps the rest', () => {
    const out = decodeOtlp(
      'traces',
      pbTraces({
        resourceSpans: [
          {
            scopeSpans: [
              {
                spans: [
                  { traceId: hex(TRACE.slice(2)), spanId: hex(SPAN), name: 'short trace id' },
                  { traceId: hex(TRACE), spanId: hex(SPAN), name: 'good' },
                  { traceId: hex(TRACE), spanId: hex(SPAN + '00'), name: 'long span id' },
                  { spanId: hex(SPAN), name: 'no trace id' },
                  { traceId: Buffer.alloc(16), spanId: hex(SPAN), name: 'zero trace id' },
                  { traceId: hex(TRACE), spanId: hex(SPAN), parentSpanId: hex('0102'), name: 'bad parent' },
                  {
                    traceId: hex(TRACE),
                    spanId: hex(SPAN),
                    parentSpanId: Buffer.alloc(8),
                    name: 'zero parent is a root',
                  },
                ],
              },
            ],
          },
        ],
      }),
      'protobuf',
    );
    assert.deepEqual(
      out.spans.map((s) => s.name),
      ['good', 'zero parent is a root'],
    );
    assert.equal(out.spans[1]!.parentSpanId, undefined);
    assert.equal(out.rejected, 5);
    assert.match(out.rejectReason ?? '', /trace id is 15 bytes, not 16/);
  });
});

describe('decodeOtlp: protobuf logs and metrics', () => {
  it('reads LogRecord.event_name (field 12), body, severity and correlation ids', () => {
    const out = decodeOtlp(
      'logs',
      pbLogs({
        resourceLogs: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'shop' } }] },
            scopeLogs: [
              {
                scope: { name: '@opentelemetry/instrumentation-openai' },
                logRecords: [
                  {
                    timeUnixNano: '1700000000000000001',
                    observedTimeUnixNano: '1700000000000000002',
                    severityNumber: 9,
                    severityText: 'INFO',
                    eventName: 'gen_ai.choice',
                    body: {
                      kvlistValue: {
                        values: [
                          { key: 'index', value: { intValue: 0 } },
                          {
                            key: 'message',
                            value: {
                              kvlistValue: { values: [{ key: 'content', value: { stringValue: 'Hi' } }] },
                            },
                          },
                        ],
                      },
                    },
                    traceId: hex(TRACE),
                    spanId: hex(SPAN),
                  },
                ],
              },
            ],
          },
        ],
      }),
      'protobuf',
    );
    assert.equal(out.rejected, 0);
    assert.deepEqual(out.logs, [
      {
        timeUnixNano: '1700000000000000001',
        observedTimeUnixNano: '1700000000000000002',
        severityNumber: 9,
        severityText: 'INFO',
        eventName: 'gen_ai.choice',
        body: { index: 0, message: { content: 'Hi' } },
        attributes: {},
        traceId: TRACE,
        spanId: SPAN,
        resource: { 'service.name': 'shop' },
        scope: { name: '@opentelemetry/instrumentation-openai' },
      },
    ]);
  });

  it('falls back to the event.name attribute, keeps logs without ids uncorrelated and rejects wrong lengths', () => {
    const out = decodeOtlp(
      'logs',
      pbLogs({
        resourceLogs: [
          {
            scopeLogs: [
              {
                logRecords: [
                  {
                    attributes: [{ key: 'event.name', value: { stringValue: 'gen_ai.user.message' } }],
                    traceId: hex(TRACE),
                    spanId: hex(SPAN),
                  },
                  { body: { stringValue: 'plain log' } },
                  { body: { stringValue: 'zero ids' }, traceId: Buffer.alloc(16), spanId: Buffer.alloc(8) },
                  { body: { stringValue: 'bad' }, traceId: hex('abcd') },
                  { body: { stringValue: 'bad span' }, traceId: hex(TRACE), spanId: hex('abcd') },
                ],
              },
            ],
          },
        ],
      }),
      'protobuf',
    );
    assert.equal(out.logs.length, 3);
    assert.equal(out.logs[0]!.eventName, 'gen_ai.user.message');
    assert.equal(out.logs[0]!.traceId, TRACE);
    for (const log of out.logs.slice(1)) {
      assert.equal(log.traceId, undefined);
      assert.equal(log.spanId, undefined);
      assert.equal(log.eventName, undefined);
    }
    assert.equal(out.rejected, 2);
    assert.match(out.rejectReason ?? '', /log record trace id is 2 bytes/);
  });

  it('counts metrics, including the pre-1.0 instrumentation_library_metrics, and passes nothing on', () => {
    const t = otlpTypes().metricsRequest;
    const body = t
      .encode(
        t.fromObject({
          resourceMetrics: [
            {
              scopeMetrics: [
                {
                  metrics: [
                    { name: 'gen_ai.client.token.usage' },
                    { name: 'gen_ai.client.operation.duration' },
                  ],
                },
              ],
            },
            { instrumentationLibraryMetrics: [{ metrics: [{ name: 'old' }] }] },
          ],
        }),
      )
      .finish();
    const out = decodeOtlp('metrics', body, 'protobuf');
    assert.deepEqual(out, { spans: [], logs: [], metricCount: 3, rejected: 0 });
  });

  it('decodes an empty body as an empty request', () => {
    assert.deepEqual(decodeOtlp('traces', new Uint8Array(0), 'protobuf'), {
      spans: [],
      logs: [],
      metricCount: 0,
      rejected: 0,
    });
  });
});

describe('decodeOtlp: OTLP/JSON', () => {
  const camel = {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'shop' } }] },
        scopeSpans: [
          {
            scope: { name: 'lib', version: '1.0' },
            spans: [
              {
                traceId: TRACE.toUpperCase(),
                spanId: SPAN,
                parentSpanId: '',
                name: 'chat',
                kind: 'SPAN_KIND_CLIENT',
                startTimeUnixNano: '1700000000123456789',
                endTimeUnixNano: 1700000000200000000,
                attributes: [
                  { key: 'n', value: { intValue: '9007199254740993' } },
                  { key: 'm', value: { intValue: 12 } },
                  { key: 'd', value: { doubleValue: 'NaN' } },
                  { key: 'inf', value: { doubleValue: 'Infinity' } },
                  { key: 'b', value: { bytesValue: 'AP8H' } },
                  { key: 'arr', value: { arrayValue: { values: [{ boolValue: true }] } } },
                ],
                events: [{ name: 'e', timeUnixNano: '1700000000150000000' }],
                status: { code: 'STATUS_CODE_ERROR', message: 'boom' },
              },
            ],
          },
        ],
      },
    ],
  };

  it('reads lowerCamelCase OTLP/JSON: hex ids (any case), int64 strings, enum names', () => {
    const out = decodeOtlp('traces', json(camel), 'json');
    assert.equal(out.rejected, 0);
    const s = out.spans[0]!;
    assert.equal(s.traceId, TRACE);
    assert.equal(s.parentSpanId, undefined);
    assert.equal(s.kind, 3);
    assert.equal(s.startTimeUnixNano, '1700000000123456789');
    assert.equal(s.endTimeUnixNano, '1700000000200000000');
    assert.deepEqual(s.status, { code: 2, message: 'boom' });
    assert.equal(s.attributes['n'], '9007199254740993');
    assert.equal(s.attributes['m'], 12);
    assert.ok(Number.isNaN(s.attributes['d']));
    assert.equal(s.attributes['inf'], Infinity);
    assert.deepEqual([...(s.attributes['b'] as Uint8Array)], [0, 255, 7]);
    assert.deepEqual(s.attributes['arr'], [true]);
    assert.deepEqual(s.events, [{ name: 'e', timeUnixNano: '1700000000150000000', attributes: {} }]);
  });

  it('reads snake_case keys and enum numbers the same way', () => {
    const snake = {
      resource_spans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { string_value: 'shop' } }] },
          scope_spans: [
            {
              scope: { name: 'lib', version: '1.0' },
              spans: [
                {
                  trace_id: TRACE,
                  span_id: SPAN,
                  name: 'chat',
                  kind: 3,
                  start_time_unix_nano: '1700000000123456789',
                  end_time_unix_nano: '1700000000200000000',
                  attributes: [
                    { key: 'n', value: { int_value: '9007199254740993' } },
                    { key: 'm', value: { int_value: '12' } },
                    { key: 'd', value: { double_value: 'NaN' } },
                    { key: 'inf', value: { double_value: 'Infinity' } },
                    { key: 'b', value: { bytes_value: 'AP8H' } },
                    { key: 'arr', value: { array_value: { values: [{ bool_value: true }] } } },
                  ],
                  events: [{ name: 'e', time_unix_nano: '1700000000150000000' }],
                  status: { code: 2, message: 'boom' },
                },
              ],
            },
          ],
        },
      ],
    };
    assert.deepEqual(decodeOtlp('traces', json(snake), 'json'), decodeOtlp('traces', json(camel), 'json'));
  });

  it('tolerates base64 ids of the right length (standard, unpadded and URL-safe) and rejects others', () => {
    const b64 = (h: string): string => Buffer.from(h, 'hex').toString('base64');
    const spans = [
      { traceId: b64(TRACE), spanId: b64(SPAN), name: 'padded' },
      { traceId: b64(TRACE).replace(/=+$/, ''), spanId: b64(SPAN).replace(/=+$/, ''), name: 'unpadded' },
      {
        traceId: Buffer.from('fbffffffffffffffffffffffffffffff', 'hex').toString('base64url'),
        spanId: SPAN,
        name: 'url-safe',
      },
      { traceId: b64(TRACE.slice(0, 30)), spanId: SPAN, name: 'base64 of 15 bytes' },
      { traceId: 'not an id at all!', spanId: SPAN, name: 'garbage' },
      { traceId: TRACE, spanId: 12345, name: 'number id' },
    ];
    const out = decodeOtlp('traces', json({ resourceSpans: [{ scopeSpans: [{ spans }] }] }), 'json');
    assert.deepEqual(
      out.spans.map((s) => [s.name, s.traceId, s.spanId]),
      [
        ['padded', TRACE, SPAN],
        ['unpadded', TRACE, SPAN],
        ['url-safe', 'fbffffffffffffffffffffffffffffff', SPAN],
      ],
    );
    assert.equal(out.rejected, 3);
  });

  it('reads the instrumentationLibrarySpans / instrumentationLibrary of very old JSON exporters', () => {
    const out = decodeOtlp(
      'traces',
      json({
        resourceSpans: [
          {
            instrumentationLibrarySpans: [
              {
                instrumentationLibrary: { name: 'legacy', version: '0.9' },
                spans: [{ traceId: TRACE, spanId: SPAN, name: 's' }],
              },
            ],
          },
        ],
      }),
      'json',
    );
    assert.deepEqual(out.spans[0]!.scope, { name: 'legacy', version: '0.9' });
  });

  it('reads JSON logs with snake_case, severity names, eventName and base64 ids', () => {
    const out = decodeOtlp(
      'logs',
      json({
        resource_logs: [
          {
            scope_logs: [
              {
                log_records: [
                  {
                    time_unix_nano: '5',
                    severity_number: 'SEVERITY_NUMBER_WARN',
                    event_name: 'gen_ai.choice',
                    trace_id: Buffer.from(TRACE, 'hex').toString('base64'),
                    span_id: SPAN,
                  },
                  {
                    timeUnixNano: 7,
                    severityNumber: 17,
                    body: { stringValue: 'x' },
                    traceId: '',
                    spanId: '',
                  },
                ],
              },
            ],
          },
        ],
      }),
      'json',
    );
    assert.equal(out.logs.length, 2);
    assert.deepEqual(
      [out.logs[0]!.severityNumber, out.logs[0]!.eventName, out.logs[0]!.traceId, out.logs[0]!.spanId],
      [13, 'gen_ai.choice', TRACE, SPAN],
    );
    assert.deepEqual(
      [out.logs[1]!.timeUnixNano, out.logs[1]!.severityNumber, out.logs[1]!.body, out.logs[1]!.traceId],
      ['7', 17, 'x', undefined],
    );
  });

  it('keeps a __proto__ attribute key as a plain key', () => {
    const out = decodeOtlp(
      'traces',
      Buffer.from(
        `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"${TRACE}","spanId":"${SPAN}","attributes":[{"key":"__proto__","value":{"kvlistValue":{"values":[{"key":"polluted","value":{"boolValue":true}}]}}}]}]}]}]}`,
      ),
      'json',
    );
    const attrs = out.spans[0]!.attributes;
    assert.equal(Object.getPrototypeOf(attrs), Object.prototype);
    assert.deepEqual(Object.keys(attrs), ['__proto__']);
    assert.equal((attrs as Record<string, unknown>)['polluted'], undefined);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });

  it("ignores unknown fields and the other signals' lists", () => {
    const out = decodeOtlp(
      'traces',
      json({
        somethingNew: 1,
        resourceLogs: [{}],
        resourceSpans: [
          { extra: true, scopeSpans: [{ spans: [{ traceId: TRACE, spanId: SPAN, future: { x: 1 } }] }] },
        ],
      }),
      'json',
    );
    assert.equal(out.spans.length, 1);
    assert.equal(out.rejected, 0);
  });
});

describe('decodeOtlp: malformed bodies', () => {
  const cases: [string, 'protobuf' | 'json', Uint8Array, RegExp][] = [
    [
      'truncated protobuf',
      'protobuf',
      pbTraces(oneSpan({ traceId: hex(TRACE), spanId: hex(SPAN), name: 'x'.repeat(50) })).subarray(0, 30),
      /truncated/,
    ],
    ['protobuf wire type 7', 'protobuf', Uint8Array.from([0x0f]), /wire type 7/],
    [
      'protobuf with a message field sent as a varint',
      'protobuf',
      Uint8Array.from([0x08, 0x01]),
      /wire type 0, expected 2/,
    ],
    ['JSON sent as protobuf', 'protobuf', json(camelRequest()), /looks like JSON/],
    ['not JSON', 'json', Buffer.from('resourceSpans: []'), /not valid JSON/],
    ['empty JSON body', 'json', Buffer.from('  '), /empty body/],
    ['a JSON array', 'json', Buffer.from('[]'), /not a JSON object/],
    ['resourceSpans not a list', 'json', json({ resourceSpans: 'x' }), /resourceSpans is not an array/],
    [
      'a resource that is not an object',
      'json',
      json({ resourceSpans: [1] }),
      /resourceSpans\[0\] is not an object/,
    ],
  ];
  for (const [name, encoding, body, reason] of cases) {
    it(`refuses ${name} with a short reason`, () => {
      const err = decodeError(() => decodeOtlp('traces', body, encoding));
      assert.match(err.message, reason);
      assert.ok(err.message.length < 200);
    });
  }

  it('never quotes the body in its reason', () => {
    const err = decodeError(() =>
      decodeOtlp('traces', Buffer.from('{"resourceSpans": SECRET-PROMPT-TEXT}'), 'json'),
    );
    assert.doesNotMatch(err.message, /SECRET/);
  });

  it('throws nothing but OtlpDecodeError for random bytes and every truncation of a real request', () => {
    const valid = pbTraces({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'k', value: { stringValue: 'v' } }] },
          scopeSpans: [
            {
              spans: [
                {
                  traceId: hex(TRACE),
                  spanId: hex(SPAN),
                  name: 'n',
                  attributes: [{ key: 'a', value: { arrayValue: { values: [{ intValue: 1 }] } } }],
                },
              ],
            },
          ],
        },
      ],
    });
    const bodies: Uint8Array[] = [];
    for (let i = 0; i < valid.length; i++) bodies.push(valid.subarray(0, i));
    let seed = 42;
    const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 300; i++)
      bodies.push(Uint8Array.from({ length: 1 + Math.floor(rand() * 64) }, () => Math.floor(rand() * 256)));
    for (let i = 0; i < 300; i++) {
      const mutated = Uint8Array.from(valid);
      mutated[Math.floor(rand() * mutated.length)] = Math.floor(rand() * 256);
      bodies.push(mutated);
    }
    let refused = 0;
    for (const body of bodies) {
      for (const signal of ['traces', 'logs', 'metrics'] as const) {
        try {
          decodeOtlp(signal, body, 'protobuf');
        } catch (err) {
          assert.ok(err instanceof OtlpDecodeError, `unexpected ${String(err)}`);
          refused++;
        }
      }
    }
    assert.ok(refused > 0);
  });
});

describe('decodeOtlp: nesting and size limits', () => {
  function nestedJsonValue(depth: number): unknown {
    let v: unknown = { stringValue: 'leaf' };
    for (let i = 1; i < depth; i++) v = { arrayValue: { values: [v] } };
    return v;
  }
  const spanWith = (value: unknown): Buffer =>
    json(oneSpan({ traceId: TRACE, spanId: SPAN, attributes: [{ key: 'deep', value }] }));

  it('keeps an attribute nested 64 levels deep and rejects the span at 65', () => {
    const ok = decodeOtlp('traces', spanWith(nestedJsonValue(64)), 'json');
    assert.equal(ok.spans.length, 1);
    let depth = 0;
    for (let v: unknown = ok.spans[0]!.attributes['deep']; Array.isArray(v); v = v[0]) depth++;
    assert.equal(depth, 63);
    const deep = decodeOtlp('traces', spanWith(nestedJsonValue(65)), 'json');
    assert.equal(deep.spans.length, 0);
    assert.equal(deep.rejected, 1);
    assert.match(deep.rejectReason ?? '', /nested more than 64 levels/);
  });

  it('drops only a too-deep resource attribute, not every span under it', () => {
    const body = json({
      resourceSpans: [
        {
          resource: {
            attributes: [
              { key: 'service.name', value: { stringValue: 's' } },
              { key: 'deep', value: nestedJsonValue(80) },
            ],
          },
          scopeSpans: [{ spans: [{ traceId: TRACE, spanId: SPAN }] }],
        },
      ],
    });
    const out = decodeOtlp('traces', body, 'json');
    assert.equal(out.spans.length, 1);
    assert.deepEqual(out.spans[0]!.resource, { 'service.name': 's' });
  });

  it('passes over what a JSON sender nests, however deep, where no record is read', () => {
    // As protobuf skips a field it does not know: the span is read and the rest is not looked at.
    const junk = '{"x":'.repeat(5000) + '1' + '}'.repeat(5000);
    const span = `{"traceId":"${TRACE}","spanId":"${SPAN}","junk":${junk}}`;
    const body = Buffer.from(`{"resourceSpans":[{"scopeSpans":[{"spans":[${span}]}]}]}`);
    const out = decodeOtlp('traces', body, 'json');
    assert.equal(out.spans.length, 1);
    assert.equal(out.spans[0]!.spanId, SPAN);
  });

  it('reads an object or array, however deep, where a string or an id belongs as none', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const attrs = [
      `{"key":"deep","value":{"stringValue":${deep}}}`,
      '{"key":"object","value":{"stringValue":{"toString":1}}}',
      '{"key":"number","value":{"stringValue":42}}',
    ];
    const span = `{"traceId":"${TRACE}","spanId":"${SPAN}","attributes":[${attrs.join(',')}]}`;
    const idBytes = [deep, ...Array.from({ length: 15 }, () => '1')].join(',');
    const badId = `{"traceId":[${idBytes}],"spanId":"${SPAN}"}`;
    const body = Buffer.from(`{"resourceSpans":[{"scopeSpans":[{"spans":[${span},${badId}]}]}]}`);
    const out = decodeOtlp('traces', body, 'json');
    assert.deepEqual(out.spans[0]!.attributes, { deep: '', object: '', number: '42' });
    assert.equal(out.spans.length, 1);
    assert.equal(out.rejected, 1);
    assert.match(out.rejectReason ?? '', /trace id/);
  });

  it('refuses a JSON body nested thousands of levels deep before parsing it', () => {
    const body = Buffer.from('['.repeat(100_000) + ']'.repeat(100_000));
    assert.match(decodeError(() => decodeOtlp('traces', body, 'json')).message, /nested more than/);
  });

  it('refuses a protobuf body nested beyond the limit', () => {
    // protobufjs will not encode this deep, so the bytes are assembled by hand, inside out.
    let anyValue = protobuf.Writer.create()
      .uint32((1 << 3) | 2)
      .string('leaf')
      .finish();
    for (let i = 0; i < 150; i++) {
      const array = protobuf.Writer.create()
        .uint32((1 << 3) | 2)
        .bytes(anyValue)
        .finish();
      anyValue = protobuf.Writer.create()
        .uint32((5 << 3) | 2)
        .bytes(array)
        .finish();
    }
    const kv = protobuf.Writer.create()
      .uint32((1 << 3) | 2)
      .string('deep')
      .uint32((2 << 3) | 2)
      .bytes(anyValue)
      .finish();
    const span = protobuf.Writer.create()
      .uint32((1 << 3) | 2)
      .bytes(hex(TRACE))
      .uint32((2 << 3) | 2)
      .bytes(hex(SPAN))
      .uint32((9 << 3) | 2)
      .bytes(kv)
      .finish();
    const scopeSpans = protobuf.Writer.create()
      .uint32((2 << 3) | 2)
      .bytes(span)
      .finish();
    const resourceSpans = protobuf.Writer.create()
      .uint32((2 << 3) | 2)
      .bytes(scopeSpans)
      .finish();
    const request = protobuf.Writer.create()
      .uint32((1 << 3) | 2)
      .bytes(resourceSpans)
      .finish();
    assert.match(
      decodeError(() => decodeOtlp('traces', request, 'protobuf')).message,
      /nested more than 100 levels/,
    );
  });

  it('refuses a few megabytes of empty protobuf messages without building them', () => {
    // One span holding 1.2 million empty attributes: 2 bytes each on the wire.
    const n = 1_200_000;
    const attrs = Buffer.alloc(n * 2);
    for (let i = 0; i < n; i++) attrs[i * 2] = (9 << 3) | 2;
    const ids = Buffer.concat([Buffer.from([0x0a, 16]), hex(TRACE), Buffer.from([0x12, 8]), hex(SPAN)]);
    const span = Buffer.concat([ids, attrs]);
    const w = protobuf.Writer.create();
    const scopeSpans = w
      .uint32((2 << 3) | 2)
      .bytes(span)
      .finish();
    const resourceSpans = protobuf.Writer.create()
      .uint32((2 << 3) | 2)
      .bytes(scopeSpans)
      .finish();
    const request = protobuf.Writer.create()
      .uint32((1 << 3) | 2)
      .bytes(resourceSpans)
      .finish();
    // The reason comes from the pre-scan: protobufjs itself would build all 1.2 million objects first.
    assert.match(decodeError(() => decodeOtlp('traces', request, 'protobuf')).message, /too many items/);
  });

  it('refuses a JSON body with too many objects, and honours smaller limits', () => {
    const many = Buffer.from(
      `{"resourceSpans":[${Array.from({ length: 2_100_000 }, () => '{}').join(',')}]}`,
    );
    assert.match(decodeError(() => decodeOtlp('traces', many, 'json')).message, /too many items/);
    const body = json(
      oneSpan({
        traceId: TRACE,
        spanId: SPAN,
        attributes: Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: { intValue: i } })),
      }),
    );
    assert.equal(decodeOtlp('traces', body, 'json').spans.length, 1);
    assert.match(
      decodeError(() => decodeOtlp('traces', body, 'json', { maxElements: 10 })).message,
      /too many items/,
    );
  });
});

describe('export responses and error bodies', () => {
  const types = otlpTypes();

  it('encodes an empty success and a partial success in protobuf for each signal', () => {
    for (const [signal, type, field] of [
      ['traces', types.traceResponse, 'rejectedSpans'],
      ['logs', types.logsResponse, 'rejectedLogRecords'],
      ['metrics', types.metricsResponse, 'rejectedDataPoints'],
    ] as const) {
      assert.equal(encodeExportResponse(signal, 'protobuf').length, 0);
      const decoded = type.toObject(
        type.decode(encodeExportResponse(signal, 'protobuf', { rejected: 3, message: 'three bad' })),
        { longs: Number },
      );
      assert.deepEqual(decoded, { partialSuccess: { [field]: 3, errorMessage: 'three bad' } });
    }
  });

  it('encodes OTLP/JSON responses with int64 as strings', () => {
    assert.equal(encodeExportResponse('traces', 'json'), '{}');
    assert.deepEqual(JSON.parse(encodeExportResponse('logs', 'json', { rejected: 2, message: 'm' })), {
      partialSuccess: { rejectedLogRecords: '2', errorMessage: 'm' },
    });
  });

  it('encodes google.rpc.Status bodies with a gRPC code matching the HTTP status', () => {
    const status = types.rpcStatus.toObject(
      types.rpcStatus.decode(encodeErrorStatus('protobuf', 400, 'bad body')),
    );
    assert.deepEqual(status, { code: 3, message: 'bad body' });
    assert.deepEqual(JSON.parse(encodeErrorStatus('json', 500, 'oops')), { code: 13, message: 'oops' });
    assert.equal(JSON.parse(encodeErrorStatus('json', 413, 'big')).code, 8);
  });
});

function camelRequest(): Record<string, unknown> {
  return oneSpan({ traceId: TRACE, spanId: SPAN, name: 'n' });
}

describe('decodeOtlp: a resource sent again', () => {
  const resource = {
    attributes: [
      { key: 'service.name', value: { stringValue: 'shop' } },
      { key: 'host.name', value: { stringValue: 'h1' } },
    ],
  };
  const request = (spanId: string, r: unknown = resource): Uint8Array =>
    pbTraces({
      resourceSpans: [
        { resource: r, scopeSpans: [{ spans: [{ traceId: hex(TRACE), spanId: hex(spanId) }] }] },
      ],
    });
  /** The bytes of a ResourceSpans field (1) of a request, from the ResourceSpans message's own bytes. */
  const requestOf = (resourceSpans: Uint8Array): Buffer => {
    const w = protobuf.Writer.create();
    w.uint32(0x0a).bytes(resourceSpans);
    return Buffer.from(w.finish());
  };

  it('hands on the same resource object for the same bytes, read once', () => {
    const a = decodeOtlp('traces', Buffer.from(request(SPAN)), 'protobuf');
    const b = decodeOtlp('traces', Buffer.from(request(PARENT)), 'protobuf');
    assert.deepEqual(b.spans[0]!.resource, { 'service.name': 'shop', 'host.name': 'h1' });
    assert.equal(a.spans[0]!.resource, b.spans[0]!.resource);
    // Other bytes, another object.
    const other = { attributes: [{ key: 'service.name', value: { stringValue: 'shop2' } }] };
    const c = decodeOtlp('traces', Buffer.from(request(SPAN, other)), 'protobuf');
    assert.deepEqual(c.spans[0]!.resource, { 'service.name': 'shop2' });
  });

  it('hands on the same scope object for the same name and version when it has no attributes', () => {
    const withScope = (spanId: string, scope: Record<string, unknown>): Uint8Array =>
      pbTraces({
        resourceSpans: [{ scopeSpans: [{ scope, spans: [{ traceId: hex(TRACE), spanId: hex(spanId) }] }] }],
      });
    const read = (spanId: string, scope: Record<string, unknown>) =>
      decodeOtlp('traces', Buffer.from(withScope(spanId, scope)), 'protobuf').spans[0]!.scope;
    const a = read(SPAN, { name: 'openai', version: '1.2' });
    const b = read(PARENT, { name: 'openai', version: '1.2' });
    assert.deepEqual(b, { name: 'openai', version: '1.2' });
    assert.equal(a, b);
    // Another version, or attributes of its own: another object, each read as sent.
    const c = read(SPAN, { name: 'openai', version: '1.3' });
    assert.deepEqual(c, { name: 'openai', version: '1.3' });
    assert.notEqual(c, a);
    const attrs = { name: 'openai', version: '1.2', attributes: [{ key: 'k', value: { stringValue: 'v' } }] };
    const d = read(SPAN, attrs);
    const e = read(PARENT, attrs);
    assert.deepEqual(d, { name: 'openai', version: '1.2', attributes: { k: 'v' } });
    assert.notEqual(d, e);
    // Names and versions that would run together: each scope as sent.
    assert.deepEqual(read(SPAN, { name: 'ab', version: 'c' }), { name: 'ab', version: 'c' });
    assert.deepEqual(read(SPAN, { name: 'a', version: 'bc' }), { name: 'a', version: 'bc' });
    assert.deepEqual(read(SPAN, { name: 'abc' }), { name: 'abc' });
  });

  it('merges a second resource field into a copy, leaving the known one as it was', () => {
    const rs = otlpTypes().traceRequest.lookupType('opentelemetry.proto.trace.v1.ResourceSpans');
    const first = rs
      .encode(
        rs.fromObject({ resource, scopeSpans: [{ spans: [{ traceId: hex(TRACE), spanId: hex(SPAN) }] }] }),
      )
      .finish();
    const second = rs
      .encode(rs.fromObject({ resource: { attributes: [{ key: 'extra', value: { stringValue: 'x' } }] } }))
      .finish();
    decodeOtlp('traces', Buffer.from(request(PARENT)), 'protobuf'); // the resource is known now
    const merged = decodeOtlp('traces', requestOf(Buffer.concat([first, second])), 'protobuf');
    assert.deepEqual(merged.spans[0]!.resource, { 'service.name': 'shop', 'host.name': 'h1', extra: 'x' });
    const again = decodeOtlp('traces', Buffer.from(request(SPAN)), 'protobuf');
    assert.deepEqual(again.spans[0]!.resource, { 'service.name': 'shop', 'host.name': 'h1' });
  });

  it('counts a known resource against the element limit as if it were read', () => {
    const body = Buffer.from(request(SPAN));
    const fresh = Buffer.from(
      request(SPAN, { attributes: [...resource.attributes, resource.attributes[0]] }),
    );
    // The limit at which the body just fits, found on a resource read for the first time.
    let fits = 1;
    for (; fits < 100; fits++) {
      try {
        decodeOtlp('traces', fresh, 'protobuf', { maxElements: fits });
        break;
      } catch {
        /* too many */
      }
    }
    assert.ok(fits < 100);
    decodeOtlp('traces', fresh, 'protobuf'); // known from now on
    assert.equal(decodeOtlp('traces', fresh, 'protobuf', { maxElements: fits }).spans.length, 1);
    assert.throws(() => decodeOtlp('traces', fresh, 'protobuf', { maxElements: fits - 1 }), /too many items/);
    assert.equal(decodeOtlp('traces', body, 'protobuf').spans.length, 1);
  });
});
