#!/usr/bin/env bash
# PIN jobs (PWG 5100.11, EPX) end to end on the full stack (scripts/lib/stack.sh):
# a job printed with a job-password is refused at the panel without the PIN
# and with a wrong one, and released byte-identical with the right one, for
# both encodings (none: the digits; sha2-256: their SHA-256). "Print all"
# without the PIN prints the other jobs and keeps the PIN job held. Wrong
# PINs count towards the lockout (429 with Retry-After). A restarted scout
# still holds the PIN job as one. The PIN, and its
# plain SHA-256, appear in no log and not in the cloud's database.
# usage: pin_jobs.sh BIN_DIR PLUGIN_DIR SOURCE_DIR
set -u
bin=$1 plugins=$2 src=$3
tmp=$(mktemp -d /tmp/sr-test-pin-XXXXXX)
export STACK_QUIET=1
source "$src/scripts/lib/stack.sh"
cleanup() {
  stack_stop
  [ -n "${KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
source "$src/tests/support/checks.sh"
source "$src/tests/support/panel.sh"

stack_start "$tmp" "$bin" "$plugins" || { echo "the stack did not start"; exit 1; }
doc=$src/tests/data/three-pages.pdf
ipp=$src/tests/data/ipp
pin=48151623      # eight digits: no chance of turning up in an id by accident
pin_sha=$(printf %s "$pin" | sha256sum | cut -c1-64)
other_pin=27182818
other_sha=$(printf %s "$other_pin" | sha256sum | cut -c1-64)
queue_port=${queue_workstation##*:}
queue_port=${queue_port%%/*}

job_titled() { # SESSION TITLE -> $job
  panel GET /api/v1/panel/jobs "" "$1"
  job=$(echo "$body" | jq -r --arg t "$2" '[.jobs[] | select(.title == $t)][0].id')
}
newest_pdf() { ls -t "$spool_dir"/*.pdf | head -1; }

# 1. PIN jobs (the PIN in clear, and as its SHA-256) and a plain one
check "ipptool: a job with job-password (none) is held for its PIN" \
  ipptool -q -T 10 -d "pin=$pin" -d title=clear -f "$doc" "$queue_workstation" "$ipp/pin-job.test"
for n in 1 2; do # two: one to release, one to try wrong PINs on
  python3 "$src/tests/support/queue_probe.py" pinjob "$queue_port" sha2-256 "$pin_sha" "$doc" >"$tmp/sha$n.txt"
  check "a job with job-password (sha2-256) is held: successful-ok" grep -q '^status=0x0000 job-id=[1-9]' "$tmp/sha$n.txt"
done
"$bin/srctl" submit "$doc" --queue "$queue_workstation" --title plain --format application/pdf >/dev/null

login printer1 "$demo_card"
check "card login: 201" [ "$code" = 201 ]
for _ in $(seq 200); do
  panel GET /api/v1/panel/jobs "" "$session"
  [ "$(field '.jobs | length')" = 4 ] && break
  sleep 0.05
done
check "the panel lists the four jobs" [ "$(field '.jobs | length')" = 4 ]
check "three need a PIN, the plain one does not" \
  [ "$(field '[.jobs[] | select(.pin_required)] | length')" = 3 -a \
    "$(field '.jobs[] | select(.title == "plain") | .pin_required')" = false ]
job_titled "$session" clear
clear_job=$job
sha_job=$(field '[.jobs[] | select(.title == "pin job")][0].id')
plain_job=$(field '.jobs[] | select(.title == "plain") | .id')

# 2. without the PIN: refused, nothing printed
panel POST /api/v1/panel/release "{\"jobs\":[\"$clear_job\"]}" "$session"
check "release without the PIN: 403 job_pin_required" [ "$code" = 403 -a "$(field .error.code)" = job_pin_required ]
# 3. with a wrong PIN: refused, counted
panel POST /api/v1/panel/release "{\"jobs\":[\"$clear_job\"],\"pin\":\"$other_pin\"}" "$session"
check "release with a wrong PIN: 403 job_pin_wrong" [ "$code" = 403 -a "$(field .error.code)" = job_pin_wrong ]
panel POST /api/v1/panel/release "{\"jobs\":[\"$clear_job\"],\"pin\":\"48a1\"}" "$session"
check "a PIN that is not digits: 400" [ "$code" = 400 -a "$(field .error.code)" = invalid ]
panel POST /api/v1/panel/release "{\"jobs\":[\"$clear_job\"],\"pin_hash\":\"$pin_sha\"}" "$session"
check "a hash from the panel is not taken: 400 unknown_field" [ "$code" = 400 -a "$(field .error.code)" = unknown_field ]
check "nothing was printed" [ "$(pdfs)" = 0 ]
panel GET "/api/v1/panel/jobs/$clear_job" "" "$session"
check "the job is still held" [ "$(field .state)" = held ]

# 4. "print all" without a PIN: the plain job prints, the PIN jobs wait
panel POST /api/v1/panel/release '{"all":true}' "$session"
check "print all: 202 with three PIN jobs held for their PIN" \
  [ "$code" = 202 -a "$(field '[.releases[] | select(.state == "held" and .reason == "job_pin_required")] | length')" = 3 ]
check "  and the plain job printed" wait_job "$plain_job" "$session" '.state == "printed"'
check "  byte-identical" cmp -s "$doc" "$(newest_pdf)"

# 5. the right PIN: released and printed byte-identical, both encodings
panel POST /api/v1/panel/release "{\"jobs\":[\"$clear_job\"],\"pin\":\"$pin\"}" "$session"
check "release with the right PIN: 202 releasing" [ "$code" = 202 -a "$(field '.releases[0].state')" = releasing ]
check "the PIN job (none) printed" wait_job "$clear_job" "$session" '.state == "printed"'
check "  byte-identical" cmp -s "$doc" "$(newest_pdf)"
panel POST /api/v1/panel/release "{\"jobs\":[\"$sha_job\"]}" "$session"
check "the sha2-256 job without the PIN: 403 job_pin_required" [ "$code" = 403 -a "$(field .error.code)" = job_pin_required ]
panel POST /api/v1/panel/release "{\"jobs\":[\"$sha_job\"],\"pin\":\"$other_pin\"}" "$session"
check "the sha2-256 job with a wrong PIN: 403 job_pin_wrong" [ "$code" = 403 -a "$(field .error.code)" = job_pin_wrong ]
panel POST /api/v1/panel/release "{\"jobs\":[\"$sha_job\"],\"pin\":\"$pin\"}" "$session"
check "the sha2-256 job with the right PIN: 202" [ "$code" = 202 ]
check "the PIN job (sha2-256) printed" wait_job "$sha_job" "$session" '.state == "printed"'
check "  byte-identical" cmp -s "$doc" "$(newest_pdf)"
check "three documents printed in all" [ "$(pdfs)" = 3 ]

# 6. wrong PINs count towards the lockout: after 5 (the stack's
# lockout.attempts) the user is locked out, even with the right PIN
job_titled "$session" "pin job"
last_job=$job
for i in 1 2 3 4 5; do
  panel POST /api/v1/panel/release "{\"jobs\":[\"$last_job\"],\"pin\":\"$other_pin\"}" "$session"
  [ "$code" = 403 ] || break
done
check "five wrong PINs in a row: each 403" [ "$code" = 403 -a "$i" = 5 ]
panel POST /api/v1/panel/release "{\"jobs\":[\"$last_job\"],\"pin\":\"$pin\"}" "$session"
check "then locked out: 429 even with the right PIN" [ "$code" = 429 -a "$(field .error.code)" = locked_out ]
check "  with Retry-After" bash -c "grep -qi '^retry-after: [1-9]' <<<'$headers'"
panel GET "/api/v1/panel/jobs/$last_job" "" "$session"
check "  and the job is still held" [ "$(field .state)" = held ]
check "nothing more was printed" [ "$(pdfs)" = 3 ]

# 7. a restarted scout still knows the job needs its PIN (the keyed hash is
# in the job file's encrypted job information)
kill "$pid_workstation"
wait "$pid_workstation" 2>/dev/null
stack_print_scout workstation "$demo_email" >/dev/null || echo "the scout did not restart"
check "after a restart the PIN job is recovered" grep -q "1 held job(s) recovered" "$tmp/workstation/log"
ipptool -tv -T 10 "$queue_workstation" get-jobs.test >"$tmp/jobs-after.txt"
check "  and still waits for its PIN (job-password-wait)" \
  grep -q 'job-state-reasons (keyword) = job-password-wait' "$tmp/jobs-after.txt"

# 8. a PIN comes once, with the job's creation: two job-password
# attributes are refused, and so is one in a Send-Document after a
# Create-Job without it (the job would wait without its PIN)
probe="python3 $src/tests/support/queue_probe.py"
queue_port=${queue_workstation##*:} # the restarted scout's
queue_port=${queue_port%%/*}
$probe pintwice "$queue_port" "$pin" "$other_pin" "$doc" >"$tmp/twice.txt"
check "two job-password attributes: client-error-bad-request, listed, no job" \
  grep -qx 'status=0x0400 job-id=0 unsupported=job-password' "$tmp/twice.txt"
$probe pinlate "$queue_port" "" "$doc" >"$tmp/late-control.txt"
check "Create-Job, then Send-Document without a PIN: successful-ok (control)" \
  grep -qE '^send: status=0x0000 job-id=[1-9][0-9]* unsupported=-$' "$tmp/late-control.txt"
$probe pinlate "$queue_port" "$pin" "$doc" >"$tmp/late.txt"
check "Create-Job without a PIN: successful-ok" grep -qE '^create: status=0x0000 job-id=[1-9]' "$tmp/late.txt"
check "  then Send-Document with job-password: refused (0x040b), listed" \
  grep -qE '^send: status=0x040b job-id=0 unsupported=job-password$' "$tmp/late.txt"

# 9. the PIN never leaves the site in clear: not in any log, not in the
# cloud's database, neither as digits nor as its plain SHA-256
stack_stop
# every file the stack wrote (logs, outputs, job stores, spool), the
# database aside: it is checked below, as SQL text
check "the stack wrote logs to search (control)" [ -s "$tmp/cloud/log" -a -s "$tmp/workstation/log" ]
check "the PIN is in no file of the stack" \
  bash -c "! grep -rqsa --exclude='cloud.db*' -e '$pin' -e '$other_pin' '$tmp'"
check "nor its SHA-256" bash -c "! grep -rqsa --exclude='cloud.db*' -e '$pin_sha' -e '$other_sha' '$tmp'"
sqlite3 "$tmp/cloud/cloud.db" .dump >"$tmp/cloud.db.sql"
check "the cloud database holds three PIN hashes (control)" \
  [ "$(sqlite3 "$tmp/cloud/cloud.db" "SELECT count(*) FROM jobs WHERE pin_hash IS NOT NULL")" = 3 ]
check "the PIN is not in the cloud database" bash -c "! grep -q -e '$pin' -e '$other_pin' '$tmp/cloud.db.sql'"
check "nor its SHA-256" bash -c "! grep -q -e '$pin_sha' -e '$other_sha' '$tmp/cloud.db.sql'"
checks_done
