#!/usr/bin/env bash
# AWS's DynamoDB Local for tests and benchmarks, without Docker (DESIGN §7).
#
#   scripts/dynamodb-local.sh fetch              download the jar once into <repo>/.cache/dynamodb-local/
#   scripts/dynamodb-local.sh start <stateDir>   start on a free loopback port; prints http://127.0.0.1:N
#   scripts/dynamodb-local.sh stop <stateDir>    stop the server started into <stateDir>, by its pid
#
# `start` writes <stateDir>/pid, <stateDir>/endpoint and <stateDir>/dynamodb-local.log. The only line on
# stdout is the endpoint, so callers can capture it: endpoint="$(scripts/dynamodb-local.sh start "$dir")".
# Environment: CREDKIT_DYNAMODB_LOCAL_CACHE (cache folder), CREDKIT_DYNAMODB_LOCAL_JAVA_OPTS (JVM flags,
# default -Xmx512m), CREDKIT_DYNAMODB_LOCAL_START_TIMEOUT (seconds to wait for health, default 60),
# CREDKIT_DYNAMODB_LOCAL_SHARED_DB (default true: one database whatever AWS region a client names; false:
# each AWS region its own database, as on AWS, to test that a region's data stays in that region).
# Java 17 must be on PATH (or in JAVA_HOME); installing it is .ci/run's job, not this script's.
set -euo pipefail

readonly SIMULATOR_VERSION="2.9.30"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE_DIR="${CREDKIT_DYNAMODB_LOCAL_CACHE:-$ROOT/.cache/dynamodb-local}"
JAVA_OPTS="${CREDKIT_DYNAMODB_LOCAL_JAVA_OPTS:--Xmx512m}"
START_TIMEOUT="${CREDKIT_DYNAMODB_LOCAL_START_TIMEOUT:-60}"
case "${CREDKIT_DYNAMODB_LOCAL_SHARED_DB:-true}" in
true) SHARED_DB="-sharedDb" ;;
false) SHARED_DB="" ;;
*)
  echo "dynamodb-local: error: CREDKIT_DYNAMODB_LOCAL_SHARED_DB must be true or false" >&2
  exit 2
  ;;
esac

log() { echo "dynamodb-local: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}

usage() {
  # The header comment is the usage text: one source for readers of the file and of the terminal.
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}" >&2
  exit 2
}

is_fetched() {
  [[ -f "$CACHE_DIR/DynamoDBLocal.jar" && "$(cat "$CACHE_DIR/.version" 2>/dev/null)" == "$SIMULATOR_VERSION" ]]
}

# The jar ships in the npm package amplify-dynamodb-simulator under package/emulator/. Extraction goes to a
# private folder that is renamed into place, so two concurrent fetches (parallel test runs) never see a
# half-written cache: the loser of the rename just discards its copy.
cmd_fetch() {
  if is_fetched; then
    return 0
  fi
  command -v npm >/dev/null || die "npm is required to fetch amplify-dynamodb-simulator@$SIMULATOR_VERSION"
  mkdir -p "$(dirname "$CACHE_DIR")"
  local tmp
  tmp="$(mktemp -d "$(dirname "$CACHE_DIR")/.dynamodb-local-fetch.XXXXXX")"
  # shellcheck disable=SC2064
  trap "rm -rf '$tmp'" EXIT
  log "fetching amplify-dynamodb-simulator@$SIMULATOR_VERSION (DynamoDB Local) into $CACHE_DIR"
  # Bounded, as every network step of the test run: an unreachable registry fails here, saying so.
  (cd "$tmp" && timeout 300 npm pack "amplify-dynamodb-simulator@$SIMULATOR_VERSION" --silent >/dev/null) ||
    die "npm pack amplify-dynamodb-simulator@$SIMULATOR_VERSION failed or took over 5 min (it needs the npm registry once; the jar is cached in $CACHE_DIR afterwards)"
  tar -xzf "$tmp"/amplify-dynamodb-simulator-*.tgz -C "$tmp" package/emulator
  [[ -f "$tmp/package/emulator/DynamoDBLocal.jar" ]] || die "the package has no emulator/DynamoDBLocal.jar"
  echo "$SIMULATOR_VERSION" >"$tmp/package/emulator/.version"
  # A stale cache (another version) is replaced; a concurrent fetch that won the rename is kept.
  if [[ -d "$CACHE_DIR" ]] && ! is_fetched; then
    rm -rf "$CACHE_DIR"
  fi
  mv -T "$tmp/package/emulator" "$CACHE_DIR" 2>/dev/null || is_fetched || die "could not move the jar into $CACHE_DIR"
  rm -rf "$tmp"
  trap - EXIT
}

java_bin() {
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    echo "$JAVA_HOME/bin/java"
  elif command -v java >/dev/null; then
    command -v java
  else
    die "java not found: DynamoDB Local needs Java 17+ on PATH or in JAVA_HOME (e.g. apt-get install -y openjdk-17-jre-headless)"
  fi
}

