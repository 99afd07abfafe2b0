#!/usr/bin/env bash
# Releases to a printer that takes one job at a time (issue 10), on the
# whole stack (scripts/lib/stack.sh): ippeveprinter answers a job sent while
# it prints another `server-error-busy`, as real printers do. The print
# scout delivers one printer's releases one at a time, in submission order,
# retrying a busy printer until its delivery deadline; meanwhile the panel
# shows the job `printing` and why it waits.
# 1. "print all" of five held jobs to a slow printer: all five arrive,
#    byte-identical, in submission order; the panel showed them waiting.
#    Then "print all" of three while another client's job occupies the
#    printer: the first waits for the busy printer, the others behind it,
#    and all three follow that job in their order.
# 2. two users' print scouts release to the same printer at the same
#    moment: every job prints exactly once, each user's in their order.
# 2b. the scout is stopped (SIGTERM) while four releases wait for a busy
#    printer: all four are held again at the cloud at once, saying why
#    (the scout waits for the broker to take its last events).
# 3. the printer stays busy longer than busy_deadline with three releases
#    in its line: all three are held again at that one deadline (not one
#    deadline after another), with a reason that says so, and print once
#    the printer is free.
# 4. "print all" of 120 jobs to a fast printer: every job ends `printed` at
#    the cloud (no outcome lost to the cloud's event rate limit), 100 at a
#    press.
# usage: busy_printer.sh BIN_DIR PLUGIN_DIR SOURCE_DIR
set -u
bin=$1 plugins=$2 src=$3
source "$src/tests/support/stack_test.sh" busy
source "$src/tests/support/panel.sh"

stack_start "$tmp" "$bin" "$plugins" || { echo "the stack did not start"; echo "0 passed, 1 failed"; exit 1; }
printer=$tmp/printer

within() { # SECS COMMAND...: polls every 0.1 s
  local end=$(($(date +%s) + $1))
  shift
  until "$@"; do [ "$(date +%s)" -lt "$end" ] || return 1; sleep 0.1; done
}
now() { date +%s.%N; }

# distinct one-page documents, named after the job that prints them
mkdir -p "$tmp/docs"
doc() { echo "$tmp/docs/$1.pdf"; }
submit() { # QUEUE NAME: a held job titled NAME whose document says NAME
  python3 "$src/tests/support/make_pdf.py" "busy printer test: $2" >"$(doc "$2")"
  "$bin/srctl" submit "$(doc "$2")" --queue "$1" --title "$2" --format application/pdf >/dev/null ||
    echo "could not submit $2"
}
ids_of() { # SESSION NAME...: the held jobs' ids, in the order of the names
  panel GET /api/v1/panel/jobs "" "$1"
  shift
  local n
  for n in "$@"; do
    echo "$body" | jq -r --arg t "$n" '.jobs[] | select(.title == $t) | .id'
  done
}

printed_docs() { stack_printed_docs "$tmp/docs"; } # stack_test.sh
finished_at_printer() { find "$printer/spool" -name '*.env' | wc -l; } # jobs the printer finished
count_word() { tr ' ' '\n' <<<"$2" | grep -cx "$1"; }                     # WORD LIST

# Until every job is printed or back to held after a failed release.
settled() { # SESSION ID...
  local s=$1 id
  shift
  for id in "$@"; do
    panel GET "/api/v1/panel/jobs/$id" "" "$s"
    [ "$(field '.state == "printed" or (.state == "held" and .last_release.state == "failed")')" = true ] ||
      return 1
  done
}
all_printed() { # SESSION ID...: each printed by its latest release, none failed
  local s=$1 id bad=0
  shift
  for id in "$@"; do
    panel GET "/api/v1/panel/jobs/$id" "" "$s"
    [ "$(field '.state == "printed" and .last_release.state == "printed"')" = true ] ||
      { echo "  job $id: $body"; bad=1; }
  done
  return $bad
}
# Polls the job list of SESSION every 0.1 s, writing "state<TAB>reason" of
# each job to FILE, until STOP_FILE exists.
watch_jobs() { # SESSION FILE STOP_FILE
  until [ -f "$3" ]; do
    panel GET /api/v1/panel/jobs "" "$1"
    field '.jobs[] | "\(.state)\t\(.reason // "")"' >>"$2"
    sleep 0.1
  done
}
saw_waiting() { grep -qiE $'^printing\t.*wait' "$1"; } # FILE from watch_jobs
saw_busy() { grep -qiE $'^printing\t.*waiting for the printer.*busy' "$1"; }

