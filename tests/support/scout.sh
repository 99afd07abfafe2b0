# Sourced by the shell integration tests: starts sr-print-scout in $tmp with
# a fresh site secret and local job store, and sets $uri and $scout_pid.
# QUEUE is the queue section in flow style (default {address: 127.0.0.1, port: 0});
# SCOUT_EXTRA, if set, is appended to the configuration (more YAML lines).
# usage: start_scout BIN_DIR PLUGIN_DIR TENANT [QUEUE]
start_scout() {
  local bin=$1 plugins=$2 tenant=$3 queue=${4:-}
  [ -n "$queue" ] || queue='{address: 127.0.0.1, port: 0}'
  "$bin/srctl" secret generate >"$tmp/secret" 2>/dev/null
  chmod 600 "$tmp/secret"
  cat >"$tmp/scout.yaml" <<YAML
service: print-scout
plugins:
  paths: [$plugins]
tenant: $tenant
user: alice@example.com
secret_file: secret
queue: $queue
storage:
  plugin: local
  config:
    root: $tmp/store
${SCOUT_EXTRA:-}
YAML
  run_scout "$bin"
}

# (Re)starts the scout configured in $tmp (its job store kept); sets $uri and
# $scout_pid once the queue is up.
# usage: run_scout BIN_DIR
run_scout() {
  local bin=$1
  "$bin/sr-print-scout" --config "$tmp/scout.yaml" >"$tmp/scout.out" 2>>"$tmp/scout.log" &
  scout_pid=$!
  for _ in $(seq 200); do grep -q '^queue ' "$tmp/scout.out" 2>/dev/null && break; sleep 0.05; done
  uri=$(awk '/^queue /{print $2}' "$tmp/scout.out")
  if [ -z "$uri" ]; then
    echo "the scout did not start:"
    cat "$tmp/scout.log"
    return 1
  fi
}
