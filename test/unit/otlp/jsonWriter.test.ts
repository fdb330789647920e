// The OTLP/JSON writer: every captured fixture read, written and read again gives the same records, with
// this project's reader and through protobufjs's own proto3 JSON mapping (fromObject) and the protobuf
// reader, so a tool built on the OTLP schema reads what an export writes. Then the values the encoding
// has rules for: int64s as strings, doubles JSON cannot spell, bytes, nested lists and maps, enums.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { LogRecordData, SpanRecord, TelemetryBatch } from '../../../src/core/records';
import { decodeOtlp } from '../../../src/otlp/decode';
import { readOtlpFile } from '../../../src/otlp/fileReader';
import { anyValueJson, logsRequestJson, otlpJsonLines, traceRequestJson } from '../../../src/otlp/jsonWriter';
import { otlpTypes } from '../../../src/otlp/otlpProto';
import { fixtureBatch, fixtureEntries } from '../helpers/fixtures';

const withRecords = fixtureEntries().filter((e) => e.signal !== 'metrics');

/** Ids as bytes: OTLP/JSON's hex ids are its one departure from proto3 JSON, whose bytes are base64. */
function idsAsBytes(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(idsAsBytes);
  if (typeof v !== 'object' || v === null) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    out[k] =
      (k === 'traceId' || k === 'spanId' || k === 'parentSpanId') && typeof x === 'string'
        ? Buffer.from(x, 'hex')
        : idsAsBytes(x);
  }
  return out;
}

function throughProtobuf(signal: 'traces' | 'logs', json: unknown): TelemetryBatch {
  const types = otlpTypes();
  const type = signal === 'traces' ? types.traceRequest : types.logsRequest;
  const message = type.fromObject(idsAsBytes(json) as Record<string, unknown>);
  return decodeOtlp(signal, type.encode(message).finish(), 'protobuf');
}

const spanOf = (batch: TelemetryBatch): SpanRecord => batch.spans[0]!;

describe('OTLP JSON writer: every fixture round-trips', () => {
  for (const entry of withRecords) {
    it(`${entry.file}: records -> OTLP JSON lines -> the same records`, () => {
      const batch = fixtureBatch(entry);
      const text = otlpJsonLines(batch);
      const lines = text.split('\n').filter(Boolean);
      assert.equal(lines.length, (batch.spans.length ? 1 : 0) + (batch.logs.length ? 1 : 0));
      const back = readOtlpFile(Buffer.from(text));
      assert.deepEqual(back.problems, []);
      assert.deepEqual(back.spans, batch.spans);
      assert.deepEqual(back.logs, batch.logs);
    });

    it(`${entry.file}: protobufjs's proto3 JSON mapping accepts it and means the same`, () => {
      const batch = fixtureBatch(entry);
      if (batch.spans.length) {
        const viaPb = throughProtobuf('traces', JSON.parse(JSON.stringify(traceRequestJson(batch.spans))));
        assert.deepEqual(viaPb.spans, batch.spans);
      }
      if (batch.logs.length) {
        const viaPb = throughProtobuf('logs', JSON.parse(JSON.stringify(logsRequestJson(batch.logs))));
        assert.deepEqual(viaPb.logs, batch.logs);
      }
    });
  }

  it('the fixtures hold both signals, so both requests are exercised', () => {
    assert.ok(withRecords.some((e) => fixtureBatch(e).spans.length > 0));
    assert.ok(withRecords.some((e) => fixtureBatch(e).logs.length > 0));
  });
});

