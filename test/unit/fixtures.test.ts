// Guards the captured fixtures that other tests build on: the manifest must describe exactly the files
// on disk, cover every library and scenario, say truthfully how each body is encoded, and file every
// request under the one turn it came from.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  fixtureBatch,
  fixtureBody,
  fixtureEntries,
  fixtureManifest,
  fixtureTurnKey,
  fixturesDir,
  type FixtureEntry,
} from './helpers/fixtures';

const CORE_LIBRARIES = ['otel-openai', 'traceloop', 'openinference'];
const CORE_SCENARIOS = ['chat', 'tools', 'error', 'stream', 'unicode'];
const sampleDir = join(fixturesDir, '..', '..', 'sample');

function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(dir).flatMap((name) => {
    const rel = prefix ? `${prefix}/${name}` : name;
    return statSync(join(dir, name)).isDirectory() ? filesUnder(join(dir, name), rel) : [rel];
  });
}

function uniqueTraceIds(entry: FixtureEntry): Set<string> {
  const batch = fixtureBatch(entry);
  return new Set([...batch.spans.map((s) => s.traceId), ...batch.logs.map((l) => l.traceId ?? '')]);
}

describe('fixture manifest', () => {
  const entries = fixtureEntries();

  it('names its generator and lists each file once', () => {
    assert.equal(fixtureManifest().generator, 'sample/captureFixtures.mjs');
    assert.ok(entries.length > 0);
    assert.equal(new Set(entries.map((e) => e.file)).size, entries.length);
  });

  it('describes exactly the request bodies on disk', () => {
    const onDisk = filesUnder(fixturesDir)
      .filter((f) => f.includes('/') && !f.startsWith('appinsights/'))
      .sort();
    assert.deepEqual(onDisk, entries.map((e) => e.file).sort());
  });

  it('covers every core library and scenario in both encodings', () => {
    for (const library of CORE_LIBRARIES) {
      for (const scenario of CORE_SCENARIOS) {
        for (const encoding of ['protobuf', 'json'] as const) {
          assert.ok(
            fixtureEntries({ library, scenario, signal: 'traces', encoding }).length > 0,
            `${library} ${scenario} traces ${encoding}`,
          );
        }
      }
      assert.ok(fixtureEntries({ library, scenario: 'large' }).length > 0, `${library} large`);
      for (const encoding of ['protobuf', 'json'] as const) {
        const turns = new Set(fixtureEntries({ library, scenario: 'sessions', encoding }).map((e) => e.turn));
        assert.ok(turns.size >= 6 && !turns.has(undefined), `${library} sessions ${encoding}`);
      }
    }
  });

  it('has the OpenTelemetry instrumentation’s message content as log records for every scenario', () => {
    for (const scenario of [...CORE_SCENARIOS, 'large']) {
      assert.ok(fixtureEntries({ library: 'otel-openai', scenario, signal: 'logs' }).length > 0, scenario);
    }
  });

  it('has at least one gzip body', () => {
    assert.ok(entries.some((e) => e.contentEncoding === 'gzip'));
  });

  it('matches content type, path and file name to signal and encoding', () => {
    for (const e of entries) {
      assert.equal(
        e.contentType,
        e.encoding === 'protobuf' ? 'application/x-protobuf' : 'application/json',
        e.file,
      );
      assert.equal(e.path, `/v1/${e.signal}`, e.file);
      assert.ok(['gzip', null].includes(e.contentEncoding), e.file);
      const ext = (e.encoding === 'protobuf' ? '.pb' : '.json') + (e.contentEncoding === 'gzip' ? '.gz' : '');
      assert.ok(e.file.startsWith(`${e.library}/${e.scenario}.${e.signal}.`) && e.file.endsWith(ext), e.file);
    }
  });

  it('stores bodies as sent: gzip magic exactly when gzip, JSON bodies for the right signal', () => {
    const topKey = { traces: 'resourceSpans', logs: 'resourceLogs', metrics: 'resourceMetrics' } as const;
    for (const e of entries) {
      const body = fixtureBody(e);
      const gz = body[0] === 0x1f && body[1] === 0x8b;
      assert.equal(gz, e.contentEncoding === 'gzip', e.file);
      if (e.encoding === 'json' && !gz) {
        const parsed = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
        assert.ok(Array.isArray(parsed[topKey[e.signal]]), e.file);
      }
    }
  });

  it('reports library versions pinned in the sample app (sample/ or sample/legacy/)', () => {
    const pinned = new Map<string, Set<string>>();
    for (const pkgFile of [join(sampleDir, 'package.json'), join(sampleDir, 'legacy', 'package.json')]) {
      if (!existsSync(pkgFile)) continue;
      const deps =
        (JSON.parse(readFileSync(pkgFile, 'utf8')) as { dependencies?: Record<string, string> })
          .dependencies ?? {};
      for (const [name, version] of Object.entries(deps))
        pinned.set(name, (pinned.get(name) ?? new Set()).add(version));
    }
    for (const e of entries) {
      const versions = pinned.get(e.libraryPackage) ?? new Set();
      assert.ok(
        versions.has(e.libraryVersion),
        `${e.file}: ${e.libraryPackage} ${e.libraryVersion}, pinned: ${[...versions].join(', ') || 'none'}`,
      );
    }
  });

  it('stays small enough to commit', () => {
    const total = entries.reduce((n, e) => n + fixtureBody(e).length, 0);
    assert.ok(total < 2_000_000, `${total} bytes`);
  });
});

