#!/usr/bin/env bash
# The main job. Until the services exist it builds everything, then checks
# the example configuration and every built plugin with srctl, as an
# administrator would before starting the services.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --parallel "$(nproc 2>/dev/null || echo 2)" >/dev/null
echo "Built: build/bin/srctl and the plugins in build/plugins/"
echo

echo "== Plugins (srctl plugin inspect)"
for so in build/plugins/*.so; do
  build/bin/srctl plugin inspect "$so"
  echo
done

echo "== Example configuration (srctl config check)"
SR_PLUGIN_DIR="$PWD/build/plugins" build/bin/srctl config check config/*.yaml
