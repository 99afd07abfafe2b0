#!/usr/bin/env bash
# Builds and tests in three passes, after installing missing Debian packages
# (scripts/deps.sh):
#   1. build/       normal build, warnings as errors: the whole ctest suite;
#   2. build-asan/  AddressSanitizer + UndefinedBehaviorSanitizer: the whole
#                   ctest suite again;
#   3. build-fuzz/  clang, SR_FUZZ=ON: each libFuzzer harness of tests/fuzz
#                   runs for a few seconds over a copy of its seed corpus
#                   (tests/fuzz/corpus/NAME; the repository is not written).
#                   A crash, leak, sanitizer report or timeout fails the
#                   pass. Longer runs: bench/fuzz.sh and docs/fuzzing.md.
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

# the fuzz pass: about 8 s per harness, under two minutes in all
echo "== configure and build: build-fuzz (clang, SR_FUZZ=ON)"
CC=clang cmake -S . -B build-fuzz -DSR_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSR_FUZZ=ON >/dev/null
cmake --build build-fuzz --parallel "$jobs" >/dev/null
echo "== fuzz: build-fuzz"
./bench/fuzz.sh 8 build-fuzz
echo "== all tests passed (normal, sanitizer and fuzz builds)"