describe('OTLP JSON writer: the encoding rules', () => {
  const base = (): SpanRecord =>
    structuredClone(spanOf(fixtureBatch(fixtureEntries({ signal: 'traces', encoding: 'json' })[0]!)));

  it('writes ids as lowercase hex, times as decimal strings and enums as numbers', () => {
    const span = base();
    span.traceId = span.traceId.toUpperCase();
    span.kind = 3;
    span.status = { code: 2, message: 'boom' };
    const json = traceRequestJson([span]) as {
      resourceSpans: { scopeSpans: { spans: Record<string, unknown>[] }[] }[];
    };
    const written = json.resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
    assert.equal(written.traceId, span.traceId.toLowerCase());
    assert.match(written.traceId as string, /^[0-9a-f]{32}$/);
    assert.equal(written.kind, 3);
    assert.deepEqual(written.status, { message: 'boom', code: 2 });
    assert.equal(typeof written.startTimeUnixNano, 'string');
    assert.equal(written.startTimeUnixNano, span.startTimeUnixNano);
  });

  it('writes every kind of AnyValue as OTLP/JSON spells it', () => {
    assert.deepEqual(anyValueJson('x'), { stringValue: 'x' });
    assert.deepEqual(anyValueJson(true), { boolValue: true });
    assert.deepEqual(anyValueJson(42), { intValue: '42' });
    assert.deepEqual(anyValueJson(-7), { intValue: '-7' });
    assert.deepEqual(anyValueJson(0.25), { doubleValue: 0.25 });
    assert.deepEqual(anyValueJson(1e300), { doubleValue: 1e300 });
    assert.deepEqual(anyValueJson(NaN), { doubleValue: 'NaN' });
    assert.deepEqual(anyValueJson(-Infinity), { doubleValue: '-Infinity' });
    assert.deepEqual(anyValueJson(null), {});
    assert.deepEqual(anyValueJson(new Uint8Array([0, 1, 254, 255])), { bytesValue: 'AAH+/w==' });
    assert.deepEqual(anyValueJson([1, 'a']), {
      arrayValue: { values: [{ intValue: '1' }, { stringValue: 'a' }] },
    });
    assert.deepEqual(anyValueJson({ k: { n: [] } }), {
      kvlistValue: {
        values: [{ key: 'k', value: { kvlistValue: { values: [{ key: 'n', value: { arrayValue: {} } }] } } }],
      },
    });
  });

  it('reads back int64s beyond a double, odd doubles, bytes and deep values exactly', () => {
    const span = base();
    span.attributes = {
      ...span.attributes,
      big: '9223372036854775807', // an int64 the reader kept as text stays text
      small: -9007199254740991,
      half: 0.5,
      nan: NaN,
      inf: Infinity,
      negZero: -0,
      bytes: new Uint8Array([1, 2, 3]),
      empty: null,
      nested: { list: [{ a: [true, false, null] }, new Uint8Array(0)], deeper: { e: {} } },
      __proto__key: 'kept',
    };
    span.droppedAttributesCount = 3;
    const back = readOtlpFile(Buffer.from(otlpJsonLines({ spans: [span], logs: [] })));
    assert.deepEqual(back.spans, [span]);
    assert.ok(Object.is(back.spans[0]!.attributes.negZero, -0));
    const viaPb = throughProtobuf('traces', JSON.parse(JSON.stringify(traceRequestJson([span]))));
    assert.deepEqual(viaPb.spans[0]!.attributes.bytes, new Uint8Array([1, 2, 3]));
    assert.deepEqual(viaPb.spans[0]!.attributes.nested, span.attributes.nested);
  });

  it('groups records by resource and scope, equal values from different requests together', () => {
    const a = base();
    const b = { ...base(), spanId: 'aaaaaaaaaaaaaaaa', resource: structuredClone(a.resource) };
    const other = { ...base(), spanId: 'bbbbbbbbbbbbbbbb', resource: { 'service.name': 'other' } };
    const json = traceRequestJson([a, other, b]) as {
      resourceSpans: { scopeSpans: { spans: unknown[] }[] }[];
    };
    assert.equal(json.resourceSpans.length, 2);
    assert.equal(json.resourceSpans[0]!.scopeSpans[0]!.spans.length, 2);
  });

  it('writes a log record with body, severity, event name and ids', () => {
    const entry = fixtureEntries({ signal: 'logs', encoding: 'json' })[0]!;
    const log: LogRecordData = { ...structuredClone(fixtureBatch(entry).logs[0]!) };
    log.severityNumber = 9;
    log.severityText = 'INFO';
    log.body = { content: 'hi', parts: [1, 2.5] };
    log.eventName = 'gen_ai.user.message';
    const json = logsRequestJson([log]) as {
      resourceLogs: { scopeLogs: { logRecords: Record<string, unknown>[] }[] }[];
    };
    const written = json.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!;
    assert.equal(written.severityNumber, 9);
    assert.equal(written.eventName, 'gen_ai.user.message');
    const back = readOtlpFile(Buffer.from(otlpJsonLines({ spans: [], logs: [log] })));
    assert.deepEqual(back.logs, [log]);
  });

  it('writes nothing for an empty batch', () => {
    assert.equal(otlpJsonLines({ spans: [], logs: [] }), '');
  });
});
