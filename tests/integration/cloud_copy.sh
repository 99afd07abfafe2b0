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
export STACK_CLOUD_COPY=off # the embedded default is immediate; this test turns it on itself
# under AddressSanitizer freed memory is kept in quarantine (256 MiB), which
# would count every streamed piece in the peak memory measured below
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0
source "$src/tests/support/panel.sh"

stack_start "$tmp" "$bin" "$plugins" || { echo "the stack did not start"; exit 1; }
blobs=$tmp/cloud/blobs
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
check "without logind the scout says once that it will not upload before sleep" \
  [ "$(grep -c 'comp=sleep' "$ws/log")" = 1 ]

wait_file() { # FILE: until it exists (10 s at most)
  for _ in $(seq 200); do [ -s "$1" ] && return 0; sleep 0.05; done
  return 1
}

# 1. the tenant keeps no copies by default: the scout uploads nothing, the
# cloud refuses what it is sent
python3 "$src/tests/support/make_pdf.py" "first job" >"$tmp/first.pdf"
submit "$tmp/first.pdf" "First" || { echo "the job never reached the cloud"; exit 1; }
first=$job first_file=$ws/store/jobs/$job.srjob
check "the job is held at the workstation" [ -s "$first_file" ]
cp "$first_file" "$tmp/first.srjob" # deleted there once printed
copy PUT "$first" "$ws" "$first_file"
check "with cloud_copy off PUT is refused: 409" \
  [ "$code" = 409 -a "$(jq -r .error.code "$tmp/copy-out")" = cloud_copy_off ]
check "the scout uploaded nothing (it was told: off)" [ -z "$(find "$blobs" -type f 2>/dev/null)" ]
check "settings: cloud_copy immediate" \
  [ "$(stack_srctl settings set cloud_copy=immediate --json | jq -r .cloud_copy)" = immediate ]
out=$(stack_srctl settings set cloud_copy=sometimes 2>&1)
check "a bad cloud_copy value is refused with the choices" grep -q "off immediate deferred" <<<"$out"

# 2. immediate: a submitted job's copy lands in the cloud's storage on its
# own, the workstation's bytes, ciphertext only
python3 "$src/tests/support/make_pdf.py" "$marker" >"$tmp/doc.pdf"
t0=$(date +%s%N)
submit "$tmp/doc.pdf" "Copy test" || { echo "the job never reached the cloud"; exit 1; }
marked=$job local_file=$ws/store/jobs/$job.srjob
stored=$blobs/$tenant/$job
cp "$local_file" "$tmp/marked.srjob" # deleted there once printed
check "the submitted job's copy lands in the cloud's storage within 10 s" wait_file "$stored"
echo "  submit to copy stored: $((($(date +%s%N) - t0) / 1000000)) ms"
check "its bytes are the workstation's job file" cmp -s "$stored" "$local_file"
check "the document's text is nowhere in the storage" bash -c "! grep -rqa '$marker' '$blobs'"
# (the bytes read hold the tenant's rows: a read that failed proves nothing)
check "nor in the cloud's database" \
  ok "stack_db_bytes >'$tmp/db.bytes' && grep -qaF '$tenant' '$tmp/db.bytes' && ! grep -qa '$marker' '$tmp/db.bytes'"
check "the database records the copy (key, size, storage)" \
  [ "$(stack_sql "SELECT copy_key || ' ' || copy_size || ' ' || copy_store FROM jobs WHERE id = '$job'")" = "$tenant/$job $(stat -c %s "$local_file") local" ]
check "srctl jobs shows the copy's size" \
  [ "$(stack_srctl jobs --json | jq -r --arg j "$job" '.jobs[] | select(.id == $j) | .copy')" = "$(stat -c %s "$local_file")" ]
check "the job held before the setting changed is uploaded too, once the scout learns it" \
  wait_file "$blobs/$tenant/$first"

