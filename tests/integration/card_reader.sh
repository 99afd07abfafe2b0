#!/usr/bin/env bash
# Network card readers (docs/devices.md, "Card readers"), with every real
# peer on 127.0.0.1: sr-cloud, mosquitto, the site service's panel API, a
# print scout, ippeveprinter and a RAW sink. An administrator adds a reader
# bound to a device; it enrolls once with its token; a swipe of the user's
# card prints all of the user's held jobs at that printer, byte-identical
# and in submission order, leaving PIN jobs and jobs delegated to the user
# held. Then what a reader must not do: enroll twice,
# release at another device, use a revoked credential, or act for another
# tenant or through another site; unknown cards, the lockout and the
# reader's swipe rate; made-up credentials refused without a log line
# each; the card number never reaches the cloud.
# usage: card_reader.sh BIN_DIR PLUGIN_DIR SOURCE_DIR
set -u
bin=$1 plugins=$2 src=$3
source "$src/tests/support/stack_test.sh" reader
# the workstation alone prints its jobs (failover has a test of its own)
export STACK_DOCUMENT_HANDLING=origin
# every request the cloud receives, to show what the site sent it
export SR_TEST_RECORD_REQUESTS=$tmp/cloud-requests
source "$src/tests/support/panel.sh"

stack_start "$tmp" "$bin" "$plugins" || { echo "the stack did not start"; exit 1; }
printer=$tmp/printer

swipe() { panel POST /api/v1/panel/reader/swipe "{\"card\":\"$1\"}" "$2"; } # CARD CREDENTIAL
enroll() { panel POST /api/v1/panel/readers/enroll "{\"token\":\"$1\"}"; }    # TOKEN -> $credential
held_jobs() { stack_srctl jobs --json | jq '[.jobs[] | select(.state == "held")] | length'; }
printed_jobs() { stack_srctl jobs --json | jq '[.jobs[] | select(.state == "printed")] | length'; }
finished_at_printer() { find "$printer/spool" -name '*.env' | wc -l; }
at_raw_sink() { find "$raw_dir" -name '*.prn' -size +0 | wc -l; }
is() { [ "$($1)" = "$2" ]; } # FUNCTION VALUE: for wait_until, which runs it again each time

# distinct one-page documents, named after the job that prints them
mkdir -p "$tmp/docs"
submit() { # NAME: a held job of alice titled NAME whose document says NAME
  python3 "$src/tests/support/make_pdf.py" "card reader test: $1" >"$tmp/docs/$1.pdf"
  "$bin/srctl" submit "$tmp/docs/$1.pdf" --queue "$queue_workstation" --title "$1" \
    --format application/pdf >/dev/null || echo "could not submit $1"
}
printed_docs() { stack_printed_docs "$tmp/docs"; } # stack_test.sh

# 1. an administrator adds a reader at printer1; it enrolls once
stack_srctl reader add --device nowhere >/dev/null 2>"$tmp/err-device"
check "a reader for a device the tenant lacks is refused" grep -q "no device 'nowhere'" "$tmp/err-device"
added=$(stack_srctl reader add --device printer1 --name "Lobby reader" --json)
reader_a=$(echo "$added" | jq -r .id)
token_a=$(echo "$added" | jq -r .enrollment_token)
check "srctl reader add: an id and a one-time token" ok '[ -n "$reader_a" ] && [ ${#token_a} = 43 ]'
# without --json: the token, and where it goes for a reader and for a panel app
plain=$(stack_srctl reader add --device printer1 --name "Lobby panel")
check "srctl reader add says where a reader sends its token and where a panel app takes it" \
  ok 'grep -q "^one-time enrollment token (valid [0-9]* s): [A-Za-z0-9_-]\{43\}$" <<<"$plain" &&
      grep -qF "POST /api/v1/panel/readers/enroll" <<<"$plain" && grep -qF "/panel/printer1 on the site service" <<<"$plain"'
