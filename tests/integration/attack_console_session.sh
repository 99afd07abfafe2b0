#!/usr/bin/env bash
# The console's and portal's browser sessions as an attacker tries them,
# on the real stack (docs/console.md): sign-in links (single use, redeemed
# only from the console's origin), the session cookie's attributes, CSRF
# (no token, another session's token, a wrong Origin), roles (readonly and
# helpdesk against settings and users, a user's session against the
# console), another tenant's administrator, sign-out and a removed user,
# what the database keeps (hashes, never a token); and the sign-in with the
# real OpenID provider (tests/oidc/provider.mjs, its login pages gone
# through with curl as a browser would: tests/oidc/authorize.sh): roles
# from its groups claim, a state finished from another browser, a
# `next` that leads off the cloud, a callback used twice.
# usage: attack_console_session.sh BIN_DIR PLUGIN_DIR SOURCE_DIR
set -u
bin=$1 plugins=$2 src=$3
source "$src/tests/support/stack_test.sh" console-session
export STACK_CONSOLE_OIDC=1

stack_start "$tmp" "$bin" "$plugins" || { echo "the stack did not start"; exit 1; }
source "$src/tests/support/browser_session.sh" # web, sign_in, csrf_of, $origin

stack_srctl user add --email grace@example.com --name "Grace Help" >/dev/null
stack_srctl user add --email rita@example.com --name "Rita Read" >/dev/null
stack_srctl user add --email uma@example.com --name "Uma User" >/dev/null

# 1. links: made with a token, printed by srctl, single use, origin-bound
link=$(stack_console_link administrator "$demo_email")
check "srctl console link prints https://CLOUD/console/link#TOKEN" \
  grep -qE "^$origin/console/link#[A-Za-z0-9_-]{43}$" <<<"$link"
code=$(web evil POST /api/v1/sign-in-links/redeem -H 'Origin: https://evil.example' \
  -H 'Content-Type: application/json' -d "{\"token\": \"${link#*#}\"}")
check "a link redeemed from another origin (login CSRF): 403 csrf" \
  ok '[ "$code" = 403 ] && [ "$(json .error.code)" = csrf ]'
code=$(sign_in admin "$link")
check "the link signs the administrator in (and the foreign try did not use it up)" \
  ok '[ "$code" = 200 ] && [ "$(json .role)" = administrator ] && [ "$(json .next)" = /console/ ]'
cookie=$(grep -i '^set-cookie:' "$tmp/headers")
check "the cookie is __Host-sr_session, Secure, HttpOnly, SameSite=Strict, Path=/, no Domain" \
  ok 'grep -q "__Host-sr_session=" <<<"$cookie" && grep -q "; Secure" <<<"$cookie" &&
      grep -q "; HttpOnly" <<<"$cookie" && grep -q "SameSite=Strict" <<<"$cookie" &&
      grep -q "Path=/;" <<<"$cookie" && ! grep -qi domain <<<"$cookie"'
code=$(sign_in thief "$link")
check "the same link a second time: 401" ok '[ "$code" = 401 ] && [ "$(json .error.code)" = link_invalid ]'
code=$(web anon POST /api/v1/sign-in-links -H 'Content-Type: application/json' \
  -d "{\"email\": \"$demo_email\"}")
check "no token, no link: 401" [ "$code" = 401 ]

# 2. the session
code=$(web admin GET /api/v1/session)
check "GET /session tells the page who is signed in and its CSRF token" \
  ok '[ "$code" = 200 ] && [ "$(json .email)" = "$demo_email" ] && [ "$(json .tenant)" = "$tenant" ] &&
      [ "$(json .role)" = administrator ] && [ "$(json .csrf | wc -c)" = 65 ]'
admin_csrf=$(json .csrf)
check "a signed-in administrator reads the users" ok '[ "$(web admin GET /api/v1/users)" = 200 ]'

