#!/usr/bin/env bash
# Two local users of one workstation share sr-print-scout's queue. The queue
# learns who prints from the operating system (the client socket's owner,
# over loopback TCP, IPv6 and a Unix socket), not from requesting-user-name:
# a user cannot print as another, see another's job titles or delete
# another's job; the OS's spoolers (root, lp) are believed when they name the
# user. The scout runs as root; only ipptool runs as the two users `nobody`
# and `daemon` (runuser), so the test needs root.
# usage: workstation_users.sh BIN_DIR PLUGIN_DIR SOURCE_DIR
set -u
bin=$1 plugins=$2 src=$3
source "$src/tests/support/checks.sh"
source "$src/tests/support/users.sh"
users_setup "$src" users nobody daemon lp

source "$src/tests/support/scout.sh"
start_scout "$bin" "$plugins" users-test "{address: 127.0.0.1, port: 0, socket: $t/queue.sock}" ||
  { echo "0 passed, 1 failed"; exit 1; }
pids+=("$scout_pid")

# as `as`, its report shown only when it fails (for checks)
q_as() { as "$@" >"$tmp/last.txt" || { cat "$tmp/last.txt"; return 1; }; }
# prints a job as ACCOUNT claiming to be CLAIM, titled TITLE, to QUEUE; echoes its id
print_as() {
  as "$1" -f "$doc" -d claim="$2" -d title="$3" "$4" "$t/users-print.test" >"$tmp/print.txt" &&
    awk '/job-id \(integer\) = /{print $NF}' "$tmp/print.txt"
}
# the job's attributes as ACCOUNT sees them (held job: state 4), verbose
job_as() { as "$1" -v -d job="$2" -d state="${4:-4}" "${3:-$uri}" "$t/job-state.test"; }
# the owner of job JOB on QUEUE, as the administrator (root) sees it
owner_of() {
  job_as - "$1" "${2:-$uri}" | awk -F' = ' '/job-originating-user-name \(/{print $2}'
}
in_log() { grep -qF "$1" "$tmp/scout.log"; }
store_files() { find "$tmp/store/jobs" -name '*.srjob' 2>/dev/null | wc -l; }

# 1. user A (nobody) prints claiming to be user B (daemon): A owns the job
a_job=$(print_as nobody daemon "A's salary review" "$uri")
check "nobody's Print-Job is held" [ -n "$a_job" ]
check "the job is nobody's, whatever requesting-user-name said" [ "$(owner_of "$a_job")" = nobody ]
check "the log names the account the system gave" in_log "job $a_job from the local account nobody"

# 2. user B lists the queue: A's job is there, without its title or owner
as daemon -v -d claim=nobody -d job="$a_job" "$uri" "$t/users-get-jobs.test" >"$tmp/b-jobs.txt"
check "daemon's Get-Jobs lists job $a_job" grep -q '\[PASS\]' "$tmp/b-jobs.txt"
check "daemon's Get-Jobs does not show nobody's job title" \
  bash -c "! grep -q 'salary review' '$tmp/b-jobs.txt'"
check "daemon's Get-Jobs does not show the owner" \
  bash -c "! grep -q 'job-originating-user-name' '$tmp/b-jobs.txt'"
job_as daemon "$a_job" >"$tmp/b-job.txt"
check "daemon's Get-Job-Attributes sees the job's state" grep -q '\[PASS\]' "$tmp/b-job.txt"
check "daemon's Get-Job-Attributes does not show its title" \
  bash -c "! grep -qE 'salary review|job-name' '$tmp/b-job.txt'"

# 3. user B cannot delete it, even naming A as requesting-user-name
check "daemon's Cancel-Job of nobody's job: client-error-not-authorized" \
  q_as daemon -d claim=nobody -d job="$a_job" "$uri" "$t/users-cancel-refused.test"
job_as nobody "$a_job" >"$tmp/a-job.txt"
check "the job is still held afterwards (nobody's Get-Job-Attributes)" grep -q '\[PASS\]' "$tmp/a-job.txt"
check "its owner sees its title" grep -q "job-name (nameWithoutLanguage) = A's salary review" \
  "$tmp/a-job.txt"
check "its job file is still in the store" [ "$(store_files)" = 1 ]
check "the refusal is logged" in_log "job $a_job: daemon (account daemon) may not change"

# 4. the owner's jobs survive a restart, still the owner's (the job file
# records the login)
kill "$scout_pid"; wait "$scout_pid"
check "the scout stops cleanly on SIGTERM" [ $? = 0 ]
run_scout "$bin" || { echo "$passed passed, $((failed + 1)) failed"; exit 1; }
pids+=("$scout_pid")
check "after a restart the recovered job is still nobody's" [ "$(owner_of 1)" = nobody ]
check "after a restart daemon still cannot delete it" \
  q_as daemon -d claim=nobody -d job=1 "$uri" "$t/users-cancel-refused.test"
check "user A deletes its own job" q_as nobody -d job=1 "$uri" "$t/cancel-job.test"
check "the log says its owner deleted it" in_log "job 1 deleted by its owner nobody"
check "its job file is gone" [ "$(store_files)" = 0 ]

# 5. the OS's spoolers are believed: root and lp forward their user's name
r_job=$(print_as - alice "forwarded by root" "$uri")
check "root (a trusted spooler) prints for alice: alice owns it" [ "$(owner_of "$r_job")" = alice ]
l_job=$(print_as lp carol "forwarded by lp" "$uri")
check "lp (a trusted spooler) prints for carol: carol owns it" [ "$(owner_of "$l_job")" = carol ]
check "lp acting for carol sees carol's title" \
  bash -c "runuser -u lp -- ipptool -t -v -T 10 -d claim=carol -d job=$l_job '$uri' '$t/users-get-jobs.test' | grep -q 'job-name (nameWithoutLanguage) = forwarded by lp'"
check "daemon cannot delete alice's job by claiming to be alice" \
  q_as daemon -d claim=alice -d job="$r_job" "$uri" "$t/users-cancel-refused.test"
check "root, the administrator, deletes alice's job" q_as - -d job="$r_job" "$uri" "$t/cancel-job.test"
check "the log names the administrator" in_log "job $r_job of alice deleted by the administrator root"

# 6. the Unix-domain socket: the account comes from SO_PEERCRED
sock_uri="ipp://$(printf %s "$t/queue.sock" | sed 's|/|%2F|g')/ipp/print"
u_job=$(print_as nobody daemon "through the socket" "$sock_uri")
check "nobody prints through the Unix socket" [ -n "$u_job" ]
check "the socket's job is nobody's" [ "$(owner_of "$u_job")" = nobody ]

# 7. IPv6 loopback: a second queue on ::1
kill "$scout_pid"; wait "$scout_pid"
check "the restarted scout stops cleanly too" [ $? = 0 ]
mkdir "$tmp/v6" && tmp4=$tmp && tmp=$tmp4/v6
check "the ::1 scout starts" start_scout "$bin" "$plugins" users-test6 "{address: '::1', port: 0}"
pids+=("$scout_pid")
tmp=$tmp4
v6_job=$(print_as nobody daemon "over IPv6" "$uri")
check "nobody prints over ::1" [ -n "$v6_job" ]
check "the IPv6 job is nobody's" [ "$(owner_of "$v6_job" "$uri")" = nobody ]
check "daemon cannot delete it over ::1" \
  q_as daemon -d claim=nobody -d job="$v6_job" "$uri" "$t/users-cancel-refused.test"
kill "$scout_pid"; wait "$scout_pid"
check "the ::1 scout stops cleanly" [ $? = 0 ]
checks_done
