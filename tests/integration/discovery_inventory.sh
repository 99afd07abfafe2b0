#!/usr/bin/env bash
# Printer discovery, the cloud's side, on the real stack: the site uploads
# scan results with the device scout's own uploader (discovery_upload, in
# parts when large); the administrator lists what was found and accepts a
# printer, which then is a device (srctl device list) that the site reads
# back (GET /site/devices); later scans report changed devices, and vanished
# ones only when complete. As an attacker: another tenant's site cannot see
# or change these rows, a print scout may not upload, malformed uploads are
# refused whole.
# usage: discovery_inventory.sh BIN_DIR PLUGIN_DIR SOURCE_DIR
set -u
bin=$1 plugins=$2 src=$3
source "$src/tests/support/stack_test.sh" discovery

stack_start "$tmp" "$bin" "$plugins" || { echo "the stack did not start"; exit 1; }
site_crt=$tmp/site/site.crt site_key=$tmp/site/site.key
site_id=$(stack_srctl scout list --json | jq -r '.scouts[] | select(.kind == "site") | .id')

# A printer as a scan reports it: ADDRESS SERIAL [MODEL]. Its URIs come raw
# first, to see that an accepted device tries IPPS first.
printer() {
  jq -cn --arg a "$1" --arg s "$2" --arg m "${3:-LaserJet M507}" '
    ($a | if test(":") then "[\(.)]" else . end) as $h | {address: $a,
    snmp: "\($h):16105", credential: "office", version: "2c", kind: "printer",
    driver: "printer_mib", vendor: "HP", model: $m, serial: $s,
    sys_object_id: "1.3.6.1.4.1.11.2.3.9.1", sys_descr: "HP ETHERNET MULTI-ENVIRONMENT",
    uris: ["socket://\($h):9100", "ipps://\($h):631/ipp/print"]}'
}
other() { # ADDRESS: an agent that is no printer
  jq -cn --arg a "$1" '{address: $a, snmp: "\($a):16105", credential: "office",
    version: "2c", kind: "other", sys_object_id: "1.3.6.1.4.1.8072.3.2.10",
    sys_descr: "Linux router 6.1.0\r\n(build 7)"}'
}
# result SCAN_ID COMPLETE DEVICE... > FILE: a discovery result
result() {
  local id=$1 complete=$2
  shift 2
  printf '%s\n' "$@" | jq -cs --arg id "$id" --argjson c "$complete" '{scan: {id: $id,
    started_at: ((now | floor) - 60), finished_at: (now | floor), complete: $c,
    addresses: 256, packets: 300}, devices: .}'
}
# upload SCAN_ID COMPLETE DEVICE...: through discovery_upload; $counts
upload() {
  result "$@" >"$tmp/result.json"
  counts=$("$bin/discovery_upload_tool" "$cloud_url" "$ca_file" "$site_crt" "$site_key" \
    "$tmp/result.json" 2>"$tmp/upload.err") || counts="failed: $(cat "$tmp/upload.err")"
}
# call CERT KEY METHOD PATH [BODY_FILE]: the cloud with a client certificate
# (none when CERT is empty); $code and $body
call() {
  local args=(-sS --cacert "$ca_file" -o "$tmp/resp" -w '%{http_code}' -X "$3")
  [ -n "$1" ] && args+=(--cert "$1" --key "$2")
  [ -n "${5:-}" ] && args+=(-H 'Content-Type: application/json' --data-binary "@$5")
  code=$(curl "${args[@]}" "$cloud_url$4" 2>"$tmp/curl.err") || code=000
  body=$(cat "$tmp/resp")
}
discovered() { stack_srctl device discovered --json; }
row_of() { discovered | jq -c --arg a "$1" '.discovered[] | select(.address == $a)'; }
field_of() { row_of "$1" | jq -r ".$2"; } # ADDRESS FIELD
rows_in_db() { stack_sql "SELECT count(*) FROM discovered"; }

