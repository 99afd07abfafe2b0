#!/usr/bin/env bash
# TLS session resumption at the cloud's API (core/http_server.c) and by the
# print scout (core/cloud_client.c), what keeps a workstation's traffic low
# (bench/bandwidth): a client with a certificate gets one small ticket (an
# id, not a self-contained ticket carrying its certificate); coming back with
# it, the session is resumed and the cloud still knows the scout by its
# certificate; the print scout's next job, on a new connection after the
# cloud closed the idle one, resumes its session and so sends fewer bytes
# than the first (neither its certificate chain again nor a ticket as large).
# usage: tls_resumption.sh BIN_DIR PLUGIN_DIR SOURCE_DIR
set -u
bin=$1 plugins=$2 src=$3
source "$src/tests/support/stack_test.sh" tlsresume
# idle connections closed after a second, so that each job opens a new one
export STACK_API_LIMITS="{idle_timeout: 1s}"
meter_pid=
cleanup_more() { [ -z "$meter_pid" ] || { kill "$meter_pid" 2>/dev/null; wait "$meter_pid" 2>/dev/null; }; }

stack_start "$tmp" "$bin" "$plugins" || { echo "the stack did not start"; exit 1; }
cloud_port=${cloud_url##*:}
scout=$tmp/workstation

# the scout's own certificate, as the print scout presents it
connect() { # SESSION_IN|-: prints the handshake's messages and the answer's status line
  local args=(-connect "127.0.0.1:$cloud_port" -servername localhost -CAfile "$ca_file" -cert "$scout/scout.crt"
    -cert_chain "$scout/scout.crt" -key "$scout/scout.key" -sess_out "$tmp/session.new" -msg -ign_eof)
  [ "$1" = - ] || args+=(-sess_in "$1")
  # no such job: a scout the cloud knows gets 404, an unknown client 401 or 403
  printf 'DELETE /api/v1/scout/jobs/00000000000000000000000000000000 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' |
    timeout 10 openssl s_client "${args[@]}" 2>&1
}
first=$(connect -)
cp "$tmp/session.new" "$tmp/session"
check "a new session is a full handshake" grep -q "^New, TLSv1.3" <<<"$first"
check "the scout's certificate is accepted (404 for an unknown job)" grep -q "^HTTP/1.1 404" <<<"$first"
tickets=$(sed -n 's/.*length \([0-9a-f]*\)\], NewSessionTicket.*/\1/p' <<<"$first")
check "one ticket" [ "$(wc -w <<<"$tickets")" = 1 ]
small() { for t in $tickets; do [ "$((16#$t))" -lt 256 ] || return 1; done; [ -n "$tickets" ]; }
check "the ticket is an id, not the session with the certificate (< 256 bytes: 0x$tickets)" small
second=$(connect "$tmp/session")
check "coming back with it resumes the session" grep -q "^Reused, TLSv1.3" <<<"$second"
check "a resumed session still identifies the scout (404, not 401/403)" grep -q "^HTTP/1.1 404" <<<"$second"

# The print scout itself: its bytes to the cloud for a job on a new connection.
echo "$pid_workstation" >"$tmp/scout.pid"
mkfifo "$tmp/meter.in" "$tmp/meter.out"
python3 "$src/bench/socket_bytes.py" "$tmp/scout.pid" "$cloud_port" <"$tmp/meter.in" >"$tmp/meter.out" &
meter_pid=$!
exec 7>"$tmp/meter.in" 8<"$tmp/meter.out"
read -r -u 8 ready
check "the meter started" [ "$ready" = ready ]
ask() { echo "$1" >&7 && read -r -u 8 answer && echo "$answer"; }
sent() { ask total | awk '{split($2, f, ":"); print f[2]}'; }
closed() { ask open | grep -q ":0$"; }
jobs_held() { stack_srctl jobs --json 2>/dev/null | jq '[.jobs[] | select(.state == "held")] | length'; }
held_count() { [ "$(jobs_held)" = "$1" ]; }
submit() { # N: submits a job and waits until the cloud has it, then until the connection closed
  ipptool -q -T 10 -f "$src/tests/data/three-pages.pdf" "$queue_workstation" "$src/tests/data/ipp/hold-job.test"
  wait_until 100 held_count "$1" && wait_until 100 closed
}
check "no connection of the scout's to the cloud yet" wait_until 100 closed
a=$(sent)
check "first job announced" submit 1
b=$(sent)
check "second job announced, on a new connection" submit 2
c=$(sent)
chain=$(openssl crl2pkcs7 -nocrl -certfile "$scout/scout.crt" -outform DER | wc -c)
echo "the scout sent $((b - a)) bytes for the first job, $((c - b)) for the second; its chain is ~$chain bytes"
check "the second resumed the session with a small ticket: fewer bytes than a certificate chain" \
  [ $((c - b)) -le $((b - a - chain / 2)) ]
checks_done
