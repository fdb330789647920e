// Attribute lists built by the literal compiled for their keys (src/otlp/attributeShapes.ts): a list of keys
// seen a second time is compiled, and builds the third and later ones. The records must be what building key
// by key gives, in both encodings, whatever keys a sender writes. The test of the compile bucket drains it,
// so it runs last; this file has its own process, and so its own bucket.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { otlpTypes } from '../../../src/otlp/otlpProto';
import { decodeOtlp } from '../../../src/otlp/decode';
import type { SpanRecord } from '../../../src/core/records';
import { COMPILE_BURST, LISTS_PER_COMPILE, shapeCounts } from '../../../src/otlp/attributeShapes';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const spanIdOf = (i: number): string => (i + 1).toString(16).padStart(16, '0');

const kvs = (pairs: [string, unknown][]): unknown[] => pairs.map(([key, value]) => ({ key, value }));
const jsonSpan = (attributes: unknown[], i = 0): Record<string, unknown> => ({
  traceId: TRACE,
  spanId: spanIdOf(i),
  attributes,
});
const json = (obj: unknown): Buffer => Buffer.from(JSON.stringify(obj));
const jsonBody = (lists: unknown[][]): Buffer =>
  json({ resourceSpans: [{ scopeSpans: [{ spans: lists.map((a, i) => jsonSpan(a, i)) }] }] });

function pbEncode(type: 'traceRequest' | 'logsRequest', obj: Record<string, unknown>): Uint8Array {
  const t = otlpTypes()[type];
  return t.encode(t.fromObject(obj)).finish();
}
const pbBody = (lists: unknown[][]): Uint8Array =>
  pbEncode('traceRequest', {
    resourceSpans: [
      {
        scopeSpans: [
          {
            spans: lists.map((attributes, i) => ({
              traceId: Buffer.from(TRACE, 'hex'),
              spanId: Buffer.from(spanIdOf(i), 'hex'),
              attributes,
            })),
          },
        ],
      },
    ],
  });

/** An AnyValue nested `levels` deep: arrays of one, around a string. */
function nested(levels: number): unknown {
  let v: unknown = { stringValue: 'leaf' };
  for (let i = 1; i < levels; i++) v = { arrayValue: { values: [v] } };
  return v;
}

/** A list a literal would read as setting the prototype, and one with a key twice: neither is compiled. */
const PROTO = kvs([
  ['a', { stringValue: '1' }],
  ['__proto__', { kvlistValue: { values: [{ key: 'polluted', value: { boolValue: true } }] } }],
  ['b', { stringValue: '2' }],
]);
const TWICE = kvs([
  ['a', { stringValue: 'first' }],
  ['b', { stringValue: 'b' }],
  ['a', { stringValue: 'last' }],
]);

/** PROTO's spans: `__proto__` an own key, the prototype untouched, nothing polluted. */
function assertProtoKept(spans: SpanRecord[]): void {
  for (const s of spans) {
    assert.equal(Object.getPrototypeOf(s.attributes), Object.prototype);
    assert.deepEqual(Object.keys(s.attributes), ['a', '__proto__', 'b']);
    assert.equal((s.attributes as Record<string, unknown>)['polluted'], undefined);
  }
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
}

