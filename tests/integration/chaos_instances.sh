#!/usr/bin/env bash
# Chaos on the scaled-out cloud (issue 15, docs/scaling.md): two sr-cloud
# instances over one PostgreSQL and one broker, behind HAProxy (TLS passed
# through). In each round a user has held jobs, each a document of its own,
# and releases them all at once from three streams of panel calls; a third
# of the way through something fails:
# 1. one cloud instance is killed (SIGKILL): the events the broker had
#    handed it are lost with it, and so are the calls it was answering;
# 2. the broker restarts: every connection and message in flight is lost;
# 3. PostgreSQL restarts: every instance's connection is ended.
# Then every job must settle (printed, or held again after a failure: none
# left releasing or printing), the held ones are released again as the user
# would, and in the end every job is printed, and every document reached
# the printer exactly once.
# 4. A print scout killed while it sends a large document: the job is held
#    again at the cloud once the scout is back (not printing for 15 minutes,
#    not printed), and prints once when released again.
# 5. A scout's registration (a mailed code) begun at one instance goes on at
#    the other: a wrong code there, the first instance killed, the right
#    code there too. Between steps it is in the database, sealed.
# usage: chaos_instances.sh BIN_DIR PLUGIN_DIR SOURCE_DIR
set -u
bin=$1 plugins=$2 src=$3
export STACK_DATABASE=postgresql STACK_CLOUDS=2
unset SR_TEST_PG # a cluster of its own: it restarts PostgreSQL
source "$src/tests/support/stack_test.sh" chaos
source "$src/tests/support/panel.sh"
cleanup_more() { [ -n "${smtp_pid:-}" ] && kill "$smtp_pid" 2>/dev/null && wait "$smtp_pid" 2>/dev/null; }
# an SMTP sink for the registration's mailed code (tests/support/smtp.sh)
source "$src/tests/support/smtp.sh"
stack_pki "$tmp/pki"
smtp_sink_start
export STACK_CLOUD_IDP="idp:
  - plugin: email
    config: {smtp_url: \"smtp://localhost:$smtp_port\", ca_file: \"$tmp/pki/root.crt\", from: print@example.com, code_ttl: 600, attempts: 3}"

stack_start "$tmp" "$bin" "$plugins" || { echo "the stack did not start"; echo "0 passed, 1 failed"; exit 1; }

mkdir -p "$tmp/docs"
doc() { echo "$tmp/docs/$1.pdf"; }
submit() { # NAME: a held job of the workstation titled NAME whose document says NAME
  python3 "$src/tests/support/make_pdf.py" "chaos test: $1" >"$(doc "$1")"
  "$bin/srctl" submit "$(doc "$1")" --queue "$queue_workstation" --title "$1" --format application/pdf \
    >/dev/null || echo "  could not submit $1"
}
# The jobs listed at the panel whose titles begin with PREFIX, one id a line.
ids_of() { # PREFIX
  panel GET "/api/v1/panel/jobs?limit=200" "" "$alice"
  echo "$body" | jq -r --arg p "$1" '.jobs[] | select(.title | startswith($p)) | .id'
}
count_ids() { [ "$(ids_of "$1" | wc -l)" = "$2" ]; } # PREFIX N
state_of() { panel GET "/api/v1/panel/jobs/$1" "" "$alice"; field .state; }
# true once no job of $ids is releasing or printing
settled() {
  local id
  for id in "${ids[@]}"; do
    case $(state_of "$id") in printed | held) ;; *) return 1 ;; esac
  done
}
# Which documents reached the printer, a name a line (by content: md5)
printed_names() {
  declare -A name_of
  local h f
  while read -r h f; do name_of[$h]=$(basename "$f" .pdf); done < <(md5sum "$tmp/docs"/*.pdf)
  find "$spool_dir" -name '*.pdf' -exec md5sum {} + | while read -r h f; do
    echo "${name_of[$h]:-unknown}"
  done
}
answered() { [ "$(wc -l <"$tmp/$1.answers")" -ge "$2" ]; } # ROUND N

login printer1 "$demo_card"
alice=$session
check "two cloud instances run behind HAProxy" ok '[ "${#cloud_pids[@]}" = 2 ] && kill -0 "$haproxy_pid"'
for p in "${cloud_ports[@]}"; do
  check "the instance on port $p answers, and is on the broker" \
    ok "curl -sf --cacert '$ca_file' https://localhost:$p/api/v1/health | grep -q '\"broker\":true'"
done
check "the site reaches the cloud through HAProxy: a panel login" [ -n "$alice" ]

# One round: NAME, N jobs, DISRUPT (a function) after a third are answered.
round() {
  local name=$1 n=$2 disrupt=$3 i s attempt held id
  for i in $(seq "$n"); do submit "$name-$i"; done
  wait_until 300 count_ids "$name-" "$n"
  check "$name: $n jobs held" [ $? = 0 ]
  mapfile -t ids < <(ids_of "$name-")
  : >"$tmp/$name.answers"
  local streams=()
  for s in 0 1 2; do
    (
      for ((i = s; i < n; i += 3)); do
        panel POST /api/v1/panel/release "{\"jobs\":[\"${ids[i]}\"]}" "$alice"
        echo "$code $(field '.releases[0].state')" >>"$tmp/$name.answers"
      done
    ) &
    streams+=($!)
  done
  wait_until 300 answered "$name" $((n / 3))
  "$disrupt"
  for s in "${streams[@]}"; do wait "$s"; done
  echo "  $name: the $n release calls answered: $(cut -d' ' -f1 "$tmp/$name.answers" | sort | uniq -c | paste -sd, -)"
  # as the user would: what is held again is released again
  for attempt in 1 2 3; do
    wait_until 900 settled
    check "$name: every job settles (printed, or held again), try $attempt" [ $? = 0 ]
    held=()
    for id in "${ids[@]}"; do [ "$(state_of "$id")" = held ] && held+=("$id"); done
    [ "${#held[@]}" = 0 ] && break
    state_of "${held[0]}" >/dev/null
    echo "  $name: ${#held[@]} held again (the first: $(field .reason)); released again"
    for id in "${held[@]}"; do panel POST /api/v1/panel/release "{\"jobs\":[\"$id\"]}" "$alice"; done
  done
  local not_printed=0
  for id in "${ids[@]}"; do [ "$(state_of "$id")" = printed ] || not_printed=$((not_printed + 1)); done
  check "$name: all $n jobs printed" [ "$not_printed" = 0 ]
  printed_names | grep "^$name-" | sort >"$tmp/$name.printed"
  check "$name: each of the $n documents reached the printer exactly once" \
    ok "[ \"\$(sort -u '$tmp/$name.printed' | wc -l)\" = $n ] && [ \"\$(wc -l <'$tmp/$name.printed')\" = $n ]"
  [ "$failed" = 0 ] || uniq -c "$tmp/$name.printed" | awk '$1 != 1' | head
}

# 1. SIGKILL the instance that carries more of HAProxy's connections (the
# site's calls): its calls in flight and the events it had are lost
killed=
kill_instance() {
  local i most=-1 k=0 c
  for i in "${!cloud_ports[@]}"; do
    c=$(ss -tnH state established "( dport = :${cloud_ports[i]} )" | wc -l)
    [ "$c" -gt "$most" ] && most=$c && k=$i
  done
  killed=$k
  kill -KILL "${cloud_pids[k]}"
  wait "${cloud_pids[k]}" 2>/dev/null
  echo "  killed the instance on port ${cloud_ports[k]} ($most connections from HAProxy)"
}
round kill 15 kill_instance
survivor=$((1 - killed))
survivor_log=$tmp/cloud/log$([ "$survivor" = 0 ] || echo -2)
check "the surviving instance saw the other die and asked the scouts again" \
  grep -q "cloud instance sr-cloud-[0-9a-f]* died: asking the scouts again" "$survivor_log"

# the killed instance comes back (same port): HAProxy's check takes it in
suffix=$([ "$killed" = 0 ] || echo -2)
stack_spawn "cloud$suffix" "$tmp/cloud/log$suffix" "$bin/sr-cloud" --config "$tmp/cloud/cloud$suffix.run.yaml" \
  >"$tmp/cloud/out$suffix" 2>>"$tmp/cloud/log$suffix"
cloud_pids[killed]=$stack_last_pid
healthy() { curl -sf --cacert "$ca_file" "https://localhost:${cloud_ports[killed]}/api/v1/health" | grep -q '"broker":true'; }
wait_until 200 healthy
check "the killed instance is started again and serves" [ $? = 0 ]

# 2. the broker restarts mid-burst
restart_broker() { stack_broker_restart && echo "  the broker restarted"; }
round broker 15 restart_broker

# 3. PostgreSQL restarts mid-burst
restart_database() { pg_restart && echo "  PostgreSQL restarted"; }
round database 15 restart_database
for i in "${!cloud_pids[@]}"; do
  check "instance $((i + 1)) is still running" kill -0 "${cloud_pids[i]}"
done

# 4. the workstation's scout killed while it sends a 12 MB document to a
# slow RAW printer (about 320 KB/s: the scout is still sending when it dies)
mkdir -p "$tmp/sink"
touch "$tmp/sink-slow"
stack_spawn slow_sink "$tmp/sink.log" python3 "$src/tests/support/slow_sink.py" "$tmp/sink" "$tmp/sink-slow" \
  >"$tmp/sink.out" 2>"$tmp/sink.log"
sink_port=$(stack_wait_line "$tmp/sink.out" port)
stack_srctl device add slowraw --name "Slow RAW printer" --uri "socket://127.0.0.1:$sink_port" >/dev/null
python3 "$src/tests/support/make_pdf.py" --document "$src/README.md" 12000000 >"$tmp/large.pdf"
"$bin/srctl" submit "$tmp/large.pdf" --queue "$queue_workstation" --title "large-1" --format application/pdf \
  >/dev/null || echo "  could not submit the large document"
wait_until 300 count_ids "large-" 1
large=$(ids_of "large-")
login slowraw "$demo_card"
at_sink=$session
received() { cat "$tmp/sink"/job-1.prn* 2>/dev/null | wc -c; }
panel POST /api/v1/panel/release "{\"jobs\":[\"$large\"]}" "$at_sink"
check "the large job is released to the slow printer" [ "$(field '.releases[0].state')" = releasing ]
sending() { [ "$(received)" -ge 262144 ]; }
wait_until 300 sending
check "the printer receives the document" [ $? = 0 ]
kill -KILL "$pid_workstation"
wait "$pid_workstation" 2>/dev/null
rm -f "$tmp/sink-slow" # what the kernel had buffered drains at once
cut_short() { [ -f "$tmp/sink/job-1.prn" ]; }
wait_until 300 cut_short
check "the scout died mid-document: the printer got $(received) of $(stat -c %s "$tmp/large.pdf") bytes" \
  ok "[ $(received) -lt $(stat -c %s "$tmp/large.pdf") ]"
check "meanwhile the job is printing at the cloud (its scout said so, and is away)" \
  [ "$(state_of "$large")" = printing ]
stack_print_scout workstation "$demo_email" >/dev/null || echo "  the scout did not start again"
back=$SECONDS
held_again() { [ "$(state_of "$large")" = held ]; }
wait_until 300 held_again
check "once its scout is back, the job is held again (in $((SECONDS - back)) s), not left printing" [ $? = 0 ]
state_of "$large" >/dev/null
check "with a reason that says to release it again" ok "field .reason | grep -q 'release the job again'"
panel POST /api/v1/panel/release "{\"jobs\":[\"$large\"]}" "$at_sink"
printed_large() { [ "$(state_of "$large")" = printed ]; }
wait_until 600 printed_large
check "released again, it is printed" [ $? = 0 ]
check "the printer has the whole document once, after the cut copy" \
  ok "[ \"\$(ls '$tmp/sink' | wc -l)\" = 2 ] && cmp -s '$tmp/large.pdf' '$tmp/sink/job-2.prn'"

# 5. a registration across instances
token=$(stack_srctl scout enroll --kind print --name reg-pc --json | jq -r .enrollment_token)
mkdir -p "$tmp/reg-pc"
sed -e "s|$tmp/workstation/store|$tmp/reg-pc/store|" -e "s|scout.crt|../reg-pc/scout.crt|g" \
  -e "s|scout.key|../reg-pc/scout.key|g" "$tmp/workstation/scout.yaml" >"$tmp/reg-pc/scout.yaml"
"$bin/sr-print-scout" enroll --config "$tmp/reg-pc/scout.yaml" --token "$token" >/dev/null
post_to() { # INSTANCE(0|1) PATH BODY -> $code $body, as the scout reg-pc, to that instance itself
  code=$(curl -sS --cacert "$ca_file" --cert "$tmp/reg-pc/scout.crt" --key "$tmp/reg-pc/scout.key" \
    -o "$tmp/reg-resp" -w '%{http_code}' -H 'Content-Type: application/json' --data-binary "$3" \
    "https://localhost:${cloud_ports[$1]}$2" 2>/dev/null) || code=000
  body=$(cat "$tmp/reg-resp" 2>/dev/null)
}
mail_code() { # the code in the newest mail to $1
  grep -rl "To: <$1>" "$tmp/mail/box/new" 2>/dev/null | xargs -r ls -t | head -1 |
    xargs -r grep -o 'is: [0-9]\{6\}' | cut -d' ' -f2
}
post_to 0 /api/v1/scout/register '{"email":"rosa@example.com"}'
reg=$(field .registration)
check "a registration begins at the first instance (202)" ok "[ '$code' = 202 ] && [ -n '$reg' ]"
mailed() { [ -n "$(mail_code rosa@example.com)" ]; }
wait_until 100 mailed
mailed_code=$(mail_code rosa@example.com)
check "its code is mailed" [ -n "$mailed_code" ]
saved=$(stack_sql "SELECT saved FROM registrations WHERE id = '$reg'")
check "between steps it is in the database, sealed: neither the code nor the address in clear" \
  ok "[[ '$saved' == sealed:v1:* ]] && [[ '$saved' != *'$mailed_code'* ]] && [[ '$saved' != *rosa* ]]"
wrong=$(printf '%06d' $(((10#$mailed_code + 1) % 1000000)))
post_to 1 /api/v1/scout/register/complete "{\"registration\":\"$reg\",\"code\":\"$wrong\"}"
check "a wrong code at the other instance: refused, with the tries left (2)" \
  ok "[ '$code' = 401 ] && field .error.message | grep -q '2 tries left'"
kill -KILL "${cloud_pids[0]}"
wait "${cloud_pids[0]}" 2>/dev/null
post_to 1 /api/v1/scout/register/complete \
  "{\"registration\":\"$reg\",\"code\":\"$mailed_code\",\"pin_hash\":\"$(printf '%064d' 7)\"}"
check "with the first instance killed, the right code at the other registers the scout" \
  ok "[ '$code' = 200 ] && [ \"\$(field .user.email)\" = rosa@example.com ]"
check "and the registration is gone from the database" \
  [ "$(stack_sql "SELECT count(*) FROM registrations WHERE id = '$reg'")" = 0 ]
post_to 1 /api/v1/scout/register/complete "{\"registration\":\"$reg\",\"code\":\"$mailed_code\"}"
check "its code cannot be used again (404)" [ "$code" = 404 ]

checks_done
