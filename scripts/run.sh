#!/usr/bin/env bash
# The main job: builds everything and starts the whole stack on loopback —
# broker, cloud (SQLite, or PostgreSQL: SR_DATABASE), site service with the panel API, one print scout
# enrolled for a demo user, and an emulated printer (ippeveprinter with IPP
# and IPPS, snmpd for its status, a RAW sink) — then runs until Ctrl-C.
# $SR_RUN_DIR/stack.json (.run/stack.json) says where everything is once it
# is ready. Ctrl-C (SIGINT or SIGTERM) stops every process it started.
#
#   ./scripts/run.sh           run until Ctrl-C
#   ./scripts/run.sh --smoke   one submit -> release -> printed round, then exit
#
# Environment:
#   SR_QUEUE_PORT=8631   the print queue's port (--smoke takes a free one)
#   SR_RUN_DIR=.run      where the stack keeps its state and stack.json
#   SR_BUILD_DIR=DIR     use the binaries already built in DIR (bin/, plugins/)
#                        instead of building build/
#   STACK_PANEL_ADDRESS=127.0.0.1  where the release page and kiosk listen
#                        (this machine's LAN address for a printer's browser)
#   STACK_PANEL_PORT     their port (a free one by default)
#   SR_DATABASE=postgresql  the cloud's database on a private PostgreSQL 15
#                        (a cluster of its own in a temporary directory, gone
#                        with the stack) instead of SQLite, and two cloud
#                        instances behind HAProxy (docs/scaling.md)
#   SR_CLOUDS=N          that many cloud instances (PostgreSQL only; 2 there
#                        by default, 1 on SQLite)
# (README.md lists the other STACK_* settings.)
set -euo pipefail
cd "$(dirname "$0")/.."
smoke=false
case "${1:-}" in
--smoke) smoke=true ;;
"") ;;
*) echo "usage: scripts/run.sh [--smoke]" >&2; exit 64 ;;
esac
./scripts/deps.sh --main

if [ -n "${SR_BUILD_DIR:-}" ]; then
  build=$(cd "$SR_BUILD_DIR" && pwd)
  [ -x "$build/bin/sr-cloud" ] || { echo "run.sh: no build in $build (SR_BUILD_DIR)" >&2; exit 1; }
else
  build=$PWD/build
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build --parallel "$(nproc 2>/dev/null || echo 2)" >/dev/null
  echo "Built: build/bin/{sr-cloud,sr-device-scout,sr-print-scout,srctl} and build/plugins/"
fi

root=$PWD
run=${SR_RUN_DIR:-$root/.run}
mkdir -p "$run"
run=$(cd "$run" && pwd)
rm -rf "$run/stack" "$run/stack.json"
mkdir -p "$run/stack"
source scripts/lib/stack.sh
tick_pid=
stop() {
  if [ -n "$tick_pid" ]; then kill "$tick_pid" 2>/dev/null || true; wait "$tick_pid" 2>/dev/null || true; fi
  rm -f "$run/stack.json"
  stack_stop
}
trap stop EXIT
trap 'echo; echo "stopping"; exit 0' INT TERM
STACK_QUIET=1
case "${SR_DATABASE:-sqlite}" in
sqlite | postgresql) export STACK_DATABASE=${SR_DATABASE:-sqlite} ;;
*) echo "run.sh: SR_DATABASE is sqlite or postgresql, not '$SR_DATABASE'" >&2; exit 64 ;;
esac
# several instances share one PostgreSQL; SQLite is one process's file
clouds_default=1
[ "$STACK_DATABASE" = postgresql ] && clouds_default=2
export STACK_CLOUDS=${SR_CLOUDS:-$clouds_default}
[[ "$STACK_CLOUDS" =~ ^[1-9]$ ]] || { echo "run.sh: SR_CLOUDS is a number from 1 to 9, not '$STACK_CLOUDS'" >&2; exit 64; }
[ "$STACK_CLOUDS" = 1 ] || [ "$STACK_DATABASE" = postgresql ] ||
  { echo "run.sh: SR_CLOUDS=$STACK_CLOUDS needs SR_DATABASE=postgresql (SQLite is one process's file)" >&2; exit 64; }
$smoke || STACK_QUEUE_PORT=${SR_QUEUE_PORT:-8631}
export STACK_QUEUE_PORT
echo "Starting the stack in $run/stack ..."
if ! stack_start "$run/stack" "$build/bin" "$build/plugins"; then
  echo "the stack did not start; logs are in $run/stack/*/log" >&2
  exit 1
fi

# The demo printer's release page, as the cloud gives it (the site reports
# its base URL with its first heartbeat, at start): what its label's QR
# code carries.
release_page=
for _ in $(seq 100); do
  release_page=$(stack_srctl device list --json 2>/dev/null |
    jq -r '.devices[] | select(.id == "printer1") | .release_url // empty')
  [ -n "$release_page" ] && break
  sleep 0.1
