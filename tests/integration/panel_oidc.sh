#!/usr/bin/env bash
# OpenID Connect login at a printer's browser (the release page), at the API
# level: authorization code with PKCE (RFC 7636) against a real provider
# (tests/oidc/provider.mjs, npm oidc-provider), whose login and consent
# pages curl goes through as a browser would (tests/oidc/authorize.sh). The
# release page's part (verifier, challenge, state, nonce, the redirect back)
# is done here; the code goes to the site service's panel API and the cloud
# redeems it. A good login opens a panel session that lists the user's
# jobs; a wrong verifier, a code used twice, a wrong nonce, a redirect URI
# that is not the one the code was made for, and another client's code are
# refused, and open no session; a provider that is down or not set up for
# browsers is said so.
# usage: panel_oidc.sh BIN_DIR PLUGIN_DIR SOURCE_DIR
set -u
bin=$1 src=$3
source "$src/tests/support/stack_test.sh" panel-oidc
cleanup_more() {
  [ -n "${oidc_pid:-}" ] && kill "$oidc_pid" 2>/dev/null && wait "$oidc_pid" 2>/dev/null
}

# the panel's port is chosen first: the page's redirect URI, which the
# provider registers for the client, is on it
stack_pki "$tmp/pki"
site_port=$(stack_free_port)
redirect="https://localhost:$site_port/oidc/callback"
node "$src/tests/oidc/provider.mjs" --port 0 --cert "$tmp/pki/server.crt" --key "$tmp/pki/server.key" \
  --redirect-uri "$redirect" >"$tmp/oidc.out" 2>"$tmp/oidc.log" &
