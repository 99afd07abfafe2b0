#!/usr/bin/env bash
# Announcing held jobs never holds up a print scout's release commands
# (issue 9). Jobs are printed while the cloud is down, so the scout holds
# them unannounced; then the cloud hangs (SIGSTOP: its TCP port accepts,
# nothing answers) and the broker restarts, so the scout reconnects and
# starts announcing them into the hung cloud. A release sent to the scout
# over MQTT meanwhile must print at once. Once the cloud answers again the
# jobs reach it through the scout's retry timer, without another reconnect.
# usage: announce_offloop.sh BIN_DIR PLUGIN_DIR SOURCE_DIR
set -u
bin=$1 plugins=$2 src=$3
source "$src/tests/support/stack_test.sh" announce
# the scout's first retry of a failed announcement, shortened from its
# default (15 s): section 4 waits for it
export STACK_SCOUT_ANNOUNCE_RETRY=2s
# a cloud the test stopped (SIGSTOP) must go on to end
cleanup_more() { kill -CONT "${cloud_pid:-0}" 2>/dev/null; }

stack_start "$tmp" "$bin" "$plugins" || { echo "the stack did not start"; exit 1; }
doc=$src/tests/data/three-pages.pdf
log=$tmp/workstation/log
store=$tmp/workstation/store/jobs
count() { grep -c "$1" "$log"; }
more_than() { [ "$(count "$1")" -gt "$2" ]; }
cloud_jobs() { stack_srctl jobs --json | jq -r '.jobs[].id' 2>/dev/null; }

# 1. three jobs printed while the cloud is down: held, not announced
kill "$cloud_pid"
wait "$cloud_pid" 2>/dev/null
for title in first second third; do
  "$bin/srctl" submit "$doc" --queue "$queue_workstation" --title "$title" --format application/pdf >/dev/null
done
check "three jobs held at the scout" [ "$(ls "$store" | wc -l)" = 3 ]
# the announcer tries them as they are held, and gives up at the first
# job the down cloud does not take
check "not announced (the cloud is down)" wait_until 100 more_than 'job [0-9]* not announced to the cloud yet' 0

# 2. the cloud comes back hung, and the broker restarts under the scout
: >"$tmp/cloud/out"
stack_cloud_start
kill -STOP "$cloud_pid"
connects=$(count 'connected to the broker')
retries=$(count 'retrying in')
broker_pid=$(cat "$tmp/broker/pid")
kill "$broker_pid"
wait "$broker_pid" 2>/dev/null
mosquitto -c "$tmp/broker/mosquitto.conf" >>"$tmp/broker/log" 2>&1 &
stack_pids+=($!)
stack_wait_listen "$mqtt_port" || { echo "mosquitto did not restart"; exit 1; }
check "the scout reconnects to the broker" wait_until 100 more_than 'connected to the broker' "$connects"
scout_id=$(sed -n 's/.*connected to the broker as \([^" ]*\).*/\1/p' "$log" | tail -1)

# 3. a release over MQTT while the announcements hang: acted on at once
mqtt=(--cafile "$ca_file" --cert "$tmp/pki/cloud-mqtt.crt" --key "$tmp/pki/cloud-mqtt.key"
  -h localhost -p "$mqtt_port" -V mqttv5 -q 1)
topic=sr/v1/$tenant/scouts/$scout_id
timeout 30 mosquitto_sub "${mqtt[@]}" -v -t "$topic/presence" -t "$topic/evt" >"$tmp/mqtt.out" &
sub=$!
# the scout publishes presence right after it subscribes to its commands
check "the scout is online again within 2 s" wait_until 20 grep -q "^$topic/presence online" "$tmp/mqtt.out"
job=$(ls "$store" | head -1)
job=${job%.srjob}
mosquitto_pub "${mqtt[@]}" -t "$topic/cmd" -m "{\"type\":\"release\",\"release\":\"r-offloop\",\"job\":\"$job\",\"printer\":{\"uris\":[\"ipp://localhost:$printer_port/ipp/print\"]},\"deadline\":$(($(date +%s) + 60))}"
check "the release is printing within 2 s" wait_until 20 grep -q '"release":"r-offloop".*"state":"printing"' "$tmp/mqtt.out"
check "and printed" wait_until 150 grep -q '"release":"r-offloop".*"state":"printed"' "$tmp/mqtt.out"
check "the printer got the document byte-identical" cmp -s "$doc" "$(ls "$spool_dir"/*.pdf 2>/dev/null | head -1)"
check "while the announcements were still hanging" [ "$(count 'announced to the cloud"')" = 0 ]
kill "$sub" 2>/dev/null

# 4. the hung batch gives up; the cloud answers again; the retry timer
# announces the two jobs still held, with no new broker connection
check "the announcements give up and are retried later" wait_until 200 more_than 'retrying in' "$retries"
kill -CONT "$cloud_pid"
held=$(ls "$store" | sed 's/\.srjob$//' | sort)
check "two jobs still held" [ "$(echo "$held" | wc -l)" = 2 ]
announced() { [ "$(cloud_jobs | sort | grep -cxF "$held")" = 2 ]; }
check "both reach the cloud" wait_until 400 announced
check "without another broker connection" [ "$(count 'connected to the broker')" = $((connects + 1)) ]

kill "$scout_pid"
wait "$scout_pid"
check "the scout stops cleanly" [ $? = 0 ]
checks_done