done
[ -n "$release_page" ] || echo "run.sh: the cloud has no release page URL for printer1 yet (see $run/stack/site/log)" >&2
# its QR code, drawn now: once stack.json is there, a caller may act on the
# stack, and run.sh must be waiting for its services by then
release_qr=
[ -n "$release_page" ] && release_qr=$(stack_srctl device label printer1 --format terminal | tail -n +3)

jq -n --arg cloud "$cloud_url" --arg panel "$panel_url" --arg queue "$queue_uri" \
  --arg ca "$ca_file" --arg ipps "ipps://localhost:$printer_port/ipp/print" --arg spool "$spool_dir" \
  --arg email "$demo_email" --arg card "$demo_card" --arg pin "$demo_pin" --arg admin "$token_file" \
  --arg secret "$secret_file" --arg tenant "$tenant" --argjson services "$(stack_services_json)" \
  --argjson deliverers "$(stack_deliverers_json)" --arg release "$release_page" \
  --arg console "$cloud_url/console/" \
  --argjson instances "$(printf 'https://localhost:%s\n' "${cloud_ports[@]}" | jq -R . | jq -s .)" \
  '{cloud_api: $cloud, cloud_instances: $instances, console: $console, panel_api: $panel, release_page: (if $release == "" then null else $release end),
    ipp_queue: $queue, ca_file: $ca, admin_token_file: $admin,
    site_secret_file: $secret, tenant: $tenant,
    printers: [{device: "printer1", uri: $ipps, spool_dir: $spool}],
    demo_user: {email: $email, card: $card, pin: $pin}, services: $services,
    deliverers: $deliverers}' >"$run/stack.json.tmp"
mv "$run/stack.json.tmp" "$run/stack.json"

if ! $smoke; then
  panel_where=
  [ "${STACK_PANEL_ADDRESS:-127.0.0.1}" = 127.0.0.1 ] || panel_where=", the release page and kiosk on $STACK_PANEL_ADDRESS"
  copies_at="$run/stack/cloud/blobs"
  [ -n "${STACK_CLOUD_STORAGE:-}" ] && copies_at="the storage of STACK_CLOUD_STORAGE"
  if [ "${STACK_CLOUD_COPY:-immediate}" = off ]; then
    copies_line="Cloud copies: off (held jobs stay on their workstation only)"
  else
    copies_line="Cloud copies: ${STACK_CLOUD_COPY:-immediate} (each held job's encrypted file also in the cloud's storage:
           $copies_at; STACK_CLOUD_COPY=off ./scripts/run.sh to keep jobs on the workstation only)"
  fi
  cat <<TEXT

== securerelease is running (on 127.0.0.1$panel_where; $run/stack.json has the same)
Print queue to add in your OS:  $queue_uri
  CUPS:  lpadmin -p SecureRelease -E -v $queue_uri -m everywhere
  then:  lp -d SecureRelease document.pdf        (or: $build/bin/srctl submit FILE --queue URL)
Panel API (printers, card readers): $panel_url/api/v1/panel/   CA: $ca_file
Demo user: $demo_email   card $demo_card   PIN $demo_pin
  log in:   curl --cacert $ca_file -H 'Content-Type: application/json' -d '{"device":"printer1","card":"$demo_card"}' $panel_url/api/v1/panel/sessions
Printer "printer1": ipps://localhost:$printer_port/ipp/print, printed files land in $spool_dir
Cloud API: $cloud_url$([ "$STACK_CLOUDS" = 1 ] || echo " ($STACK_CLOUDS instances behind HAProxy)")$([ "$STACK_DATABASE" = sqlite ] || echo " on PostgreSQL")
           (administrator: SR_CLOUD_URL=$cloud_url SR_CLOUD_CA=$ca_file
           SR_TOKEN_FILE=$token_file $build/bin/srctl jobs)