# 3. what the cloud takes: a job file, as application/octet-stream, of a
# job it knows
copy PUT "$job" "$ws" "$tmp/doc.pdf"
check "a body that is not a job file: 400 not_a_job_file" \
  [ "$code" = 400 -a "$(jq -r .error.code "$tmp/copy-out")" = not_a_job_file ]
copy PUT "$job" "$ws" "$local_file" application/json
check "the job file sent as JSON: 415" [ "$code" = 415 ]
copy PUT "0123456789abcdef" "$ws" "$local_file"
check "a copy of a job the cloud does not know: 404" [ "$code" = 404 ]
check "the refused uploads left the copy as it was" cmp -s "$stored" "$local_file"
copy PUT "$job" "$ws" "$local_file"
check "the origin's own PUT replaces it: 201 with the size" \
  [ "$code" = 201 -a "$(jq -r .size "$tmp/copy-out")" = "$(stat -c %s "$local_file")" ]

# 4. who may read it: the origin, and a deliverer only while it holds a
# release of the job (tests/integration/failover.sh)
copy GET "$job" "$ws"
check "the origin's GET: 200, the same bytes" ok '[ "$code" = 200 ] && cmp -s "$tmp/copy-out" "$local_file"'
copy GET "$job" "$tmp/site"
check "the tenant's site service, holding no release of it, may not GET it: 403" [ "$code" = 403 ]
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
check "a new tenant keeps no cloud copies by default" \
  [ "$(SR_CLOUD_URL=$cloud_url SR_CLOUD_CA=$ca_file SR_TOKEN_FILE=$tmp/other-token "$bin/srctl" settings show --json | jq -r .cloud_copy)" = off ]
copy GET "$job" "$tmp/evews"
check "a print scout of another tenant: 404 (the job is not in its tenant)" [ "$code" = 404 ]
check "the stored copy is unchanged" cmp -s "$stored" "$local_file"

# 5. a copy far larger than the API's JSON body limit (64 KiB): 24 MiB of
# random image data, spooled to a file by the server, stored and read back
# whole, without the cloud's memory growing by anything like its size
python3 - "$tmp/big.pdf" "$marker" <<'PY'
import os, sys
data = os.urandom(24 * 1024 * 1024)
text = ("BT /F1 24 Tf 72 720 Td (%s) Tj ET" % sys.argv[2]).encode()
objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> /XObject << /I 6 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /XObject /Subtype /Image /Width 4096 /Height 2048 /ColorSpace /DeviceRGB"
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
peak() { awk '/^VmHWM:/ {print $2}' "/proc/$cloud_pid/status"; } # KiB
peak_before=$(peak)
submit "$tmp/big.pdf" "Big copy" || { echo "the big job never reached the cloud"; exit 1; }
big=$job big_file=$ws/store/jobs/$big.srjob
check "a $(($(stat -c %s "$big_file") / 1024)) KiB copy is uploaded and stored (within 30 s)" \
  wait_until 300 test -s "$blobs/$tenant/$big"
check "  byte for byte" cmp -s "$blobs/$tenant/$big" "$big_file"
copy GET "$big" "$ws"
check "  and read back whole" cmp -s "$tmp/copy-out" "$big_file"
grown=$(($(peak) - peak_before))
echo "  the cloud's peak memory grew by $grown KiB for a $(($(stat -c %s "$big_file") / 1024)) KiB copy in and out"
check "  the cloud's peak memory grew by less than a quarter of the copy's size" \
  [ "$grown" -lt $(($(stat -c %s "$big_file") / 4096)) ]

# 6. the copy goes when its job ends: deleted by its origin, deleted at the
# panel, printed
copy DELETE "$big" "$ws"
check "the origin deletes its copy: 204" [ "$code" = 204 ]
check "  it is gone from storage" wait_gone "$blobs/$tenant/$big"
copy GET "$big" "$ws"
check "  GET then: 404 no_copy" [ "$code" = 404 -a "$(jq -r .error.code "$tmp/copy-out")" = no_copy ]
login printer1 "$demo_card"
alice=$session
panel DELETE "/api/v1/panel/jobs/$first" "" "$alice"
check "the first job deleted at the panel" [ "$code" = 204 ]
check "  its copy is deleted from storage" wait_gone "$blobs/$tenant/$first"
check "  and from the job's record" \
  [ -z "$(stack_sql "SELECT copy_key FROM jobs WHERE id = '$first'")" ]
