#!/usr/bin/env bash
# The example vendor driver (docs/examples/vendor-driver) built out of tree
# with its Makefile against the installed SDK only, then loaded beside the
# tree's drivers to read a real snmpd Acme printer: it wins over
# printer_mib (listed first) and reads the meters of Acme's private
# subtree; a printer of another maker still goes to printer_mib.
# usage: vendor_driver.sh BUILD_DIR SOURCE_DIR DEVICE_READ_TOOL
set -u
build=$1 src=$2 tool=$3
tmp=$(mktemp -d)
source "$src/tests/support/checks.sh"
source "$src/tests/support/snmpd_printer.sh"
snmpd_dir=$tmp
trap 'snmpd_stop_all; rm -rf "$tmp"' EXIT

cmake --install "$build" --prefix "$tmp/sdk" >/dev/null
pc=$(find "$tmp/sdk" -name securerelease-plugin.pc)
[ -n "$pc" ] || { echo "FAIL: no securerelease-plugin.pc installed"; exit 1; }
export PKG_CONFIG_PATH=$(dirname "$pc")
cp -r "$src/docs/examples/vendor-driver" "$tmp/acme"
make -s -C "$tmp/acme" >"$tmp/make.log" 2>&1 || { cat "$tmp/make.log"; echo "FAIL: the example does not build"; exit 1; }
make -s -C "$tmp/acme" install >/dev/null || { echo "FAIL: make install"; exit 1; }
plugindir=$(pkg-config --variable=plugindir securerelease-plugin)
check "installed where the SDK's .pc says" test -f "$plugindir/sr_device_acme.so"
out=$("$build/bin/srctl" plugin inspect "$plugindir/sr_device_acme.so")
check "srctl sees a device driver with identify and read_meters" \
  ok 'grep -q "^kind: *device$" <<<"$out" && grep -q "identify yes" <<<"$out" && grep -q "read_meters yes" <<<"$out" && grep -q "read_alerts no" <<<"$out"'

net=$((RANDOM % 200 + 20))
port=$((20000 + RANDOM % 20000))
{
  snmpd_printer_values acme 4 | grep -v '^.1.3.6.1.2.1.1.2.0 '
  cat <<VALUES
.1.3.6.1.2.1.1.2.0 objectid .1.3.6.1.4.1.32473.1.2
.1.3.6.1.4.1.32473.2.1.0 counter 7000
.1.3.6.1.4.1.32473.2.2.0 counter 5000
.1.3.6.1.4.1.32473.2.3.0 counter 2000
.1.3.6.1.4.1.32473.2.4.0 counter 6000
.1.3.6.1.4.1.32473.2.5.0 counter 1000
VALUES
} >"$tmp/acme.values"
snmpd_printer_start acme "127.0.$net.1" "$port" "$tmp/acme.values" || exit 1
snmpd_printer_start other "127.0.$net.2" "$port" || exit 1

read_device() { "$tool" -p "$build/plugins" -p "$plugindir" -d printer_mib -d ipp_printer -d acme "$@"; }
out=$(read_device -s "127.0.$net.1:$port")
check "the vendor driver wins over printer_mib" \
  ok 'grep -qx "driver: acme" <<<"$out" && grep -qx "score: 60" <<<"$out"'
check "its model and the serial discovery read" \
  ok 'grep -qx "model: Acme Color 5000" <<<"$out" && grep -qx "serial: SN-acme" <<<"$out"'
check "meters from the private subtree" \
  ok 'grep -qx "meters: total=7000 mono=5000 color=2000 sheets=6000 two_sided=1000 mono_impressions=5000 color_impressions=2000" <<<"$out"' ||
  echo "$out"
out=$(read_device -s "127.0.$net.2:$port")
check "another maker's printer goes to printer_mib" grep -qx "driver: printer_mib" <<<"$out"
checks_done
