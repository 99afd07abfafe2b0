#!/usr/bin/env bash
# Identity at the panel, end to end on the real stack (scripts/lib/stack.sh):
# delegation granted by an administrator and by a user at a panel, used,
# limited to the delegator's jobs, and revoked at once, also for a session
# that is already open; passcodes, card binding, directory (LDAP) logins and
# what a site's certificate alone may vouch for; registration by email and
# OpenID Connect.
# usage: identity_e2e.sh BIN_DIR PLUGIN_DIR SOURCE_DIR FIXTURE_DIR
set -u
bin=$1 src=$3
source "$src/tests/support/stack_test.sh" identity
# the real plugins, and a fixture provider that cannot complete registrations
plugins=$tmp/plugins
mkdir -p "$plugins"
ln -s "$2"/*.so "$4/sr_idp_beginonly.so" "$plugins/"
# the site gets an LDAP provider below, so it is enrolled for directory logins
export SR_TEST_RECORD_REQUESTS=$tmp/cloud-received.log STACK_LOCKOUT_DURATION=3s STACK_SITE_DIRECTORY=1
source "$src/tests/support/slapd.sh"
cleanup_more() {
  [ -n "${oidc_pid:-}" ] && kill "$oidc_pid" 2>/dev/null && wait "$oidc_pid" 2>/dev/null
  [ -n "${smtp_pid:-}" ] && kill -CONT "$smtp_pid" 2>/dev/null && kill "$smtp_pid" 2>/dev/null &&
    wait "$smtp_pid" 2>/dev/null
  [ -n "${slapd_pid:-}" ] && kill -CONT "$slapd_pid" 2>/dev/null && kill "$slapd_pid" 2>/dev/null &&
    wait "$slapd_pid" 2>/dev/null
}

# an SMTP sink (STARTTLS with the stack's certificate) for emailed codes
source "$src/tests/support/smtp.sh"
stack_pki "$tmp/pki"
smtp_sink_start
# a real OpenID provider (npm oidc-provider) for the device authorization grant
node "$src/tests/oidc/provider.mjs" --port 0 --cert "$tmp/pki/server.crt" --key "$tmp/pki/server.key" \
  >"$tmp/oidc.out" 2>"$tmp/oidc.log" &
oidc_pid=$!
issuer=$(stack_wait_line "$tmp/oidc.out" issuer) || { echo "the OpenID provider did not start"; cat "$tmp/oidc.log"; }
export STACK_CLOUD_IDP="idp:
  - plugin: beginonly
  - plugin: oidc
    config: {issuer: \"$issuer\", client_id: securerelease-scout, ca_file: \"$tmp/pki/root.crt\"}
  - plugin: email
    config: {smtp_url: \"smtp://localhost:$smtp_port\", ca_file: \"$tmp/pki/root.crt\", from: print@example.com, code_ttl: 600, attempts: 3}"
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
connected_to() { # PORT: waits for an established connection to PORT (the kernel accepts it
  # even while the server is stopped with SIGSTOP)
  for _ in $(seq 400); do
    ss -tnH state established "dport = :$1" | grep -q . && return 0
    sleep 0.025
  done
  return 1
}
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
check "bob releases it" ok '[ "$code" = 202 ] && wait_printed "$job" "$bob"'
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
until=$(date -u -d '+2 years' +%Y-%m-%dT00:00:00Z)
panel POST /api/v1/panel/delegations "{\"delegate\":\"carol@example.com\",\"until\":\"$until\"}" "$alice"
check "alice delegates to carol at the panel (201)" [ "$code" = 201 -a "$(field .until)" = "$until" ]
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
check "delegating to an unknown address: answered like a user (201), grants nothing" [ "$code" = 201 ]

# 4. passcodes: made at the workstation, shown once, stored as a keyed hash
scout_cfg=$tmp/workstation/scout.yaml
"$bin/sr-print-scout" passcode --config "$scout_cfg" >/dev/null 2>&1
check "passcode without --renew: usage (it is shown only once)" [ $? = 64 ]
"$bin/sr-print-scout" passcode --config "$scout_cfg" --renew >"$tmp/pc1" 2>&1
pc1=$(grep -o '[A-Z0-9]\{4\}-[A-Z0-9]\{4\}' "$tmp/pc1")
check "passcode --renew shows a new passcode" [ -n "$pc1" ]
panel POST /api/v1/panel/sessions "{\"device\":\"printer1\",\"passcode\":\"${pc1,,}\"}"
check "passcode login (any case, with the dash): alice" [ "$code" = 201 -a "$(field .user.email)" = "$demo_email" ]
"$bin/sr-print-scout" passcode --config "$scout_cfg" --renew >"$tmp/pc2" 2>&1
pc2=$(grep -o '[A-Z0-9]\{4\}-[A-Z0-9]\{4\}' "$tmp/pc2")
panel POST /api/v1/panel/sessions "{\"device\":\"printer1\",\"passcode\":\"$pc1\"}"
check "after renewal the old passcode fails (401)" [ "$code" = 401 ]
panel POST /api/v1/panel/sessions "{\"device\":\"printer1\",\"passcode\":\"$pc2\"}"
check "and the new one works" [ "$code" = 201 ]
check "the cloud never saw the passcode" bash -c "! grep -raqF '${pc2/-/}' '$tmp/cloud' && ! grep -raqF '$pc2' '$tmp/cloud'"

# 5. an unknown card is bound by logging in once another way
stack_srctl user add --email dave@example.com --name "Dave" --pin 4321 \
  --secret-file "$secret_file" --tenant "$tenant" >/dev/null
panel POST /api/v1/panel/sessions '{"device":"printer1","card":"7777777"}'
binding=$(field .error.card_binding)
check "unknown card: 401 card_unknown with a binding token" \
  [ "$code" = 401 -a "$(field .error.code)" = card_unknown -a -n "$binding" -a "$binding" != null ]
panel POST /api/v1/panel/sessions "{\"device\":\"printer1\",\"email\":\"dave@example.com\",\"pin\":\"1111\",\"bind_card\":\"$binding\"}"
check "a failed login does not bind it" [ "$code" = 401 ]
panel POST /api/v1/panel/sessions '{"device":"printer1","card":"7777777"}'
binding=$(field .error.card_binding)
panel POST /api/v1/panel/sessions "{\"device\":\"printer1\",\"email\":\"dave@example.com\",\"pin\":\"4321\",\"bind_card\":\"$binding\"}"
check "dave logs in with his PIN and the card is bound" [ "$code" = 201 -a "$(field .card_bound)" = true ]
panel POST /api/v1/panel/sessions '{"device":"printer1","card":"0007777777"}'
check "from now on the card (as the reader writes it) logs dave in" \
  [ "$code" = 201 -a "$(field .user.email)" = dave@example.com ]
panel POST /api/v1/panel/sessions "{\"device\":\"printer1\",\"passcode\":\"$pc2\",\"bind_card\":\"$binding\"}"
check "a binding token works once" [ "$code" = 201 -a "$(field .card_bound)" = false ]

# 6. directory (LDAP) logins at the panel: the password stays at the site
start_slapd "$tmp/ldap" "$tmp/pki/server.crt" "$tmp/pki/server.key" "$ca_file" <<'LDIF' || echo "slapd did not start"
dn: dc=example,dc=com
objectClass: dcObject
objectClass: organization
o: Example
dc: example

dn: ou=people,dc=example,dc=com
objectClass: organizationalUnit
ou: people

dn: uid=alice,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: alice
cn: Alice Demo
sn: Demo
mail: alice@example.com
userPassword: {CLEARTEXT}Correct-Horse-7

dn: uid=erin,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: erin
cn: Erin Directory
sn: Directory
mail: erin@example.com
userPassword: {CLEARTEXT}Battery-Staple-9

dn: uid=nomail,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: nomail
cn: No Mail
sn: Mail
userPassword: {CLEARTEXT}No-Mail-Here-1
LDIF
export STACK_SITE_IDP="idp:
  - plugin: ldap
    config: {url: \"$ldap_url\", ca_file: \"$ca_file\", base_dn: \"dc=example,dc=com\", user_attribute: uid}"
stack_site_restart || echo "the site service did not restart"
panel POST /api/v1/panel/sessions '{"device":"printer1","username":"alice","password":"Correct-Horse-7"}'
check "the directory vouches for alice, whom an administrator added: a failed login (401)" \
  [ "$code" = 401 -a "$(field .error.code)" = bad_credentials -a "$(field .session)" = null ]
panel POST /api/v1/panel/sessions '{"device":"printer1","username":"alice","password":"wrong-password"}'
check "a wrong password: 401" [ "$code" = 401 -a "$(field .error.code)" = bad_credentials ]
panel POST /api/v1/panel/sessions '{"device":"printer1","username":"erin","password":"Battery-Staple-9"}'
check "a directory user new to the cloud is added on first login" \
  [ "$code" = 201 -a "$(field .user.email)" = erin@example.com -a "$(field .user.name)" = "Erin Directory" ]
panel POST /api/v1/panel/sessions '{"device":"printer1","username":"*","password":"Correct-Horse-7"}'
check "a filter in the username matches nobody (401)" [ "$code" = 401 ]
panel POST /api/v1/panel/sessions '{"device":"printer1","username":"alice","password":""}'
check "an empty password never binds (401)" [ "$code" = 401 ]
panel POST /api/v1/panel/sessions '{"device":"printer1","username":"nomail","password":"No-Mail-Here-1"}'
check "an entry without email cannot log in (403)" [ "$code" = 403 ]
check "the cloud received the verdicts, never a password" \
  bash -c "grep -q directory_verdict '$tmp/cloud-received.log' && ! grep -qE 'Correct-Horse|Battery-Staple|wrong-password|No-Mail-Here' '$tmp/cloud-received.log'"
for i in 1 2 3 4 5; do
  panel POST /api/v1/panel/sessions '{"device":"printer1","username":"erin","password":"wrong-again"}'
done
panel POST /api/v1/panel/sessions '{"device":"printer1","username":"erin","password":"Battery-Staple-9"}'
check "five wrong passwords lock the username out (429)" [ "$code" = 429 ]
sleep 3.2
panel POST /api/v1/panel/sessions '{"device":"printer1","username":"erin","password":"Battery-Staple-9"}'
check "the lockout ends after its duration (here 3 s)" [ "$code" = 201 ]
# 6b. a directory workstation: no registration, the login names the owner
token=$(stack_srctl scout enroll --kind print --name ad-pc --directory --json | jq -r .enrollment_token)
mkdir -p "$tmp/ad-pc"
sed -e "s|$tmp/workstation/store|$tmp/ad-pc/store|" -e "s|scout.crt|../ad-pc/scout.crt|g" \
  -e "s|scout.key|../ad-pc/scout.key|g" "$tmp/workstation/scout.yaml" >"$tmp/ad-pc/scout.yaml"
cat >>"$tmp/ad-pc/scout.yaml" <<YAML
user_source: directory
idp:
  - plugin: ldap
    config: {url: "$ldap_url", ca_file: "$ca_file", base_dn: "dc=example,dc=com", user_attribute: uid}
YAML
"$bin/sr-print-scout" enroll --config "$tmp/ad-pc/scout.yaml" --token "$token" >/dev/null
"$bin/sr-print-scout" --config "$tmp/ad-pc/scout.yaml" >"$tmp/ad-pc/out" 2>"$tmp/ad-pc/log" &
stack_pids+=($!)
ad_queue=$(stack_wait_line "$tmp/ad-pc/out" queue)
"$bin/srctl" submit "$doc" --queue "$ad_queue" --user erin --title "from erin's login" --format application/pdf >/dev/null
"$bin/srctl" submit "$doc" --queue "$ad_queue" --user nobody --title "from nobody" --format application/pdf >/dev/null
panel POST /api/v1/panel/sessions '{"device":"printer1","username":"erin","password":"Battery-Staple-9"}'
panel GET /api/v1/panel/jobs "" "$(field .session)"
check "a directory workstation's job belongs to the login's directory user" \
  ok '[ "$(echo "$body" | jq -r ".jobs[] | select(.title == \"from erin'"'"'s login\") | .owner.name")" = "Erin Directory" ]'
check "a login the directory does not know is not announced" \
  ok '! grep -q "from nobody" "$tmp/cloud-received.log" && grep -q "login .nobody. has no directory entry" "$tmp/ad-pc/log"'
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$ca_file" --cert "$tmp/workstation/scout.crt" \
  --key "$tmp/workstation/scout.key" -H 'Content-Type: application/json' \
  -d '{"id":"0123abcd","title":"x","copies":1,"sides":"one-sided","color":"auto","submitted_at":1,"owner_email":"erin@example.com"}' \
  "$cloud_url/api/v1/scout/jobs")
check "a registered workstation cannot name another owner (403)" [ "$code" = 403 ]

# 6c. what a site's certificate alone may vouch for: an attacker who holds
# one calls the cloud directly, as the site service would
post_as() { # CERT KEY PATH BODY -> $code $body: a JSON POST to the cloud with a client certificate
  code=$(curl -sS --cacert "$ca_file" --cert "$1" --key "$2" -o "$tmp/resp" \
    -w '%{http_code}' -H 'Content-Type: application/json' --data-binary "$4" \
    "$cloud_url$3" 2>/dev/null) || code=000
  body=$(cat "$tmp/resp" 2>/dev/null)
}
as_site() { post_as "$1/site.crt" "$1/site.key" /api/v1/site/panel/sessions "$2"; } # CERT_DIR BODY
verdict() { # USERNAME EMAIL: a directory's "ok" for EMAIL at the kiosk
  printf '{"device":"kiosk","username":"%s","directory_verdict":"ok","directory_email":"%s"}' "$1" "$2"
}
users_json() { stack_srctl user list --json; }
directory_of() { users_json | jq -r --arg e "$1" '.users[] | select(.email == $e) | .directory'; }
# a device of its own, so these refusals do not lock printer1 out
stack_srctl device add kiosk --uri "ipp://localhost:$printer_port/ipp/print" >/dev/null
scout_field() { # NAME FIELD: of the scout with that name
  stack_srctl scout list --json | jq -r --arg n "$1" ".scouts[] | select(.name == \$n) | .$2"
}
site_id=$(scout_field "Demo site" id)
check "the stack's LDAP site is enrolled for directory logins" [ "$(scout_field "Demo site" directory)" = 1 ]
# a second site, enrolled without --directory: its panels answer "unsupported"
token=$(stack_srctl scout enroll --kind site --name "Plain site" --json | jq -r .enrollment_token)
mkdir -p "$tmp/plain-site"
cp "$tmp/site/site.yaml" "$tmp/plain-site/site.yaml"
"$bin/sr-device-scout" enroll --config "$tmp/plain-site/site.yaml" --token "$token" >/dev/null
plain_id=$(scout_field "Plain site" id)
check "a site enrolled without --directory is listed so" [ "$(scout_field "Plain site" directory)" = 0 ]
as_site "$tmp/plain-site" "$(verdict alice "$demo_email")"
check "a site not enrolled for directory logins cannot vouch for an existing user (403, no session)" \
  [ "$code" = 403 -a "$(field .error.code)" = forbidden -a "$(field .session)" = null ]
check "the refusal says why" ok '[[ "$(field .error.message)" == *"not enrolled for directory logins"* ]]'
check "and the cloud's log names the site" \
  grep -q "site $plain_id (Plain site) sent a directory verdict but is not enrolled" "$tmp/cloud/log"
as_site "$tmp/plain-site" "$(verdict mallory mallory@example.com)"
check "nor for a new email (403)" [ "$code" = 403 -a "$(field .session)" = null ]
check "and no user was made" ok '[ -n "$(users_json)" ] && [ -z "$(directory_of mallory@example.com)" ]'
# the directory site vouches for accounts that are not the directory's
bob_id=$(users_json | jq -r '.users[] | select(.email == "bob@example.com") | .id')
as_site "$tmp/site" '{"device":"kiosk","username":"nobody-1","directory_verdict":"refused"}'
refused=$body
as_site "$tmp/site" "$(verdict nobody-2 bob@example.com)"
check "a directory site vouching for a user an administrator added: 401, no session" \
  [ "$code" = 401 -a "$(field .error.code)" = bad_credentials -a "$(field .session)" = null ]
check "answered exactly as a wrong password (nothing told about the account)" [ "$body" = "$refused" ]
check "the refusal is logged, naming the site and the user" \
  grep -q "site $site_id (Demo site) vouched for user $bob_id, who is not a directory user; refused" "$tmp/cloud/log"
as_site "$tmp/site" "$(verdict nobody-3 BOB@Example.com)"
check "also when the email is written differently" [ "$code" = 401 -a "$(field .session)" = null ]
check "the users a directory added are marked so, those an administrator added not" \
  [ "$(directory_of erin@example.com)" = 1 -a "$(directory_of "$demo_email")" = 0 -a "$(directory_of bob@example.com)" = 0 ]
# ... and for its directory's own users, in its own tenant only
as_site "$tmp/site" "$(verdict erin erin@example.com)"
check "a directory site vouching for a directory user logs them in (201)" \
  [ "$code" = 201 -a "$(field .user.email)" = erin@example.com -a "$(field .session)" != null ]
as_token() { # TOKEN_FILE SRCTL_ARGS...: srctl as another tenant's administrator (or the operator)
  SR_CLOUD_URL=$cloud_url SR_CLOUD_CA=$ca_file SR_TOKEN_FILE=$1 "$bin/srctl" "${@:2}"
}
as_token "$tmp/cloud/operator-token" tenant create other --token-out "$tmp/other-token" >/dev/null
as_token "$tmp/other-token" user add --email olga@example.com --name "Olga Other" >/dev/null
other_users() { as_token "$tmp/other-token" user list --json; }
olga_other=$(other_users | jq -r '.users[] | select(.email == "olga@example.com") | .id')
as_site "$tmp/site" "$(verdict olga olga@example.com)"
olga_here=$(field .user.id)
check "a verdict acts in the site's tenant only: a new directory user there, not the other tenant's" \
  ok '[ "$code" = 201 ] && [ -n "$olga_other" ] && [ "$olga_here" != "$olga_other" ] && [ "$(directory_of olga@example.com)" = 1 ]'
check "and the other tenant's user is untouched" \
  [ "$(other_users | jq -c '.users | map({id, directory})')" = "[{\"id\":\"$olga_other\",\"directory\":0}]" ]

# 6d. a directory that hangs holds up only its own login: the site checks
# passwords on its worker pool, so its panel loop keeps answering others
ldap_port=${ldap_url##*:}
kill -STOP "$slapd_pid"
curl -sS --max-time 30 --cacert "$ca_file" -o "$tmp/slow.resp" -w '%{http_code} %{time_total}' \
  -H 'Content-Type: application/json' \
  --data-binary '{"device":"printer1","username":"erin","password":"Battery-Staple-9"}' \
  "$panel_url/api/v1/panel/sessions" >"$tmp/slow.out" 2>/dev/null &
slow_pid=$!
# in flight once the site holds a connection to the stopped slapd
check "a directory login is in flight to the stopped directory" connected_to "$ldap_port"
card=$(curl -sS --max-time 30 --cacert "$ca_file" -o "$tmp/card.resp" -w '%{http_code} %{time_total}' \
  -H 'Content-Type: application/json' --data-binary "{\"device\":\"kiosk\",\"card\":\"$demo_card\"}" \
  "$panel_url/api/v1/panel/sessions" 2>/dev/null)
card_code=${card% *} card_time=${card#* }
echo "card login during the directory stall: HTTP $card_code in ${card_time}s"
check "meanwhile a card login at another panel answers (201) within 200 ms" \
  ok '[ "$card_code" = 201 ] && awk -v t="$card_time" "BEGIN { exit !(t < 0.2) }"'
check "while the directory login was still waiting" kill -0 "$slow_pid"
kill -CONT "$slapd_pid"
wait "$slow_pid"
read -r slow_code slow_time <"$tmp/slow.out"
echo "the directory login after SIGCONT: HTTP $slow_code in ${slow_time}s"
check "the directory resumes and the waiting login completes (201)" \
  [ "$slow_code" = 201 -a "$(jq -r .user.email "$tmp/slow.resp")" = erin@example.com ]

kill "$slapd_pid"; wait "$slapd_pid" 2>/dev/null; slapd_pid=
panel POST /api/v1/panel/sessions '{"device":"printer1","username":"erin","password":"Battery-Staple-9"}'
check "directory down: 502, said so" [ "$code" = 502 -a "$(field .error.code)" = directory_unreachable ]

# 7. registration by email: a mailed code, then a PIN chosen at the workstation
enroll=$(stack_srctl scout enroll --kind print --name frank-pc --json | jq -r .enrollment_token)
mkdir -p "$tmp/frank"
sed -e "s|$tmp/workstation/store|$tmp/frank/store|" -e "s|scout.crt|../frank/scout.crt|g" \
  -e "s|scout.key|../frank/scout.key|g" -e "s|^user: .*|user: frank@example.com|" \
  "$tmp/workstation/scout.yaml" >"$tmp/frank/scout.yaml"
"$bin/sr-print-scout" enroll --config "$tmp/frank/scout.yaml" --token "$enroll" >/dev/null
mail_code() { # the code in the newest mail to $1
  grep -rl "To: <$1>" "$tmp/mail/box/new" 2>/dev/null | xargs -r ls -t | head -1 |
    xargs -r grep -o 'is: [0-9]\{6\}' | cut -d' ' -f2
}
# the user's side: types a wrong code first, then the mailed one, and a PIN
mkfifo "$tmp/reg.in"
"$bin/sr-print-scout" register --config "$tmp/frank/scout.yaml" --email Frank@Example.com \
  <"$tmp/reg.in" >"$tmp/reg.out" 2>&1 &
reg_pid=$!
exec 7>"$tmp/reg.in"
for _ in $(seq 100); do code=$(mail_code frank@example.com); [ -n "$code" ] && break; sleep 0.1; done
check "the code arrives by mail (over STARTTLS)" [ -n "$code" ]
wrong=$(( (10#${code:-0} + 1) % 1000000 )); wrong=$(printf '%06d' "$wrong")
printf '%s\n1234\n%s\n5678\n' "$wrong" "$code" >&7
exec 7>&-
wait "$reg_pid"
reg_status=$?
check "a wrong code is refused, the right one registers frank" \
  ok '[ "$reg_status" = 0 ] && grep -q "wrong code" "$tmp/reg.out" && grep -q "Registered: this workstation prints as frank@example.com" "$tmp/reg.out"'
panel POST /api/v1/panel/sessions '{"device":"printer1","email":"frank@example.com","pin":"5678"}'
check "frank logs in at the panel with the PIN he chose" [ "$code" = 201 -a "$(field .user.email)" = frank@example.com ]
check "the cloud never saw the code's PIN in clear" bash -c "! grep -q '\"5678\"' '$tmp/cloud-received.log'"
"$bin/sr-print-scout" register --config "$tmp/frank/scout.yaml" --email not-an-address >/dev/null 2>"$tmp/reg.err"
check "a bad address is refused with a message" grep -q "not an email address" "$tmp/reg.err"

# 7b. an SMTP server that hangs holds up only its own registration: the
# cloud runs the providers' steps on its worker pool, its API keeps answering
kill -STOP "$smtp_pid"
curl -sS --max-time 60 --cacert "$ca_file" --cert "$tmp/frank/scout.crt" --key "$tmp/frank/scout.key" \
  -o "$tmp/stall-reg.resp" -w '%{http_code} %{time_total}' -H 'Content-Type: application/json' \
  -d '{"email":"stalled@example.com"}' "$cloud_url/api/v1/scout/register" >"$tmp/stall-reg.out" 2>/dev/null &
stall_pid=$!
# in flight once the cloud holds a connection to the stopped sink
check "an email registration is in flight to the stopped SMTP server" connected_to "$smtp_port"
timed() { curl -sS --max-time 30 --cacert "$ca_file" -o /dev/null -w '%{http_code} %{time_total}' "$@" 2>/dev/null; }
fast() { awk -v t="$1" 'BEGIN { exit !(t < 0.2) }'; }
health=$(timed "$cloud_url/api/v1/health")
admin=$(timed -H "Authorization: Bearer $(cat "$token_file")" "$cloud_url/api/v1/users")
echo "during the SMTP stall: health HTTP ${health% *} in ${health#* }s, admin call HTTP ${admin% *} in ${admin#* }s"
check "meanwhile the cloud's health answers (200) within 200 ms" ok '[ "${health% *}" = 200 ] && fast "${health#* }"'
check "and an administrator's call (200) within 200 ms" ok '[ "${admin% *}" = 200 ] && fast "${admin#* }"'
check "while the registration was still waiting" kill -0 "$stall_pid"
kill -CONT "$smtp_pid"
wait "$stall_pid"
read -r stall_code stall_time <"$tmp/stall-reg.out"
echo "the registration after SIGCONT: HTTP $stall_code in ${stall_time}s"
check "the SMTP server resumes and the registration starts (202)" \
  [ "$stall_code" = 202 -a "$(jq -r .registration "$tmp/stall-reg.resp" | cut -c1-2)" = g- ]
for _ in $(seq 100); do code=$(mail_code stalled@example.com); [ -n "$code" ] && break; sleep 0.1; done
check "and its code is mailed" [ -n "$code" ]

# 7c. a provider that starts registrations but has no registration_complete
# (optional in the ABI): completing one is a clear error, not a crash
post_as "$tmp/frank/scout.crt" "$tmp/frank/scout.key" /api/v1/scout/register '{"email":"begin-only@example.com"}'
bo_id=$(field .registration)
check "a provider without registration_complete starts a registration (202)" \
  [ "$code" = 202 -a "${bo_id:0:2}" = g- ]
post_as "$tmp/frank/scout.crt" "$tmp/frank/scout.key" /api/v1/scout/register/complete \
  "{\"registration\":\"$bo_id\",\"code\":\"123456\"}"
check "completing it: 501 unsupported, naming the provider" \
  ok '[ "$code" = 501 ] && [ "$(field .error.code)" = unsupported ] && [[ "$(field .error.message)" == *"beginonly"*"cannot complete registrations"* ]]'
check "and the cloud still answers" \
  [ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$ca_file" "$cloud_url/api/v1/health")" = 200 ]

# 7d. a registration that starts and then fails is cancelled with the
# provider, and never on the cloud's loop (docs/plugins.md): the fixture
# logs which thread its registration_cancel ran on
post_as "$tmp/frank/scout.crt" "$tmp/frank/scout.key" /api/v1/scout/register '{"email":"begin-fails@example.com"}'
check "a registration that fails as it starts: 500 with the provider's reason" \
  ok '[ "$code" = 500 ] && [[ "$(field .error.message)" == *"begin-fails: started, then failed"* ]]'
cancelled() { grep -q 'registration cancelled' "$tmp/cloud/log"; }
for _ in $(seq 100); do cancelled && break; sleep 0.1; done
check "the provider is told to cancel it, off the loop" \
  ok 'grep -q "registration cancelled off the loop" "$tmp/cloud/log" && ! grep -q "registration cancelled on the loop" "$tmp/cloud/log"'

# 8. registration with OpenID Connect: device flow, then a passcode
new_scout() { # NAME -> an enrolled scout without a user in $tmp/NAME
  local token
  token=$(stack_srctl scout enroll --kind print --name "$1" --json | jq -r .enrollment_token)
  mkdir -p "$tmp/$1"
  sed -e "s|$tmp/workstation/store|$tmp/$1/store|" -e "s|scout.crt|../$1/scout.crt|g" \
    -e "s|scout.key|../$1/scout.key|g" "$tmp/workstation/scout.yaml" >"$tmp/$1/scout.yaml"
  "$bin/sr-print-scout" enroll --config "$tmp/$1/scout.yaml" --token "$token" >/dev/null
}
user_code_of() { # FILE: the code the scout shows
  for _ in $(seq 100); do
    grep -q "enter the code" "$1" 2>/dev/null && { awk '/enter the code/ {print $NF}' "$1"; return 0; }
    sleep 0.1
  done
  return 1
}
new_scout grace-pc
"$bin/sr-print-scout" register --config "$tmp/grace-pc/scout.yaml" >"$tmp/oidc-reg.out" 2>"$tmp/oidc-reg.err" &
reg_pid=$!
user_code=$(user_code_of "$tmp/oidc-reg.out")
check "the scout shows the verification URL and a user code" ok '[ -n "$user_code" ] && grep -q "$issuer/device" "$tmp/oidc-reg.out"'
check "and the URL as a QR code" grep -q "█" "$tmp/oidc-reg.out"
sleep 1.5 # the user takes a moment: the cloud is told "pending" meanwhile
bash "$src/tests/oidc/approve.sh" "$issuer" "$ca_file" "$user_code" grace >/dev/null 2>"$tmp/approve.err"
check "grace signs in and approves at the provider" [ $? = 0 ]
wait "$reg_pid"
reg_status=$?
check "the workstation is registered to grace (from the ID token)" \
  ok '[ $reg_status = 0 ] && grep -q "Registered: this workstation prints as grace@example.com" "$tmp/oidc-reg.out"'
passcode=$(grep -o '[A-Z0-9]\{4\}-[A-Z0-9]\{4\}' "$tmp/oidc-reg.out" | tail -1)
panel POST /api/v1/panel/sessions "{\"device\":\"printer1\",\"passcode\":\"$passcode\"}"
check "with the passcode it showed, grace logs in at a panel" \
  ok '[ "$code" = 201 ] && [ "$(field .user.email)" = grace@example.com ]'
check "the countdown was shown while waiting" grep -q "waiting for the sign-in" "$tmp/oidc-reg.err"
new_scout henry-pc
"$bin/sr-print-scout" register --config "$tmp/henry-pc/scout.yaml" >"$tmp/oidc-deny.out" 2>"$tmp/oidc-deny.err" &
reg_pid=$!
user_code=$(user_code_of "$tmp/oidc-deny.out")
bash "$src/tests/oidc/approve.sh" "$issuer" "$ca_file" "$user_code" henry --deny >/dev/null 2>&1
wait "$reg_pid"
reg_status=$?
check "a sign-in the user cancels registers nobody" \
  ok '[ $reg_status != 0 ] && grep -q "sign-in failed" "$tmp/oidc-deny.err"'

# 9. users who registered by email or OpenID Connect are not the directory's
for who in frank grace; do
  as_site "$tmp/site" "$(verdict "$who" "$who@example.com")"
  check "a directory site cannot vouch for $who, who registered (401)" \
    [ "$code" = 401 -a "$(field .error.code)" = bad_credentials -a "$(field .session)" = null ]
done

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
