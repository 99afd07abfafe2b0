# The whole securerelease stack on loopback, for scripts/run.sh, the
# end-to-end tests and bench/release-latency. Source it, then call
# stack_start DIR BIN_DIR PLUGIN_DIR; stack_stop stops everything it started.
#
# After stack_start: $cloud_url $panel_url $queue_uri $ca_file $token_file
# $spool_dir $raw_dir $printer_port $raw_port $snmp_port $demo_email
# $demo_card $demo_pin $secret_file, and the helpers below.
# STACK_API_LIMITS (a YAML map) sets api_limits of the cloud's and the
# panel's REST APIs (tests shorten the timeouts with it).
# STACK_SCOUT_DELIVERY (a YAML map) sets delivery of the print scouts started
# after it is set (tests shorten busy_deadline with it).
# The printer is slow while $spool_dir/../print-delay holds seconds, and busy
# with its current job while $spool_dir/../print-hold exists.
# STACK_HELD_JOBS_AS sets the next print scout's queue.held_jobs_as
# (pending-held by default; docs/clients.md).
# STACK_SITE_DIRECTORY=1 enrolls the site for directory logins (a site with
# an LDAP provider in STACK_SITE_IDP needs it).
# STACK_SITE_HEARTBEAT sets the cloud's site_heartbeat (30s by default).
# STACK_SITE_PUBLIC_URL sets the site's panel.public_url (its release page
# as phones reach it; by default https://ADDRESS:PORT of its panel).
# STACK_PANEL_ADDRESS (127.0.0.1 by default) is the address the site's panel
# listens on, e.g. this machine's address on its network so that a
# printer's browser or a phone can open the release page and the kiosk;
# the server certificate names it too. STACK_PANEL_PORT fixes its port
# (a free one by default).
# STACK_SITE_MONITOR (a YAML map) sets the site's monitor cadences.
# STACK_SITE_DRIVERS (a YAML list) replaces the site's device drivers
# ([{plugin: printer_mib}] by default), e.g. to add ipp_printer or a vendor's.
# STACK_RELEASE_ACK_TIMEOUT sets the cloud's release_ack_timeout (its
# default, 5s, unless set; tests that wait it out shorten it).
# STACK_HOLD_TIME_MIN sets the cloud's hold_time_min (1h by default: tests
# lower it to see jobs expire); STACK_CLOUD_SMTP (a YAML map) its mail relay
# (smtp); STACK_SCOUT_HOLD_TIME the next print scouts' own hold_time, and
# STACK_SCOUT_ANNOUNCE_RETRY their announce_retry (15s by default) and
# STACK_SCOUT_CLOUD_TIMEOUT their cloud_timeout (10s by default).
# STACK_DATABASE=postgresql puts the cloud's database on a private
# PostgreSQL (SQLite by default). STACK_CLOUDS=N (with postgresql) runs N
# cloud instances over it behind HAProxy, which passes TLS through
# (docs/scaling.md): $cloud_url is HAProxy's, $cloud_pids the instances'.
# STACK_REGIONS (YAML, `regions: [...]`) replaces the cloud's one region
# (`local`, on the local storage instance named local).
# STACK_CLOUD_COPY sets the demo tenant's cloud_copy (immediate by default:
# print scouts upload each held job's encrypted file to the cloud's local
# storage, $stack_dir/cloud/blobs; off or deferred to change it).
# STACK_CLOUD_STORAGE (YAML list items, indented by two) replaces the
# cloud's storage list (one local instance by default), e.g. an s3 one;
# without STACK_REGIONS the cloud then has its default region over the
# first of them.
# STACK_SCOUT_KEEPALIVE sets the MQTT keep-alive of the print scouts and the
# site service started after it is set (5s by default, so that tests see a
# lost scout soon: the broker's will fires after 1.5 of them; "default"
# leaves it out, so that the services' own default applies, as
# bench/bandwidth measures it).
# STACK_DOCUMENT_HANDLING sets the tenant's document_handling (origin,site by
# default: the site service prints a job whose workstation is away).
# STACK_SERVE_OTHERS=1 makes the next print scout serve others (crowdsource).
# STACK_PRINTERS (a YAML list's items) replaces the static printer hosts
# of the site and the print scouts (localhost, 127.0.0.1).
# STACK_SIGNED_PRINTERS=1: no static `printers:` anywhere; the site signs the
# printer list (state_dir: site/state, holding discovery.json; looks at the
# accepted devices every STACK_PRINTER_LIST_EVERY, 60s by default) and the
# print scouts keep the lists in printer-lists.json.
#
# Each service runs in a process group of its own (stack_spawn), so that
# stack_stop ends it with everything it started (ippeveprinter's print
# commands, socat's per-connection children) by group, never by name, and
# so that a Ctrl-C at the terminal reaches only the caller, which then stops
# the stack in order. stack_service_pid / stack_service_log map each
# service's name to its process (= group) id and log file.

# shellcheck source=scripts/lib/postgres.sh
source "$(dirname "${BASH_SOURCE[0]}")/postgres.sh"

