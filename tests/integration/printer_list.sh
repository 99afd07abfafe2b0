#!/usr/bin/env bash
# The signed printer list (docs/security.md, "The signed printer list"), on
# the whole stack without any static `printers:`: the site service signs
# the accepted devices whose every host it found as a printer itself
# (state_dir/discovery.json), the list travels through the cloud, and the
# print scout prints only to what a list it verified names. The cloud
# plays the attacker: a device of its own at a host the site did not find
# as a printer (127.0.0.2, an address the scan saw as "other"), the stored
# list altered in its database, an older list replayed. Each time the
# release is refused with the reason, the job stays held, and the host the
# cloud aimed at (a TCP sink) receives no byte. And a site whose clock once
# ran ahead: restarted, it signs above the version it signed then.
# usage: printer_list.sh BIN_DIR PLUGIN_DIR SOURCE_DIR
set -u
bin=$1 plugins=$2 src=$3
source "$src/tests/support/stack_test.sh" printer-list
export STACK_SIGNED_PRINTERS=1 STACK_PRINTER_LIST_EVERY=1s STACK_DOCUMENT_HANDLING=personal
source "$src/tests/support/panel.sh"
doc=$src/tests/data/three-pages.pdf

# Hosts the cloud may aim at: TCP sinks on other loopback addresses, each
# writing what it receives into a directory of its own.
sink() { # NAME ADDRESS -> sets ${NAME}_port
  local port
  port=$(stack_free_port)
  mkdir -p "$tmp/$1"
  socat -u "TCP-LISTEN:$port,bind=$2,reuseaddr,fork" SYSTEM:"cat > $tmp/$1/job-\$(date +%s%N)" \
    2>"$tmp/$1.log" &
  stack_pids+=($!)
  eval "${1}_port=$port"
}
received() { find "$tmp/$1" -type f -size +0 | wc -l; } # NAME: connections that sent bytes
sink rogue 127.0.0.2
sink old 127.0.0.3

# what the site's last scan found (the scan's own file, as it writes it):
# printers at 127.0.0.1 and 127.0.0.3, and 127.0.0.2, which is no printer
discovery() { # PRINTER_ADDRESSES...
  local devices=[]
  for a in "$@"; do
    devices=$(jq -c --arg a "$a" '. + [{address: $a, snmp: ($a + ":161"), kind: "printer", uris: []}]' <<<"$devices")
  done
  devices=$(jq -c '. + [{address: "127.0.0.2", snmp: "127.0.0.2:161", kind: "other", sys_descr: "Linux router"}]' <<<"$devices")
  mkdir -p "$tmp/site/state"
  jq -n --argjson d "$devices" '{scan: {id: "t", started_at: 1, finished_at: 2, complete: true}, devices: $d}' \
    >"$tmp/site/state/discovery.json.tmp"
  mv "$tmp/site/state/discovery.json.tmp" "$tmp/site/state/discovery.json"
}
discovery 127.0.0.1 127.0.0.3

stack_start "$tmp" "$bin" "$plugins" || { echo "the stack did not start"; exit 1; }
# the site's list as the cloud stores it, decoded
stored_list() { stack_sql "SELECT list FROM printer_lists" | base64 -d 2>/dev/null; }
signed_devices() { stored_list | jq -c '[.printers[].device]' 2>/dev/null; }
signed_are() { [ "$(signed_devices)" = "$1" ]; }
newest_job() { # SESSION -> $job (the newest held job)
  panel GET /api/v1/panel/jobs "" "$1"
  job=$(echo "$body" | jq -r '.jobs[0].id')
}
# submit_listed DEVICE TITLE: a new job, alice logged in at DEVICE, $job
# once the panel lists it
submit_listed() {
  "$bin/srctl" submit "$doc" --queue "$queue_workstation" --title "$2" --format application/pdf >/dev/null
  login "$1" "$demo_card"
  for _ in $(seq 100); do
    newest_job "$session"
    [ "$(echo "$body" | jq -r '.jobs[0].title')" = "$2" ] && break
    sleep 0.1
  done
}
# submit_and_release DEVICE TITLE: a new job, released at DEVICE by alice
submit_and_release() {
  submit_listed "$1" "$2"
  panel POST /api/v1/panel/release "{\"jobs\":[\"$job\"]}" "$session"
}
refused() { # LABEL: the release of $job failed with the list's reason, the job held
  check "$1: held again, with the reason" wait_job "$job" "$session" \
    '.state == "held" and (.reason | test("not on a printer list the site signed"))'
}

# 1. the devices the cloud lists: one at the site's printer (127.0.0.1),
# one at a printer the scan found (127.0.0.3), one at 127.0.0.2, and the
# stack's own printer1, named by host name (localhost): no address the
# scan found
stack_srctl device add signed1 --name "Signed" --uri "ipp://127.0.0.1:$printer_port/ipp/print" \
  --uri "socket://127.0.0.1:$raw_port" --snmp "127.0.0.1:$snmp_port" >/dev/null
