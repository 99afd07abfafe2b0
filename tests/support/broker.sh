# Sourced by the shell tests that play the cloud over MQTT: free_port,
# wait_listen, and start_broker, which makes the tenant's throw-away PKI in
# $tmp/pki (tests/support/make-mqtt-certs.sh) and starts mosquitto on
# 127.0.0.1 with per-scout ACLs (the cloud may use all of sr/v1/#, a scout
# only its own topics). Sets $mport, and appends the broker to $pids.
# usage: start_broker SOURCE_DIR   (sets cloud=(...), the cloud's mosquitto_pub/sub options)
free_port() { python3 "${BASH_SOURCE[0]%/*}/../../scripts/lib/free_port.py" $$; }
wait_listen() { for _ in $(seq 200); do ss -ltnH "sport = :$1" | grep -q . && return 0; sleep 0.05; done; return 1; }
start_broker() {
  local src=$1
  mkdir -p "$tmp/pki"
  "$src/tests/support/make-mqtt-certs.sh" "$tmp/pki"
  mport=$(free_port)
  cat >"$tmp/mosquitto.conf" <<CONF
user root
per_listener_settings false
allow_anonymous false
persistence false
set_tcp_nodelay true
listener $mport 127.0.0.1
cafile $tmp/pki/ca.crt
certfile $tmp/pki/localhost.crt
keyfile $tmp/pki/localhost.key
require_certificate true
use_identity_as_username true
acl_file $tmp/acl
CONF
  printf 'user cloud\ntopic readwrite sr/v1/#\n\npattern readwrite sr/v1/t1/scouts/%%u/#\n' >"$tmp/acl"
  mosquitto -c "$tmp/mosquitto.conf" >"$tmp/mosquitto.log" 2>&1 &
  pids+=($!)
  wait_listen "$mport" || { echo "mosquitto did not start"; cat "$tmp/mosquitto.log"; return 1; }
  # mosquitto_pub/sub options of the cloud (CN=cloud)
  cloud=(--cafile "$tmp/pki/ca.crt" --cert "$tmp/pki/cloud.crt" --key "$tmp/pki/cloud.key" -h localhost -p "$mport" -V mqttv5 -q 1)
}

# The configuration lines that register scout ID (scout-a or scout-b, whose
# certificates make-mqtt-certs.sh made) with this broker.
# usage: scout_mqtt_config ID
scout_mqtt_config() {
  cat <<YAML
scout_id: $1
mqtt:
  host: localhost
  port: $mport
  keepalive: 10s
  tls: {ca: pki/ca.crt, cert: pki/$1.crt, key: pki/$1.key}
YAML
}