# Another client's job NAME, sent to the printer directly, keeps it busy
# until print-hold is removed.
occupy_printer() { # NAME
  local ipp="ipp://localhost:$printer_port/ipp/print"
  touch "$printer/print-hold"
  python3 "$src/tests/support/make_pdf.py" "busy printer test: $1" >"$(doc "$1")"
  ipptool -q -T 10 -f "$(doc "$1")" -d filetype=application/pdf "$ipp" print-job.test &&
    within 10 ipptool -q -T 10 -d state=4 "$ipp" "$src/tests/data/ipp/printer-state.test"
}

# 1. print all: five held jobs to a printer that needs a second for each
echo 1 >"$printer/print-delay"
names1=(alice-1 alice-2 alice-3 alice-4 alice-5)
for n in "${names1[@]}"; do submit "$queue_workstation" "$n"; done
login printer1 "$demo_card"
alice=$session
mapfile -t ids1 < <(ids_of "$alice" "${names1[@]}")
check "five distinct held jobs at the panel" [ "$(printf '%s\n' "${ids1[@]}" | sort -u | grep -c .)" = 5 ]
watch_jobs "$alice" "$tmp/seen-1" "$tmp/stop-1" &
watcher=$!
panel POST /api/v1/panel/release '{"all":true}' "$alice"
check "print all: 202 with five releases" [ "$code" = 202 -a "$(field '.releases | length')" = 5 ]
check "all five jobs settle (within 60 s)" within 60 settled "$alice" "${ids1[@]}"
touch "$tmp/stop-1"
wait "$watcher"
check "all five printed, none failed" all_printed "$alice" "${ids1[@]}"
check "the printer finished five jobs (within 5 s)" within 5 ok '[ "$(finished_at_printer)" -ge 5 ]'
check "five documents, byte-identical, in submission order" \
  [ "$(printed_docs)" = "${names1[*]}" ]
check "while they waited the panel showed them printing, with the reason they wait" saw_waiting "$tmp/seen-1"

# 1b. print all while another client's job occupies the printer: the first
# meets a busy printer, the others wait behind it and keep their order
rm -f "$printer/print-delay"
check "another client's job occupies the printer" occupy_printer outsider
names1b=(behind-1 behind-2 behind-3)
for n in "${names1b[@]}"; do submit "$queue_workstation" "$n"; done
mapfile -t ids1b < <(ids_of "$alice" "${names1b[@]}")
check "three more held jobs" [ "${#ids1b[@]}" = 3 ]
watch_jobs "$alice" "$tmp/seen-1b" "$tmp/stop-1b" &
watcher=$!
panel POST /api/v1/panel/release '{"all":true}' "$alice"
check "print all: 202 with three releases" [ "$code" = 202 -a "$(field '.releases | length')" = 3 ]
check "the panel shows the first waiting for the busy printer (within 10 s)" within 10 saw_busy "$tmp/seen-1b"
before=$(finished_at_printer)
rm -f "$printer/print-hold"
check "the three settle once the printer is free (within 30 s)" within 30 settled "$alice" "${ids1b[@]}"
touch "$tmp/stop-1b"
wait "$watcher"
check "the three printed, none failed" all_printed "$alice" "${ids1b[@]}"
check "the printer finished four more jobs (within 5 s)" within 5 ok '[ "$(finished_at_printer)" -ge $((before + 4)) ]'
check "after the other client's job, byte-identical, in submission order" \
  [ "$(printed_docs)" = "${names1[*]} outsider ${names1b[*]}" ]

