// Application Insights without Azure, for the tests that run the extension in a real VS Code: the Logs API
// stand-in (../shared/appinsights/logs-api.js, answering the real LogsQueryClient over loopback HTTPS) fed
// with the rows of the captured fixtures (the app's metrics included, see metricTables.cjs), a throw-away
// certificate the extension host trusts through NODE_EXTRA_CA_CERTS, and a stand-in `az` on the login
// shell's PATH so the real AzureCliCredential signs in. Everything it creates is removed by close().
import { spawnSync } from 'node:child_process';
import { accessSync, chmodSync, constants, existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ROOT } from './harness.mjs';

const require = createRequire(import.meta.url);
const { ingestWithMetrics, standIn } = require('./metricTables.cjs');
const { loopbackCertificate } = require('./testCertificate.cjs');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'appinsights', 'envelopes');

/** The workspace id the stand-in refuses with 403, to show how a missing role reads. */
export const FORBIDDEN_WORKSPACE = 'ffffffff-ffff-4fff-8fff-ffffffffffff';
export const WORKSPACE = '7d1a4c3e-0000-4000-8000-00000000a11c';

/** The first folder on the login shell's PATH that we may write and that has no `az` of its own. */
function loginPathDir() {
  const shell = process.env.SHELL || '/bin/bash';
  const r = spawnSync(shell, ['-ilc', 'echo "__PATH__=$PATH"'], { encoding: 'utf8', timeout: 10000 });
  const line = /__PATH__=(.*)/.exec(r.stdout ?? '')?.[1] ?? process.env.PATH ?? '';
  for (const dir of line.split(':')) {
    if (!dir || !existsSync(dir) || existsSync(path.join(dir, 'az'))) continue;
    try {
      accessSync(dir, constants.W_OK);
      return dir;
    } catch {
      /* next */
    }
  }
  throw new Error('no writable folder on the login shell PATH for the stand-in az');
}

export async function startCloudStandIn(tmp, { log = () => {} } = {}) {
  const { certFile: cert, cert: certPem, key: keyPem } = loopbackCertificate(tmp);
  // The stand-in with Application Insights' metrics tables, which it lacks (metricTables.cjs).
  const { startLogsApi } = standIn().logsApi;
  // Every library's capture, moved so the newest row is five minutes old: inside the default hour.
  const dirs = readdirSync(FIXTURES)
    .sort()
    .map((d) => path.join(FIXTURES, d));
  const rows = ingestWithMetrics(dirs);
  const server = await startLogsApi({
    port: 0,
    rows,
    cert: certPem,
    key: keyPem,
    fault: (info) => (info.id === FORBIDDEN_WORKSPACE ? { status: 403 } : undefined),
  });
  // The real AzureCliCredential runs `az account get-access-token ... --output json` and reads this.
  const dir = loginPathDir();
  const az = path.join(dir, 'az');
  const expires = new Date(Date.now() + 3600_000);
  writeFileSync(
    az,
    `#!/bin/sh\n# LLM Trace Inspector test stand-in for the Azure CLI (removed when the tests end)\n` +
      `case "$*" in *get-access-token*) ;; *) echo "stand-in az: only get-access-token" >&2; exit 1;; esac\n` +
      `echo '${JSON.stringify({
        accessToken: 'stand-in-token',
        expiresOn: expires.toISOString().replace('T', ' ').slice(0, 19),
        expires_on: Math.floor(expires.getTime() / 1000),
        subscription: '00000000-0000-0000-0000-000000000000',
        tenant: '00000000-0000-0000-0000-0000000000aa',
        tokenType: 'Bearer',
      })}'\n`,
  );
  chmodSync(az, 0o755);
  log(`Logs API stand-in on ${server.endpoint}; stand-in az in ${dir}`);
  return {
    endpoint: server.endpoint,
    cert,
    queries: server.queries,
    env: {
      NODE_EXTRA_CA_CERTS: cert,
      LTI_TEST_LOGS_API: server.endpoint,
      LTI_TEST_WORKSPACE: WORKSPACE,
      LTI_TEST_FORBIDDEN_WORKSPACE: FORBIDDEN_WORKSPACE,
    },
    async close() {
      rmSync(az, { force: true });
      await server.close();
    },
  };
}