check "listed, not enrolled yet" ok \
  '[ "$(stack_srctl reader list --json | jq -r ".readers[] | select(.id == \"$reader_a\") | .enrolled")" = false ]'
enroll "$token_a"
cred_a=$(field .credential)
check "enrollment: 201, bound to printer1, a credential of 43 characters" \
  ok '[ "$code" = 201 ] && [ "$(field .device)" = printer1 ] && [ ${#cred_a} = 43 ]'
enroll "$token_a"
check "the enrollment token works only once (401 bad_token)" \
  ok '[ "$code" = 401 ] && [ "$(field .error.code)" = bad_token ]'
check "listed as enrolled, through the demo site" ok \
  '[ "$(stack_srctl reader list --json | jq -r ".readers[] | select(.id == \"$reader_a\") | .enrolled")" = true ]'

# 2. a swipe with nothing held
swipe "$demo_card" "$cred_a"
check "a swipe with no held jobs: 200 no_jobs" ok '[ "$code" = 200 ] && [ "$(field .result)" = no_jobs ]'

# 3. three jobs from the workstation, then one swipe prints them all, in order
for n in first second third; do submit "$n"; done
check "three held jobs announced to the cloud" wait_until 150 is held_jobs 3
swipe "$demo_card" "$cred_a"
check "the swipe: 200 released 3" ok '[ "$code" = 200 ] && [ "$(field .result)" = released ] && [ "$(field .released)" = 3 ]'
check "the printer finished three jobs" wait_until 300 is finished_at_printer 3
check "the three documents, byte-identical, in submission order" [ "$(printed_docs)" = "first second third" ]
check "the cloud shows them printed" wait_until 100 is printed_jobs 3
check "nothing went to the RAW sink" [ "$(at_raw_sink)" = 0 ]

# 4. the credential decides the printer: a reader at another device
stack_srctl device add sink2 --name "RAW sink" --uri "socket://127.0.0.1:$raw_port" >/dev/null
added=$(stack_srctl reader add --device sink2 --json)
reader_b=$(echo "$added" | jq -r .id)
enroll "$(echo "$added" | jq -r .enrollment_token)"
cred_b=$(field .credential)
check "a second reader, bound to sink2" ok '[ "$code" = 201 ] && [ "$(field .device)" = sink2 ]'
submit fourth
check "a fourth job held" wait_until 150 is held_jobs 1
panel POST /api/v1/panel/reader/swipe "{\"card\":\"$demo_card\",\"device\":\"printer1\"}" "$cred_b"
check "a swipe cannot name a device (400 unknown_field)" \
  ok '[ "$code" = 400 ] && [ "$(field .error.code)" = unknown_field ]'
check "and released nothing" [ "$(held_jobs)" = 1 ]
swipe "$demo_card" "$cred_b"
check "the swipe at the sink's reader: released 1" ok '[ "$code" = 200 ] && [ "$(field .released)" = 1 ]'
check "the cloud shows it printed" wait_until 300 is printed_jobs 4
check "the job reached the RAW sink" [ "$(at_raw_sink)" = 1 ]
check "byte-identical" wait_until 50 cmp -s "$tmp/docs/fourth.pdf" "$(find "$raw_dir" -name '*.prn' -size +0 | head -1)"
check "and not the other printer" [ "$(find "$printer/spool" -name '*.pdf' | wc -l)" = 3 ]

# 5. an unknown card, and the panel's lockout
swipe 99999999 "$cred_a"
check "an unknown card: 403 card_unknown" ok '[ "$code" = 403 ] && [ "$(field .error.code)" = card_unknown ]'
for _ in 2 3 4 5; do swipe 99999999 "$cred_a"; done
check "five times: still card_unknown" [ "$(field .error.code)" = card_unknown ]
swipe 99999999 "$cred_a"
check "then the card is locked out: 429 with Retry-After" \
  ok '[ "$code" = 429 ] && [ "$(field .error.code)" = locked_out ] && grep -qi "^retry-after: [1-9]" <<<"$headers"'
