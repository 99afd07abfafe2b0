#!/usr/bin/env bash
# Secure release end to end, with every real peer on 127.0.0.1: mosquitto
# (TLS, client certificates, ACLs), sr-cloud (SQLite), the site service's
# panel API, print scouts enrolled with one-time tokens, ippeveprinter (IPP
# and IPPS), snmpd and a RAW sink. A job submitted with ipptool is released
# through the panel API and comes out byte-identical with the requested
# settings; then the failure paths: fallback IPPS -> IPP -> RAW, a printer
# in error, a scout offline, a cloud restart mid-release, another user's
# jobs, another scout's topics, bad panel input, and what the cloud stores.
# usage: release_e2e.sh BIN_DIR PLUGIN_DIR SOURCE_DIR
set -u
bin=$1 plugins=$2 src=$3
source "$src/tests/support/stack_test.sh" e2e
export STACK_RELEASE_TIMEOUT=10s
# the workstation alone prints its jobs (failover has a test of its own)
export STACK_DOCUMENT_HANDLING=origin
cleanup_more() { kill -CONT "${pid_workstation:-0}" 2>/dev/null; }
source "$src/tests/support/panel.sh"

stack_start "$tmp" "$bin" "$plugins" || { echo "the stack did not start"; exit 1; }
doc=$src/tests/data/three-pages.pdf
marker=securerelease-test-marker-7f3a9c

