#!/usr/bin/env bash
# Hold expiry, warnings and retention on the real stack, with hold times of
# seconds (the cloud's hold_time_min lowered, as only tests and demos do):
#   A. a held job's owner is warned once before it expires (a notification,
#      and a mail through an SMTP sink), also with a second cloud instance
#      sweeping the same database; at expiry it leaves the panel, a release
#      gets a clear answer, and the print scout's file is gone;
#   B. with the cloud stopped, a running print scout deletes an announced
#      job at the expiry the cloud gave it, and an unannounced one after its
#      own hold_time;
#   C. a print scout stopped when its job expired deletes the file when it
#      starts again, with the cloud stopped: it kept the expiry beside the file;
#   D. with retention 0, ended jobs' metadata and notifications are deleted.
# usage: hold_expiry.sh BIN_DIR PLUGIN_DIR SOURCE_DIR
set -u
bin=$1 plugins=$2 src=$3
source "$src/tests/support/stack_test.sh" expiry
cleanup_more() {
  kill -CONT "${cloud_pid:-0}" 2>/dev/null
  [ -n "${smtp_pid:-}" ] && kill "$smtp_pid" 2>/dev/null && wait "$smtp_pid" 2>/dev/null
}
source "$src/tests/support/panel.sh"

# an SMTP sink (STARTTLS with the stack's certificate) for the warnings
source "$src/tests/support/smtp.sh"
stack_pki "$tmp/pki"
smtp_sink_start
export STACK_HOLD_TIME_MIN=5s
export STACK_CLOUD_SMTP="{url: \"smtp://localhost:$smtp_port\", ca_file: \"$tmp/pki/root.crt\", from: print@example.com}"
# a region that keeps only a keyed hash of titles, for the warning's mail
export STACK_REGIONS='regions:
  - {name: home, storage: local, prefix: home/}
  - {name: private, storage: local, prefix: private/, privacy: {title: hash}}'
stack_start "$tmp" "$bin" "$plugins" || { echo "the stack did not start"; exit 1; }
stack_wait_listen "$smtp_port" || echo "the SMTP sink did not start"
doc=$src/tests/data/three-pages.pdf
store=$tmp/workstation/store/jobs

submit() { # QUEUE TITLE
  "$bin/srctl" submit "$doc" --queue "$1" --title "$2" >/dev/null
}
job_id() { # TITLE -> the cloud's id of the job (its file's name at the scout)
  stack_srctl jobs --json | jq -r --arg t "$1" '.jobs[] | select(.title == $t) | .id'
}
job_state() { # ID
  stack_srctl jobs --json | jq -r --arg i "$1" '.jobs[] | select(.id == $i) | .state'
}
announced() { # TITLE: the cloud holds it and the scout saved its expiry
  local id
  id=$(job_id "$1")
  [ -n "$id" ] && [ -f "$store/$id.expiry" ]
}
listed() { # ID SESSION: the panel lists the job
  panel GET /api/v1/panel/jobs "" "$2"
  [ "$code" = 200 ] && echo "$body" | jq -e --arg i "$1" 'any(.jobs[]; .id == $i)' >/dev/null
}
not_listed() { panel GET /api/v1/panel/jobs "" "$2" && [ "$code" = 200 ] && ! listed "$1" "$2"; }
warnings_for() { # ID: expiry warnings recorded for the job
  stack_srctl notifications --json |
    jq --arg i "$1" '[.notifications[] | select(.job == $i and .kind == "expiry_warning")] | length'
}
warned() { [ "$(warnings_for "$1")" -ge 1 ]; }
mailed() { # ID
  stack_srctl notifications --json | jq -e --arg i "$1" 'any(.notifications[]; .job == $i and .mailed)' >/dev/null
}
mails_about() { grep -rl "$1" "$tmp/mail/box/new" 2>/dev/null | wc -l; }
gone() { [ ! -e "$1" ]; }
cloud_is() { [ "$(job_state "$1")" = "$2" ]; }

