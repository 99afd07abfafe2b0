#!/usr/bin/env bash
# Ten IPP submissions at once to sr-print-scout's queue (issue 9): ten
# ipptool processes started together, each printing a job with its own title
# and claiming its own user (the scout believes root, a trusted spooler, when
# it names the user). Every one is answered successful-ok with its own
# job-id; all ten are held, each with its own title and owner; the queue
# lists exactly ten jobs and the store holds ten files: none lost, none
# duplicated. Runs as root (the claimed names are believed only from root).
# usage: concurrent_submit.sh BIN_DIR PLUGIN_DIR SOURCE_DIR
set -u
bin=$1 plugins=$2 src=$3
source "$src/tests/support/checks.sh"
source "$src/tests/support/users.sh"
users_setup "$src" concurrent-submit
n=10

source "$src/tests/support/scout.sh"
start_scout "$bin" "$plugins" concurrent-test || { echo "0 passed, 1 failed"; exit 1; }
pids+=("$scout_pid")

# all ten at once; each ipptool's own timeout (-T 10) bounds its wait
subs=()
for i in $(seq "$n"); do
  ipptool -t -T 10 -f "$doc" -d claim="user-$i" -d title="concurrent job $i" "$uri" \
    "$t/users-print.test" >"$tmp/print-$i.txt" 2>&1 &
  subs+=($!)
done
for i in $(seq "$n"); do
  check "submission $i: successful-ok, held" wait "${subs[$((i - 1))]}"
done

# each submission's job-id, from its own answer
ids=()
for i in $(seq "$n"); do
  ids+=("$(awk '/job-id \(integer\) = /{print $NF; exit}' "$tmp/print-$i.txt")")
done
check "every submission got a job-id" [ "$(printf '%s\n' "${ids[@]}" | grep -c '^[0-9][0-9]*$')" = "$n" ]
check "the ten job-ids are distinct" [ "$(printf '%s\n' "${ids[@]}" | sort -u | wc -l)" = "$n" ]

# each job as the queue has it: held, its own title and owner
for i in $(seq "$n"); do
  id=${ids[$((i - 1))]}
  ipptool -t -v -T 10 -d job="${id:-0}" -d state=4 "$uri" "$t/job-state.test" >"$tmp/job-$i.txt" 2>&1
  check "job $i ($id) is held" grep -q 'job-state (enum) = pending-held' "$tmp/job-$i.txt"
  check "job $i ($id) has its own title" grep -qx " *job-name (nameWithoutLanguage) = concurrent job $i" "$tmp/job-$i.txt"
  check "job $i ($id) has its own owner" grep -qx " *job-originating-user-name (nameWithoutLanguage) = user-$i" "$tmp/job-$i.txt"
done

# nothing duplicated: ten jobs listed, ten titles once each, ten files stored
ipptool -t -v -T 10 -d claim=root -d job="${ids[0]:-0}" "$uri" "$t/users-get-jobs.test" >"$tmp/jobs.txt" 2>&1
check "the queue lists ten jobs" [ "$(grep -c 'job-id (integer) = ' "$tmp/jobs.txt")" = "$n" ]
check "each title once" \
  [ "$(sed -n 's/.*job-name (nameWithoutLanguage) = //p' "$tmp/jobs.txt" | sort -u | grep -c '^concurrent job')" = "$n" ]
check "the store holds ten job files" \
  [ "$(find "$tmp/store/jobs" -name '*.srjob' | wc -l)" = "$n" ]
check "the scout is still running" kill -0 "$scout_pid"
kill "$scout_pid"
check "the scout stops cleanly" wait "$scout_pid"
pids=()
# the scout's own account of a failure (a sanitizer's report goes there too)
[ "$failed" = 0 ] || tail -n 60 "$tmp/scout.log"
checks_done
