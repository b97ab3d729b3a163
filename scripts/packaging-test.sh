#!/usr/bin/env bash
# The packaging test: credkit as an outside user gets it. Packs every public package under packages/
# (each pack builds first), installs the tarballs with plain npm into a fresh project OUTSIDE the
# workspace, and runs there: an Express 5 host app (own express.json(), own routes before and after the
# mount), a plain Node service on core + the Redis store against a real redis-server that must exit by
# itself, a strict TypeScript consumer under nodenext and bundler, a third-party store running the
# published conformance suite, and publint + attw (ESM-only profile) on every tarball.
#
# Third-party packages (express, ioredis, the AWS SDK, TypeScript, vitest, ...) are installed from the
# committed lockfile scripts/packaging/consumer/package-lock.json, so the answer does not change when a
# registry publishes a release.
#
#   scripts/packaging-test.sh            with the node on PATH
#   scripts/packaging-test.sh --latest   (`pnpm test:latest`, not in CI) the newest versions the packages'
#                                        ranges allow instead of the pins; names the package behind each failure
#   CREDKIT_NODE=/path/to/node scripts/packaging-test.sh   runs the consumers on that node (multi-node CI)
#   CREDKIT_PACKAGING_TARBALLS=<dir>: pack into <dir> and keep it; when <dir> already holds a packing of
#   this run (tarballs.jsonl), reuse it and skip the per-tarball checks (they do not depend on Node)
#
# Prints each tarball's size, and what publint and attw report; exits non-zero on any finding.
set -euo pipefail
LATEST=false
[[ "${1:-}" == "--latest" ]] && LATEST=true
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODE="${CREDKIT_NODE:-$(command -v node)}"
NODE_MAJOR="$("$NODE" -p 'process.versions.node.split(".")[0]')"
WORK="$(mktemp -d "${CREDKIT_PACKAGING_DIR:-/tmp}/credkit-packaging-XXXXXX")"
case "$WORK" in "$ROOT"/*) echo "packaging: the temp project must be outside the workspace" >&2; exit 1 ;; esac
cleanup() {
  bash "$ROOT/scripts/redis.sh" stop "$WORK/redis" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
log() { echo "packaging: $*" >&2; }

TARBALLS="${CREDKIT_PACKAGING_TARBALLS:-$WORK/tarballs}"
findings=0
if [[ -s "$TARBALLS/tarballs.jsonl" ]]; then
  log "reusing the tarballs in $TARBALLS (node $("$NODE" --version) for the consumers)"
  cp "$TARBALLS/tarballs.jsonl" "$WORK/tarballs.jsonl"
  check_tarballs=false
else
  log "packing every public package (node $("$NODE" --version) for the consumers)"
  node "$ROOT/scripts/packaging/pack.mjs" "$TARBALLS" >"$WORK/tarballs.jsonl"
  cp "$WORK/tarballs.jsonl" "$TARBALLS/tarballs.jsonl"
  check_tarballs=true
  log "checking every tarball with publint and attw"
fi
while $check_tarballs && read -r line; do
  file="$(node -p 'JSON.parse(process.argv[1]).file' "$line")"
  name="$(node -p 'JSON.parse(process.argv[1]).name' "$line")"
  node -p 'const t = JSON.parse(process.argv[1]); `${t.name}: ${(t.bytes / 1024).toFixed(1)} kB packed, ${(t.unpackedBytes / 1024).toFixed(1)} kB unpacked`' "$line"
  dir="$WORK/unpacked/$name"
  mkdir -p "$dir" && tar xzf "$file" -C "$dir"
  for required in package.json README.md LICENSE dist/index.js dist/index.d.ts; do
    [[ -f "$dir/package/$required" ]] || { echo "  $name: the tarball lacks $required"; findings=1; }
  done
  if grep -q '"workspace:' "$dir/package/package.json"; then echo "  $name: a workspace: range was published"; findings=1; fi
  publint_out="$(cd "$ROOT" && pnpm exec publint run "$dir/package" --pack false --strict 2>&1)" || findings=1
  echo "  publint: $(echo "$publint_out" | tail -n +3 | tr '\n' ' ')"
  # ESM-only profile: a CommonJS require() resolving to ESM is expected (and stated in the READMEs).
  if attw_out="$(cd "$ROOT" && pnpm exec attw "$file" --profile esm-only --no-color 2>&1)"; then
    echo "  attw (esm-only): no problems ($(echo "$attw_out" | grep -c 'ignored per resolution') ignored: CommonJS require of an ESM-only package)"
  else
    echo "$attw_out" | sed 's/^/  attw: /'
    findings=1
  fi
done <"$WORK/tarballs.jsonl"

mkdir -p "$WORK/app"
cp "$ROOT"/scripts/packaging/consumer/* "$WORK/app/"
cd "$WORK/app"
if $LATEST; then
  log "installing the newest third-party versions the packages' ranges allow (no lockfile), then the tarballs"
  node "$ROOT/scripts/packaging/pins.mjs" latest "$WORK/app" "$NODE_MAJOR"
  timeout 600 npm install --no-audit --no-fund --loglevel=error >/dev/null \
    || { echo "packaging: npm install of the newest versions failed (or took over 10 min: is the npm registry reachable?)"; exit 1; }
else
  # The third-party tree comes from the committed lockfile (npm ci), so a registry's new release cannot
  # change this test's answer; `pnpm test:latest` tries the newest versions, outside the gate.
  log "installing the third-party packages from scripts/packaging/consumer/package-lock.json (npm ci)"
  timeout 600 npm ci --no-audit --no-fund --loglevel=error >/dev/null \
    || { echo "packaging: npm ci failed (or took over 10 min: this test needs the npm registry, or a warm npm cache)"; exit 1; }
fi
log "installing the tarballs into $WORK/app"
mapfile -t tarball_files < <(node -e '
  const lines = require("node:fs").readFileSync(process.argv[1], "utf8").trim().split("\n");
  for (const l of lines) console.log(JSON.parse(l).file);
' "$WORK/tarballs.jsonl")
timeout 300 npm install --no-audit --no-fund --loglevel=error "${tarball_files[@]}" >/dev/null \
  || { echo "packaging: npm install of the tarballs failed"; exit 1; }
$LATEST || node "$ROOT/scripts/packaging/pins.mjs" check "$WORK/app" || exit 1
node -e 'const p = require("./package.json"); console.log("installed:", Object.keys({ ...p.dependencies, ...p.devDependencies }).filter((n) => !n.startsWith("@credkit/")).map((n) => `${n}@${require(`./node_modules/${n}/package.json`).version}`).join(" "))'
if [[ "$(npm ls --all --parseable jose 2>/dev/null | grep -c '/jose$' || true)" -gt 1 ]]; then
  echo "packaging: more than one copy of jose was installed"; findings=1
fi

export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
step_express() { timeout 60 "$NODE" express-app.mjs; }
step_redis() {
  local url status=0
  url="$(bash "$ROOT/scripts/redis.sh" start-standalone "$WORK/redis")"
  timeout 30 "$NODE" redis-service.mjs "$url" || { echo "packaging: the Redis service did not exit by itself (or failed)"; status=1; }
  bash "$ROOT/scripts/redis.sh" stop "$WORK/redis" >/dev/null 2>&1 || true
  return "$status"
}
step_types() {
  "$NODE" node_modules/typescript/bin/tsc -p tsconfig.nodenext.json && "$NODE" node_modules/typescript/bin/tsc -p tsconfig.bundler.json
}
step_suite() {
  local status=0
  timeout 180 "$NODE" node_modules/vitest/vitest.mjs run --reporter=dot >"$WORK/suite.log" 2>&1 || status=$?
  sed 's/\x1b\[[0-9;]*m//g' "$WORK/suite.log" | grep -E "Test Files|Tests|FAIL|Error" || true
  [[ "$status" -eq 0 ]] || echo "packaging: the conformance suite failed for the third-party store"
  return "$status"
}
steps=(express "Express 5 host app"
  redis "plain Node service on core + the Redis store (must exit by itself)"
  types "strict TypeScript consumer (skipLibCheck false): nodenext, then bundler"
  suite "a third-party store running the published conformance suite")
failed=()
for ((i = 0; i < ${#steps[@]}; i += 2)); do
  log "${steps[i + 1]}"
  if ! "step_${steps[i]}"; then
    $LATEST || exit 1
    failed+=("${steps[i]}")
  fi
done

# With the newest versions, name the package that broke each failed step: put each moved package back
# to its pinned version alone and run the step again.
if $LATEST; then
  mapfile -t moved < <(node "$ROOT/scripts/packaging/pins.mjs" drift "$WORK/app")
  echo "test:latest: moved since the pins: ${moved[*]:-(none)}"
  for step in "${failed[@]}"; do
    blamed=""
    for line in "${moved[@]}"; do
      read -r name pinned newest <<<"$line"
      npm install --no-save --no-audit --no-fund --loglevel=error "$name@$pinned" >/dev/null 2>&1 || continue
      if "step_$step" >/dev/null 2>&1; then blamed+=" $name@$newest (passes with $pinned)"; fi
      npm install --no-save --no-audit --no-fund --loglevel=error "$name@$newest" >/dev/null 2>&1 || true
    done
    echo "test:latest: step '$step' fails with the newest versions; broken by:${blamed:- no single package (several together, or credkit itself)}"
  done
  # ioredis 6.1's declarations import redis-errors, which only @types/redis-errors types: show whether the
  # newest ioredis still needs the types @credkit/storage-redis supplies.
  ioredis_version="$(node -p 'require("./node_modules/ioredis/package.json").version')"
  if [[ -d node_modules/@types/redis-errors ]]; then
    mv node_modules/@types/redis-errors "$WORK/redis-errors-types"
    if step_types >"$WORK/without-types.log" 2>&1; then
      echo "test:latest: ioredis@$ioredis_version type-checks strictly even without @types/redis-errors"
    else
      echo "test:latest: ioredis@$ioredis_version needs @types/redis-errors under skipLibCheck: false ($(grep -o 'TS7016' "$WORK/without-types.log" | head -n 1) without it); @credkit/storage-redis supplies it, and the strict consumer $([[ " ${failed[*]} " == *" types "* ]] && echo fails || echo passes) with it"
    fi
    mv "$WORK/redis-errors-types" node_modules/@types/redis-errors
  fi
  if ((${#failed[@]} > 0)); then exit 1; fi
  echo "test:latest: every step passes with the newest versions"
fi

if [[ "$findings" -ne 0 ]]; then
  echo "packaging: publint, attw or the tarball checks reported findings (above)"
  exit 1
fi
echo "packaging: ok"
