// Debian's Chromium, headless, with the flags that keep it off the network it cannot reach here: shared
// by the scripts that drive code-server and by the browser tests of the webview.
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

module.exports = { CHROMIUM, CHROMIUM_ARGS };
