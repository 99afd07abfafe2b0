#!/usr/bin/env bash
# What the user's own computer shows: Debian's CUPS as the client of the
# print scout's queue, as a user adds it (`lpadmin -m everywhere`, `lp`,
# `lpstat`, `cancel`), with a private cupsd on 127.0.0.1 (never the
# machine's CUPS) and the whole stack behind it. docs/clients.md says why:
# CUPS's ipp backend stops following a job that is `pending-held` (the CUPS
# job completes at once) and follows a `pending` one until it ends.
#  1. default (held_jobs_as: pending-held): CUPS shows the job completed
#     while it is held at the queue, and the panel lists it.
#  2. held_jobs_as: pending: `lpstat -W not-completed` lists the job while
#     it is held, with the reason job-release-wait; released at the panel,
#     CUPS shows it completed.
#  3. the price: one job at a time per CUPS queue; the next one waits in
#     CUPS, not at the queue, until the one before ends.
#  4. `cancel` at CUPS deletes the held job: the panel no longer lists it.
# usage: cups_client.sh BIN_DIR PLUGIN_DIR SOURCE_DIR (as root: cupsd runs its backends as lp)
set -u
bin=$1 plugins=$2 src=$3
source "$src/tests/support/stack_test.sh" cups
source "$src/scripts/lib/cups.sh"
cups_dir=
# cupsd (a stack service) ends before its directory goes; stack_stop is
# idempotent, so the one after this one finds nothing left to stop
cleanup_more() {
  stack_stop
  [ -n "${KEEP:-}" ] || rm -rf "$cups_dir"
}
[ "$(id -u)" = 0 ] || { echo "cups_client.sh needs root (cupsd runs its backends as lp)"; exit 1; }

stack_start "$tmp" "$bin" "$plugins" || { echo "the stack did not start"; exit 1; }
STACK_HELD_JOBS_AS=pending stack_print_scout follower "$demo_email" >/dev/null ||
  { echo "the second scout did not start"; exit 1; }
cups_start || { echo "cupsd did not start"; exit 1; }
lpadmin -h "$cups_host" -p sr-held -E -v "$queue_workstation" -m everywhere
check "lpadmin -m everywhere adds the default queue" [ $? = 0 ]
lpadmin -h "$cups_host" -p sr-follow -E -v "$queue_follower" -m everywhere
check "lpadmin -m everywhere adds the queue with held_jobs_as: pending" [ $? = 0 ]
doc=$src/tests/data/three-pages.pdf

# panel METHOD PATH [BODY] [SESSION]: sets $code and $body
panel() {
  local args=(-sS --cacert "$ca_file" -o "$tmp/resp" -w '%{http_code}' -X "$1" "$panel_url$2")
  [ -n "${3:-}" ] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
  [ -n "${4:-}" ] && args+=(-H "Authorization: Bearer $4")
  code=$(curl "${args[@]}" 2>"$tmp/curl.err") || code=000
  body=$(cat "$tmp/resp" 2>/dev/null)
}
panel POST /api/v1/panel/sessions "{\"device\":\"printer1\",\"card\":\"$demo_card\"}"
session=$(echo "$body" | jq -r .session)
check "card login at the panel" [ "$code" = 201 ]
held_id() { # TITLE: the panel's id of the held job with that title, or nothing
  panel GET /api/v1/panel/jobs "" "$session"
  echo "$body" | jq -r --arg t "$1" '.jobs[] | select(.title == $t and .state == "held") | .id'
}
wait_held() { # TITLE -> $job
  for _ in $(seq 200); do job=$(held_id "$1") && [ -n "$job" ] && return 0; sleep 0.05; done
  return 1
}
submit() { # QUEUE TITLE -> $cups_job (CUPS's job id)
  cups_job=$(lp -h "$cups_host" -d "$1" -t "$2" "$doc" | sed -n 's/^request id is .*-\([0-9]*\) .*/\1/p')
}
cups_state() { # JOB: CUPS's job-state keyword
  ipptool -tv "ipp://$cups_host/jobs/$1" get-job-attributes.test 2>/dev/null |
    awk -F' = ' '/ job-state \(enum\)/ {print $2; exit}'
}
cups_reasons() { # JOB: CUPS's job-state-reasons
  ipptool -tv "ipp://$cups_host/jobs/$1" get-job-attributes.test 2>/dev/null |
    awk -F' = ' '/ job-state-reasons \(/ {print $2; exit}'
}
printer_reasons() { # QUEUE: CUPS's printer-state-reasons
  ipptool -tv "ipp://$cups_host/printers/$1" get-printer-attributes.test 2>/dev/null |
    awk -F' = ' '/ printer-state-reasons \(/ {print $2; exit}'
}
# The CUPS backend polls with growing pauses (1..11 s): 60 s is ample.
wait_cups_state() { # JOB STATE...
  local job=$1 s
  shift
  for _ in $(seq 600); do
    s=$(cups_state "$job")
    for want in "$@"; do [ "$s" = "$want" ] && return 0; done
    sleep 0.1
  done
  echo "  CUPS job $job stayed $s, not $*"
  return 1
}
not_completed() { lpstat -h "$cups_host" -W not-completed -o "$1" | grep -c "^$1-$2 "; }