# 1. the first scan: two printers and a router
upload aa01 true "$(printer 127.0.0.5 SN-5)" "$(printer 127.0.0.6 SN-6)" "$(other 127.0.0.9)"
check "first scan: 3 new ($counts)" [ "$counts" = "new=3 changed=0 vanished=0 unchanged=0" ]
check "the uploader logs the counts" \
  grep -q "scan aa01 uploaded (1 part): 3 new, 0 changed, 0 vanished, 0 unchanged" "$tmp/upload.err"
check "listed: three rows, all new" \
  [ "$(discovered | jq -c '[.discovered[].state]')" = '["new","new","new"]' ]
check "a row says what was found (model, serial, site, credential name, URIs)" \
  ok '[ "$(row_of 127.0.0.5 | jq -r "[.model, .serial, .site, .credential, .uris[1], .snmp] | join(\" \")")" = \
    "LaserJet M507 SN-5 $site_id office ipps://127.0.0.5:631/ipp/print 127.0.0.5:16105" ]'
check "the router is recorded as kind other" [ "$(field_of 127.0.0.9 kind)" = other ]
table=$(stack_srctl device discovered)
echo "$table" | sed "s/^/  | /"
check "srctl device discovered prints a table with headings" \
  ok 'echo "$table" | head -1 | grep -q "^ID  *STATE  *SITE  *ADDRESS  *KIND  *MODEL  *SERIAL"'
check "one line per device, the site by its name" \
  ok '[ "$(echo "$table" | grep -c "Demo site")" = 3 ] && echo "$table" | grep -q "127.0.0.5 .*LaserJet M507 *SN-5"'
check "--state new lists the three" [ "$(stack_srctl device discovered --state new --json | jq '.discovered | length')" = 3 ]
check "--state known lists none yet" ok 'stack_srctl device discovered --state known | grep -q "nothing discovered in state known"'

admin_get() { # PATH: as the administrator; $code $body
  code=$(curl -sS --cacert "$ca_file" -H "Authorization: Bearer $(cat "$token_file")" \
    -o "$tmp/resp" -w '%{http_code}' "$cloud_url$1" 2>/dev/null) || code=000
  body=$(cat "$tmp/resp")
}
admin_get "/api/v1/discovered?state=gone"
check "?state=gone is refused (400: $code)" ok '[ "$code" = 400 ] && grep -q "is new, known or vanished" "$tmp/resp"'
admin_get "/api/v1/discovered?site=s-1"
check "another query parameter is refused (400: $code)" ok '[ "$code" = 400 ] && grep -q "unknown query parameter .site=s-1" "$tmp/resp"'

# 2. accepting
a_id=$(field_of 127.0.0.5 id) b_id=$(field_of 127.0.0.6 id) r_id=$(field_of 127.0.0.9 id)
out=$(stack_srctl device accept "$a_id" 2>&1)
check "accept with defaults: $out" grep -q "accepted as device laserjet-m507-sn-5 (LaserJet M507 (SN-5))" <<<"$out"
devices=$(stack_srctl device list --json)
check "the device is listed, IPPS first, its SNMP agent filled in" \
  ok '[ "$(echo "$devices" | jq -r ".devices[] | select(.id == \"laserjet-m507-sn-5\") | [.uris, .snmp] | join(\" \")")" = \
    "[\"ipps://127.0.0.5:631/ipp/print\",\"socket://127.0.0.5:9100\"] 127.0.0.5:16105" ]'
check "the row is known, accepted as it" \
  [ "$(row_of 127.0.0.5 | jq -r '.state + " " + .accepted_as')" = "known laserjet-m507-sn-5" ]
