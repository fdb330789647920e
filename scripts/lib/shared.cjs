// Where the shared test material lives (the Application Insights Logs API stand-in, its ingestion and KQL
// checks): the folder `shared/` beside the project's root. LTI_SHARED overrides it; a clone made elsewhere
// from a local checkout (`git clone /path/to/project /tmp/x`) finds it beside the checkout it came from.
const { existsSync } = require('node:fs');
const { execFileSync } = require('node:child_process');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');

function candidates() {
  const out = [];
  if (process.env.LTI_SHARED) out.push(path.resolve(process.env.LTI_SHARED));
  out.push(path.resolve(ROOT, '..', 'shared'));
  try {
    const origin = execFileSync('git', ['-C', ROOT, 'remote', 'get-url', 'origin'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    const local = origin.startsWith('file://') ? decodeURIComponent(new URL(origin).pathname) : origin;
    if (local && path.isAbsolute(local)) out.push(path.resolve(local, '..', 'shared'));
  } catch {
    /* no git, or no origin */
  }
  return out;
}

/** The shared folder's `appinsights/` directory; throws with every place it looked when there is none. */
function sharedAppInsightsDir() {
  const tried = candidates().map((dir) => path.join(dir, 'appinsights'));
  const found = tried.find((dir) => existsSync(path.join(dir, 'logs-api.js')));
  if (!found)
    throw new Error(`the shared test folder was not found (set LTI_SHARED); looked in ${tried.join(', ')}`);
  return found;
}

module.exports = { sharedAppInsightsDir };
