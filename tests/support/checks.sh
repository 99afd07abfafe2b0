# Sourced by the shell integration tests: counts checks, names each failure,
# and ends with the line "N passed, M failed".
# usage: check "what is expected" COMMAND [ARGS...]; ... ; checks_done (its status is the test's)
passed=0 failed=0
check() {
  local what=$1; shift
  if "$@"; then passed=$((passed + 1)); else echo "FAIL: $what"; failed=$((failed + 1)); fi
}
# check "what" ok 'COND && COND': the whole condition counts as one check
ok() { eval "$1"; }
checks_done() { echo "$passed passed, $failed failed"; [ "$failed" = 0 ]; }
# wait_until TENTHS COMMAND...: polls COMMAND every 0.1 s, at most TENTHS
# times; true as soon as it succeeds (a positive signal, bounded)
wait_until() {
  local n=$1
  shift
  for _ in $(seq "$n"); do "$@" && return 0; sleep 0.1; done
  return 1
}
