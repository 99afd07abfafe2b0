#!/usr/bin/env bash
# Builds and tests in four passes, after installing what is missing
# (scripts/deps.sh: the Debian packages of the build, the main job and the
# tests, and the npm packages of tests/oidc, tests/s3 and tests/web):
# ctest runs three tests at a time in two lanes (tests/lanes.json, the end
# of tests/CMakeLists.txt): the stock ipptool suites (mostly waiting) take
# no lane; every other test takes one, so two stack tests (mostly waiting
# too) run side by side; a test that measures time takes both.
#   1. build/       normal build, warnings as errors: the whole ctest suite
#                   with the cloud on SQLite (its database layer also on a
#                   private PostgreSQL: test_cloud_db_pg, test_pg_statements;
#                   and chaos_instances: two cloud instances behind HAProxy
#                   on PostgreSQL, and an instance, the broker, PostgreSQL
#                   and a scout failing mid-burst);
#   2. build-asan/  AddressSanitizer + UndefinedBehaviorSanitizer: the whole
#                   ctest suite again, every stack test with the cloud on
#                   PostgreSQL this time (one cluster for the pass, a
#                   database per test; a test that reads the SQLite file
#                   itself stays on SQLite), but tests that add time, not
#                   findings: run_script (label `main_job`: scripts/run.sh
#                   itself starting and stopping, a test of the script; the
#                   sanitised services run end to end in release_e2e and the
#                   other stack tests) and the stock ipptool suites
#                   (ipp_conformance, label `conformance`: 150 s, most of it
#                   their by-design wait for a held job; they share the two
#                   cores with the rest; the race a short answer of theirs once
#                   showed under ASan, issue 9, is the TSan pass's to find now,
#                   and the queue's code runs sanitised in every IPP test)
#                   and the browser tests (label `browser`: chromium drives
#                   the release page; its time is the browser's, and the
#                   services it reaches run sanitised in the other tests)
#                   and chaos_instances (label `postgresql_stack`: two
#                   clouds and their peers failing, a minute of waiting);
#   3. build-fuzz/  clang, SR_FUZZ=ON: each libFuzzer harness of tests/fuzz
#                   runs for a few seconds over a copy of its seed corpus
#                   (tests/fuzz/corpus/NAME; the repository is not written).
#                   A crash, leak, sanitizer report or timeout fails the
#                   pass. Longer runs: bench/fuzz.sh and docs/fuzzing.md.
#   4. build-tsan/  ThreadSanitizer (SR_TSAN=ON): the unit tests (ctest label
#                   `unit`) and the concurrency tests (label `concurrency`:
#                   ten IPP submissions at once, ten failing releases at
#                   once, a release while announcements hang), not the rest
#                   of the suite. The first report fails
#                   the test; tests/tsan.supp silences third-party libraries
#                   only (each line says why).
set -euo pipefail
cd "$(dirname "$0")/.."
# Debian's own programs first: the tests call python3 hundreds of times,
# and a version manager's python3 (pyenv's shim) costs a dozen shells per
# call — half of a stack test's CPU on a machine that has one; the
# packages scripts/deps.sh installs are Debian's anyway.
export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH"
./scripts/deps.sh

jobs=$(nproc 2>/dev/null || echo 2)
lanes=$PWD/tests/lanes.json
# run_suite DIR CMAKE_ARG... [-- CTEST_ARG...]
run_suite() {
  local dir=$1 configure=() select=()
  shift
  while [ $# -gt 0 ] && [ "$1" != -- ]; do configure+=("$1"); shift; done
  [ $# -gt 0 ] && shift && select=("$@")
  echo "== configure and build: $dir ${configure[*]}"
  cmake -S . -B "$dir" -DSR_WERROR=ON "${configure[@]}" >/dev/null
  cmake --build "$dir" --parallel "$jobs" >/dev/null
  echo "== test: $dir ${select[*]}"
  (cd "$dir" && ctest --output-on-failure --timeout 900 -j 3 --resource-spec-file "$lanes" "${select[@]}")
}

run_suite build -DCMAKE_BUILD_TYPE=RelWithDebInfo
# The sanitizer pass runs the stack tests with the cloud on PostgreSQL (the
# normal pass ran them on SQLite): one cluster for the pass, a database of
# its own per stack (scripts/lib/stack.sh, SR_TEST_PG); tests that read
# the SQLite file itself say STACK_DATABASE=sqlite.
# shellcheck source=scripts/lib/postgres.sh
source scripts/lib/postgres.sh
pg_start >/dev/null || { echo "test.sh: PostgreSQL did not start (scripts/deps.sh installs it)" >&2; exit 1; }
trap pg_stop EXIT
# halt_on_error: the first finding fails the test; detect_leaks: leaks fail too
SR_TEST_PG=$pg_conninfo STACK_DATABASE=postgresql \
ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_suite build-asan -DCMAKE_BUILD_TYPE=Debug -DSR_SANITIZE=ON -- -LE 'main_job|conformance|browser|postgresql_stack'
pg_stop
trap - EXIT

# the fuzz pass: about 6 s per harness, 11 harnesses, under 90 s in all
echo "== configure and build: build-fuzz (clang, SR_FUZZ=ON)"
CC=clang cmake -S . -B build-fuzz -DSR_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSR_FUZZ=ON >/dev/null
# only the harnesses (they compile in the code they reach): the services,
# plugins and tests are built and run in the passes above
fuzz_targets=()
for harness in tests/fuzz/fuzz_*.c; do fuzz_targets+=(--target "$(basename "$harness" .c)"); done
cmake --build build-fuzz --parallel "$jobs" "${fuzz_targets[@]}" >/dev/null
echo "== fuzz: build-fuzz"
./bench/fuzz.sh 6 build-fuzz

# the ThreadSanitizer pass: TSan cannot share a build with ASan (both own
# the shadow memory), so it has its own tree and runs the tests that
# exercise our threads, where a race would be
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/tests/tsan.supp" \
  run_suite build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSR_TSAN=ON -- -L 'unit|concurrency'
echo "== all tests passed (normal, sanitizer, fuzz and ThreadSanitizer builds)"
