#!/usr/bin/env bash
# Storage regions and their privacy settings end to end (docs/storage.md,
# "Regions and privacy"). Three regions over the stack's local storage:
# each job is assigned the region of its user, else of its print scout's
# site, else the tenant's `region` setting, at announcement (the admin
# listing shows it); a traveller's new region applies to the next job. What
# the cloud stores follows the region: a `title: drop` region keeps no
# title (the database file does not contain it), `hash` keeps a keyed hash,
# the panel shows "(title not kept)" while the workstation still shows the
# title to its user; `user: pseudonym` shows a pseudonym in the admin
# listing and replaces the owner in the database once the job has printed.
# usage: regions.sh BIN_DIR PLUGIN_DIR SOURCE_DIR
set -u
bin=$1 plugins=$2 src=$3
source "$src/tests/support/stack_test.sh" regions
source "$src/tests/support/panel.sh"

export STACK_REGIONS='regions:
  - {name: eu-west, storage: local, prefix: eu-west/, label: Ireland, privacy: {title: drop, user: pseudonym}}
  - {name: us-east, storage: local, prefix: us-east/, label: Virginia}
  - {name: ap-southeast, storage: local, prefix: ap/, label: Singapore, privacy: {title: hash}}'
stack_start "$tmp" "$bin" "$plugins" || { echo "the stack did not start"; exit 1; }
doc=$src/tests/data/three-pages.pdf
ipp=$src/tests/data/ipp

jobs_json() { stack_srctl jobs --json; }
job_count() { jobs_json | jq '.jobs | length'; }
# submit QUEUE TITLE: prints it, waits until the cloud lists one job more,
# and sets $job (the new job's cloud id) and $ipp_job (its id at the queue)
submit() {
  local before
  before=$(jobs_json | jq -c '[.jobs[].id]')
  ipp_job=$("$bin/srctl" submit "$doc" --queue "$1" --title "$2" --format application/pdf |
    sed -n 's/^job \([0-9]*\) held.*/\1/p')
  job=
  for _ in $(seq 200); do
    job=$(jobs_json | jq -r --argjson seen "$before" '[.jobs[].id | select(. as $i | $seen | index($i) | not)][0] // empty')
    [ -n "$job" ] && return 0
    sleep 0.05
  done
  echo "  job '$2' never reached the cloud"
}
job_field() { jobs_json | jq -r --arg id "$1" ".jobs[] | select(.id == \$id) | $2"; }
sql() { stack_sql "$1"; }
scout_id() { stack_srctl scout list --json | jq -r --arg n "$1" '.scouts[] | select(.name == $n) | .id'; }

# 1. the regions, and the tenant's default checked against them
check "region list names the three regions" \
  [ "$(stack_srctl region list --json | jq -c '[.regions[].name]')" = '["eu-west","us-east","ap-southeast"]' ]
check "the tenant's default is the first region" [ "$(stack_srctl settings show --json | jq -r .region)" = eu-west ]
stack_srctl settings set region=mars >"$tmp/out" 2>&1
check "an undeclared region is refused, naming the regions" \
  grep -q "'region' is one of the cloud's regions: eu-west us-east ap-southeast" "$tmp/out"
check "settings set region=us-east" stack_srctl settings set region=us-east

# 2. alice has no region of her own, her workstation no site: the tenant's
alice_title="alice tenant report 7f3a"
submit "$queue_workstation" "$alice_title"
alice_job=$job alice_ipp=$ipp_job
check "a job without user or site region goes to the tenant's (us-east)" [ "$(job_field "$alice_job" .region)" = us-east ]
check "  its title is kept there" [ "$(job_field "$alice_job" .title)" = "$alice_title" ]
check "  and its owner named" [ "$(job_field "$alice_job" .owner)" = alice@example.com ]

# 3. bob has his own region, even at a site that has another
stack_srctl user add --email bob@example.com --region nowhere >"$tmp/out" 2>&1
check "a user with an undeclared region is refused" grep -q "is one of the cloud's regions" "$tmp/out"
check "user add --region ap-southeast" stack_srctl user add --email bob@example.com --region ap-southeast
bob_id=$(stack_srctl user list --json | jq -r '.users[] | select(.email == "bob@example.com") | .id')
site=$(stack_srctl scout list --json | jq -r '.scouts[] | select(.kind == "site") | .id')
check "scout set SITE --region eu-west" stack_srctl scout set "$site" --region eu-west
stack_srctl scout set "$site" --site "$site" >"$tmp/out" 2>&1
check "a site belongs to no site" grep -q "only a print scout belongs to a site" "$tmp/out"
stack_print_scout bobs bob@example.com || { echo "bob's scout did not start"; exit 1; }
check "bob's workstation belongs to the site" stack_srctl scout set "$(scout_id bobs)" --site "$site"
bob_title="bob travel plans 91c2"
submit "$queue_bobs" "$bob_title"
bob_job=$job
check "bob's job goes to his own region (ap-southeast), not the site's" [ "$(job_field "$bob_job" .region)" = ap-southeast ]
stored=$(sql "SELECT title FROM jobs WHERE id = '$bob_job'")
check "  ap-southeast keeps a keyed hash of the title" grep -Eqx 'hmac-sha256:[0-9a-f]{64}' <<<"$stored"
check "  which is not the title's plain SHA-256" \
  [ "${stored#hmac-sha256:}" != "$(printf %s "$bob_title" | sha256sum | cut -c1-64)" ]