# 3. CSRF: every change needs the session's token and the console's Origin
patch_settings() { # JAR [curl args]
  local jar=$1
  shift
  web "$jar" PATCH /api/v1/settings -H 'Content-Type: application/json' -d '{"hold_time": "5h"}' "$@"
}
code=$(patch_settings admin -H "Origin: $origin")
check "cookie without X-CSRF-Token: 403 csrf" ok '[ "$code" = 403 ] && [ "$(json .error.code)" = csrf ]'
sign_in admin2 "$(stack_console_link administrator "$demo_email")" >/dev/null
other_csrf=$(csrf_of admin2)
code=$(patch_settings admin -H "Origin: $origin" -H "X-CSRF-Token: $other_csrf")
check "the CSRF token of another session: 403 csrf" ok '[ "$code" = 403 ] && [ "$(json .error.code)" = csrf ]'
code=$(patch_settings admin -H "Origin: https://evil.example" -H "X-CSRF-Token: $admin_csrf")
check "the right token from another Origin: 403 csrf" ok '[ "$code" = 403 ] && [ "$(json .error.code)" = csrf ]'
code=$(patch_settings admin -H "X-CSRF-Token: $admin_csrf")
check "the right token without an Origin: 403 csrf" ok '[ "$code" = 403 ] && [ "$(json .error.code)" = csrf ]'
check "nothing changed the hold time" [ "$(stack_srctl settings show --json | jq -r .hold_time)" != 18000 ]
code=$(patch_settings admin -H "Origin: $origin" -H "X-CSRF-Token: $admin_csrf")
check "token and Origin: the administrator changes the hold time" \
  ok '[ "$code" = 200 ] && [ "$(stack_srctl settings show --json | jq -r .hold_time)" = 18000 ]'

# 4. roles
sign_in rita "$(stack_console_link readonly rita@example.com)" >/dev/null
rita_csrf=$(csrf_of rita)
check "a readonly session reads the settings" [ "$(web rita GET /api/v1/settings)" = 200 ]
code=$(patch_settings rita -H "Origin: $origin" -H "X-CSRF-Token: $rita_csrf")
check "a readonly session cannot PATCH settings: 403" ok '[ "$code" = 403 ] && [ "$(json .error.code)" = forbidden ]'
code=$(web rita POST /api/v1/users -H "Origin: $origin" -H "X-CSRF-Token: $rita_csrf" \
  -H 'Content-Type: application/json' -d '{"email": "r1@example.com", "name": "R One"}')
check "a readonly session cannot add a user: 403" [ "$code" = 403 ]
sign_in grace "$(stack_console_link helpdesk grace@example.com)" >/dev/null
grace_csrf=$(csrf_of grace)
code=$(patch_settings grace -H "Origin: $origin" -H "X-CSRF-Token: $grace_csrf")
check "a helpdesk session cannot PATCH settings: 403" ok '[ "$code" = 403 ] && [ "$(json .error.code)" = forbidden ]'
code=$(web grace POST /api/v1/users -H "Origin: $origin" -H "X-CSRF-Token: $grace_csrf" \
  -H 'Content-Type: application/json' -d '{"email": "new@example.com", "name": "New Person"}')
check "a helpdesk session adds a user" ok '[ "$code" = 201 ] && stack_srctl user list --json | grep -q new@example.com'
code=$(web grace POST /api/v1/scouts -H "Origin: $origin" -H "X-CSRF-Token: $grace_csrf" \
  -H 'Content-Type: application/json' -d '{"kind": "print", "name": "x"}')
check "a helpdesk session cannot enroll a scout: 403" [ "$code" = 403 ]
sign_in uma "$(stack_console_link user uma@example.com)" >/dev/null
check "a user's link leads to the portal" [ "$(json .next)" = /portal/ ]
check "a user's session has a session" ok '[ "$(web uma GET /api/v1/session)" = 200 ] && [ "$(json .role)" = user ]'
code=$(web uma GET /api/v1/users)
check "a user's session cannot read the console's users: 403" [ "$code" = 403 ]

# 5. another tenant's administrator sees nothing of this one
SR_CLOUD_URL=$cloud_url SR_CLOUD_CA=$ca_file SR_TOKEN_FILE=$tmp/cloud/operator-token \
  "$bin/srctl" tenant create other --name "Other Company" --token-out "$tmp/other-token" >/dev/null
other() { SR_CLOUD_URL=$cloud_url SR_CLOUD_CA=$ca_file SR_TOKEN_FILE=$tmp/other-token "$bin/srctl" "$@"; }
other user add --email mallory@example.com --name Mallory >/dev/null
mlink=$(other console link --email mallory@example.com)
code=$(sign_in mallory "$mlink")
check "tenant B's administrator signs in to B" ok '[ "$code" = 200 ] && [ "$(web mallory GET /api/v1/session)" = 200 ] && [ "$(json .tenant)" = other ]'
mallory_csrf=$(json .csrf)
web mallory GET /api/v1/users >/dev/null
check "B's user list has none of A's users" ok '! grep -q "$demo_email" "$tmp/body"'
alice_id=$(stack_srctl user list --json | jq -r --arg e "$demo_email" '.users[] | select(.email == $e) | .id')
code=$(web mallory DELETE "/api/v1/users/$alice_id" -H "Origin: $origin" -H "X-CSRF-Token: $mallory_csrf")
check "B's administrator cannot remove A's user: 404" ok '[ "$code" = 404 ] && stack_srctl user list --json | grep -q "$demo_email"'
code=$(web mallory GET /api/v1/devices/printer1)
check "B's administrator cannot read A's printer: 404" [ "$code" = 404 ]
check "an administrator token of B cannot make links for A" \
  ok '! other console link --email "$demo_email" --tenant "$tenant" 2>/dev/null'

