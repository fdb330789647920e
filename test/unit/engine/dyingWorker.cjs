// A worker that dies on its first start (as a crash would) and runs the real engine when started again.
const { existsSync, writeFileSync } = require('node:fs');
const marker = process.env.LTI_TEST_DIE_ONCE;
if (marker && !existsSync(marker)) {
  writeFileSync(marker, 'died');
  process.exit(3);
}
require('../../../src/engine/tsWorker.cjs');
