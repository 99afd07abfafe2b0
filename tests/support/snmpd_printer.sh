# Real snmpd agents playing printers (and one thing that is no printer) on
# loopback addresses, for discovery, driver and monitoring tests. Source it.
#
#   snmpd_dir=DIR                 where configurations, values and logs go
#                                 (default: $tmp)
#   snmpd_printer_values NAME [N] a default values file for printer NAME on
#                                 stdout; N (a number) makes its meters and
#                                 levels differ from other printers'
#   snmpd_printer_start NAME ADDRESS PORT [VALUES_FILE]
#                                 a v1/v2c printer (community "public") on
#                                 udp ADDRESS:PORT; without VALUES_FILE it
#                                 writes $snmpd_dir/NAME.values
#   snmpd_v3_printer_start NAME ADDRESS PORT USER AUTHPASS PRIVPASS [VALUES_FILE]
#                                 the same, answering only SNMPv3 authPriv
#                                 (SHA, AES) as USER
#   snmpd_plain_start NAME ADDRESS PORT
#                                 an agent with no Printer MIB (a router)
#   snmpd_received NAME           how many requests agent NAME logged
#   snmpd_stop_all
#
# Values: `OID TYPE VALUE` lines (TYPE: integer, gauge, counter, counter64,
# timeticks, ipaddress, objectid, string, octet as hex bytes "40 00").
# sysDescr (.1.3.6.1.2.1.1.1.0) and sysObjectID (.1.3.6.1.2.1.1.2.0) are
# read once at start. Everything under the Printer MIB (.1.3.6.1.2.1.43),
# HOST-RESOURCES devices (.1.3.6.1.2.1.25.3) and any enterprise subtree in
# the file (.1.3.6.1.4.1.N) is served by snmp_values.py, which reads the
# file again on every request: rewrite it (write a copy, then mv) and the
# printer reports the new value at once. snmpd logs every request it
# receives ("Connection from UDP: ...") to $snmpd_dir/NAME.log.

snmpd_support_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
snmpd_pids=()

snmpd_printer_values() { # NAME [N]
  local name=$1 n=${2:-1}
  cat <<VALUES
.1.3.6.1.2.1.1.1.0 string Example LaserJet $name
.1.3.6.1.2.1.1.2.0 objectid .1.3.6.1.4.1.11.2.3.9.1
.1.3.6.1.2.1.25.3.2.1.2.1 objectid .1.3.6.1.2.1.25.3.1.5
.1.3.6.1.2.1.25.3.2.1.3.1 string Example LaserJet $name
.1.3.6.1.2.1.25.3.2.1.5.1 integer 2
.1.3.6.1.2.1.25.3.5.1.1.1 integer 3
.1.3.6.1.2.1.25.3.5.1.2.1 octet 00
.1.3.6.1.2.1.43.5.1.1.16.1 string $name
.1.3.6.1.2.1.43.5.1.1.17.1 string SN-$name
.1.3.6.1.2.1.43.10.2.1.4.1.1 counter $((1000 + n * 37))
.1.3.6.1.2.1.43.11.1.1.3.1.1 integer 1
.1.3.6.1.2.1.43.11.1.1.3.1.2 integer 2
.1.3.6.1.2.1.43.11.1.1.4.1.1 integer 3
.1.3.6.1.2.1.43.11.1.1.4.1.2 integer 3
.1.3.6.1.2.1.43.11.1.1.5.1.1 integer 3
.1.3.6.1.2.1.43.11.1.1.5.1.2 integer 3
.1.3.6.1.2.1.43.11.1.1.6.1.1 string Black Toner
.1.3.6.1.2.1.43.11.1.1.6.1.2 string Cyan Toner
.1.3.6.1.2.1.43.11.1.1.7.1.1 integer 19
.1.3.6.1.2.1.43.11.1.1.7.1.2 integer 19
.1.3.6.1.2.1.43.11.1.1.8.1.1 integer 100
.1.3.6.1.2.1.43.11.1.1.8.1.2 integer 100
.1.3.6.1.2.1.43.11.1.1.9.1.1 integer $((90 - n % 50))
.1.3.6.1.2.1.43.11.1.1.9.1.2 integer $((60 - n % 40))
.1.3.6.1.2.1.43.12.1.1.4.1.1 string black
.1.3.6.1.2.1.43.12.1.1.4.1.2 string cyan
VALUES
}

