// Runs the engine's worker from its TypeScript source through tsx (tests, the bench and the headless
// receiver run from source; the extension runs dist/engineWorker.js). Node 20 does not hand a worker's
// `--import tsx` to .ts entry points, so the worker starts from this file instead.
require('tsx/cjs');
require('./worker.ts');
