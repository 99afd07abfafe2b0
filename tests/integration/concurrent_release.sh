#!/usr/bin/env bash
# Ten releases failing at once, each for its own reason (issue 9): ten held
# jobs, and ten release commands published together on the scout's MQTT
# topic (as the cloud sends them), each to a printer URI on a port where
# nothing listens, a distinct port per job, through three transports (ipp,
# socket, ipps). The scout's release threads run them side by side; each
# job's `failed` event must carry its own transport's "cannot connect to
# 127.0.0.1:PORT" with its own port and no other job's. A plugin's reason
# kept in one buffer per plugin (before issue 9) hands one call's text to
# another; per call it cannot. Every job is held again afterwards.
# usage: concurrent_release.sh BIN_DIR PLUGIN_DIR SOURCE_DIR
set -u
bin=$1 plugins=$2 src=$3
source "$src/tests/support/checks.sh"
source "$src/tests/support/users.sh"
source "$src/tests/support/broker.sh"
users_setup "$src" concurrent-release
n=10
start_broker "$src" || { echo "0 passed, 1 failed"; exit 1; }

SCOUT_EXTRA="$(scout_mqtt_config scout-a)
transports:
  - plugin: ipps
  - plugin: ipp
  - plugin: raw
printers: [127.0.0.1]"
source "$src/tests/support/scout.sh"
start_scout "$bin" "$plugins" t1 || { echo "0 passed, 1 failed"; exit 1; }
pids+=("$scout_pid")
evt=sr/v1/t1/scouts/scout-a/evt
cmd=sr/v1/t1/scouts/scout-a/cmd
check "the scout is online (retained presence)" \
  bash -c "timeout 10 mosquitto_sub $(printf '%q ' "${cloud[@]}") -t sr/v1/t1/scouts/scout-a/presence -C 1 | grep -qx online"

# ten held jobs
for i in $(seq "$n"); do
  ipptool -q -T 10 -f "$doc" -d claim=root -d title="release $i" "$uri" "$t/users-print.test" ||
    echo "submission $i failed"
done
mapfile -t jobs < <(ls "$tmp/store/jobs" 2>/dev/null | sed -n 's/\.srjob$//p')
check "ten jobs held in the store" [ "${#jobs[@]}" = "$n" ]

# a distinct closed port per job: bound once by free_port, so free, and kept distinct
ports=()
while [ "${#ports[@]}" -lt "$n" ]; do
  p=$(free_port)
  [[ " ${ports[*]} " == *" $p "* ]] || ports+=("$p")
done
uri_of() { # INDEX: the printer URI of release INDEX (1..n), its scheme by turns
  local p=${ports[$(($1 - 1))]}
  case $(($1 % 3)) in
  0) echo "ipp://127.0.0.1:$p/ipp/print" ;;
  1) echo "socket://127.0.0.1:$p" ;;
  2) echo "ipps://127.0.0.1:$p/ipp/print" ;;
  esac
}
plugin_of() { local names=(ipp raw ipps); echo "${names[$(($1 % 3))]}"; } # INDEX: its transport

# the cloud listens first: -d shows the SUBACK, the positive signal that the
# subscription is in place (stdbuf: line-buffered, or it shows only at the
# end); 2 events per release (printing, failed)
timeout 60 stdbuf -oL mosquitto_sub -d "${cloud[@]}" -t "$evt" -C $((2 * n)) >"$tmp/events.txt" 2>&1 &
sub=$!
within() { # SECS COMMAND...: polls every 0.05 s
  local end=$((SECONDS + $1)); shift
  until "$@"; do [ "$SECONDS" -lt "$end" ] || return 1; sleep 0.05; done
}
check "the cloud's subscription is acknowledged" within 10 grep -q 'received SUBACK' "$tmp/events.txt"

# all ten commands at once
pubs=()
for i in $(seq "$n"); do
  mosquitto_pub "${cloud[@]}" -t "$cmd" \
    -m "{\"type\":\"release\",\"release\":\"r$i\",\"job\":\"${jobs[$((i - 1))]:-none}\",\"printer\":{\"uris\":[\"$(uri_of "$i")\"]},\"deadline\":$(($(date +%s) + 60))}" &
  pubs+=($!)
done
for p in "${pubs[@]}"; do wait "$p"; done
check "all twenty events arrive (within 60 s)" wait "$sub"
grep '^{' "$tmp/events.txt" >"$tmp/evt.json"

for i in $(seq "$n"); do
  grep "\"release\":\"r$i\"" "$tmp/evt.json" | grep '"state":"failed"' >"$tmp/failed-$i.json"
  check "release r$i: one failed event" [ "$(wc -l <"$tmp/failed-$i.json")" = 1 ]
  check "release r$i: for its own job" grep -q "\"job\":\"${jobs[$((i - 1))]:-none}\"" "$tmp/failed-$i.json"
  check "release r$i: its own reason ($(plugin_of "$i"): cannot connect to its port ${ports[$((i - 1))]})" \
    grep -q "[\" ]$(plugin_of "$i"): cannot connect to 127.0.0.1:${ports[$((i - 1))]}[: ]" "$tmp/failed-$i.json"
  others=0
  for j in $(seq "$n"); do
    [ "$j" = "$i" ] || ! grep -q "127.0.0.1:${ports[$((j - 1))]}" "$tmp/failed-$i.json" || others=$((others + 1))
  done
  check "release r$i: no other job's port in its reason" [ "$others" = 0 ]
done

for id in $(seq "$n"); do
  check "job $id is held again" ipptool -q -T 10 -d job="$id" -d state=4 "$uri" "$t/job-state.test"
done
check "the store still holds ten job files" \
  [ "$(find "$tmp/store/jobs" -name '*.srjob' | wc -l)" = "$n" ]
kill "$scout_pid"
check "the scout stops cleanly" wait "$scout_pid"
# the scout's own account of a failure (a sanitizer's report goes there too)
[ "$failed" = 0 ] || tail -n 60 "$tmp/scout.log"
checks_done
