#!/usr/bin/env bash
# Device monitoring and scout health, end to end with real peers on
# loopback: two snmpd printers (tests/support/snmpd_printer.sh, values
# re-read from a file on every request), the cloud, the site service with
# every monitor cadence at 1 s, and a print scout.
#  - status, meters and supplies of an accepted printer reach the cloud;
#    a printer condition (toner low) shows in its status and its alert row
#    (prtAlertTable) in `alerts`;
#  - a toner level changed in the agent shows after the next read, as one
#    new supplies history row;
#  - an unchanged printer sends nothing: the history does not grow across a
#    whole read that started after it was counted (the site's log names each
#    read: the positive signal that a cycle ended);
#  - a printer that stops answering is reported offline once, not each read,
#    and back when it answers again;
#  - a removed device is no longer read, and its history is forgotten;
#  - a site reports only on its tenant's devices, and bad values are refused;
#  - the print scout's and the site's health reports show in scout list, and
#    its held jobs (a scout restarted with one held reports it at start).
# usage: device_monitor.sh BIN_DIR PLUGIN_DIR SOURCE_DIR
set -u
bin=$1 plugins=$2 src=$3
source "$src/tests/support/stack_test.sh" monitor
source "$src/tests/support/snmpd_printer.sh"
snmpd_dir=$tmp
cleanup_more() { snmpd_stop_all; }
export STACK_SITE_MONITOR="{status: 1s, alerts: 1s, meters: 1s, supplies: 1s, health: 1h}"
export STACK_LOG_LEVEL=debug # the site logs each read that sent nothing
# the site's printers: p1 and p2 are among them, p3 (127.0.0.23) is not
export STACK_PRINTERS="localhost, 127.0.0.1, 127.0.0.21, 127.0.0.22"

# Two printers with distinct values; p1's rows also hold an alert (prtAlertTable).
port1=$(stack_free_port) port2=$(stack_free_port)
snmpd_printer_values p1 1 >"$tmp/p1.values"
cat >>"$tmp/p1.values" <<'ALERT'
.1.3.6.1.2.1.43.18.1.1.2.1.1 integer 4
.1.3.6.1.2.1.43.18.1.1.3.1.1 integer 3
.1.3.6.1.2.1.43.18.1.1.4.1.1 integer 11
.1.3.6.1.2.1.43.18.1.1.5.1.1 integer 1
.1.3.6.1.2.1.43.18.1.1.6.1.1 integer 0
.1.3.6.1.2.1.43.18.1.1.7.1.1 integer 1101
.1.3.6.1.2.1.43.18.1.1.8.1.1 string Black toner low
ALERT
snmpd_printer_start p1 127.0.0.21 "$port1" "$tmp/p1.values" || exit 1
snmpd_printer_values p2 2 >"$tmp/p2.values"
snmpd_printer_start p2 127.0.0.22 "$port2" "$tmp/p2.values" || exit 1
p2_pid=${snmpd_pids[-1]}
port3=$(stack_free_port)
snmpd_printer_start p3 127.0.0.23 "$port3" || exit 1

stack_start "$tmp" "$bin" "$plugins" || { echo "the stack did not start"; exit 1; }
site_log=$stack_dir/site/log
stack_srctl device add p1 --uri "ipp://127.0.0.21:631/ipp/print" --snmp "127.0.0.21:$port1" >/dev/null
stack_srctl device add p2 --uri "ipp://127.0.0.22:631/ipp/print" --snmp "127.0.0.22:$port2" >/dev/null
# a device the cloud lists at a host the site does not vouch for (no scan
# found it, not in its printers:): the site must not send it its SNMP
# community, nor any request
stack_srctl device add p3 --uri "ipp://127.0.0.23:631/ipp/print" --snmp "127.0.0.23:$port3" >/dev/null

monitor() { stack_srctl device status "$1" --json; }
history_count() { # DEVICE [KIND]
  stack_srctl device history "$1" ${2:+--kind "$2"} --json | jq '.history | length'
}
# The number of the last read of DEVICE the site finished (0: none yet).
last_read() {
  grep -o "device $1: read [0-9]*:" "$site_log" | tail -1 | sed 's/.*read \([0-9]*\):/\1/'
  true
}
# Waits until read N of DEVICE has finished; prints its log line.
wait_read() { # DEVICE N
  local line
  for _ in $(seq 300); do
    line=$(grep "device $1: read $2:" "$site_log" | tail -1)
    [ -n "$line" ] && { echo "$line"; return 0; }
    sleep 0.05
  done
  echo "  read $2 of $1 did not finish within 15 s" >&2
  return 1
}
# Waits until the JSON of `device status DEVICE` satisfies the jq FILTER.
wait_monitor() { # DEVICE FILTER
  for _ in $(seq 300); do
    [ "$(monitor "$1" | jq -r "$2" 2>/dev/null)" = true ] && return 0
    sleep 0.05
  done
  echo "  $1 never satisfied $2; last: $(monitor "$1" | jq -c .)"
  return 1
}

