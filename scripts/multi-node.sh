#!/usr/bin/env bash
# The packages' tests (unit tests and each store's conformance suite against its real server), the
# server's start-to-stop test, and the packaging test again on other Node majors, from the npm
# registry's `node` package (`npx -y node@22`: no download from elsewhere). `pnpm test` covers the Node
# on PATH; CI runs this after it.
#
#   scripts/multi-node.sh [major ...]     default: 22 24 (or CREDKIT_EXTRA_NODE_VERSIONS); a major runs the
#                                         exact release pinned below (so a new Node release cannot turn CI
#                                         red); a full version (22.24.0) runs that one
#   CREDKIT_MULTI_NODE_FULL=1             every test of every package, the server's included (~5 min
#                                         per version on 2 busy cores, so not in CI by default)
#
# Each version's node is put first on PATH, so pnpm, turbo's tasks, vitest and the servers the tests
# start all run on it. The packaging test reuses one packing (CREDKIT_PACKAGING_TARBALLS) when given.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export TURBO_TELEMETRY_DISABLED=1 AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
read -r -a versions <<<"${*:-${CREDKIT_EXTRA_NODE_VERSIONS:-22 24}}"

export TMPDIR="$ROOT/.cache/multi-node-$$"
mkdir -p "$TMPDIR"
export CREDKIT_PACKAGING_TARBALLS="${CREDKIT_PACKAGING_TARBALLS:-$TMPDIR/tarballs}"
mkdir -p "$CREDKIT_PACKAGING_TARBALLS"
stop_leftovers() {
  find "$TMPDIR" -name '*pid*' -type f 2>/dev/null | while read -r file; do
    pid="$(tr -dc '0-9' <"$file")"
    [[ -n "$pid" ]] || continue
    kill "$pid" 2>/dev/null || continue
    # Wait (bounded) for it to exit, so it writes nothing into the folder being removed.
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  rm -rf "$TMPDIR" 2>/dev/null || true
}
trap stop_leftovers EXIT

# The exact Node release each major runs. Move a pin on purpose, in a commit of its own.
declare -A PINNED=([22]=22.23.3 [24]=24.21.0)

status=0
for requested in "${versions[@]}"; do
  major="${requested%%.*}"
  exact="${PINNED[$requested]:-$requested}"
  node_bin="$(timeout 600 npx -y "node@$exact" -p process.execPath)" \
    || { echo "multi-node: could not install node@$exact from the npm registry (10 min timeout)"; status=1; continue; }
  echo "multi-node: Node $("$node_bin" --version) ($node_bin)"
  started=$SECONDS
  if [[ "${CREDKIT_MULTI_NODE_FULL:-}" == "1" ]]; then
    PATH="$(dirname "$node_bin"):$PATH" pnpm exec turbo run test --continue --concurrency=2 --output-logs=errors-only \
      || { echo "multi-node: the tests failed on Node $major"; status=1; }
  else
    PATH="$(dirname "$node_bin"):$PATH" pnpm exec turbo run test --filter='./packages/*' --continue \
      --concurrency=2 --output-logs=errors-only || { echo "multi-node: the tests failed on Node $major"; status=1; }
    (cd apps/server && PATH="$(dirname "$node_bin"):$PATH" pnpm exec vitest run test/server.test.ts \
      --reporter=dot >"$TMPDIR/server-$major.log" 2>&1) && echo "multi-node: the server runs on Node $major" \
      || { cat "$TMPDIR/server-$major.log"; echo "multi-node: the server test failed on Node $major"; status=1; }
  fi
  CREDKIT_NODE="$node_bin" bash scripts/packaging-test.sh >"$TMPDIR/packaging-$major.log" 2>&1 \
    && echo "multi-node: packaging test ok on Node $major" \
    || { cat "$TMPDIR/packaging-$major.log"; echo "multi-node: the packaging test failed on Node $major"; status=1; }
  echo "multi-node: Node $major took $((SECONDS - started)) s"
done
exit "$status"
