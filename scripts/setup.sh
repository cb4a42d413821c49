#!/usr/bin/env bash
# Install everything netdsl and its tests need, on a fresh machine with Python 3
# and root: Graphviz's `dot` (Debian package) and the Python packages.
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}

if ! command -v dot >/dev/null 2>&1; then
  echo "setup: installing Graphviz (dot)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq graphviz >/dev/null
fi

# Debian's own python3 refuses system-wide pip installs without this.
export PIP_BREAK_SYSTEM_PACKAGES=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
if ! "$PYTHON" -m pip --version >/dev/null 2>&1; then
  apt-get install -y -qq python3-pip >/dev/null
fi
echo "setup: installing netdsl and its Python dependencies"
"$PYTHON" -m pip install -q -e '.[dev]'