stack_pids=()
declare -gA stack_service_pid=() stack_service_log=()
stack_dir=
demo_email=alice@example.com
demo_card=0012345678
demo_pin=1234

stack_log() { [ -n "${STACK_QUIET:-}" ] || echo "stack: $*" >&2; }

# A port below the ephemeral range, claimed for this shell (scripts/lib/free_port.py says why).
stack_free_port() { # [tcp|udp]
  python3 "${BASH_SOURCE[0]%/*}/free_port.py" $$ "${1:-both}"
}

stack_wait_listen() { # PORT
  for _ in $(seq 400); do ss -ltnH "sport = :$1" | grep -q . && return 0; sleep 0.025; done
  return 1
}

# Waits for a line starting with WORD in FILE and prints its second field.
stack_wait_line() { # FILE WORD
  for _ in $(seq 600); do
    if grep -q "^$2 " "$1" 2>/dev/null; then awk -v w="$2" '$1 == w {print $2; exit}' "$1"; return 0; fi
    sleep 0.025
  done
  return 1
}

# Starts COMMAND in the background in a new process group (its pid is the
# group id) and remembers it as service NAME with its LOG file; the caller's
# redirections apply. Sets $stack_last_pid.
stack_spawn() { # NAME LOG COMMAND...
  local name=$1 log=$2 old p kept=()
  shift 2
  # a restart (same name): forget the old process once it has ended, so that
  # stack_stop never signals a pid the system may have given to another
  old=${stack_service_pid[$name]:-}
  if [ -n "$old" ] && ! stack_alive "$old"; then
    for p in "${stack_pids[@]}"; do [ "$p" = "$old" ] || kept+=("$p"); done
    stack_pids=("${kept[@]}")
  fi
  # setpgid then exec: the pid stays the service's own, so $! is the group
  python3 -c 'import os, sys; os.setpgid(0, 0); os.execvp(sys.argv[1], sys.argv[1:])' "$@" &
  stack_last_pid=$!
  stack_pids+=("$stack_last_pid")
  stack_service_pid[$name]=$stack_last_pid
  stack_service_log[$name]=$log
}

# Who may print a released job, as JSON for stack.json: the site service
# (a deliverer when document_handling names `site`) by its scout id.
stack_deliverers_json() {
  stack_srctl scout list --json |
    jq --arg h "$(stack_srctl settings show --json | jq -c .document_handling)" \
      '{document_handling: ($h | fromjson), site: [.scouts[] | select(.kind == "site") | {id, name}]}'
}

# The services as JSON: {name: {pid, log}}.
stack_services_json() {
  local name
  for name in "${!stack_service_pid[@]}"; do
    jq -n --arg name "$name" --argjson pid "${stack_service_pid[$name]}" \
      --arg log "${stack_service_log[$name]}" '{($name): {pid: $pid, log: $log}}'
  done | jq -s 'add // {}'
}

# Sends SIGNAL to the process group PID leads, or to PID alone when it leads
# none (callers may add plain background processes to stack_pids).
stack_signal() { # SIGNAL PID
  kill -s "$1" -- "-$2" 2>/dev/null || kill -s "$1" "$2" 2>/dev/null || true
}

stack_alive() { # PID: its group (or itself) still has a process
  kill -0 -- "-$1" 2>/dev/null || kill -0 "$1" 2>/dev/null
}

