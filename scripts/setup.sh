#!/usr/bin/env bash
# Install everything netdsl and its tests need, on a fresh machine with Python 3
# and root: Graphviz's `dot` (Debian package) and the Python packages.
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}

# Debian packages: Graphviz's `dot`; Chromium and its WebDriver for the
# playground's browser test; Node.js and npm for the editor tooling's tests.
missing=()
command -v dot >/dev/null 2>&1 || missing+=(graphviz)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Debian's own python3 refuses system-wide pip installs without this.
export PIP_BREAK_SYSTEM_PACKAGES=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
if ! "$PYTHON" -m pip --version >/dev/null 2>&1; then
  apt-get install -y -qq python3-pip >/dev/null
fi
echo "setup: installing netdsl and its Python dependencies"
"$PYTHON" -m pip install -q -e '.[dev]'

# The editor tooling's packages (vscode-textmate for the grammar's test;
# CodeMirror and esbuild to rebuild the playground's bundle, which is committed).
if [ ! -d editors/node_modules ] || [ editors/package-lock.json -nt editors/node_modules ]; then
  echo "setup: installing the editor tooling's npm packages"
  (cd editors && npm ci --no-audit --no-fund --loglevel=error)
fi
