#!/usr/bin/env bash
# Failover release (docs/storage.md, "Document handling and failover"), on
# the whole stack: the tenant's document_handling says who may print a
# released job after its workstation (origin). The origin here is stopped
# with SIGSTOP, so the broker still lists it online (its keep-alive is a
# minute): the cloud must move on because it does not answer, within
# seconds, not at the broker's will. The origin, continued, receives the
# release command after its deadline and drops it: it prints nothing, and
# deletes its file when the job was printed elsewhere. The next deliverer
# is the site service (document_handling site) or another user's
# workstation that serves others (crowdsource), printing from the job's
# cloud copy, checking the printer over SNMP first; with [origin] alone
# (personal) nothing changes.
# usage: failover.sh BIN_DIR PLUGIN_DIR SOURCE_DIR
set -u
bin=$1 plugins=$2 src=$3
source "$src/tests/support/stack_test.sh" failover
export STACK_SCOUT_KEEPALIVE=60s # the will would fire after 90 s
cleanup_more() { kill -CONT "${pid_workstation:-0}" 2>/dev/null; }
source "$src/tests/support/panel.sh"

# the cloud's release_ack_timeout, shortened from its default (5 s): the
# test waits it out once per failover (the least it may be is 2 s)
ack=3
export STACK_RELEASE_ACK_TIMEOUT=${ack}s

stack_start "$tmp" "$bin" "$plugins" || { echo "the stack did not start"; exit 1; }
doc=$src/tests/data/three-pages.pdf

newest_job() { # SESSION -> $job (the newest held job)
  panel GET /api/v1/panel/jobs "" "$1"
  job=$(echo "$body" | jq -r '.jobs[0].id')
}
store_files() { ls "$tmp/$1/store/jobs" 2>/dev/null | grep -c '\.srjob$'; }  # job files (not their expiry)

# 1. the setting: [origin] by default (the stack sets [origin, site]); a
# list, text or `personal`; refused with a clear reason otherwise
SR_CLOUD_URL=$cloud_url SR_CLOUD_CA=$ca_file SR_TOKEN_FILE=$tmp/cloud/operator-token \
  "$bin/srctl" tenant create other --token-out "$tmp/other-token" >/dev/null
check "a new tenant's document_handling is [origin]" \
  [ "$(SR_CLOUD_URL=$cloud_url SR_CLOUD_CA=$ca_file SR_TOKEN_FILE=$tmp/other-token "$bin/srctl" settings show --json | jq -c .document_handling)" = '["origin"]' ]
check "the stack's is [origin, site]" \
  [ "$(stack_srctl settings show --json | jq -c .document_handling)" = '["origin","site"]' ]
check "set as text: origin,site" \
  [ "$(stack_srctl settings set document_handling=origin,site --json | jq -c .document_handling)" = '["origin","site"]' ]
check "personal is [origin]" \
  [ "$(stack_srctl settings set document_handling=personal --json | jq -c .document_handling)" = '["origin"]' ]
out=$(stack_srctl settings set 'document_handling=["origin","origin"]' 2>&1)
rc=$?
check "a deliverer twice: refused, the choices named" \
  ok '[ $rc != 0 ] && grep -q "each at most once" <<<"$out" && grep -q "crowdsource" <<<"$out"'
out=$(stack_srctl settings set document_handling=cloud 2>&1)
check "an unknown deliverer: refused" ok 'grep -q "origin site crowdsource" <<<"$out"'
check "and nothing changed" \
  [ "$(stack_srctl settings show --json | jq -c .document_handling)" = '["origin"]' ]
check "the site service is online over MQTT (a deliverer)" \
  ok '[ "$(stack_srctl scout list --json | jq ".scouts[] | select(.kind == \"site\") | .online")" = 1 ]'