swipe abc "$cred_a"
check "a card not in the site's format: 400" ok '[ "$code" = 400 ] && [ "$(field .error.code)" = invalid ]'
swipe "$demo_card" ""
check "no credential: 401 reader_unknown" ok '[ "$code" = 401 ] && [ "$(field .error.code)" = reader_unknown ]'
swipe "$demo_card" "not-a-credential"
check "a made-up credential: 401 reader_unknown" ok '[ "$code" = 401 ] && [ "$(field .error.code)" = reader_unknown ]'
# someone on the site's network sending made-up credentials as fast as the
# site forwards them: each is refused, but the cloud's log gets one line per
# site every few seconds with the count, not one per attempt
refused_lines() { grep -c "reader credential" "$stack_dir/cloud/log" || true; }
lines_before=$(refused_lines)
curl_args=()
for i in $(seq 300); do
  curl_args+=(-o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/json'
    -H "Authorization: Bearer made-up-$i" --data-binary "{\"card\":\"$demo_card\"}"
    "$panel_url/api/v1/panel/reader/swipe")
  [ "$i" -lt 300 ] && curl_args+=(--next --cacert "$ca_file")
done
curl -s --cacert "$ca_file" "${curl_args[@]}" >"$tmp/flood-codes"
check "300 made-up credentials: each 401" ok '[ "$(grep -c "^401$" "$tmp/flood-codes")" = 300 ]'
check "the cloud logged them in at most 3 lines, not 300 ($(($(refused_lines) - lines_before)))" \
  ok '[ $(($(refused_lines) - lines_before)) -le 3 ]'

# 6. revocation takes effect at once (the fifth job stays held)
submit fifth
check "a fifth job held" wait_until 150 is held_jobs 1
stack_srctl reader remove "$reader_b" >"$tmp/removed"
check "srctl reader remove" grep -q "removed" "$tmp/removed"
swipe "$demo_card" "$cred_b"
check "the revoked reader is refused (401 reader_unknown)" \
  ok '[ "$code" = 401 ] && [ "$(field .error.code)" = reader_unknown ]'
check "and released nothing" [ "$(held_jobs)" = 1 ]
check "it is no longer listed" ok '! stack_srctl reader list --json | jq -e ".readers[] | select(.id == \"$reader_b\")" >/dev/null'

# 6b. what a swipe leaves held: a PIN job (no keypad) and a colleague's job
# delegated to the user (no screen to show whose it is)
ipptool -q -T 10 -d pin=48151623 -d title=pin-job -f "$src/tests/data/three-pages.pdf" \
  "$queue_workstation" "$src/tests/data/ipp/pin-job.test"
check "ipptool: a PIN job held" [ $? = 0 ]
stack_srctl user add --email bob@example.com --name Bob --card 555000111 \
  --secret-file "$secret_file" --tenant "$tenant" >/dev/null
stack_print_scout bobws bob@example.com >/dev/null || echo "bob's scout did not start"
python3 "$src/tests/support/make_pdf.py" "card reader test: bob's" >"$tmp/docs/bobs.pdf"
"$bin/srctl" submit "$tmp/docs/bobs.pdf" --queue "$queue_bobws" --title bobs --format application/pdf >/dev/null
stack_srctl delegate add --from bob@example.com --to alice@example.com >/dev/null
check "alice's fifth and PIN jobs and bob's job held" wait_until 150 is held_jobs 3
swipe "$demo_card" "$cred_a"
check "the swipe: released 1, the PIN job counted as held" \
  ok '[ "$code" = 200 ] && [ "$(field .released)" = 1 ] && [ "$(field .pin_held)" = 1 ]'
check "the PIN job and bob's delegated job stay held" [ "$(held_jobs)" = 2 ]
check "the fifth job printed" wait_until 300 is finished_at_printer 4
check "after the first three, and nothing else" [ "$(printed_docs)" = "first second third fifth" ]