# 1. default: pending-held, CUPS stops following and calls the job completed
submit sr-held "held-1"
check "lp to the default queue gives a CUPS job id" [ -n "$cups_job" ]
wait_held "held-1"
check "the panel lists the job held" [ -n "$job" ]
wait_cups_state "$cups_job" completed
check "default queue: CUPS shows the held job completed (its backend stops on pending-held)" [ $? = 0 ]
check "default queue: lpstat -W not-completed does not list it" [ "$(not_completed sr-held "$cups_job")" = 0 ]
check "default queue: the job is still held at the panel after CUPS finished with it" \
  [ "$(held_id "held-1")" = "$job" ]
panel DELETE "/api/v1/panel/jobs/$job" "" "$session"

# 2. held_jobs_as: pending: CUPS follows the held job until it is released
submit sr-follow "follow-1"
first=$cups_job
wait_held "follow-1"
check "pending queue: the panel lists the job held" [ -n "$job" ]
# The backend enters its waiting loop (printer reason
# cups-waiting-for-job-completed) and asks for the job's state at once; a
# pending-held answer would end it there (section 1). Its monitor thread
# asks a second later and passes job-release-wait on to the CUPS job: after
# that, the waiting loop has had its answer too.
for _ in $(seq 600); do
  [[ "$(printer_reasons sr-follow)" == *cups-waiting-for-job-completed* ]] && break
  sleep 0.1
done
check "pending queue: the CUPS backend waits for the job to complete" \
  ok '[[ "$(printer_reasons sr-follow)" == *cups-waiting-for-job-completed* ]]'
for _ in $(seq 600); do [[ "$(cups_reasons "$first")" == *job-release-wait* ]] && break; sleep 0.1; done
check "pending queue: CUPS shows the reason job-release-wait" \
  ok '[[ "$(cups_reasons "$first")" == *job-release-wait* ]]'
check "pending queue: lpstat -W not-completed lists the held job" [ "$(not_completed sr-follow "$first")" = 1 ]
check "pending queue: CUPS shows it processing" [ "$(cups_state "$first")" = processing ]
check "pending queue: the queue still holds it" [ "$(held_id "follow-1")" = "$job" ]

# 3. while follow-1 is followed, CUPS keeps the next job to itself
submit sr-follow "follow-2"
second=$cups_job
check "pending queue: the next job waits in CUPS, pending" [ "$(cups_state "$second")" = pending ]
check "pending queue: lpstat -W not-completed lists both" \
  [ "$(not_completed sr-follow "$first")$(not_completed sr-follow "$second")" = 11 ]

panel POST /api/v1/panel/release "{\"jobs\":[\"$job\"]}" "$session"
check "release at the panel is accepted" [ "$code" = 202 -o "$code" = 200 ]
wait_cups_state "$first" completed
check "pending queue: released and printed, CUPS shows the job completed" [ $? = 0 ]
wait_held "follow-2"
check "pending queue: then CUPS sends the next job, and the panel lists it held" [ -n "$job" ]

# 4. cancel at CUPS reaches the held job: deleted, and gone from the panel
wait_cups_state "$second" processing
for _ in $(seq 600); do [[ "$(cups_reasons "$second")" == *job-release-wait* ]] && break; sleep 0.1; done
cancel -h "$cups_host" "sr-follow-$second"
check "cancel at CUPS is accepted" [ $? = 0 ]
for _ in $(seq 300); do [ -z "$(held_id "follow-2")" ] && break; sleep 0.1; done
check "cancel at CUPS deletes the held job: the panel no longer lists it" [ -z "$(held_id "follow-2")" ]
panel GET "/api/v1/panel/jobs/$job" "" "$session"
check "the panel answers the deleted job as gone or deleted" \
  ok '[ "$code" = 404 ] || [ "$(echo "$body" | jq -r .state)" != held ]'
check "the queue logs the deletion by the spooler's user" \
  grep -q "deleted by its owner" "$tmp/follower/log"
wait_cups_state "$second" canceled
check "CUPS shows the canceled job canceled" [ $? = 0 ]

checks_done