# 2. [origin, site] without a cloud copy: the stopped origin does not answer,
# the site has nothing to print from: failed within seconds, with both reasons
stack_srctl settings set document_handling=origin,site cloud_copy=off >/dev/null
"$bin/srctl" submit "$doc" --queue "$queue_workstation" --title nocopy --format application/pdf >/dev/null
login printer1 "$demo_card"
alice=$session
newest_job "$alice"
kill -STOP "$pid_workstation"
start=$SECONDS
panel POST /api/v1/panel/release "{\"jobs\":[\"$job\"]}" "$alice"
check "the stopped origin still looks online: releasing" [ "$(field '.releases[0].state')" = releasing ]
check "held again with both reasons" wait_job "$job" "$alice" \
  '.state == "held" and (.reason | test("did not answer within '$ack' s")) and (.reason | test("no cloud copy"))'
took=$((SECONDS - start))
echo "  no copy: released to failed in $took s"
check "decided within $((ack + 3)) s ($took s), not at the broker's will" [ "$took" -le $((ack + 3)) ]
kill -CONT "$pid_workstation"
check "the origin, continued, drops the command past its deadline" \
  wait_until 100 grep -q "job $job: dropped, received [0-9]* s after its deadline" "$tmp/workstation/log"
check "it printed nothing" [ "$(pdfs)" = 0 ]
check "and still holds the job" [ "$(store_files workstation)" = 1 ]
panel POST /api/v1/panel/release "{\"jobs\":[\"$job\"]}" "$alice"
check "released again, the origin prints it" wait_job "$job" "$alice" \
  '.state == "printed" and .last_release.deliverer == "origin"'

