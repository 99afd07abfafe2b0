#!/usr/bin/env bash
# From discovery to a printed page, as an administrator does it (issue 12):
# the site scans (`sr-device-scout discover --once --upload`) a real snmpd
# printer whose IPP and RAW ports are the stack's printer's, and a router;
# the result reaches the cloud; the administrator accepts the printer found
# (`srctl device accept`), with the URIs and SNMP address the scan filled
# in; the site signs it into its printer list (no static `printers:`
# anywhere); a job released there prints byte-identical. The router cannot
# be accepted, and a device the cloud adds at its address is never signed.
# usage: discovery_release.sh BIN_DIR PLUGIN_DIR SOURCE_DIR
set -u
bin=$1 plugins=$2 src=$3
source "$src/tests/support/stack_test.sh" discovery-release
source "$src/tests/support/panel.sh"
source "$src/tests/support/snmpd_printer.sh"
cleanup_more() { snmpd_stop_all; }
doc=$src/tests/data/three-pages.pdf

# the agents: a printer on 127.0.0.1 (where the stack's printer listens)
# and a router on 127.0.0.4, both on one SNMP port, as a site's are on 161
agent_port=$(stack_free_port)
snmpd_printer_start printer 127.0.0.1 "$agent_port" || exit 1
snmpd_plain_start router 127.0.0.4 "$agent_port" || exit 1

export STACK_SIGNED_PRINTERS=1 STACK_PRINTER_LIST_EVERY=1s STACK_DOCUMENT_HANDLING=personal
stack_start "$tmp" "$bin" "$plugins" || { echo "the stack did not start"; exit 1; }
# the site's configuration with a discovery section, beside its own (the
# same relative paths: state_dir, certificates); the ports to check on
# printers found are the stack's printer's, known only now
site_yaml=$tmp/site/site-scan.yaml
cat "$tmp/site/site.yaml" - >"$site_yaml" <<YAML
discovery:
  targets: [127.0.0.1, 127.0.0.4]
  port: $agent_port
  rate: 200
  timeout: 1s
  retries: 1
  credentials: [{name: office, version: 2c, community: public}]
  ports: {ipp: [$printer_port], raw: [$raw_port]}
YAML

# 1. one scan from the command line, its result sent to the cloud
"$bin/sr-device-scout" discover --once --upload --config "$site_yaml" \
  >"$tmp/discover.out" 2>"$tmp/discover.err"
status=$?
check "discover --once --upload succeeds" [ "$status" = 0 ]
check "its table names the printer with its serial and both URIs" ok \
  "grep -E '^127\.0\.0\.1 +printer +office .*SN-printer .*ipp://127\.0\.0\.1:$printer_port/ipp/print socket://127\.0\.0\.1:$raw_port' '$tmp/discover.out' >/dev/null"
check "and the router as no printer" ok "grep -E '^127\.0\.0\.4 +other ' '$tmp/discover.out' >/dev/null"
check "it says what the cloud made of it: two new devices" \
  grep -q "sent to the cloud: 2 new, 0 changed, 0 vanished, 0 unchanged" "$tmp/discover.err"
check "the site's state holds the scan (mode 0600)" \
  ok '[ "$(stat -c %a "$tmp/site/state/discovery.json")" = 600 ]'

# 2. the administrator sees both and accepts the printer
stack_srctl device discovered --json >"$tmp/discovered.json"
printer_id=$(jq -r '.discovered[] | select(.address == "127.0.0.1") | .id' "$tmp/discovered.json")
router_id=$(jq -r '.discovered[] | select(.address == "127.0.0.4") | .id' "$tmp/discovered.json")
check "srctl device discovered lists the printer, new" ok \
  "jq -e '.discovered[] | select(.address == \"127.0.0.1\") | .state == \"new\" and .kind == \"printer\" and .serial == \"SN-printer\"' '$tmp/discovered.json' >/dev/null"
stack_srctl device accept "$router_id" >"$tmp/accept-router.out" 2>&1
router_status=$?
check "the router cannot be accepted as a release device" ok \
  '[ "$router_status" != 0 ] && grep -q "is not a printer (kind other)" "$tmp/accept-router.out"'
stack_srctl device accept "$printer_id" --id lobby --name "Lobby printer" >"$tmp/accept.out" 2>&1
check "the printer is accepted as device lobby" grep -q "lobby" "$tmp/accept.out"
stack_srctl device list --json >"$tmp/devices.json"
check "its URIs and SNMP address are the ones the scan found" ok \
  "jq -e '.devices[] | select(.id == \"lobby\") | (.uris | index(\"ipp://127.0.0.1:$printer_port/ipp/print\") != null) and .snmp == \"127.0.0.1:$agent_port\"' '$tmp/devices.json' >/dev/null"

# 3. the site signs it; the cloud's own device at the router is not
signed_devices() { stack_sql "SELECT list FROM printer_lists" | base64 -d 2>/dev/null | jq -c '[.printers[].device]'; }
stack_srctl device add lookalike --uri "socket://127.0.0.4:9100" >/dev/null
check "the site signs lobby" wait_until 150 ok '[ "$(signed_devices)" = "[\"lobby\"]" ]'
check "and refuses the device at the router's address, saying why" wait_until 100 \
  grep -q "refused to sign device lookalike: host 127.0.0.4" "$tmp/site/log"

# 4. a job released at the device found prints, byte-identical
"$bin/srctl" submit "$doc" --queue "$queue_workstation" --title found --format application/pdf >/dev/null
login lobby "$demo_card"
job=
for _ in $(seq 100); do
  panel GET /api/v1/panel/jobs "" "$session"
  job=$(field '.jobs[] | select(.title == "found") | .id')
  [ -n "$job" ] && break
  sleep 0.1
done
panel POST /api/v1/panel/release "{\"jobs\":[\"$job\"]}" "$session"
check "released at the accepted device: printed" wait_job "$job" "$session" '.state == "printed"'
pdf=$(ls -t "$spool_dir"/*.pdf 2>/dev/null | head -1)
check "byte-identical at the printer" ok '[ -n "$pdf" ] && cmp -s "$doc" "$pdf"'

# 5. the printer's serial changes (a swapped unit at the same address):
# the next scan says so, and nothing vanishes
sed 's/SN-printer/SN-swapped/' "$tmp/printer.values" >"$tmp/printer.values.new" &&
  mv "$tmp/printer.values.new" "$tmp/printer.values"
"$bin/sr-device-scout" discover --once --upload --config "$site_yaml" >/dev/null 2>"$tmp/discover2.err"
check "a second scan: the printer changed, the router unchanged" \
  grep -q "sent to the cloud: 0 new, 1 changed, 0 vanished, 1 unchanged" "$tmp/discover2.err"

checks_done