oidc_pid=$!
issuer=$(stack_wait_line "$tmp/oidc.out" issuer) || { echo "the OpenID provider did not start"; cat "$tmp/oidc.log"; }
export STACK_CLOUD_IDP="idp:
  - plugin: oidc
    config: {issuer: \"$issuer\", client_id: securerelease-scout, panel_client_id: securerelease-panel,
             ca_file: \"$tmp/pki/root.crt\"}"
stack_start "$tmp" "$bin" "$2" || { echo "the stack did not start"; exit 1; }

source "$src/tests/support/panel.sh"
b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
# What the release page makes for each login: a PKCE verifier and its S256
# challenge, a state and a nonce (random, base64url).
new_login() { # -> $verifier $challenge $state $nonce
  verifier=$(head -c 32 /dev/urandom | b64url)
  challenge=$(printf %s "$verifier" | openssl dgst -sha256 -binary | b64url)
  state=$(head -c 16 /dev/urandom | b64url)
  nonce=$(head -c 16 /dev/urandom | b64url)
}
# The person signs in at the provider as LOGIN for CLIENT (default: the
# release page's) with REDIRECT (default: the registered one) -> $auth_code
authorize() { # LOGIN [CLIENT] [REDIRECT]
  auth_code=$(bash "$src/tests/oidc/authorize.sh" "$issuer" "$ca_file" "${2:-securerelease-panel}" \
    "${3:-$redirect}" "$challenge" "$state" "$nonce" "$1" 2>"$tmp/authorize.err")
}
login_body() { # CODE VERIFIER REDIRECT NONCE
  jq -cn --arg c "$1" --arg v "$2" --arg r "$3" --arg n "$4" \
    '{device: "printer1", oidc_code: $c, code_verifier: $v, redirect_uri: $r, nonce: $n}'
}
log_lines() { wc -l <"$1"; }
try_login() { # BODY: a login at printer1, noting where the logs stood before it
  cloud_mark=$(log_lines "$tmp/cloud/log") oidc_mark=$(log_lines "$tmp/oidc.log")
  panel POST /api/v1/panel/sessions "$1"
}
logged_since() { # FILE MARK PATTERN: a line FILE got after MARK lines matches PATTERN
  tail -n +"$(($2 + 1))" "$1" | grep -q "$3"
}
# 401 bad_credentials without a session, for the reason the cloud logged
# (and the provider's own, when it refused the code: it tells the cloud
# only "invalid_grant")
refused() { # CLOUD_REASON [PROVIDER_REASON]
  [ "$code" = 401 ] && [ "$(field .error.code)" = bad_credentials ] && [ "$(field .session)" = null ] &&
    wait_until 50 logged_since "$tmp/cloud/log" "$cloud_mark" "OpenID login refused: .*$1" &&
    { [ -z "${2:-}" ] || wait_until 50 logged_since "$tmp/oidc.log" "$oidc_mark" "grant.error: .*$2"; }
}

# 0. a held job of alice's, to see in her session
"$bin/srctl" submit "$src/tests/data/three-pages.pdf" --queue "$queue_workstation" \
  --title "alice's report" --format application/pdf >/dev/null
login printer1 "$demo_card"
card_session=$session
listed() { panel GET /api/v1/panel/jobs "" "$card_session" && [ "$(field '.jobs[0].title')" = "alice's report" ]; }
check "alice's job is held (as her card login lists it)" wait_until 100 listed

# 1. where the page starts: the provider's authorization endpoint, as which client
panel GET /api/v1/panel/oidc
check "GET /panel/oidc names the provider's authorization endpoint, the client and the scope" \
  ok '[ "$code" = 200 ] && [ "$(field .authorization_endpoint)" = "$issuer/auth" ] &&
      [ "$(field .client_id)" = securerelease-panel ] && [[ " $(field .scope) " == *" openid "* ]]'

# 2. alice signs in at the provider; the code logs her in at the printer
new_login
authorize alice
check "alice signs in at the provider and it redirects back with a code" [ -n "$auth_code" ]
good=$(login_body "$auth_code" "$verifier" "$redirect" "$nonce")
panel POST /api/v1/panel/sessions "$good"
session=$(field .session)
check "the code logs alice in (201, a session)" \
  ok '[ "$code" = 201 ] && [ "$(field .user.email)" = alice@example.com ] && [ -n "$session" ] && [ "$session" != null ]'
panel GET /api/v1/panel/jobs "" "$session"
check "her session lists her held job" \
  ok '[ "$code" = 200 ] && [ "$(field "[.jobs[] | select(.title == \"alice'"'"'s report\")] | length")" = 1 ]'
check "the cloud logs the login by OpenID Connect" grep -q "logged in by OpenID Connect" "$tmp/cloud/log"

# 3. refused: each a fresh sign-in, with one thing wrong
try_login "$good"
check "the same code again: refused (401), no session" refused invalid_grant "already consumed"
new_login
authorize alice
other_verifier=$(head -c 32 /dev/urandom | b64url)
try_login "$(login_body "$auth_code" "$other_verifier" "$redirect" "$nonce")"
check "a code with another verifier (not the challenge's): refused (401)" \
  refused invalid_grant "code_verifier does not match code_challenge"
new_login
authorize alice
try_login "$(login_body "$auth_code" "$verifier" "$redirect" "other-$nonce")"
check "a code whose ID token carries another login's nonce: refused (401)" \
  refused "its nonce is not this login's"
new_login
authorize alice
try_login "$(login_body "$auth_code" "$verifier" "https://localhost:$site_port/elsewhere" "$nonce")"
check "a code sent with a redirect URI it was not made for: refused (401)" \
  refused invalid_grant "redirect_uri mismatch"
new_login
authorize alice securerelease-panel "https://localhost:$site_port/elsewhere"
check "the provider gives no code for a redirect URI the client has not registered" \
  ok '[ -z "$auth_code" ] && grep -q "redirect_uri" "$tmp/authorize.err"'
new_login
authorize alice other-app
check "another application at the provider gets a code of its own" [ -n "$auth_code" ]
try_login "$(login_body "$auth_code" "$verifier" "$redirect" "$nonce")"
check "another client's code: refused (401)" refused invalid_grant "client mismatch"
new_login
authorize mallory
try_login "$(login_body "$auth_code" "$verifier" "$redirect" "$nonce")"
check "an account that is not a user of the tenant: 401, no session" \
  ok '[ "$code" = 401 ] && [ "$(field .session)" = null ] &&
      logged_since "$tmp/cloud/log" "$cloud_mark" "OpenID login of mallory .*not a user here"'

# 4. what the site and the cloud refuse before asking the provider
panel POST /api/v1/panel/sessions '{"device":"printer1","oidc_code":"x","code_verifier":"y","redirect_uri":"https://a/"}'
check "a code without its nonce: 400 invalid" [ "$code" = 400 -a "$(field .error.code)" = invalid ]
panel POST /api/v1/panel/sessions "$(login_body code short "$redirect" n)"
check "a verifier shorter than RFC 7636's 43 characters: 400 invalid" [ "$code" = 400 -a "$(field .error.code)" = invalid ]
panel POST /api/v1/panel/sessions "$(jq -cn --argjson b "$good" '$b + {card: "123"}')"
check "a code with another method's field: 400 invalid" [ "$code" = 400 -a "$(field .error.code)" = invalid ]
new_login
panel POST /api/v1/panel/sessions "$(login_body code "$verifier" "$redirect" "$nonce" | jq -c '.device = "nowhere"')"
check "an unknown device: 404 unknown_device" [ "$code" = 404 -a "$(field .error.code)" = unknown_device ]

# 5. the refusals locked nothing: alice signs in again (now known by her subject)
new_login
authorize alice
panel POST /api/v1/panel/sessions "$(login_body "$auth_code" "$verifier" "$redirect" "$nonce")"
check "after the refusals a good code still logs alice in (201)" \
  [ "$code" = 201 -a "$(field .user.email)" = alice@example.com ]
check "her OIDC subject is recorded" \
  [ "$(stack_sql "SELECT subject FROM users WHERE email = 'alice@example.com'")" = alice-sub ]

# 6. the provider down: said so, not a refusal
new_login
authorize alice
kill "$oidc_pid" && wait "$oidc_pid" 2>/dev/null
oidc_pid=
panel POST /api/v1/panel/sessions "$(login_body "$auth_code" "$verifier" "$redirect" "$nonce")"
check "with the provider down a login gets 502 idp_unreachable" \
  [ "$code" = 502 -a "$(field .error.code)" = idp_unreachable ]

# 7. a provider without a client for browsers: the page is told, a code is refused
kill "$cloud_pid" && wait "$cloud_pid" 2>/dev/null
sed -i 's/ panel_client_id: securerelease-panel,//' "$tmp/cloud/cloud.yaml"
stack_cloud_start
panel GET /api/v1/panel/oidc
check "without panel_client_id: GET /panel/oidc is 404 oidc_not_configured" \
  [ "$code" = 404 -a "$(field .error.code)" = oidc_not_configured ]
panel POST /api/v1/panel/sessions "$(login_body "$auth_code" "$verifier" "$redirect" "$nonce")"
check "and a code login is 400 unsupported" [ "$code" = 400 -a "$(field .error.code)" = unsupported ]

checks_done
