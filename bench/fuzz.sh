#!/usr/bin/env bash
# Runs the libFuzzer harnesses of tests/fuzz (built with SR_FUZZ=ON):
#   bench/fuzz.sh SECONDS [BUILD_DIR [NAME...]]
# Each harness (all of them, or the NAMEs: ipp, config, ...) runs for
# SECONDS over a copy of its seed corpus tests/fuzz/corpus/NAME, so the
# repository is never written. scripts/test.sh runs it with 6 seconds; a
# longer run is the same command with more (docs/fuzzing.md). A finding
# stops the run with libFuzzer's report, and its input is kept in
# BUILD_DIR/fuzz-findings/NAME/ (crash-*, leak-*, timeout-*): minimise it,
# fix the code and add it to the corpus as a regression input.
# SR_FUZZ_KEEP=DIR keeps each grown corpus in DIR/NAME for the next run.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:?usage: bench/fuzz.sh SECONDS [BUILD_DIR [NAME...]]}
build=${2:-build-fuzz}
shift $(($# < 2 ? $# : 2))
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for d in tests/fuzz/corpus/*/; do names+=("$(basename "$d")"); done
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
start=$SECONDS
for name in "${names[@]}"; do
  bin=$build/fuzz/fuzz_$name
  [ -x "$bin" ] || { echo "fuzz.sh: no harness $bin (build with -DSR_FUZZ=ON)" >&2; exit 1; }
  corpus=$work/$name
  mkdir -p "$corpus" "$work/findings-$name"
  if [ -n "${SR_FUZZ_KEEP:-}" ] && [ -d "$SR_FUZZ_KEEP/$name" ]; then
    cp -r "$SR_FUZZ_KEEP/$name/." "$corpus/"
  fi
  cp tests/fuzz/corpus/"$name"/* "$corpus/"
  # the words a harness's parser looks for (tests/fuzz/dict): mutations
  # reach past the first checks much sooner with them
  case $name in
    ipp | config) dict=(-dict="tests/fuzz/dict/$name.dict") ;;
    cloud_body | discovery | panel_body | release_cmd | release_evt | job_info) dict=(-dict=tests/fuzz/dict/json.dict) ;;
    *) dict=() ;;
  esac
  log=$work/$name.log
  t0=$SECONDS
  # -timeout: one input may take 5 s; -rss_limit_mb: memory per process;
  # detect_leaks: a leak is a finding too
  if ! ASAN_OPTIONS=detect_leaks=1 "$bin" -max_total_time="$seconds" -timeout=5 \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/findings-$name/" \
      "${dict[@]}" "$corpus" >"$log" 2>&1; then
    mkdir -p "$build/fuzz-findings/$name"
    cp "$work/findings-$name"/* "$build/fuzz-findings/$name/" 2>/dev/null || true
    tail -n 60 "$log" >&2
    echo "fuzz.sh: $name found a problem; its input is in $build/fuzz-findings/$name/" >&2
    exit 1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  echo "fuzz $name: ${runs:-?} runs in $((SECONDS - t0)) s, no finding"
  if [ -n "${SR_FUZZ_KEEP:-}" ]; then
    mkdir -p "$SR_FUZZ_KEEP/$name"
    cp -r "$corpus/." "$SR_FUZZ_KEEP/$name/"
  fi
done
echo "fuzz: ${#names[@]} harnesses in $((SECONDS - start)) s"
