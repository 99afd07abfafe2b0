# Sourced by the integration tests that run ipptool as other local accounts
# (through runuser, so they need root).
# users_setup SRC NAME ACCOUNT... checks root and the accounts (or ends the
# test as failed), makes $tmp (removed at exit, the processes in $pids
# stopped first), and copies the test document and the ipptool files into
# $tmp/pub, which the other accounts may read ($doc, $t) though they list
# nothing in $tmp: the scout's secret, store and configuration stay root's.
users_setup() {
  local src=$1 name=$2 account
  shift 2
  for account in "$@"; do
    if [ "$(id -u)" != 0 ] || ! id "$account" >/dev/null 2>&1; then
      echo "needs root and the accounts $*"
      echo "0 passed, 1 failed"
      exit 1
    fi
  done
  tmp=$(mktemp -d "/tmp/sr-test-$name-XXXXXX")
  pids=()
  trap users_cleanup EXIT
  chmod 711 "$tmp"
  mkdir -m 755 "$tmp/pub"
  cp "$src/tests/data/three-pages.pdf" "$src"/tests/data/ipp/*.test "$tmp/pub/"
  chmod 644 "$tmp"/pub/*
  doc=$tmp/pub/three-pages.pdf
  t=$tmp/pub
}

users_cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  rm -rf "$tmp"
}

# as ACCOUNT (root: "-"), runs ipptool -t with the rest of the arguments
as() {
  local who=$1
  shift
  if [ "$who" = - ]; then ipptool -t -T 10 "$@"; else runuser -u "$who" -- ipptool -t -T 10 "$@"; fi
}
