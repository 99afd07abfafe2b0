#!/usr/bin/env bash
# Clients asking sr-print-scout's queue about the printer at the same time
# (issue 9): six connections, each sending forty Get-Printer-Attributes (all
# attributes, media-col-database and the other collections included) one
# after another. Every answer comes, and each is whole: as long as its
# Content-Length and one IPP message exactly. (Responses that shared the
# queue's collections were once written interleaved on two threads: one came
# out short, and its client, ipptool in the stock suites, waited in vain.)
# The raw client is tests/support/queue_probe.py.
# usage: concurrent_queries.sh BIN_DIR PLUGIN_DIR SOURCE_DIR
set -u
bin=$1 plugins=$2 src=$3
source "$src/tests/support/checks.sh"
tmp=$(mktemp -d /tmp/sr-test-queries-XXXXXX)
scout_pid=
trap '[ -n "$scout_pid" ] && kill "$scout_pid" 2>/dev/null && wait "$scout_pid"; rm -rf "$tmp"' EXIT
source "$src/tests/support/scout.sh"
start_scout "$bin" "$plugins" concurrent-queries || { echo "0 passed, 1 failed"; exit 1; }
port=${uri##*:}; port=${port%%/*}

clients=6 each=40
result=$(python3 "$src/tests/support/queue_probe.py" together "$port" "$clients" "$each")
echo "$result"
check "every question answered ($((clients * each)))" \
  grep -q "answers=$((clients * each)) " <<<"$result"
check "every answer whole" grep -q "whole=$((clients * each)) " <<<"$result"
check "the scout is still running" kill -0 "$scout_pid"
kill "$scout_pid"
check "the scout stops cleanly" wait "$scout_pid"
scout_pid=
# the scout's own account of a failure (a sanitizer's report goes there too)
[ "$failed" = 0 ] || tail -n 60 "$tmp/scout.log"
checks_done
