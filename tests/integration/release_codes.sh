#!/usr/bin/env bash
# Rotating release codes and presence (docs/security.md, "Release codes";
# docs/api/panel.yaml), at API level on the whole stack on 127.0.0.1: the
# cloud, the site service's panel API, a second site service of the same
# tenant. The panel app (a kiosk enrolled as a reader) gets its printer's
# code as text, URL and an SVG QR code that zbarimg decodes; a phone logs
# in with that code, the kiosk with its credential. Then an attacker's
# view with the tenant on rotating codes only: a static label or a plain
# device id logs nobody in, and neither does an expired, forged, tampered
# or far-future code, another printer's code, a presence the client claims
# itself, a kiosk credential of another printer, another site, or one
# revoked. The device info route says nothing beyond name, location and
# policy.
# usage: release_codes.sh BIN_DIR PLUGIN_DIR SOURCE_DIR
set -u
bin=$1 plugins=$2 src=$3
source "$src/tests/support/stack_test.sh" codes
export SR_TEST_RECORD_REQUESTS=$tmp/cloud-requests
source "$src/tests/support/panel.sh"

stack_start "$tmp" "$bin" "$plugins" || { echo "the stack did not start"; exit 1; }

# a code as the documented format makes it, from the site secret (not by
# the site service): expired, far-future and forged codes of our own
forge() { python3 "$src/tests/support/release_code.py" "$secret_file" "$tenant" "$1" "$2"; } # DEVICE EXPIRY
card_login() { # DEVICE EXTRA_JSON_MEMBERS: logs in with alice's card
  panel POST /api/v1/panel/sessions "{\"device\":\"$1\",\"card\":\"$demo_card\"$2}"
}
is_error() { [ "$code" = "$1" ] && [ "$(field .error.code)" = "$2" ]; } # STATUS CODE
kiosk_code() { panel GET /api/v1/panel/kiosk/code "" "$1"; } # CREDENTIAL
enroll_kiosk() { # DEVICE -> $cred
  local token
  token=$(stack_srctl reader add --device "$1" --name "Panel app at $1" --json | jq -r .enrollment_token)
  panel POST /api/v1/panel/readers/enroll "{\"token\":\"$token\"}"
  cred=$(field .credential)
}
codes_setting() { stack_srctl settings show --json | jq -r .release_codes; }

# 1. the setting: both by default, a choice of three
check "release_codes is 'both' by default" [ "$(codes_setting)" = both ]
stack_srctl settings set release_codes=sometimes >/dev/null 2>"$tmp/err-setting"
check "srctl settings set release_codes=sometimes is refused, naming the choices" \
  grep -q "static rotating both" "$tmp/err-setting"

# 2. the device info route: what a label shows, and the policy; nothing else
panel GET /api/v1/panel/devices/printer1
check "device info: 200 with exactly id, name, location, release_codes, oidc" \
  ok '[ "$code" = 200 ] && [ "$(field "keys | join(\",\")")" = id,location,name,oidc,release_codes ]'
check "device info: the printer's name, no location, both, no OpenID" \
  ok '[ "$(field .name)" = "Demo Printer" ] && [ "$(field .location)" = null ] &&
      [ "$(field .release_codes)" = both ] && [ "$(field .oidc)" = false ]'
check "device info leaks no URI, SNMP address or port of the printer" \
  ok '! grep -qE "ipps?:|socket:|snmp|$printer_port" <<<"$body"'
panel GET /api/v1/panel/devices/nowhere
check "an unknown device: 404 unknown_device" is_error 404 unknown_device
panel GET /api/v1/panel/devices/printer1 "{}"
check "device info takes no body (400)" ok '[ "$code" = 400 ]'

# 3. the panel app: enrolled like a reader, its code as text, URL and QR code
enroll_kiosk printer1
kiosk=$cred
check "the panel app enrolls at printer1 (201, a credential)" ok '[ "$code" = 201 ] && [ ${#kiosk} = 43 ]'
before=$(date +%s)
kiosk_code "$kiosk"
after=$(date +%s)
rotating=$(field .code)
check "kiosk code: 200 for printer1, expires in 60 s" \
  ok '[ "$code" = 200 ] && [ "$(field .device)" = printer1 ] && [ "$(field .expires_in)" = 60 ]'
check "the code is <expiry>.<22 characters of base64url>" grep -qE '^[0-9]+\.[A-Za-z0-9_-]{22}$' <<<"$rotating"
expiry=${rotating%%.*}
check "its expiry is now + 60 s, and expires_at says the same (RFC 3339)" \
  ok '[ "$expiry" -ge $((before + 60)) ] && [ "$expiry" -le $((after + 60)) ] &&
      [ "$(date -u -d "@$expiry" +%Y-%m-%dT%H:%M:%SZ)" = "$(field .expires_at)" ]'
