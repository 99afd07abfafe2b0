#!/usr/bin/env bash
# The main job: builds everything, checks the example configuration and every
# built plugin with srctl, then runs sr-print-scout's queue on loopback until
# Ctrl-C. (The cloud, the device scout and release at a printer come next:
# see docs/ARCHITECTURE.md.)
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --parallel "$(nproc 2>/dev/null || echo 2)" >/dev/null
echo "Built: build/bin/srctl, build/bin/sr-print-scout and the plugins in build/plugins/"
echo

echo "== Plugins (srctl plugin inspect)"
for so in build/plugins/*.so; do
  build/bin/srctl plugin inspect "$so"
  echo
done

echo "== Example configuration (srctl config check)"
SR_PLUGIN_DIR="$PWD/build/plugins" build/bin/srctl config check config/*.yaml
echo

# A demo print scout in .run/: its own site secret and job store.
run=$PWD/.run
mkdir -p "$run"
if [ ! -s "$run/site-secret" ]; then
  build/bin/srctl secret generate >"$run/site-secret" 2>/dev/null
  chmod 600 "$run/site-secret"
fi
cat >"$run/print-scout.yaml" <<YAML
service: print-scout
plugins:
  paths: ["$PWD/build/plugins"]
tenant: demo
user: demo@example.com
secret_file: site-secret
queue:
  address: 127.0.0.1
  port: ${SR_QUEUE_PORT:-8631}
storage:
  plugin: local
  config:
    root: $run/jobs
YAML
build/bin/sr-print-scout --config "$run/print-scout.yaml" >"$run/print-scout.out" 2>"$run/print-scout.log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; echo; echo "stopped"' EXIT INT TERM
for _ in $(seq 100); do grep -q '^queue ' "$run/print-scout.out" 2>/dev/null && break; sleep 0.1; done
uri=$(awk '/^queue /{print $2}' "$run/print-scout.out")
if [ -z "$uri" ]; then
  echo "sr-print-scout did not start:"
  cat "$run/print-scout.log"
  exit 1
fi
cat <<TEXT
== sr-print-scout is running
Queue to add in your OS:  $uri
  CUPS:  lpadmin -p SecureRelease -E -v $uri -m everywhere
  then:  lp -d SecureRelease document.pdf
Held jobs (encrypted):    $run/jobs/jobs/
Show one:                 build/bin/srctl job show FILE --secret-file $run/site-secret --tenant demo
Log:                      $run/print-scout.log
Ctrl-C stops it.
TEXT
wait $pid
