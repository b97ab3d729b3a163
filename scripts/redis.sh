#!/usr/bin/env bash
# Starts and stops real redis-server processes for tests and benchmarks (no Docker here).
#
#   scripts/redis.sh start-standalone <stateDir>   prints redis://127.0.0.1:<port>
#   scripts/redis.sh start-cluster <stateDir>      prints 127.0.0.1:<a>,127.0.0.1:<b>,127.0.0.1:<c>
#   scripts/redis.sh start-cluster-replicas <stateDir>  3 masters, each with 1 replica; prints all 6 nodes
#   scripts/redis.sh start-sentinel <stateDir>     1 primary + 2 replicas + 3 Sentinels (quorum 2, master
#                                                  name "credkit", down-after 1000 ms); prints the
#                                                  Sentinels: 127.0.0.1:<s1>,127.0.0.1:<s2>,127.0.0.1:<s3>
#   scripts/redis.sh stop <stateDir>               SIGTERM every server of <stateDir>, waits for exit
#   scripts/redis.sh kill <stateDir>               SIGKILL instead (a crash; appendfsync always keeps
#                                                  every acknowledged write)
#   scripts/redis.sh restart <stateDir>            stop, then start the same servers on the same ports
#                                                  with the same data; prints the address again
#   scripts/redis.sh address <stateDir>            prints the address of a running <stateDir>
#
# Each server lives in <stateDir>/node-<port>/ (data, AOF, pid file, log); <stateDir>/mode says whether
# it is a standalone server, a cluster or a Sentinel set (whose Sentinels live in <stateDir>/sentinel-<port>/). Servers listen on 127.0.0.1 only, on free ports; readiness
# is polled with redis-cli (ping, then cluster_state:ok), never assumed after a fixed sleep.
# Only the address goes to stdout; progress and errors go to stderr.
# CREDKIT_TEST_REDIS_SERVER_BIN / CREDKIT_TEST_REDIS_CLI_BIN override the binaries.
set -euo pipefail

REDIS_SERVER="${CREDKIT_TEST_REDIS_SERVER_BIN:-redis-server}"
REDIS_CLI="${CREDKIT_TEST_REDIS_CLI_BIN:-redis-cli}"
READY_TIMEOUT_S="${CREDKIT_REDIS_READY_TIMEOUT_S:-20}"

die() {
  echo "redis.sh: $*" >&2
  exit 1
}

require_binaries() {
  command -v "$REDIS_SERVER" >/dev/null 2>&1 ||
    die "'$REDIS_SERVER' not found on PATH. Install Redis (Debian/Ubuntu: apt-get install -y redis-server; .ci/run does this) or set CREDKIT_TEST_REDIS_SERVER_BIN."
  command -v "$REDIS_CLI" >/dev/null 2>&1 ||
    die "'$REDIS_CLI' not found on PATH (it ships with redis-server; Debian: apt-get install -y redis-tools)."
  command -v node >/dev/null 2>&1 || die "node is needed to find free ports"
}

# Prints N distinct free loopback ports, one per line. All sockets stay open until every port is
# chosen, so the N ports differ; another process may still take one before redis binds it, which
# start_node detects.
free_ports() {
  node -e '
    const net = require("net");
    const n = Number(process.argv[1]);
    const servers = [];
    const next = () => {
      if (servers.length === n) {
        console.log(servers.map((s) => s.address().port).join("\n"));
        servers.forEach((s) => s.close());
        return;
      }
      const s = net.createServer().listen(0, "127.0.0.1", () => { servers.push(s); next(); });
    };
    next();
  ' "$1"
}

now_ms() { date +%s%3N; }

# Polls `cmd...` until it prints `expected` (substring), or fails after READY_TIMEOUT_S.
wait_for() {
  local what="$1" expected="$2"
  shift 2
  local deadline=$(($(now_ms) + READY_TIMEOUT_S * 1000))
  until "$@" 2>/dev/null | grep -q "$expected"; do
    if (($(now_ms) > deadline)); then die "timed out after ${READY_TIMEOUT_S}s waiting for $what"; fi
    sleep 0.05 # poll interval, not a readiness assumption
  done
}

pid_alive() { [[ -n "$1" ]] && kill -0 "$1" 2>/dev/null; }

