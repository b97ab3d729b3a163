#!/usr/bin/env bash
# The packaging test: credkit as an outside user gets it. Packs every public package under packages/
# (each pack builds first), installs the tarballs with plain npm into a fresh project OUTSIDE the
# workspace, and runs there: an Express 5 host app (own express.json(), own routes before and after the
# mount), a plain Node service on core + the Redis store against a real redis-server that must exit by
# itself, a strict TypeScript consumer under nodenext and bundler, a third-party store running the
# published conformance suite, and publint + attw (ESM-only profile) on every tarball.
#
#   scripts/packaging-test.sh            with the node on PATH
#   CREDKIT_NODE=/path/to/node scripts/packaging-test.sh   runs the consumers on that node (multi-node CI)
#   CREDKIT_PACKAGING_TARBALLS=<dir>: pack into <dir> and keep it; when <dir> already holds a packing of
#   this run (tarballs.jsonl), reuse it and skip the per-tarball checks (they do not depend on Node)
#
# Prints each tarball's size, and what publint and attw report; exits non-zero on any finding.
set -euo pipefail
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

log "installing the tarballs with npm into $WORK/app"
mkdir -p "$WORK/app"
cp "$ROOT"/scripts/packaging/consumer/* "$WORK/app/"
cd "$WORK/app"
vitest_range="^4.1.0"
[[ "$NODE_MAJOR" -ge 22 ]] && vitest_range="^5.0.0"
types_node="^$NODE_MAJOR"
[[ "$NODE_MAJOR" -gt 24 ]] && types_node="^24"
node -e '
  const fs = require("node:fs");
  const tarballs = fs.readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => JSON.parse(l));
  const deps = Object.fromEntries(tarballs.map((t) => [t.name, `file:${t.file}`]));
  fs.writeFileSync("package.json", JSON.stringify({ name: "credkit-adopter", private: true, type: "module", dependencies: deps }, null, 2));
' "$WORK/tarballs.jsonl"
npm install --no-audit --no-fund --loglevel=error \
  "express@^5" "ioredis@^6" "@aws-sdk/client-dynamodb@^3" \
  "typescript@5.9.3" "@types/node@$types_node" "@types/express@^5" "vitest@$vitest_range" >/dev/null
node -e 'const p = require("./package.json"); console.log("installed:", Object.entries(p.dependencies).filter(([n]) => !n.startsWith("@credkit/")).map(([n, v]) => `${n}@${require(`./node_modules/${n}/package.json`).version}`).join(" "))'
if [[ "$(npm ls --all --parseable jose 2>/dev/null | grep -c '/jose$' || true)" -gt 1 ]]; then
  echo "packaging: more than one copy of jose was installed"; findings=1
fi

export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
log "Express 5 host app"
timeout 60 "$NODE" express-app.mjs

log "plain Node service on core + the Redis store (must exit by itself)"
REDIS_URL="$(bash "$ROOT/scripts/redis.sh" start-standalone "$WORK/redis")"
timeout 30 "$NODE" redis-service.mjs "$REDIS_URL" || { echo "packaging: the Redis service did not exit by itself (or failed)"; exit 1; }

log "strict TypeScript consumer: nodenext, then bundler"
"$NODE" node_modules/typescript/bin/tsc -p tsconfig.nodenext.json
"$NODE" node_modules/typescript/bin/tsc -p tsconfig.bundler.json

log "a third-party store running the published conformance suite (vitest $(node -p 'require("./node_modules/vitest/package.json").version'))"
suite_status=0
timeout 180 "$NODE" node_modules/vitest/vitest.mjs run --reporter=dot >"$WORK/suite.log" 2>&1 || suite_status=$?
sed 's/\x1b\[[0-9;]*m//g' "$WORK/suite.log" | grep -E "Test Files|Tests|FAIL|Error" || true
[[ "$suite_status" -eq 0 ]] || { echo "packaging: the conformance suite failed for the third-party store"; exit 1; }

if [[ "$findings" -ne 0 ]]; then
  echo "packaging: publint, attw or the tarball checks reported findings (above)"
  exit 1
fi
echo "packaging: ok"