check "the URL is the release page of printer1 with the code" \
  [ "$(field .url)" = "https://127.0.0.1:$site_port/r/printer1/$rotating" ]
check "the code is the documented HMAC of the device and expiry under the site key" \
  [ "$(forge printer1 "$expiry")" = "$rotating" ]
field .svg >"$tmp/code.svg"
check "the SVG names the printer" grep -q "<title>Demo Printer: scan to release</title>" "$tmp/code.svg"
rsvg-convert -w 400 -b white -o "$tmp/code.png" "$tmp/code.svg"
check "the SVG's QR code decodes (zbarimg) to the URL" \
  [ "$(zbarimg --raw -q "$tmp/code.png" 2>/dev/null)" = "$(field .url)" ]
kiosk_code ""
check "kiosk code without a credential: 401 reader_unknown" is_error 401 reader_unknown
kiosk_code made-up-credential
check "kiosk code with a made-up credential: 401 reader_unknown" is_error 401 reader_unknown

# 4. the positive paths while the tenant takes both
card_login printer1 ",\"code\":\"$rotating\""
phone_session=$(field .session)
check "a phone logs in with the rotating code (201)" ok '[ "$code" = 201 ] && [ -n "$phone_session" ]'
panel GET /api/v1/panel/jobs "" "$phone_session"
check "and its session lists the jobs (200)" ok '[ "$code" = 200 ]'
card_login printer1 ",\"panel\":\"$kiosk\""
check "the panel app logs a user in with its credential (201)" ok '[ "$code" = 201 ]'
card_login printer1 ""
check "with 'both', the static label still logs in (201)" ok '[ "$code" = 201 ]'
check "the cloud was told the presence the site checked, never the code" \
  ok 'grep -q "\"presence\": *\"rotating\"" "$SR_TEST_RECORD_REQUESTS" && ! grep -qF "$rotating" "$SR_TEST_RECORD_REQUESTS"'

# 5. rotating codes only
stack_srctl settings set release_codes=rotating >/dev/null
check "srctl settings set release_codes=rotating" [ "$(codes_setting)" = rotating ]
panel GET /api/v1/panel/devices/printer1
check "device info says rotating" [ "$(field .release_codes)" = rotating ]
card_login printer1 ""
check "the static label (the plain device id) logs nobody in: 403 presence_required" \
  is_error 403 presence_required
check "its message says to scan the printer's screen" grep -q "scan the code shown on the printer" <<<"$body"
panel POST /api/v1/panel/sessions "{\"device\":\"printer1\",\"email\":\"$demo_email\",\"pin\":\"$demo_pin\"}"
check "email and PIN without presence: 403 presence_required" is_error 403 presence_required
for _ in 1 2 3 4 5 6 7; do
  panel POST /api/v1/panel/sessions "{\"device\":\"printer1\",\"email\":\"$demo_email\",\"pin\":\"0000\"}"
done
check "wrong PINs without presence are not even tried: still 403, no lockout (429)" \
  is_error 403 presence_required
panel POST /api/v1/panel/sessions '{"device":"printer1","card":"4242424242"}'
check "an unknown card without presence gets no binding token (403)" \
  ok 'is_error 403 presence_required && [ "$(field .error.card_binding)" = null ]'
kiosk_code "$kiosk"
rotating=$(field .code)
card_login printer1 ",\"code\":\"$rotating\""
check "a fresh rotating code logs in (201)" ok '[ "$code" = 201 ]'
panel POST /api/v1/panel/sessions "{\"device\":\"printer1\",\"email\":\"$demo_email\",\"pin\":\"$demo_pin\",\"code\":\"$rotating\"}"
check "email and PIN with the code (201): the PIN lockout was not touched" ok '[ "$code" = 201 ]'
card_login printer1 ",\"panel\":\"$kiosk\""
check "the panel app's credential logs in (201)" ok '[ "$code" = 201 ]'

# 6. codes that must not work
now=$(date +%s)
card_login printer1 ",\"code\":\"$(forge printer1 $((now - 1)))\""
check "an expired code (signed right): 401 code_expired" is_error 401 code_expired
expired_message=$(field .error.message)
card_login printer1 ",\"code\":\"$(forge printer1 $((now + 3600)))\""
check "a code from the far future (signed right, an hour ahead): 401 code_expired" \
  is_error 401 code_expired