check "  the listing says the title was not kept" [ "$(job_field "$bob_job" .title_kept)" = false ]
submit "$queue_bobs" "$bob_title"
check "  the same title gives the same hash (reports can still group it)" \
  [ "$(sql "SELECT title FROM jobs WHERE id = '$job'")" = "$stored" ]

# 4. a traveller switches: his next job goes to his new region
check "user set BOB --region us-east" stack_srctl user set "$bob_id" --region us-east
submit "$queue_bobs" "bob in virginia 55d0"
check "bob's next job goes to us-east" [ "$(job_field "$job" .region)" = us-east ]
check "  the earlier one stays in ap-southeast" [ "$(job_field "$bob_job" .region)" = ap-southeast ]
check "user set BOB --region none" stack_srctl user set "$bob_id" --region none
submit "$queue_bobs" "bob back home 0be4"
check "without his own region, bob's job goes to his site's (eu-west)" [ "$(job_field "$job" .region)" = eu-west ]

# 5. alice's workstation joins the site: eu-west drops titles, pseudonymises users
check "scout set WORKSTATION --site" stack_srctl scout set "$(scout_id workstation)" --site "$site"
secret_title="alice secret merger 3c8e"
submit "$queue_workstation" "$secret_title"
secret_job=$job secret_ipp=$ipp_job
check "alice's job now goes to her site's region (eu-west)" [ "$(job_field "$secret_job" .region)" = eu-west ]
check "  the database keeps no title for it" [ "$(sql "SELECT title FROM jobs WHERE id = '$secret_job'")" = "" ]
check "  the database files do not contain the title" \
  ok "stack_db_bytes >'$tmp/db.bytes' && grep -qaF '$tenant' '$tmp/db.bytes' && ! grep -aqF '$secret_title' '$tmp/db.bytes'"
pseudonym=$(job_field "$secret_job" .owner)
check "  the admin listing shows a pseudonym, not alice" grep -Eqx 'p-[0-9a-f]{24}' <<<"$pseudonym"
check "  while held, the job is still alice's in the database (the panel needs it)" \
  [ "$(sql "SELECT u.email FROM jobs j JOIN users u ON u.id = j.owner WHERE j.id = '$secret_job'")" = alice@example.com ]

# 6. what alice sees: the panel shows what the cloud kept, her workstation the title
login printer1 "$demo_card"
check "card login: 201" [ "$code" = 201 ]
panel GET "/api/v1/panel/jobs/$secret_job" "" "$session"
check "the panel lists the eu-west job as '(title not kept)'" [ "$code" = 200 -a "$(field .title)" = "(title not kept)" ]
panel GET "/api/v1/panel/jobs/$alice_job" "" "$session"
check "  and the us-east job with its title" [ "$(field .title)" = "$alice_title" ]
ipptool -t -v -T 10 -d claim=root -d job="$secret_ipp" "$queue_workstation" "$ipp/users-get-jobs.test" >"$tmp/ws-jobs.txt" 2>&1
check "the workstation still shows alice the real title" \
  grep -qF "job-name (nameWithoutLanguage) = $secret_title" "$tmp/ws-jobs.txt"

# 7. once printed, the owner and the releasing user are pseudonyms in the database
panel POST /api/v1/panel/release "{\"jobs\":[\"$secret_job\"]}" "$session"
check "release: 202" [ "$code" = 202 ]
# the administrator's listing, not the panel: once the job has ended, the
# sweep may pseudonymise its owner before a panel poll sees "printed", and
# the panel then no longer finds it for alice (as it should)
printed() { [ "$(job_field "$secret_job" .state)" = printed ]; }
check "  printed" wait_until 200 printed
owner_is_pseudonym() { [ "$(sql "SELECT owner FROM jobs WHERE id = '$secret_job'")" = "$pseudonym" ]; }
check "the ended job's owner becomes the same pseudonym in the database" wait_until 50 owner_is_pseudonym
check "  and its release's user too" \
  [ "$(sql "SELECT user_id FROM releases WHERE job = '$secret_job'")" = "$pseudonym" ]
check "  the admin listing still lists it, under the pseudonym" [ "$(job_field "$secret_job" .owner)" = "$pseudonym" ]
alice_id=$(stack_srctl user list --json | jq -r '.users[] | select(.email == "alice@example.com") | .id')
check "  alice's id is in no row of that job any more" \
  [ "$(sql "SELECT count(*) FROM jobs j JOIN releases r ON r.job = j.id WHERE j.id = '$secret_job' AND (j.owner = '$alice_id' OR r.user_id = '$alice_id')")" = 0 ]
check "  the us-east job keeps alice as its owner" [ "$(sql "SELECT owner FROM jobs WHERE id = '$alice_job'")" = "$alice_id" ]
check "the job printed byte-identical" cmp -s "$doc" "$(ls -t "$spool_dir"/*.pdf | head -1)"

checks_done
