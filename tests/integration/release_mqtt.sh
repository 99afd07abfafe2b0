#!/usr/bin/env bash
# Release over MQTT, end to end on the scout's side: a job printed to the
# scout's queue is released by a command on its MQTT topic (as the cloud
# will send it) and comes out byte-identical at ippeveprinter with the
# requested settings; a repeated command prints nothing twice; a printer
# reporting "no paper" over SNMP or an unreachable printer leaves the job held
# with the reason, and it can be released later; a command received after its
# deadline is dropped.
# usage: release_mqtt.sh BIN_DIR PLUGIN_DIR SOURCE_DIR
set -u
bin=$1 plugins=$2 src=$3
tmp=$(mktemp -d /tmp/sr-test-release-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
source "$src/tests/support/checks.sh"
source "$src/tests/support/broker.sh"

# broker with the tenant's PKI and per-scout ACLs
mkdir "$tmp/printer" "$tmp/printer/spool" "$tmp/printer/ssl"
start_broker "$src" || exit 1

# the printer: ippeveprinter with a private D-Bus, jobs kept with their attributes
"$src/tests/support/make-test-ca.sh" "$tmp/printer/ssl"
printf '#!/bin/sh\nenv | grep "^IPP_" | sort > "$1.env.tmp" && mv "$1.env.tmp" "$1.env"\n' >"$tmp/printer/print.sh"
chmod +x "$tmp/printer/print.sh"
dbus-daemon --session --address="unix:path=$tmp/printer/bus" --nofork --nopidfile >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -S "$tmp/printer/bus" ] && break; sleep 0.02; done
pport=$(free_port)
DBUS_SYSTEM_BUS_ADDRESS="unix:path=$tmp/printer/bus" ippeveprinter -p "$pport" -n localhost -r off \
  -d "$tmp/printer/spool" -k -K "$tmp/printer/ssl" -c "$tmp/printer/print.sh" -2 -s 10,10 \
  -f application/pdf,image/pwg-raster "Release Printer" >"$tmp/printer/log" 2>&1 &
pids+=($!)
wait_listen "$pport" || { echo "ippeveprinter did not start"; exit 1; }

# the scout, registered as scout-a
source "$src/tests/support/scout.sh"
start_scout "$bin" "$plugins" t1 >/dev/null || true
kill "$scout_pid" 2>/dev/null; wait "$scout_pid" 2>/dev/null
cat >>"$tmp/scout.yaml" <<YAML
$(scout_mqtt_config scout-a)
transports:
  - plugin: ipps
    config: {ca_file: $tmp/printer/ssl/ca.crt}
  - plugin: ipp
  - plugin: raw
driver:
  plugin: printer_mib
printers: [localhost, 127.0.0.1]
YAML
"$bin/sr-print-scout" --config "$tmp/scout.yaml" >"$tmp/scout.out" 2>"$tmp/scout.log" &
scout_pid=$!
pids+=($scout_pid)
for _ in $(seq 200); do grep -q '^queue ' "$tmp/scout.out" 2>/dev/null && break; sleep 0.05; done
uri=$(awk '/^queue /{print $2}' "$tmp/scout.out")
[ -n "$uri" ] || { echo "scout did not start"; cat "$tmp/scout.log"; exit 1; }

evt=sr/v1/t1/scouts/scout-a/evt
cmd=sr/v1/t1/scouts/scout-a/cmd
check "the scout is online (retained presence)" \
  bash -c "timeout 5 mosquitto_sub $(printf '%q ' "${cloud[@]}") -t sr/v1/t1/scouts/scout-a/presence -C 1 | grep -qx online"

doc=$src/tests/data/three-pages.pdf
ipptool -q -T 10 -f "$doc" "$uri" "$src/tests/data/ipp/hold-job.test"
job=$(ls "$tmp/store/jobs" | sed 's/\.srjob$//')
check "the job is held in the store" [ -n "$job" ]

# release: sends the command, collects events until printed or failed
command() { # RELEASE_ID URIS_JSON EXTRA DEADLINE: the command as the cloud sends it
  echo "{\"type\":\"release\",\"release\":\"$1\",\"job\":\"$job\",\"printer\":{\"uris\":$2$3},\"settings\":{\"copies\":3,\"sides\":\"one-sided\",\"color\":\"color\"},\"deadline\":$4}"
}
release() { # RELEASE_ID URIS_JSON EXTRA EVENTS (how many events to wait for, default 2) DEADLINE
  local id=$1 uris=$2 extra=${3:-} events=${4:-2} deadline=${5:-$(($(date +%s) + 60))}
  timeout 30 mosquitto_sub "${cloud[@]}" -t "$evt" -C "$events" >"$tmp/evt-$id" &
  local sub=$!
  sleep 0.3
  mosquitto_pub "${cloud[@]}" -t "$cmd" -m "$(command "$id" "$uris" "$extra" "$deadline")"
  wait "$sub"
}
printer_uris="[\"ipps://localhost:$pport/ipp/print\",\"ipp://localhost:$pport/ipp/print\"]"
closed=$(free_port)

