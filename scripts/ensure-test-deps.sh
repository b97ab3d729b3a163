#!/usr/bin/env bash
# Makes sure the real servers the tests need can be started here: redis-server (Debian's), nginx (Debian's
# nginx-light, auth_request built in, for the gateway tests), Java 17 (for
# DynamoDB Local), the DynamoDB Local jar, and Debian's chromium (the docs page is checked in a real
# browser through playwright-core, which never downloads browsers here), haproxy (built with Lua) and caddy
# (the front-door tests run both from examples/). Installs what is missing with
# apt-get when run as root; otherwise says exactly what to install. Idempotent and quiet when everything is there.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

missing=()
command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 || missing+=(redis-server)
command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || missing+=(nginx-light)
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
# The instances-behind-a-balancer test runs Debian's HAProxy in the foreground.
command -v haproxy >/dev/null 2>&1 || [[ -x /usr/sbin/haproxy ]] || missing+=(haproxy)
# The front-door tests run Debian's Caddy (2.6) with examples/caddy/Caddyfile.
command -v caddy >/dev/null 2>&1 || missing+=(caddy)

if ((${#missing[@]} > 0)); then
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    echo "credkit tests need: ${missing[*]} (Debian package names). Install them, then run pnpm test again." >&2
    exit 1
  fi
  echo "Installing ${missing[*]} with apt-get ..." >&2
  export DEBIAN_FRONTEND=noninteractive
  # Network steps are bounded: a mirror that does not answer fails here, saying so, instead of hanging.
  timeout 600 apt-get update -qq >/dev/null ||
    { echo "apt-get update failed or took over 10 min: are the Debian mirrors reachable?" >&2; exit 1; }
  # policy-rc.d keeps the packages from starting a system-wide redis on 6379 or nginx on 80: tests start their own.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  timeout 1200 apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    { echo "apt-get install ${missing[*]} failed or took over 20 min" >&2; exit 1; }
fi

bash "$ROOT/scripts/dynamodb-local.sh" fetch >&2