# Starts one daemonized redis-server in <stateDir>/node-<port> and waits until it answers PING.
# Args: stateDir port busPort(or empty for standalone) [extra redis-server args...].
start_node() {
  local state="$1" port="$2" bus="$3"
  shift 3
  local dir="$state/node-$port"
  mkdir -p "$dir"
  echo "$bus" >"$dir/bus-port"
  local args=(
    --bind 127.0.0.1 --port "$port" --protected-mode no
    --dir "$dir" --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
    --appendonly yes --appendfsync always --save ""
  )
  if [[ -n "$bus" ]]; then
    args+=(--cluster-enabled yes --cluster-config-file "$dir/nodes.conf" --cluster-port "$bus"
      --cluster-node-timeout 5000)
  fi
  args+=("$@")
  rm -f "$dir/redis.pid"
  "$REDIS_SERVER" "${args[@]}" >&2 || die "redis-server failed to start on port $port (see $dir/redis.log)"
  local deadline=$(($(now_ms) + READY_TIMEOUT_S * 1000))
  until [[ "$("$REDIS_CLI" -h 127.0.0.1 -p "$port" ping 2>/dev/null)" == "PONG" ]]; do
    # A port taken between choosing and binding makes redis exit: report it instead of waiting.
    if [[ -f "$dir/redis.pid" ]] && ! pid_alive "$(cat "$dir/redis.pid")"; then
      die "redis-server on port $port exited (see $dir/redis.log)"
    fi
    if grep -q "Could not create server TCP listening socket\|Address already in use" "$dir/redis.log" 2>/dev/null; then
      die "port $port is taken (see $dir/redis.log)"
    fi
    if (($(now_ms) > deadline)); then die "redis-server on port $port did not answer PING in ${READY_TIMEOUT_S}s"; fi
    sleep 0.05 # poll interval, not a readiness assumption
  done
}

node_ports() {
  local state="$1" d
  for d in "$state"/node-*/; do
    [[ -d "$d" ]] || continue
    d="${d%/}"
    echo "${d##*/node-}"
  done
}

sentinel_ports() {
  local state="$1" d
  for d in "$state"/sentinel-*/; do
    [[ -d "$d" ]] || continue
    d="${d%/}"
    echo "${d##*/sentinel-}"
  done
}

print_address() {
  local state="$1" mode ports
  mode="$(cat "$state/mode" 2>/dev/null)" || die "$state holds no servers started by redis.sh"
  if [[ "$mode" == "sentinel" ]]; then
    mapfile -t ports < <(sentinel_ports "$state")
  else
    mapfile -t ports < <(node_ports "$state")
  fi
  if [[ "$mode" == "standalone" ]]; then
    echo "redis://127.0.0.1:${ports[0]}"
  else
    local out=() p
    for p in "${ports[@]}"; do out+=("127.0.0.1:$p"); done
    (
      IFS=,
      echo "${out[*]}"
    )
  fi
}

wait_cluster_ok() {
  local state="$1" p
  for p in $(node_ports "$state"); do
    wait_for "cluster_state:ok on port $p" "cluster_state:ok" "$REDIS_CLI" -h 127.0.0.1 -p "$p" cluster info
  done
}

fresh_state() {
  local state="$1"
  mkdir -p "$state"
  if [[ -f "$state/mode" ]]; then die "$state already holds servers; stop them or use another directory"; fi
}

start_standalone() {
  local state="$1" port
  fresh_state "$state"
  port="$(free_ports 1)"
  start_node "$state" "$port" ""
  echo standalone >"$state/mode"
  print_address "$state"
}

# Args: stateDir replicasPerMaster (0 or 1).
start_cluster() {
  local state="$1" replicas="$2" ports nodes=() i count p
  fresh_state "$state"
  count=$((3 * (1 + replicas)))
  mapfile -t ports < <(free_ports $((2 * count)))
  echo cluster >"$state/mode"
  for ((i = 0; i < count; i++)); do
    # No diskless-sync delay: a master would wait 5 s for more replicas before the first sync.
    start_node "$state" "${ports[$i]}" "${ports[$((i + count))]}" --repl-diskless-sync-delay 0
    nodes+=("127.0.0.1:${ports[$i]}")
  done
  "$REDIS_CLI" --cluster create "${nodes[@]}" --cluster-replicas "$replicas" --cluster-yes >&2 ||
    die "redis-cli --cluster create failed"
  wait_cluster_ok "$state"
  if ((replicas > 0)); then
    for p in $(node_ports "$state"); do
      if "$REDIS_CLI" -h 127.0.0.1 -p "$p" info replication | grep -q "role:slave"; then
        wait_for "replica on port $p to sync" "master_link_status:up" "$REDIS_CLI" -h 127.0.0.1 -p "$p" info replication
      fi
    done
  fi
  print_address "$state"
}