out=$(stack_srctl device accept "$b_id" --id front-desk --name "Front desk" 2>&1)
check "accept with an id and a name: $out" grep -q "accepted as device front-desk (Front desk)" <<<"$out"
out=$(stack_srctl device accept "$r_id" 2>&1)
check "the router is refused: not a printer ($out)" grep -q "is not a printer (kind other)" <<<"$out"
out=$(stack_srctl device accept "$a_id" 2>&1)
check "accepting twice is refused ($out)" grep -q "is already device 'laserjet-m507-sn-5'" <<<"$out"
out=$(stack_srctl device accept dsc-0000000000000000 2>&1)
check "an unknown id: not found ($out)" grep -q "no discovered device 'dsc-0000000000000000'" <<<"$out"
call "$site_crt" "$site_key" GET /api/v1/site/devices
check "the site reads its devices: $code" [ "$code" = 200 ]
check "with URIs as a list, SNMP agent and serial" \
  ok '[ "$(echo "$body" | jq -c ".devices[] | select(.id == \"laserjet-m507-sn-5\") | [.uris[0], .snmp, .serial]")" = \
    "[\"ipps://127.0.0.5:631/ipp/print\",\"127.0.0.5:16105\",\"SN-5\"]" ]'
check "and the tenant's hand-added printer (no serial), three in all" \
  [ "$(echo "$body" | jq -c '[.devices[] | [.id, .serial]]')" = '[["front-desk","SN-6"],["laserjet-m507-sn-5","SN-5"],["printer1",null]]' ]

# 3. later scans: a changed serial, a new printer, an incomplete and a complete scan
upload aa02 true "$(printer 127.0.0.5 SN-5B)" "$(printer 127.0.0.6 SN-6)" "$(other 127.0.0.9)" \
  "$(printer 127.0.0.7 SN-7 "Color LaserJet")"
check "a changed serial and a new printer: $counts" [ "$counts" = "new=1 changed=1 vanished=0 unchanged=2" ]
check "the row has the new serial and stays known" [ "$(row_of 127.0.0.5 | jq -r '.serial + " " + .state')" = "SN-5B known" ]
call "$site_crt" "$site_key" GET /api/v1/site/devices
check "the device keeps the serial it was accepted with" \
  [ "$(echo "$body" | jq -r '.devices[] | select(.id == "laserjet-m507-sn-5") | .serial')" = SN-5 ]
upload aa03 false "$(printer 127.0.0.5 SN-5B)" "$(other 127.0.0.9)"
check "an incomplete scan without two devices: none vanished ($counts)" [ "$counts" = "new=0 changed=0 vanished=0 unchanged=2" ]
check "the devices it missed are still known and new" \
  [ "$(field_of 127.0.0.6 state) $(field_of 127.0.0.7 state)" = "known new" ]
upload aa04 true "$(printer 127.0.0.5 SN-5B)" "$(other 127.0.0.9)"
check "a complete scan without them: two vanished ($counts)" [ "$counts" = "new=0 changed=0 vanished=2 unchanged=2" ]
check "listed vanished" [ "$(stack_srctl device discovered --state vanished --json | jq -r '[.discovered[].address] | join(" ")')" = "127.0.0.6 127.0.0.7" ]
out=$(stack_srctl device accept "$(field_of 127.0.0.7 id)" 2>&1)
check "a vanished printer is refused ($out)" grep -q "was not found by its site's last complete scan" <<<"$out"
upload aa05 true "$(printer 127.0.0.5 SN-5B)" "$(printer 127.0.0.6 SN-6)" "$(other 127.0.0.9)"
check "a vanished printer found again: changed ($counts)" \
  [ "$counts" = "new=0 changed=1 vanished=0 unchanged=2" ]
check "the accepted one is known again" [ "$(field_of 127.0.0.6 state)" = known ]

# 4. a large scan goes in parts; vanished only once every part arrived
many=()
for i in $(seq 1 250); do many+=("$(printer "127.0.$((1 + i / 200)).$((i % 200 + 1))" "SN-M$i")"); done
upload ab01 true "$(printer 127.0.0.5 SN-5B)" "$(printer 127.0.0.6 SN-6)" "$(other 127.0.0.9)" "${many[@]}"
check "250 more printers, in parts: $counts" [ "$counts" = "new=250 changed=0 vanished=0 unchanged=3" ]
check "the uploader sent two parts" grep -q "scan ab01 uploaded (2 parts)" "$tmp/upload.err"
check "the cloud logged both" ok 'grep -q "scan ab01 part 1/2" "$tmp/cloud/log" && grep -q "scan ab01 part 2/2" "$tmp/cloud/log"'
# the last part of a complete scan whose first part never came
jq -cn '{scan: {id: "ab02", complete: true, part: 2, parts: 2, device_count: 253}, devices: []}' >"$tmp/part2.json"
call "$site_crt" "$site_key" PUT /api/v1/site/discovery "$tmp/part2.json"
check "a last part without the first: nothing vanished ($code $body)" \
  [ "$code $(echo "$body" | jq -c .)" = '200 {"new":0,"changed":0,"vanished":0,"unchanged":0}' ]