# 6. bearer wins; sign-out; a removed user is signed out everywhere
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$ca_file" -b "$tmp/rita.jar" \
  -H "Authorization: Bearer $(cat "$token_file")" -X PATCH -H 'Content-Type: application/json' \
  -d '{"hold_time": "6h"}' "$cloud_url/api/v1/settings")
check "a bearer token wins over a cookie (no CSRF for bearer)" [ "$code" = 200 ]
code=$(web admin2 DELETE /api/v1/session -H "Origin: $origin" -H "X-CSRF-Token: $other_csrf")
check "sign-out: 204 and the cookie cleared" \
  ok '[ "$code" = 204 ] && grep -qi "^set-cookie: __Host-sr_session=;.*Max-Age=0" "$tmp/headers"'
cp "$tmp/admin.jar" "$tmp/stolen.jar"
check "after sign-out the old cookie is dead" [ "$(web admin2 GET /api/v1/session)" = 401 ]
grace_id=$(stack_srctl user list --json | jq -r '.users[] | select(.email == "grace@example.com") | .id')
stack_srctl user remove "$grace_id" >/dev/null
code=$(web grace GET /api/v1/session)
check "a removed user's session is over: 401" ok '[ "$code" = 401 ] && [ "$(json .error.code)" = session_over ]'
check "a forged cookie: 401" \
  [ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$ca_file" -H 'Cookie: __Host-sr_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' "$cloud_url/api/v1/session")" = 401 ]

# idle and absolute ends (30 min, 12 h here): the clock is moved by
# ageing the rows, as the minutes would
sign_in idle "$(stack_console_link readonly rita@example.com)" >/dev/null
sign_in old "$(stack_console_link readonly rita@example.com)" >/dev/null
idle_hash=$(sed -n 's/.*__Host-sr_session\t//p' "$tmp/idle.jar" | tr -d '\n' | sha256sum | cut -c1-64)
old_hash=$(sed -n 's/.*__Host-sr_session\t//p' "$tmp/old.jar" | tr -d '\n' | sha256sum | cut -c1-64)
check "both sessions work" ok '[ "$(web idle GET /api/v1/session)" = 200 ] && [ "$(web old GET /api/v1/session)" = 200 ]'
now=$(date +%s)
stack_sql "UPDATE web_sessions SET last_seen = last_seen - 1801 WHERE token_hash = '$idle_hash'"
stack_sql "UPDATE web_sessions SET expires_at = $now - 1, last_seen = $now WHERE token_hash = '$old_hash'"
check "a session unused for 30 minutes is over (401 session_over)" \
  ok '[ "$(web idle GET /api/v1/session)" = 401 ] && [ "$(json .error.code)" = session_over ]'
check "a session past its 12 hours is over, however recently used" \
  ok '[ "$(web old GET /api/v1/session)" = 401 ] && [ "$(json .error.code)" = session_over ]'
check "and both rows are gone" [ "$(stack_sql "SELECT count(*) FROM web_sessions WHERE token_hash IN ('$idle_hash', '$old_hash')")" = 0 ]

# 7. at rest: hashes only
tok=$(sed -n 's/.*__Host-sr_session\t//p' "$tmp/stolen.jar")
check "the session token is not in the database (only its hash)" \
  ok 'stack_db_bytes >"$tmp/db.bytes" && grep -qaF "$tenant" "$tmp/db.bytes" && [ -n "$tok" ] && ! grep -aq "$tok" "$tmp/db.bytes" && [ "$(stack_sql "SELECT count(*) FROM web_sessions WHERE length(token_hash) = 64")" -ge 1 ]'
check "nor a link's token" ok '! grep -aq "${link#*#}" "$tmp/db.bytes"'
check "nor in the cloud's log" ok '! grep -aq "$tok" "$tmp/cloud/log" && ! grep -aq "${link#*#}" "$tmp/cloud/log"'

