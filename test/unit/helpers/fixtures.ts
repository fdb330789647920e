// Loads the OTLP request bodies that sample/captureFixtures.mjs recorded from the real instrumentation
// libraries (see test/fixtures/README.md), so tests decode exactly what those exporters sent instead of
// hand-written telemetry.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { decodeOtlp, type DecodedRequest } from '../../../src/otlp/decode';

export interface FixtureEntry {
  file: string;
  library: string;
  libraryPackage: string;
  libraryVersion: string;
  scenario: string;
  signal: 'traces' | 'logs' | 'metrics';
  path: string;
  encoding: 'protobuf' | 'json';
  contentType: string;
  contentEncoding: string | null;
  /** The turn (1-based) of a multi-turn scenario such as `sessions`; absent for a single-turn one. */
  turn?: number;
}

interface Manifest {
  generator: string;
  entries: FixtureEntry[];
}

/** The fixtures folder; tests run from the repository root, but this does not depend on it. */
export const fixturesDir = join(__dirname, '..', '..', 'fixtures');

let manifest: Manifest | undefined;

/** The parsed manifest.json, read once. */
export function fixtureManifest(): Manifest {
  manifest ??= JSON.parse(readFileSync(join(fixturesDir, 'manifest.json'), 'utf8')) as Manifest;
  return manifest;
}

/** Manifest entries matching every given field, in manifest order (sorted by file). */
export function fixtureEntries(
  filter: Partial<Pick<FixtureEntry, 'library' | 'scenario' | 'signal' | 'encoding' | 'turn'>> = {},
): FixtureEntry[] {
  const wanted = Object.entries(filter).filter(([, v]) => v !== undefined) as [keyof FixtureEntry, string][];
  return fixtureManifest().entries.filter((e) => wanted.every(([k, v]) => e[k] === v));
}

/** The request body exactly as the exporter sent it (still gzip'd when contentEncoding is gzip). */
export function fixtureBody(entry: FixtureEntry): Buffer {
  return readFileSync(join(fixturesDir, entry.file));
}

/** The body with its content encoding undone, as a receiver would hand it to the decoder. */
export function fixturePayload(entry: FixtureEntry): Buffer {
  const body = fixtureBody(entry);
  if (entry.contentEncoding === null || entry.contentEncoding === 'identity') return body;
  if (entry.contentEncoding === 'gzip') return gunzipSync(body);
  throw new Error(`${entry.file}: unsupported content encoding ${entry.contentEncoding}`);
}

/** Gunzips if needed and decodes the request with the project's OTLP decoder. */
export function fixtureBatch(entry: FixtureEntry): DecodedRequest {
  return decodeOtlp(entry.signal, fixturePayload(entry), entry.encoding);
}

/** The turn a request belongs to: its scenario and, in a multi-turn scenario, its turn number. */
export function fixtureTurnKey(entry: FixtureEntry): string {
  return entry.turn === undefined ? entry.scenario : `${entry.scenario}#${entry.turn}`;
}

/**
 * The requests of the multi-turn `sessions` scenario (see test/fixtures/README.md) for one library and
 * encoding, grouped by turn in turn order; metrics are left out unless asked for (they belong to no trace).
 */
export function sessionsTurns(
  library: string,
  encoding: FixtureEntry['encoding'],
  { metrics = false }: { metrics?: boolean } = {},
): FixtureEntry[][] {
  const turns = new Map<number, FixtureEntry[]>();
  for (const e of fixtureEntries({ library, scenario: 'sessions', encoding })) {
    if (e.turn === undefined) throw new Error(`${e.file}: a sessions entry without its turn`);
    if (e.signal === 'metrics' && !metrics) continue;
    turns.set(e.turn, [...(turns.get(e.turn) ?? []), e]);
  }
  return [...turns.entries()].sort(([a], [b]) => a - b).map(([, entries]) => entries);
}