$copies_line
Logs: $run/stack/*/log$([ "$STACK_CLOUDS" = 1 ] || echo " and $run/stack/cloud/log-N (cloud instance N)") (each service's pid and log: "services" in $run/stack.json)
Ctrl-C stops everything.
TEXT
  # the demo user is the tenant's administrator in the console; the link
  # signs one browser in once, within 10 minutes (docs/console.md)
  sso_line=
  [ "${STACK_CONSOLE_OIDC:-}" != 1 ] || sso_line="
  or single sign-on: $cloud_url/console/login as alice, any password (the test OpenID provider)"
  if console_link=$(stack_console_link administrator "$demo_email" 2>&1); then
    cat <<TEXT

Web console: $cloud_url/console/   (a browser that trusts $ca_file)
  sign in as the administrator $demo_email with this one-time link (10 minutes, once):
  $console_link
  another: $build/bin/srctl console link --email $demo_email   (with SR_CLOUD_URL, SR_CLOUD_CA
           and SR_TOKEN_FILE as above)$sso_line
User portal (each user's own jobs, delegations, printers and uploads): $cloud_url/portal/
  sign in as a user: $build/bin/srctl console link --role user --email EMAIL
TEXT
  else
    echo "run.sh: no sign-in link for the console: $console_link" >&2
  fi
  if [ -n "$release_page" ]; then
    # the demo printer's label, on the terminal (a sheet: srctl device label --all)
    cat <<TEXT

Release page of printer1 (open it in a browser that trusts $ca_file; log in with
the demo user's email and PIN): $release_page
TEXT
    printf '%s\n' "$release_qr"
    cat <<TEXT
Panel app (kiosk) for the printer's own browser: ${release_page%/r/*}/panel/printer1
  it asks once for a token: $build/bin/srctl reader add --device printer1 --name "Panel of printer1"
  (with SR_CLOUD_URL, SR_CLOUD_CA and SR_TOKEN_FILE as above; docs/panel-app.md)
TEXT
  fi
  # Returns when a service ends on its own (or on Ctrl-C, through the trap).
  # A stopped service does not end it: SIGSTOP is for debugging. Looked at
  # each second rather than with `wait -n`: bash drops a job killed by a
  # signal from its table once it has reported it, and `wait -n` then waits
  # for the others. The tick is a `sleep 1` waited for: Ctrl-C's trap runs
  # at once (a `read -t` interrupted by that trap crashed bash 5.2), and
  # stop() ends the sleep so that nothing is left behind.
  # With several cloud instances, one that ends is left out (HAProxy sends
  # its calls to the others, as in production: docs/scaling.md); the stack
  # stops when the last one ends, or any other service.
  name_of() { local n; for n in "${!stack_service_pid[@]}"; do [ "${stack_service_pid[$n]}" = "$1" ] && echo "$n"; done; }
  watched=("${stack_pids[@]}")
  ended=
  while [ -z "$ended" ]; do
    for p in "${watched[@]}"; do
      kill -0 "$p" 2>/dev/null && continue
      wait "$p" 2>/dev/null || true # reaped without bash's "Killed" line
      alive=0
      for c in "${cloud_pids[@]}"; do kill -0 "$c" 2>/dev/null && alive=$((alive + 1)); done
      if [[ " ${cloud_pids[*]} " == *" $p "* ]] && [ "$alive" -gt 0 ]; then
        n=$(name_of "$p")
        echo "run.sh: $n ended on its own (its log: ${stack_service_log[$n]}); the other $alive cloud instance(s) serve" >&2
        kept=()
        for q in "${watched[@]}"; do [ "$q" = "$p" ] || kept+=("$q"); done
        watched=("${kept[@]}")
      else
        ended=$p
      fi
      break
    done
    if [ -z "$ended" ]; then
      sleep 1 &
      tick_pid=$!
      wait "$tick_pid" 2>/dev/null || true
      tick_pid= # reaped: its number may be another process's from now on
    fi
  done
  for name in "${!stack_service_pid[@]}"; do
    [ "${stack_service_pid[$name]}" = "$ended" ] || continue
    echo "run.sh: $name ended on its own; its log: ${stack_service_log[$name]}" >&2
  done
  exit 1
fi

# --smoke: one round trip, each step printed
doc=$root/tests/data/three-pages.pdf
step() { printf '%-52s' "$1"; }
curl_json() { curl -sS --cacert "$ca_file" -H 'Content-Type: application/json' "$@"; }
step "1. submit $(basename "$doc") to the queue"
"$build/bin/srctl" submit "$doc" --queue "$queue_uri" --title "Smoke test" --format application/pdf >/dev/null
echo ok
step "2. log in at printer1 with the demo card"
answer=$(curl_json -d "{\"device\":\"printer1\",\"card\":\"$demo_card\"}" "$panel_url/api/v1/panel/sessions")
session=$(echo "$answer" | jq -r .session 2>/dev/null)
[ -n "$session" ] && [ "$session" != null ] || { echo "FAILED: $answer"; exit 1; }
echo ok
step "3. the panel lists the held job"
for _ in $(seq 100); do
  job=$(curl_json -H "Authorization: Bearer $session" "$panel_url/api/v1/panel/jobs" | jq -r '.jobs[0].id // empty')
  [ -n "$job" ] && break
  sleep 0.1
done
[ -n "$job" ] || { echo "FAILED"; exit 1; }
echo "$job"
step "4. release it"
curl_json -H "Authorization: Bearer $session" -d "{\"jobs\":[\"$job\"]}" "$panel_url/api/v1/panel/release" | jq -r '.releases[0].state'
step "5. wait for printed"
state=
for _ in $(seq 300); do
  state=$(curl_json -H "Authorization: Bearer $session" "$panel_url/api/v1/panel/jobs/$job" | jq -r .state)
  [ "$state" = printed ] || [ "$state" = held ] && break
  sleep 0.1
done
echo "$state"
[ "$state" = printed ] || { echo "the release did not print; see $run/stack/*/log" >&2; exit 1; }
step "6. the printed file matches the submitted one"
printed=$(ls "$spool_dir"/*.pdf | head -1)
if cmp -s "$doc" "$printed"; then
  echo "yes ($printed)"
else
  echo "NO"
  exit 1
fi
echo "smoke test passed"
