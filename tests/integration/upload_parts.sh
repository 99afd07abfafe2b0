#!/usr/bin/env bash
# The portal's upload in parts (docs/storage.md, "Web submissions"), on the
# whole stack, called as the portal's page calls it (a browser session:
# cookie, CSRF token, Origin). A 20 MiB PDF sealed as a browser seals it is
# sent in 8 MiB parts, out of order, with one part missing at first; the
# job it makes is checked and held, and its stored file opens to the same
# document. What goes wrong is refused with a clear answer and loses
# nothing: a part of the wrong size, a first part that is no job file,
# another user's upload (as unknown as none), a part sent again and again,
# an upload larger than the cloud takes, storage failing while the job is
# stored (the upload stays open and completes later), a second complete, a
# cancel (the bytes never sent given back), an upload over the day's
# allowance, and one abandoned past its hour (dropped by the sweep, its
# parts deleted, the bytes never sent given back).
# usage: upload_parts.sh BIN_DIR PLUGIN_DIR SOURCE_DIR
set -u
bin=$1 plugins=$2 src=$3
source "$src/tests/support/stack_test.sh" upload-parts
stack_start "$tmp" "$bin" "$plugins" || { echo "the stack did not start"; exit 1; }
source "$src/tests/support/browser_session.sh" # web, sign_in, csrf_of, $origin

blobs=$tmp/cloud/blobs
stack_srctl user add --email bob@example.com --name "Bob Example" >/dev/null
check "alice signs in to the portal" ok '[ "$(sign_in alice "$(stack_console_link user "$demo_email")")" = 200 ]'
check "bob signs in to the portal" ok '[ "$(sign_in bob "$(stack_console_link user bob@example.com)")" = 200 ]'
declare -A csrf=([alice]=$(csrf_of alice) [bob]=$(csrf_of bob))

# as the page calls: JAR METHOD PATH [curl args...] -> the status
call() {
  local jar=$1 method=$2 path=$3
  shift 3
  web "$jar" "$method" "$path" -H "Origin: $origin" -H "X-CSRF-Token: ${csrf[$jar]}" "$@"
}
start() { call "$1" POST /api/v1/me/part-uploads -H 'Content-Type: application/json' -d "{\"size\": $2}"; }
put_part() { # JAR ID N FILE
  call "$1" PUT "/api/v1/me/part-uploads/$2?part=$3" -H 'Content-Type: application/octet-stream' \
    --data-binary @"$4"
}
used_today() { stack_sql "SELECT coalesce(sum(bytes), 0) FROM upload_usage"; }
part_objects() { find "$blobs" -type f -name "$1.part-*" 2>/dev/null | wc -l; }
upload_row() { stack_sql "SELECT count(*) FROM part_uploads WHERE id = '$1'"; }
gone() { [ "$(part_objects "$1")" = 0 ] && [ "$(upload_row "$1")" = 0 ]; }

# a 20 MiB PDF of many pages, sealed for the site, cut in 8 MiB parts
printf 'Line of a long report\n%.0s' $(seq 200) >"$tmp/lines.txt"
python3 "$src/tests/support/make_pdf.py" --document "$tmp/lines.txt" $((20 * 1024 * 1024)) >"$tmp/report.pdf"
"$bin/upload_jobfile" "$secret_file" "$tenant" \
  "{\"title\":\"Long report\",\"size\":$(stat -c %s "$tmp/report.pdf"),\"submitted_at\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}" \
  "$tmp/report.pdf" >"$tmp/report.srjob"
size=$(stat -c %s "$tmp/report.srjob")
split -b 8388608 -d -a 1 "$tmp/report.srjob" "$tmp/part-"

# 1. the start: the declared size against the limits, the parts it makes
used_before=$(used_today)
code=$(start alice "$size")
id=$(json .id)
check "the start: 201 with an id, 8 MiB parts, 3 of them" \
  ok '[ "$code" = 201 ] && [ "$(json .part_size)" = 8388608 ] && [ "$(json .parts)" = 3 ] && [ -n "$id" ]'
check "its bytes are counted against today's allowance from the start" \
  [ "$(used_today)" = $((used_before + size)) ]
code=$(start alice '"big"')
check "a size that is not a number: 400 invalid" ok '[ "$code" = 400 ] && [ "$(json .error.code)" = invalid ]'
used=$(used_today)
code=$(start alice $((64 * 1024 * 1024 + 1)))
check "one byte over the cloud's copy_max_size (64 MiB): 413 too_large, nothing counted" \
  ok '[ "$code" = 413 ] && [ "$(json .error.code)" = too_large ] && [ "$(used_today)" = "$used" ]'

# 2. parts that cannot be right are refused before they are stored
head -c 100 "$tmp/part-0" >"$tmp/short"
code=$(put_part alice "$id" 0 "$tmp/short")
check "part 0 of 100 bytes: 400 wrong_part_size, naming the size it must have" \
  ok '[ "$code" = 400 ] && [ "$(json .error.code)" = wrong_part_size ] && grep -q 8388608 "$tmp/body"'