describe('OTLP/JSON attribute lists seen again', () => {
  it('gives the same attributes the third time and after, each time new objects', () => {
    const list = kvs([
      ['gen_ai.system', { stringValue: 'openai' }],
      ['gen_ai.usage.input_tokens', { intValue: '12' }],
      ['temperature', { doubleValue: 0.5 }],
      ['stream', { boolValue: true }],
      ['stop', { arrayValue: { values: [{ stringValue: 'a' }, { intValue: 3 }] } }],
      ['nested', { kvlistValue: { values: [{ key: 'k', value: { stringValue: 'v' } }] } }],
      ['blob', { bytesValue: Buffer.from([1, 2]).toString('base64') }],
    ]);
    const expected = {
      'gen_ai.system': 'openai',
      'gen_ai.usage.input_tokens': 12,
      temperature: 0.5,
      stream: true,
      stop: ['a', 3],
      nested: { k: 'v' },
      blob: new Uint8Array([1, 2]),
    };
    const before = shapeCounts().compiled;
    const out = decodeOtlp('traces', jsonBody([list, list, list, list, list]), 'json');
    assert.equal(shapeCounts().compiled, before + 1);
    for (const s of out.spans) {
      assert.deepStrictEqual(s.attributes, expected);
      assert.deepEqual(Object.keys(s.attributes), Object.keys(expected));
      assert.equal(Object.getPrototypeOf(s.attributes), Object.prototype);
    }
    (out.spans[2]!.attributes as Record<string, unknown>)['stream'] = false;
    assert.equal(out.spans[3]!.attributes['stream'], true);
    assert.notEqual(out.spans[3]!.attributes, out.spans[4]!.attributes);
  });

  it('keeps __proto__ a plain key and duplicate keys last-wins in lists seen again', () => {
    const before = shapeCounts().compiled;
    const out = decodeOtlp('traces', jsonBody([PROTO, PROTO, PROTO, TWICE, TWICE, TWICE]), 'json');
    assert.equal(shapeCounts().compiled, before, 'neither list is compiled');
    assertProtoKept(out.spans.slice(0, 3));
    for (const s of out.spans.slice(3)) assert.deepStrictEqual(s.attributes, { a: 'last', b: 'b' });
  });

  it('compiles no list whose keys an object orders otherwise (integer-like keys after others), nor keeps it', () => {
    const list = kvs([
      ['b', { stringValue: 'b' }],
      ['a', { stringValue: 'a' }],
      ['1', { stringValue: 'one' }],
    ]);
    const before = shapeCounts().compiled;
    const out = decodeOtlp('traces', jsonBody([list, list, list, list]), 'json');
    assert.equal(shapeCounts().compiled, before);
    for (const s of out.spans) {
      assert.deepStrictEqual(s.attributes, { b: 'b', a: 'a', 1: 'one' });
      assert.deepEqual(Object.keys(s.attributes), ['1', 'b', 'a']);
    }
    // Nor does it take the place of the shapes of its size: one compiled before stays, not compiled again.
    const kept = kvs([
      ['x', { intValue: 1 }],
      ['y', { intValue: 2 }],
      ['z', { intValue: 3 }],
    ]);
    const first = shapeCounts().compiled;
    decodeOtlp(
      'traces',
      jsonBody([kept, kept, kept, list, list, list, list, list, kept, kept, kept]),
      'json',
    );
    assert.equal(shapeCounts().compiled, first + 1);
  });

  it('drops only the too-deep value of a resource list seen again, and rejects a span with one', () => {
    const deep = nested(80);
    const resource = (third: unknown): Record<string, unknown> => ({
      resource: {
        attributes: kvs([
          ['service.name', { stringValue: 's' }],
          ['host.name', { stringValue: 'h' }],
          ['x', third],
        ]),
      },
      scopeSpans: [
        {
          spans: [
            jsonSpan(
              kvs([
                ['k1', { intValue: 1 }],
                ['k2', { intValue: 2 }],
                ['k3', third],
              ]),
            ),
          ],
        },
      ],
    });
    const shallow = resource({ stringValue: 'x' });
    const body = json({ resourceSpans: [shallow, shallow, shallow, resource(deep)] });
    const out = decodeOtlp('traces', body, 'json');
    assert.equal(out.spans.length, 3);
    assert.equal(out.rejected, 1);
    assert.match(out.rejectReason ?? '', /nested more than 64 levels/);
    for (const s of out.spans) assert.deepStrictEqual(s.attributes, { k1: 1, k2: 2, k3: 'x' });
    // The fourth resource's list has the compiled shape's keys; its deep value costs only its key.
    const again = decodeOtlp('traces', json({ resourceSpans: [resource(deep)] }), 'json');
    assert.equal(again.spans.length, 0);
    const onlyResource = decodeOtlp(
      'traces',
      json({ resourceSpans: [{ ...resource(deep), scopeSpans: [{ spans: [jsonSpan([])] }] }] }),
      'json',
    );
    assert.deepStrictEqual(onlyResource.spans[0]!.resource, { 'service.name': 's', 'host.name': 'h' });
  });

  it('builds the same attributes key by key where code from strings is forbidden', () => {
    const script = `
      const { decodeOtlp } = require('./src/otlp/decode.ts');
      const { shapeCounts } = require('./src/otlp/attributeShapes.ts');
      const body = Buffer.from(process.argv[1]);
      const out = decodeOtlp('traces', body, 'json');
      console.log(JSON.stringify({ attributes: out.spans.map((s) => s.attributes), ...shapeCounts() }));`;
    const list = kvs([
      ['a', { stringValue: 'x' }],
      ['b', { intValue: 1 }],
      ['c', { boolValue: true }],
    ]);
    const run = spawnSync(
      process.execPath,
      [
        '--disallow-code-generation-from-strings',
        '--import',
        'tsx',
        '-e',
        script,
        jsonBody([list, list, list, list]).toString(),
      ],
      { encoding: 'utf8', cwd: path.join(__dirname, '..', '..', '..') },
    );
    assert.equal(run.status, 0, run.stderr);
    const got = JSON.parse(run.stdout) as { attributes: unknown[]; compiled: number };
    assert.equal(got.compiled, 0);
    assert.deepStrictEqual(got.attributes, Array(4).fill({ a: 'x', b: 1, c: true }));
  });
});