# Ends every process the stack started, whatever its state: SIGTERM and
# SIGCONT (a stopped process acts on SIGTERM only once continued) to each
# group, newest first, then SIGKILL to what is left after 10 seconds. Never
# fails, so that it is safe in an EXIT trap under set -e: a process may
# well have exited already.
stack_stop() {
  local i p left
  for ((i = ${#stack_pids[@]} - 1; i >= 0; i--)); do
    stack_signal TERM "${stack_pids[i]}"
    stack_signal CONT "${stack_pids[i]}"
  done
  for _ in $(seq 200); do
    left=0
    for p in "${stack_pids[@]}"; do stack_alive "$p" && left=1 && break; done
    [ "$left" = 0 ] && break
    sleep 0.05
  done
  for p in "${stack_pids[@]}"; do
    stack_alive "$p" && stack_log "$p did not end on SIGTERM: SIGKILL" && stack_signal KILL "$p"
  done
  for p in "${stack_pids[@]}"; do wait "$p" 2>/dev/null || true; done
  stack_database_drop
  pg_stop
  stack_pids=()
  stack_service_pid=()
  stack_service_log=()
  return 0
}

# A throw-away PKI: the root CA that also signs each tenant's CA, a server
# certificate for localhost, and the cloud's MQTT client certificate.
# The server certificate's extra name for STACK_PANEL_ADDRESS: ",IP:..." for
# an address, ",DNS:..." for a host name, nothing for the default.
stack_panel_san() {
  local a=${STACK_PANEL_ADDRESS:-127.0.0.1}
  case $a in
  127.0.0.1 | localhost) ;;
  *[!0-9.]*) [[ $a == *:* ]] && echo ",IP:$a" || echo ",DNS:$a" ;;
  *) echo ",IP:$a" ;;
  esac
}
stack_pki() { # DIR (kept if it is there: a caller may have made it first)
  local d=$1
  [ -f "$d/root.crt" ] && return 0
  mkdir -p "$d"
  (
    cd "$d" || exit 1
    q() { "$@" 2>/dev/null; }
    q openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout root.key \
      -out root.crt -days 30 -subj /CN=securerelease-demo-root
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1%s\nextendedKeyUsage=serverAuth\n' "$(stack_panel_san)" >server.ext
    printf 'extendedKeyUsage=clientAuth\n' >client.ext
    q openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key \
      -out server.csr -subj /CN=localhost
    q openssl x509 -req -in server.csr -CA root.crt -CAkey root.key -CAcreateserial \
      -out server.crt -days 30 -extfile server.ext
    q openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout cloud-mqtt.key \
      -out cloud-mqtt.csr -subj /CN=sr-cloud
    q openssl x509 -req -in cloud-mqtt.csr -CA root.crt -CAkey root.key -CAcreateserial \
      -out cloud-mqtt.crt -days 30 -extfile client.ext
    chmod 600 ./*.key
  )
}

stack_broker() {
  local d=$stack_dir/broker
  mkdir -p "$d"
  mqtt_port=$(stack_free_port)
  cat >"$d/mosquitto.conf" <<CONF
user root
per_listener_settings false
allow_anonymous false
persistence false
set_tcp_nodelay true
listener $mqtt_port 127.0.0.1
cafile $stack_dir/pki/root.crt
certfile $stack_dir/pki/server.crt
keyfile $stack_dir/pki/server.key
require_certificate true
use_subject_as_username true
acl_file $d/acl
pid_file $d/pid
max_queued_messages 10000
CONF
  # max_queued_messages: the broker keeps up to 10,000 QoS 1 messages for a
  # client that is behind (its default, 1,000, drops the rest of a burst
  # when a sanitised cloud reads slowly); the cloud's own limits on what a
  # scout sends are what protocol_edges counts.
  # The username is the certificate's whole subject ("CN=s-1,O=demo"): a
  # tenant CA can only issue subjects beginning with O=<its tenant>. sr-cloud
  # rewrites this ACL (one entry per scout) and makes the broker reload it;
  # until it starts, only the cloud itself may connect.
  printf 'user CN=sr-cloud\ntopic readwrite sr/v1/#\n' >"$d/acl"
  stack_spawn broker "$d/log" mosquitto -c "$d/mosquitto.conf" >"$d/log" 2>&1
  stack_wait_listen "$mqtt_port" || { cat "$d/log" >&2; return 1; }
  stack_log "broker on 127.0.0.1:$mqtt_port (TLS, client certificates)"
}

# Stops the broker (SIGTERM: every client loses its connection, and its
# messages in flight) and starts it again on the same port and files.
stack_broker_restart() {
  local d=$stack_dir/broker pid=${stack_service_pid[broker]}
  stack_signal TERM "$pid"
  wait "$pid" 2>/dev/null
  stack_spawn broker "$d/log" mosquitto -c "$d/mosquitto.conf" >>"$d/log" 2>&1
  stack_wait_listen "$mqtt_port" || { cat "$d/log" >&2; return 1; }
}

# The emulated printer: ippeveprinter (IPP and IPPS on one port) whose
# print command records each job's attributes, snmpd answering its
# Printer-MIB status, and a RAW port-9100-style sink.
stack_printer() {
  local d=$stack_dir/printer
  mkdir -p "$d/spool" "$d/ssl" "$d/raw"
  cp "$stack_dir/pki/server.crt" "$d/ssl/localhost.crt"
  cp "$stack_dir/pki/server.key" "$d/ssl/localhost.key"
  cat >"$d/print.sh" <<'SH'
#!/bin/sh
# a slow printer on demand: tests write seconds into print-delay
[ -f "${0%/*}/print-delay" ] && sleep "$(cat "${0%/*}/print-delay")"
# a printer busy until told: while print-hold exists the job does not finish
while [ -f "${0%/*}/print-hold" ]; do sleep 0.05; done
env | grep "^IPP_" | sort > "$1.env.tmp" && mv "$1.env.tmp" "$1.env"
SH
  chmod +x "$d/print.sh"
  # ippeveprinter talks to Avahi over D-Bus: a private bus of its own
  stack_spawn dbus "$d/dbus.log" \
    dbus-daemon --session --address="unix:path=$d/bus" --nofork --nopidfile >"$d/dbus.log" 2>&1
  for _ in $(seq 200); do [ -S "$d/bus" ] && break; sleep 0.01; done
  printer_port=$(stack_free_port)
  stack_spawn printer "$d/log" env DBUS_SYSTEM_BUS_ADDRESS="unix:path=$d/bus" \
    ippeveprinter -p "$printer_port" -n localhost -r off \
    -d "$d/spool" -k -K "$d/ssl" -c "$d/print.sh" -2 -s 10,10 \
    -f application/pdf,image/pwg-raster,image/urf,image/jpeg "Demo Printer" >"$d/log" 2>&1
  snmp_port=$(stack_free_port)
  cat >"$d/snmpd.conf" <<CONF
agentaddress udp:127.0.0.1:$snmp_port
rocommunity public 127.0.0.1
sysdescr securerelease demo printer
override .1.3.6.1.2.1.25.3.2.1.5.1 integer 2
override .1.3.6.1.2.1.25.3.5.1.1.1 integer 3
override .1.3.6.1.2.1.25.3.5.1.2.1 octet_str 0x0000
override .1.3.6.1.2.1.43.5.1.1.17.1 octet_str "DEMO-0001"
CONF
  # the Printer MIB serial lets printer_mib claim it, so the site monitors
  # it (srctl device status printer1). snmpd saves its state as
  # snmpd.conf in SNMP_PERSISTENT_DIR: not the configuration's folder.
  mkdir -p "$d/snmpd-state"
  stack_spawn snmpd "$d/snmpd.log" env SNMP_PERSISTENT_DIR="$d/snmpd-state" MIBS= \
    snmpd -C -c "$d/snmpd.conf" -I -smux -Lf "$d/snmpd.log" -f
  raw_port=$(stack_free_port)
  stack_spawn raw_sink "$d/raw.log" socat -u "TCP-LISTEN:$raw_port,bind=127.0.0.1,reuseaddr,fork" \
    SYSTEM:"cat > $d/raw/job-\$(date +%s%N).prn" 2>"$d/raw.log"
  stack_wait_listen "$printer_port" && stack_wait_listen "$raw_port" || {
    cat "$d/log" >&2
    return 1
  }
  spool_dir=$d/spool
  raw_dir=$d/raw
  stack_log "printer: ipp(s)://localhost:$printer_port/ipp/print, SNMP 127.0.0.1:$snmp_port, RAW 127.0.0.1:$raw_port"
}

# The cloud's database: SQLite in the cloud's directory, or with
# STACK_DATABASE=postgresql a database of its own on PostgreSQL: on the
# cluster SR_TEST_PG names (a libpq connection string without dbname,
# shared by a test run: scripts/test.sh; the database is dropped with the
# stack), else on a private cluster (scripts/lib/postgres.sh, stopped with
# the stack) started here (in this shell, so that stack_stop knows it).
# Sets $stack_database (the cloud's YAML) and $stack_pg (its conninfo).
stack_database_start() {
  if [ "${STACK_DATABASE:-sqlite}" != postgresql ]; then
    stack_database="database: {driver: sqlite, path: cloud.db}"
    return 0
  fi
  if [ -n "${SR_TEST_PG:-}" ] && [ -z "${pg_dir:-}" ]; then
    if [ -z "${stack_pg_shared_db:-}" ]; then
      stack_pg_shared_db=sr_$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')
      psql -X -q -v ON_ERROR_STOP=1 "$SR_TEST_PG dbname=postgres" \
        -c "CREATE DATABASE $stack_pg_shared_db" >/dev/null ||
        { echo "stack: cannot make a database on the shared PostgreSQL ($SR_TEST_PG)" >&2; return 1; }
    fi
    stack_pg="$SR_TEST_PG dbname=$stack_pg_shared_db"
  else
    if [ -z "${pg_dir:-}" ]; then
      { pg_start && pg_createdb securerelease; } >&2 || { echo "stack: PostgreSQL did not start" >&2; return 1; }
    fi
    stack_pg="$pg_conninfo dbname=securerelease"
  fi
  stack_database="database: {driver: postgresql, url: \"$stack_pg\"}"
}

# Drops the stack's database from the shared cluster (stack_stop).
stack_database_drop() {
  [ -n "${stack_pg_shared_db:-}" ] || return 0
  psql -X -q "$SR_TEST_PG dbname=postgres" -c "DROP DATABASE IF EXISTS $stack_pg_shared_db WITH (FORCE)" \
    >/dev/null 2>&1 || true
  stack_pg_shared_db=
}

# Runs SQL on the cloud's database and prints the rows as the sqlite3 CLI
# does (columns joined by '|', no header; NULL as nothing), on SQLite or
# on PostgreSQL alike: tests look at and change what the cloud stored.
stack_sql() { # SQL
  if [ "${STACK_DATABASE:-sqlite}" = postgresql ]; then
    psql -X -q -A -t -F '|' -v ON_ERROR_STOP=1 "$stack_pg" -c "$1"
  else
    sqlite3 -cmd '.timeout 5000' "$stack_dir/cloud/cloud.db" "$1"
  fi
}

# Everything the cloud's database holds, as bytes a test can search for a
# secret that must not be there: the SQLite file with its write-ahead log,
# or a dump of the PostgreSQL database.
stack_db_bytes() {
  if [ "${STACK_DATABASE:-sqlite}" = postgresql ]; then
    pg_dump -d "$stack_pg" 2>/dev/null
  else
    cat "$stack_dir/cloud/cloud.db" "$stack_dir/cloud/cloud.db-wal" 2>/dev/null
  fi
}

# COUNT jobs in TENANT (tests/support/seed_jobs.py), on either database.
stack_seed_jobs() { # TENANT COUNT [DAYS]
  local here=${BASH_SOURCE[0]%/*}/../../tests/support/seed_jobs.py
  if [ "${STACK_DATABASE:-sqlite}" = postgresql ]; then
    python3 "$here" --psql "$stack_pg" "$@"
  else
    python3 "$here" "$stack_dir/cloud/cloud.db" "$@"
  fi
}

stack_cloud_config() {
  local d=$stack_dir/cloud
  mkdir -p "$d"
  cloud_port=${cloud_port:-$(stack_free_port)}
  head -c 32 /dev/urandom | base64 | tr -d '=+/\n' >"$d/operator-token"
  chmod 600 "$d/operator-token"
  # seals the tenant CA keys in the database; kept apart from it
  (umask 077 && openssl rand -hex 32 >"$d/master-key")
  # one region on this machine's storage, unless a caller declares its own;
  # over storage of the caller's own, the cloud's default region (its first
  # storage instance) unless STACK_REGIONS says otherwise
  local regions=${STACK_REGIONS:-}
  [ -z "$regions" ] && [ -z "${STACK_CLOUD_STORAGE:-}" ] &&
    regions='regions: [{name: local, storage: local, label: This machine}]'
  local storage=${STACK_CLOUD_STORAGE:-"  - {plugin: local, name: local, config: {root: $d/blobs}}"}
  stack_database_start || return 1
  cat >"$d/cloud.yaml" <<YAML
service: cloud
log: {level: ${STACK_LOG_LEVEL:-info}}
listen: {address: 127.0.0.1, port: $cloud_port}
tls: {cert: ../pki/server.crt, key: ../pki/server.key, ca: ../pki/root.crt}
$stack_database
mqtt:
  host: localhost
  port: $mqtt_port
  keepalive: 10s
  tls: {ca: ../pki/root.crt, cert: ../pki/cloud-mqtt.crt, key: ../pki/cloud-mqtt.key}
storage:
$storage
$regions
admin_token_file: operator-token
enrollment: {ca_cert: ../pki/root.crt, ca_key: ../pki/root.key}
master_key_file: master-key
broker_acl: {file: ../broker/acl, pid_file: ../broker/pid}
release_timeout: ${STACK_RELEASE_TIMEOUT:-10s}
site_heartbeat: ${STACK_SITE_HEARTBEAT:-30s}
hold_time_min: ${STACK_HOLD_TIME_MIN:-1h}
lockout: {attempts: 5, duration: ${STACK_LOCKOUT_DURATION:-60s}}
plugins: {paths: [$stack_plugins]}
console:
  public_url: 'https://localhost:$cloud_port'
  web_root: ${STACK_CONSOLE_WEB_ROOT:-$(cd "${BASH_SOURCE[0]%/*}/../../web" && pwd)}
YAML
  [ -n "${STACK_CONSOLE_SESSION:-}" ] && printf '%s\n' "$STACK_CONSOLE_SESSION" | sed 's/^/  /' >>"$d/cloud.yaml"
  [ -n "${STACK_API_LIMITS:-}" ] && printf 'api_limits: %s\n' "$STACK_API_LIMITS" >>"$d/cloud.yaml"
  [ -n "${STACK_RELEASE_ACK_TIMEOUT:-}" ] &&
    printf 'release_ack_timeout: %s\n' "$STACK_RELEASE_ACK_TIMEOUT" >>"$d/cloud.yaml"
  [ -n "${STACK_CLOUD_SMTP:-}" ] && printf 'smtp: %s\n' "$STACK_CLOUD_SMTP" >>"$d/cloud.yaml"
  # identity providers for registration, if a caller gives some (YAML)
  [ -n "${STACK_CLOUD_IDP:-}" ] && printf '%s\n' "$STACK_CLOUD_IDP" >>"$d/cloud.yaml"
  return 0
}

stack_cloud_start() {
  local d=$stack_dir/cloud
  if [ "${STACK_CLOUDS:-1}" -gt 1 ]; then
    stack_clouds_start || return 1
  else
    stack_spawn cloud "$d/log" "$stack_bin/sr-cloud" --config "$d/cloud.yaml" >"$d/out" 2>>"$d/log"
    cloud_pid=$stack_last_pid
    cloud_pids=("$cloud_pid")
    cloud_url=$(stack_wait_line "$d/out" api) || { cat "$d/log" >&2; return 1; }
    cloud_url=${cloud_url/127.0.0.1/localhost}
    cloud_ports=("${cloud_url##*:}")
  fi
  # ready when it answers and is connected to the broker
  for _ in $(seq 400); do
    curl -sf --cacert "$ca_file" "$cloud_url/api/v1/health" | grep -q '"broker":true' && break
    sleep 0.025
  done
  stack_log "cloud API $cloud_url"
}

# STACK_CLOUDS instances, the first from cloud.yaml (its port is HAProxy's
# then), the others from cloud-N.yaml; each on a port of its own, logs in
# log and out (the first) or log-N and out-N. HAProxy in front, in TCP mode:
# the instances see the scouts' and sites' client certificates themselves.
# It checks each instance's /api/v1/health over TLS every 0.5 s, and a
# connection refused by one that died goes to another (redispatch).
stack_clouds_start() {
  local d=$stack_dir/cloud i port suffix servers=""
  [ "${STACK_DATABASE:-sqlite}" = postgresql ] ||
    { echo "stack: STACK_CLOUDS needs STACK_DATABASE=postgresql (one SQLite file, one process)" >&2; return 1; }
  cloud_pids=() cloud_ports=()
  for ((i = 1; i <= STACK_CLOUDS; i++)); do
    port=$(stack_free_port)
    suffix=$([ "$i" = 1 ] || echo "-$i")
    sed "s/^listen: {address: 127.0.0.1, port: $cloud_port}/listen: {address: 127.0.0.1, port: $port}/" \
      "$d/cloud.yaml" >"$d/cloud$suffix.run.yaml"
    stack_spawn "cloud$suffix" "$d/log$suffix" "$stack_bin/sr-cloud" --config "$d/cloud$suffix.run.yaml" \
      >"$d/out$suffix" 2>>"$d/log$suffix"
    cloud_pids+=("$stack_last_pid") cloud_ports+=("$port")
    servers+="  server cloud$i 127.0.0.1:$port check check-ssl verify required ca-file $stack_dir/pki/root.crt verifyhost localhost inter 500ms fall 1 rise 1"$'\n'
  done
  cloud_pid=${cloud_pids[0]}
  for ((i = 1; i <= STACK_CLOUDS; i++)); do
    suffix=$([ "$i" = 1 ] || echo "-$i")
    stack_wait_line "$d/out$suffix" api >/dev/null || { cat "$d/log$suffix" >&2; return 1; }
  done
  cat >"$d/haproxy.cfg" <<CFG
global
  maxconn 8000
defaults
  mode tcp
  timeout connect 2s
  timeout client 10m
  timeout server 10m
  retries 3
  option redispatch
frontend cloud
  bind 127.0.0.1:$cloud_port
  default_backend clouds
backend clouds
  balance roundrobin
  option httpchk GET /api/v1/health
  http-check expect status 200
$servers
CFG
  stack_spawn haproxy "$d/haproxy.log" haproxy -db -f "$d/haproxy.cfg" >"$d/haproxy.log" 2>&1
  haproxy_pid=$stack_last_pid
  stack_wait_listen "$cloud_port" || { cat "$d/haproxy.log" >&2; return 1; }
  cloud_url=https://localhost:$cloud_port
}

# A one-time sign-in link to the console (docs/console.md) for EMAIL, a
# user of the demo tenant, with ROLE (administrator, helpdesk, readonly or
# user): prints the URL (https://localhost:PORT/console/link#TOKEN), valid
# 10 minutes, once.
stack_console_link() { # ROLE EMAIL
  SR_CLOUD_URL=$cloud_url SR_CLOUD_CA=$ca_file SR_TOKEN_FILE=$stack_dir/cloud/operator-token \
    "$stack_bin/srctl" console link --tenant "$tenant" --role "$1" --email "$2"
}

# srctl against the demo tenant, as its administrator.
stack_srctl() {
  SR_CLOUD_URL=$cloud_url SR_CLOUD_CA=$ca_file SR_TOKEN_FILE=$token_file "$stack_bin/srctl" "$@"
}

stack_tenant() {
  tenant=${STACK_TENANT:-demo}
  token_file=$stack_dir/admin-token
  SR_CLOUD_URL=$cloud_url SR_CLOUD_CA=$ca_file SR_TOKEN_FILE=$stack_dir/cloud/operator-token \
    "$stack_bin/srctl" tenant create "$tenant" --name "Demo Company" --token-out "$token_file" >/dev/null || return 1
  secret_file=$stack_dir/site-secret
  "$stack_bin/srctl" secret generate >"$secret_file" 2>/dev/null
  chmod 600 "$secret_file"
  stack_srctl user add --email "$demo_email" --name "Alice Demo" --card "$demo_card" \
    --pin "$demo_pin" --secret-file "$secret_file" --tenant "$tenant" >/dev/null || return 1
  stack_srctl settings set "cloud_copy=${STACK_CLOUD_COPY:-immediate}" >/dev/null || return 1
  if [ "${STACK_CONSOLE_OIDC:-}" = 1 ]; then
    stack_srctl settings set \
      'console_roles={"administrator": ["sr-admins"], "helpdesk": ["sr-helpdesk"], "readonly": ["sr-readonly"]}' \
      >/dev/null || return 1
  fi
  # failover: the site service prints a job whose workstation is away
  stack_srctl settings set "document_handling=${STACK_DOCUMENT_HANDLING:-origin,site}" >/dev/null || return 1
  stack_srctl device add printer1 --name "Demo Printer" \
    --uri "ipps://localhost:$printer_port/ipp/print" --uri "ipp://localhost:$printer_port/ipp/print" \
    --uri "socket://127.0.0.1:$raw_port" --snmp "127.0.0.1:$snmp_port" >/dev/null || return 1
}

# How the print scouts and the site service deliver: the transports and
# the printer hosts they may print to (YAML).
# The mqtt.keepalive line of a print scout's or the site's configuration
# (STACK_SCOUT_KEEPALIVE; "default": the service's own default).
stack_keepalive_yaml() {
  if [ "${STACK_SCOUT_KEEPALIVE:-5s}" = default ]; then
    echo "# keepalive: the service's default"
  else
    echo "keepalive: ${STACK_SCOUT_KEEPALIVE:-5s}"
  fi
}

stack_delivery_yaml() {
  cat <<YAML
transports:
  - plugin: ipps
    config: {ca_file: $stack_dir/pki/root.crt}
  - plugin: ipp
  - plugin: raw
YAML
  # the static printer hosts, unless the site's signed list decides
  [ -n "${STACK_SIGNED_PRINTERS:-}" ] || echo "printers: [${STACK_PRINTERS:-localhost, 127.0.0.1}]"
}

# Enrolls and starts the site service; sets $panel_url.
stack_site() {
  local d=$stack_dir/site drivers='[{plugin: printer_mib}]'
  [ -n "${STACK_SITE_DRIVERS:-}" ] && drivers=$STACK_SITE_DRIVERS
  mkdir -p "$d"
  cat >"$d/site.yaml" <<YAML
service: device-scout
log: {level: ${STACK_LOG_LEVEL:-info}}
plugins: {paths: [$stack_plugins]}
panel: {address: '${STACK_PANEL_ADDRESS:-127.0.0.1}', port: ${site_port:-${STACK_PANEL_PORT:-0}}${STACK_SITE_PUBLIC_URL:+, public_url: '$STACK_SITE_PUBLIC_URL'}${STACK_WEB_ROOT:+, web_root: $STACK_WEB_ROOT}}
tls: {cert: ../pki/server.crt, key: ../pki/server.key}
tenant: $tenant
cloud_url: $cloud_url
cloud_tls: {cert: site.crt, key: site.key, ca: ../pki/root.crt}
identity:
  card_format: decimal
  card_strip_leading_zeros: true
  pin_length: 4
  secret_file: ../site-secret
# a deliverer (document_handling site): prints released jobs from their
# cloud copy when their workstation is away
mqtt:
  host: localhost
  port: $mqtt_port
  $(stack_keepalive_yaml)
cache: {plugin: local, config: {root: $d/cache}}
drivers: $drivers
$(stack_delivery_yaml)
YAML
  [ -n "${STACK_SIGNED_PRINTERS:-}" ] &&
    printf 'state_dir: state\nprinter_list_every: %s\n' "${STACK_PRINTER_LIST_EVERY:-60s}" >>"$d/site.yaml"
  [ -n "${STACK_SCOUT_DELIVERY:-}" ] && printf 'delivery: %s\n' "$STACK_SCOUT_DELIVERY" >>"$d/site.yaml"
  [ -n "${STACK_API_LIMITS:-}" ] && printf 'api_limits: %s\n' "$STACK_API_LIMITS" >>"$d/site.yaml"
  [ -n "${STACK_SITE_MONITOR:-}" ] && printf 'monitor: %s\n' "$STACK_SITE_MONITOR" >>"$d/site.yaml"
  # identity providers for directory logins, if a caller gives some (YAML)
  [ -n "${STACK_SITE_IDP:-}" ] && printf '%s\n' "$STACK_SITE_IDP" >>"$d/site.yaml"
  if [ ! -f "$d/site.crt" ]; then
    local enroll
    # only a site enrolled for directory logins may vouch for directory
    # users: callers that will give it an LDAP provider say so up front
    enroll=$(stack_srctl scout enroll --kind site --name "Demo site" \
      ${STACK_SITE_DIRECTORY:+--directory} --json) || return 1
    "$stack_bin/sr-device-scout" enroll --config "$d/site.yaml" \
      --token "$(echo "$enroll" | jq -r .enrollment_token)" >/dev/null || return 1
  fi
  stack_spawn site "$d/log" "$stack_bin/sr-device-scout" --config "$d/site.yaml" >"$d/out" 2>>"$d/log"
  site_pid=$stack_last_pid
  panel_url=$(stack_wait_line "$d/out" panel) || { cat "$d/log" >&2; return 1; }
  stack_wait_line "$d/out" broker >/dev/null # "broker connected", at any log level
  site_port=${panel_url##*:}
  panel_url=${panel_url/127.0.0.1/localhost}
  stack_log "panel API $panel_url"
}

# Restarts the site service (same port, same certificate), e.g. after
# STACK_SITE_IDP changed.
stack_site_restart() {
  kill "$site_pid" 2>/dev/null
  wait "$site_pid" 2>/dev/null
  : >"$stack_dir/site/out"
  stack_site
}

# Enrolls and starts a print scout for USER in $stack_dir/NAME; sets
# $queue_uri and $scout_pid (and remembers them as queue_NAME, pid_NAME).
stack_print_scout() { # NAME USER_EMAIL
  local name=$1 user=$2 d=$stack_dir/$1
  mkdir -p "$d"
  cat >"$d/scout.yaml" <<YAML
service: print-scout
log: {level: ${STACK_LOG_LEVEL:-info}}
plugins: {paths: [$stack_plugins]}
tenant: $tenant
user: $user
secret_file: ../site-secret
queue: {address: 127.0.0.1, port: ${STACK_QUEUE_PORT:-0}, held_jobs_as: ${STACK_HELD_JOBS_AS:-pending-held}}
cloud_url: $cloud_url
tls: {cert: scout.crt, key: scout.key, ca: ../pki/root.crt}
mqtt:
  host: localhost
  port: $mqtt_port
  $(stack_keepalive_yaml)
  tls: {ca: ../pki/root.crt, cert: scout.crt, key: scout.key}
storage: {plugin: local, config: {root: $d/store}}
driver: {plugin: printer_mib}
$(stack_delivery_yaml)
hold_time: ${STACK_SCOUT_HOLD_TIME:-48h}
announce_retry: ${STACK_SCOUT_ANNOUNCE_RETRY:-15s}
cloud_timeout: ${STACK_SCOUT_CLOUD_TIMEOUT:-10s}
YAML
  [ -n "${STACK_SIGNED_PRINTERS:-}" ] && echo "printer_lists: printer-lists.json" >>"$d/scout.yaml"
  [ -n "${STACK_SCOUT_DELIVERY:-}" ] && printf 'delivery: %s\n' "$STACK_SCOUT_DELIVERY" >>"$d/scout.yaml"
  [ -n "${STACK_SERVE_OTHERS:-}" ] &&
    printf 'serve_others: true\ncache: {plugin: local, config: {root: %s}}\n' "$d/cache" >>"$d/scout.yaml"
  if [ ! -f "$d/scout.crt" ]; then
    local enroll
    enroll=$(stack_srctl scout enroll --kind print --name "$name" --user "$user" --json) || return 1
    "$stack_bin/sr-print-scout" enroll --config "$d/scout.yaml" \
      --token "$(echo "$enroll" | jq -r .enrollment_token)" >/dev/null || return 1
  fi
  stack_spawn "$name" "$d/log" "$stack_bin/sr-print-scout" --config "$d/scout.yaml" >"$d/out" 2>>"$d/log"
  scout_pid=$stack_last_pid
  queue_uri=$(stack_wait_line "$d/out" queue) || { cat "$d/log" >&2; return 1; }
  stack_wait_line "$d/out" broker >/dev/null # "broker connected", at any log level
  eval "queue_$name=\$queue_uri pid_$name=\$scout_pid"
  stack_log "print scout $name for $user: $queue_uri"
}

# STACK_CONSOLE_OIDC=1: the test OpenID provider (tests/oidc/provider.mjs,
# its npm packages installed) with the console's client
# securerelease-console, the cloud's identity provider, and the demo
# tenant's console_roles mapping its groups (sr-admins, sr-helpdesk,
# sr-readonly) to roles (docs/console.md). Sets $oidc_issuer.
stack_console_oidc() {
  [ "${STACK_CONSOLE_OIDC:-}" = 1 ] || return 0
  local d=$stack_dir/oidc
  mkdir -p "$d"
  cloud_port=${cloud_port:-$(stack_free_port)}
  stack_spawn oidc "$d/log" node "${BASH_SOURCE[0]%/*}/../../tests/oidc/provider.mjs" --port 0 \
    --cert "$stack_dir/pki/server.crt" --key "$stack_dir/pki/server.key" \
    --console-redirect-uri "https://localhost:$cloud_port/console/oidc/callback" \
    >"$d/out" 2>>"$d/log"
  oidc_issuer=$(stack_wait_line "$d/out" issuer) || { cat "$d/log" >&2; return 1; }
  STACK_CLOUD_IDP=${STACK_CLOUD_IDP:-"idp:
  - plugin: oidc
    config: {issuer: '$oidc_issuer', client_id: securerelease-scout,
             console_client_id: securerelease-console, ca_file: '$stack_dir/pki/root.crt'}"}
  stack_log "OpenID provider $oidc_issuer"
}

stack_start() { # DIR BIN_DIR PLUGIN_DIR
  stack_dir=$(cd "$1" && pwd) stack_bin=$(cd "$2" && pwd) stack_plugins=$(cd "$3" && pwd)
  ca_file=$stack_dir/pki/root.crt
  stack_pki "$stack_dir/pki" &&
    stack_broker &&
    stack_printer &&
    stack_console_oidc &&
    stack_cloud_config &&
    stack_cloud_start &&
    stack_tenant &&
    stack_site &&
    stack_print_scout workstation "$demo_email"
}