code=$(put_part alice "$id" 3 "$tmp/part-2")
check "a part past the last: 400" [ "$code" = 400 ]
code=$(call alice PUT "/api/v1/me/part-uploads/$id" -H 'Content-Type: application/octet-stream' --data-binary @"$tmp/part-2")
check "no ?part=: 400" [ "$code" = 400 ]
code=$(put_part alice "$id" 2 "$tmp/part-2")
check "the last part, first: 200" ok '[ "$code" = 200 ] && [ "$(json .part)" = 2 ]'
code=$(put_part alice "$id" 0 "$tmp/part-0")
check "part 0: 200" [ "$code" = 200 ]
# a retry is allowed, a loop is not: each stored part costs the cloud a write
sends=()
for _ in 1 2 3; do sends+=("$(put_part alice "$id" 2 "$tmp/part-2")"); done
check "the last part sent again: 200, 200, then 429 too_many_sends" \
  ok '[ "${sends[*]}" = "200 200 429" ] && [ "$(json .error.code)" = too_many_sends ]'

# 3. another user: alice's upload is as unknown to bob as none
code=$(put_part bob "$id" 1 "$tmp/part-1")
check "bob sends a part of alice's upload: 404" [ "$code" = 404 ]
code=$(call bob POST "/api/v1/me/part-uploads/$id/complete")
check "bob completes alice's upload: 404" [ "$code" = 404 ]
code=$(call bob DELETE "/api/v1/me/part-uploads/$id")
check "bob cancels alice's upload: 404" [ "$code" = 404 ]
code=$(web alice POST "/api/v1/me/part-uploads/$id/complete" -H "Origin: $origin")
check "alice's own session without its CSRF token: 403" [ "$code" = 403 ]

# 4. complete with a part missing: 409 naming it; then send it and complete
code=$(call alice POST "/api/v1/me/part-uploads/$id/complete")
check "complete with part 1 missing: 409 part_missing, missing 1" \
  ok '[ "$code" = 409 ] && [ "$(json .error.code)" = part_missing ] && [ "$(json .missing)" = 1 ]'
code=$(put_part alice "$id" 1 "$tmp/part-1")
check "the missing part: 200 (the upload is open again)" [ "$code" = 200 ]
# the storage fails as the joined file is stored: the copy's place is
# taken by a directory, so the local storage's rename fails
parts_dir=$(dirname "$(find "$blobs" -type f -name "$id.part-0")")
mkdir -p "$parts_dir/$id/blocker"
used=$(used_today)
code=$(call alice POST "/api/v1/me/part-uploads/$id/complete")
check "complete while the storage fails: 503, no job" \
  ok '[ "$code" = 503 ] && [ "$(stack_sql "SELECT count(*) FROM jobs WHERE id = '"'$id'"'")" = 0 ]'
check "the upload is open again, its parts kept, its bytes still counted" \
  ok '[ "$(stack_sql "SELECT state FROM part_uploads WHERE id = '"'$id'"'")" = open ] &&
      [ "$(part_objects "$id")" = 3 ] && [ "$(used_today)" = "$used" ]'
rm -r "$parts_dir/$id"
code=$(call alice POST "/api/v1/me/part-uploads/$id/complete")
check "complete: 201, the job is the upload's id, being checked" \
  ok '[ "$code" = 201 ] && [ "$(json .id)" = "$id" ] && [ "$(json .state)" = checking ]'
code=$(call alice POST "/api/v1/me/part-uploads/$id/complete")
# 409 while the finished upload is remembered, 404 once the sweep forgot it
check "complete again: 409 or 404, nothing made twice" \
  ok '[[ "$code" =~ ^(409|404)$ ]] && [ "$(stack_sql "SELECT count(*) FROM jobs WHERE id = '"'$id'"'")" = 1 ]'
held() { [ "$(stack_sql "SELECT state FROM jobs WHERE id = '$id'")" = held ]; }
check "the site checks it: held, with its pages counted" \
  ok 'wait_until 600 held && [ "$(stack_sql "SELECT pages FROM jobs WHERE id = '"'$id'"'")" -gt 1 ]'
check "counted once for the day" [ "$(used_today)" = $((used_before + size)) ]
stored=$(find "$blobs" -type f -name "$id" | head -1)
"$bin/srctl" job show "$stored" --secret-file "$secret_file" --tenant "$tenant" \
  --document "$tmp/opened.pdf" >/dev/null 2>&1
check "its stored file is the parts joined in order: it opens to the same PDF" cmp -s "$tmp/opened.pdf" "$tmp/report.pdf"
check "its parts are deleted and its upload forgotten by the sweep" wait_until 300 gone "$id"

# 4b. two completes at once (two tabs, or two cloud instances): one claims
# the upload in the database, the other is refused; one job
"$bin/upload_jobfile" "$secret_file" "$tenant" \
  "{\"title\":\"Three\",\"size\":$(stat -c %s "$src/tests/data/three-pages.pdf"),\"submitted_at\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}" \
  "$src/tests/data/three-pages.pdf" >"$tmp/three.srjob"