# 7. another tenant: its token and its credential are refused here, and
# this tenant's credential is refused at its site
other_ctl() { SR_CLOUD_URL=$cloud_url SR_CLOUD_CA=$ca_file SR_TOKEN_FILE=$tmp/other-token "$bin/srctl" "$@"; }
SR_CLOUD_URL=$cloud_url SR_CLOUD_CA=$ca_file SR_TOKEN_FILE=$tmp/cloud/operator-token \
  "$bin/srctl" tenant create other --token-out "$tmp/other-token" >/dev/null
# the same device id as this tenant's printer
other_ctl device add printer1 --uri "ipps://localhost:$printer_port/ipp/print" >/dev/null
other_ctl user add --email carol@example.com --card "$demo_card" --secret-file "$secret_file" \
  --tenant other >/dev/null
other_token=$(other_ctl reader add --device printer1 --json | jq -r .enrollment_token)
enroll "$other_token"
check "another tenant's enrollment token is refused at this site (401)" [ "$code" = 401 ]
mkdir -p "$tmp/site-other"
cat >"$tmp/site-other/site.yaml" <<YAML
service: device-scout
plugins: {paths: [$stack_plugins]}
panel: {address: 127.0.0.1, port: 0}
tls: {cert: ../pki/server.crt, key: ../pki/server.key}
tenant: other
cloud_url: $cloud_url
cloud_tls: {cert: site.crt, key: site.key, ca: ../pki/root.crt}
identity: {card_format: decimal, card_strip_leading_zeros: true, pin_length: 4, secret_file: ../site-secret}
YAML
stack_extra_site other_site "$tmp/site-other" \
  "$(other_ctl scout enroll --kind site --json | jq -r .enrollment_token)"
check "the other tenant's site service runs" [ -n "$extra_site_url" ]
demo_url=$panel_url
panel_url=$extra_site_url
enroll "$other_token"
cred_other=$(field .credential)
check "its reader enrolls at its own site" ok '[ "$code" = 201 ] && [ ${#cred_other} = 43 ]'
swipe "$demo_card" "$cred_a"
check "this tenant's reader credential is refused at the other tenant's site (401)" \
  ok '[ "$code" = 401 ] && [ "$(field .error.code)" = reader_unknown ]'
swipe "$demo_card" "$cred_other"
check "control: the other reader works at its own site (no jobs)" \
  ok '[ "$code" = 200 ] && [ "$(field .result)" = no_jobs ]'
panel_url=$demo_url
swipe "$demo_card" "$cred_other"
check "the other tenant's credential is refused here (401), for a card known here" \
  ok '[ "$code" = 401 ] && [ "$(field .error.code)" = reader_unknown ]'
check "and nothing was released" [ "$(held_jobs)" = 2 ]

# 8. a reader's swipe rate: 12 a minute
added=$(stack_srctl reader add --device sink2 --json)
enroll "$(echo "$added" | jq -r .enrollment_token)"
cred_c=$(field .credential)
n=0
for i in $(seq 12); do # unknown cards, each once: no card's lockout applies
  swipe "7700000$i" "$cred_c"
  [ "$code" = 403 ] && n=$((n + 1))
done
check "12 swipes in a minute are answered (unknown cards)" [ "$n" = 12 ]
swipe 77000013 "$cred_c"
check "the 13th: 429 rate_limited with Retry-After" \
  ok '[ "$code" = 429 ] && [ "$(field .error.code)" = rate_limited ] && grep -qi "^retry-after: [1-9]" <<<"$headers"'

# 9. the site sends the cloud the card's hash, never the number
check "the cloud received swipes with a card hash" \
  grep -q '^POST /api/v1/site/readers/swipe {"card_hash": *"[0-9a-f]\{64\}"}$' "$SR_TEST_RECORD_REQUESTS"
check "never the card number" bash -c "! grep -q '12345678' '$SR_TEST_RECORD_REQUESTS'"
check "nor in the cloud's files" bash -c "! grep -raq '12345678' '$tmp/cloud'"

checks_done