# 2. two users, two workstations, one printer, released at the same moment
stack_srctl user add --email bob@example.com --name "Bob" --card 555000111 \
  --secret-file "$secret_file" --tenant "$tenant" >/dev/null
stack_print_scout bobws bob@example.com >/dev/null || echo "bob's scout did not start"
echo 0.5 >"$printer/print-delay"
names_a=(two-alice-1 two-alice-2 two-alice-3)
names_b=(two-bob-1 two-bob-2 two-bob-3)
for n in "${names_a[@]}"; do submit "$queue_workstation" "$n"; done
for n in "${names_b[@]}"; do submit "$queue_bobws" "$n"; done
login printer1 "$demo_card"
alice=$session
login printer1 555000111
bob=$session
mapfile -t ids_a < <(ids_of "$alice" "${names_a[@]}")
mapfile -t ids_b < <(ids_of "$bob" "${names_b[@]}")
check "three held jobs for each user" [ "${#ids_a[@]}" = 3 -a "${#ids_b[@]}" = 3 ]
before=$(finished_at_printer)
release_all() { # SESSION FILE: the answer's code and number of releases
  panel POST /api/v1/panel/release '{"all":true}' "$1"
  echo "$code $(field '.releases | length')" >"$2"
}
release_all "$alice" "$tmp/release-a" &
ra=$!
release_all "$bob" "$tmp/release-b" &
rb=$!
wait "$ra" "$rb"
check "alice's print all: 202 with three releases" [ "$(cat "$tmp/release-a")" = "202 3" ]
check "bob's print all: 202 with three releases" [ "$(cat "$tmp/release-b")" = "202 3" ]
check "alice's jobs settle (within 60 s)" within 60 settled "$alice" "${ids_a[@]}"
check "bob's jobs settle (within 60 s)" within 60 settled "$bob" "${ids_b[@]}"
check "alice's three printed, none failed" all_printed "$alice" "${ids_a[@]}"
check "bob's three printed, none failed" all_printed "$bob" "${ids_b[@]}"
check "the printer finished six more jobs (within 5 s)" \
  within 5 ok '[ "$(finished_at_printer)" -ge $((before + 6)) ]'
docs=$(printed_docs)
for n in "${names_a[@]}" "${names_b[@]}"; do
  check "$n printed exactly once, byte-identical" [ "$(count_word "$n" "$docs")" = 1 ]
done
in_order() { # NAME...: the names appear in this order among what was printed
  local pattern
  pattern=$(printf '%s\n' "$@" | paste -sd' ')
  [ "$(tr ' ' '\n' <<<"$docs" | grep -xF -f <(printf '%s\n' "$@") | paste -sd' ')" = "$pattern" ]
}
check "alice's jobs in her submission order" in_order "${names_a[@]}"
check "bob's jobs in his submission order" in_order "${names_b[@]}"
check "nothing unknown reached the printer" [ "$(count_word unknown "$docs")" = 0 ]

# 2b. SIGTERM to the scout while four releases wait for a busy printer
check "another client's job keeps the printer busy" occupy_printer stop-blocker
names_stop=(stop-1 stop-2 stop-3 stop-4)
for n in "${names_stop[@]}"; do submit "$queue_workstation" "$n"; done
login printer1 "$demo_card"
alice=$session
mapfile -t ids_stop < <(ids_of "$alice" "${names_stop[@]}")
check "four held jobs" [ "${#ids_stop[@]}" = 4 ]
log_from=$(($(wc -l <"$tmp/workstation/log") + 1))
panel POST /api/v1/panel/release '{"all":true}' "$alice"
check "print all: 202 with four releases" [ "$code" = 202 -a "$(field '.releases | length')" = 4 ]
waiting_in_line() { # the front one waits for the busy printer, the others behind it
  local log
  log=$(tail -n "+$log_from" "$tmp/workstation/log")
  grep -q "waiting for the printer" <<<"$log" &&
    [ "$(grep -c "waiting for [0-9]* jobs\? ahead" <<<"$log")" -ge 3 ]
}
check "the scout has them all waiting (within 10 s)" within 10 waiting_in_line
kill -TERM "$pid_workstation"
wait "$pid_workstation"
check "the scout stops cleanly (exit 0)" [ $? = 0 ]
held_saying_stopped() { # ID...: held again, the reason naming the stopped scout
  local id
  for id in "$@"; do
    panel GET "/api/v1/panel/jobs/$id" "" "$alice"
    [ "$(field '.state == "held" and (.reason // "" | test("scout stopped")) and .last_release.state == "failed"')" = true ] ||
      return 1
  done
}
check "all four are held again at the cloud, saying the scout stopped (within 10 s)" \
  within 10 held_saying_stopped "${ids_stop[@]}"