describe('fixture bodies', () => {
  it('decode with the project decoder, nothing rejected, and hold what their signal promises', () => {
    for (const e of fixtureEntries()) {
      const batch = fixtureBatch(e);
      assert.equal(batch.rejected, 0, `${e.file}: ${batch.rejectReason ?? ''}`);
      if (e.signal === 'traces') assert.ok(batch.spans.length > 0, e.file);
      if (e.signal === 'logs') assert.ok(batch.logs.length > 0, e.file);
      if (e.signal === 'metrics') assert.ok(batch.metricCount > 0, e.file);
    }
  });

  /** Every library and scenario captured in both encodings, legacy generations included. */
  const bothEncodings = [
    ...new Set(
      fixtureEntries({ signal: 'traces', encoding: 'json' }).map((e) => `${e.library} ${e.scenario}`),
    ),
  ]
    .map((key) => key.split(' ') as [string, string])
    .filter(
      ([library, scenario]) =>
        fixtureEntries({ library, scenario, signal: 'traces', encoding: 'protobuf' }).length > 0,
    );

  it('file each request under one turn: one trace per turn, logs in the trace of their spans', () => {
    assert.ok(bothEncodings.length >= CORE_LIBRARIES.length * CORE_SCENARIOS.length);
    for (const [library, scenario] of bothEncodings) {
      for (const encoding of ['protobuf', 'json'] as const) {
        const byTurn = new Map<string, FixtureEntry[]>();
        for (const e of fixtureEntries({ library, scenario, encoding }))
          byTurn.set(fixtureTurnKey(e), [...(byTurn.get(fixtureTurnKey(e)) ?? []), e]);
        const seen = new Set<string>();
        for (const [turn, entries] of byTurn) {
          const traces = new Set(
            entries.filter((e) => e.signal === 'traces').flatMap((e) => [...uniqueTraceIds(e)]),
          );
          assert.equal(traces.size, 1, `${library} ${turn} ${encoding}: ${[...traces].join(', ')}`);
          for (const logs of entries.filter((e) => e.signal === 'logs'))
            assert.deepEqual(uniqueTraceIds(logs), traces, logs.file);
          // Each turn is a trace of its own.
          const [traceId] = traces;
          assert.ok(!seen.has(traceId!), `${library} ${turn} ${encoding}: trace of an earlier turn`);
          seen.add(traceId!);
        }
      }
    }
  });

  it('protobuf and JSON captures of a turn carry the same span names', () => {
    for (const [library, scenario] of bothEncodings) {
      const names = (encoding: 'protobuf' | 'json') =>
        fixtureEntries({ library, scenario, signal: 'traces', encoding })
          .flatMap((e) => fixtureBatch(e).spans.map((s) => s.name))
          .sort();
      assert.deepEqual(names('protobuf'), names('json'), `${library} ${scenario}`);
    }
  });
});
