#!/usr/bin/env bash
# Failover release (docs/storage.md, "Document handling and failover"), on
# the whole stack: the tenant's document_handling says who may print a
# released job after its workstation (origin). The origin here is stopped
# with SIGSTOP, so the broker still lists it online (its keep-alive is a
# minute): the cloud must move on because it does not answer, within
# seconds, not at the broker's will. The origin, continued, receives the
# release command after its deadline and drops it: it prints nothing.
# usage: failover.sh BIN_DIR PLUGIN_DIR SOURCE_DIR
set -u
bin=$1 plugins=$2 src=$3
source "$src/tests/support/stack_test.sh" failover
export STACK_SCOUT_KEEPALIVE=60s # the will would fire after 90 s
cleanup_more() { kill -CONT "${pid_workstation:-0}" 2>/dev/null; }
source "$src/tests/support/panel.sh"

stack_start "$tmp" "$bin" "$plugins" || { echo "the stack did not start"; exit 1; }
doc=$src/tests/data/three-pages.pdf
ack=5 # the cloud's release_ack_timeout (its default)

newest_job() { # SESSION -> $job (the newest held job)
  panel GET /api/v1/panel/jobs "" "$1"
  job=$(echo "$body" | jq -r '.jobs[-1].id')
}
store_files() { ls "$tmp/$1/store/jobs" 2>/dev/null | wc -l; }

# 1. the setting: [origin] by default; a list, text or `personal`; refused
# with a clear reason otherwise
check "document_handling is [origin] by default" \
  [ "$(stack_srctl settings show --json | jq -c .document_handling)" = '["origin"]' ]
check "set as text: origin,site" \
  [ "$(stack_srctl settings set document_handling=origin,site --json | jq -c .document_handling)" = '["origin","site"]' ]
check "personal is [origin]" \
  [ "$(stack_srctl settings set document_handling=personal --json | jq -c .document_handling)" = '["origin"]' ]
out=$(stack_srctl settings set 'document_handling=["origin","origin"]' 2>&1)
rc=$?
check "a deliverer twice: refused, the choices named" \
  ok '[ $rc != 0 ] && grep -q "each at most once" <<<"$out" && grep -q "crowdsource" <<<"$out"'
out=$(stack_srctl settings set document_handling=cloud 2>&1)
check "an unknown deliverer: refused" ok 'grep -q "origin site crowdsource" <<<"$out"'
check "and nothing changed" \
  [ "$(stack_srctl settings show --json | jq -c .document_handling)" = '["origin"]' ]

# 2. [origin, site] without a cloud copy: the stopped origin does not answer,
# the site has nothing to print from: failed within seconds, with both reasons
stack_srctl settings set document_handling=origin,site >/dev/null
"$bin/srctl" submit "$doc" --queue "$queue_workstation" --title nocopy --format application/pdf >/dev/null
login printer1 "$demo_card"
alice=$session
newest_job "$alice"
kill -STOP "$pid_workstation"
start=$SECONDS
panel POST /api/v1/panel/release "{\"jobs\":[\"$job\"]}" "$alice"
check "the stopped origin still looks online: releasing" [ "$(field '.releases[0].state')" = releasing ]
check "held again with both reasons" wait_job "$job" "$alice" \
  '.state == "held" and (.reason | test("did not answer within '$ack' s")) and (.reason | test("no cloud copy"))'
took=$((SECONDS - start))
check "decided within $((ack + 3)) s ($took s), not at the broker's will" [ "$took" -le $((ack + 3)) ]
kill -CONT "$pid_workstation"
check "the origin, continued, drops the command past its deadline" \
  wait_until 100 grep -q "job $job: dropped, received [0-9]* s after its deadline" "$tmp/workstation/log"
check "it printed nothing" [ "$(pdfs)" = 0 ]
check "and still holds the job" [ "$(store_files workstation)" = 1 ]
panel POST /api/v1/panel/release "{\"jobs\":[\"$job\"]}" "$alice"
check "released again, the origin prints it" wait_job "$job" "$alice" \
  '.state == "printed" and .last_release.deliverer == "origin"'

checks_done
