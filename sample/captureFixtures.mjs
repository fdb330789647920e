// Produces test/fixtures/: runs the sample app under each real instrumentation library (one process
// per library and encoding) against the loopback OpenAI mock, records the OTLP/HTTP requests their
// exporters send, and writes each body byte for byte with a manifest describing it. Because the runner
// flushes after every turn and says so on stdout, every request can be filed under the one scenario
// it belongs to (and, in a multi-turn scenario such as `sessions`, under its turn).
//
//   node captureFixtures.mjs [--out DIR] [--only LIBRARY] [--scenarios sessions,...]
//
// --scenarios rewrites only those scenarios' files and keeps every other entry of the manifest: the
// runs still make all their turns, so the README keeps every scenario's exchanges.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startMockOpenAI } from './mockOpenAI.mjs';
import { startOtlpRecorder } from './otlpRecorder.mjs';
import { CORE_SCENARIOS, SCENARIOS } from './scenarios.mjs';
import { renderFixturesReadme } from './fixturesReadme.mjs';
import { isDeepStrictEqual } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: { out: { type: 'string' }, only: { type: 'string' }, scenarios: { type: 'string' } },
});
const outDir = resolve(values.out ?? join(here, '..', 'test', 'fixtures'));
/** The scenarios whose files this capture writes (all of them without --scenarios). */
const selected = values.scenarios ? values.scenarios.split(',').filter(Boolean) : SCENARIOS;
const unknownScenarios = selected.filter((s) => !SCENARIOS.includes(s));
if (unknownScenarios.length > 0) throw new Error(`unknown scenarios: ${unknownScenarios.join(', ')}`);
const partial = values.only !== undefined || values.scenarios !== undefined;
/** Whether this capture replaces a manifest entry (or writes a file) of that library and scenario. */
const replaces = (library, scenario) =>
  (!values.only || library === values.only) && selected.includes(scenario);

/** Each library's runner and the package whose version the manifest reports. */
const LIBRARIES = [
  {
    library: 'otel-openai',
    libraryPackage: '@opentelemetry/instrumentation-openai',
    cwd: here,
    script: 'runLibrary.mjs',
    args: ['--library', 'otel-openai'],
  },
  {
    library: 'traceloop',
    libraryPackage: '@traceloop/node-server-sdk',
    cwd: here,
    script: 'runLibrary.mjs',
    args: ['--library', 'traceloop'],
  },
  {
    library: 'openinference',
    libraryPackage: '@arizeai/openinference-instrumentation-openai',
    cwd: here,
    script: 'runLibrary.mjs',
    args: ['--library', 'openinference'],
  },
  // Older generations, from their own folder (legacy/ has its own lock); no `large` for them.
  // The flattened gen_ai.prompt.N.* attributes of OpenLLMetry before 0.25:
  {
    library: 'traceloop-legacy',
    libraryPackage: '@traceloop/node-server-sdk',
    cwd: here,
    modulesDir: join(here, 'legacy'),
    script: 'runLibrary.mjs',
    args: ['--library', 'traceloop-legacy'],
    scenarios: CORE_SCENARIOS,
  },
  // Content as span events (gen_ai.user.message, gen_ai.choice, ...); its tracing does not cover streams.
  {
    library: 'azure-ai-inference',
    libraryPackage: '@azure-rest/ai-inference',
    cwd: here,
    modulesDir: join(here, 'legacy'),
    script: 'runLibrary.mjs',
    args: ['--library', 'azure-ai-inference'],
    scenarios: CORE_SCENARIOS.filter((s) => s !== 'stream'),
  },
];

/**
 * Every library in protobuf and in JSON; the ~300 kB `large` turn once per library, protobuf and
 * gzip'd (which is also how the fixtures get their gzip requests) to keep the fixtures small. The
 * multi-turn `sessions` runs after the single turns in the same processes (the current libraries only).
 */
const RUNS = [
  { protocol: 'protobuf', gzip: false, scenarios: [...CORE_SCENARIOS, 'sessions'] },
  { protocol: 'json', gzip: false, scenarios: [...CORE_SCENARIOS, 'sessions'] },
  { protocol: 'protobuf', gzip: true, scenarios: ['large'] },
];

let previous;
/** The entries of the manifest as it was before this capture. */
function previousEntries() {
  const file = join(outDir, 'manifest.json');
  previous ??= existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')).entries : [];
  return previous;
}

function packageVersion(dir, name) {
  return JSON.parse(readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8')).version;
}

/** sample/legacy has its own lock; `npm ci` in sample/ does not install it. */
function ensureInstalled(dir) {
  if (existsSync(join(dir, 'node_modules'))) return;
  console.log(`installing ${relative(process.cwd(), dir) || '.'} (npm ci)`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['ci', '--no-audit', '--no-fund'], {
    cwd: dir,
    stdio: 'inherit',
    shell: process.platform === 'win32',
  });
  if (r.status !== 0) throw new Error(`npm ci in ${dir} failed`);
}

function runProcess(cwd, script, args, env, onLine) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let buffered = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text) => {
      buffered += text;
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        onLine(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (buffered) onLine(buffered);
      if (code === 0) resolvePromise();
      else reject(new Error(`${script} ${args.join(' ')} exited with ${code ?? signal}`));
    });
  });
}

