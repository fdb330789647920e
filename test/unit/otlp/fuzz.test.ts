// Seeded fuzzing of both decoders and the normalizer, from the requests the real instrumentation libraries
// sent (test/fixtures): truncated, bit-flipped, spliced and random protobuf; JSON with wrong types in every
// field, huge strings, deep nesting, `__proto__` keys, ids of the wrong length and invalid UTF-8. Every case
// must decode or be refused with OtlpDecodeError, and whatever decodes must go through the store and the
// normalizer without a throw; nothing may reach Object.prototype. Every case must also give what the decoder
// before the single-pass readers gave (referenceDecoder.ts): the same records or the same reason.
// Reproducible: LTI_FUZZ_SEED picks the seed, LTI_FUZZ_CASES the number of cases (a quick run by default;
// set it to 100000 or more for a long one).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createNormalizer } from '../../../src/core/genai/normalize';
import { GenAiMetrics } from '../../../src/core/genaiMetrics';
import { TraceStore } from '../../../src/core/store';
import { decodeOtlp, OtlpDecodeError, type OtlpEncoding, type OtlpSignal } from '../../../src/otlp/decode';
import { fixtureEntries, fixturePayload } from '../helpers/fixtures';
import { referenceDecodeOtlp } from './referenceDecoder';

const CASES = Number(process.env.LTI_FUZZ_CASES || 3000);
const SEED = Number(process.env.LTI_FUZZ_SEED || 20261201);

/** mulberry32: small, fast, seeded. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Seed {
  signal: OtlpSignal;
  encoding: OtlpEncoding;
  body: Buffer;
}

const seeds: Seed[] = fixtureEntries()
  .filter((e) => e.signal !== 'metrics' && !e.file.endsWith('.gz'))
  .map((e) => ({ signal: e.signal, encoding: e.encoding, body: fixturePayload(e) }));

// Metrics requests have no reference decoder to agree with (the readers skip metrics that are not GenAI's
// unread, where the old decoder read them): they are held to the rest.
const metricSeeds: Seed[] = fixtureEntries({ signal: 'metrics' })
  .filter((e) => !e.file.endsWith('.gz'))
  .map((e) => ({ signal: e.signal, encoding: e.encoding, body: fixturePayload(e) }));

const WRONG_VALUES: unknown[] = [
  null,
  true,
  0,
  -1,
  1e308,
  Number.MAX_SAFE_INTEGER,
  '',
  'x'.repeat(70_000),
  '\ud800',
  '0'.repeat(31),
  'zz'.repeat(16),
  [],
  [null, 1, 'a'],
  {},
  { __proto__: { polluted: true } },
  JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}'),
];

function deep(depth: number): unknown {
  let v: unknown = { leaf: 1 };
  for (let i = 0; i < depth; i++) v = { kvlistValue: { values: [{ key: 'k', value: v }] } };
  return v;
}

function fresh(v: unknown): unknown {
  return v === undefined ? undefined : (JSON.parse(JSON.stringify(v)) as unknown);
}

/** Replaces, deletes or adds one node somewhere in a JSON tree. */
function mutateJson(root: unknown, rand: () => number): unknown {
  const nodes: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = [];
  const walk = (v: unknown): void => {
    if (nodes.length > 5000 || v === null || typeof v !== 'object') return;
    for (const [k, child] of Object.entries(v as Record<string, unknown>)) {
      nodes.push({ parent: v as Record<string, unknown>, key: Array.isArray(v) ? Number(k) : k });
      walk(child);
    }
  };
  walk(root);
  if (nodes.length === 0) return root;
  const n = nodes[Math.floor(rand() * nodes.length)]!;
  const parent = n.parent as Record<string | number, unknown>;
  const choice = rand();
  // A fresh copy each time: a shared value placed twice in one tree could make it circular.
  if (choice < 0.6) parent[n.key] = fresh(WRONG_VALUES[Math.floor(rand() * WRONG_VALUES.length)]);
  else if (choice < 0.75) delete parent[n.key];
  else if (choice < 0.85) parent[n.key] = deep(10 + Math.floor(rand() * 200));
  else if (choice < 0.95) parent['__proto__'] = { polluted: true };
  else parent[n.key] = Array.from({ length: 50 }, () => fresh(parent[n.key]));
  return root;
}

function mutateBytes(body: Buffer, rand: () => number, other: Buffer): Buffer {
  const b = Buffer.from(body);
  const choice = rand();
  if (choice < 0.25) return b.subarray(0, Math.floor(rand() * b.length));
  if (choice < 0.5) {
    for (let i = 0, flips = 1 + Math.floor(rand() * 8); i < flips && b.length; i++)
      b[Math.floor(rand() * b.length)]! ^= 1 << Math.floor(rand() * 8);
    return b;
  }
  if (choice < 0.65) {
    const at = Math.floor(rand() * b.length);
    return Buffer.concat([
      b.subarray(0, at),
      other.subarray(Math.floor(rand() * other.length)),
      b.subarray(at),
    ]);
  }
  if (choice < 0.8) {
    const at = Math.floor(rand() * b.length);
    return Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + Math.floor(rand() * 16))]);
  }
  if (choice < 0.9) {
    // Invalid UTF-8 somewhere (a lone continuation byte, an overlong form).
    const at = Math.floor(rand() * b.length);
    return Buffer.concat([b.subarray(0, at), Buffer.from([0xc0, 0x80, 0xff, 0xfe]), b.subarray(at)]);
  }
  return Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 512) }, () => Math.floor(rand() * 256)));
}