# the workstation's uploader has stored job $job's copy (cloud_copy
# immediate): the cloud says so once it has recorded it
has_copy() { grep -q "job $job: cloud copy stored" "$tmp/cloud/log"; }
# the settings ippeveprinter saw for the newest document, and the document
newest_pdf() { ls -t "$spool_dir"/*.pdf 2>/dev/null | head -1; }
# the origin, continued, has dropped release $release and deleted its file
origin_forgot() { # SCOUT_NAME
  grep -q "$release job $job: dropped, received [0-9]* s after its deadline" "$tmp/$1/log" &&
    [ ! -e "$tmp/$1/store/jobs/$job.srjob" ]
}

# release_stopped: with the workstation stopped, alice releases job $job
# (sets $before, the documents at the printer until then, and $release)
release_stopped() {
  before=$(pdfs)
  kill -STOP "$pid_workstation"
  panel POST /api/v1/panel/release "{\"jobs\":[\"$job\"]}" "$alice"
  release=$(field '.releases[0].release')
}
# continue_origin LABEL: the workstation, continued, drops release $release
continue_origin() {
  kill -CONT "$pid_workstation"
  check "$1: the origin, continued, drops the release" \
    wait_until 150 grep -q "$release job $job: dropped, received [0-9]* s after its deadline" "$tmp/workstation/log"
}

# fail_over DELIVERER DIR SETTINGS: with the workstation stopped, a job with
# a cloud copy is released with SETTINGS (JSON) and printed by DELIVERER
# (its files in DIR) within seconds, byte-identical; the workstation,
# continued, prints nothing and deletes its file. Sets $pdf for the
# settings' checks.
fail_over() {
  local deliverer=$1 dir=$2 settings=$3 before start took
  "$bin/srctl" submit "$doc" --queue "$queue_workstation" --title "failover-$deliverer" \
    --format application/pdf >/dev/null
  newest_job "$alice"
  check "$deliverer: the workstation uploaded its copy" wait_until 150 has_copy
  before=$(pdfs)
  kill -STOP "$pid_workstation"
  start=$SECONDS
  panel POST /api/v1/panel/release "{\"jobs\":[\"$job\"],\"settings\":$settings}" "$alice"
  release=$(field '.releases[0].release')
  check "$deliverer: printed by it" wait_job "$job" "$alice" \
    ".state == \"printed\" and .last_release.deliverer == \"$deliverer\""
  took=$((SECONDS - start))
  echo "  $deliverer: released to printed in $took s (release_ack_timeout $ack s)"
  check "$deliverer: within $((ack + 5)) s ($took s): the broker's will would take 90" \
    [ "$took" -le $((ack + 5)) ]
  pdf=$(newest_pdf)
  check "$deliverer: one document more at the printer, byte-identical" \
    ok '[ "$(pdfs)" = $((before + 1)) ] && cmp -s "$doc" "$pdf"'
  check "$deliverer: it fetched the copy and printed it" \
    ok 'grep -q "$release job $job: waiting: fetching the job.s cloud copy" "$dir/log" && grep -q "$release job $job: printed" "$dir/log"'
  check "$deliverer: its cache is empty again" \
    ok '[ -d "$dir/cache/fetched" ] && [ -z "$(ls "$dir/cache/fetched")" ]'
  kill -CONT "$pid_workstation"
  check "$deliverer: the origin, continued, drops the release and deletes its file" \
    wait_until 150 origin_forgot workstation
  check "$deliverer: the origin printed nothing" \
    ok '[ "$(pdfs)" = $((before + 1)) ] && ! grep -q "$release job $job: printing" "$tmp/workstation/log"'
  panel GET "/api/v1/panel/jobs/$job" "" "$alice"
  check "$deliverer: the job stays printed" [ "$(field .state)" = printed ]
  check "$deliverer: the cloud keeps no copy of a printed job" \
    wait_until 100 bash -c "[ -z \"\$(find '$tmp/cloud/blobs' -name '*$job*' 2>/dev/null)\" ]"
}

# 3. [origin, site] with a cloud copy: the site service prints it, with the
# settings asked for at the panel
stack_srctl settings set cloud_copy=immediate >/dev/null
fail_over site "$tmp/site" '{"copies":2,"sides":"two-sided-long-edge"}'
check "with 2 copies, two-sided long edge" \
  ok 'grep -qx IPP_COPIES=2 "$pdf.env" && grep -qx IPP_SIDES=two-sided-long-edge "$pdf.env"'

# 3b. the stopped workstation, had it printed after all, would not be
# believed: an event from a scout that no longer holds the release is
# counted and dropped (here published with the workstation's certificate)
ws_id=$(stack_srctl scout list --json | jq -r '.scouts[] | select(.name == "workstation") | .id')
mosquitto_pub --cafile "$ca_file" -h localhost -p "$mqtt_port" -V mqttv5 -q 1 \
  --cert "$tmp/workstation/scout.crt" --key "$tmp/workstation/scout.key" -i stale-test \
  -t "sr/v1/$tenant/scouts/$ws_id/evt" \
  -m "{\"type\":\"release\",\"release\":\"$release\",\"job\":\"$job\",\"state\":\"failed\",\"reason\":\"stale\"}"
check "a former holder's event is counted as stale" \
  wait_until 100 grep -q "scout $ws_id in the last .* 1 for releases another deliverer holds now" "$tmp/cloud/log"
panel GET "/api/v1/panel/jobs/$job" "" "$alice"
check "and changes nothing: the job stays printed by the site" \
  [ "$(field .state)/$(field .last_release.deliverer)" = printed/site ]

# 3c. under load nothing fails over that need not: "print all" of 20 jobs
# with the workstation up prints each exactly once, all by the workstation
for i in $(seq 20); do
  "$bin/srctl" submit "$doc" --queue "$queue_workstation" --title "load-$i" --format application/pdf >/dev/null
done
for _ in $(seq 150); do
  panel GET /api/v1/panel/jobs "" "$alice"
  [ "$(field '[.jobs[] | select(.title | startswith("load-"))] | length')" = 20 ] && break
  sleep 0.1
done
before=$(pdfs)
panel POST /api/v1/panel/release '{"all":true}' "$alice"
check "print all: 20 releases" [ "$(field '[.releases[] | select(.state == "releasing")] | length')" = 20 ]
all_printed() {
  [ "$(stack_sql "SELECT count(*) FROM jobs j JOIN releases r ON r.id = j.release_id WHERE j.title LIKE 'load-%' AND j.state = 'printed' AND r.deliverer = 'origin'")" = 20 ]
}
check "all 20 printed by the workstation" wait_until 300 all_printed
check "the printer got exactly 20, none twice" wait_until 50 ok '[ "$(pdfs)" = $((before + 20)) ]'
check "the site was asked for none of them" [ "$(grep -c "fetching the job" "$tmp/site/log")" = 1 ]

# 3d. the site checks the printer over SNMP like a workstation: one that
# reports no paper is not sent to, the job is held again with the
# printer's reason, the site's cache is emptied, and the job, still at its
# workstation, prints from there later
stack_device_no_paper empty-tray
"$bin/srctl" submit "$doc" --queue "$queue_workstation" --title no-paper --format application/pdf >/dev/null
newest_job "$alice"
check "no paper: the workstation uploaded its copy" wait_until 150 has_copy
before=$(pdfs)
kill -STOP "$pid_workstation"
login empty-tray "$demo_card"
panel POST /api/v1/panel/release "{\"jobs\":[\"$job\"]}" "$session"
release=$(field '.releases[0].release')
check "no paper: held again with the printer's reason, from the site" wait_job "$job" "$session" \
  '.state == "held" and (.reason | test("no paper")) and .last_release.deliverer == "site"'
check "no paper: nothing reached the printer" [ "$(pdfs)" = "$before" ]
check "no paper: the site's cache is emptied" \
  wait_until 50 ok '[ -z "$(ls "$tmp/site/cache/fetched")" ]'
kill -CONT "$pid_workstation"
check "no paper: the origin, continued, drops the release" \
  wait_until 150 grep -q "$release job $job: dropped, received [0-9]* s after its deadline" "$tmp/workstation/log"
check "and still holds the job" [ -e "$tmp/workstation/store/jobs/$job.srjob" ]
panel POST /api/v1/panel/release "{\"jobs\":[\"$job\"]}" "$alice"
check "released at a printer with paper, the workstation prints it" wait_job "$job" "$alice" \
  '.state == "printed" and .last_release.deliverer == "origin"'

# 3e. a copy swapped in storage for another job's (both decrypt under the
# site key: the job information names no job) is refused when served, so
# the site prints nothing rather than another document than the one
# released. The storage here serves job B's file under job A's key.
newest_titled() { # TITLE: $job is the newest held job, once it has that title
  newest_job "$alice"
  [ "$(echo "$body" | jq -r '.jobs[0].title')" = "$1" ]
}
other=$tmp/other.pdf
{ cat "$doc"; printf '%% another job\n'; } >"$other"
"$bin/srctl" submit "$other" --queue "$queue_workstation" --title swapped-in --format application/pdf >/dev/null
check "swap: job B is held" wait_until 100 newest_titled swapped-in
other_job=$job
check "swap: job B's copy is stored" wait_until 150 has_copy
"$bin/srctl" submit "$doc" --queue "$queue_workstation" --title swapped-out --format application/pdf >/dev/null
check "swap: job A is held" wait_until 100 newest_titled swapped-out
check "swap: job A's copy is stored" wait_until 150 has_copy
blob=$(find "$tmp/cloud/blobs" -type f -name "$job*")
other_blob=$(find "$tmp/cloud/blobs" -type f -name "$other_job*")
check "swap: both copies are files of the cloud's storage" ok '[ -f "$blob" ] && [ -f "$other_blob" ]'
cp "$other_blob" "$blob"
release_stopped
check "swap: held again, the copy refused as not job A's" wait_job "$job" "$alice" \
  '.state == "held" and (.reason | test("not the one uploaded for it")) and .last_release.deliverer == "site"'
check "swap: nothing reached the printer" [ "$(pdfs)" = "$before" ]
check "swap: the cloud logs the mismatch" \
  grep -q "job $job: the copy in storage (key [^)]*) is not the file uploaded for this job" "$tmp/cloud/log"
continue_origin swap
panel POST /api/v1/panel/release "{\"jobs\":[\"$job\", \"$other_job\"]}" "$alice"
check "swap: released again, the workstation prints job A" wait_job "$job" "$alice" \
  '.state == "printed" and .last_release.deliverer == "origin"'
check "swap: and job B" wait_job "$other_job" "$alice" '.state == "printed"'

# 4. [origin, crowdsource]: bob's workstation serves others and prints
# alice's job from its copy; the site service is not asked. Only once the
# administrator allowed it: its own configuration (its presence "online
# serve-others") does not make a workstation receive other users' jobs
stack_srctl settings set document_handling=origin,crowdsource >/dev/null
stack_srctl user add --email bob@example.com --name "Bob" --card 555000111 \
  --secret-file "$secret_file" --tenant "$tenant" >/dev/null
STACK_SERVE_OTHERS=1 stack_print_scout bobws bob@example.com >/dev/null || { echo "bob's scout did not start"; exit 1; }
bob_id=$(stack_srctl scout list --json | jq -r '.scouts[] | select(.name == "bobws") | .id')
bob_online() { stack_srctl scout list --json | jq -e '.scouts[] | select(.name == "bobws") | .online == 1' >/dev/null; }
check "bob's workstation is online, announcing that it serves others" wait_until 100 bob_online
check "but it is not allowed to: serve_others 0 in the list" \
  [ "$(stack_srctl scout list --json | jq '.scouts[] | select(.name == "bobws") | .serve_others')" = 0 ]
"$bin/srctl" submit "$doc" --queue "$queue_workstation" --title not-allowed --format application/pdf >/dev/null
newest_job "$alice"
check "not allowed: the workstation uploaded its copy" wait_until 150 has_copy
release_stopped
check "not allowed: held again, no workstation that serves others" wait_job "$job" "$alice" \
  '.state == "held" and (.reason | test("no workstation that serves others is online"))'
check "not allowed: bob's workstation was not asked, fetched nothing" \
  ok '! grep -q "$release" "$tmp/bobws/log" && [ -z "$(ls "$tmp/bobws/cache/fetched" 2>/dev/null)" ] && [ "$(pdfs)" = "$before" ]'
continue_origin "not allowed"
out=$(stack_srctl scout set "$bob_id" --serve-others maybe 2>&1)
rc=$?
check "--serve-others takes yes or no" ok '[ $rc != 0 ] && grep -q "yes or no" <<<"$out"'
site_id=$(stack_srctl scout list --json | jq -r '.scouts[] | select(.kind == "site") | .id')
out=$(stack_srctl scout set "$site_id" --serve-others yes 2>&1)
check "only a print scout serves others" ok 'grep -q "only a print scout serves others" <<<"$out"'
check "the administrator allows bob's workstation" \
  ok 'stack_srctl scout set "$bob_id" --serve-others yes | grep -q "serves others: allowed"'
panel POST /api/v1/panel/release "{\"jobs\":[\"$job\"]}" "$alice"
check "released again, the workstation prints it" wait_job "$job" "$alice" \
  '.state == "printed" and .last_release.deliverer == "origin"'
fail_over crowdsource "$tmp/bobws" '{"copies":3}'
check "with 3 copies" grep -qx IPP_COPIES=3 "$pdf.env"
check "bob's own store is untouched" [ -z "$(ls "$tmp/bobws/store/jobs" 2>/dev/null)" ]
check "the site service was not asked" ok '! grep -q "$release" "$tmp/site/log"'

# 5. [origin] alone (personal): a workstation that is off fails the release
# at once with today's reason, even with a copy and others online
stack_srctl settings set document_handling=personal >/dev/null
"$bin/srctl" submit "$doc" --queue "$queue_workstation" --title personal --format application/pdf >/dev/null
newest_job "$alice"
check "the workstation uploaded its copy" wait_until 150 has_copy
kill "$pid_workstation"
wait "$pid_workstation" 2>/dev/null
for _ in $(seq 100); do
  stack_srctl scout list --json | jq -e '.scouts[] | select(.name == "workstation") | .online == 0' >/dev/null && break
  sleep 0.1
done
before=$(pdfs)
panel POST /api/v1/panel/release "{\"jobs\":[\"$job\"]}" "$alice"
check "failed at once: the workstation is offline" \
  ok '[ "$(field ".releases[0].state")" = failed ] && field ".releases[0].reason" | grep -q "is offline; release it again once that computer is on"'
check "and nobody printed it" [ "$(pdfs)" = "$before" ]

checks_done
