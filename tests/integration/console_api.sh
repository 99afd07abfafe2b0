#!/usr/bin/env bash
# The web console's server side through the whole stack, with the
# administrator's bearer token (docs/console.md, "Pages"): every change an
# administrator makes lands in the audit log (who, what, from -> to), and
# nothing secret does (enrollment tokens, card hashes); a failed change
# records nothing; the audit log and the job list page with opaque cursors;
# DELETE /api/v1/jobs/{id} deletes a held job everywhere; the overview's
# figures count what happened; another tenant's administrator sees none of
# it. Then the scale check: 100,000 jobs seeded into the tenant, the job
# list's first and next page each answer in under a second.
# usage: console_api.sh BIN_DIR PLUGIN_DIR SOURCE_DIR
set -u
bin=$1 plugins=$2 src=$3
source "$src/tests/support/stack_test.sh" console_api
stack_start "$tmp" "$bin" "$plugins" || { echo "the stack did not start"; exit 1; }
doc=$src/tests/data/three-pages.pdf

# api [-t TOKEN_FILE] METHOD PATH [BODY]: the answer's body, then a line
# with its status
api() {
  local tf=$token_file
  [ "$1" = -t ] && { tf=$2; shift 2; }
  curl -s --cacert "$ca_file" -H "Authorization: Bearer $(cat "$tf")" -X "$1" \
    ${3:+-H 'Content-Type: application/json' --data "$3"} -w '\n%{http_code}' "$cloud_url$2"
}
status() { api "$@" | tail -n 1; }
body() { api "$@" | sed '$d'; }
audit() { body GET "/api/v1/audit?limit=200"; }
# the newest audit entry of ACTION, as JSON
last_of() { audit | jq -c --arg a "$1" '[.entries[] | select(.action == $a)][0] // empty'; }

# 1. settings: the change, its old and new value, by the token
check "PATCH hold_time: 200" [ "$(status PATCH /api/v1/settings '{"hold_time": "3h"}')" = 200 ]
e=$(last_of settings.update)
check "audited: settings.update by the token, hold_time from the default (48h) to 3h" \
  ok '[ "$(jq -r .actor <<<"$e")" = token ] && [ "$(jq -c .detail.changes.hold_time <<<"$e")" = "{\"from\":172800,\"to\":10800}" ]'
check "the entry says when (RFC 3339, this minute)" \
  ok '[ "$(jq -r .at <<<"$e" | cut -c1-13)" = "$(date -u +%Y-%m-%dT%H)" ]'
n_before=$(audit | jq '.entries | length')
check "an invalid setting: 400" [ "$(status PATCH /api/v1/settings '{"hold_time": "1s"}')" = 400 ]
check "... and nothing audited" [ "$(audit | jq '.entries | length')" = "$n_before" ]

# 2. users, with a card hash that must not reach the log
card=$(printf '%064d' 7)
code=$(status POST /api/v1/users "{\"email\": \"Bob@Example.com\", \"name\": \"Bob\", \"card_hash\": \"$card\"}")
check "POST /users: 201" [ "$code" = 201 ]
bob=$(body GET /api/v1/users | jq -r '.users[] | select(.email == "bob@example.com") | .id')
e=$(last_of user.add)
check "audited: user.add, the new user's id and email" \
  ok '[ "$(jq -r .object <<<"$e")" = "$bob" ] && [ "$(jq -r .detail.email <<<"$e")" = Bob@Example.com ]'
check "the card hash is in no audit row" \
  [ "$(stack_sql "SELECT count(*) FROM audit_log WHERE detail LIKE '%$card%'")" = 0 ]
status PATCH "/api/v1/users/$bob" '{"region": "local"}' >/dev/null
check "audited: user.update with its region" \
  [ "$(last_of user.update | jq -r '.object + " " + .detail.region')" = "$bob local" ]

# 3. delegations, devices, scouts, readers
did=$(body POST /api/v1/delegations '{"owner": "alice@example.com", "delegate": "bob@example.com"}' | jq -r .id)
check "audited: delegation.add" [ "$(last_of delegation.add | jq -r '.object + " " + .detail.delegate')" = "$did bob@example.com" ]
check "DELETE the delegation: 204" [ "$(status DELETE "/api/v1/delegations/$did")" = 204 ]
check "audited: delegation.remove" [ "$(last_of delegation.remove | jq -r .object)" = "$did" ]
status DELETE /api/v1/users/"$bob" >/dev/null
check "audited: user.remove" [ "$(last_of user.remove | jq -r .object)" = "$bob" ]
status POST /api/v1/devices '{"id": "lobby", "uris": ["ipp://127.0.0.1:9/ipp/print"]}' >/dev/null
status PATCH /api/v1/devices/lobby '{"location": "Lobby"}' >/dev/null
check "audited: device.add and device.update" \
  ok '[ "$(last_of device.add | jq -r .object)" = lobby ] && [ "$(last_of device.update | jq -r .detail.location)" = Lobby ]'
