#!/usr/bin/env bash
# The device drivers against real agents on loopback (issue 12):
# 1. printer_mib on an snmpd printer with alerts, supplies and the PWG
#    Imaging System Counter MIB: identity (serial from the probe), status,
#    alerts with their PWG reasons, supplies with colour/capacity/unit,
#    meters by colour, sheets and two-sided; a changed value reads at once.
# 2. a printer without the counter MIB: prtMarkerLifeCount alone.
# 3. an agent answering nonsense (text for numbers, huge numbers, unknown
#    codes, a long description, a colorant row that is missing): read
#    without a crash (the ASan pass runs this too), unknowns as unknown.
# 4. an agent with no Printer MIB: no driver claims it.
# 5. ipp_printer on ippeveprinter: identity from printer-device-id (or
#    printer-uuid), the supplies and reasons the printer's own forms set,
#    marker-* on an older printer, meters; ipps; a printer gone, and one
#    that never answers (timeout_ms holds).
# 6. srctl plugin inspect lists what each driver reads.
# usage: device_drivers.sh DEVICE_READ_TOOL PLUGIN_DIR SOURCE_DIR SRCTL
set -u
tool=$1 plugins=$2 src=$3 srctl=$4
tmp=$(mktemp -d)
source "$src/tests/support/checks.sh"
source "$src/tests/support/snmpd_printer.sh"
snmpd_dir=$tmp
dbus_pid= printer_pids=()
cleanup() {
  snmpd_stop_all
  local pid
  for pid in "${printer_pids[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  [ -n "$dbus_pid" ] && kill "$dbus_pid" 2>/dev/null && wait "$dbus_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

# A loopback address and UDP port of our own (other tests run beside us).
net=$((RANDOM % 200 + 20))
port=$((20000 + RANDOM % 20000))
addr() { echo "127.0.$net.$1"; }

read_device() { "$tool" -p "$plugins" "$@" 2>"$tmp/read.err"; }
has() { grep -qxF -- "$2" <<<"$1" || { echo "  missing: $2"; echo "$1" | sed 's/^/  | /'; false; }; }
has_re() { grep -qE -- "$2" <<<"$1" || { echo "  no line matching: $2"; echo "$1" | sed 's/^/  | /'; false; }; }

# --- 1. a printer with alerts, supplies and the PWG counter MIB ----------
ic=.1.3.6.1.4.1.2699.1.3.1
{
  snmpd_printer_values full 3
  cat <<VALUES
.1.3.6.1.2.1.25.3.5.1.2.1 octet 40 00
.1.3.6.1.2.1.43.11.1.1.8.1.2 integer 2000
.1.3.6.1.2.1.43.11.1.1.9.1.2 integer 500
.1.3.6.1.2.1.43.11.1.1.7.1.2 integer 7
.1.3.6.1.2.1.43.18.1.1.2.1.1 integer 3
.1.3.6.1.2.1.43.18.1.1.4.1.1 integer 8
.1.3.6.1.2.1.43.18.1.1.7.1.1 integer 808
.1.3.6.1.2.1.43.18.1.1.8.1.1 string Tray 2 empty
.1.3.6.1.2.1.43.18.1.1.2.1.2 integer 4
.1.3.6.1.2.1.43.18.1.1.4.1.2 integer 11
.1.3.6.1.2.1.43.18.1.1.7.1.2 integer 1104
.1.3.6.1.2.1.43.18.1.1.8.1.2 string Cyan toner low
.1.3.6.1.2.1.43.18.1.1.2.1.3 integer 3
.1.3.6.1.2.1.43.18.1.1.4.1.3 integer 6
.1.3.6.1.2.1.43.18.1.1.7.1.3 integer 3
.1.3.6.1.2.1.43.18.1.1.8.1.3 string Front cover open
$ic.2.1.1.2.1 integer 11
$ic.2.1.1.2.2 integer 3
$ic.8.1.1.4.2.3.3 counter 5100
$ic.8.1.1.5.2.3.3 counter 4000
$ic.8.1.1.7.2.3.3 counter 1100
$ic.9.1.1.4.2.3.3 counter 1200
$ic.10.1.1.4.2.3.3 counter 4500
$ic.8.1.1.4.1.3.3 counter 77
VALUES
} >"$tmp/full.values"
snmpd_printer_start full "$(addr 1)" "$port" "$tmp/full.values" || exit 1
out=$(read_device -d printer_mib -d ipp_printer -s "$(addr 1):$port")
check "printer_mib identifies the SNMP printer" has "$out" "driver: printer_mib"
check "the vendor from sysObjectID" has "$out" "vendor: HP"
check "the model from hrDeviceDescr" has "$out" "model: Example LaserJet full"
check "the serial read by discovery" has "$out" "serial: SN-full"
check "no paper stops the printer" has_re "$out" "^status: state=4 alerts=0x1 message=no paper$"
check "the input alert with its PWG reason" \
  has "$out" "alert: severity=3 group=input code=808 reason=media-empty description=Tray 2 empty"
check "the toner alert" \
  has "$out" "alert: severity=4 group=markerSupplies code=1104 reason=toner-low description=Cyan toner low"
check "the cover alert" \
  has "$out" "alert: severity=3 group=cover code=3 reason=cover-open description=Front cover open"
check "three alerts" has "$out" "alerts: 3"
check "black toner with its colour, level and capacity" \
  has "$out" "supply: name=Black Toner type=toner percent=87 color=black level=87 capacity=100 unit=percent"
check "cyan toner in impressions: percent of its own capacity" \
  has "$out" "supply: name=Cyan Toner type=toner percent=25 color=cyan level=500 capacity=2000 unit=impressions"
check "meters of the system totals key of the counter MIB" \
  has "$out" "meters: total=1111 mono=4000 color=1100 sheets=4500 two_sided=600 mono_impressions=4000 color_impressions=1100"

# the agent re-reads its values: a new toner level shows at the next read
sed 's/^\(.1.3.6.1.2.1.43.11.1.1.9.1.1\) integer .*/\1 integer 12/' "$tmp/full.values" >"$tmp/full.new"
mv "$tmp/full.new" "$tmp/full.values"
out=$(read_device -d printer_mib -s "$(addr 1):$port")
check "a changed level reads at once" has_re "$out" "^supply: name=Black Toner type=toner percent=12 "

# --- 2. no counter MIB: the life count alone -------------------------------
snmpd_printer_start plain "$(addr 2)" "$port" || exit 1
out=$(read_device -d printer_mib -s "$(addr 2):$port")
check "the life count without the counter MIB" \
  has "$out" "meters: total=1037 mono=-1 color=-1 sheets=-1 two_sided=-1 mono_impressions=-1 color_impressions=-1"
check "an idle printer without alerts" has "$out" "status: state=1 alerts=0x0 message="
check "no alert rows" has "$out" "alerts: 0"

# --- 3. an agent answering nonsense ----------------------------------------
long=$(head -c 600 /dev/zero | tr '\0' 'x')
{
  snmpd_printer_values odd 5 | grep -v -e '43.11.1.1.9.1.1 ' -e '43.11.1.1.8.1.1 ' -e '43.11.1.1.3.1.2 ' \
    -e '43.10.2.1.4.1.1 ' -e '25.3.5.1.2.1 '
  cat <<VALUES
.1.3.6.1.2.1.25.3.5.1.2.1 octet ff ff ff ff ff ff ff ff ff ff
.1.3.6.1.2.1.43.10.2.1.4.1.1 string lots
.1.3.6.1.2.1.43.11.1.1.8.1.1 counter64 18446744073709551615
.1.3.6.1.2.1.43.11.1.1.9.1.1 string full
.1.3.6.1.2.1.43.11.1.1.3.1.2 integer 99
.1.3.6.1.2.1.43.11.1.1.7.1.2 integer -5
.1.3.6.1.2.1.43.18.1.1.2.1.1 integer 99
.1.3.6.1.2.1.43.18.1.1.4.1.1 string cover
.1.3.6.1.2.1.43.18.1.1.7.1.1 integer -2147483648
.1.3.6.1.2.1.43.18.1.1.8.1.1 string $long
$ic.2.1.1.2.1 string systemTotals
$ic.8.1.1.4.1.3.3 integer -5
VALUES
} >"$tmp/odd.values"
snmpd_printer_start odd "$(addr 3)" "$port" "$tmp/odd.values" || exit 1
out=$(read_device -d printer_mib -s "$(addr 3):$port")
rc=$?
check "nonsense is read without a crash" ok '[ $rc = 0 ] && ! grep -q "ERROR: AddressSanitizer\|runtime error" "$tmp/read.err"'
check "every error bit read: offline wins" has_re "$out" "^status: state=5 alerts=0xff "
check "an unknown severity and code read as other/none" \
  has_re "$out" "^alert: severity=1 group=other code=1 reason=other description=x{191}$"
check "a level that is no number is unknown" \
  has_re "$out" "^supply: name=Black Toner type=toner percent=-1 color=black level=-2 capacity=-2 "
check "a missing colorant row gives no colour, an unknown unit none" \
  has_re "$out" "^supply: name=Cyan Toner type=toner percent=[0-9]+ color= level=[0-9]+ capacity=100 unit=$"
check "counters that are no count are unknown" \
  has "$out" "meters: total=-1 mono=-1 color=-1 sheets=-1 two_sided=-1 mono_impressions=-1 color_impressions=-1"

# --- 4. no Printer MIB: nobody claims it -----------------------------------
snmpd_plain_start router "$(addr 4)" "$port" || exit 1
out=$(read_device -d printer_mib -d ipp_printer -s "$(addr 4):$port")
rc=$?
check "a router has no prtGeneralSerialNumber: no driver claims it" \
  ok '[ $rc = 2 ] && has "$out" "driver: none"'

# --- 5. ipp_printer on ippeveprinter ---------------------------------------
mkdir -p "$tmp/ipp"
dbus-daemon --session --address="unix:path=$tmp/ipp/bus" --nofork --nopidfile >"$tmp/ipp/dbus.log" 2>&1 &
dbus_pid=$!
wait_until 100 test -S "$tmp/ipp/bus" || { echo "FAIL: no D-Bus"; exit 1; }
# start_printer NAME PORT [ATTRIBUTES_FILE]: an ippeveprinter (IPP and IPPS
# on PORT); with a file (-a), its attributes come from the file alone
start_printer() {
  local d=$tmp/ipp/$1
  mkdir -p "$d/spool" "$d/ssl"
  DBUS_SYSTEM_BUS_ADDRESS="unix:path=$tmp/ipp/bus" ippeveprinter -p "$2" -n localhost -r off \
    -d "$d/spool" -K "$d/ssl" ${3:+-a "$3"} "Driver Test $1" >"$d/log" 2>&1 &
  printer_pids+=($!)
  wait_until 100 curl -sf -o /dev/null "http://localhost:$2/" || { cat "$d/log"; return 1; }
}
printer_pids=()
cat >"$tmp/ipp/acme.conf" <<'ATTRS'
ATTR text printer-make-and-model "Acme LaserJet 9"
ATTR octetString printer-supply "index=1;class=receptacleThatIsFilled;type=wasteToner;unit=percent;maxcapacity=100;level=25;colorantname=unknown;","index=2;class=supplyThatIsConsumed;type=toner;unit=percent;maxcapacity=100;level=75;colorantname=black;"
ATTR text printer-supply-description "Toner Waste Tank","Black Toner"
ATTR text printer-device-id "MFG:Acme; MDL:LaserJet 9; SERIALNUMBER:IPP-SN-42; CMD:PDF;"
ATTR integer printer-impressions-completed 1234
ATTR collection printer-impressions-completed-col {
  MEMBER integer monochrome 1000
  MEMBER integer full-color 234
}
ATTR integer printer-media-sheets-completed 900
ATTR integer printer-impressions-two-sided-completed 300
ATTRS
ipp_port=$((port + 1))
start_printer acme "$ipp_port" "$tmp/ipp/acme.conf" || exit 1
uri=ipp://localhost:$ipp_port/ipp/print
# the printer's own supplies form sets its levels and the reasons they
# mean: toner at 3 % (toner-low), the waste box at 95 %
curl -sf -o /dev/null "http://localhost:$ipp_port/supplies?supply0=95&supply1=3"
out=$(read_device -d printer_mib -d ipp_printer -u "$uri")
check "ipp_printer identifies the IPP printer" has "$out" "driver: ipp_printer"
check "vendor, model and serial from printer-device-id" \
  ok 'has "$out" "vendor: Acme" && has "$out" "model: LaserJet 9" && has "$out" "serial: IPP-SN-42"'
check "idle, with low toner reported" has_re "$out" "^status: state=1 alerts=0x10 "
check "the reasons as alerts" \
  ok 'has "$out" "alerts: 2" &&
      has "$out" "alert: severity=1 group=markerSupplies code=1 reason=toner-low description=toner-low-report" &&
      has "$out" "alert: severity=1 group=markerSupplies code=1 reason=marker-waste-almost-full description=marker-waste-almost-full-report"'
check "printer-supply with colour and capacity" \
  ok 'has "$out" "supply: name=Black Toner type=toner percent=3 color=black level=3 capacity=100 unit=percent" &&
      has "$out" "supply: name=Toner Waste Tank type=wasteToner percent=95 color= level=95 capacity=100 unit=percent"'
check "meters from printer-impressions-completed and friends" \
  has "$out" "meters: total=1234 mono=1000 color=234 sheets=900 two_sided=150 mono_impressions=1000 color_impressions=234"
out=$(read_device -d ipp_printer -u "ipps://localhost:$ipp_port/ipp/print")
check "the same over ipps" ok 'has "$out" "serial: IPP-SN-42" && has "$out" "supplies: 2"'

# an older printer: marker-* instead of printer-supply, no counters
cat >"$tmp/ipp/markers.conf" <<'ATTRS'
ATTR text printer-make-and-model "Old Inkjet 200"
ATTR name marker-names "Black Ink","Cyan Ink"
ATTR integer marker-levels 40,7
ATTR name marker-colors "#000000","#00FFFF"
ATTR keyword marker-types ink-cartridge,ink-cartridge
ATTRS
start_printer markers "$((port + 2))" "$tmp/ipp/markers.conf" || exit 1
out=$(read_device -d ipp_printer -u "ipp://localhost:$((port + 2))/ipp/print")
check "marker-* as supplies, colours named" \
  ok 'has "$out" "supply: name=Black Ink type=ink-cartridge percent=40 color=black level=40 capacity=100 unit=percent" &&
      has "$out" "supply: name=Cyan Ink type=ink-cartridge percent=7 color=cyan level=7 capacity=100 unit=percent"'
check "no counters: meters unsupported, saying why" \
  has_re "$out" "^meters: error unsupported: the printer at ipp://localhost:$((port + 2))/ipp/print reports no counters$"
check "the model from printer-make-and-model when printer-device-id has none" \
  has "$out" "model: Old Inkjet 200"

# ippeveprinter as it comes: no serial in its device ID, so printer-uuid;
# its media form empties tray 1 (media-empty-report)
start_printer stock "$((port + 3))" || exit 1
curl -sf -o /dev/null "http://localhost:$((port + 3))/media?size1=na_letter_8.5x11in&type1=stationery&level1=0&size3=na_number-10_4.125x9.5in&type3=envelope&level3=-2"
out=$(read_device -d ipp_printer -u "ipp://localhost:$((port + 3))/ipp/print")
check "without SN, printer-uuid is the serial" has_re "$out" "^serial: urn:uuid:[0-9a-f-]{36}$"
check "no paper reported, the printer idle" has_re "$out" "^status: state=1 alerts=0x1 "
check "the media alert in the input group" \
  has "$out" "alert: severity=1 group=input code=1 reason=media-empty description=media-empty-report"

# a printer that is gone: no driver claims it
kill "${printer_pids[0]}" && wait "${printer_pids[0]}" 2>/dev/null
out=$(read_device -d ipp_printer -u "$uri")
rc=$?
check "a printer that is gone is identified by no driver, saying why" \
  ok '[ $rc = 2 ] && has "$out" "driver: none" && has_re "$out" "^refused ipp_printer: cannot connect to the printer at localhost:$ipp_port: "'

# a printer that takes the connection and never answers: timeout_ms holds
# (libcups adds up to 1 s of its own)
silent_port=$((port + 4))
python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16); held = []
while True: held.append(s.accept()[0])' "$silent_port" &
printer_pids+=($!)
wait_until 100 bash -c "exec 3<>/dev/tcp/127.0.0.1/$silent_port" 2>/dev/null || { echo "FAIL: no silent listener"; exit 1; }
started=$(date +%s%N)
out=$(read_device -d 'ipp_printer {timeout_ms: 400}' -u "ipp://127.0.0.1:$silent_port/ipp/print")
rc=$?
elapsed_ms=$((($(date +%s%N) - started) / 1000000))
check "a silent printer: given up after timeout_ms ($elapsed_ms ms), no driver, saying why" \
  ok '[ $rc = 2 ] && [ "$elapsed_ms" -ge 400 ] && [ "$elapsed_ms" -lt 3000 ] &&
      has "$out" "refused ipp_printer: the printer at 127.0.0.1:$silent_port did not answer Get-Printer-Attributes within timeout_ms"'

# --- 6. what srctl shows ---------------------------------------------------
all="identify yes, read_status yes, read_meters yes, read_supplies yes, panel_configure no, read_alerts yes"
for d in printer_mib ipp_printer; do
  check "srctl plugin inspect: $d reads everything, alerts included" \
    grep -qF "$all" <<<"$("$srctl" plugin inspect "$plugins/sr_device_$d.so")"
done

checks_done
