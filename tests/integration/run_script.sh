#!/usr/bin/env bash
# scripts/run.sh, the main job, as a person runs it: --smoke passes and
# exits 0; the stack's state file names what a person needs (srctl works
# from it); Ctrl-C (SIGINT) ends every process the stack started, also when
# one of them is stopped (SIGSTOP); a service that dies ends run.sh, which
# names it and stops the rest. "Every process" is checked by session:
# run.sh runs in a session of its own, and nothing of that session may be
# left once it has exited. Uses the binaries of BUILD_DIR (no build), its own
# state directory and ports, so it runs beside the other tests.
# usage: run_script.sh BUILD_DIR SOURCE_DIR
set -u
build=$1 src=$2
tmp=$(mktemp -d /tmp/sr-test-run-XXXXXX)
source "$src/tests/support/checks.sh"
export SR_BUILD_DIR=$build

# Whatever a failed check left behind: every process of the sessions this
# test started (each is run.sh's, and only run.sh's).
sessions=()
cleanup() {
  local sid pid
  for sid in "${sessions[@]}"; do
    for pid in $(ps -o pid= -s "$sid"); do kill -CONT "$pid" 2>/dev/null; kill -KILL "$pid" 2>/dev/null; done
  done
  [ -n "${KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT

# start_run NAME [ARGS...]: runs scripts/run.sh ARGS with state in
# $tmp/NAME, output in $tmp/NAME.out, in a new session whose id is
# $run_pid. SIGINT is reset to its default first: a script's background
# command starts with SIGINT ignored, and run.sh could not trap it then.
start_run() {
  local name=$1
  shift
  mkdir -p "$tmp/$name"
  SR_RUN_DIR=$tmp/$name SR_QUEUE_PORT=$(python3 "$src/scripts/lib/free_port.py" $$) \
    python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.setsid()
os.execvp(sys.argv[1], sys.argv[1:])' "$src/scripts/run.sh" "$@" >"$tmp/$name.out" 2>&1 &
  run_pid=$!
  sessions+=("$run_pid")
}

# Waits (at most 120 s) for run.sh to exit; sets $run_status.
wait_run() {
  for _ in $(seq 1200); do kill -0 "$run_pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$run_pid" 2>/dev/null; then
    echo "run.sh did not exit"
    run_status=timeout
    return 1
  fi
  wait "$run_pid"
  run_status=$?
}

# The processes of session SID still there (none once the stack is down).
session_left() { ps -o pid=,stat=,args= -s "$1"; }
session_empty() {
  local left
  left=$(session_left "$1")
  [ -z "$left" ] || { echo "left in session $1:"; echo "$left"; return 1; }
}

# --- --smoke: one round, exit 0, nothing left
start_run smoke --smoke
smoke_sid=$run_pid
wait_run
check "--smoke exits 0 (exited: $run_status)" ok '[ "$run_status" = 0 ]'
check "--smoke says the test passed" grep -qx "smoke test passed" "$tmp/smoke.out"
check "nothing of --smoke's stack is left" session_empty "$smoke_sid"
[ "$failed" = 0 ] || cat "$tmp/smoke.out"

# run_until_ready NAME: starts run.sh and waits (at most 120 s) for its
# stack.json, written once every service is ready.
run_until_ready() {
  start_run "$1"
  for _ in $(seq 1200); do
    [ -s "$tmp/$1/stack.json" ] && return 0
    kill -0 "$run_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "no stack.json from run.sh:"
  cat "$tmp/$1.out"
  return 1
}

# A service's process: alive, and in run.sh's session.
in_session() { # PID SID
  [ "$(ps -o sid= -p "$1" | tr -d ' ')" = "$2" ]
}

# --- run until Ctrl-C
if check "run.sh writes stack.json" run_until_ready interactive; then
  json=$tmp/interactive/stack.json
  check "stack.json names the administrator's token, the site secret and the tenant" \
    ok '[ -s "$(jq -r .admin_token_file "$json")" ] && [ -s "$(jq -r .site_secret_file "$json")" ] && [ "$(jq -r .tenant "$json")" = demo ]'
  check "stack.json names the site service as a deliverer after the workstation" \
    ok '[ "$(jq -c .deliverers.document_handling "$json")" = "[\"origin\",\"site\"]" ] && [ "$(jq ".deliverers.site | length" "$json")" = 1 ]'
  check "stack.json names eight services, each with its log" \
    ok '[ "$(jq "[.services[] | select(.pid > 0 and (.log | length) > 0)] | length" "$json")" = 8 ]'
  # the demo printer's release page: in stack.json, and printed with its
  # QR code after it, which zbarimg reads once the terminal's half blocks
  # are drawn as pixels (a full block is two light modules)
  terminal_qr() { # FILE: what zbarimg reads from the block lines in it
    python3 - "$1" >"$tmp/terminal-qr.pgm" <<'PY'
import sys
rows = []
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.rstrip("\n")
    if line and set(line) <= set("\u2588\u2580\u2584 "):
        top = {"\u2588": 1, "\u2580": 1, "\u2584": 0, " ": 0}
        bottom = {"\u2588": 1, "\u2580": 0, "\u2584": 1, " ": 0}
        rows += [[top[c] for c in line], [bottom[c] for c in line]]
scale, width = 8, max(len(r) for r in rows) + 8
out = sys.stdout.buffer
out.write(b"P5 %d %d 255\n" % (width * scale, (len(rows) + 8) * scale))
for r in [[1] * width] * 4 + [[1] * 4 + r + [1] * (width - 4 - len(r)) for r in rows] + [[1] * width] * 4:
    line = bytes(255 if v else 0 for v in r for _ in range(scale))
    for _ in range(scale):
        out.write(line)
PY
    zbarimg -q --raw "$tmp/terminal-qr.pgm" 2>/dev/null
  }
  page=$(jq -r .release_page "$json")
  check "stack.json's release_page is printer1's page on the site service ($page)" \
    ok '[[ "$page" == "https://127.0.0.1:"*"/r/printer1" ]]'
  printed() { grep -qF "Release page of printer1" "$tmp/interactive.out" && [ "$(grep -c "█" "$tmp/interactive.out")" -gt 10 ]; }
  check "run.sh prints the release page and a QR code" wait_until 100 printed
  check "the printed URL is release_page" grep -qF -- "$page" "$tmp/interactive.out"
  check "the printed QR code reads as release_page" ok '[ "$(terminal_qr "$tmp/interactive.out")" = "$page" ]'
  # the web console: its URL in stack.json, a one-time link for the demo
  # administrator on the terminal that signs a browser in (once)
  console=$(jq -r .console "$json")
  check "stack.json's console is the cloud's /console/ ($console)" \
    ok '[ "$console" = "$(jq -r .cloud_api "$json")/console/" ]'
  link=$(grep -oE 'https://[^ ]+/console/link#[A-Za-z0-9_-]+' "$tmp/interactive.out" | head -1)
  redeem() {
    curl -s -o /dev/null -w '%{http_code}' --cacert "$(jq -r .ca_file "$json")" \
      -H "Origin: ${console%/console/}" -H 'Content-Type: application/json' \
      -d "{\"token\": \"${link#*#}\"}" "${console%/console/}/api/v1/sign-in-links/redeem"
  }
  check "run.sh prints a sign-in link to the console that signs in once" \
    ok '[ -n "$link" ] && [ "$(redeem)" = 200 ] && [ "$(redeem)" = 401 ]'
  check "run.sh prints printer1's kiosk address and the command to enroll it" \
    ok 'grep -qF -- "${page%/r/printer1}/panel/printer1" "$tmp/interactive.out" &&
        grep -qF -- "srctl reader add --device printer1" "$tmp/interactive.out"'
  all_in=true
  for pid in $(jq -r '.services[].pid' "$json"); do in_session "$pid" "$run_pid" || all_in=false; done
  check "each service runs, in run.sh's session" ok '$all_in'
  # what the README does with it: an administrator adds a user
  check "srctl user add works with what stack.json names" \
    env SR_CLOUD_URL="$(jq -r .cloud_api "$json")" SR_CLOUD_CA="$(jq -r .ca_file "$json")" \
    SR_TOKEN_FILE="$(jq -r .admin_token_file "$json")" "$build/bin/srctl" user add \
    --email bob@example.com --name Bob --card 4711 --pin 1234 \
    --secret-file "$(jq -r .site_secret_file "$json")" --tenant "$(jq -r .tenant "$json")"
  # the embedded default keeps an immediate cloud copy on local storage
  "$build/bin/srctl" submit "$src/tests/data/three-pages.pdf" --queue "$(jq -r .ipp_queue "$json")" \
    --format application/pdf >/dev/null
  copies() { find "$tmp/interactive/stack/cloud/blobs" -type f 2>/dev/null | grep -q .; }
  check "a submitted job's cloud copy lands in the stack's local storage" wait_until 100 copies
  sid=$run_pid
  kill -INT -- "-$run_pid" # as Ctrl-C does: to the foreground process group
  wait_run
  check "after Ctrl-C run.sh exits 0 (exited: $run_status)" ok '[ "$run_status" = 0 ]'
  check "after Ctrl-C nothing of the stack is left" session_empty "$sid"
  check "stack.json is gone with the stack" ok '[ ! -e "$json" ]'
fi

# --- Ctrl-C with one service stopped (SIGSTOP); this time the release page
# and kiosk listen on another address, at a port given, as for a printer's
# browser on the LAN (127.0.0.2 here: loopback all the same)
panel_port=$(python3 "$src/scripts/lib/free_port.py" $$) # free on every address, so on 127.0.0.2
export STACK_PANEL_ADDRESS=127.0.0.2 STACK_PANEL_PORT=$panel_port
run_until_ready stopped
stopped_started=$?
unset STACK_PANEL_ADDRESS STACK_PANEL_PORT
if check "run.sh starts again" ok '[ "$stopped_started" = 0 ]'; then
  json=$tmp/stopped/stack.json
  check "with STACK_PANEL_ADDRESS and STACK_PANEL_PORT, release_page is there ($(jq -r .release_page "$json"))" \
    ok '[ "$(jq -r .release_page "$json")" = "https://127.0.0.2:$panel_port/r/printer1" ]'
  check "the kiosk page there passes TLS verification with the stack's CA" \
    ok '[ "$(curl -s -o /dev/null -w "%{http_code}" --cacert "$(jq -r .ca_file "$json")" "https://127.0.0.2:$panel_port/panel/printer1")" = 200 ]'
  check "the panel API there logs the demo card in" \
    ok 'curl -sf --cacert "$(jq -r .ca_file "$json")" -H "Content-Type: application/json" \
          -d "{\"device\":\"printer1\",\"card\":\"$(jq -r .demo_user.card "$json")\"}" "$(jq -r .panel_api "$json")/api/v1/panel/sessions" | jq -e .session >/dev/null'
  cloud=$(jq -r .services.cloud.pid "$json")
  kill -STOP "$cloud"
  stopped=false
  for _ in $(seq 100); do
    case $(ps -o stat= -p "$cloud") in T*) stopped=true; break ;; esac
    sleep 0.05
  done
  check "the cloud is stopped" ok '$stopped'
  # the embedded default keeps an immediate cloud copy on local storage
  "$build/bin/srctl" submit "$src/tests/data/three-pages.pdf" --queue "$(jq -r .ipp_queue "$json")" \
    --format application/pdf >/dev/null
  copies() { find "$tmp/interactive/stack/cloud/blobs" -type f 2>/dev/null | grep -q .; }
  check "a submitted job's cloud copy lands in the stack's local storage" wait_until 100 copies
  sid=$run_pid
  kill -INT -- "-$run_pid" # as Ctrl-C does: to the foreground process group
  wait_run
  check "with a stopped service run.sh exits 0 after Ctrl-C (exited: $run_status)" ok '[ "$run_status" = 0 ]'
  check "with a stopped service nothing of the stack is left" session_empty "$sid"
fi
# --- a service that ends on its own ends run.sh, which says which
if check "run.sh starts a third time" run_until_ready crash; then
  json=$tmp/crash/stack.json
  snmpd_log=$(jq -r .services.snmpd.log "$json")
  sid=$run_pid
  kill -KILL "$(jq -r .services.snmpd.pid "$json")"
  wait_run
  check "when a service dies run.sh exits 1 (exited: $run_status)" ok '[ "$run_status" = 1 ]'
  check "run.sh names the service that died and its log" \
    grep -qF "run.sh: snmpd ended on its own; its log: $snmpd_log" "$tmp/crash.out"
  check "after a service died nothing of the stack is left" session_empty "$sid"
fi
checks_done