reader=$(body POST /api/v1/readers '{"device": "lobby"}')
rtoken=$(jq -r .enrollment_token <<<"$reader")
check "audited: reader.add" [ "$(last_of reader.add | jq -r .object)" = "$(jq -r .id <<<"$reader")" ]
status DELETE "/api/v1/readers/$(jq -r .id <<<"$reader")" >/dev/null
check "audited: reader.remove" [ "$(last_of reader.remove | jq -r .object)" = "$(jq -r .id <<<"$reader")" ]
status DELETE /api/v1/devices/lobby >/dev/null
check "audited: device.remove" [ "$(last_of device.remove | jq -r .object)" = lobby ]
scout=$(body POST /api/v1/scouts '{"kind": "print", "name": "Front desk"}')
stoken=$(jq -r .enrollment_token <<<"$scout")
check "audited: scout.add with its name" [ "$(last_of scout.add | jq -r '.object + " " + .detail.name')" = "$(jq -r .id <<<"$scout") Front desk" ]
status DELETE "/api/v1/scouts/$(jq -r .id <<<"$scout")" >/dev/null
check "audited: scout.remove" [ "$(last_of scout.remove | jq -r .object)" = "$(jq -r .id <<<"$scout")" ]
check "no enrollment token (scout's or reader's) is in the database's audit rows, nor its hash" \
  [ "$(stack_sql "SELECT count(*) FROM audit_log WHERE detail LIKE '%$stoken%' OR detail LIKE '%$rtoken%' OR detail LIKE '%enrollment%'")" = 0 ]

# 4. the audit log pages: limit 3, the cursor to the next, no entry twice
all=$(audit | jq -c '[.entries[] | [.at, .action, .object]]')
p1=$(body GET '/api/v1/audit?limit=3')
p2=$(body GET "/api/v1/audit?limit=3&cursor=$(jq -r .next_cursor <<<"$p1")")
check "page 1 and 2 of 3 are the newest six, in order" \
  [ "$(jq -c -s '[.[].entries[] | [.at, .action, .object]]' <<<"$p1$p2")" = "$(jq -c '.[:6]' <<<"$all")" ]
last=$(body GET "/api/v1/audit?limit=200")
check "the last page has no next_cursor" [ "$(jq -r .next_cursor <<<"$last")" = null ]
check "limit 0: 400" [ "$(status GET '/api/v1/audit?limit=0')" = 400 ]
check "limit 201: 400" [ "$(status GET '/api/v1/audit?limit=201')" = 400 ]
check "a forged cursor: 400" [ "$(status GET '/api/v1/audit?cursor=abc')" = 400 ]
check "an unknown parameter: 400" [ "$(status GET '/api/v1/audit?tenant=other')" = 400 ]

# 5. a held job: listed, deleted by the administrator, gone from the scout
"$bin/srctl" submit "$doc" --queue "$queue_uri" --title "Console delete me" >/dev/null
job_id() { body GET '/api/v1/jobs?q=Console+delete' | jq -r '.jobs[0].id // empty'; }
wait_until 100 test -n "$(job_id)"
job=$(job_id)
check "the job is listed held (q= title prefix)" [ "$(body GET '/api/v1/jobs?q=console%20DELETE' | jq -r '.jobs[0].state')" = held ]
check "filter state=printed does not list it" [ "$(body GET '/api/v1/jobs?state=printed' | jq --arg j "$job" '[.jobs[] | select(.id == $j)] | length')" = 0 ]
check "filter owner=alice lists it" [ "$(body GET '/api/v1/jobs?owner=Alice%40example.com' | jq --arg j "$job" '[.jobs[] | select(.id == $j)] | length')" = 1 ]
# another tenant's administrator
SR_CLOUD_URL=$cloud_url SR_CLOUD_CA=$ca_file SR_TOKEN_FILE=$tmp/cloud/operator-token \
  "$bin/srctl" tenant create other --token-out "$tmp/other-token" >/dev/null
check "another tenant's administrator: DELETE our job -> 404" [ "$(status -t "$tmp/other-token" DELETE "/api/v1/jobs/$job")" = 404 ]
check "... lists none of our jobs, audit entries or figures" \
  ok '[ "$(body -t "$tmp/other-token" GET /api/v1/jobs | jq ".jobs | length")" = 0 ] && [ "$(body -t "$tmp/other-token" GET /api/v1/audit | jq ".entries | length")" = 0 ] && [ "$(body -t "$tmp/other-token" GET /api/v1/stats | jq "[.per_day[].held] | add")" = 0 ]'