# the floor: below hold_time_min is refused, with the range
stack_srctl settings set hold_time=4s >"$tmp/out" 2>&1
check "a hold time below the operator's floor is refused, naming the range" \
  ok "[ $? != 0 ] && grep -q 'from 5 to 604800 seconds' '$tmp/out'"
# (short: jobs A, B and D each wait out the hold time)
stack_srctl settings set hold_time=8s expiry_warning=5s >/dev/null
check "hold_time 8 s and a warning 5 s before expiry are set" \
  ok "[ \"\$(stack_srctl settings show --json | jq -c '[.hold_time, .expiry_warning, .retention]')\" = '[8,5,7776000]' ]"
login printer1 "$demo_card"
alice=$session
# a second cloud instance on the same database and broker: both sweep
sed "s/port: ${cloud_url##*:}}/port: 0}/" "$tmp/cloud/cloud.yaml" >"$tmp/cloud/cloud2.yaml"
stack_spawn cloud2 "$tmp/cloud/log2" "$bin/sr-cloud" --config "$tmp/cloud/cloud2.yaml" \
  >"$tmp/cloud/out2" 2>>"$tmp/cloud/log2"
cloud2_pid=$stack_last_pid
cloud2_url=$(stack_wait_line "$tmp/cloud/out2" api)
check "a second cloud instance runs beside the first" \
  ok "[ -n '$cloud2_url' ] && [ '${cloud2_url##*:}' != '${cloud_url##*:}' ]"

# A. warned once, expired, gone everywhere
submit "$queue_workstation" "Expiring report A"
wait_until 100 announced "Expiring report A"
check "job A is announced, and the scout keeps its expiry beside the file" [ $? = 0 ]
a=$(job_id "Expiring report A")
panel GET "/api/v1/panel/jobs/$a" "" "$alice"
check "the panel shows when job A expires" ok "[ \"$(field .expires_at)\" != null ] && [ -n \"$(field .expires_at)\" ]"
wait_until 150 warned "$a"
check "the owner is warned (a notification)" [ $? = 0 ]
check "before expiry: job A is still listed at the panel" listed "$a" "$alice"
wait_until 150 mailed "$a"
check "and mailed through the SMTP sink" ok "mailed $a && [ \"\$(mails_about 'Expiring report A')\" = 1 ]"
grep -rl "Expiring report A" "$tmp/mail/box/new" 2>/dev/null | xargs -r cat >"$tmp/mail-a"
check "the mail goes to the owner and says when" \
  ok "grep -q 'To: <$demo_email>' '$tmp/mail-a' && grep -q 'Subject: Your held print job expires at' '$tmp/mail-a'"
wait_until 200 not_listed "$a" "$alice"
check "at expiry job A leaves the panel's list" [ $? = 0 ]
panel POST /api/v1/panel/release "{\"jobs\":[\"$a\"]}" "$alice"
check "releasing job A answers that it expired, with the reason" \
  ok "[ '$code' = 202 ] && [ \"\$(field '.releases[0].state')\" = expired ] && field '.releases[0].reason' | grep -q 'hold time'"
panel POST /api/v1/panel/release '{"all":true}' "$alice"
check "print all releases nothing" ok "[ '$code' = 202 ] && [ \"\$(field '.releases | length')\" = 0 ]"
check "the cloud has job A expired" cloud_is "$a" expired
wait_until 100 gone "$store/$a.srjob"
check "the scout's file of job A is gone, and its expiry sidecar" ok "gone '$store/$a.srjob' && gone '$store/$a.expiry'"
check "nothing was printed" [ "$(pdfs)" = 0 ]
# no more warnings can come for an expired job: one, and one mail
check "job A was warned once, and mailed once" \
  ok "[ \"\$(warnings_for $a)\" = 1 ] && [ \"\$(mails_about 'Expiring report A')\" = 1 ]"

# the second instance must not answer for the first below
kill "$cloud2_pid"
wait "$cloud2_pid" 2>/dev/null