card_login printer1 ",\"code\":\"$(forge printer1 $((now + 30)))\""
check "control: a code the test signs for 30 s ahead is taken (201)" ok '[ "$code" = 201 ]'
card_login printer1 ",\"code\":\"$((now + 30)).AAAAAAAAAAAAAAAAAAAAAA\""
check "a forged code (made-up mac): 401 code_expired" is_error 401 code_expired
tampered=$(( ${rotating%%.*} + 30 )).${rotating#*.}
card_login printer1 ",\"code\":\"$tampered\""
check "a code whose expiry was moved on: 401 code_expired" is_error 401 code_expired
stack_srctl device add printer2 --name "Second floor" --uri "ipp://127.0.0.1:9/ipp/print" >/dev/null
enroll_kiosk printer2
kiosk2=$cred
kiosk_code "$kiosk2"
check "the panel app at printer2 gets printer2's code" ok '[ "$code" = 200 ] && [ "$(field .device)" = printer2 ]'
code2=$(field .code)
card_login printer1 ",\"code\":\"$code2\""
check "printer2's code at printer1: 401 code_expired (the same answer, no oracle)" \
  ok 'is_error 401 code_expired && [ "$(field .error.message)" = "$expired_message" ]'
card_login printer2 ",\"code\":\"$code2\""
check "control: printer2's code at printer2 (201)" ok '[ "$code" = 201 ]'
card_login printer1 ",\"presence\":\"rotating\""
check "a presence the client claims itself: 400 unknown_field" is_error 400 unknown_field
card_login printer1 ",\"panel_credential\":\"$kiosk\",\"presence\":\"panel\""
check "a panel_credential the client sends as the site would: 400 unknown_field" is_error 400 unknown_field
card_login printer1 ",\"code\":\"$rotating\",\"panel\":\"$kiosk\""
check "a code and a panel credential at once: 400" ok '[ "$code" = 400 ]'

# 7. kiosk credentials that must not work
card_login printer1 ",\"panel\":\"$kiosk2\""
check "printer2's panel app credential at printer1: 401 panel_unknown" is_error 401 panel_unknown
card_login printer1 ',"panel":"made-up-credential"'
check "a made-up panel credential: 401 panel_unknown" is_error 401 panel_unknown
# a second site service of the same tenant (the same site secret)
mkdir -p "$tmp/site-b"
sed -e "s|port: $site_port|port: 0|" -e "s|cache: {plugin: local, config: {root: [^}]*}}|cache: {plugin: local, config: {root: $tmp/site-b/cache}}|" \
  "$stack_dir/site/site.yaml" >"$tmp/site-b/site.yaml"
stack_extra_site site_b "$tmp/site-b" \
  "$(stack_srctl scout enroll --kind site --name "Site B" --json | jq -r .enrollment_token)"
check "a second site service of the tenant runs" [ -n "$extra_site_url" ]
site_a_url=$panel_url
panel_url=$extra_site_url
enroll_kiosk printer1
kiosk_b=$cred
check "a panel app at printer1 enrolls through site B" ok '[ "$code" = 201 ]'
kiosk_code "$kiosk"
check "site A's panel app credential at site B: kiosk code 401 reader_unknown" is_error 401 reader_unknown
card_login printer1 ",\"panel\":\"$kiosk\""
check "and as a login's presence at site B: 401 panel_unknown" is_error 401 panel_unknown
kiosk_code "$kiosk_b"
check "control: site B's panel app gets its code at site B" ok '[ "$code" = 200 ]'
panel_url=$site_a_url
kiosk_code "$kiosk_b"
check "site B's panel app credential at site A: 401 reader_unknown" is_error 401 reader_unknown
card_login printer1 ",\"panel\":\"$kiosk_b\""
check "and as a login's presence at site A: 401 panel_unknown" is_error 401 panel_unknown
# revoked
stack_srctl reader remove "$(stack_srctl reader list --json | jq -r '.readers[] | select(.name == "Panel app at printer2") | .id')" >/dev/null
kiosk_code "$kiosk2"
check "a removed panel app gets no code (401 reader_unknown)" is_error 401 reader_unknown
card_login printer2 ",\"panel\":\"$kiosk2\""
check "and logs nobody in (401 panel_unknown)" is_error 401 panel_unknown

# 8. static labels only: the panel app shows no code, labels log in
stack_srctl settings set release_codes=static >/dev/null
kiosk_code "$kiosk"
check "with release_codes static, kiosk code: 409 rotating_disabled" is_error 409 rotating_disabled
card_login printer1 ""
check "and the static label logs in (201)" ok '[ "$code" = 201 ]'

checks_done