stack_srctl device add old --uri "socket://127.0.0.3:$old_port" >/dev/null
stack_srctl device add rogue --uri "socket://127.0.0.2:$rogue_port" >/dev/null
check "the site signs the two devices at printers it found" wait_until 150 signed_are '["old","signed1"]'
check "it refuses to sign the one at 127.0.0.2, and says why" wait_until 100 grep -q \
  "refused to sign device rogue: host 127.0.0.2 (socket://127.0.0.2:$rogue_port) is neither a printer this site found" "$tmp/site/log"
check "and printer1, named by a host name no scan found" \
  grep -q "refused to sign device printer1: host localhost" "$tmp/site/log"
site_id=$(stack_srctl scout list --json | jq -r '.scouts[] | select(.kind == "site") | .id')
check "the stored list is the site's: its tenant, its scout id, a version" \
  ok 'stored_list | jq -e --arg t "$tenant" --arg s "$site_id" ".v == 1 and .tenant == \$t and .site == \$s and .version > 1700000000000" >/dev/null'
first_list=$(stack_sql "SELECT list FROM printer_lists")
first_mac=$(stack_sql "SELECT mac FROM printer_lists")
first_version=$(stored_list | jq .version)

# 2. a release to a signed printer prints, byte-identical. The scout's
# list from its start may predate signed1: it fetches the lists again once
submit_and_release signed1 signed
check "signed printer: printed" wait_job "$job" "$session" '.state == "printed"'
pdf=$(ls -t "$spool_dir"/*.pdf 2>/dev/null | head -1)
check "signed printer: byte-identical at the printer" ok '[ -n "$pdf" ] && cmp -s "$doc" "$pdf"'
fetched() { grep -c "holds the signed printer lists of 1 site" "$tmp/workstation/log"; }
check "signed printer: the scout fetched the lists at start and once more for signed1" \
  [ "$(fetched)" = 2 ]
check "the scout keeps the list it verified" \
  ok 'jq -e ".lists | length == 1" "$tmp/workstation/printer-lists.json" >/dev/null'

# 3. the cloud's own device at 127.0.0.2: never signed, so refused
submit_and_release rogue rogue
refused "unsigned device"
check "unsigned device: the reason names the device and its URI" \
  ok 'field .reason | grep -q "device rogue at socket://127.0.0.2:$rogue_port"'
check "unsigned device: 127.0.0.2 received nothing" [ "$(received rogue)" = 0 ]

# 4. the printer at 127.0.0.3 is gone from the next scan: the site signs
# a newer list without it, and a release there is refused
discovery 127.0.0.1
check "the site drops the printer the scan no longer found" wait_until 150 signed_are '["signed1"]'
check "and logs why" wait_until 50 grep -q "refused to sign device old: host 127.0.0.3" "$tmp/site/log"
# the workstation fetches the lists at start (and every printer_lists_every)
fetches=$(fetched)
kill "$pid_workstation"
wait "$pid_workstation" 2>/dev/null
stack_print_scout workstation "$demo_email" >/dev/null || { echo "the workstation did not restart"; exit 1; }
check "restarted, the workstation fetches the newer list" wait_until 100 ok '[ "$(fetched)" -gt "$fetches" ]'
submit_and_release old gone
refused "a printer the site no longer signs"
check "gone: 127.0.0.3 received nothing" [ "$(received old)" = 0 ]

# 5. the cloud replays the older list that named it (the site signs again
# only when what it signs changes: the cloud's row stays as the cloud
# writes it)
current_list=$(stack_sql "SELECT list FROM printer_lists")
stack_sql "UPDATE printer_lists SET list = '$first_list', mac = '$first_mac'"
check "the cloud serves the old list now" [ "$(stored_list | jq .version)" = "$first_version" ]
submit_and_release old replayed
refused "replayed list"
check "replayed list: refused as older than the one seen" \
  grep -q "refused a printer list from the cloud: site $site_id's printer list version $first_version is older than version" "$tmp/workstation/log"
check "replayed list: 127.0.0.3 received nothing" [ "$(received old)" = 0 ]

# 6. the cloud alters the site's current list: its own device at
# 127.0.0.2 added to it. The scout fetches it, the signature fails
altered=$(base64 -d <<<"$current_list" | jq -c --arg u "socket://127.0.0.2:$rogue_port" \
  '.printers += [{device: "rogue", name: "rogue", snmp: null, uris: [$u]}]' | base64 -w0)
stack_sql "UPDATE printer_lists SET list = '$altered'"
check "the stored list names rogue now" \
  ok 'stored_list | jq -e "[.printers[].device] | index(\"rogue\")" >/dev/null'
before=$(pdfs)
submit_and_release rogue altered
refused "altered list"
check "altered list: refused, its signature does not match" \
  grep -q "refused a printer list from the cloud: the printer list's signature does not match" "$tmp/workstation/log"
check "altered list: 127.0.0.2 received nothing, the printer nothing more" \
  ok '[ "$(received rogue)" = 0 ] && [ "$(pdfs)" = "$before" ]'

# 7. failover: with the workstation stopped, the site service prints from
# the job's cloud copy, to the printers of the list it signs itself; the
# cloud's own device is refused there too
cleanup_more() { kill -CONT "${pid_workstation:-0}" 2>/dev/null; }
stack_srctl settings set document_handling=origin,site >/dev/null
failover_release() { # DEVICE TITLE
  submit_listed "$1" "$2"
  check "$2: the workstation uploaded its copy" \
    wait_until 150 grep -q "job $job: cloud copy stored" "$tmp/cloud/log"
  kill -STOP "$pid_workstation"
  panel POST /api/v1/panel/release "{\"jobs\":[\"$job\"]}" "$session"
}
before=$(pdfs)
failover_release signed1 site-signed
check "site, signed printer: printed by the site" wait_job "$job" "$session" \
  '.state == "printed" and .last_release.deliverer == "site"'
pdf=$(ls -t "$spool_dir"/*.pdf 2>/dev/null | head -1)
check "site, signed printer: byte-identical" ok '[ "$(pdfs)" = $((before + 1)) ] && cmp -s "$doc" "$pdf"'
kill -CONT "$pid_workstation"
failover_release rogue site-rogue
check "site, the cloud's device: held again, the site's reason" wait_job "$job" "$session" \
  '.state == "held" and .last_release.deliverer == "site" and (.reason | test("not on a printer list the site signed"))'
check "site, the cloud's device: 127.0.0.2 received nothing" [ "$(received rogue)" = 0 ]
check "site, the cloud's device: the fetched copy is removed from the site's cache" \
  wait_until 50 ok '[ -z "$(ls "$tmp/site/cache/fetched")" ]'
kill -CONT "$pid_workstation"

# 8. a site whose clock once ran a day ahead: the list it signed then has a
# version a day ahead, and the print scout keeps it. Restarted with the
# right clock, the site must sign above that version (it reads it back from
# the cloud), or every scout refuses its new lists as replays for a day
ahead=$(($(date +%s%3N) + 86400000))
kill "$site_pid"
wait "$site_pid" 2>/dev/null
envelope=$("$bin/printer_list_seal" "$secret_file" "$tenant" "$site_id" "$ahead" \
  "$(stored_list | jq -c .printers)")
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$ca_file" --cert "$tmp/site/site.crt" \
  --key "$tmp/site/site.key" -X PUT -H 'Content-Type: application/json' -d "$envelope" \
  "$cloud_url/api/v1/site/printer-list")
check "the list the site signed a day ahead is stored (200: $code)" [ "$code" = 200 ]
restart_workstation() { # it fetches the lists at start; $fetches: the count before
  fetches=$(fetched)
  kill "$pid_workstation"
  wait "$pid_workstation" 2>/dev/null
  stack_print_scout workstation "$demo_email" >/dev/null || { echo "the workstation did not restart"; exit 1; }
}
kept_version() { jq '.lists[0].list | @base64d | fromjson | .version' "$tmp/workstation/printer-lists.json"; }
restart_workstation
check "the print scout keeps the list a day ahead" \
  wait_until 100 ok '[ "$(fetched)" -gt "$fetches" ] && [ "$(kept_version)" = "$ahead" ]'
stack_site_restart || { echo "the site did not restart"; exit 1; }
stack_srctl device add signed2 --uri "ipp://127.0.0.1:$printer_port/ipp/print" >/dev/null
check "restarted, the site signs signed2 in a list above the day-ahead version" \
  wait_until 150 ok '[ "$(stored_list | jq .version)" -gt "$ahead" ] && signed_devices | grep -q signed2'
restart_workstation
check "and the print scout takes that list" \
  wait_until 100 ok '[ "$(fetched)" -gt "$fetches" ] && [ "$(kept_version)" -gt "$ahead" ]'

# 9. a print scout with neither printers: nor printer_lists does not start
sed -e '/^printer_lists:/d' "$tmp/workstation/scout.yaml" >"$tmp/workstation/bare.yaml"
out=$("$bin/sr-print-scout" --config "$tmp/workstation/bare.yaml" 2>&1)
rc=$?
check "without printers or printer_lists: the scout says what to set" \
  ok '[ $rc = 1 ] && grep -q "set .printer_lists." <<<"$out"'

checks_done
