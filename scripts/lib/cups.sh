# A private cupsd on 127.0.0.1 for tests and benchmarks (cups_client.sh,
# bench/release-latency): its own ServerRoot, spool, cache, state and logs
# under a temporary directory and its own port; never the machine's CUPS. Source it after scripts/lib/stack.sh
# (for stack_spawn, stack_free_port, stack_wait_listen).
#
# cups_start: starts cupsd in the foreground in its own process group
# (stopped with the stack by stack_stop) in a new directory $cups_dir (the
# caller removes it) and sets $cups_host (127.0.0.1:PORT) for the clients'
# -h option. As root cupsd runs filters and backends as `lp`, which must be
# able to walk to the spool and the PPDs: the directory is a 0755 one of its
# own in /tmp, not inside the stack's private (0700) directory.
cups_start() {
  cups_dir=$(mktemp -d /tmp/sr-cups-XXXXXX) || return 1
  mkdir -p "$cups_dir"/{spool/tmp,cache,state,log}
  chmod 0755 "$cups_dir" "$cups_dir"/{spool,spool/tmp,cache,state,log}
  cups_port=$(stack_free_port)
  local d=$cups_dir
  cat >"$d/cups-files.conf" <<CONF
User lp
Group lp
ServerRoot $d
RequestRoot $d/spool
TempDir $d/spool/tmp
CacheDir $d/cache
StateDir $d/state
AccessLog $d/log/access_log
ErrorLog $d/log/error_log
PageLog $d/log/page_log
Printcap $d/printcap
FileDevice No
Sandboxing Relaxed
CONF
  cat >"$d/cupsd.conf" <<CONF
LogLevel ${CUPS_LOG_LEVEL:-info}
Listen 127.0.0.1:$cups_port
WebInterface No
Browsing No
DefaultAuthType None
DefaultShared No
MaxJobs 0
PreserveJobHistory Yes
<Location />
  Order allow,deny
  Allow 127.0.0.1
</Location>
<Policy default>
  JobPrivateAccess default
  JobPrivateValues default
  <Limit All>
    Order deny,allow
    Allow all
  </Limit>
</Policy>
CONF
  stack_spawn cupsd "$d/log/cupsd.out" cupsd -f -c "$d/cupsd.conf" -s "$d/cups-files.conf" \
    >"$d/log/cupsd.out" 2>&1
  cups_host=127.0.0.1:$cups_port
  stack_wait_listen "$cups_port" || { cat "$d/log/cupsd.out" "$d/log/error_log" >&2 2>/dev/null; return 1; }
}

# The CUPS job ids of QUEUE in state WHICH (not-completed, completed), one a line.
cups_jobs() { # QUEUE WHICH
  lpstat -h "$cups_host" -W "$2" -o "$1" 2>/dev/null | awk '{ n = split($1, p, "-"); print p[n] }'
}
