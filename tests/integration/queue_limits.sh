#!/usr/bin/env bash
# One local user cannot knock over sr-print-scout's IPP queue for the others
# (issue 9): a Get-Printer-Attributes with requested-attributes repeated
# 10,000 times is answered at once; one account's documentless Create-Jobs
# hit its own cap while another account still prints, and they expire; 500
# idle connections do not stop a normal submission (over max_connections
# they get 503 at once, the others are dropped at the header timeout); a
# client sending its headers a byte at a time is dropped; an upload cut off
# before its end stores and holds nothing; paused uploads together cannot
# hold more document bytes than max_upload_memory (the one that would pass
# it gets server-error-busy, another client still prints, the memory comes
# back); a document trickled in under min_upload_rate is aborted within
# its window and held nothing, while a normal print goes on; one account
# holding its share of the connections or of the upload memory (half of
# each, the defaults) cannot stop another account's print; the scout stops
# promptly with a client still connected. The limits are shortened in the
# configuration.
# Raw clients are tests/support/queue_probe.py; accounts `nobody` and
# `daemon` run ipptool through runuser, so the test needs root.
# usage: queue_limits.sh BIN_DIR PLUGIN_DIR SOURCE_DIR
set -u
bin=$1 plugins=$2 src=$3
source "$src/tests/support/checks.sh"
source "$src/tests/support/users.sh"
users_setup "$src" limits nobody daemon
probe="python3 $src/tests/support/queue_probe.py"

header_timeout_ms=1500 expiry=4 per_user=10 upload_cap=1048576 min_rate=64 rate_window_ms=3000
SCOUT_EXTRA="queue_limits: {max_connections: 16, header_timeout_ms: $header_timeout_ms,
  body_timeout_ms: 2000, incoming_expiry: $expiry, max_jobs_per_user: $per_user,
  max_upload_memory: $upload_cap, min_upload_rate: $min_rate,
  upload_rate_window_ms: $rate_window_ms}"
# a paused upload keeps a pace above min_upload_rate (64 bytes each 0.5 s)
paced="64 0.5"
source "$src/tests/support/scout.sh"
start_scout "$bin" "$plugins" limits-test || { echo "0 passed, 1 failed"; exit 1; }
pids+=("$scout_pid")
port=${uri##*:}; port=${port%%/*}

in_log() { grep -qF "$1" "$tmp/scout.log"; }
store_files() { find "$tmp/store/jobs" -name '*.srjob' 2>/dev/null | wc -l; }
field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" <<<"$2"; }
less_than() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }
# polls COMMAND every 0.1 s for at most SECS seconds; its status is the last try's
within() {
  local end=$((SECONDS + $1)); shift
  until "$@"; do [ "$SECONDS" -lt "$end" ] || return 1; sleep 0.1; done
}
alive() { kill -0 "$scout_pid" 2>/dev/null; }
# runs COMMAND with its output discarded (inside check, so that FAIL still shows)
quiet() { "$@" >/dev/null; }

# 1. requested-attributes repeated 10,000 times ("all" and a group name cost
# libcups quadratic time; repeats are dropped before it sees them)
for value in all printer-description; do
  out=$($probe gpa "$port" 10000 "$value")
  echo "Get-Printer-Attributes, requested-attributes '$value' x10000: $out"
  check "requested-attributes '$value' x10000: successful-ok" [ "$(field status "$out")" = 0x0000 ]
  check "requested-attributes '$value' x10000: answered in < 1 s" \
    less_than "$(field seconds "$out")" 1
done
check "the queue still answers ipptool" ipptool -q -T 10 "$uri" get-printer-attributes.test

# 2. a client sending its headers a byte at a time is dropped at the header timeout
out=$($probe slow "$port" 10)
echo "slow header client: $out"
check "a slow-header client is dropped" [ "$(field closed "$out")" = 1 ]
check "... at the header timeout (${header_timeout_ms} ms, within 1 s more)" \
  less_than "$(field seconds "$out")" "$(awk -v m="$header_timeout_ms" 'BEGIN{print m/1000 + 1}')"
check "... not before it" less_than "$(awk -v m="$header_timeout_ms" 'BEGIN{print m/1000 - 0.3}')" \
  "$(field seconds "$out")"