# ---- what a printer reports reaches the cloud
check "p1's supplies reach the cloud with their percent (level 89 of 100)" wait_monitor p1 \
  '.supplies | map(select(.name == "Black Toner"))[0] | .percent == 89 and .type == "toner" and .color == "black"'
check "p1's meters reach the cloud (prtMarkerLifeCount 1037)" wait_monitor p1 '.meters.total_pages == 1037'
check "p1's status reaches the cloud (idle)" wait_monitor p1 '.status.state == "idle"'
check "p2 has its own values (cyan 58 %, 1074 pages)" wait_monitor p2 \
  '(.supplies | map(select(.name == "Cyan Toner"))[0].percent == 58) and .meters.total_pages == 1074'
check "the site refuses to read p3, and says why" \
  wait_until 100 grep -q "not reading device p3: host 127.0.0.23" "$site_log"
# two more reads of p1 after that list: a read of p3 would have come first
refused_at=$(last_read p1)
check "p1 is read twice more" wait_until 100 ok '[ "$(last_read p1)" -ge $((refused_at + 2)) ]'
check "p3's agent received no packet (its own log)" [ "$(snmpd_received p3)" = 0 ]
check "srctl device status shows supplies with percent" \
  ok 'stack_srctl device status p1 | grep -q "Black Toner (toner, black): 89%"'

# ---- a condition and an alert
sed 's/^\(.1.3.6.1.2.1.25.3.5.1.2.1 octet\) 00$/\1 20 00/' "$tmp/p1.values" >"$tmp/p1.new"
mv "$tmp/p1.new" "$tmp/p1.values"
check "a toner-low condition set in the agent reaches the cloud in p1's status" \
  wait_monitor p1 '.status.conditions | index("toner-low") != null'
check "p1's alert row (prtAlertTable) reaches the cloud" wait_monitor p1 \
  '.alerts | map(select(.description == "Black toner low" and .severity == "warning")) | length == 1'

# ---- an unchanged printer sends nothing
# (the cloud logs each request at debug level: the posts it received)
posts() { grep -c "POST /api/v1/site/devices/$1/observations" "$stack_dir/cloud/log" || true; }
before=$(history_count p1)
posts_before=$(posts p1)
r=$(last_read p1)
line=$(wait_read p1 $((r + 2))) # read r+2 began after read r+1 ended, which was after the counts
check "a read of unchanged values sends nothing (the site says so)" \
  ok '[[ "$line" == *"nothing changed"* ]]'
check "the cloud received no observation of p1 across that whole read" \
  ok '[ "$(posts p1)" = "$posts_before" ]'
check "and the history did not grow ($before rows)" ok '[ "$(history_count p1)" = "$before" ]'

# ---- a changed toner level shows after the next read, as one history row
supplies_before=$(history_count p1 supplies)
all_before=$(history_count p1)
sed 's/^\(.1.3.6.1.2.1.43.11.1.1.9.1.1 integer\) .*/\1 42/' "$tmp/p1.values" >"$tmp/p1.new"
mv "$tmp/p1.new" "$tmp/p1.values"
check "a toner level changed in the agent shows in the cloud (42 %)" wait_monitor p1 \
  '.supplies | map(select(.name == "Black Toner"))[0].percent == 42'
check "it added one supplies history row" \
  ok '[ "$(history_count p1 supplies)" = $((supplies_before + 1)) ]'
check "and nothing else changed in the history" ok '[ "$(history_count p1)" = $((all_before + 1)) ]'
check "the latest supplies row has the new level" \
  ok '[ "$(stack_srctl device history p1 --kind supplies --json | jq ".history[-1].value | map(select(.name == \"Black Toner\"))[0].percent")" = 42 ]'
check "srctl device history prints the change" \
  ok 'stack_srctl device history p1 --kind supplies | tail -1 | grep -q "\"percent\":42"'

