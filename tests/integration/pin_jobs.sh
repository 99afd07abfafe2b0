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
# SQLite whatever the run says (scripts/test.sh): it reads the SQLite file's dump (.dump)
export STACK_DATABASE=sqlite
bin=$1 plugins=$2 src=$3
source "$src/tests/support/stack_test.sh" pin
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
wait_listed() { # SESSION N: until the panel lists N jobs (10 s at most)
  for _ in $(seq 200); do
    panel GET /api/v1/panel/jobs "" "$1"
    [ "$(field '.jobs | length')" = "$2" ] && return
    sleep 0.05
  done
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
wait_listed "$session" 4
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

# 5b. "print all" with a PIN when the PIN jobs have different PINs: the
# plain job and the PIN job it matches print, the other stays held; as it
# matched one, it is not counted against the user
job_titled "$session" "pin job"
last_job=$job
check "ipptool: a PIN job with another PIN" \
  ipptool -q -T 10 -d "pin=$other_pin" -d title=pin-b -f "$doc" "$queue_workstation" "$ipp/pin-job.test"
"$bin/srctl" submit "$doc" --queue "$queue_workstation" --title plain2 --format application/pdf >/dev/null
wait_listed "$session" 3
job_titled "$session" pin-b
pin_b=$job
job_titled "$session" plain2
plain2=$job
panel POST /api/v1/panel/release "{\"all\":true,\"pin\":\"$other_pin\"}" "$session"
check "print all with one PIN of two: 202" [ "$code" = 202 ]
check "  the job with that PIN and the plain job are released" \
  [ "$(field "[.releases[] | select(.state == \"releasing\") | .job] | sort | join(\",\")")" = \
    "$(printf '%s\n' "$pin_b" "$plain2" | sort | paste -sd,)" ]
check "  the job with the other PIN stays held: job_pin_wrong" \
  [ "$(field ".releases[] | select(.job == \"$last_job\") | .state + \" \" + .reason")" = "held job_pin_wrong" ]
check "  and print all says none were left beyond its limit" [ "$(field .remaining)" = 0 ]
check "  the matched PIN job printed" wait_job "$pin_b" "$session" '.state == "printed"'
check "  the plain job printed" wait_job "$plain2" "$session" '.state == "printed"'
panel POST /api/v1/panel/release '{"all":true,"pin":"99999999"}' "$session"
check "print all with a PIN that matches none: 202, the PIN job held (job_pin_wrong)" \
  [ "$code" = 202 -a "$(field '[.releases[] | select(.state == "held" and .reason == "job_pin_wrong")] | length')" = 1 ]

# 6. wrong PINs count towards the lockout: 5 (the stack's lockout.attempts)
# within the lockout period lock the user out, even with the right PIN. A
# right PIN does not clear the count: 3 were wrong so far (steps 3 and 5,
# and the print all that matched none), a right PIN came between them, and
# the print all that matched one PIN did not count
for i in 1 2 3 4 5; do
  panel POST /api/v1/panel/release "{\"jobs\":[\"$last_job\"],\"pin\":\"$other_pin\"}" "$session"
  [ "$code" = 403 ] || break
done
check "two more wrong PINs: 403, then 429" [ "$code" = 429 -a "$i" = 3 ]
panel POST /api/v1/panel/release "{\"jobs\":[\"$last_job\"],\"pin\":\"$pin\"}" "$session"
check "then locked out: 429 even with the right PIN" [ "$code" = 429 -a "$(field .error.code)" = locked_out ]
check "  with Retry-After" bash -c "grep -qi '^retry-after: [1-9]' <<<'$headers'"
panel GET "/api/v1/panel/jobs/$last_job" "" "$session"
check "  and the job is still held" [ "$(field .state)" = held ]
check "nothing more was printed" [ "$(pdfs)" = 5 ]

# 7. a restarted scout still knows the job needs its PIN (the keyed hash is
# in the job file's encrypted job information)
kill "$pid_workstation"
wait "$pid_workstation" 2>/dev/null
stack_print_scout workstation "$demo_email" >/dev/null || echo "the scout did not restart"
check "after a restart the PIN job is recovered" grep -q "1 held job(s) recovered" "$tmp/workstation/log"
ipptool -tv -T 10 "$queue_workstation" get-jobs.test >"$tmp/jobs-after.txt"
check "  and still waits for its PIN (job-password-wait)" \
  grep -q 'job-state-reasons (keyword) = job-password-wait' "$tmp/jobs-after.txt"

# 8. guessing at someone else's PIN job (attack10 #1): a delegate who
# releases PIN jobs of his own between guesses, and a second delegate,
# together get lockout.attempts wrong PINs at the job per period, no more
alice=$session
stack_srctl user add --email eve@example.com --tenant other >"$tmp/tenant.out" 2>&1
check "srctl user add --tenant of another tenant: exit 1" [ $? = 1 ]
check "  saying whose the token is" grep -q "the token is tenant $tenant's" "$tmp/tenant.out"
stack_srctl user list >"$tmp/users.txt"
check "  and no user was added (alice listed, eve not)" \
  bash -c "grep -q '$demo_email' '$tmp/users.txt' && ! grep -q eve@ '$tmp/users.txt'"
for who in bob:555000111 carol:555000222; do
  stack_srctl user add --email "${who%%:*}@example.com" --card "${who#*:}" \
    --secret-file "$secret_file" --tenant "$tenant" >/dev/null
  panel POST /api/v1/panel/delegations "{\"delegate\":\"${who%%:*}@example.com\"}" "$alice"
done
stack_print_scout bobws bob@example.com >/dev/null || echo "bob's scout did not start"
check "ipptool: alice's PIN job to guess at" \
  ipptool -q -T 10 -d "pin=$pin" -d title=victim -f "$doc" "$queue_workstation" "$ipp/pin-job.test"
for n in 1 2; do
  ipptool -q -T 10 -d "pin=$other_pin" -d "title=bob-$n" -f "$doc" "$queue_bobws" "$ipp/pin-job.test"
done
login printer1 555000111
bob=$session
wait_listed "$bob" 4 # alice's two held PIN jobs and bob's two
victim=$(field '.jobs[] | select(.title == "victim") | .id')
mapfile -t own < <(field '.jobs[] | select(.title | startswith("bob-")) | .id')
check "bob sees alice's PIN job and his own two" [ -n "$victim" -a "${#own[@]}" = 2 ]
codes=
for n in 0 1 2; do # a wrong guess, then one of his own PIN jobs with its right PIN
  panel POST /api/v1/panel/release "{\"jobs\":[\"$victim\"],\"pin\":\"1000000$n\"}" "$bob"
  codes+=" $code"
  [ "$n" = 2 ] && break
  panel POST /api/v1/panel/release "{\"jobs\":[\"${own[n]}\"],\"pin\":\"$other_pin\"}" "$bob"
  codes+="/$code"
done
check "bob: three wrong guesses, his own PIN jobs released between them" [ "$codes" = " 403/202 403/202 403" ]
login printer1 555000222
carol=$session
codes=
for n in 3 4 5; do
  panel POST /api/v1/panel/release "{\"jobs\":[\"$victim\"],\"pin\":\"1000000$n\"}" "$carol"
  codes+=" $code"
done
check "carol: two more wrong guesses, then the job is locked (429)" [ "$codes" = " 403 403 429" ]
panel POST /api/v1/panel/release "{\"jobs\":[\"$victim\"],\"pin\":\"$pin\"}" "$bob"
check "then even the right PIN from bob (3 wrong of his own) gets 429" [ "$code" = 429 -a "$(field .error.code)" = locked_out ]
panel GET "/api/v1/panel/jobs/$victim" "" "$alice"
check "  and the job is still held" [ "$(field .state)" = held ]
login printer1 "$demo_card"
check "wrong job PINs at printer1 do not lock logins there" [ "$code" = 201 ]

# 9. a PIN comes once, with the job's creation: two job-password
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

# 10. the PIN never leaves the site in clear: not in any log, not in the
# cloud's database, neither as digits nor as its plain SHA-256
stack_stop
# every file the stack wrote (logs, outputs, job stores, spool), the
# database aside: it is checked below, as SQL text
check "the stack wrote logs to search (control)" [ -s "$tmp/cloud/log" -a -s "$tmp/workstation/log" ]
check "the PIN is in no file of the stack" \
  bash -c "! grep -rqsa --exclude='cloud.db*' -e '$pin' -e '$other_pin' '$tmp'"
check "nor its SHA-256" bash -c "! grep -rqsa --exclude='cloud.db*' -e '$pin_sha' -e '$other_sha' '$tmp'"
sqlite3 "$tmp/cloud/cloud.db" .dump >"$tmp/cloud.db.sql"
check "the cloud database holds seven PIN hashes (control)" \
  [ "$(sqlite3 "$tmp/cloud/cloud.db" "SELECT count(*) FROM jobs WHERE pin_hash IS NOT NULL")" = 7 ]
check "the PIN is not in the cloud database" bash -c "! grep -q -e '$pin' -e '$other_pin' '$tmp/cloud.db.sql'"
check "nor its SHA-256" bash -c "! grep -q -e '$pin_sha' -e '$other_sha' '$tmp/cloud.db.sql'"
checks_done