# 8. the pages: the link page with its CSP, no directory listing or escape
code=$(curl -s -o "$tmp/page" -D "$tmp/headers" -w '%{http_code}' --cacert "$ca_file" "$cloud_url/console/link")
check "the link page is served with a strict CSP" \
  ok '[ "$code" = 200 ] && grep -qi "^content-security-policy: default-src '"'"'none'"'"'; script-src '"'"'self'"'"'" "$tmp/headers" && grep -q link.js "$tmp/page"'
for p in /console/assets/ /console/assets/..%2f..%2fREADME.md /console/../README.md /web/shared/.hidden.js /console/a/b/c; do
  code=$(curl -s -o /dev/null -w '%{http_code}' --path-as-is --cacert "$ca_file" "$cloud_url$p")
  check "$p is no file: 404" [ "$code" = 404 ]
done

# 9. OpenID Connect: the cloud makes state, nonce and PKCE verifier; the
# browser that started a sign-in is the only one that can finish it
query_param() { # URL NAME
  sed 's/^[^?]*?//' <<<"$1" | tr '&' '\n' | sed -n "s/^$2=//p" | head -1 |
    python3 -c 'import sys, urllib.parse; print(urllib.parse.unquote_plus(sys.stdin.read().strip()))'
}
# starts a sign-in in browser JAR with QUERY; sets $location, $state, $auth_code for LOGIN
oidc_start() { # JAR QUERY LOGIN
  web "$1" GET "/console/login$2" >/dev/null
  location=$(sed -n 's/^location: //Ip' "$tmp/headers" | tr -d '\r')
  state=$(query_param "$location" state)
  auth_code=$(bash "$src/tests/oidc/authorize.sh" "$oidc_issuer" "$ca_file" \
    "$(query_param "$location" client_id)" "$(query_param "$location" redirect_uri)" \
    "$(query_param "$location" code_challenge)" "$state" "$(query_param "$location" nonce)" "$3")
}
callback() { web "$1" GET "/console/oidc/callback?code=$auth_code&state=$state"; }
oidc_start ob1 "?next=/console/jobs" alice
check "GET /console/login sends the browser to the provider with the console's client, PKCE S256 and a login cookie" \
  ok '[[ "$location" == "$oidc_issuer/"* ]] && [ "$(query_param "$location" client_id)" = securerelease-console ] &&
      [ "$(query_param "$location" code_challenge_method)" = S256 ] && [ -n "$auth_code" ] &&
      grep -q "__Host-sr_login" "$tmp/ob1.jar"'
code=$(callback thief)
check "the state and code finished from another browser: refused (400 login_mismatch)" \
  ok '[ "$code" = 400 ] && [ "$(json .error.code)" = login_mismatch ] && ! grep -q __Host-sr_session "$tmp/thief.jar"'
code=$(callback ob1)
where=$(sed -n 's/^location: //Ip' "$tmp/headers" | tr -d '\r')
check "the browser that started it is signed in and sent to next (/console/jobs)" \
  ok '[ "$code" = 302 ] && [ "$where" = /console/jobs ] && grep -q __Host-sr_session "$tmp/ob1.jar"'
web ob1 GET /api/v1/session >/dev/null
check "alice (group sr-admins) is an administrator of her tenant" \
  ok '[ "$(json .role)" = administrator ] && [ "$(json .email)" = "$demo_email" ] && [ "$(json .tenant)" = "$tenant" ]'
check "the same callback again: refused" ok '[ "$(callback ob1)" = 400 ]'
stack_srctl user add --email grace@example.com --name "Grace Again" >/dev/null
oidc_start ob2 "?next=https://evil.example/steal" grace
callback ob2 >/dev/null
where=$(sed -n 's/^location: //Ip' "$tmp/headers" | tr -d '\r')
check "next=https://evil.example stays on the cloud (/console/)" [ "$where" = /console/ ]
web ob2 GET /api/v1/session >/dev/null
check "grace (group sr-helpdesk) is help desk" [ "$(json .role)" = helpdesk ]
oidc_start ob3 "?next=//evil.example/x" uma
callback ob3 >/dev/null
where=$(sed -n 's/^location: //Ip' "$tmp/headers" | tr -d '\r')
web ob3 GET /api/v1/session >/dev/null
check "next=//evil.example stays on the cloud; uma (no group) is a user" \
  ok '[ "$where" = /console/ ] && [ "$(json .role)" = user ]'
oidc_start ob4 "" stranger
code=$(callback ob4)
check "an account that is no user here is refused (403 unknown_user) and gets no session" \
  ok '[ "$code" = 403 ] && ! grep -q __Host-sr_session "$tmp/ob4.jar"'

checks_done