before=$(finished_at_printer)
rm -f "$printer/print-hold"
check "the printer finishes the other job (within 10 s)" \
  within 10 ok '[ "$(finished_at_printer)" = $((before + 1)) ]'

# 3. busy for longer than the delivery deadline, three in line: held again
# at that one deadline, saying so
deadline=7
with_deadline() { STACK_SCOUT_DELIVERY="{busy_deadline: ${deadline}s}" stack_print_scout workstation "$demo_email" >/dev/null; }
failed_before=$failed
check "alice's scout restarts with busy_deadline ${deadline}s" with_deadline
# the rest needs that scout
[ "$failed" = "$failed_before" ] || { tail -n 5 "$tmp/workstation/log"; checks_done; exit; }
rm -f "$printer/print-delay"
check "another client's job keeps the printer busy" occupy_printer blocker
names3=(alice-late-1 alice-late-2 alice-late-3)
for n in "${names3[@]}"; do submit "$queue_workstation" "$n"; done
login printer1 "$demo_card"
alice=$session
mapfile -t late < <(ids_of "$alice" "${names3[@]}")
check "three held jobs" [ "${#late[@]}" = 3 ]
jobs_seen() { # FILE ID...: appends "state<TAB>reason" of each; true once all are held again
  local file=$1 id all=0
  shift
  for id in "$@"; do
    panel GET "/api/v1/panel/jobs/$id" "" "$alice"
    field '"\(.state)\t\(.reason // "")"' >>"$file"
    [ "$(field .state)" = held ] || all=1
  done
  return $all
}
late_json=$(printf '%s\n' "${late[@]}" | jq -R . | jq -sc '{jobs: .}')
t0=$(now)
panel POST /api/v1/panel/release "$late_json" "$alice"
check "release of three accepted (202)" [ "$code" = 202 -a "$(field '.releases | length')" = 3 ]
check "all three held again within the deadline and 5 s" within $((deadline + 5)) jobs_seen "$tmp/seen-3" "${late[@]}"
t1=$(now)
check "not before the deadline (${deadline} s)" ok "awk -v a=$t0 -v b=$t1 -v d=$deadline 'BEGIN{exit !(b - a >= d)}'"
check "each with a reason that says the printer stayed busy" \
  [ "$(grep -ciE $'^held\t.*stayed busy' "$tmp/seen-3")" -ge 3 ]
check "the deadline is not overshot (the reason says ${deadline} s)" \
  grep -qE $'^held\t.*stayed busy for '"$deadline"' s' "$tmp/seen-3"
check "meanwhile they were printing, waiting" saw_waiting "$tmp/seen-3"
check "and nothing of them reached the printer" \
  [ "$(count_word alice-late-1 "$(printed_docs)")$(count_word alice-late-2 "$(printed_docs)")$(count_word alice-late-3 "$(printed_docs)")" = 000 ]
before=$(finished_at_printer)
rm -f "$printer/print-hold"
check "the printer finishes the other job (within 10 s)" \
  within 10 ok '[ "$(finished_at_printer)" = $((before + 1)) ]'