# Starts 3 Sentinels watching the primary on port $2 as "credkit" (quorum 2) and waits until each sees
# both replicas and the other two Sentinels, i.e. a failover could be authorized now.
start_sentinels() {
  local state="$1" primary="$2" port dir
  shift 2
  for port in "$@"; do
    dir="$state/sentinel-$port"
    mkdir -p "$dir"
    # Sentinel rewrites its configuration file, so it gets a file of its own rather than arguments.
    # failover-timeout bounds the wait for the chosen replica's promotion: on a loaded machine that can
    # take more than 2 s, and an aborted failover is retried only after twice the timeout, so it is
    # generous (10 s); detection stays fast (down-after 1 s).
    cat >"$dir/sentinel.conf" <<CONF
bind 127.0.0.1
port $port
protected-mode no
daemonize yes
pidfile $dir/redis.pid
logfile $dir/redis.log
dir $dir
sentinel monitor credkit 127.0.0.1 $primary 2
sentinel down-after-milliseconds credkit 1000
sentinel failover-timeout credkit 10000
sentinel parallel-syncs credkit 2
CONF
    rm -f "$dir/redis.pid"
    "$REDIS_SERVER" "$dir/sentinel.conf" --sentinel >&2 || die "redis-sentinel failed to start on port $port (see $dir/redis.log)"
  done
  for port in "$@"; do
    wait_for "Sentinel on port $port to see 2 replicas and 3 Sentinels" "status=ok,address=127.0.0.1:$primary,slaves=2,sentinels=3" \
      "$REDIS_CLI" -h 127.0.0.1 -p "$port" info sentinel
  done
}

start_sentinel_set() {
  local state="$1" ports p
  fresh_state "$state"
  mapfile -t ports < <(free_ports 6)
  echo sentinel >"$state/mode"
  # No diskless-sync delay: redis waits 5 s by default for more replicas before a full sync.
  local sync=(--repl-diskless-sync-delay 0)
  start_node "$state" "${ports[0]}" "" "${sync[@]}"
  for p in "${ports[1]}" "${ports[2]}"; do
    start_node "$state" "$p" "" "${sync[@]}" --replicaof 127.0.0.1 "${ports[0]}"
  done
  for p in "${ports[1]}" "${ports[2]}"; do
    wait_for "replica on port $p to sync" "master_link_status:up" "$REDIS_CLI" -h 127.0.0.1 -p "$p" info replication
  done
  start_sentinels "$state" "${ports[0]}" "${ports[3]}" "${ports[4]}" "${ports[5]}"
  print_address "$state"
}

stop_all() {
  local state="$1" signal="$2" p pid pids=() pidfile
  for pidfile in "$state"/node-*/redis.pid "$state"/sentinel-*/redis.pid; do
    [[ -f "$pidfile" ]] || continue
    pid="$(cat "$pidfile")"
    # Only signal what is still our redis-server: a stale pid may have been reused by another process.
    if pid_alive "$pid" && grep -q redis "/proc/$pid/comm" 2>/dev/null; then
      kill "-$signal" "$pid"
      # A test may have frozen it (SIGSTOP): it must run again to act on the signal.
      kill -CONT "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
  done
  local deadline=$(($(now_ms) + READY_TIMEOUT_S * 1000))
  for pid in "${pids[@]}"; do
    while pid_alive "$pid"; do
      if (($(now_ms) > deadline)); then die "redis-server $pid did not exit after SIG$signal"; fi
      sleep 0.05 # poll interval while the process shuts down
    done
  done
  rm -f "$state"/node-*/redis.pid "$state"/sentinel-*/redis.pid
}

restart_all() {
  local state="$1" mode p
  mode="$(cat "$state/mode" 2>/dev/null)" || die "$state holds no servers started by redis.sh"
  [[ "$mode" != "sentinel" ]] || die "restart is not supported for a Sentinel set (roles change on failover)"
  stop_all "$state" TERM
  for p in $(node_ports "$state"); do
    start_node "$state" "$p" "$(cat "$state/node-$p/bus-port")"
  done
  if [[ "$mode" == "cluster" ]]; then wait_cluster_ok "$state"; fi
  print_address "$state"
}

main() {
  local cmd="${1:-}" state="${2:-}"
  [[ -n "$cmd" && -n "$state" ]] ||
    die "usage: redis.sh start-standalone|start-cluster|start-cluster-replicas|start-sentinel|stop|kill|restart|address <stateDir>"
  mkdir -p "$state"
  state="$(cd "$state" && pwd -P)"
  case "$cmd" in
  start-standalone)
    require_binaries
    start_standalone "$state"
    ;;
  start-cluster)
    require_binaries
    start_cluster "$state" 0
    ;;
  start-cluster-replicas)
    require_binaries
    start_cluster "$state" 1
    ;;
  start-sentinel)
    require_binaries
    start_sentinel_set "$state"
    ;;
  stop) stop_all "$state" TERM ;;
  kill) stop_all "$state" KILL ;;
  restart)
    require_binaries
    restart_all "$state"
    ;;
  address) print_address "$state" ;;
  *) die "unknown command '$cmd'" ;;
  esac
}

main "$@"