# A2. a job of a region that keeps no title: the warning's mail says the
# title was not kept, not the keyed hash the cloud stores instead
alice_id=$(stack_srctl user list --json | jq -r --arg e "$demo_email" '.users[] | select(.email == $e) | .id')
stack_srctl user set "$alice_id" --region private >/dev/null
submit "$queue_workstation" "Hashed report A2"
hashed_job() { # the id of the job whose title is not kept, once announced
  h=$(stack_srctl jobs --json | jq -r '.jobs[] | select(.title_kept == false) | .id')
  [ -n "$h" ] && [ -f "$store/$h.expiry" ]
}
check "job A2 is announced in the region that hashes titles" wait_until 100 hashed_job
check "its owner is mailed a warning" wait_until 150 mailed "$h"
check "the mail says the title was not kept, not its hash" \
  ok "[ \"\$(mails_about '(title not kept)')\" = 1 ] && [ \"\$(mails_about 'hmac-sha256')\" = 0 ]"
stack_srctl user set "$alice_id" --region none >/dev/null

# B. the cloud stopped: the running scout enforces expiry itself
STACK_SCOUT_HOLD_TIME=6s stack_print_scout laptop "$demo_email" >/dev/null ||
  { echo "the second scout did not start"; exit 1; }
submit "$queue_workstation" "Expiring report B"
wait_until 100 announced "Expiring report B"
check "job B is announced with its expiry" [ $? = 0 ]
b=$(job_id "Expiring report B")
kill -STOP "$cloud_pid"
submit "$queue_laptop" "Never announced C" # the cloud cannot be told
check "the unannounced job is held at the laptop" ok "ls '$tmp/laptop/store/jobs/'*.srjob >/dev/null 2>&1"
wait_until 200 gone "$store/$b.srjob"
check "with the cloud stopped, job B's file is deleted at its expiry" [ $? = 0 ]
check "by the scout itself" grep -q "job [0-9]* expired: its file jobs/$b.srjob is deleted" "$tmp/workstation/log"
no_laptop_jobs() { ! ls "$tmp/laptop/store/jobs/"*.srjob >/dev/null 2>&1; }
wait_until 150 no_laptop_jobs
check "the unannounced job is deleted after the laptop's own hold_time (6 s)" [ $? = 0 ]
kill -CONT "$cloud_pid"
wait_until 100 cloud_is "$b" expired
check "the cloud, back, has job B expired too" [ $? = 0 ]

# C. the scout stopped at expiry, back while the cloud is stopped
submit "$queue_workstation" "Expiring report D"
wait_until 100 announced "Expiring report D"
check "job D is announced with its expiry" [ $? = 0 ]
d=$(job_id "Expiring report D")
kill "$pid_workstation"
wait "$pid_workstation" 2>/dev/null
wait_until 200 cloud_is "$d" expired
check "job D expires at the cloud while its scout is stopped" [ $? = 0 ]
check "its file is still there (no one could delete it)" [ -f "$store/$d.srjob" ]
kill -STOP "$cloud_pid"
stack_print_scout workstation "$demo_email" >/dev/null || { echo "the scout did not restart"; exit 1; }
wait_until 100 gone "$store/$d.srjob"
check "restarted with the cloud stopped, the scout deletes job D's file itself" [ $? = 0 ]
check "and says so" grep -q "job [0-9]* expired: its file jobs/$d.srjob is deleted" "$tmp/workstation/log"
kill -CONT "$cloud_pid"

# D. retention 0: ended jobs' metadata goes (the cloud keeps a job until its
# scout has been told to delete the file)
stack_srctl settings set retention=0 >/dev/null
no_rows() { [ "$(stack_srctl jobs --json | jq '.jobs | length')" = 0 ]; }
wait_until 300 no_rows
check "with retention 0 the expired jobs' rows are deleted" [ $? = 0 ]
check "and their notifications" ok "[ \"\$(stack_srctl notifications --json | jq '.notifications | length')\" = 0 ]"

checks_done
