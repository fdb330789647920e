// The single-pass readers against the decoder they replaced (referenceDecoder.ts): the same records for
// every captured request, and the same records or the same refusal for the corner cases of the wire
// format and of OTLP/JSON that exporters rarely produce. The fuzz test checks the same on mutated bodies.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as protobuf from 'protobufjs';
import {
  decodeOtlp,
  OtlpDecodeError,
  type DecodeLimits,
  type OtlpEncoding,
  type OtlpSignal,
} from '../../../src/otlp/decode';
import { uint64String } from '../../../src/otlp/protobufReader';
import { otlpTypes } from '../../../src/otlp/otlpProto';
import { fixtureEntries, fixturePayload } from '../helpers/fixtures';
import { referenceDecodeOtlp } from './referenceDecoder';

type Outcome = { records: unknown } | { refused: string };

function outcome(fn: () => unknown): Outcome {
  try {
    return { records: fn() };
  } catch (err) {
    if (!(err instanceof OtlpDecodeError)) throw err;
    return { refused: err.message };
  }
}

/** Both decoders on the same body: equal records, or the same reason. */
export function assertSameAsReference(
  signal: OtlpSignal,
  body: Uint8Array,
  encoding: OtlpEncoding,
  limits?: Partial<DecodeLimits>,
  what = '',
): Outcome {
  const ours = outcome(() => decodeOtlp(signal, body, encoding, limits));
  const reference = outcome(() => referenceDecodeOtlp(signal, body, encoding, limits));
  assert.deepStrictEqual(ours, reference, what);
  return ours;
}

const TRACE = Buffer.from('0af7651916cd43dd8448eb211c80319c', 'hex');
const SPAN = Buffer.from('b7ad6b7169203331', 'hex');

/** Hand-assembled protobuf: [field, wire, payload], a varint (wire 0) or bytes and nested parts (wire 2). */
type Part = [number, 0 | 2, Uint8Array | number | Part[]];

function pb(parts: Part[]): Buffer {
  const w = protobuf.Writer.create();
  for (const [field, wire, payload] of parts) {
    w.uint32(field * 8 + wire);
    if (wire === 0) w.uint64(payload as number);
    else w.bytes(Array.isArray(payload) ? pb(payload) : (payload as Uint8Array));
  }
  return Buffer.from(w.finish());
}

const str = (s: string): Buffer => Buffer.from(s, 'utf8');
const kv = (key: string, value: Part[]): Part[] => [
  [1, 2, str(key)],
  [2, 2, value],
];
const traces = (spanParts: Part[], extra: Part[] = []): Buffer =>
  pb([[1, 2, [...extra, [2, 2, [[2, 2, spanParts]]]]]]);
const ids: Part[] = [
  [1, 2, TRACE],
  [2, 2, SPAN],
];

