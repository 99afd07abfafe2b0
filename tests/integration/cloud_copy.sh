#!/usr/bin/env bash
# Cloud copies of job files, on the real stack: the copy endpoints
# (PUT/GET/DELETE /api/v1/scout/jobs/{id}/copy) with the scouts' own
# certificates, who may use them, what the cloud's storage holds (the
# workstation's ciphertext, byte for byte, never the document), a copy
# larger than the API's JSON body limit, and the copy deleted when its job
# is printed or deleted.
# usage: cloud_copy.sh BIN_DIR PLUGIN_DIR SOURCE_DIR
set -u
bin=$1 plugins=$2 src=$3
source "$src/tests/support/stack_test.sh" copy
source "$src/tests/support/panel.sh"

stack_start "$tmp" "$bin" "$plugins" || { echo "the stack did not start"; exit 1; }
blobs=$tmp/cloud/blobs db=$tmp/cloud/cloud.db
marker=securerelease-copy-marker-4be1d2

# copy METHOD JOB SCOUT_DIR [FILE [TYPE]] -> $code, the answer in $tmp/copy-out
copy() {
  local cert=$3/scout
  [ -f "$cert.crt" ] || cert=$3/site # the site service's certificate
  local args=(-sS --cacert "$ca_file" --cert "$cert.crt" --key "$cert.key"
    -o "$tmp/copy-out" -w '%{http_code}' -X "$1" "$cloud_url/api/v1/scout/jobs/$2/copy")
  [ -n "${4:-}" ] && args+=(-H "Content-Type: ${5:-application/octet-stream}" --data-binary "@$4")
  code=$(curl "${args[@]}" 2>"$tmp/copy-curl.err") || code=000
}
cloud_job_ids() { stack_srctl jobs --json | jq -r '.jobs[] | select(.state == "held") | .id'; }
# submit FILE TITLE -> $job: the id of the job it became, once the cloud has it
submit() {
  local before after
  before=$(cloud_job_ids)
  "$bin/srctl" submit "$1" --queue "$queue_workstation" --title "$2" --format application/pdf >/dev/null
  for _ in $(seq 200); do
    after=$(cloud_job_ids)
    job=$(comm -13 <(sort <<<"$before") <(sort <<<"$after") | head -1)
    [ -n "$job" ] && return 0
    sleep 0.05
  done
  return 1
}
wait_gone() { # FILE
  for _ in $(seq 200); do [ -e "$1" ] || return 0; sleep 0.05; done
  return 1
}
ws=$tmp/workstation

python3 "$src/tests/support/make_pdf.py" "$marker" >"$tmp/doc.pdf"
submit "$tmp/doc.pdf" "Copy test" || { echo "the job never reached the cloud"; exit 1; }
local_file=$ws/store/jobs/$job.srjob
check "the job is held at the workstation" [ -s "$local_file" ]
cp "$local_file" "$tmp/first.srjob" # it is deleted there once printed

# 1. the tenant keeps no copies by default: the cloud refuses to store one
copy PUT "$job" "$ws" "$local_file"
check "with cloud_copy off (the default) PUT is refused: 409" \
  [ "$code" = 409 -a "$(jq -r .error.code "$tmp/copy-out")" = cloud_copy_off ]
check "settings: cloud_copy immediate" \
  [ "$(stack_srctl settings set cloud_copy=immediate --json | jq -r .cloud_copy)" = immediate ]
out=$(stack_srctl settings set cloud_copy=sometimes 2>&1)
check "a bad cloud_copy value is refused with the choices" grep -q "off immediate deferred" <<<"$out"

# 2. what the cloud takes: a job file, as application/octet-stream, up to its size
copy PUT "$job" "$ws" "$tmp/doc.pdf"
check "a body that is not a job file: 400 not_a_job_file" \
  [ "$code" = 400 -a "$(jq -r .error.code "$tmp/copy-out")" = not_a_job_file ]
copy PUT "$job" "$ws" "$local_file" application/json
check "the job file sent as JSON: 415" [ "$code" = 415 ]
copy PUT "0123456789abcdef" "$ws" "$local_file"
check "a copy of a job the cloud does not know: 404" [ "$code" = 404 ]
check "nothing was stored by the refused uploads" [ -z "$(find "$blobs" -type f 2>/dev/null)" ]

# 3. the origin stores its copy: the workstation's bytes, ciphertext only
copy PUT "$job" "$ws" "$local_file"
check "the origin's PUT: 201 with the size" \
  [ "$code" = 201 -a "$(jq -r .size "$tmp/copy-out")" = "$(stat -c %s "$local_file")" ]
stored=$blobs/$tenant/$job
check "the copy is in the cloud's storage under TENANT/JOB" [ -f "$stored" ]
check "its bytes are the workstation's job file" cmp -s "$stored" "$local_file"
check "the document's text is nowhere in the storage" bash -c "! grep -rqa '$marker' '$blobs'"
check "nor in the cloud's database" bash -c "! cat '$db'* | grep -qa '$marker'"
check "the database records the copy (key, size, storage)" \
  [ "$(sqlite3 "$db" "SELECT copy_key || ' ' || copy_size || ' ' || copy_store FROM jobs WHERE id = '$job'")" = "$tenant/$job $(stat -c %s "$local_file") local" ]