newest_job() { # SESSION -> $job (the newest held job)
  panel GET /api/v1/panel/jobs "" "$1"
  job=$(echo "$body" | jq -r '.jobs[0].id')
}
wait_presence() { # SCOUT_NAME 0|1: until the cloud sees it offline / online
  for _ in $(seq 300); do
    stack_srctl scout list --json | jq -e ".scouts[] | select(.name == \"$1\") | .online == $2" >/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# a second user with a workstation of their own, and two more devices: one
# whose SNMP agent reports no paper, one whose IPP port is closed
stack_srctl user add --email bob@example.com --name "Bob" --card 555000111 \
  --secret-file "$secret_file" --tenant "$tenant" >/dev/null
stack_print_scout bobws bob@example.com >/dev/null || { echo "bob's scout did not start"; exit 1; }
stack_device_no_paper empty-tray
closed=$(stack_free_port)
stack_srctl device add old-printer --uri "ipps://localhost:$closed/ipp/print" \
  --uri "ipp://localhost:$closed/ipp/print" --uri "socket://127.0.0.1:$raw_port" >/dev/null

# 1. submit through the queue with ipptool: held, announced to the cloud
ipptool -q -T 10 -f "$doc" "$queue_workstation" "$src/tests/data/ipp/hold-job.test"
check "ipptool: the job is held at the queue" [ $? = 0 ]
login printer1 "$demo_card"
check "card login at the panel: 201" [ "$code" = 201 ]
check "the session names the user" [ "$(field .user.email)" = "$demo_email" ]
alice=$session
newest_job "$alice"
check "the panel lists the held job with its pages" \
  [ "$(field '.jobs | length')" = 1 -a "$(field '.jobs[0].pages')" = 3 -a "$(field '.jobs[0].title')" = "Quarterly report" ]

# 2. another user can neither see, release nor delete it
login printer1 555000111
bob=$session
panel GET /api/v1/panel/jobs "" "$bob"
check "bob's list is empty" [ "$code" = 200 -a "$(field '.jobs | length')" = 0 ]
panel GET "/api/v1/panel/jobs/$job" "" "$bob"
check "bob cannot read alice's job (404)" [ "$code" = 404 ]
panel POST /api/v1/panel/release "{\"jobs\":[\"$job\"]}" "$bob"
check "bob cannot release it (404)" [ "$code" = 404 ]
panel DELETE "/api/v1/panel/jobs/$job" "" "$bob"
check "bob cannot delete it (404)" [ "$code" = 404 ]
check "and nothing was printed" [ "$(pdfs)" = 0 ]

# 3. release with changed settings: byte-identical at the printer
panel POST /api/v1/panel/release \
  "{\"jobs\":[\"$job\"],\"settings\":{\"copies\":3,\"sides\":\"two-sided-short-edge\",\"color\":\"color\"}}" "$alice"
check "release accepted (202, releasing)" [ "$code" = 202 -a "$(field '.releases[0].state')" = releasing ]
check "the job is printed" wait_job "$job" "$alice" '.state == "printed" and .last_release.transport == "ipps"'
pdf=$(ls "$spool_dir"/*.pdf 2>/dev/null | head -1)
check "the printer got the document byte-identical" cmp -s "$doc" "$pdf"
check "with copies 3" grep -qx IPP_COPIES=3 "$pdf.env"
check "two-sided short edge" grep -qx IPP_SIDES=two-sided-short-edge "$pdf.env"
check "in colour" grep -qx IPP_PRINT_COLOR_MODE=color "$pdf.env"
check "the scout deleted its copy" bash -c "[ -z \"\$(ls '$tmp/workstation/store/jobs')\" ]"
panel POST /api/v1/panel/release "{\"jobs\":[\"$job\"]}" "$alice"
sleep 0.5
check "releasing a printed job again prints nothing" [ "$(field '.releases[0].state')" = printed -a "$(pdfs)" = 1 ]

# 4. a printer reporting no paper: not sent to, the job stays held
"$bin/srctl" submit "$doc" --queue "$queue_workstation" --title second --format application/pdf >/dev/null
newest_job "$alice"
login empty-tray "$demo_card"
panel POST /api/v1/panel/release "{\"jobs\":[\"$job\"]}" "$session"
check "printer in error: held again with the printer's reason" \
  wait_job "$job" "$session" '.state == "held" and (.reason | test("no paper")) and .last_release.state == "failed"'
check "nothing reached the printer" [ "$(pdfs)" = 1 ]

# 5. fallback: IPPS and IPP refuse to connect, RAW takes it
login old-printer "$demo_card"
panel POST /api/v1/panel/release "{\"all\":true}" "$session"
check "release all: one job" [ "$code" = 202 -a "$(field '.releases | length')" = 1 ]
check "printed over raw after ipps and ipp failed to connect" \
  wait_job "$job" "$session" '.state == "printed" and .last_release.transport == "raw"'
check "the RAW sink got it byte-identical" cmp -s "$doc" "$(ls "$raw_dir"/*.prn | head -1)"

# 6. the workstation is unreachable at release time: failed, released later
"$bin/srctl" submit "$doc" --queue "$queue_workstation" --title third --format application/pdf >/dev/null
newest_job "$alice"
kill -STOP "$pid_workstation"
wait_presence workstation 0
panel POST /api/v1/panel/release "{\"jobs\":[\"$job\"]}" "$alice"
check "scout offline: failed at once with the reason" \
  [ "$(field '.releases[0].state')" = failed -a -n "$(field '.releases[0].reason' | grep offline)" ]
panel GET "/api/v1/panel/jobs/$job" "" "$alice"
check "and the job is still held" [ "$(field .state)" = held ]
kill -CONT "$pid_workstation"
wait_presence workstation 1
panel POST /api/v1/panel/release "{\"jobs\":[\"$job\"]}" "$alice"
check "back online: released later and printed" wait_job "$job" "$alice" '.state == "printed"'

# 6b. the workstation restarts with a job held: nothing is lost
"$bin/srctl" submit "$doc" --queue "$queue_workstation" --title restarted --format application/pdf >/dev/null
newest_job "$alice"
kill "$pid_workstation"
wait "$pid_workstation" 2>/dev/null
# the cloud first sees it go, then come back: a release between the two is
# refused as "offline" (rightly), and the order of the two is the cloud's
check "the cloud sees the stopped scout offline" wait_presence workstation 0
stack_print_scout workstation "$demo_email" >/dev/null || echo "the scout did not restart"
check "after a restart the scout still holds the job" grep -q "1 held job(s) recovered" "$tmp/workstation/log"
check "and the cloud sees it online again" wait_presence workstation 1
panel POST /api/v1/panel/release "{\"jobs\":[\"$job\"]}" "$alice"
check "and it can be released" wait_job "$job" "$alice" '.state == "printed"'

# 7. the cloud dies in the middle of a release: printed exactly once
echo 2 >"$tmp/printer/print-delay"
"$bin/srctl" submit "$doc" --queue "$queue_workstation" --title fourth --format application/pdf >/dev/null
newest_job "$alice"
before=$(pdfs)
panel POST /api/v1/panel/release "{\"jobs\":[\"$job\"]}" "$alice"
kill -KILL "$cloud_pid"
wait "$cloud_pid" 2>/dev/null
check "with the cloud down the scout goes on: the printer gets the document" \
  wait_until 150 bash -c "[ \$(ls '$spool_dir'/*.pdf | wc -l) -gt $before ]"
stack_cloud_start
check "after the restart the job is printed" wait_job "$job" "$alice" '.state == "printed"'
rm -f "$tmp/printer/print-delay"
# a second print of "fourth" would reach the printer before a job released
# after it (one queue per printer): release one and count after it
"$bin/srctl" submit "$doc" --queue "$queue_workstation" --title fifth --format application/pdf >/dev/null
fourth=$job
newest_job "$alice"
[ "$job" != "$fourth" ] || echo "no new job"
panel POST /api/v1/panel/release "{\"jobs\":[\"$job\"]}" "$alice"
check "a job released after it prints" wait_job "$job" "$alice" '.state == "printed"'
check "exactly once (then the next job, and nothing more)" [ "$(pdfs)" = $((before + 2)) ]

# 8. scout A cannot listen to scout B's commands (broker ACL)
bob_id=$(stack_srctl scout list --json | jq -r '.scouts[] | select(.name == "bobws") | .id')
mq=(--cafile "$ca_file" -h localhost -p "$mqtt_port" -V mqttv5)
timeout 5 mosquitto_sub "${mq[@]}" --cert "$tmp/workstation/scout.crt" --key "$tmp/workstation/scout.key" \
  -t "sr/v1/$tenant/scouts/$bob_id/cmd" -C 1 -W 3 >"$tmp/spy" 2>/dev/null &
spy=$!
timeout 5 mosquitto_sub "${mq[@]}" --cert "$tmp/bobws/scout.crt" --key "$tmp/bobws/scout.key" \
  -i bob-listener -t "sr/v1/$tenant/scouts/$bob_id/cmd" -C 1 -W 3 >"$tmp/own" 2>/dev/null &
own=$!
sleep 0.5
mosquitto_pub "${mq[@]}" --cert "$tmp/pki/cloud-mqtt.crt" --key "$tmp/pki/cloud-mqtt.key" -q 1 \
  -t "sr/v1/$tenant/scouts/$bob_id/cmd" -m '{"type":"noop"}'
wait "$spy" "$own"
check "bob's own certificate receives bob's command (control)" grep -q noop "$tmp/own"
check "alice's scout certificate receives nothing of bob's" [ ! -s "$tmp/spy" ]

# 9. bad panel input gets a JSON error, never a crash
panel POST /api/v1/panel/sessions '{"device":' 
check "malformed JSON: 400" [ "$code" = 400 -a "$(field .error.code)" = bad_json ]
panel POST /api/v1/panel/sessions '{"device":"printer1","card":"1","color":"x"}'
check "unknown field: 400" [ "$code" = 400 -a "$(field .error.code)" = unknown_field ]
panel POST /api/v1/panel/sessions "{\"device\":\"printer1\",\"card\":\"$(head -c 20000 /dev/zero | tr '\0' 1)\"}"
check "oversized body: 413" [ "$code" = 413 ]
panel POST /api/v1/panel/sessions "{\"device\":\"nowhere\",\"card\":\"$demo_card\"}"
check "unknown device: 404" [ "$code" = 404 ]
panel GET /api/v1/panel/jobs "" not-a-session
check "unknown session: 401" [ "$code" = 401 -a "$(field .error.code)" = session_expired ]
panel POST /api/v1/panel/release '{"jobs":"x"}' "$alice"
check "bad release body: 400" [ "$code" = 400 ]
panel POST /api/v1/panel/sessions "{\"device\":\"printer1\",\"email\":\"ALICE@example.com\",\"pin\":\"$demo_pin\"}"
check "email + PIN login: 201" [ "$code" = 201 ]
for i in 1 2 3 4 5; do
  panel POST /api/v1/panel/sessions '{"device":"printer1","email":"alice@example.com","pin":"9999"}'
  [ "$code" = 401 ] || break
done
check "five wrong PINs: 401 each" [ "$code" = 401 ]
panel POST /api/v1/panel/sessions "{\"device\":\"printer1\",\"email\":\"alice@example.com\",\"pin\":\"$demo_pin\"}"
check "then locked out, even with the right PIN: 429 with Retry-After" \
  ok '[ "$code" = 429 ] && grep -qi "^retry-after: [1-9]" <<<"$headers"'
panel DELETE /api/v1/panel/sessions/current "" "$alice"
check "logout: 204" [ "$code" = 204 ]
panel GET /api/v1/panel/jobs "" "$alice"
check "the session is gone: 401" [ "$code" = 401 ]

# 10. delete at the panel: gone everywhere
"$bin/srctl" submit "$doc" --queue "$queue_workstation" --title fifth --format application/pdf >/dev/null
login printer1 "$demo_card"
newest_job "$session"
panel DELETE "/api/v1/panel/jobs/$job" "" "$session"
check "delete: 204" [ "$code" = 204 ]
for _ in $(seq 100); do [ -z "$(ls "$tmp/workstation/store/jobs")" ] && break; sleep 0.05; done
check "the scout removed the job file" bash -c "[ -z \"\$(ls '$tmp/workstation/store/jobs')\" ]"

# 10b. deleted while the workstation was unreachable: deleted when it is back
"$bin/srctl" submit "$doc" --queue "$queue_workstation" --title sixth --format application/pdf >/dev/null
newest_job "$session"
kill -STOP "$pid_workstation"
wait_presence workstation 0
panel DELETE "/api/v1/panel/jobs/$job" "" "$session"
check "delete while the scout is offline: 204" [ "$code" = 204 ]
kill -CONT "$pid_workstation"
for _ in $(seq 300); do [ -z "$(ls "$tmp/workstation/store/jobs")" ] && break; sleep 0.05; done
check "the scout removed the file once back online" bash -c "[ -z \"\$(ls '$tmp/workstation/store/jobs')\" ]"

# 11. administration is per tenant; enrollment tokens work once
SR_CLOUD_URL=$cloud_url SR_CLOUD_CA=$ca_file SR_TOKEN_FILE=$tmp/cloud/operator-token \
  "$bin/srctl" tenant create other --token-out "$tmp/other-token" >/dev/null
check "another tenant's administrator sees none of these users" \
  bash -c "SR_CLOUD_URL=$cloud_url SR_CLOUD_CA=$ca_file SR_TOKEN_FILE=$tmp/other-token '$bin/srctl' user list | grep -qx '(no users)'"
enroll=$(stack_srctl scout enroll --kind site --json | jq -r .enrollment_token)
"$bin/sr-device-scout" enroll --config "$tmp/site/site.yaml" --token "$enroll" >/dev/null 2>&1
"$bin/sr-device-scout" enroll --config "$tmp/site/site.yaml" --token "$enroll" >/dev/null 2>"$tmp/reuse"
check "an enrollment token works only once" grep -q "unknown, used or expired" "$tmp/reuse"

# 11b. srctl says what went wrong
echo not-a-token >"$tmp/bad-token"
SR_CLOUD_URL=$cloud_url SR_CLOUD_CA=$ca_file SR_TOKEN_FILE=$tmp/bad-token "$bin/srctl" user list 2>"$tmp/err1"
rc=$?
check "srctl with a wrong token: exit 1, HTTP 401 named" \
  ok '[ $rc = 1 ] && grep -q "HTTP 401: the token is not valid" "$tmp/err1"'
"$bin/srctl" user list --cloud "https://localhost:$closed" --ca "$ca_file" --token-file "$token_file" 2>"$tmp/err2"
rc=$?
check "srctl with no cloud there: exit 1, the URL named" \
  ok '[ $rc = 1 ] && grep -q "https://localhost:$closed/api/v1/users" "$tmp/err2"'
env -u SR_CLOUD_URL "$bin/srctl" user list 2>"$tmp/err3"
rc=$?
check "srctl without a cloud: usage, exit 64" ok '[ $rc = 64 ] && grep -q -- "--cloud" "$tmp/err3"'

# 12. the cloud holds no document, no site secret, no card number or PIN
secret=$(cat "$secret_file")
check "the cloud's files do not contain the document" bash -c "! grep -raq '$marker' '$tmp/cloud'"
check "nor the site secret" bash -c "! grep -raqF '$secret' '$tmp/cloud'"
check "nor the card number" bash -c "! grep -raq '12345678' '$tmp/cloud'"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