# 3. uploads cut off before their end (Content-Length, and chunked without its
# last chunk) abort: nothing stored, nothing held. A client that stops
# sending is dropped at the body timeout (2 s) with an error; one that closes
# at once leaves nothing either.
before=$(store_files)
for how in length chunked; do
  out=$($probe truncated "$port" "$how" pause)
  echo "upload cut off ($how), client waiting: $out"
  check "cut-off upload ($how): an IPP error, not successful-ok" \
    bash -c "[ '$(field http "$out")' = 200 ] && [ '$(field status "$out")' != 0x0000 ] && [ '$(field status "$out")' != none ]"
  check "cut-off upload ($how): answered at the body timeout (< 4 s)" \
    less_than "$(field seconds "$out")" 4
  $probe truncated "$port" "$how" close >/dev/null
done
check "both paused uploads' jobs are aborted as cut off" \
  within 10 bash -c "[ \$(grep -c 'aborted: The document was cut off' '$tmp/scout.log') -ge 2 ]"
check "the queue still answers" ipptool -q -T 10 "$uri" get-printer-attributes.test
check "no job file was stored for them" [ "$(store_files)" = "$before" ]
for id in $(sed -n 's/.*job \([0-9]*\) aborted: The document was cut off.*/\1/p' "$tmp/scout.log"); do
  check "cut-off job $id is aborted (job-state 8), not held" \
    quiet as - -d job="$id" -d state=8 -d user=root "$uri" "$t/job-state.test"
done

# 4. one account's documentless Create-Jobs hit its own cap; another account
# still prints; the waiting jobs expire
ok=0 first=
for _ in $(seq "$per_user"); do
  if as nobody -d user=nobody "$uri" "$t/create-job.test" >"$tmp/c.txt"; then
    ok=$((ok + 1))
    [ -n "$first" ] || first=$(awk '/job-id \(integer\) = /{print $NF}' "$tmp/c.txt")
  fi
done
check "nobody's first $per_user Create-Jobs are accepted" [ "$ok" = "$per_user" ]
check "nobody's next Create-Job: server-error-too-many-jobs" \
  as nobody -d user=nobody "$uri" "$t/create-job-refused.test"
as daemon -f "$doc" -d claim=daemon -d title="daemon's report" "$uri" "$t/users-print.test" \
  >"$tmp/daemon.txt"
d_job=$(awk '/job-id \(integer\) = /{print $NF}' "$tmp/daemon.txt")
check "daemon can still print: its job is held" [ -n "$d_job" ]
check "nobody's waiting job $first expires (job-state 7) after ${expiry} s" \
  within $((expiry + 10)) quiet as nobody -d job="${first:-0}" -d state=7 -d user=nobody "$uri" \
  "$t/job-state.test"
check "the expiry is logged" in_log "expired without a document"
check "after the expiry nobody may create a job again" \
  within 5 quiet as nobody -d user=nobody "$uri" "$t/create-job.test"

# 5. 500 idle connections (max_connections 16): a normal submission is served
# within a bound — at once, or after a clear busy answer (503) and a retry
$probe idle "$port" 500 "$tmp/idle.ready" 20 >"$tmp/idle.txt" &
idle_pid=$!
check "500 idle connections are open" within 10 test -s "$tmp/idle.ready"
start=$SECONDS attempts=0 served=
while [ $((SECONDS - start)) -lt 15 ]; do
  attempts=$((attempts + 1))
  if ipptool -t -T 5 -f "$doc" "$uri" "$t/hold-job.test" >"$tmp/normal.txt" 2>&1; then
    served=1
    break
  fi
  # ipptool shows the queue's 503 (and the connection it closes) as "No request sent." or
  # "Unable to finish request."; anything else is a real failure
  grep -qiE 'No request sent|Unable to finish request|busy' "$tmp/normal.txt" ||
    { cat "$tmp/normal.txt"; break; }
  sleep 0.2 # back-off between retries, as a client does
done
echo "normal submission: served=${served:-0} after $attempts attempt(s), $((SECONDS - start)) s"
check "a normal submission is served within 15 s despite 500 idle connections" [ "$served" = 1 ]
wait "$idle_pid"
out=$(cat "$tmp/idle.txt")
echo "idle connections: $out"
check "every idle connection was closed by the queue within 20 s" [ "$(field closed "$out")" = 500 ]
check "those over the cap got 503 at once" less_than 0 "$(field busy "$out")"
check "the refusals are logged" in_log "refusing more"
check "the scout is still up" alive
check "the queue still answers ipptool afterwards" ipptool -q -T 10 "$uri" get-printer-attributes.test