# Writes NAME's snmpd.conf: the common part, then the lines given on stdin.
snmpd_write_conf() { # NAME ADDRESS PORT
  local dir=${snmpd_dir:-$tmp}
  {
    echo "agentaddress udp:$2:$3"
    cat
  } >"$dir/$1.conf"
}

# The pass_persist lines for the subtrees in VALUES_FILE, and its
# sysDescr/sysObjectID as snmpd settings.
snmpd_printer_conf_lines() { # VALUES_FILE
  local values=$1 descr oid subtree
  descr=$(awk '$1 == ".1.3.6.1.2.1.1.1.0" { $1 = ""; $2 = ""; sub(/^  /, ""); print }' "$values")
  oid=$(awk '$1 == ".1.3.6.1.2.1.1.2.0" { print $3 }' "$values")
  [ -n "$descr" ] && echo "sysdescr $descr"
  [ -n "$oid" ] && echo "sysobjectid $oid"
  for subtree in $( (echo .1.3.6.1.2.1.43 .1.3.6.1.2.1.25.3
    awk '$1 ~ /^\.1\.3\.6\.1\.4\.1\./ { split($1, p, "."); print ".1.3.6.1.4.1." p[8] }' "$values") |
    tr ' ' '\n' | sort -u); do
    echo "pass_persist $subtree /usr/bin/python3 $snmpd_support_dir/snmp_values.py $values $subtree"
  done
}

# Starts the agent NAME whose configuration is written and waits until it
# is up (it logs its version once it listens), at most 10 s.
snmpd_launch() { # NAME
  local dir=${snmpd_dir:-$tmp} name=$1 i
  mkdir -p "$dir/$name.state"
  # -I -...: the agent's own host-resources devices would hide the
  # printer's; -smux: no TCP 199 listener.
  SNMP_PERSISTENT_DIR="$dir/$name.state" MIBS= snmpd -C -c "$dir/$name.conf" \
    -I -smux,hr_device,hr_print,hr_disk,hr_network,hr_proc,hr_partition,hr_other \
    -Lf "$dir/$name.log" -f -p "$dir/$name.pid" &
  snmpd_pids+=($!)
  for i in $(seq 200); do
    grep -q "NET-SNMP version" "$dir/$name.log" 2>/dev/null && return 0
    kill -0 "${snmpd_pids[-1]}" 2>/dev/null || break
    sleep 0.05
  done
  echo "snmpd $name did not start; its log:" >&2
  cat "$dir/$name.log" >&2 2>/dev/null
  return 1
}

snmpd_printer_start() { # NAME ADDRESS PORT [VALUES_FILE]
  local dir=${snmpd_dir:-$tmp} values=${4:-}
  if [ -z "$values" ]; then
    values="$dir/$1.values"
    snmpd_printer_values "$1" >"$values"
  fi
  {
    echo "rocommunity public 127.0.0.0/8"
    snmpd_printer_conf_lines "$values"
  } | snmpd_write_conf "$1" "$2" "$3"
  snmpd_launch "$1"
}

snmpd_v3_printer_start() { # NAME ADDRESS PORT USER AUTHPASS PRIVPASS [VALUES_FILE]
  local dir=${snmpd_dir:-$tmp} values=${7:-}
  if [ -z "$values" ]; then
    values="$dir/$1.values"
    snmpd_printer_values "$1" >"$values"
  fi
  {
    echo "createUser $4 SHA \"$5\" AES \"$6\""
    echo "rouser $4 priv"
    snmpd_printer_conf_lines "$values"
  } | snmpd_write_conf "$1" "$2" "$3"
  snmpd_launch "$1"
}

snmpd_plain_start() { # NAME ADDRESS PORT
  {
    echo "rocommunity public 127.0.0.0/8"
    echo "sysdescr Linux router $1 5.10.0 x86_64"
    echo "sysobjectid .1.3.6.1.4.1.8072.3.2.10"
  } | snmpd_write_conf "$1" "$2" "$3"
  snmpd_launch "$1"
}

snmpd_received() { # NAME
  grep -c "Connection from UDP" "${snmpd_dir:-$tmp}/$1.log" 2>/dev/null || true
}

snmpd_stop_all() {
  local pid
  for pid in "${snmpd_pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${snmpd_pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  snmpd_pids=()
}