/** A seed mutated once: a JSON one usually as a tree, else (or when too large to write) as bytes. */
function mutated(seed: Seed, other: Buffer, rand: () => number): Buffer {
  if (seed.encoding !== 'json' || rand() >= 0.6) return mutateBytes(seed.body, rand, other);
  let tree = JSON.parse(seed.body.toString('utf8')) as unknown;
  for (let m = 0, times = 1 + Math.floor(rand() * 4); m < times; m++) tree = mutateJson(tree, rand);
  try {
    return Buffer.from(JSON.stringify(tree));
  } catch {
    return mutateBytes(seed.body, rand, other); // grew too large to write
  }
}

describe('fuzzing the decoders and the normalizer', () => {
  it(
    `${CASES} seeded cases: a decode or an OtlpDecodeError, never a crash, a hang or prototype pollution`,
    {
      timeout: Math.max(300_000, CASES * 10),
    },
    () => {
      assert.ok(seeds.length > 10, 'fixtures to start from');
      const rand = rng(SEED);
      const store = new TraceStore({ maxTraces: 200, normalizer: createNormalizer({}), debounceMs: 0 });
      const tally = { decoded: 0, refused: 0, spans: 0 };
      for (let i = 0; i < CASES; i++) {
        const seed = seeds[Math.floor(rand() * seeds.length)]!;
        const other = seeds[Math.floor(rand() * seeds.length)]!.body;
        const body = mutated(seed, other, rand);
        let reference: unknown;
        try {
          reference = referenceDecodeOtlp(seed.signal, body, seed.encoding);
        } catch (err) {
          reference = err instanceof OtlpDecodeError ? err.message : err;
        }
        try {
          const batch = decodeOtlp(seed.signal, body, seed.encoding);
          assert.deepStrictEqual(batch, reference, `case ${i} (seed ${SEED}): not what the reference gives`);
          tally.decoded++;
          tally.spans += batch.spans.length;
          store.ingest(batch, 'otlp');
          if (i % 50 === 0) {
            store.flush();
            for (const t of store.list()) store.getTrace(t.traceId);
          }
        } catch (err) {
          if (!(err instanceof OtlpDecodeError)) {
            assert.fail(`case ${i} (seed ${SEED}, ${seed.signal} ${seed.encoding}) threw ${String(err)}`);
          }
          assert.equal(err.message, reference, `case ${i} (seed ${SEED}): refused, unlike the reference`);
          tally.refused++;
        }
      }
      store.flush();
      for (const t of store.list()) assert.ok(store.getTrace(t.traceId));
      assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype untouched');
      console.log(
        `fuzz: ${CASES} cases (seed ${SEED}): ${tally.decoded} decoded (${tally.spans} spans), ${tally.refused} refused`,
      );
      assert.ok(tally.decoded > 0 && tally.refused > 0, 'both outcomes seen');
    },
  );

  it(
    `${CASES} seeded metrics requests: GenAI points or an OtlpDecodeError, and figures that stay numbers`,
    { timeout: Math.max(300_000, CASES * 10) },
    () => {
      assert.ok(metricSeeds.length > 4, 'metrics fixtures to start from');
      const rand = rng(SEED + 1);
      const metrics = new GenAiMetrics();
      const tally = { decoded: 0, refused: 0, points: 0 };
      for (let i = 0; i < CASES; i++) {
        const seed = metricSeeds[Math.floor(rand() * metricSeeds.length)]!;
        const other = metricSeeds[Math.floor(rand() * metricSeeds.length)]!.body;
        const body = mutated(seed, other, rand);
        try {
          const batch = decodeOtlp('metrics', body, seed.encoding);
          tally.decoded++;
          for (const p of batch.metrics ?? []) {
            tally.points++;
            assert.ok(
              typeof p.sum === 'number' && typeof p.count === 'number',
              `case ${i}: a point of numbers`,
            );
          }
          metrics.add(batch.metrics ?? []);
        } catch (err) {
          if (!(err instanceof OtlpDecodeError))
            assert.fail(`case ${i} (seed ${SEED + 1}, metrics ${seed.encoding}) threw ${String(err)}`);
          tally.refused++;
        }
      }
      const summary = metrics.summarize({}, { fromMs: 0, toMs: Date.now(), bucketMs: 3_600_000 * 24 * 365 });
      assert.ok(summary, 'some points were GenAI points');
      // A sum past a double's range may become Infinity; NaN would mean a field read as something else.
      const { calls, inputTokens, outputTokens, cacheReadTokens, p50Ms } = summary.totals;
      for (const v of [calls ?? 0, inputTokens, outputTokens, cacheReadTokens, p50Ms ?? 0])
        assert.ok(typeof v === 'number' && !Number.isNaN(v), `a total that is a number: ${v}`);
      assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype untouched');
      console.log(
        `fuzz: ${CASES} metrics cases (seed ${SEED + 1}): ${tally.decoded} decoded (${tally.points} GenAI points), ${tally.refused} refused`,
      );
      assert.ok(tally.decoded > 0 && tally.refused > 0, 'both outcomes seen');
    },
  );
});