check "and the cloud says why" grep -q "scan ab02: 0 of its 253 devices arrived (a part is missing)" "$tmp/cloud/log"
check "the 250 are still new" [ "$(stack_srctl device discovered --state new --json | jq '.discovered | length')" = 251 ]

# 5. removing a device makes its row new again
stack_srctl device remove laserjet-m507-sn-5 >/dev/null
check "removed device: its row is new, accepted as nothing" \
  [ "$(row_of 127.0.0.5 | jq -c '[.state, .accepted_as]')" = '["new",null]' ]

# an IPv6 printer, its URI's host written another way, in an incomplete scan
upload ae01 false "$(printer fd00:1::5 SN-V6 | jq -c '.uris[1] = "ipps://[fd00:1:0:0::5]:631/ipp/print"')"
check "an IPv6 printer: new, nothing vanished ($counts)" [ "$counts" = "new=1 changed=0 vanished=0 unchanged=0" ]
check "its SNMP agent in brackets" [ "$(field_of fd00:1::5 snmp)" = "[fd00:1::5]:16105" ]

# 6. malformed uploads: refused whole, a clear message, nothing stored
before=$(rows_in_db)
fresh=$(printer 127.0.0.50 SN-50)
refused() { # WHAT EXPECTED-MESSAGE JSON-FILE
  call "$site_crt" "$site_key" PUT /api/v1/site/discovery "$3"
  check "$1: 400 ($code)" [ "$code" = 400 ]
  check "$1: says '$2'" grep -qF -- "$2" "$tmp/resp"
}
bad() { # WHAT MESSAGE JQ-FILTER: the fresh printer, then a bad device
  result ac01 true "$fresh" "$(printer 127.0.0.51 SN-51 | jq -c "$3")" >"$tmp/bad.json"
  refused "$1" "$2" "$tmp/bad.json"
}
bad "a URI at another host" "uris[0] points at 10.9.9.9, not at the device's own address" '.uris = ["ipps://10.9.9.9/ipp/print"]'
bad "an http URI" "uris[1] is not an ipps://, ipp:// or socket:// URI" '.uris[1] = "http://127.0.0.51/"'
bad "an SNMP agent at another host" "'snmp' points at 127.0.0.1" '.snmp = "127.0.0.1:161"'
bad "an address with a command in it" "'address' is an IPv4 or IPv6 address" '.address = "127.0.0.51;reboot"'
bad "a secret in a device" "unknown field 'community' (a device carries what was found" '.community = "public"'
bad "an unknown kind" "'kind' is printer or other" '.kind = "scanner"'
bad "a control character in the model" "'model' is text without control characters" '.model = "M\u0007"'
bad "a serial of 129 bytes" "'serial' is text without control characters of 1 to 128 bytes" ".serial = \"$(printf 'x%.0s' $(seq 129))\""
bad "a bad OID" "'sys_object_id' is a dotted numeric OID" '.sys_object_id = "1.3..6"'
bad "an SNMP version 4" "'version' is the SNMP version: 1, 2c or 3" '.version = "4"'
bad "nine URIs" "'uris' is a list of at most 8" '.uris = [range(9) | "ipp://127.0.0.51:\(631 + .)/ipp/print"]'
bad "the same address twice" "the address is listed twice" \
  '.address = "127.0.0.50" | .snmp = "127.0.0.50:161" | .uris = []'
