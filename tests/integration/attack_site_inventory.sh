#!/usr/bin/env bash
# Attack on the cloud's discovery inventory (PUT /api/v1/site/discovery) by
# a site with a valid certificate: each upload may add 200 devices at new
# addresses, and rows were never deleted, so a site inventing addresses
# (IPv6 has plenty) in scans it never completes grew the cloud's database
# without bound. The cloud keeps at most 65,536 rows per site (a /16 full of
# SNMP agents): past that, rows never accepted and not of the current scan
# go, vanished ones first, then the longest unseen; accepted devices stay.
# usage: attack_site_inventory.sh BIN_DIR PLUGIN_DIR SOURCE_DIR
set -u
bin=$1 plugins=$2 src=$3
source "$src/tests/support/stack_test.sh" site-inventory
stack_start "$tmp" "$bin" "$plugins" || { echo "the stack did not start"; exit 1; }
site_crt=$tmp/site/site.crt site_key=$tmp/site/site.key
rows_in_db() { stack_sql "SELECT count(*) FROM discovered"; }
cap=65536

# flood FIRST UPLOADS COMPLETE: UPLOADS uploads of 200 devices at fresh
# addresses fd00::N (N from FIRST*200 + 1), one scan per upload, over one TLS
# connection; prints each answer's status and error code, one a line
flood() {
  python3 - "$cloud_url" "$ca_file" "$site_crt" "$site_key" "$@" <<'PY'
import http.client, ipaddress, json, ssl, sys, time, urllib.parse
url, ca, crt, key, first, uploads, complete = sys.argv[1:8]
u = urllib.parse.urlparse(url)
ctx = ssl.create_default_context(cafile=ca)
ctx.load_cert_chain(crt, key)
conn = http.client.HTTPSConnection(u.hostname, u.port, context=ctx)
now = int(time.time())
for k in range(int(first), int(first) + int(uploads)):
    addresses = [str(ipaddress.IPv6Address((0xfd00 << 112) + k * 200 + i + 1)) for i in range(200)]
    devices = [{"address": a, "kind": "other", "snmp": "[%s]:161" % a, "credential": "office",
                "version": "2c", "sys_descr": "invented"} for a in addresses]
    body = json.dumps({"scan": {"id": "%08x" % (k + 1), "started_at": now - 60,
                                "finished_at": now, "complete": complete == "true",
                                "addresses": 200, "packets": 200}, "devices": devices})
    conn.request("PUT", "/api/v1/site/discovery", body, {"Content-Type": "application/json"})
    r = conn.getresponse()
    answer = r.read()
    code = json.loads(answer).get("error", {}).get("code", "") if r.status != 200 else ""
    print(r.status, code)
    if r.status != 200:
        print(answer.decode()[:300], file=sys.stderr)
PY
}
# one accepted device, found first: the longest unseen, but never dropped
printer=$(jq -cn '{scan: {id: "acce9700", started_at: ((now | floor) - 60),
  finished_at: (now | floor), complete: false, addresses: 1, packets: 1},
  devices: [{address: "127.0.0.5", kind: "printer", snmp: "127.0.0.5:161",
  credential: "office", version: "2c", uris: ["ipp://127.0.0.5:631/ipp/print"]}]}')
curl -s -o /dev/null --cacert "$ca_file" --cert "$site_crt" --key "$site_key" -X PUT \
  -H 'Content-Type: application/json' -d "$printer" "$cloud_url/api/v1/site/discovery"
found=$(stack_srctl device discovered --json | jq -r '.discovered[] | select(.address == "127.0.0.5") | .id')
stack_srctl device accept "$found" >/dev/null
state_of() { stack_sql "SELECT state FROM discovered WHERE address = '$1'"; }
check "the printer found first is accepted" ok '[ "$(state_of 127.0.0.5)" = known ]'

uploads=$((cap / 200 + 3))
flood 0 "$uploads" false >"$tmp/codes"
check "every upload is taken ($(grep -c '^200 ' "$tmp/codes") of $uploads)" \
  ok '[ "$(grep -c "^200 " "$tmp/codes")" = "$uploads" ]'
check "the site's rows stay at most $cap ($(rows_in_db))" ok '[ "$(rows_in_db)" -le "$cap" ]'
in_db() { stack_sql "SELECT count(*) FROM discovered WHERE address = '$1'"; }
last=$(python3 -c "import ipaddress; print(ipaddress.IPv6Address((0xfd00 << 112) + $uploads * 200))")
check "the last upload's devices are there ($last)" ok '[ "$(in_db "$last")" = 1 ]'
check "the first invented devices, unseen the longest, were dropped" ok '[ "$(in_db fd00::1)" = 0 ]'
check "the accepted printer was kept" ok '[ "$(in_db 127.0.0.5)" = 1 ]'

# A complete scan that found one device: the invented ones vanish, and the
# next scan's new addresses take their place.
flood $((uploads + 10)) 1 true >"$tmp/codes"
check "a complete scan is taken even so (it marks the invented rows vanished)" \
  ok '[ "$(cat "$tmp/codes")" = "200 " ]'
vanished=$(stack_sql "SELECT count(*) FROM discovered WHERE state = 'vanished'")
check "the invented rows vanished ($vanished)" ok '[ "$vanished" -ge $((cap - 200)) ]'
flood $((uploads + 20)) 1 false >"$tmp/codes"
check "new addresses are taken again, in the room of vanished rows" \
  ok '[ "$(cat "$tmp/codes")" = "200 " ]'
check "the site's rows still at most $cap ($(rows_in_db))" ok '[ "$(rows_in_db)" -le "$cap" ]'
check "the accepted printer is still there" ok '[ "$(in_db 127.0.0.5)" = 1 ]'
checks_done
