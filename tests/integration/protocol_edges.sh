#!/usr/bin/env bash
# The APIs' protocol edges, probed on the running stack as an attacker
# would (security finding 5 of issue 8): hand-made requests with two
# Content-Length headers or impossible ones (the smuggled "next request"
# must get no answer and the connection must close), unknown methods,
# cross-origin-style text/plain logins, out-of-range dates, probing which
# addresses are users through delegations, a scout flooding the cloud with
# bogus events over MQTT, and device fields that are not what they claim.
# Every refusal must be a JSON error that names the problem.
# usage: protocol_edges.sh BIN_DIR PLUGIN_DIR SOURCE_DIR
set -u
bin=$1 plugins=$2 src=$3
source "$src/tests/support/stack_test.sh" edges

stack_start "$tmp" "$bin" "$plugins" || { echo "the stack did not start"; exit 1; }
cloud_port=${cloud_url##*:}
raw=$src/tests/support/raw_http.py

# 0. each service listens only where its configuration says (127.0.0.1):
# lws built with IPv6 once bound an IPv4 address's port on every interface
listening() { # PID: the local addresses of its listening TCP sockets
  ss -Hltnp | awk -v p="pid=$1," 'index($0, p) {print $4}'
}
only_loopback() { # PID
  local where
  where=$(listening "$1")
  echo "  listening: $(echo $where)"
  [ -n "$where" ] && ! grep -qv '^127\.0\.0\.1:' <<<"$where"
}
check "the cloud's API listens on 127.0.0.1 only" only_loopback "$cloud_pid"
check "the panel API listens on 127.0.0.1 only" only_loopback "$site_pid"
check "the print scout's queue listens on 127.0.0.1 only" only_loopback "$scout_pid"

# request URL METHOD [BODY] [CONTENT_TYPE] [curl args...]: sets $code, $body, $ctype
request() {
  local url=$1 method=$2 data=${3:-} type=${4-application/json}
  shift 4 2>/dev/null || shift $#
  local args=(-sS --cacert "$ca_file" -o "$tmp/resp" -D "$tmp/headers" -w '%{http_code}' -X "$method" "$url")
  [ -n "$data" ] && args+=(--data-binary "$data" -H "Content-Type: $type")
  code=$(curl "${args[@]}" "$@" 2>"$tmp/curl.err") || code=000
  body=$(cat "$tmp/resp" 2>/dev/null)
  ctype=$(tr -d '\r' <"$tmp/headers" | awk -F': ' 'tolower($1) == "content-type" {print $2}' | tail -1)
}
panel() { # METHOD PATH [BODY] [SESSION]
  local session=${4:-}
  if [ -n "$session" ]; then
    request "$panel_url$2" "$1" "${3:-}" application/json -H "Authorization: Bearer $session"
  else
    request "$panel_url$2" "$1" "${3:-}" application/json
  fi
}
admin() { # METHOD PATH [BODY]
  request "$cloud_url$2" "$1" "${3:-}" application/json -H "Authorization: Bearer $(cat "$token_file")"
}
field() { echo "$body" | jq -r "$1" 2>/dev/null; }
json_error() { # CODE: the answer is a JSON error with that code and a message
  [ "$ctype" = application/json ] && [ "$(field .error.code)" = "$1" ] && [ -n "$(field .error.message)" ]
}

# raw_send PORT < bytes: the answer's bytes in $tmp/raw.out
raw_send() { python3 "$raw" localhost "$1" "$ca_file" >"$tmp/raw.out" 2>"$tmp/raw.err"; }
raw_answers() { grep -ao 'HTTP/1\.1 [0-9][0-9][0-9] ' "$tmp/raw.out" | wc -l; }
raw_status() { head -1 "$tmp/raw.out" | awk '{print $2}'; }
raw_closed() { [ "$(tail -1 "$tmp/raw.out")" = CLOSED ]; }
raw_json_code() { # the JSON body's error code (the line after the blank one)
  tr -d '\r' <"$tmp/raw.out" | awk 'body && /^\{/ {print; exit} /^$/ {body=1}' | jq -r .error.code 2>/dev/null
}
# a request whose body is followed by a smuggled second request: if the
# server takes the first Content-Length, the GET is answered as well
smuggle() { # PORT PATH CONTENT_LENGTH_LINES
  local next='GET /api/v1/panel/jobs HTTP/1.1\r\nHost: localhost\r\n\r\n'
  printf "POST $2 HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n$3\r\n{}$next" | raw_send "$1"
}

# 1. Content-Length: duplicates and impossible values get a JSON 400, and
#    the connection closes, so nothing after them is read as a request
for target in "panel $site_port /api/v1/panel/sessions" "cloud $cloud_port /api/v1/tenants"; do
  set -- $target
  smuggle "$2" "$3" 'Content-Length: 2\r\nContent-Length: 60\r\n'
  check "$1: two Content-Length headers: one JSON 400, the smuggled request unanswered, closed" \
    ok '[ "$(raw_status)" = 400 ] && [ "$(raw_json_code)" = bad_content_length ] && [ "$(raw_answers)" = 1 ] && raw_closed'
  smuggle "$2" "$3" 'Content-Length: 2, 60\r\n'
  check "$1: Content-Length '2, 60': 400, closed" \
    ok '[ "$(raw_status)" = 400 ] && [ "$(raw_answers)" = 1 ] && raw_closed'
  smuggle "$2" "$3" 'Content-Length: -1\r\n'
  check "$1: Content-Length -1: 400, closed" \
    ok '[ "$(raw_status)" = 400 ] && [ "$(raw_json_code)" = bad_content_length ] && [ "$(raw_answers)" = 1 ] && raw_closed'
  smuggle "$2" "$3" 'Content-Length: 18446744073709551616\r\n'
  check "$1: Content-Length 2^64: 400, closed" \
    ok '[ "$(raw_status)" = 400 ] && [ "$(raw_json_code)" = bad_content_length ] && [ "$(raw_answers)" = 1 ] && raw_closed'
  # a proxy in front may frame by Transfer-Encoding where we would take the length
  smuggle "$2" "$3" 'Transfer-Encoding: chunked\r\nContent-Length: 2\r\n'
  check "$1: Transfer-Encoding with Content-Length: 411, the smuggled request unanswered, closed" \
    ok '[ "$(raw_status)" = 411 ] && [ "$(raw_answers)" = 1 ] && raw_closed'
done
# control: a well-framed request on one connection followed by a second is
# answered twice (the check above can tell an answer to the smuggled one)
printf 'GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\n\r\nGET /api/v1/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' |
  raw_send "$cloud_port"
check "control: two pipelined well-formed requests get two answers" [ "$(raw_answers)" = 2 ]

# 2. unknown methods: a JSON 405 with an Allow header, on both APIs
for m in TRACE PROPFIND OPTIONS; do
  request "$panel_url/api/v1/panel/jobs" "$m"
  check "panel: $m gets a JSON 405 with Allow" \
    ok '[ "$code" = 405 ] && json_error method_not_allowed && grep -qi "^allow: .*GET.*POST" "$tmp/headers"'
  request "$cloud_url/api/v1/users" "$m"
  check "cloud: $m gets a JSON 405 with Allow" \
    ok '[ "$code" = 405 ] && json_error method_not_allowed && grep -qi "^allow: .*GET.*POST" "$tmp/headers"'
done
# known methods on a path that lacks them: 405 with that path's own methods
allow_is() { [ "$(tr -d '\r' <"$tmp/headers" | awk -F': ' 'tolower($1) == "allow" {print $2}')" = "$1" ]; }
admin PUT /api/v1/users/u-1 '{}'
check "cloud: PUT on a user: JSON 405, Allow: PATCH, DELETE" ok '[ "$code" = 405 ] && json_error method_not_allowed && allow_is "PATCH, DELETE"'
request "$cloud_url/api/v1/enroll" GET
check "cloud: GET /enroll: JSON 405, Allow: POST" ok '[ "$code" = 405 ] && json_error method_not_allowed && allow_is POST'
request "$cloud_url/api/v1/site/panel/jobs/abc" POST '{}'
check "cloud: POST on a panel job: JSON 405, Allow: GET, DELETE" ok '[ "$code" = 405 ] && allow_is "GET, DELETE"'
request "$cloud_url/api/v1/no-such-thing" GET
check "cloud: an unknown path: JSON 404" ok '[ "$code" = 404 ] && json_error not_found'
request "$cloud_url/api/v1/users/a/b" DELETE
check "cloud: an {id} is one segment: JSON 404" ok '[ "$code" = 404 ] && json_error not_found'
panel PUT /api/v1/panel/delegations '{}'
check "panel: PUT on delegations: JSON 405, Allow: GET, POST" ok '[ "$code" = 405 ] && json_error method_not_allowed && allow_is "GET, POST"'
panel GET /api/v1/panel/no-such-thing
check "panel: an unknown path: JSON 404" ok '[ "$code" = 404 ] && json_error not_found'
request "$cloud_url/api/v1/health" GET
check "the cloud still answers after the probes" [ "$code" = 200 ]

# 3. the panel takes JSON only: a text/plain login (what a web page may send
#    cross-origin without a preflight) is refused before it is counted
wrong="{\"device\":\"printer1\",\"email\":\"$demo_email\",\"pin\":\"9999\"}"
refused=0
for _ in 1 2 3 4 5 6; do
  request "$panel_url/api/v1/panel/sessions" POST "$wrong" text/plain
  [ "$code" = 415 ] && json_error unsupported_media_type && refused=$((refused + 1))
done
check "six text/plain logins with a wrong PIN: JSON 415 each" [ "$refused" = 6 ]
request "$panel_url/api/v1/panel/sessions" POST "$wrong" ""
check "a body without a Content-Type: 415" [ "$code" = 415 ]
request "$panel_url/api/v1/panel/sessions" POST "$wrong" "application/json, text/plain"
check "a list of types: 415" [ "$code" = 415 ]
panel POST /api/v1/panel/sessions "$wrong"
check "control: the same wrong PIN as JSON is a failed login (401)" [ "$code" = 401 ]
panel POST /api/v1/panel/sessions "{\"device\":\"printer1\",\"email\":\"$demo_email\",\"pin\":\"$demo_pin\"}"
check "the refused logins were not counted: the right PIN still logs in (201, not 429)" [ "$code" = 201 ]
request "$panel_url/api/v1/panel/sessions" POST "{\"device\":\"printer1\",\"card\":\"$demo_card\"}" "application/json; charset=utf-8"
check "application/json with a charset is fine" [ "$code" = 201 ]
alice=$(field .session)
request "$cloud_url/api/v1/users" POST '{"email":"x@example.com"}' text/plain -H "Authorization: Bearer $(cat "$token_file")"
check "the cloud API refuses text/plain bodies too (415)" ok '[ "$code" = 415 ] && json_error unsupported_media_type'

# 4. dates are bounded: a delegation's end, a job's submission time
stack_srctl user add --email bob@example.com --name Bob >/dev/null
for until in 9223372036854775807 -1 '"9999-12-31T00:00:00Z"' "$(date -u -d '+10 years' +%s)" '"2020-01-01"' '"tomorrow"'; do
  panel POST /api/v1/panel/delegations "{\"delegate\":\"bob@example.com\",\"until\":$until}" "$alice"
  check "panel: until $until is refused with a 400 naming 'until'" \
    ok '[ "$code" = 400 ] && json_error invalid && field .error.message | grep -q "until"'
done
admin POST /api/v1/delegations "{\"owner\":\"$demo_email\",\"delegate\":\"bob@example.com\",\"until\":9223372036854775807}"
check "admin: until 2^63-1 is refused (400)" ok '[ "$code" = 400 ] && field .error.message | grep -q until'
next_year=$(date -u -d '+1 year' +%Y-%m-%dT%H:%M:%SZ)
panel POST /api/v1/panel/delegations "{\"delegate\":\"bob@example.com\",\"until\":\"$next_year\"}" "$alice"
check "control: until a year ahead is fine and shown as given" ok '[ "$code" = 201 ] && [ "$(field .until)" = "$next_year" ]'
job_post() { # SUBMITTED_AT
  request "$cloud_url/api/v1/scout/jobs" POST \
    "{\"id\":\"abcdef$RANDOM\",\"title\":\"t\",\"copies\":1,\"sides\":\"one-sided\",\"color\":\"auto\",\"submitted_at\":$1}" \
    application/json --cert "$tmp/workstation/scout.crt" --key "$tmp/workstation/scout.key"
}
job_post 9223372036854775807
check "a scout's job submitted at 2^63-1: 400 naming submitted_at" \
  ok '[ "$code" = 400 ] && field .error.message | grep -q submitted_at'
job_post "$(date +%s)"
check "control: a job submitted now is held (201)" [ "$code" = 201 ]

# 5. a delegation answers the same whether or not the address is a user
panel POST /api/v1/panel/delegations '{"delegate":"Bob@Example.com"}' "$alice"
user_code=$code user_answer=$(echo "$body" | jq -c 'del(.id)') user_id=$(field .id)
panel POST /api/v1/panel/delegations '{"delegate":"Nobody@Example.com"}' "$alice"
none_code=$code none_answer=$(echo "$body" | jq -c 'del(.id)') none_id=$(field .id)
check "same status for a user and a non-user (201)" [ "$user_code" = 201 -a "$none_code" = 201 ]
check "same answer but for the address itself" \
  [ "$(echo "$user_answer" | jq -c '.delegate = "X"')" = "$(echo "$none_answer" | jq -c '.delegate = "X"')" ]
check "ids of the same form" ok '[[ "$user_id" =~ ^d-[0-9a-f]{16}$ ]] && [[ "$none_id" =~ ^d-[0-9a-f]{16}$ ]]'
panel GET /api/v1/panel/delegations "" "$alice"
check "both are listed alike" \
  [ "$(echo "$body" | jq -r '[.delegations[].delegate] | sort | join(",")')" = "bob@example.com,nobody@example.com" ]
panel DELETE "/api/v1/panel/delegations/$none_id" "" "$alice"
none_del=$code
panel DELETE "/api/v1/panel/delegations/$user_id" "" "$alice"
check "and revoked alike (204, 204)" [ "$none_del" = 204 -a "$code" = 204 ]

# 6. a scout floods the cloud with 2,000 bogus events: dropped over its
#    rate, counted, and summarised in a few lines instead of 2,000
scout_id=$(stack_srctl scout list --json | jq -r '.scouts[] | select(.name == "workstation") | .id')
log=$tmp/cloud/log
offset=$(stat -c %s "$log")
for i in $(seq 1000); do
  echo '{"type":"release","release":"r-bogus'"$i"'","state":"printed"}'
  echo 'not json at all'
done >"$tmp/flood"
mosquitto_pub --cafile "$ca_file" -h localhost -p "$mqtt_port" -V mqttv5 -q 1 \
  --cert "$tmp/workstation/scout.crt" --key "$tmp/workstation/scout.key" -i flood \
  -t "sr/v1/$tenant/scouts/$scout_id/evt" -l <"$tmp/flood"
check "the 2,000 events were accepted by the broker" [ $? = 0 ]
summed() { # dropped + malformed + unknown in the summary lines since the flood
  tail -c +"$((offset + 1))" "$log" | grep "comp=events" | grep -F "scout $scout_id " |
    sed -E 's/.*: ([0-9]+) events dropped.*, ([0-9]+) malformed, ([0-9]+) for unknown.*/\1 \2 \3/' |
    awk '{d += $1; m += $2; u += $3} END {print d + 0, m + 0, u + 0, d + m + u}'
}
# (a minute at most: a sanitised cloud on a busy machine takes its time)
for _ in $(seq 600); do [ "$(summed | awk '{print $4}')" -ge 2000 ] && break; sleep 0.1; done
read -r dropped malformed unknown total < <(summed)
check "every one of the 2,000 events is accounted for in the summaries ($dropped dropped, $malformed malformed, $unknown unknown)" [ "$total" = 2000 ]
check "the rate limit dropped some" [ "$dropped" -gt 0 ]
warnings=$(tail -c +"$((offset + 1))" "$log" | grep -c "level=warn")
check "a handful of warning lines, not thousands ($warnings)" [ "$warnings" -ge 1 -a "$warnings" -le 4 ]
"$bin/srctl" submit "$src/tests/data/three-pages.pdf" --queue "$queue_workstation" --title after-flood \
  --format application/pdf >/dev/null
panel GET /api/v1/panel/jobs "" "$alice"
job=$(echo "$body" | jq -r '.jobs[] | select(.title == "after-flood") | .id')
panel POST /api/v1/panel/release "{\"jobs\":[\"$job\"]}" "$alice"
for _ in $(seq 300); do
  panel GET "/api/v1/panel/jobs/$job" "" "$alice"
  [ "$(field .state)" = printed ] && break
  sleep 0.05
done
check "after the flood the scout's real events still work: the job is printed" [ "$(field .state)" = printed ]

# 7. device fields are what they claim to be
device() { admin POST /api/v1/devices "$1"; }
for bad in '"not a host; rm -rf /"' '"printer:99999"' '"printer:"' '"[zz::1]:161"' '""' 5; do
  device "{\"id\":\"bad-snmp\",\"uris\":[\"ipp://localhost/ipp/print\"],\"snmp\":$bad}"
  check "snmp $bad: 400 naming 'snmp'" ok '[ "$code" = 400 ] && json_error invalid && field .error.message | grep -q "snmp"'
done
for bad in '"ipp://"' '"ipp:///ipp/print"' '"http://printer/"' '"ipp://host with space/"' '"socket://printer:0"'; do
  device "{\"id\":\"bad-uri\",\"uris\":[$bad]}"
  check "uri $bad: 400 naming 'uris'" ok '[ "$code" = 400 ] && field .error.message | grep -q "uris"'
done
device "{\"id\":\"bad-name\",\"name\":\"$(head -c 300 /dev/zero | tr '\0' x)\",\"uris\":[\"ipp://localhost/ipp/print\"]}"
check "a 300-byte name: 400 naming 'name'" ok '[ "$code" = 400 ] && field .error.message | grep -q "name"'
device '{"id":"bad-name2","name":"a\u0007b","uris":["ipp://localhost/ipp/print"]}'
check "a name with a control character: 400" [ "$code" = 400 ]
device '{"id":"good","name":"Second floor","uris":["ipps://printer-2.example.com:631/ipp/print","socket://192.0.2.7:9100"],"snmp":"[::1]:161"}'
check "control: a well-formed device is added (201)" [ "$code" = 201 ]
device '{"id":"good2","uris":["ipp://127.0.0.1/ipp/print"],"snmp":"printer-2.example.com"}'
check "control: snmp without a port is fine (201)" [ "$code" = 201 ]

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