# small devices, so that the body stays under the 64 KiB every request is held to
result ac02 true "$fresh" $(jq -cn 'range(201) | {address: "127.0.3.\(. + 1)", kind: "other"}') >"$tmp/bad.json"
refused "202 devices in one upload" "at most 200 devices per upload" "$tmp/bad.json"
result ac06 true "$fresh" | jq -c '{devices: .devices}' >"$tmp/bad.json"
refused "no scan" "'scan' is required" "$tmp/bad.json"
result 'ac03;x' true "$fresh" >"$tmp/bad.json"
refused "a scan id that is no hex" "'scan.id' is 1 to 64 hex digits" "$tmp/bad.json"
result ac04 true "$fresh" | jq -c '.tenant = "other" | .site = "s-0"' >"$tmp/bad.json"
refused "a body naming a tenant" "unknown field 'tenant'" "$tmp/bad.json"
result ac05 true "$fresh" | jq -c '.scan.part = 1' >"$tmp/bad.json"
refused "a part without parts" "'scan.part' and 'scan.parts' come together" "$tmp/bad.json"
result ac07 true "$fresh" | jq -c '.scan.started_at = 10 | .scan.finished_at = 5' >"$tmp/bad.json"
refused "a scan that finished before it started" "'scan.finished_at' is before 'scan.started_at'" "$tmp/bad.json"
printf '{"scan": ' >"$tmp/bad.json"
refused "not JSON" "the body is not JSON" "$tmp/bad.json"
check "nothing of them was stored (rows: $before)" [ "$(rows_in_db)" = "$before" ]
check "not even the good device beside a bad one" [ -z "$(row_of 127.0.0.50)" ]

# 7. who may call: a print scout, no certificate
result ad01 true "$fresh" >"$tmp/ok.json"
call "$tmp/workstation/scout.crt" "$tmp/workstation/scout.key" PUT /api/v1/site/discovery "$tmp/ok.json"
check "a print scout may not upload a discovery (403: $code)" \
  ok '[ "$code" = 403 ] && grep -q "is not a site scout" "$tmp/resp"'
call "$tmp/workstation/scout.crt" "$tmp/workstation/scout.key" GET /api/v1/site/devices
check "nor read the site's devices (403: $code)" [ "$code" = 403 ]
out=$("$bin/discovery_upload_tool" "$cloud_url" "$ca_file" "$tmp/workstation/scout.crt" \
  "$tmp/workstation/scout.key" "$tmp/ok.json" 2>&1)
check "the uploader names the refused part and the cloud's reason ($out)" \
  grep -q "scan ad01 not uploaded: part 1 of 1: the cloud answered 403: certificate '.*' is not a site scout" <<<"$out"
call "" "" PUT /api/v1/site/discovery "$tmp/ok.json"
check "without a certificate: 401 ($code)" [ "$code" = 401 ]
check "none of it stored" [ -z "$(row_of 127.0.0.50)" ]

# enroll_site CTL YAML NAME: a site scout enrolled with srctl wrapper CTL,
# its certificate where configuration YAML (a copy of the site's) says
enroll_site() {
  local enroll
  enroll=$("$1" scout enroll --kind site --name "$3" --json)
  "$bin/sr-device-scout" enroll --config "$2" --token "$(echo "$enroll" | jq -r .enrollment_token)" >/dev/null
}

# 8. a second site of the same tenant: its own rows, its own devices
sed -e 's/cert: site.crt, key: site.key/cert: branch.crt, key: branch.key/' \
  "$tmp/site/site.yaml" >"$tmp/site/branch.yaml"
enroll_site stack_srctl "$tmp/site/branch.yaml" "Branch site"
check "a branch site is enrolled" [ -s "$tmp/site/branch.crt" ]
br_crt=$tmp/site/branch.crt br_key=$tmp/site/branch.key
a_before=$(discovered | jq -c '[.discovered[] | [.id, .state, .serial]]')
result ba00 true "$(printer 127.0.0.6 SN-BRANCH)" >"$tmp/br.json"
call "$br_crt" "$br_key" PUT /api/v1/site/discovery "$tmp/br.json"
check "the branch's complete scan of one printer: new, nothing of the other site vanished ($code $body)" \
  [ "$code $(echo "$body" | jq -c .)" = '200 {"new":1,"changed":0,"vanished":0,"unchanged":0}' ]