# ---- a printer that stops answering: offline, once
kill "$p2_pid"
wait "$p2_pid" 2>/dev/null
check "a printer that stops answering is reported offline" wait_monitor p2 '.status.state == "offline"'
offline_rows() {
  stack_srctl device history p2 --kind status --json | jq '[.history[] | select(.value.state == "offline")] | length'
}
statuses=$(history_count p2 status)
posts_before=$(posts p2)
r=$(last_read p2)
line=$(wait_read p2 $((r + 2)))
check "it is not reported again at the next reads" ok '[ "$(posts p2)" = "$posts_before" ]'
check "its status history did not grow" ok '[ "$(history_count p2 status)" = "$statuses" ]'
check "one offline row in its history" ok '[ "$(offline_rows)" = 1 ]'
snmpd_launch p2 || echo "snmpd p2 did not start again"
check "answering again, it is reported idle again" wait_monitor p2 '.status.state == "idle"'

# ---- a device removed: the site stops reading it, the cloud forgets its history
stack_srctl device remove p2 >/dev/null
dropped() {
  for _ in $(seq 200); do
    grep -q "device p2 is no longer the site's" "$site_log" && return 0
    sleep 0.05
  done
  return 1
}
check "the site stops monitoring a removed device" dropped
stack_srctl device add p2 --uri "ipp://127.0.0.22:631/ipp/print" >/dev/null
check "added again, it starts with no history" ok '[ "$(history_count p2 status)" = 0 ]'

# ---- the cloud's checks: the tenant boundary and the values
site_call() { # PATH BODY: the HTTP status of a POST with the site's certificate
  curl -s -o "$tmp/answer" -w '%{http_code}' --cacert "$stack_dir/pki/root.crt" \
    --cert "$stack_dir/site/site.crt" --key "$stack_dir/site/site.key" \
    -H 'Content-Type: application/json' -d "$2" "$cloud_url$1"
}
check "a site cannot report on a device its tenant does not have" \
  ok '[ "$(site_call /api/v1/site/devices/elsewhere/observations "{\"status\":{\"state\":\"idle\"}}")" = 404 ]'
check "a supply percent over 100 is refused" \
  ok '[ "$(site_call /api/v1/site/devices/p1/observations "{\"supplies\":[{\"name\":\"x\",\"percent\":101}]}")" = 400 ]'
check "more than 32 alerts are refused" \
  ok '[ "$(site_call /api/v1/site/devices/p1/observations "{\"alerts\":$(jq -nc "[range(33)|{code:1}]")}")" = 400 ]'
check "an unknown status state is refused" \
  ok '[ "$(site_call /api/v1/site/devices/p1/observations "{\"status\":{\"state\":\"on fire\"}}")" = 400 ]'
check "a refused report changed nothing" wait_monitor p1 '.status.state == "idle"'

# ---- health reports
version=$(sed -n 's/^project(securerelease VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
scout_row() { stack_srctl scout list --json | jq -c ".scouts[] | select(.kind == \"$1\")"; }
wait_health() { # KIND
  for _ in $(seq 200); do
    [ "$(scout_row "$1" | jq -r .version)" = "$version" ] && return 0
    sleep 0.05
  done
  echo "  no health report from the $1 scout; row: $(scout_row "$1")"
  return 1
}
config_hash() { sha256sum "$1" | cut -c1-16; }
check "the print scout's health report shows in scout list (version $version)" wait_health print
check "with its held jobs (0) and uptime" \
  ok '[ "$(scout_row print | jq -r "[.held_jobs, (.uptime | type)] | @tsv")" = "0	number" ]'
check "with its configuration's hash" \
  ok '[ "$(scout_row print | jq -r .config_version)" = "$(config_hash "$stack_dir/workstation/scout.yaml")" ]'
check "the site's health report shows in scout list" wait_health site
check "with its configuration's hash" \
  ok '[ "$(scout_row site | jq -r .config_version)" = "$(config_hash "$stack_dir/site/site.yaml")" ]'
check "srctl scout list prints version, uptime, held jobs" \
  ok 'stack_srctl scout list | grep "kind=print" | grep "version=$version" | grep -q "held_jobs=0"'

# A held job shows in the report. A change while the scout runs is sent at
# most once a minute (docs/devices.md), too long to wait for here: the
# scout restarted with the job held reports it at start.
"$bin/srctl" submit "$src/tests/data/three-pages.pdf" --queue "$queue_workstation" --title "Held" >/dev/null
held_in_cloud() { stack_srctl jobs --json | jq -e '.jobs[] | select(.title == "Held" and .state == "held")' >/dev/null; }
check "the job is held" wait_until 100 held_in_cloud
kill "$pid_workstation"
wait "$pid_workstation" 2>/dev/null
stack_print_scout workstation "$demo_email" >/dev/null || { echo "the workstation did not restart"; exit 1; }
held_reported() { [ "$(scout_row print | jq -r .held_jobs)" = 1 ]; }
check "restarted with a job held, the print scout reports held_jobs=1" wait_until 100 held_reported

checks_done