panel POST /api/v1/panel/release "{\"jobs\":[\"$marked\"]}" "$alice"
check "the marked job released" [ "$code" = 202 ]
wait_job "$marked" "$alice" '.state == "printed"'
check "  it printed" [ $? = 0 ]
check "  its copy is deleted from storage" wait_gone "$stored"
copy PUT "$marked" "$ws" "$tmp/marked.srjob"
check "a printed job takes no new copy: 409 job_ended" \
  [ "$code" = 409 -a "$(jq -r .error.code "$tmp/copy-out")" = job_ended ]
panel DELETE "/api/v1/panel/jobs/$big" "" "$alice"
check "the big job deleted at the panel" [ "$code" = 204 ]
check "the storage holds no copy at all now" wait_until 50 bash -c "[ -z \"\$(find '$blobs' -type f)\" ]"

# 7. a cloud that cannot store (its storage root is a file): the scout
# retries with backoff, the jobs stay held at the workstation and can be
# released; once the storage is back the next retry stores the copy
mv "$blobs" "$blobs.off" && : >"$blobs"
python3 "$src/tests/support/make_pdf.py" "third" >"$tmp/third.pdf"
python3 "$src/tests/support/make_pdf.py" "fourth" >"$tmp/fourth.pdf"
submit "$tmp/third.pdf" "Third" && third=$job
submit "$tmp/fourth.pdf" "Fourth" && fourth=$job
retrying() { grep -q "cloud copy not uploaded yet (the cloud answered 503" "$ws/log"; }
check "the scout says it retries the refused upload" wait_until 100 retrying
check "both jobs are still held at the workstation" \
  [ -s "$ws/store/jobs/$third.srjob" -a -s "$ws/store/jobs/$fourth.srjob" ]
panel POST /api/v1/panel/release "{\"jobs\":[\"$third\"]}" "$alice"
wait_job "$third" "$alice" '.state == "printed"'
check "a job whose copy could not be stored is released and printed all the same" [ $? = 0 ]
rm "$blobs" && mv "$blobs.off" "$blobs"
t0=$(date +%s)
check "storage back: the retry stores the other job's copy (within 30 s)" \
  wait_until 300 test -s "$blobs/$tenant/$fourth"
echo "  stored $(($(date +%s) - t0)) s after the storage came back"
check "  the workstation's bytes" cmp -s "$blobs/$tenant/$fourth" "$ws/store/jobs/$fourth.srjob"
check "  and the printed job has no copy" [ ! -e "$blobs/$tenant/$third" ]

# 8. deferred: only a job still held copy_after (here 10 s, the shortest)
# after it was printed is uploaded, then
check "settings: cloud_copy deferred after 10s" \
  [ "$(stack_srctl settings set cloud_copy=deferred copy_after=10s --json | jq -r '.cloud_copy + " " + (.copy_after | tostring)')" = "deferred 10" ]
python3 "$src/tests/support/make_pdf.py" "fifth" >"$tmp/fifth.pdf"
t0=$(date +%s)
submit "$tmp/fifth.pdf" "Fifth" && fifth=$job
check "the deferred copy lands (within 40 s)" wait_until 400 test -s "$blobs/$tenant/$fifth"
waited=$(($(date +%s) - t0))
echo "  stored $waited s after submission"
check "  not before copy_after (10 s) had passed" [ "$waited" -ge 9 ]
check "  the workstation's bytes" cmp -s "$blobs/$tenant/$fifth" "$ws/store/jobs/$fifth.srjob"

checks_done