free_port() {
  node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

# A zombie answers kill -0 too, so its state decides (containers whose pid 1 does not reap leave them).
is_alive() {
  kill -0 "$1" 2>/dev/null && [[ "$(ps -o stat= -p "$1" 2>/dev/null)" != Z* ]]
}

# Polls ListTables until it answers 200 or the process dies or the timeout passes: no fixed sleeps.
wait_healthy() {
  local endpoint="$1" pid="$2"
  node - "$endpoint" "$pid" "$START_TIMEOUT" <<'EOF'
const [endpoint, pid, timeoutSeconds] = process.argv.slice(2);
const deadline = Date.now() + Number(timeoutSeconds) * 1000;
const headers = {
  "content-type": "application/x-amz-json-1.0",
  "x-amz-target": "DynamoDB_20120810.ListTables",
  // DynamoDB Local wants an Authorization header but does not verify the signature.
  authorization: "AWS4-HMAC-SHA256 Credential=x/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x",
};
const alive = () => {
  try {
    return !/^\d+ \(.*\) Z/.test(require("fs").readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    try { process.kill(Number(pid), 0); return true; } catch { return false; }
  }
};
(async () => {
  for (;;) {
    if (!alive()) { console.error("dynamodb-local: the java process exited during start-up"); process.exit(1); }
    try {
      const res = await fetch(endpoint, { method: "POST", headers, body: "{}", signal: AbortSignal.timeout(1000) });
      if (res.ok) process.exit(0);
    } catch {}
    if (Date.now() > deadline) { console.error(`dynamodb-local: no answer from ${endpoint} after ${timeoutSeconds}s`); process.exit(1); }
    await new Promise((r) => setTimeout(r, 100));
  }
})();
EOF
}

cmd_start() {
  local state_dir="${1:-}"
  [[ -n "$state_dir" ]] || usage
  local java
  java="$(java_bin)"
  cmd_fetch
  mkdir -p "$state_dir"
  state_dir="$(cd "$state_dir" && pwd)"
  if [[ -f "$state_dir/pid" ]] && is_alive "$(cat "$state_dir/pid")"; then
    die "already running in $state_dir (pid $(cat "$state_dir/pid")); stop it first"
  fi
  local attempt port pid endpoint
  # The free port is only free when we look: a few attempts cover losing it to another process.
  for attempt in 1 2 3; do
    port="$(free_port)"
    endpoint="http://127.0.0.1:$port"
    # -sharedDb (unless CREDKIT_DYNAMODB_LOCAL_SHARED_DB=false): one database whatever region the client
    # names; -disableTelemetry: no calls home. Output goes to a log file so the caller's pipes close when
    # this script exits.
    # shellcheck disable=SC2086 # JAVA_OPTS and SHARED_DB are word lists (SHARED_DB may be empty)
    (cd "$CACHE_DIR" && exec "$java" $JAVA_OPTS -Djava.library.path=./DynamoDBLocal_lib \
      -jar DynamoDBLocal.jar -inMemory $SHARED_DB -disableTelemetry -port "$port") \
      >"$state_dir/dynamodb-local.log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$state_dir/pid"
    if wait_healthy "$endpoint" "$pid"; then
      echo "$endpoint" >"$state_dir/endpoint"
      log "up at $endpoint (pid $pid)"
      echo "$endpoint"
      return 0
    fi
    is_alive "$pid" && kill "$pid" 2>/dev/null || true
    rm -f "$state_dir/pid"
    log "start attempt $attempt failed; log tail:"
    tail -n 20 "$state_dir/dynamodb-local.log" >&2 || true
  done
  die "DynamoDB Local did not start (log: $state_dir/dynamodb-local.log)"
}

cmd_stop() {
  local state_dir="${1:-}"
  [[ -n "$state_dir" ]] || usage
  local pid_file="$state_dir/pid"
  if [[ ! -f "$pid_file" ]]; then
    log "nothing to stop in $state_dir"
    return 0
  fi
  local pid deadline
  pid="$(cat "$pid_file")"
  if is_alive "$pid"; then
    kill "$pid" 2>/dev/null || true
    deadline=$((SECONDS + 15))
    while is_alive "$pid" && ((SECONDS < deadline)); do
      sleep 0.1
    done
    if is_alive "$pid"; then
      log "pid $pid ignored SIGTERM; sending SIGKILL"
      kill -9 "$pid" 2>/dev/null || true
      while is_alive "$pid"; do sleep 0.1; done
    fi
  fi
  rm -f "$pid_file" "$state_dir/endpoint"
  log "stopped (pid $pid)"
}

case "${1:-}" in
fetch) cmd_fetch ;;
start) cmd_start "${2:-}" ;;
stop) cmd_stop "${2:-}" ;;
*) usage ;;
esac
