#!/usr/bin/env bash
# Attack on discovery from the site's network: a host that is scanned
# answers its own request and then sends the same answer, from its own
# address, under the request IDs the scan gives the next addresses
# (net-snmp numbers requests one after the other). The scan must take an
# answer only from the address it asked: else the addresses after the
# rogue's, where no agent runs, are recorded as printers, and the site
# would sign them into its printer list.
# usage: attack_scan_spoof.sh BIN_DIR PLUGIN_DIR SOURCE_DIR
set -u
bin=$1 plugins=$2 src=$3
source "$src/tests/support/checks.sh"
source "$src/tests/support/snmpd_printer.sh"
tmp=$(mktemp -d /tmp/sr-scan-spoof.XXXXXX)
snmpd_dir=$tmp
rogue=0
cleanup() {
  kill "$rogue" 2>/dev/null
  wait "$rogue" 2>/dev/null
  snmpd_stop_all
  rm -rf "$tmp"
}
trap cleanup EXIT

port=$(python3 "$src/scripts/lib/free_port.py" $$ udp)
snmpd_printer_start real 127.0.0.71 "$port" || { echo "snmpd did not start"; exit 1; }
python3 "$src/tests/support/snmp_spoofer.py" 127.0.0.79 "$port" 127.0.0.71 2>"$tmp/rogue.err" &
rogue=$!
wait_until 50 sh -c "ss -lunH 'src 127.0.0.79:$port' | grep -q ." || { echo "the rogue did not listen"; exit 1; }
mkdir -p "$tmp/state"
cat >"$tmp/site.yaml" <<YAML
service: device-scout
tenant: t1
state_dir: $tmp/state
plugins: {paths: [$plugins]}
drivers:
  - {plugin: printer_mib}
discovery:
  targets: ["127.0.0.71", "127.0.0.79-127.0.0.99"]
  port: $port
  rate: 400
  outstanding: 64
  timeout: 1s
  retries: 1
  credentials:
    - {name: office, version: 2c, community: public}
YAML
"$bin/sr-device-scout" discover --once --json --config "$tmp/site.yaml" >"$tmp/result.json" 2>"$tmp/discover.err"
status=$?
check "discover --once exits 0" ok '[ "$status" = 0 ] || { cat "$tmp/discover.err"; false; }'
check "the rogue sent its forged answers during the scan" grep -q "^answered" "$tmp/rogue.err"
found() { jq -r '[.devices[].address] | sort | join(" ")' "$tmp/result.json"; }
check "only the real agent and the rogue itself are found ($(found))" \
  ok '[ "$(found)" = "127.0.0.71 127.0.0.79" ]'
checks_done