describe('protobuf attribute lists seen again', () => {
  it('gives span and log attributes the same the third time and after, each time new objects', () => {
    const list = kvs([
      ['gen_ai.system', { stringValue: 'openai' }],
      ['gen_ai.usage.input_tokens', { intValue: 12 }],
      ['temperature', { doubleValue: 0.5 }],
      ['stop', { arrayValue: { values: [{ stringValue: 'a' }] } }],
      ['nested', { kvlistValue: { values: [{ key: 'k', value: { boolValue: true } }] } }],
    ]);
    const expected = {
      'gen_ai.system': 'openai',
      'gen_ai.usage.input_tokens': 12,
      temperature: 0.5,
      stop: ['a'],
      nested: { k: true },
    };
    const before = shapeCounts().compiled;
    const spans = decodeOtlp('traces', pbBody([list, list, list, list]), 'protobuf').spans;
    const logs = decodeOtlp(
      'logs',
      pbEncode('logsRequest', {
        resourceLogs: [{ scopeLogs: [{ logRecords: [1, 2, 3].map(() => ({ attributes: list })) }] }],
      }),
      'protobuf',
    ).logs;
    assert.equal(shapeCounts().compiled, before + 1);
    for (const r of [...spans, ...logs]) {
      assert.deepStrictEqual(r.attributes, expected);
      assert.deepEqual(Object.keys(r.attributes), Object.keys(expected));
    }
    (spans[2]!.attributes as Record<string, unknown>)['temperature'] = 1;
    assert.equal(spans[3]!.attributes['temperature'], 0.5);
  });

  it('reads records of more attributes than any shape has, a key repeated or not, as key by key', () => {
    const repeated = Array.from({ length: 1000 }, (_, i) => ({ key: 'k', value: { intValue: i } }));
    const distinct = Array.from({ length: 300 }, (_, i) => ({ key: `k${i}`, value: { intValue: i } }));
    const mixed = [...distinct.slice(0, 200), ...repeated.slice(0, 10), ...distinct.slice(0, 5)];
    const out = decodeOtlp('traces', pbBody([repeated, distinct, mixed, distinct]), 'protobuf');
    assert.deepStrictEqual(out.spans[0]!.attributes, { k: 999 });
    const all = Object.fromEntries(distinct.map((kv, i) => [kv.key, i]));
    assert.deepStrictEqual(out.spans[1]!.attributes, all);
    assert.deepEqual(Object.keys(out.spans[1]!.attributes), Object.keys(all));
    assert.deepStrictEqual(out.spans[2]!.attributes, {
      ...Object.fromEntries(distinct.slice(0, 200).map((kv, i) => [kv.key, i])),
      k: 9,
    });
    assert.deepStrictEqual(out.spans[3]!.attributes, all);
  });

  it('keeps __proto__ a plain key and a key twice last-wins, and rejects a span with a value too deep', () => {
    const deep = nested(5);
    const shallow = kvs([
      ['k1', { intValue: 1 }],
      ['k2', { intValue: 2 }],
      ['k3', { stringValue: 'x' }],
    ]);
    const tooDeep = kvs([
      ['k1', { intValue: 1 }],
      ['k2', { intValue: 2 }],
      ['k3', deep],
    ]);
    const lists = [PROTO, PROTO, PROTO, TWICE, TWICE, TWICE, shallow, shallow, shallow, tooDeep, shallow];
    const out = decodeOtlp('traces', pbBody(lists), 'protobuf', { maxValueDepth: 3 });
    assertProtoKept(out.spans.slice(0, 3));
    for (const s of out.spans.slice(3, 6)) assert.deepStrictEqual(s.attributes, { a: 'last', b: 'b' });
    assert.equal(out.spans.length, 10);
    assert.equal(out.rejected, 1);
    for (const s of out.spans.slice(6)) assert.deepStrictEqual(s.attributes, { k1: 1, k2: 2, k3: 'x' });
  });
});

describe('the compile bucket', () => {
  it('compiles no list seen once, and ever-new lists seen twice only within a ration', () => {
    const distinct = (n: number, tag: string): unknown[][] =>
      Array.from({ length: n }, (_, i) =>
        kvs([
          [`${tag}.${i}.a`, { intValue: 1 }],
          ['b', { intValue: 2 }],
          ['c', { intValue: 3 }],
        ]),
      );
    let before = shapeCounts().compiled;
    const once = decodeOtlp('traces', jsonBody(distinct(1000, 'once')), 'json');
    assert.equal(once.spans.length, 1000);
    assert.equal(shapeCounts().compiled, before);

    const lists = distinct(2000, 'twice').flatMap((l) => [l, l, l]);
    before = shapeCounts().compiled;
    const out = decodeOtlp('traces', jsonBody(lists), 'json');
    assert.equal(out.spans.length, 6000);
    out.spans.forEach((s, i) =>
      assert.deepStrictEqual(s.attributes, { [`twice.${Math.floor(i / 3)}.a`]: 1, b: 2, c: 3 }),
    );
    const compiled = shapeCounts().compiled - before;
    assert.ok(compiled > 0, 'some lists are compiled');
    assert.ok(compiled < 2000, `${compiled} of 2,000 lists compiled`);
    const { lists: read, compiled: total } = shapeCounts();
    assert.ok(
      total <= COMPILE_BURST + read / LISTS_PER_COMPILE + 1,
      `${total} compiled for ${read} lists read`,
    );
  });
});
