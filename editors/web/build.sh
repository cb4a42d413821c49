#!/usr/bin/env bash
# Build the playground's script: CodeMirror 6 and its LSP client from the npm
# registry (editors/package-lock.json), bundled with esbuild into one file the
# wheel ships, so that `netdsl serve` needs no network at run time. Also copies
# the examples the page offers. Run after changing editors/web/src or the
# examples, and commit the result. `build.sh --check` builds into a temporary
# directory and fails if the committed files differ (the tests run it).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
editors="$(dirname "$here")"
repo="$(dirname "$editors")"
static="$repo/netdsl/apps/serve/static"
out="$static"
if [ "${1:-}" = "--check" ]; then
  out="$(mktemp -d)"
  trap 'rm -rf "$out"' EXIT
  mkdir -p "$out/examples"
fi
if [ ! -d "$editors/node_modules" ] || [ "${1:-}" != "--check" ]; then
  (cd "$editors" && npm ci --no-audit --no-fund --loglevel=error)
fi
"$editors/node_modules/.bin/esbuild" "$here/src/main.js" --bundle --minify --format=iife \
  --target=es2020 --legal-comments=none --log-level=warning --outfile="$out/playground.js"
rm -f "$out"/examples/*.net
for spec in "$repo"/examples/*.net; do
  # Only specs that stand alone: an example that imports needs its library beside it.
  grep -qE '^\s*(import|from)\s' "$spec" || cp "$spec" "$out/examples/"
done
if [ "$out" != "$static" ]; then
  diff -q "$out/playground.js" "$static/playground.js" >/dev/null \
    || { echo "netdsl/apps/serve/static/playground.js is stale: run editors/web/build.sh" >&2; exit 1; }
  diff -r "$out/examples" "$static/examples" >&2 \
    || { echo "netdsl/apps/serve/static/examples is stale: run editors/web/build.sh" >&2; exit 1; }
  echo "up to date"
else
  echo "built $static/playground.js ($(wc -c < "$static/playground.js") bytes), $(ls "$static"/examples | wc -l) examples"
fi
