#!/usr/bin/env bash
# Installs the Debian packages the build, the tests and the main job need.
# Idempotent and quiet when nothing is missing; run as root on Debian 12.
set -euo pipefail

packages=(
  build-essential cmake pkg-config ca-certificates openssl
  libev-dev libssl-dev libyaml-dev libjansson-dev libzstd-dev libcmocka-dev libcups2-dev libsnmp-dev libqpdf-dev libmosquitto-dev
  libwebsockets-dev libsqlite3-dev libcurl4-openssl-dev libldap2-dev liboauth2-dev libqrencode-dev
  # real peers for the integration tests and the stack of scripts/run.sh
  socat cups-ipp-utils dbus-daemon snmpd mosquitto mosquitto-clients iproute2 curl jq python3
  slapd ldap-utils python3-aiosmtpd
  # CUPS itself: bench/release-latency compares our release with its hold and release
  cups
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "deps.sh: missing packages: ${missing[*]} (run as root to install them)" >&2
  exit 1
fi
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
