#!/usr/bin/env bash
# `pnpm test`: every check and every test, against real Redis (standalone and a 3-master cluster) and real
# DynamoDB Local, which the storage packages' test setups start on free loopback ports and stop again.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export TURBO_TELEMETRY_DISABLED=1 AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true

echo "pnpm test: lint, types and every package's tests against real servers (redis-server, a Redis Cluster," \
  "DynamoDB Local on Java 17, nginx, HAProxy, Caddy, Chromium) started on free loopback ports and stopped" \
  "again, then the doc examples and the packaging test (needs the npm registry). Several minutes." >&2
bash scripts/ensure-test-deps.sh

# Every server a test starts keeps its state (and pid file) under this run's own temp folder; whatever a
# crashed run leaves behind is stopped here by pid, so nothing outlives the command.
export TMPDIR="$ROOT/.cache/test-run-$$"
mkdir -p "$TMPDIR"
stop_leftovers() {
  find "$TMPDIR" -name '*pid*' -type f 2>/dev/null | while read -r file; do
    pid="$(tr -dc '0-9' <"$file")"
    [[ -n "$pid" ]] && kill "$pid" 2>/dev/null || true
  done
  rm -rf "$TMPDIR"
}
trap stop_leftovers EXIT
pnpm exec biome check .
# Two at a time: each storage package runs its own servers, and these machines have two cores.
log="$TMPDIR/turbo.log"
status=0
pnpm exec turbo run typecheck test --concurrency=2 --output-logs=new-only "$@" 2>&1 | tee "$log" || status=$?
# One closing line for the whole run, summed over every package's vitest summary.
sed 's/\x1b\[[0-9;]*m//g' "$log" | awk '
  / Tests +[0-9]/ {
    for (i = 1; i < NF; i++) {
      if ($(i + 1) ~ /^passed/) passed += $i
      if ($(i + 1) ~ /^failed/) failed += $i
      if ($(i + 1) ~ /^skipped/) skipped += $i
    }
  }
  # A suite whose setup failed counts no failed test (its tests are skipped): count the files too.
  / Test Files +[0-9]/ { for (i = 1; i < NF; i++) if ($(i + 1) ~ /^failed/) files += $i }
  END { printf "%d passed, %d failed, %d skipped; %d test file(s) failed\n", passed, failed, skipped, files }'

# The docs' runnable examples, the release's dry run, and the packages as an outside user installs them.
node scripts/doc-examples.mjs || status=1
bash scripts/release-dry-run.sh || status=1
bash scripts/packaging-test.sh || status=1
exit "$status"