check "the other site's rows are as they were" \
  [ "$(discovered | jq -c '[.discovered[] | select(.serial != "SN-BRANCH") | [.id, .state, .serial]]')" = "$a_before" ]
out=$(stack_srctl device accept "$(discovered | jq -r '.discovered[] | select(.serial == "SN-BRANCH") | .id')" --id branch-printer 2>&1)
check "the branch's printer accepted ($out)" grep -q "accepted as device branch-printer" <<<"$out"
call "$br_crt" "$br_key" GET /api/v1/site/devices
check "the branch reads it, and the hand-added printer, not the other site's ($body)" \
  [ "$(echo "$body" | jq -c '[.devices[].id]')" = '["branch-printer","printer1"]' ]
call "$site_crt" "$site_key" GET /api/v1/site/devices
check "the first site does not read the branch's ($body)" \
  [ "$(echo "$body" | jq -c '[.devices[].id]')" = '["front-desk","printer1"]' ]

# 9. another tenant's site
SR_CLOUD_URL=$cloud_url SR_CLOUD_CA=$ca_file SR_TOKEN_FILE=$tmp/cloud/operator-token \
  "$bin/srctl" tenant create other --name "Other Company" --token-out "$tmp/other-token" >/dev/null
b_ctl() { SR_CLOUD_URL=$cloud_url SR_CLOUD_CA=$ca_file SR_TOKEN_FILE=$tmp/other-token "$bin/srctl" "$@"; }
sed -e 's/^tenant: .*/tenant: other/' -e 's/cert: site.crt, key: site.key/cert: b-site.crt, key: b-site.key/' \
  "$tmp/site/site.yaml" >"$tmp/site/b-site.yaml"
enroll_site b_ctl "$tmp/site/b-site.yaml" "Other site"
check "tenant B's site is enrolled" [ -s "$tmp/site/b-site.crt" ]
b_crt=$tmp/site/b-site.crt b_key=$tmp/site/b-site.key
a_before=$(discovered | jq -c '[.discovered[] | [.id, .state, .serial]]')
result ba01 false "$(printer 127.0.0.5 EVIL)" >"$tmp/b.json"
call "$b_crt" "$b_key" PUT /api/v1/site/discovery "$tmp/b.json"
check "B's site uploads A's address: a new row of B's own ($code $body)" \
  [ "$code $(echo "$body" | jq -c .)" = '200 {"new":1,"changed":0,"vanished":0,"unchanged":0}' ]
result ba02 true >"$tmp/b.json"
call "$b_crt" "$b_key" PUT /api/v1/site/discovery "$tmp/b.json"
check "B's complete empty scan vanishes only B's row ($code $body)" \
  [ "$code $(echo "$body" | jq -c .vanished)" = "200 1" ]
check "A's rows are exactly as they were" [ "$(discovered | jq -c '[.discovered[] | [.id, .state, .serial]]')" = "$a_before" ]
call "$b_crt" "$b_key" GET /api/v1/site/devices
check "B's site sees none of A's devices ($code $body)" [ "$code $(echo "$body" | jq -c .devices)" = "200 []" ]
check "B's administrator lists only B's row" \
  [ "$(b_ctl device discovered --json | jq -c '[.discovered[] | [.address, .serial, .state]]')" = '[["127.0.0.5","EVIL","vanished"]]' ]
out=$(b_ctl device accept "$b_id" 2>&1)
check "B's administrator cannot accept A's row ($out)" grep -q "no discovered device '$b_id'" <<<"$out"
check "A's administrator does not see B's row" [ "$(discovered | jq '[.discovered[] | select(.serial == "EVIL")] | length')" = 0 ]

checks_done
