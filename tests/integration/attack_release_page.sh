#!/usr/bin/env bash
# The release page and rotating codes as an attacker tries them (issue 13,
# docs/security.md "Release codes"), with real requests on the whole stack
# on 127.0.0.1, the tenant on rotating codes only: a code in another text
# form (leading zeros, a sign, spaces, padding, another case), for another
# device spelling, under another tenant's key, or duplicated in the body; a
# single sign-on login or a directory login without presence; the kiosk
# code route asked for another device by query, path or header; a
# cross-site form or preflight; an API error sniffed as a page; a site
# heartbeat's public_url that would make labels and release URLs point at
# a script, another scheme or a host disguised as the site's.
# usage: attack_release_page.sh BIN_DIR PLUGIN_DIR SOURCE_DIR
set -u
bin=$1 plugins=$2 src=$3
source "$src/tests/support/stack_test.sh" attack-release
source "$src/tests/support/panel.sh"

# the site checks directory passwords against an LDAP server that is not
# there: a login that reaches it says so (502 directory_unreachable)
export STACK_SITE_DIRECTORY=1 STACK_SITE_IDP="idp:
  - plugin: ldap
    config: {url: \"ldaps://127.0.0.1:$(stack_free_port)\", ca_file: \"$tmp/pki/root.crt\", base_dn: \"dc=example,dc=com\", user_attribute: uid}"
stack_start "$tmp" "$bin" "$plugins" || { echo "the stack did not start"; exit 1; }

forge() { python3 "$src/tests/support/release_code.py" "$secret_file" "$tenant" "$1" "$2"; } # DEVICE EXPIRY
is_error() { [ "$code" = "$1" ] && [ "$(field .error.code)" = "$2" ]; } # STATUS CODE
card_login() { # DEVICE EXTRA_JSON_MEMBERS: alice's card
  panel POST /api/v1/panel/sessions "{\"device\":\"$1\",\"card\":\"$demo_card\"$2}"
}
enroll_kiosk() { # DEVICE -> $cred
  local token
  token=$(stack_srctl reader add --device "$1" --name "Panel app at $1" --json | jq -r .enrollment_token)
  panel POST /api/v1/panel/readers/enroll "{\"token\":\"$token\"}"
  cred=$(field .credential)
}

stack_srctl device add printer2 --name "Second floor" --uri "ipp://127.0.0.1:9/ipp/print" >/dev/null
enroll_kiosk printer1
kiosk=$cred
check "the panel app at printer1 enrolls (201)" ok '[ "$code" = 201 ]'
stack_srctl settings set release_codes=rotating >/dev/null
check "the tenant takes rotating codes only" \
  [ "$(stack_srctl settings show --json | jq -r .release_codes)" = rotating ]

# 1. a good code in other text forms: one expiry has one text
now=$(date +%s)
expiry=$((now + 40))
good=$(forge printer1 "$expiry")
mac=${good#*.}
card_login printer1 ",\"code\":\"$good\""
check "control: the code as minted logs in (201)" ok '[ "$code" = 201 ]'
for form in "0$good" "00$good" "+$good" " $good" "$good " "$expiry .$mac" "$expiry.$mac=" \
  "$expiry.$mac==" "$expiry..$mac" "$expiry.${mac}A" "$expiry.${mac:0:21}" "${expiry}.0.$mac" \
  "$(printf %x "$expiry").$mac" "$expiry.$(tr 'A-Za-z' 'a-zA-Z' <<<"$mac")" \
  "$expiry.$(tr -- '-_' '+/' <<<"$mac")" "$expiry.$(tr -- '-_' '+/' <<<"$mac")=="; do
  [ "$form" = "$good" ] && continue # a mac without - or _ has no other base64 spelling
  card_login printer1 ",\"code\":$(jq -Rn --arg c "$form" '$c')"
  check "the code written as '$form': 401 code_expired" is_error 401 code_expired
done
# the last base64url character holds 2 bits of the mac and 4 zero bits:
# another character with the same 2 bits is another text, and refused
last=${mac: -1}
alphabet=ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_
index=$(($(expr index "$alphabet" "$last") - 1))
sibling=${alphabet:$((index | 1)):1}
[ "$sibling" = "$last" ] && sibling=${alphabet:$((index & ~1)):1}
card_login printer1 ",\"code\":\"$expiry.${mac:0:21}$sibling\""
check "the mac with other padding bits in its last character: 401 code_expired" is_error 401 code_expired
for device in PRINTER1 printer1. " printer1" printer01; do
  card_login "$device" ",\"code\":\"$good\""
  check "printer1's code for device '$device': refused (401 code_expired or 404)" \
    ok 'is_error 401 code_expired || is_error 404 unknown_device'
done
other_tenant=$(python3 "$src/tests/support/release_code.py" "$secret_file" "other-$tenant" printer1 "$expiry")
card_login printer1 ",\"code\":\"$other_tenant\""
check "printer1's code under another tenant's key (the same secret, another tenant): 401 code_expired" \
  is_error 401 code_expired
panel POST /api/v1/panel/sessions "{\"device\":\"printer2\",\"device\":\"printer1\",\"card\":\"$demo_card\",\"code\":\"$good\"}"
check "a body with the device twice (printer2, then printer1 with its code): 400" ok '[ "$code" = 400 ]'
panel POST /api/v1/panel/sessions "{\"device\":\"printer2\",\"card\":\"$demo_card\",\"code\":\"$(forge printer2 $((now - 5)))\",\"code\":\"$good\"}"
check "a body with the code twice: 400" ok '[ "$code" = 400 ]'
card_login printer1 ",\"code\":[\"$good\"]"
check "the code as a JSON array: 400" ok '[ "$code" = 400 ]'
card_login printer1 ',"code":""'
check "an empty code: 401 code_expired" is_error 401 code_expired
card_login printer1 ',"panel":""'
check "an empty panel credential: 401 panel_unknown" is_error 401 panel_unknown

# 2. every login method needs presence, single sign-on too
verifier=$(head -c 32 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '=')
panel POST /api/v1/panel/sessions "{\"device\":\"printer1\",\"oidc_code\":\"anything\",\"code_verifier\":\"$verifier\",\"redirect_uri\":\"$panel_url/oidc/callback\",\"nonce\":\"n0nce\"}"
check "an OpenID Connect login without presence: 403 presence_required" is_error 403 presence_required
panel POST /api/v1/panel/sessions '{"device":"printer1","passcode":"ABCDEF"}'
check "a passcode without presence: 403 presence_required" is_error 403 presence_required
# a directory password is checked at the site, before the cloud sees the
# login: without presence the directory must not be asked either (a
# remote guess would count towards the directory's own lockout)
enroll_kiosk printer2
kiosk2=$cred
directory_login() { # DEVICE EXTRA_JSON_MEMBERS STATUS CODE WHAT: a guess at alice's password
  panel POST /api/v1/panel/sessions "{\"device\":\"$1\",\"username\":\"alice\",\"password\":\"guess-1\"$2}"
  check "a directory login $5: $3 $4" is_error "$3" "$4"
}
directory_login printer1 "" 403 presence_required "without presence, the directory not asked"
directory_login printer1 ',"panel":"made-up"' 401 panel_unknown \
  "with a made-up panel credential, the directory not asked"
directory_login printer1 ",\"panel\":\"$kiosk2\"" 401 panel_unknown \
  "at printer1 with printer2's panel credential, the directory not asked"
directory_login nowhere "" 404 unknown_device "at an unknown device, the directory not asked"
directory_login printer1 ",\"panel\":\"$kiosk\"" 502 directory_unreachable \
  "with printer1's panel credential (control: the directory is asked)"
directory_login printer1 ",\"code\":\"$(forge printer1 $(($(date +%s) + 30)))\"" 502 directory_unreachable \
  "with a rotating code (control: the directory is asked)"

# 3. the kiosk code route mints only its own device's code
for path in "/api/v1/panel/kiosk/code?device=printer2" "/api/v1/panel/kiosk/code?device=printer2&device=printer2"; do
  panel GET "$path" "" "$kiosk"
  check "kiosk code asked as $path: printer1's code all the same" \
    ok '[ "$code" = 200 ] && [ "$(field .device)" = printer1 ] && [[ "$(field .url)" == */r/printer1/* ]]'
done
panel GET /api/v1/panel/kiosk/code/printer2 "" "$kiosk"
check "kiosk code with a device in the path: 404" ok '[ "$code" = 404 ]'
code=$(curl -sS --cacert "$ca_file" -o "$tmp/kc.json" -w '%{http_code}' -H "Authorization: Bearer $kiosk" \
  -H 'X-Device: printer2' -H 'Forwarded: for=127.0.0.1' "$panel_url/api/v1/panel/kiosk/code")
check "kiosk code with device headers: printer1's code" \
  ok '[ "$code" = 200 ] && [ "$(jq -r .device "$tmp/kc.json")" = printer1 ]'
panel GET /api/v1/panel/kiosk/code "{\"device\":\"printer2\"}" "$kiosk"
check "kiosk code with a body naming printer2: 400" ok '[ "$code" = 400 ]'

# 4. another site's page cannot call the panel API from a visitor's
# browser: a form-like body is refused, and no answer allows other origins
code=$(curl -sS --cacert "$ca_file" -o "$tmp/csrf.json" -D "$tmp/csrf.h" -w '%{http_code}' -H 'Origin: https://evil.example' \
  -H 'Content-Type: text/plain' --data-binary "{\"device\":\"printer1\",\"card\":\"$demo_card\",\"code\":\"$good\"}" \
  "$panel_url/api/v1/panel/sessions")
check "a login posted as text/plain (a cross-site form or no-cors fetch): 415, no session" \
  ok '[ "$code" = 415 ] && [ "$(jq -r .session "$tmp/csrf.json")" = null ]'
code=$(curl -sS --cacert "$ca_file" -o /dev/null -D "$tmp/preflight.h" -w '%{http_code}' -X OPTIONS \
  -H 'Origin: https://evil.example' -H 'Access-Control-Request-Method: POST' \
  -H 'Access-Control-Request-Headers: content-type, authorization' "$panel_url/api/v1/panel/sessions")
check "a preflight from another origin is not allowed (no Access-Control-Allow-Origin)" \
  ok '[ "$code" != 204 ] && ! grep -qi "^access-control-allow" "$tmp/preflight.h"'
curl -sS --cacert "$ca_file" -o /dev/null -D "$tmp/cors.h" -H 'Origin: https://evil.example' \
  -H "Authorization: Bearer $kiosk" "$panel_url/api/v1/panel/kiosk/code"
check "the kiosk code's answer allows no other origin to read it" ok '! grep -qi "^access-control-allow" "$tmp/cors.h"'

# an API answer that repeats what the caller sent is JSON a browser must
# never sniff into a page
curl -sS --path-as-is --cacert "$ca_file" -o "$tmp/echo.json" -D "$tmp/echo.h" "$panel_url/api/v1/panel/x<script>alert(1)</script>"
check "an API error repeating markup from the path: JSON with nosniff" \
  ok 'grep -qi "^content-type: application/json" "$tmp/echo.h" && grep -qi "^x-content-type-options: nosniff" "$tmp/echo.h"'

# 5. a site heartbeat's public_url names an https page, nothing else
heartbeat() { # BODY: from the stack's site certificate -> $code, $body
  code=$(curl -sS --cacert "$ca_file" --cert "$stack_dir/site/site.crt" --key "$stack_dir/site/site.key" \
    -H 'Content-Type: application/json' -d "$1" -o "$tmp/hb.json" -w '%{http_code}' \
    "$cloud_url/api/v1/site/heartbeat" 2>"$tmp/hb.err") || code=000
  body=$(cat "$tmp/hb.json")
}
release_url() { stack_srctl device list --json | jq -r '.devices[] | select(.id == "printer1") | .release_url'; }
heartbeat '{"public_url": "https://print.example.com:8443"}'
check "control: a heartbeat's https public_url is taken" \
  ok '[ "$code" = 200 ] && [ "$(release_url)" = "https://print.example.com:8443/r/printer1" ]'
for url in 'javascript:alert(1)' 'javascript://https://x/%0aalert(1)' 'data:text/html,<script>alert(1)</script>' \
  'https://evil.example@print.example.com' 'https://print.example.com:8443@evil.example' \
  'https://print.example.com/"><script>' 'https://print.example.com/a b' 'https:///evil.example' 'https://print.example.com:99999' \
  'https://print.example.com?x=1' 'https://print.example.com#x' 'HTTPS://evil.example' \
  'https://print.example.com\@evil.example' \
  'https://print.example.com/ ' $'https://print.example.com/\u2028'; do
  heartbeat "{\"public_url\": $(jq -Rn --arg u "$url" '$u')}"
  check "a heartbeat's public_url '$url': 400, the release URL unchanged" \
    ok '[ "$code" = 400 ] && [ "$(release_url)" = "https://print.example.com:8443/r/printer1" ]'
done

checks_done