# 6. upload memory (max_upload_memory 1 MiB): two uploads (of nobody and of
# daemon: each account's share is half the cap) paused after 400 KiB of
# their document hold 800 KiB; a third, of 16 MiB, is refused
# with server-error-busy when it would pass the cap; a normal print still
# goes through; the documents in the scout's memory files never pass the
# cap and come back once the paused uploads end. Documents are received
# into memory files (memfd), which VmRSS does not count, so the scout's
# memory is both summed: it grows by the cap and the connections' threads
# and buffers at most, not by the 16.8 MiB the uploads would have sent.
memfd_bytes() { # the sizes of the scout's open document memory files, summed
  local total=0 f
  for f in /proc/"$scout_pid"/fd/*; do
    [[ $(readlink "$f" 2>/dev/null) == /memfd:sr-document* ]] && total=$((total + $(stat -Lc %s "$f" 2>/dev/null || echo 0)))
  done
  echo "$total"
}
rss_kb() { awk '$1 == "VmRSS:" {print $2}' /proc/"$scout_pid"/status; }
at_least() { [ "$(memfd_bytes)" -ge "$1" ]; }
rss_before=$(rss_kb)
: >"$tmp/peaks"
( # samples both while the uploads run (a measurement, not a synchronisation)
  while [ ! -e "$tmp/stop" ] && alive; do echo "$(memfd_bytes) $(rss_kb)" >>"$tmp/peaks"; sleep 0.05; done
) &
sampler_pid=$!
part=409600 uploads=() uploaders=(- nobody daemon)
for i in 1 2; do
  runuser -u "${uploaders[$i]}" -- $probe upload "$port" "$part" 2000000 "$tmp/stop" 60 $paced \
    >"$tmp/upload$i.txt" &
  uploads+=($!)
  check "paused upload $i: the queue has read its $part bytes" within 10 at_least $((i * part))
done
out=$($probe upload "$port" 16777216 17000000 "$tmp/stop" 40)
echo "third upload, over the cap: $out"
check "the upload that would pass the cap gets server-error-busy (0x0507)" \
  ok "[ '$(field answered "$out")' = 1 ] && [ '$(field status "$out")' = 0x0507 ]"
check "... once the cap is reached, not before ($upload_cap - 2 x $part bytes were free)" \
  less_than $((upload_cap - 2 * part - 65536)) "$(field sent "$out")"
check "the refusal is logged" in_log "The queue is receiving too much at once"
check "a normal print from another client still succeeds" \
  quiet ipptool -t -T 10 -f "$doc" "$uri" "$t/hold-job.test"
# 6b. nobody, holding 400 KiB of its 512 KiB share, starts another 16 MiB
# document: refused when its share is full, though the queue still has room
rm -f "$tmp/stop-third"
out=$(runuser -u nobody -- $probe upload "$port" 16777216 17000000 "$tmp/stop-third" 40)
echo "nobody's second upload, over its share: $out"
check "the upload that would pass nobody's share gets server-error-busy (0x0507)" \
  ok "[ '$(field answered "$out")' = 1 ] && [ '$(field status "$out")' = 0x0507 ]"
check "... at its share ($((upload_cap / 2 - part)) bytes were left of it), not at the whole cap" \
  less_than "$(field sent "$out")" $((upload_cap / 2 - part + 65536))
check "the share refusal is logged" in_log "This user is sending too much at once"
check "daemon, another account, still prints meanwhile" \
  quiet as daemon -f "$doc" -d claim=daemon -d title="daemon's memo" "$uri" "$t/users-print.test"
check "the paused uploads are still being received (not answered)" \
  ok "[ ! -s '$tmp/upload1.txt' ] && [ ! -s '$tmp/upload2.txt' ] && kill -0 ${uploads[*]}"
touch "$tmp/stop"
wait "${uploads[@]}" "$sampler_pid"
check "once the paused uploads end, their memory comes back" within 10 ok '[ "$(memfd_bytes)" = 0 ]'
peak_memfd=$(sort -n -k1,1 "$tmp/peaks" | tail -1 | cut -d' ' -f1)
peak_rss=$(sort -n -k2,2 "$tmp/peaks" | tail -1 | cut -d' ' -f2)
peak_growth=$(awk -v before="$rss_before" '{g = $1 + ($2 - before) * 1024; if (g > m) m = g} END {print m + 0}' "$tmp/peaks")
echo "upload memory: peak ${peak_memfd} bytes in memory files (cap ${upload_cap}); VmRSS ${rss_before} kB before, peak ${peak_rss} kB; memory files and VmRSS grew by ${peak_growth} bytes at most"
check "the documents in memory never passed the cap" [ "$peak_memfd" -le "$upload_cap" ]
overhead=$((8 << 20)) # the connections' threads, libcups' buffers (ASan: its allocator)
check "the scout's memory grew by at most the cap and $overhead bytes of overhead" \
  [ "$peak_growth" -le $((upload_cap + overhead)) ]
check "the scout is still up" alive

# 7. a document trickled in (a byte every 1.5 s: each pause within the 2 s
# body timeout, but under min_upload_rate) is aborted at the end of its
# rate window, not held; a normal print meanwhile is held at once
before=$(store_files)
$probe upload "$port" 0 100000 "$tmp/stop-trickle" 30 1 1.5 >"$tmp/trickle.txt" &
trickle_pid=$!
check "a normal print while the trickle runs is held" \
  quiet ipptool -t -T 10 -f "$doc" "$uri" "$t/hold-job.test"
wait "$trickle_pid"
out=$(cat "$tmp/trickle.txt")
echo "trickled upload: $out"
check "the trickled upload is answered client-error-timeout (0x0405)" \
  ok "[ '$(field answered "$out")' = 1 ] && [ '$(field status "$out")' = 0x0405 ]"
check "... within its rate window and one pause (${rate_window_ms} + 2000 ms, 1 s more)" \
  less_than "$(field seconds "$out")" "$(awk -v w="$rate_window_ms" 'BEGIN{print w/1000 + 3}')"
check "... not before the window ended" \
  less_than "$(awk -v w="$rate_window_ms" 'BEGIN{print w/1000 - 0.3}')" "$(field seconds "$out")"
check "the abort is logged with its reason" in_log "came slower than $min_rate bytes a second"
check "the trickled job stored nothing (only the normal print's file is new)" \
  [ "$(store_files)" = $((before + 1)) ]

# 8. connections (max_connections 16, so 8 for each account): nobody opens
# 20 uploads that keep a pace (each holds its connection); 8 are served, 12
# get 503, and daemon's print is served at once (without the share nobody
# would hold all 16)
rm -f "$tmp/stop-conns"
conns=()
for i in $(seq 20); do
  runuser -u nobody -- $probe upload "$port" 0 2000000 "$tmp/stop-conns" 30 $paced \
    >"$tmp/conn$i.txt" &
  conns+=($!)
done
refused() { grep -l 'http=503' "$tmp"/conn*.txt 2>/dev/null | wc -l; }
receiving() { ss -tnH state established "( sport = :$port )" | wc -l; }
check "12 of nobody's 20 connections are answered 503" within 10 ok '[ "$(refused)" = 12 ]'
check "... and 8 are being received" within 5 ok '[ "$(receiving)" = 8 ]'
check "the share refusal is logged" in_log "the account nobody has 8 connections open, its share"
check "daemon prints at once while nobody holds its share" \
  quiet as daemon -f "$doc" -d claim=daemon -d title="daemon's letter" "$uri" "$t/users-print.test"
check "nobody's 8 uploads are still being received afterwards" ok '[ "$(receiving)" = 8 ]'
touch "$tmp/stop-conns"
wait "${conns[@]}"
check "the scout is still up" alive

# 9. stopping with a client still connected: its thread is joined, promptly
$probe slow "$port" 10 >/dev/null &
slow_pid=$!
established() { [ -n "$(ss -tnH state established "( sport = :$port )")" ]; }
check "a slow client is connected" within 5 established
stop_start=$SECONDS
kill "$scout_pid"; wait "$scout_pid"
status=$?
pids=()
check "the scout stops cleanly with a client connected" [ "$status" = 0 ]
check "... within 3 s" [ $((SECONDS - stop_start)) -le 3 ]
wait "$slow_pid"
checks_done