# 4. who may read it: the origin and the tenant's site service
copy GET "$job" "$ws"
check "the origin's GET: 200, the same bytes" ok '[ "$code" = 200 ] && cmp -s "$tmp/copy-out" "$local_file"'
copy GET "$job" "$tmp/site"
check "the tenant's site service may GET it (it delivers for offline workstations)" \
  ok '[ "$code" = 200 ] && cmp -s "$tmp/copy-out" "$local_file"' 
stack_srctl user add --email bob@example.com --name Bob --secret-file "$secret_file" --tenant "$tenant" >/dev/null
stack_print_scout bobws bob@example.com >/dev/null || { echo "bob's scout did not start"; exit 1; }
copy GET "$job" "$tmp/bobws"
check "another print scout of the tenant may not GET it: 403" [ "$code" = 403 ]
copy PUT "$job" "$tmp/bobws" "$local_file"
check "nor replace it: 403" [ "$code" = 403 ]
copy DELETE "$job" "$tmp/bobws"
check "nor delete it: 403" [ "$code" = 403 ]
# a scout of another tenant
SR_CLOUD_URL=$cloud_url SR_CLOUD_CA=$ca_file SR_TOKEN_FILE=$tmp/cloud/operator-token \
  "$bin/srctl" tenant create other --name "Other Company" --token-out "$tmp/other-token" >/dev/null
saved_tenant=$tenant saved_token=$token_file
tenant=other token_file=$tmp/other-token
stack_srctl user add --email eve@other.example --name Eve --secret-file "$secret_file" --tenant other >/dev/null
stack_print_scout evews eve@other.example >/dev/null || { echo "eve's scout did not start"; exit 1; }
tenant=$saved_tenant token_file=$saved_token
copy GET "$job" "$tmp/evews"
check "a print scout of another tenant: 404 (the job is not in its tenant)" [ "$code" = 404 ]
check "the stored copy is unchanged" cmp -s "$stored" "$local_file"

# 5. a copy larger than the API's JSON body limit (64 KiB): 2 MiB of random
# image data, spooled to a file by the server, stored and read back whole
python3 - "$tmp/big.pdf" "$marker" <<'PY'
import os, sys
data = os.urandom(2 * 1024 * 1024)
text = ("BT /F1 24 Tf 72 720 Td (%s) Tj ET" % sys.argv[2]).encode()
objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> /XObject << /I 6 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /XObject /Subtype /Image /Width 1024 /Height 683 /ColorSpace /DeviceRGB"
        b" /BitsPerComponent 8 /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"]
out = bytearray(b"%PDF-1.4\n"); offs = []
for n, body in enumerate(objs, 1):
    offs.append(len(out)); out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
xref = len(out)
out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
for o in offs: out += b"%010d 00000 n \n" % o
out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
open(sys.argv[1], "wb").write(out)
PY
first=$job
submit "$tmp/big.pdf" "Big copy" || { echo "the big job never reached the cloud"; exit 1; }
big=$job big_file=$ws/store/jobs/$big.srjob
copy PUT "$big" "$ws" "$big_file"
check "a $(($(stat -c %s "$big_file") / 1024)) KiB copy is stored: 201" [ "$code" = 201 ]
check "  byte for byte" cmp -s "$blobs/$tenant/$big" "$big_file"
copy GET "$big" "$ws"
check "  and read back whole" cmp -s "$tmp/copy-out" "$big_file"

# 6. the copy goes when its job ends: deleted by its origin, deleted at the
# panel, printed
copy DELETE "$big" "$ws"
check "the origin deletes its copy: 204" [ "$code" = 204 ]
check "  it is gone from storage" wait_gone "$blobs/$tenant/$big"
copy GET "$big" "$ws"
check "  GET then: 404 no_copy" [ "$code" = 404 -a "$(jq -r .error.code "$tmp/copy-out")" = no_copy ]
copy PUT "$big" "$ws" "$big_file"
login printer1 "$demo_card"
alice=$session
panel DELETE "/api/v1/panel/jobs/$big" "" "$alice"
check "the big job deleted at the panel" [ "$code" = 204 ]
check "  its copy is deleted from storage" wait_gone "$blobs/$tenant/$big"
check "  and from the job's record" \
  [ -z "$(sqlite3 "$db" "SELECT copy_key FROM jobs WHERE id = '$big'")" ]
panel POST /api/v1/panel/release "{\"jobs\":[\"$first\"]}" "$alice"
check "the first job released" [ "$code" = 202 ]
wait_job "$first" "$alice" '.state == "printed"'
check "  it printed" [ $? = 0 ]
check "  its copy is deleted from storage" wait_gone "$stored"
check "  the storage holds no copy at all now" [ -z "$(find "$blobs" -type f)" ]
copy PUT "$first" "$ws" "$tmp/first.srjob"
check "a printed job takes no new copy: 409 job_ended" \
  [ "$code" = 409 -a "$(jq -r .error.code "$tmp/copy-out")" = job_ended ]

checks_done
