#!/usr/bin/env bash
# Deferred cloud copies before the computer sleeps: the print scout holds a
# logind delay inhibitor lock and, when logind announces a sleep, uploads
# the held jobs not due yet before it lets go. logind is played by
# tests/support/logind_mock.py on a private D-Bus (the scout's system bus
# here), which counts the copies stored at the moment the lock is released.
# usage: cloud_copy_sleep.sh BIN_DIR PLUGIN_DIR SOURCE_DIR
set -u
bin=$1 plugins=$2 src=$3
source "$src/tests/support/stack_test.sh" copy-sleep
cleanup_more() {
  [ -n "${mock_pid:-}" ] && kill "$mock_pid" 2>/dev/null
  [ -n "${bus_pid:-}" ] && kill "$bus_pid" 2>/dev/null
}
blobs=$tmp/cloud/blobs

dbus-daemon --session --address="unix:path=$tmp/system_bus" --nofork --nopidfile >"$tmp/bus.log" 2>&1 &
bus_pid=$!
wait_until 100 test -S "$tmp/system_bus" || { echo "dbus-daemon did not start"; cat "$tmp/bus.log"; exit 1; }
/usr/bin/python3 "$src/tests/support/logind_mock.py" "unix:path=$tmp/system_bus" "$blobs" >"$tmp/mock.out" 2>&1 &
mock_pid=$!
wait_until 100 grep -q '^ready' "$tmp/mock.out" || { echo "the logind mock did not start"; cat "$tmp/mock.out"; exit 1; }

export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$tmp/system_bus
export STACK_CLOUD_COPY=deferred # copy_after: its default, 30 minutes
stack_start "$tmp" "$bin" "$plugins" || { echo "the stack did not start"; exit 1; }
ws=$tmp/workstation
check "the scout takes a delay lock on sleep and shutdown" \
  wait_until 100 grep -q '^inhibit sleep:shutdown|securerelease print scout|.*|delay$' "$tmp/mock.out"

cloud_job_ids() { stack_srctl jobs --json | jq -r '.jobs[] | select(.state == "held") | .id'; }
python3 "$src/tests/support/make_pdf.py" "before sleep" >"$tmp/doc.pdf"
"$bin/srctl" submit "$tmp/doc.pdf" --queue "$queue_workstation" --title "Before sleep" --format application/pdf >/dev/null
announced() { [ -n "$(cloud_job_ids)" ]; }
check "the job is announced to the cloud" wait_until 100 announced
job=$(cloud_job_ids | head -1)

kill -USR1 "$mock_pid" # logind: PrepareForSleep(true)
check "the scout lets the computer sleep (releases its lock) within logind's 5 s" \
  wait_until 50 grep -q '^released' "$tmp/mock.out"
check "  after the held job's copy was stored (not due for 30 minutes)" \
  grep -q '^released files=1$' "$tmp/mock.out"
check "  the copy is the workstation's job file" cmp -s "$blobs/$tenant/$job" "$ws/store/jobs/$job.srjob"
check "  the job is still held at the workstation" [ -s "$ws/store/jobs/$job.srjob" ]
kill -USR2 "$mock_pid" # resumed
check "after the resume it takes a new lock" \
  wait_until 100 bash -c "[ \$(grep -c '^inhibit sleep:shutdown' '$tmp/mock.out') = 2 ]"
checks_done