start alice "$(stat -c %s "$tmp/three.srjob")" >/dev/null
twice=$(json .id)
put_part alice "$twice" 0 "$tmp/three.srjob" >/dev/null
completes=()
for i in 1 2; do
  curl -s -o /dev/null -w '%{http_code}\n' --cacert "$ca_file" -b "$tmp/alice.jar" -X POST \
    -H "Origin: $origin" -H "X-CSRF-Token: ${csrf[alice]}" \
    "$cloud_url/api/v1/me/part-uploads/$twice/complete" >"$tmp/complete-$i" &
  completes+=($!)
done
wait "${completes[@]}" # only these: the stack's services are children of this shell too
check "two completes at once: one 201, one 409, one job" \
  ok '[ "$(sort "$tmp"/complete-[12] | tr "\n" " ")" = "201 409 " ] &&
      [ "$(stack_sql "SELECT count(*) FROM jobs WHERE id = '"'$twice'"'")" = 1 ]'

# 4c. one part sent four times at once: each send is counted before it is
# stored, so three are taken and one refused (a check that all four passed
# at once would let a user write without bound); cancelled, nothing of the
# sent part is given back
start alice "$(stat -c %s "$tmp/three.srjob")" >/dev/null
burst=$(json .id)
used=$(used_today)
sends=()
for i in 1 2 3 4; do
  curl -s -o /dev/null -w '%{http_code}\n' --cacert "$ca_file" -b "$tmp/alice.jar" -X PUT \
    -H "Origin: $origin" -H "X-CSRF-Token: ${csrf[alice]}" -H 'Content-Type: application/octet-stream' \
    --data-binary @"$tmp/three.srjob" "$cloud_url/api/v1/me/part-uploads/$burst?part=0" >"$tmp/send-$i" &
  sends+=($!)
done
wait "${sends[@]}"
check "four sends of one part at once: three 200, one 429" \
  [ "$(sort "$tmp"/send-[1-4] | tr "\n" " ")" = "200 200 200 429 " ]
code=$(call alice DELETE "/api/v1/me/part-uploads/$burst")
check "cancelled: 204, the part sent still counted for the day" \
  ok '[ "$code" = 204 ] && [ "$(used_today)" = "$used" ]'
check "its part is deleted and the upload forgotten by the sweep" wait_until 300 gone "$burst"

# 5. a first part that is no job file: refused at once, nothing stored
code=$(start alice 300000)
bad=$(json .id)
head -c 300000 /dev/urandom >"$tmp/random"
code=$(put_part alice "$bad" 0 "$tmp/random")
check "random bytes as part 0: 400 not_a_job_file, not stored" \
  ok '[ "$code" = 400 ] && [ "$(json .error.code)" = not_a_job_file ] && [ "$(part_objects "$bad")" = 0 ]'

# 6. cancel: 204, the bytes never stored given back (all of them here),
# nothing left
used=$(used_today)
code=$(call alice DELETE "/api/v1/me/part-uploads/$bad")
check "cancel: 204, its 300000 bytes given back" \
  ok '[ "$code" = 204 ] && [ "$(used_today)" = $((used - 300000)) ]'
code=$(put_part alice "$bad" 0 "$tmp/part-0")
check "a part of a cancelled upload: 404" [ "$code" = 404 ]
check "a cancelled upload is forgotten by the sweep" wait_until 300 gone "$bad"

# 7. over the day's allowance: 429 before anything is stored
daily=$(stack_srctl settings show --json | jq -r '.upload_daily_bytes')
stack_srctl settings set upload_daily_bytes=$(($(used_today) + 1000)) >/dev/null
code=$(start alice 5000)
check "an upload larger than what is left today: 429 daily_limit with what is left" \
  ok '[ "$code" = 429 ] && [ "$(json .error.code)" = daily_limit ] && [ "$(json .daily_left)" = 1000 ]'
stack_srctl settings set "upload_daily_bytes=$daily" >/dev/null

# 8. abandoned: an upload not completed within its hour is dropped by the
# sweep (its start moved back an hour here), its parts deleted, the bytes
# never sent given back: the part sent still counts for the day (else
# sending and cancelling again and again would write without end)
code=$(start alice "$size")
old=$(json .id)
put_part alice "$old" 0 "$tmp/part-0" >/dev/null
check "an upload with one part sent" ok '[ "$(part_objects "$old")" = 1 ]'
used=$(used_today)
stack_sql "UPDATE part_uploads SET created_at = created_at - 3601 WHERE id = '$old'"
check "past its hour it is dropped: its part deleted, its row gone" wait_until 300 gone "$old"
check "the bytes never sent given back, the 8 MiB part sent still counted" \
  [ "$(used_today)" = $((used - size + 8388608)) ]
code=$(call alice POST "/api/v1/me/part-uploads/$old/complete")
check "completing it then: 404" [ "$code" = 404 ]

check "no part object is left in storage" ok '[ "$(find "$blobs" -type f -name "*.part-*" | wc -l)" = 0 ]'
checks_done
