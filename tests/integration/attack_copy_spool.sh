#!/usr/bin/env bash
# Attack on the cloud copies' upload (PUT /api/v1/scout/jobs/{id}/copy):
# a client with no scout certificate at all sends a large body. The cloud
# must not write it to its disk: with 256 connections an address may keep
# open and copy_max_size 64 MiB each, one host could otherwise fill the
# cloud's disk with 16 GiB before being told it is not a scout. Seen from
# outside the process: the unlinked spool files it holds open (/proc), and
# how many bytes it has read (rchar), so the check follows the body's
# arrival rather than a sleep.
# usage: attack_copy_spool.sh BIN_DIR PLUGIN_DIR SOURCE_DIR
set -u
bin=$1 plugins=$2 src=$3
source "$src/tests/support/stack_test.sh" copy-spool
stack_start "$tmp" "$bin" "$plugins" || { echo "the stack did not start"; exit 1; }

# the largest unlinked file the cloud holds open (its spooled bodies)
spooled_bytes() {
  local max=0 f s
  for f in /proc/"$cloud_pid"/fd/*; do
    [[ "$(readlink "$f" 2>/dev/null)" == *"(deleted)" ]] || continue
    s=$(stat -Lc %s "$f" 2>/dev/null || echo 0)
    [ "$s" -gt "$max" ] && max=$s
  done
  echo "$max"
}
read_bytes() { awk '/^rchar/ {print $2}' "/proc/$cloud_pid/io"; }
mib=$((1024 * 1024))
sent=$((8 * mib))
port=${cloud_url##*:}

check "the cloud's process can be watched" ok '[ -r "/proc/$cloud_pid/io" ]'
before=$(read_bytes)
# 8 MiB of a 32 MiB body, no certificate; the connection stays open
{
  printf 'PUT /api/v1/scout/jobs/any/copy HTTP/1.1\r\nHost: localhost\r\n'
  printf 'Content-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n' $((32 * mib))
  head -c "$sent" /dev/zero
} | python3 "$src/tests/support/raw_http.py" localhost "$port" "$ca_file" >"$tmp/answer" 2>&1 &
client=$!
body_read() { [ $(($(read_bytes) - before)) -ge "$sent" ]; }
check "the cloud has read the 8 MiB sent" wait_until 100 body_read
spooled=$(spooled_bytes)
echo "  without a certificate: $((spooled / 1024)) KiB spooled to disk"
check "none of it went to the cloud's disk (largest spool file < 1 MiB)" [ "$spooled" -lt "$mib" ]
wait "$client"
checks_done
