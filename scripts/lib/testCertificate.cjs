// A throw-away self-signed certificate for 127.0.0.1, for the tests that serve HTTPS on loopback (the Logs
// API stand-in: the real LogsQueryClient refuses bearer tokens over plain http). Made with openssl in a
// temporary folder that is removed at once; `keepIn` keeps the files there instead (for NODE_EXTRA_CA_CERTS).
const { execFileSync } = require('node:child_process');
const { mkdtempSync, readFileSync, rmSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');

function loopbackCertificate(keepIn) {
  const dir = keepIn ?? mkdtempSync(path.join(os.tmpdir(), 'lti-cert-'));
  const certFile = path.join(dir, 'loopback.crt');
  const keyFile = path.join(dir, 'loopback.key');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1'].concat([
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ]),
    { stdio: 'ignore' },
  );
  const result = {
    cert: readFileSync(certFile, 'utf8'),
    key: readFileSync(keyFile, 'utf8'),
    certFile,
    keyFile,
  };
  if (!keepIn) rmSync(dir, { recursive: true, force: true });
  return result;
}

module.exports = { loopbackCertificate };
