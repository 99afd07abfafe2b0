#!/usr/bin/env bash
# Installs what is missing, quietly when nothing is; run as root on Debian 12.
#
#   scripts/deps.sh --main   what scripts/run.sh needs: the build (compiler,
#                            CMake, the -dev libraries (cairo too, for
#                            srctl's label sheets), cmocka: the build
#                            includes the unit tests) and the stack's peers
#                            (mosquitto, ippeveprinter, dbus-daemon, snmpd,
#                            socat, curl, jq, python3). No Node.js.
#   scripts/deps.sh          all that, plus what only the tests need (the
#                            default: scripts/test.sh): slapd, the
#                            fuzzer's clang, CUPS for cups_client and the benchmark, Python
#                            modules, and the npm packages of tests/oidc, tests/s3 and tests/web (on
#                            the machine's Node.js 20.19 or later with npm).
set -euo pipefail
case "${1:-}" in
--main) tests=false ;;
"") tests=true ;;
*) echo "usage: scripts/deps.sh [--main]" >&2; exit 64 ;;
esac

main_packages=(
  build-essential cmake pkg-config ca-certificates openssl
  libev-dev libssl-dev libyaml-dev libjansson-dev libzstd-dev libcmocka-dev libcups2-dev libsnmp-dev libqpdf-dev libmosquitto-dev
  libwebsockets-dev libsqlite3-dev libcurl4-openssl-dev libldap2-dev liboauth2-dev libqrencode-dev libsystemd-dev
  # the cloud's database on PostgreSQL (database.driver postgresql); the server
  # itself for SR_DATABASE=postgresql ./scripts/run.sh and the tests
  # (scripts/lib/postgres.sh: a private cluster each), psql to make databases
  libpq-dev postgresql postgresql-client
  # several cloud instances (STACK_CLOUDS, SR_CLOUDS): a real load balancer,
  # TLS passed through to them (docs/scaling.md)
  haproxy
  # srctl device label: label sheets drawn with cairo, in DejaVu fonts
  libcairo2-dev libfontconfig-dev fonts-dejavu-core
  # the stack of scripts/run.sh (and of the end-to-end tests)
  socat cups-ipp-utils dbus-daemon snmpd mosquitto iproute2 curl jq python3
)
test_packages=(
  # real peers of the integration tests
  mosquitto-clients slapd ldap-utils python3-aiosmtpd snmp
  # route_table: reads docs/api/*.yaml
  python3-yaml
  # tenant_boundary: reads the cloud database and unseals a key as a thief would
  sqlite3 python3-cryptography
  # CUPS itself: the cups_client test (CUPS as the queue's client) and bench/release-latency
  # (our release beside its hold and release)
  cups
  # QR codes decoded by a decoder that is not our encoder (test_qr, the label sheets);
  # device_labels rasterises the sheets first (PDF: pdftoppm, pdfinfo; SVG: rsvg-convert)
  zbar-tools poppler-utils librsvg2-bin
  # the browser tests of the release page (tests/web): driven by playwright-core
  chromium
  # web_portal_upload: gcore dumps the running cloud's memory to look for plaintext
  gdb
  # the fuzz pass of scripts/test.sh: clang with libFuzzer (libclang_rt.fuzzer)
  clang libclang-rt-14-dev
)
# Prints the packages of the list that are not installed.
missing_of() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
  done
}
mapfile -t missing_main < <(missing_of "${main_packages[@]}")
missing_test=()
$tests && mapfile -t missing_test < <(missing_of "${test_packages[@]}")
missing=("${missing_main[@]}" "${missing_test[@]}")
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "deps.sh: missing packages: ${missing[*]} (run as root to install them)" >&2
    exit 1
  fi
  [ ${#missing_main[@]} -gt 0 ] && echo "deps.sh: installing for the build and the main job: ${missing_main[*]}" >&2
  [ ${#missing_test[@]} -gt 0 ] && echo "deps.sh: installing for the tests: ${missing_test[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

$tests || exit 0

# Test peers that run on the machine's Node.js (not Debian's package: the
# machine's own is newer and comes with npm): the OpenID Connect provider of
# the device flow tests (tests/oidc) and the S3-compatible server of the s3
# storage plugin's test (tests/s3), and playwright-core and axe-core of
# the browser tests (tests/web: they drive Debian's chromium, never a
# downloaded browser). Each directory's npm packages come from
# its package-lock.json. npm writes node_modules/.package-lock.json when an
# install completes: missing or older than the lock file means install (again).
root=$(cd "$(dirname "$0")/.." && pwd)
for dir in "$root/tests/oidc" "$root/tests/s3" "$root/tests/web"; do
  name=tests/${dir##*/}
  if [ -e "$dir/node_modules/.package-lock.json" ] &&
     [ ! "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    continue
  fi
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "deps.sh: the tests (not scripts/run.sh) need node and npm for $name (Node.js 20.19 or later with its npm), and they were not found" >&2
    exit 1
  fi
  log=$(mktemp)
  echo "deps.sh: installing for the tests: the npm packages of $name" >&2
  if ! (cd "$dir" && npm ci --no-audit --no-fund) >"$log" 2>&1; then
    echo "deps.sh: npm ci in $name failed:" >&2
    cat "$log" >&2
    rm -f "$log"
    exit 1
  fi
  rm -f "$log"
done
