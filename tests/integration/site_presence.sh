#!/usr/bin/env bash
# The site service shows as online while it runs: it has no MQTT presence,
# so it calls the cloud's heartbeat every site_heartbeat (2 s here) and the
# scout listing counts it online while its last call is at most 2.5
# heartbeats old (5 s here). Killed with SIGKILL (no goodbye), it is listed
# offline within that window (+1 s) of its last call; started again, online.
# usage: site_presence.sh BIN_DIR PLUGIN_DIR SOURCE_DIR
set -u
bin=$1 plugins=$2 src=$3
source "$src/tests/support/stack_test.sh" presence
export STACK_SITE_HEARTBEAT=2s
window=5 # 2.5 heartbeats of 2 s: the documented bound

stack_start "$tmp" "$bin" "$plugins" || { echo "the stack did not start"; exit 1; }

site_row() { # the site's row of the listing (JSON), or nothing
  stack_srctl scout list --json | jq -c '.scouts[] | select(.kind == "site")'
}
wait_site() { # 0|1 SECONDS: until the site is listed offline / online
  local deadline=$((SECONDS + $2))
  while [ "$SECONDS" -le "$deadline" ]; do
    row=$(site_row)
    [ "$(echo "$row" | jq -r .online)" = "$1" ] && return 0
    sleep 0.1
  done
  echo "  the site was not listed online=$1 within $2 s; last: $row"
  return 1
}
epoch() { date -u -d "$1" +%s 2>/dev/null || echo 0; } # RFC 3339 -> Unix time

# Running: online, with the time of its last call.
check "a running site service is listed online" wait_site 1 10
first_seen=$(epoch "$(echo "$row" | jq -r .last_seen)")
check "the listing says when the site last called (RFC 3339)" \
  ok '[ "$first_seen" -gt 0 ] && [ $((first_seen - $(date +%s))) -le 1 ]'
check "srctl scout list prints the site online" \
  ok 'stack_srctl scout list | grep "kind=site" | grep -q "online=1"'

# Still online a whole window later: the heartbeats go on (last_seen moves
# past the first call plus the window), not just the call at start.
kept_online() {
  local deadline=$((SECONDS + 3 * window))
  while [ "$SECONDS" -le "$deadline" ]; do
    row=$(site_row)
    local seen
    seen=$(epoch "$(echo "$row" | jq -r .last_seen)")
    if [ "$seen" -gt $((first_seen + window)) ]; then
      [ "$(echo "$row" | jq -r .online)" = 1 ] && return 0
      echo "  heartbeats came but the site is listed offline: $row"
      return 1
    fi
    sleep 0.2
  done
  echo "  no heartbeat after the first within $((3 * window)) s; last: $row"
  return 1
}
check "heartbeats keep the site online past one window" kept_online

# Killed without a word: offline within the window (+1 s) of its last call,
# which came before the kill; 2 s more for the listing calls themselves.
kill -9 "$site_pid"
wait "$site_pid" 2>/dev/null
killed_at=$(date +%s.%N)
check "a killed site service is listed offline" wait_site 0 $((window + 10))
offline_after=$(echo "$(date +%s.%N) - $killed_at" | bc)
echo "  listed offline ${offline_after} s after SIGKILL (bound: ${window} s + 1 s)"
check "within the documented bound" ok "[ \$(echo \"$offline_after <= $window + 1 + 2\" | bc) = 1 ]"
check "srctl scout list prints the site offline" \
  ok 'stack_srctl scout list | grep "kind=site" | grep -q "online=0"'

# Started again (same certificate): online again at its first heartbeat.
stack_site >/dev/null || echo "the site service did not start again"
check "a restarted site service is listed online again" wait_site 1 10

checks_done
