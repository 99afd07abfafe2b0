# The opening of the end-to-end tests that run the whole stack
# (scripts/lib/stack.sh). After `set -u` and setting $src:
#   source "$src/tests/support/stack_test.sh" NAME
# Sets $tmp (a new /tmp/sr-test-NAME-XXXXXX), exports STACK_QUIET, sources
# stack.sh and tests/support/checks.sh, and traps EXIT: first the test's own
# cleanup_more if it defines one (say, SIGCONT to a peer it stopped), then
# stack_stop, then removes $tmp unless KEEP is set (to look at the logs).
# Sourced at the top level, never from a function: the globals that stack.sh
# and checks.sh declare would be local to that function.
tmp=$(mktemp -d "/tmp/sr-test-$1-XXXXXX")
export STACK_QUIET=1
source "$src/scripts/lib/stack.sh"
source "$src/tests/support/checks.sh"
stack_test_cleanup() {
  if declare -F cleanup_more >/dev/null; then cleanup_more; fi
  stack_stop
  [ -n "${KEEP:-}" ] || rm -rf "$tmp"
}
trap stack_test_cleanup EXIT