check "no token: 401" [ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$ca_file" -X DELETE "$cloud_url/api/v1/jobs/$job")" = 401 ]
scout_has_file() { ls "$tmp/workstation/store/jobs" 2>/dev/null | grep -q "$job"; }
check "the print scout holds its file" scout_has_file
check "DELETE the held job: 204" [ "$(status DELETE "/api/v1/jobs/$job")" = 204 ]
check "it is deleted" [ "$(body GET '/api/v1/jobs?q=Console+delete' | jq -r '.jobs[0].state')" = deleted ]
check "audited: job.delete" [ "$(last_of job.delete | jq -r .object)" = "$job" ]
check "the print scout deleted its file" wait_until 100 eval '! scout_has_file'
check "DELETE again: 409 not_held" [ "$(status DELETE "/api/v1/jobs/$job")" = 409 ]
check "DELETE an unknown job: 404" [ "$(status DELETE /api/v1/jobs/nope)" = 404 ]

# 6. the overview's figures
stats=$(body GET /api/v1/stats)
check "30 days, today last, one job held today" \
  ok '[ "$(jq ".per_day | length" <<<"$stats")" = 30 ] && [ "$(jq -r ".per_day[-1].day" <<<"$stats")" = "$(date -u +%F)" ] && [ "$(jq ".per_day[-1].held" <<<"$stats")" = 1 ]'
check "now: 2 scouts, both online; 1 printer, not in error" \
  [ "$(jq -c '.now | [.scouts_total, .scouts_online, .printers_total, .printers_in_error]' <<<"$stats")" = '[2,2,1,0]' ]
check "days=400: 400" [ "$(status GET '/api/v1/stats?days=400')" = 400 ]

# 7. scale: 100,000 jobs; the first and the next page each under 1 s
stack_seed_jobs "$tenant" 100000 >/dev/null
timed() { curl -s -o "$tmp/page" -w '%{time_total}' --cacert "$ca_file" -H "Authorization: Bearer $(cat "$token_file")" "$cloud_url$1"; }
t1=$(timed '/api/v1/jobs?limit=50')
t1_again=$(timed '/api/v1/jobs?limit=50')
cursor=$(jq -r .next_cursor "$tmp/page")
first=$(jq -c '[.jobs[].id]' "$tmp/page")
t2=$(timed "/api/v1/jobs?limit=50&cursor=$cursor")
second=$(jq -c '[.jobs[].id]' "$tmp/page")
echo "100,000 jobs: first page ${t1}s (asked again: ${t1_again}s), next page ${t2}s"
check "first page < 1 s" awk "BEGIN { exit !($t1 < 1) }"
check "next page < 1 s" awk "BEGIN { exit !($t2 < 1) }"
check "two pages of 50, newest first, none twice" \
  [ "$(jq -n --argjson a "$first" --argjson b "$second" '($a + $b) | [length, (unique | length)]' | jq -c .)" = '[100,100]' ]
check "the newest seeded job is first after the real one" \
  [ "$(jq -r '.[1]' <<<"$first")" = seed0099999 ]
t3=$(timed '/api/v1/jobs?limit=50&state=held&q=Seeded+report+9999')
echo "filtered (state=held, q=title prefix): ${t3}s"
check "a filtered page < 1 s, only held seeded jobs of that prefix" \
  ok 'awk "BEGIN { exit !($t3 < 1) }" && [ "$(jq -c "[.jobs[] | .state] | unique" "$tmp/page")" = "[\"held\"]" ] && [ "$(jq ".jobs | length" "$tmp/page")" -ge 1 ]'
t4=$(curl -s -o "$tmp/stats" -w '%{time_total}' --cacert "$ca_file" -H "Authorization: Bearer $(cat "$token_file")" "$cloud_url/api/v1/stats")
echo "overview figures over 100,000 jobs: ${t4}s"
since=$(( $(date +%s) / 86400 * 86400 - 29 * 86400 ))
in_window=$(stack_sql "SELECT count(*) FROM jobs WHERE tenant = '$tenant' AND submitted_at >= $since")
check "stats < 1 s, counting every job of the window ($in_window)" \
  ok 'awk "BEGIN { exit !($t4 < 1) }" && [ "$(jq "[.per_day[].held] | add" "$tmp/stats")" = "$in_window" ] && [ "$in_window" -gt 90000 ]'
checks_done