panel POST /api/v1/panel/release "$late_json" "$alice"
check "released again (202)" [ "$code" = 202 ]
check "they settle (within 30 s)" within 30 settled "$alice" "${late[@]}"
check "now they print" all_printed "$alice" "${late[@]}"
check "the printer finished them (within 10 s)" within 10 ok '[ "$(finished_at_printer)" = $((before + 4)) ]'

# after the last job, which the printer took after any repeat of an earlier
# one: each document printed exactly once
each_once() { # NAME...
  local n bad=0
  for n in "$@"; do
    [ "$(count_word "$n" "$docs")" = 1 ] || { echo "  $n printed $(count_word "$n" "$docs") times"; bad=1; }
  done
  return $bad
}
docs=$(printed_docs)
check "in all, every job printed exactly once, byte-identical" \
  each_once "${names1[@]}" outsider "${names1b[@]}" "${names_a[@]}" "${names_b[@]}" stop-blocker blocker "${names3[@]}"
check "and nothing else (20 documents)" [ "$(wc -w <<<"$docs")" = 20 ]
[ "$failed" = 0 ] || { echo "printed: $docs"; tail -n 40 "$tmp/workstation/log"; }

# 4. "print all" of 120 held jobs to the (now fast) printer: each release
# costs the scout up to four events, more than the cloud's per-scout event
# rate allows for, yet no job's outcome is lost: every one ends `printed`
# at the cloud. "All" takes 100, the oldest first, and says 20 are left.
# the four jobs held again when the scout stopped (2b) go first: "all" is
# about the flood alone
deleted=
for id in "${ids_stop[@]}"; do
  panel DELETE "/api/v1/panel/jobs/$id" "" "$alice"
  deleted+=" $code"
done
check "the four jobs left from 2b are deleted at the panel" [ "$deleted" = " 204 204 204 204" ]
flood=120
python3 "$src/tests/support/make_pdf.py" "busy printer test: flood" >"$tmp/flood.pdf"
for i in $(seq "$flood"); do
  "$bin/srctl" submit "$tmp/flood.pdf" --queue "$queue_workstation" --title "flood-$i" \
    --format application/pdf >/dev/null || echo "could not submit flood-$i"
done
cloud_count() { # STATE: flood jobs in that state at the cloud
  stack_sql "SELECT count(*) FROM jobs WHERE title LIKE 'flood-%' AND state = '$1'"
}
check "the cloud holds the $flood jobs (within 30 s)" within 30 ok '[ "$(cloud_count held)" = $flood ]'
spooled=$(find "$printer/spool" -name '*.pdf' | wc -l)
t0=$(now)
panel POST /api/v1/panel/release '{"all":true}' "$alice"
check "print all: 202, 100 releases, 20 remaining" \
  [ "$code" = 202 -a "$(field '.releases | length')" = 100 -a "$(field .remaining)" = 20 ]
check "  the oldest 100: flood-101 to flood-120 stay held" [ "$(stack_sql \
  "SELECT title FROM jobs WHERE state = 'held' AND title LIKE 'flood-%' ORDER BY title" | paste -sd,)" = \
  "$(seq -f 'flood-%g' 101 120 | LC_ALL=C sort | paste -sd,)" ]
# at once: the scout then reports on all 120 releases together
panel POST /api/v1/panel/release '{"all":true}' "$alice"
check "print all again: the other 20, none remaining" \
  [ "$code" = 202 -a "$(field '.releases | length')" = 20 -a "$(field .remaining)" = 0 ]
check "all $flood printed at the cloud (within 60 s)" within 60 ok '[ "$(cloud_count printed)" = $flood ]'
echo "  $flood jobs printed in $(awk -v a="$t0" -v b="$(now)" 'BEGIN{printf "%.1f", b - a}') s;" \
  "cloud: $(grep -o '[0-9]* events dropped[^,]*, [0-9]* outcomes' "$tmp/cloud/log" | paste -sd';')"
check "the printer got all $flood" within 10 ok \
  '[ "$(find "$printer/spool" -name "*.pdf" | wc -l)" = $((spooled + flood)) ]'
checks_done
