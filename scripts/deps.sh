#!/usr/bin/env bash
# Installs the Debian packages the build, the tests and the main job need,
# and the npm packages of tests/oidc.
# Idempotent and quiet when nothing is missing; run as root on Debian 12.
set -euo pipefail

packages=(
  build-essential cmake pkg-config ca-certificates openssl
  libev-dev libssl-dev libyaml-dev libjansson-dev libzstd-dev libcmocka-dev libcups2-dev libsnmp-dev libqpdf-dev libmosquitto-dev
  libwebsockets-dev libsqlite3-dev libcurl4-openssl-dev libldap2-dev liboauth2-dev libqrencode-dev
  # real peers for the integration tests and the stack of scripts/run.sh
  socat cups-ipp-utils dbus-daemon snmpd mosquitto mosquitto-clients iproute2 curl jq python3
  slapd ldap-utils python3-aiosmtpd
  # route_table: reads docs/api/*.yaml
  python3-yaml
  # tenant_boundary: reads the cloud database and unseals a key as a thief would
  sqlite3 python3-cryptography
  # CUPS itself: bench/release-latency compares our release with its hold and release
  cups
  # the fuzz pass of scripts/test.sh: clang with libFuzzer (libclang_rt.fuzzer)
  clang libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "deps.sh: missing packages: ${missing[*]} (run as root to install them)" >&2
    exit 1
  fi
  echo "deps.sh: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The OpenID Connect provider of the device flow tests (tests/oidc) runs on
# the machine's Node.js (not Debian's package: the machine's own is newer and
# comes with npm); its npm packages come from tests/oidc/package-lock.json.
# npm writes node_modules/.package-lock.json when an install completes: missing
# or older than the lock file means install (again).
oidc=$(cd "$(dirname "$0")/.." && pwd)/tests/oidc
if [ ! -e "$oidc/node_modules/.package-lock.json" ] ||
   [ "$oidc/package-lock.json" -nt "$oidc/node_modules/.package-lock.json" ]; then
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "deps.sh: node and npm are needed for tests/oidc (Node.js 20.19 or later with its npm) and were not found" >&2
    exit 1
  fi
  log=$(mktemp)
  if ! (cd "$oidc" && npm ci --no-audit --no-fund) >"$log" 2>&1; then
    echo "deps.sh: npm ci in tests/oidc failed:" >&2
    cat "$log" >&2
    rm -f "$log"
    exit 1
  fi
  rm -f "$log"
fi
