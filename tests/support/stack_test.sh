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

# Adds release device NAME: the stack's printer, whose status comes from an
# snmpd of its own that reports it down with "no paper" (hrPrinterDetected
# ErrorState bit 0x40), so a release there fails before any byte is sent.
stack_device_no_paper() { # NAME
  local port
  port=$(stack_free_port)
  cat >"$tmp/$1-snmpd.conf" <<CONF
agentaddress udp:127.0.0.1:$port
rocommunity public 127.0.0.1
override .1.3.6.1.2.1.25.3.2.1.5.1 integer 5
override .1.3.6.1.2.1.25.3.5.1.1.1 integer 1
override .1.3.6.1.2.1.25.3.5.1.2.1 octet_str 0x4000
CONF
  SNMP_PERSISTENT_DIR=$tmp MIBS= snmpd -C -c "$tmp/$1-snmpd.conf" -I -smux -Lf "$tmp/$1-snmpd.log" -f &
  stack_pids+=($!)
  stack_srctl device add "$1" --uri "ipps://localhost:$printer_port/ipp/print" \
    --snmp "127.0.0.1:$port" >/dev/null
}

# What reached the stack's printer, in the order it took the jobs
# (ippeveprinter numbers its spool files by job id): each file named by the
# document of DOCS_DIR (NAME.pdf) it is byte-identical to, or "unknown".
stack_printed_docs() { # DOCS_DIR
  local f d name out=()
  while read -r _ f; do
    name=unknown
    for d in "$1"/*.pdf; do cmp -s "$d" "$f" && name=$(basename "$d" .pdf) && break; done
    out+=("$name")
  done < <(find "$spool_dir" -name '*.pdf' -printf '%f %p\n' | sort -n)
  echo "${out[*]}"
}

# Enrolls and starts another site service beside the stack's, from
# DIR/site.yaml with enrollment TOKEN; its log in DIR/log. Sets
# $extra_site_url (https://localhost:PORT, as the stack's $panel_url), empty
# if it did not start. Not in $(...): stack_spawn must record the process.
stack_extra_site() { # NAME DIR TOKEN
  "$stack_bin/sr-device-scout" enroll --config "$2/site.yaml" --token "$3" >/dev/null
  stack_spawn "$1" "$2/log" "$stack_bin/sr-device-scout" --config "$2/site.yaml" \
    >"$2/out" 2>>"$2/log"
  extra_site_url=$(stack_wait_line "$2/out" panel)
  extra_site_url=${extra_site_url/127.0.0.1/localhost}
}
