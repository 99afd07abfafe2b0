#!/usr/bin/env bash
# Builds everything and runs every test twice: a normal build with warnings
# as errors, then an AddressSanitizer + UndefinedBehaviorSanitizer build.
# Installs missing Debian packages first (scripts/deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh

jobs=$(nproc 2>/dev/null || echo 2)
run_suite() {
  local dir=$1
  shift
  echo "== configure and build: $dir $*"
  cmake -S . -B "$dir" -DSR_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" --parallel "$jobs" >/dev/null
  echo "== test: $dir"
  (cd "$dir" && ctest --output-on-failure --timeout 900)
}

run_suite build -DCMAKE_BUILD_TYPE=RelWithDebInfo
# halt_on_error: the first finding fails the test; detect_leaks: leaks fail too
ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_suite build-asan -DCMAKE_BUILD_TYPE=Debug -DSR_SANITIZE=ON
echo "== all tests passed (normal and sanitizer builds)"
