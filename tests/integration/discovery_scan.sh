#!/usr/bin/env bash
# Discovery against real snmpd agents on loopback (127.0.42.0/24, one UDP
# port): 20 printers with their own serials, meters and supplies, one
# SNMPv3-only printer, one router, a printer inside an excluded range, and
# an IPv6 printer on ::1.
# `sr-device-scout discover --once` must find every printer with the
# credential set that works (not with a wrong v3 set tried first), record
# the router as "other", send no packet at all to the excluded agent (its
# own log), fill the URIs of a printer with open IPP/RAW ports, write
# state_dir/discovery.json (0600) and keep to its packet rate.
# usage: discovery_scan.sh BIN_DIR PLUGIN_DIR SOURCE_DIR
set -u
bin=$1 plugins=$2 src=$3
source "$src/tests/support/checks.sh"
source "$src/tests/support/snmpd_printer.sh"
tmp=$(mktemp -d /tmp/sr-discovery.XXXXXX)
snmpd_dir=$tmp
listeners=()
cleanup() {
  snmpd_stop_all
  for pid in "${listeners[@]}"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT
free_port() { python3 "$src/scripts/lib/free_port.py" $$ "$1"; } # of kind $1 (tcp or udp)
port=$(free_port udp)
net=127.0.42

# 20 printers, each with its own values (serial SN-pN, meters, levels)
for n in $(seq 1 20); do
  snmpd_printer_values "p$n" "$n" >"$tmp/p$n.values"
  snmpd_printer_start "p$n" "$net.$n" "$port" "$tmp/p$n.values" || exit 1
done
snmpd_v3_printer_start secure "$net.21" "$port" scanner authpass-21 privpass-21 || exit 1
snmpd_plain_start router "$net.22" "$port" || exit 1
snmpd_printer_start hidden "$net.30" "$port" || exit 1 # inside the exclusion
# an IPv6 printer on ::1
snmpd_printer_values six 6 >"$tmp/six.values"
{
  echo "agentaddress udp6:[::1]:$port"
  echo "rocommunity6 public ::1/128"
  snmpd_printer_conf_lines "$tmp/six.values"
} >"$tmp/six.conf"
snmpd_launch six || exit 1

# printer p1 has an IPP and a RAW port open
ipp_port=$(free_port tcp) raw_port=$(free_port tcp)
for p in "$ipp_port" "$raw_port"; do
  socat "TCP-LISTEN:$p,bind=$net.1,reuseaddr,fork" SYSTEM:true &
  listeners+=($!)
done
for p in "$ipp_port" "$raw_port"; do
  wait_until 50 sh -c "ss -ltnH 'sport = :$p' | grep -q ." || { echo "socat on $p did not listen"; exit 1; }
done

default_targets="\"$net.1-$net.40\", \"::1\""
site_config() { # FILE CREDENTIALS_YAML [RATE] [TARGETS] [EXCLUDE]
  cat >"$1" <<YAML
service: device-scout
tenant: t1
state_dir: $tmp/state
plugins: {paths: [$plugins]}
drivers:
  - {plugin: printer_mib}
discovery:
  targets: [${4:-$default_targets}]
  exclude: [${5:-"$net.28-$net.31"}]
  port: $port
  rate: ${3:-400}
  outstanding: 64
  timeout: ${scan_timeout:-1s}
  retries: 1
  ports: {ipp: [$ipp_port], raw: [$raw_port]}
  credentials:
$2
YAML
}
mkdir -p "$tmp/state"
office='    - {name: office, version: 2c, community: public}'
wrong3='    - {name: wrong3, version: 3, user: scanner, auth_password: not-the-one, priv_password: privpass-21}'
right3='    - {name: secure, version: 3, user: scanner, auth_password: authpass-21, priv_password: privpass-21}'
# 3 s to answer: an agent that answers (through snmp_values.py) slower than
# 1 s on a loaded machine must not get the retry the check below counts
scan_timeout=3s site_config "$tmp/site.yaml" "$office
$wrong3
$right3"

start=$(date +%s.%N)
"$bin/sr-device-scout" discover --once --json --config "$tmp/site.yaml" >"$tmp/result.json" 2>"$tmp/discover.err"
status=$?
check "discover --once exits 0" ok '[ "$status" = 0 ] || { cat "$tmp/discover.err"; false; }'
dev() { jq -r --arg a "$1" ".devices[] | select(.address == \$a) | $2" "$tmp/result.json"; }

printers=$(jq '[.devices[] | select(.kind == "printer" and .credential == "office" and (.address | startswith("127.")))] | length' "$tmp/result.json")
check "the 20 v2c printers are found as printers (got $printers)" ok '[ "$printers" = 20 ]'
serials=$(jq -r '[.devices[] | select(.credential == "office" and .kind == "printer" and (.address | startswith("127."))) | .serial] | sort | unique | length' "$tmp/result.json")
check "each printer with its own serial" ok '[ "$serials" = 20 ]'
check "printer 7: its serial SN-p7, the printer_mib driver, vendor HP, its SNMP address" \
  ok '[ "$(dev $net.7 .serial)" = SN-p7 ] && [ "$(dev $net.7 .driver)" = printer_mib ] &&
      [ "$(dev $net.7 .vendor)" = HP ] && [ "$(dev $net.7 .snmp)" = "$net.7:$port" ] &&
      [ "$(dev $net.7 .version)" = 2c ]'
check "the v3-only printer is found with the right credential set, not the wrong one tried first" \
  ok '[ "$(dev $net.21 .credential)" = secure ] && [ "$(dev $net.21 .version)" = 3 ] &&
      [ "$(dev $net.21 .kind)" = printer ] && [ "$(dev $net.21 .serial)" = SN-secure ]'
check "the router is recorded as other, with its sysDescr" \
  ok '[ "$(dev $net.22 .kind)" = other ] && dev $net.22 .sys_descr | grep -q "Linux router" &&
      [ "$(dev $net.22 .driver)" = null ]'
check "the IPv6 printer on ::1 is found, its agent written [::1]:port" \
  ok '[ "$(dev ::1 .serial)" = SN-six ] && [ "$(dev ::1 .snmp)" = "[::1]:$port" ]'
check "nothing else answered (23 devices)" ok '[ "$(jq ".devices | length" "$tmp/result.json")" = 23 ]'
check "the router and a printer got one request each: no second question, no v3 probe" \
  ok '[ "$(snmpd_received router)" = 1 ] && [ "$(snmpd_received p7)" = 1 ]'
check "printer 1's open IPP and RAW ports are its URIs; printer 2 has none" \
  ok '[ "$(dev $net.1 ".uris | join(\" \")")" = "ipp://$net.1:$ipp_port/ipp/print socket://$net.1:$raw_port" ] &&
      [ "$(dev $net.2 ".uris | length")" = 0 ]'
check "the scan covered 37 addresses (40 minus 4 excluded, and ::1) and is complete" \
  ok '[ "$(jq .scan.addresses "$tmp/result.json")" = 37 ] && [ "$(jq .scan.complete "$tmp/result.json")" = true ]'

# The excluded agent: the scan is over (every other address was asked and
# answered or timed out), so any packet to it would be in its log by now.
check "the agent inside the excluded range received no packet" ok '[ "$(snmpd_received hidden)" = 0 ]'
snmpget -v2c -c public -t 1 -r 0 "$net.30:$port" .1.3.6.1.2.1.1.1.0 >/dev/null
check "... and its log does record a request (the check above can fail)" \
  wait_until 30 ok '[ "$(snmpd_received hidden)" -ge 1 ]'
check "every included printer was asked" ok '[ "$(snmpd_received p20)" -ge 1 ]'

check "state_dir/discovery.json: mode 600, the same devices as printed" \
  ok '[ "$(stat -c %a "$tmp/state/discovery.json")" = 600 ] &&
      [ "$(jq -S .devices "$tmp/state/discovery.json")" = "$(jq -S .devices "$tmp/result.json")" ]'

# Without the right set, the v3 printer is not found (the wrong one is refused).
site_config "$tmp/wrong.yaml" "$office
$wrong3"
"$bin/sr-device-scout" discover --once --json --config "$tmp/wrong.yaml" >"$tmp/wrong.json" 2>>"$tmp/discover.err"
check "with only a wrong v3 set the v3 printer is not found, the rest is" \
  ok '[ -z "$(jq -r ".devices[] | select(.address == \"$net.21\") | .address" "$tmp/wrong.json")" ] &&
      [ "$(jq ".devices | length" "$tmp/wrong.json")" = 22 ]'

# The packet rate holds: 200 silent addresses, no retries, at 100 packets/s.
site_config "$tmp/rate.yaml" "$office" 100 '"127.0.43.0-127.0.43.199"' '"127.0.43.250"'
# enough in flight for a second of sends: the rate, not the window, limits
sed -i 's/retries: 1/retries: 0/; s/outstanding: 64/outstanding: 1000/' "$tmp/rate.yaml"
start=$(date +%s.%N)
"$bin/sr-device-scout" discover --once --json --config "$tmp/rate.yaml" >"$tmp/rate.json" 2>>"$tmp/discover.err"
elapsed=$(echo "$(date +%s.%N) - $start" | bc)
packets=$(jq .scan.packets "$tmp/rate.json")
check "the rate scan sent one packet per address ($packets)" ok '[ "$packets" = 200 ]'
send=$(jq .scan.send_seconds "$tmp/rate.json")
check "elapsed ${elapsed}s >= packets / rate (2 s), and not far behind it (a timeout + 2 s)" \
  ok '[ "$(echo "$elapsed >= $packets / 100" | bc)" = 1 ] && [ "$(echo "$elapsed <= $packets / 100 + 3" | bc)" = 1 ]'
# the scan's own clock: 200 packets from a bucket of 1 take 199 intervals
check "the scan's first to last packet took ${send}s >= (packets - 1) / rate" \
  ok '[ "$(echo "$send >= ($packets - 1) / 100 - 0.001" | bc)" = 1 ]'

# On a terminal: a progress bar with addresses done / total and an ETA.
script -qfec "$bin/sr-device-scout discover --once --config $tmp/site.yaml" "$tmp/tty.log" >/dev/null 2>&1
check "on a terminal the progress shows addresses done / total and an ETA" \
  ok 'grep -q "111/111 address checks" "$tmp/tty.log" && grep -q "ETA" "$tmp/tty.log"'
check "and then the table: printer 7 with its serial" ok 'grep -E "^$net.7 +printer +office" "$tmp/tty.log" | grep -q SN-p7'

# A bad target is named with file:line:column.
site_config "$tmp/bad.yaml" "$office" 100 '"127.0.42.9-127.0.42.1"'
"$bin/sr-device-scout" discover --once --config "$tmp/bad.yaml" >/dev/null 2>"$tmp/bad.err"
check "a range that ends before it starts: refused at its line and column" \
  grep -q "bad.yaml:8:13: .*ends before it starts" "$tmp/bad.err"

checks_done