describe('decodeOtlp against the reference decoder', () => {
  it('gives the same records for every captured request, as Buffer and as Uint8Array', () => {
    const entries = fixtureEntries();
    assert.ok(entries.length > 50);
    for (const entry of entries) {
      const body = fixturePayload(entry);
      const out = assertSameAsReference(entry.signal, body, entry.encoding, undefined, entry.file);
      assert.ok('records' in out, `${entry.file} decodes`);
      assertSameAsReference(entry.signal, new Uint8Array(body), entry.encoding, undefined, entry.file);
    }
  });

  it('gives the same records for every captured request sent again and again', () => {
    // The third and later sightings of a JSON attribute list are built by a compiled literal.
    for (const entry of fixtureEntries()) {
      const body = fixturePayload(entry);
      for (let i = 0; i < 3; i++)
        assertSameAsReference(entry.signal, body, entry.encoding, undefined, entry.file);
    }
  });

  it('writes fixed64 values exactly, below and above 2^53', () => {
    let seed = 7;
    const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const cases: [number, number][] = [
      [0, 0],
      [0xffffffff, 0x1fffff],
      [0, 0x200000],
      [0xffffffff, 0xffffffff],
      [999_999_999, 0x7fffffff],
    ];
    // Where the number of digits changes: 10^18 - 1, 10^18, 10^19 - 1 and 10^19.
    for (const v of [10n ** 18n - 1n, 10n ** 18n, 10n ** 19n - 1n, 10n ** 19n])
      cases.push([Number(v & 0xffffffffn), Number(v >> 32n)]);
    for (let i = 0; i < 2000; i++) cases.push([Math.floor(rand() * 2 ** 32), Math.floor(rand() * 2 ** 32)]);
    for (const [lo, hi] of cases)
      assert.equal(uint64String(lo, hi), ((BigInt(hi) << 32n) | BigInt(lo)).toString(), `${hi}:${lo}`);
  });

  it('reads thousands of distinct keys, values and names exactly, read again and sharing table slots', () => {
    // More distinct texts of each length than the reader's tables have slots, so that many texts land in a
    // slot another holds; a hit must be the same bytes, not only the same hash slot and length.
    let seed = 11;
    const rand = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789._-';
    const text = (length: number): string =>
      Array.from({ length }, () => alphabet[rand(alphabet.length)]).join('');
    const spans = Array.from({ length: 40 }, (_, s) => ({
      traceId: TRACE,
      spanId: Buffer.from([1, 2, 3, 4, 5, 6, s >> 8, (s & 255) + 1]),
      name: text(1 + rand(40)),
      startTimeUnixNano: 1,
      endTimeUnixNano: 2,
      attributes: Array.from({ length: 300 }, (_, i) => ({
        // Lengths up to past the tables' limits (64 bytes for keys, 32 for values), with a few texts that
        // differ only in their last byte, and a value that repeats in every span.
        key: i === 0 ? 'gen_ai.request.model' : `${text(1 + rand(70))}${i % 7 === 0 ? String(s % 10) : ''}`,
        value: { stringValue: i === 0 ? 'gpt-4o-mini' : text(rand(40)) + (i % 5 === 0 ? 'é' : '') },
      })),
    }));
    const body = Buffer.from(
      otlpTypes()
        .traceRequest.encode(
          otlpTypes().traceRequest.fromObject({ resourceSpans: [{ scopeSpans: [{ spans }] }] }),
        )
        .finish(),
    );
    const limits = { maxElements: 1_000_000 };
    for (let pass = 0; pass < 2; pass++) {
      const out = assertSameAsReference('traces', body, 'protobuf', limits, `pass ${pass}`);
      assert.ok('records' in out);
    }
  });
  it('gives the same values for every kind of attribute value', () => {
    const t = otlpTypes().traceRequest;
    const values: unknown[] = [
      { stringValue: '' },
      { stringValue: 'héllo wörld '.repeat(10) },
      { stringValue: '\ufeffa BOM stays' },
      { stringValue: 'a real \ufffd stays' },
      { stringValue: `a real \ufffd stays ${'ü'.repeat(60)}` },
      { boolValue: false },
      { boolValue: true },
      { intValue: 0 },
      { intValue: -1 },
      { intValue: '9007199254740991' },
      { intValue: '9007199254740992' },
      { intValue: '-9007199254740992' },
      { intValue: '-9223372036854775808' },
      { intValue: '9223372036854775807' },
      { doubleValue: 0 },
      { doubleValue: -0 },
      { doubleValue: 1.5 },
      { doubleValue: NaN },
      { doubleValue: Infinity },
      { bytesValue: Buffer.alloc(0) },
      { bytesValue: Buffer.from([0, 1, 255]) },
      { arrayValue: {} },
      { arrayValue: { values: [{ stringValue: 'a' }, {}, { intValue: 2 }] } },
      { kvlistValue: {} },
      {
        kvlistValue: {
          values: [{ key: 'a', value: { boolValue: true } }, { key: '__proto__' }, { key: '' }],
        },
      },
      {},
    ];
    const body = t
      .encode(
        t.fromObject({
          resourceSpans: [
            {
              scopeSpans: [
                {
                  spans: [
                    {
                      traceId: TRACE,
                      spanId: SPAN,
                      startTimeUnixNano: '1795500672057000000',
                      endTimeUnixNano: '18446744073709551615',
                      attributes: values.map((value, i) => ({ key: `k${i}`, value })),
                    },
                  ],
                },
              ],
            },
          ],
        }),
      )
      .finish();
    const out = assertSameAsReference('traces', body, 'protobuf');
    assert.ok('records' in out);
  });

  it('merges repeated occurrences of one-message fields the same way', () => {
    const bodies = [
      // A KeyValue with two values: one AnyValue with both members, the string wins.
      traces([...ids, [9, 2, [...kv('k', [[3, 0, 7]]), [2, 2, [[1, 2, str('s')]]]]]]),
      // Two array values in one AnyValue, and two values each holding an array: one array.
      traces([
        ...ids,
        [
          9,
          2,
          [
            ...kv('k', [
              [5, 2, [[1, 2, [[1, 2, str('a')]]]]],
              [5, 2, [[1, 2, [[3, 0, 1]]]]],
            ]),
            [2, 2, [[5, 2, [[1, 2, [[2, 0, 1]]]]]]],
          ],
        ],
      ]),
      // Text in the merged value, short and long, ASCII and not.
      traces([
        ...ids,
        [9, 2, [...kv('k', [[3, 0, 7]]), [2, 2, [[1, 2, str(`lé${'ä'.repeat(50)}`)]]]]],
        [9, 2, [...kv('j', [[3, 0, 7]]), [2, 2, [[1, 2, str('short')]]], [2, 2, [[2, 0, 1]]]]],
      ]),
      // Two statuses: the code of the first, the message of the second.
      traces([...ids, [15, 2, [[3, 0, 2]]], [15, 2, [[2, 2, str('boom')]]]]),
      // The scope and the resource after the spans, and twice each.
      pb([
        [
          1,
          2,
          [
            [
              2,
              2,
              [
                [2, 2, ids],
                [1, 2, [[1, 2, str('scope')]]],
                [1, 2, [[2, 2, str('1.0')]]],
              ],
            ],
            [1, 2, [[1, 2, kv('a', [[1, 2, str('x')]])]]],
            [1, 2, [[1, 2, kv('b', [[1, 2, str('y')]])]]],
          ],
        ],
      ]),
      // Legacy instrumentation_library_spans between scope_spans: listed after them.
      pb([
        [
          1,
          2,
          [
            [1000, 2, [[2, 2, [...ids, [5, 2, str('legacy')]]]]],
            [2, 2, [[2, 2, [...ids, [5, 2, str('current')]]]]],
            [1000, 2, [[2, 2, [[1, 2, Buffer.alloc(3)]]]]],
            [2, 2, [[2, 2, [[2, 2, SPAN]]]]],
          ],
        ],
      ]),
      // A second trace id replaces the first; a later empty one clears it.
      traces([...ids, [1, 2, Buffer.alloc(16, 7)]]),
      traces([...ids, [1, 2, Buffer.alloc(0)]]),
    ];
    for (const body of bodies) {
      assertSameAsReference('traces', body, 'protobuf');
      assertSameAsReference('traces', new Uint8Array(body), 'protobuf');
    }
  });

  it('rejects the same spans and log records, with the same first reason', () => {
    const deep = (levels: number): Part[] => {
      let v: Part[] = [[1, 2, str('leaf')]];
      for (let i = 1; i < levels; i++) v = [[5, 2, [[1, 2, v]]]];
      return v;
    };
    const bodies: [OtlpSignal, Buffer][] = [
      ['traces', traces([[2, 2, SPAN]])],
      [
        'traces',
        traces([
          [1, 2, Buffer.alloc(16)],
          [2, 2, SPAN],
        ]),
      ],
      [
        'traces',
        traces([
          [1, 2, TRACE],
          [2, 2, Buffer.alloc(8)],
        ]),
      ],
      [
        'traces',
        traces([
          [1, 2, TRACE],
          [2, 2, Buffer.alloc(5, 1)],
        ]),
      ],
      ['traces', traces([...ids, [4, 2, Buffer.alloc(4, 1)]])],
      ['traces', traces([...ids, [4, 2, Buffer.alloc(8)]])],
      ['traces', traces([...ids, [9, 2, kv('deep', deep(64))]])],
      ['traces', traces([...ids, [9, 2, kv('deep', deep(65))]])],
      // Too deep, but under a string member that wins: kept.
      ['traces', traces([...ids, [9, 2, kv('deep', [[1, 2, str('s')], ...deep(70)])]])],
      ['traces', traces([...ids, [11, 2, [[3, 2, kv('deep', deep(65))]]]])],
      [
        'traces',
        traces([
          ...ids,
          [
            13,
            2,
            [
              [1, 2, TRACE],
              [2, 2, SPAN],
              [4, 2, kv('d', deep(65))],
            ],
          ],
        ]),
      ],
      [
        'traces',
        traces([
          ...ids,
          [
            13,
            2,
            [
              [1, 2, TRACE],
              [4, 2, kv('d', deep(65))],
            ],
          ],
        ]),
      ],
      ['traces', traces(ids, [[1, 2, [[1, 2, kv('deep', deep(80))]]]])],
      ['logs', pb([[1, 2, [[2, 2, [[2, 2, [[9, 2, Buffer.alloc(2)]]]]]]]])],
      ['logs', pb([[1, 2, [[2, 2, [[2, 2, [[10, 2, Buffer.alloc(3)]]]]]]]])],
      ['logs', pb([[1, 2, [[2, 2, [[2, 2, [[5, 2, deep(65)]]]]]]]])],
      [
        'logs',
        pb([
          [
            1,
            2,
            [
              [
                2,
                2,
                [
                  [
                    2,
                    2,
                    [
                      [5, 2, []],
                      [12, 2, str('e')],
                      [2, 0, 9],
                    ],
                  ],
                ],
              ],
            ],
          ],
        ]),
      ],
      ['logs', pb([[1, 2, [[2, 2, [[2, 2, [[6, 2, kv('event.name', [[1, 2, str('ev')]])]]]]]]]])],
      [
        'logs',
        pb([
          [
            1,
            2,
            [
              [
                2,
                2,
                [
                  [
                    2,
                    2,
                    [
                      [5, 2, [[1, 2, str('a')]]],
                      [5, 2, [[3, 0, 1]]],
                    ],
                  ],
                ],
              ],
            ],
          ],
        ]),
      ],
    ];
    for (const [signal, body] of bodies) assertSameAsReference(signal, body, 'protobuf');
  });

  it('refuses the same malformed protobuf bodies with the same reasons', () => {
    const span = traces([...ids, [5, 2, str('name')]]);
    const bodies: [OtlpSignal, Uint8Array, Partial<DecodeLimits>?][] = [
      ['traces', Buffer.from([0x0a, 0x05, 0x12])],
      ['traces', Buffer.from([0x08, 0x01])],
      ['traces', Buffer.from([0x0b])],
      ['traces', Buffer.from([0x00, 0x01])],
      ['traces', Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01])],
      // A tag and a length in six bytes: allowed by the wire format, refused by protobuf implementations.
      ['traces', Buffer.from([0x8a, 0x80, 0x80, 0x80, 0x80, 0x00, 0x00])],
      ['traces', Buffer.from([0x0a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00])],
      ['traces', Buffer.from([0xa2, 0x80, 0x80, 0x80, 0x10, 0x00])],
      ['traces', Buffer.from(JSON.stringify({ resourceSpans: [] }))],
      ['traces', traces([...ids, [5, 2, Buffer.from([0x61, 0xc0, 0x80])]])],
      ['traces', traces([...ids, [3, 2, Buffer.from([0xff])]])],
      [
        'traces',
        traces([...ids, [5, 2, Buffer.concat([str('x'.repeat(70)), Buffer.from([0xed, 0xa0, 0x80])])]]),
      ],
      ['traces', traces([...ids, [9, 2, [[1, 2, Buffer.from([0x6b, 0xff])]]]])],
      ['traces', traces([...ids, [9, 2, [...kv('k', []), [2, 2, [[1, 2, Buffer.from([0xc3])]]]]]])],
      ['metrics', pb([[1, 2, [[2, 2, [[2, 2, [[1, 2, Buffer.from([0xfe])]]]]]]]])],
      [
        'metrics',
        pb([
          [
            1,
            2,
            [
              [
                2,
                2,
                [
                  [2, 2, [[1, 2, str('m')]]],
                  [2, 2, []],
                ],
              ],
              [1000, 2, [[2, 2, []]]],
            ],
          ],
        ]),
      ],
      ['traces', span, { maxElements: 3 }],
      ['traces', span, { maxNesting: 2 }],
      ['traces', traces([...ids, [9, 2, kv('k', [[1, 2, str('v')]])]]), { maxNesting: 200 }],
    ];
    for (let cut = 0; cut < span.length; cut++) bodies.push(['traces', span.subarray(0, cut)]);
    for (const [signal, body, limits] of bodies) {
      assertSameAsReference(signal, body, 'protobuf', limits);
      assertSameAsReference(signal, new Uint8Array(body), 'protobuf', limits);
    }
  });

  it('reads the same from the OTLP/JSON variants senders write', () => {
    const T = TRACE.toString('hex');
    const S = SPAN.toString('hex');
    const requests: unknown[] = [
      {
        resource_spans: [
          { scope_spans: [{ spans: [{ trace_id: T.toUpperCase(), span_id: S, kind: 'CLIENT' }] }] },
        ],
      },
      {
        resourceSpans: [
          {
            instrumentationLibrarySpans: [
              {
                instrumentationLibrary: { name: 'old', version: '1' },
                spans: [
                  {
                    traceId: TRACE.toString('base64'),
                    spanId: SPAN.toString('base64url').replace(/=+$/, ''),
                    startTimeUnixNano: 1795500672057000000,
                    endTimeUnixNano: ' 0001795500672057000001 ',
                    status: { code: 'STATUS_CODE_ERROR', message: 'x' },
                    droppedAttributesCount: '3',
                    attributes: [
                      { key: 'i', value: { intValue: '12345678901234567890' } },
                      { key: 'd', value: { doubleValue: 'NaN' } },
                      { key: 'b', value: { bytesValue: 'AAEC' } },
                      { key: 's', value: { string_value: null } },
                      { key: 'n', value: { stringValue: null } },
                      { key: 'l', value: { intValue: { low: 1, high: 2 } } },
                    ],
                  },
                ],
              },
            ],
          },
        ],
      },
      {
        resourceLogs: [
          {
            scopeLogs: [
              {
                logRecords: [
                  {
                    severityNumber: 'SEVERITY_NUMBER_WARN',
                    body: { kvlistValue: { values: [{ key: 'k' }] } },
                  },
                  { severity_number: 'error2', trace_id: T, span_id: '00'.repeat(8), event_name: 'e' },
                  { traceId: 'zz' },
                ],
              },
            ],
          },
        ],
      },
      { resourceMetrics: [{ scopeMetrics: [{ metrics: [{}, {}] }, { metrics: [] }] }] },
      { resourceSpans: [{ scopeSpans: [{ spans: 'x' }] }] },
      { resourceSpans: [{ scopeSpans: [1] }] },
    ];
    for (const request of requests)
      for (const signal of ['traces', 'logs', 'metrics'] as const)
        assertSameAsReference(signal, Buffer.from(JSON.stringify(request)), 'json');
    const raw = [
      '',
      ' ',
      '[]',
      '{"resourceSpans": SECRET}',
      '\ufeff{}',
      '{"a":"\\\\"}',
      '{"a":"\\"[[[["}',
      `{"a":"${'x'.repeat(100)}\\\\\\"${'['.repeat(400)}"}`,
      '['.repeat(400),
      `{"a":${'['.repeat(299)}${']'.repeat(299)}}`,
      `{"a":${'['.repeat(300)}${']'.repeat(300)}}`,
      `{"a":[{"b":${'{"c":'.repeat(400)}1${'}'.repeat(400)}}]}`,
      `{"a":"${'['.repeat(40)}`,
    ];
    for (const text of raw) assertSameAsReference('traces', Buffer.from(text), 'json');
    assertSameAsReference('traces', Buffer.from(`{"a":[${'{},'.repeat(30)}{}]}`), 'json', {
      maxElements: 10,
    });
  });
});
