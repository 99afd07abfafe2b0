#!/usr/bin/env bash
# Identity at the panel, end to end on the real stack (scripts/lib/stack.sh):
# delegation granted by an administrator and by a user at a panel, used,
# limited to the delegator's jobs, and revoked at once, also for a session
# that is already open.
# usage: identity_e2e.sh BIN_DIR PLUGIN_DIR SOURCE_DIR
set -u
bin=$1 plugins=$2 src=$3
tmp=$(mktemp -d /tmp/sr-test-identity-XXXXXX)
export STACK_QUIET=1
source "$src/scripts/lib/stack.sh"
cleanup() {
  stack_stop
  [ -n "${KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
passed=0 failed=0
check() { local what=$1; shift; if "$@"; then passed=$((passed + 1)); else echo "FAIL: $what"; failed=$((failed + 1)); fi; }

stack_start "$tmp" "$bin" "$plugins" || { echo "the stack did not start"; exit 1; }
doc=$src/tests/data/three-pages.pdf

panel() { # METHOD PATH [BODY] [SESSION] -> $code $body
  local args=(-sS --cacert "$ca_file" -o "$tmp/resp" -w '%{http_code}' -X "$1" "$panel_url$2")
  [ -n "${3:-}" ] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
  [ -n "${4:-}" ] && args+=(-H "Authorization: Bearer $4")
  code=$(curl "${args[@]}" 2>/dev/null) || code=000
  body=$(cat "$tmp/resp" 2>/dev/null)
}
field() { echo "$body" | jq -r "$1"; }
login() { # CARD -> $session
  panel POST /api/v1/panel/sessions "{\"device\":\"printer1\",\"card\":\"$1\"}"
  session=$(field .session)
}
submit() { # TITLE -> $job (alice's, as the panel lists it)
  "$bin/srctl" submit "$doc" --queue "$queue_workstation" --title "$1" --format application/pdf >/dev/null
  for _ in $(seq 100); do
    panel GET /api/v1/panel/jobs "" "$alice"
    job=$(echo "$body" | jq -r --arg t "$1" '.jobs[] | select(.title == $t) | .id')
    [ -n "$job" ] && return 0
    sleep 0.05
  done
  return 1
}
wait_printed() { # JOB SESSION
  for _ in $(seq 200); do
    panel GET "/api/v1/panel/jobs/$1" "" "$2"
    [ "$(field .state)" = printed ] && return 0
    sleep 0.05
  done
  return 1
}

for who in "bob:Bob Builder:2000001" "carol:Carol Jones:3000001"; do
  IFS=: read -r name full card <<<"$who"
  stack_srctl user add --email "$name@example.com" --name "$full" --card "$card" \
    --secret-file "$secret_file" --tenant "$tenant" >/dev/null
done
login "$demo_card"; alice=$session
login 2000001; bob=$session
login 3000001; carol=$session

# 1. an administrator lets bob release alice's jobs
submit "for bob"
stack_srctl delegate add --from "$demo_email" --to bob@example.com >"$tmp/out"
check "srctl delegate add" grep -q "bob@example.com may release the jobs of $demo_email" "$tmp/out"
panel GET /api/v1/panel/jobs "" "$bob"
check "bob sees alice's job, marked with her name" \
  [ "$(echo "$body" | jq -r --arg j "$job" '.jobs[] | select(.id == $j) | .owner.name')" = "Alice Demo" ]
panel GET /api/v1/panel/jobs "" "$carol"
check "carol, without a delegation, does not" [ "$(field '.jobs | length')" = 0 ]
panel POST /api/v1/panel/release "{\"jobs\":[\"$job\"]}" "$carol"
check "carol cannot release it (404)" [ "$code" = 404 ]
panel DELETE "/api/v1/panel/jobs/$job" "" "$bob"
check "bob may release but not delete it (403)" [ "$code" = 403 ]
panel POST /api/v1/panel/release "{\"jobs\":[\"$job\"]}" "$bob"
check "bob releases it" [ "$code" = 202 ] && wait_printed "$job" "$bob"
bob_id=$(stack_srctl user list --json | jq -r '.users[] | select(.email == "bob@example.com") | .id')
alice_id=$(stack_srctl user list --json | jq -r --arg e "$demo_email" '.users[] | select(.email == $e) | .id')
check "recorded as released by bob on behalf of alice" \
  [ "$(field .last_release.released_by)" = "$bob_id" -a "$(field .last_release.on_behalf_of)" = "$alice_id" ]

# 2. revoked: bob's session, still open, loses them at once
submit "after revoke"
id=$(stack_srctl delegate list --json | jq -r '.delegations[0].id')
stack_srctl delegate remove "$id" >/dev/null
panel GET /api/v1/panel/jobs "" "$bob"
check "revoked: bob's open session no longer lists alice's jobs" [ "$(field '.jobs | length')" = 0 ]
panel POST /api/v1/panel/release "{\"jobs\":[\"$job\"]}" "$bob"
check "nor releases them (404)" [ "$code" = 404 ]

# 3. alice delegates to carol herself, at the panel, until a time
panel POST /api/v1/panel/delegations '{"delegate":"carol@example.com","until":"2020-01-01T00:00:00Z"}' "$alice"
check "an end in the past is refused (400)" [ "$code" = 400 ]
panel POST /api/v1/panel/delegations '{"delegate":"carol@example.com","until":"2999-01-01T00:00:00Z"}' "$alice"
check "alice delegates to carol at the panel (201)" [ "$code" = 201 -a "$(field .until)" = "2999-01-01T00:00:00Z" ]
did=$(field .id)
panel GET /api/v1/panel/jobs "" "$carol"
check "carol now sees alice's held job" [ "$(echo "$body" | jq -r --arg j "$job" '[.jobs[] | select(.id == $j)] | length')" = 1 ]
panel DELETE "/api/v1/panel/delegations/$did" "" "$carol"
check "carol cannot revoke alice's delegation (404)" [ "$code" = 404 ]
panel DELETE "/api/v1/panel/delegations/$did" "" "$alice"
check "alice revokes it (204)" [ "$code" = 204 ]
panel GET /api/v1/panel/jobs "" "$carol"
check "and carol sees nothing again" [ "$(field '.jobs | length')" = 0 ]
panel POST /api/v1/panel/delegations '{"delegate":"nobody@example.com"}' "$alice"
check "delegating to an unknown user: 404" [ "$code" = 404 ]

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