# 0. a printer the site does not know: refused before anything is decrypted
release r0 '["ipp://127.0.0.2:631/ipp/print"]' "" 1
check "unknown printer: refused" grep -q '"release":"r0".*"state":"failed".*is not one of this site.s printers' "$tmp/evt-r0"

# 1. an unreachable printer: failed with the reason, the job stays held
release r1 "[\"ipp://127.0.0.1:$closed/ipp/print\"]"
check "unreachable printer: failed" grep -q '"release":"r1".*"state":"failed".*cannot connect' "$tmp/evt-r1"
check "the job file is still there" [ -f "$tmp/store/jobs/$job.srjob" ]
check "and the queue shows it held again" \
  ipptool -q -T 10 -d job=1 -d state=4 "$uri" "$src/tests/data/ipp/job-state.test"

# 2. a printer out of paper (SNMP): failed with that reason, still held
sport=$(free_port)
cat >"$tmp/snmpd.conf" <<CONF
agentaddress udp:127.0.0.1:$sport
rocommunity public 127.0.0.1
override .1.3.6.1.2.1.25.3.2.1.5.1 integer 5
override .1.3.6.1.2.1.25.3.5.1.1.1 integer 1
override .1.3.6.1.2.1.25.3.5.1.2.1 octet_str 0x4000
CONF
SNMP_PERSISTENT_DIR=$tmp MIBS= snmpd -C -c "$tmp/snmpd.conf" -I -smux -Lf "$tmp/snmpd.log" -f &
pids+=($!)
sleep 0.5
release r2 "$printer_uris" ",\"snmp\":\"127.0.0.1:$sport\""
check "no paper: failed with the printer's reason" grep -q '"release":"r2".*"state":"failed".*reports no paper' "$tmp/evt-r2"
check "nothing reached the printer" bash -c "[ -z \"\$(ls '$tmp/printer/spool' | grep -v prn)\" ]"

# 3. released for real: printed over IPPS, byte-identical, with the settings;
# a command that arrives after its deadline (the computer slept through it)
# just before it is dropped without a word: the first event after both is r3's
timeout 30 mosquitto_sub "${cloud[@]}" -t "$evt" -C 2 >"$tmp/evt-r3" &
sub=$!
sleep 0.3
mosquitto_pub "${cloud[@]}" -t "$cmd" -m "$(command r-late "$printer_uris" "" $(($(date +%s) - 1)))"
mosquitto_pub "${cloud[@]}" -t "$cmd" -m "$(command r3 "$printer_uris" "" $(($(date +%s) + 60)))"
wait "$sub"
check "a command past its deadline: no event" ok '! grep -q r-late "$tmp/evt-r3" && head -1 "$tmp/evt-r3" | grep -q "\"release\":\"r3\".*\"state\":\"printing\""'
check "and the scout says why it dropped it" grep -q 'r-late job .*dropped, received [0-9]* s after its deadline' "$tmp/scout.log"
check "printed" grep -q '"release":"r3".*"state":"printed".*"transport":"ipps"' "$tmp/evt-r3"
pdf=$(ls "$tmp/printer/spool"/*.pdf 2>/dev/null | head -1)
check "the document at the printer is byte-identical" cmp -s "$doc" "$pdf"
check "with the release's copies" grep -qx 'IPP_COPIES=3' "$pdf.env"
check "and colour" grep -qx 'IPP_PRINT_COLOR_MODE=color' "$pdf.env"
check "the job file is deleted after printing" [ ! -e "$tmp/store/jobs/$job.srjob" ]

# 4. the same command again, even past its deadline: reported, never printed twice
release r3 "$printer_uris" "" 1 $(($(date +%s) - 5))
check "a repeated command reports printed" grep -q '"release":"r3".*"state":"printed"' "$tmp/evt-r3"
check "and prints nothing more" [ "$(ls "$tmp/printer/spool"/*.pdf | wc -l)" = 1 ]
check "the queue shows the job completed" \
  ipptool -q -T 10 -d job=1 -d state=9 "$uri" "$src/tests/data/ipp/job-state.test"

kill "$scout_pid"; wait "$scout_pid"
check "the scout stops cleanly" [ $? = 0 ]
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