/** The mock's exchanges of the current run, and the first run's per scenario (what the README shows). */
let pendingExchanges = [];
const turns = {};
const mock = await startMockOpenAI({ onExchange: (ex) => pendingExchanges.push(ex) });
let pending = [];
const recorder = await startOtlpRecorder({ onRequest: (r) => pending.push(r) });
const entries = [];
try {
  const libraries = LIBRARIES.filter((l) => {
    if (values.only && l.library !== values.only) return false;
    return (l.scenarios ?? SCENARIOS).some((s) => selected.includes(s));
  });
  for (const lib of libraries) {
    const modulesDir = lib.modulesDir ?? lib.cwd;
    ensureInstalled(modulesDir);
    const libraryVersion = packageVersion(modulesDir, lib.libraryPackage);
    const libDir = join(outDir, lib.library);
    if (values.scenarios) {
      for (const scenario of selected) {
        for (const e of previousEntries())
          if (e.library === lib.library && e.scenario === scenario)
            rmSync(join(outDir, e.file), { force: true });
      }
    } else rmSync(libDir, { recursive: true, force: true });
    mkdirSync(libDir, { recursive: true });
    const runs = lib.scenarios
      ? RUNS.map((r) => ({ ...r, scenarios: r.scenarios.filter((x) => lib.scenarios.includes(x)) })).filter(
          (r) => r.scenarios.length > 0,
        )
      : RUNS;
    for (const run of runs) {
      pending = [];
      pendingExchanges = [];
      const counters = new Map();
      const assign = (scenario, turn) => {
        // Every library must have sent the same requests; only `created` may differ between runs.
        const strip = (xs) => xs.map((ex) => ({ ...ex, response: { ...ex.response, created: 0 } }));
        const turnKey = turn === undefined ? scenario : `${scenario}#${turn}`;
        if (!turns[turnKey]) turns[turnKey] = pendingExchanges;
        else if (!isDeepStrictEqual(strip(turns[turnKey]), strip(pendingExchanges))) {
          console.warn(
            `  ${lib.library} ${run.protocol}: the model API exchanges of "${turnKey}" differ from the first run's`,
          );
        }
        pendingExchanges = [];
        if (!replaces(lib.library, scenario)) pending = [];
        for (const r of pending) {
          const signal = r.path.slice('/v1/'.length);
          const encoding = r.contentType.includes('json') ? 'json' : 'protobuf';
          const key = `${scenario}.${signal}.${encoding}`;
          const n = (counters.get(key) ?? 0) + 1;
          counters.set(key, n);
          const ext = (encoding === 'json' ? 'json' : 'pb') + (r.contentEncoding === 'gzip' ? '.gz' : '');
          const file = `${lib.library}/${scenario}.${signal}.${n}.${ext}`;
          writeFileSync(join(outDir, file), r.body);
          entries.push({
            file,
            library: lib.library,
            libraryPackage: lib.libraryPackage,
            libraryVersion,
            scenario,
            signal,
            path: r.path,
            encoding,
            contentType: r.contentType,
            contentEncoding: r.contentEncoding,
            // The turn of a multi-turn scenario, 1-based; `n` in the file name counts on across turns.
            ...(turn === undefined ? {} : { turn }),
          });
        }
        pending = [];
      };
      const args = [
        ...lib.args,
        '--protocol',
        run.protocol,
        '--scenarios',
        run.scenarios.join(','),
        '--markers',
        '--openai-base-url',
        mock.url,
      ];
      if (run.gzip) args.push('--gzip');
      await runProcess(
        lib.cwd,
        lib.script,
        args,
        {
          OTEL_EXPORTER_OTLP_ENDPOINT: recorder.url,
          OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true',
        },
        (line) => {
          const m = /^@@turn-flushed (\S+)(?: (\d+))?$/.exec(line);
          if (m) assign(m[1], m[2] === undefined ? undefined : Number(m[2]));
          else if (line.trim()) console.log(`  ${line}`);
        },
      );
      // Whatever arrives after the last turn's flush (a shutdown's final export) belongs to no turn.
      for (const r of pending)
        console.warn(`  dropped a request after the last turn: ${r.path} ${r.body.length} bytes`);
    }
    console.log(
      `${lib.library} ${libraryVersion}: ${entries.filter((e) => e.library === lib.library).length} requests`,
    );
  }
} finally {
  await recorder.close();
  await mock.close();
}

// With --only or --scenarios, keep the entries this capture did not replace.
const manifestPath = join(outDir, 'manifest.json');
const kept = partial ? previousEntries().filter((e) => !replaces(e.library, e.scenario)) : [];
const all = [...kept, ...entries].sort((a, b) => a.file.localeCompare(b.file, 'en'));
writeFileSync(
  manifestPath,
  `${JSON.stringify({ generator: 'sample/captureFixtures.mjs', entries: all }, null, 2)}\n`,
);
// --only runs one library, which may not make every scenario's turns the README shows.
if (!values.only) writeFileSync(join(outDir, 'README.md'), renderFixturesReadme({ entries: all, turns }));
console.log(`wrote ${entries.length} request bodies and ${relative(process.cwd(), manifestPath)}`);
