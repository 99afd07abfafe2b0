# The "print all" case of bench/release-latency: N held jobs released at
# once to one ippeveprinter (the stack's, real IPP, one job at a time: it
# answers the rest busy), seconds from the release until the printer has
# printed them all; then CUPS's own hold and release of the same N jobs to
# the same printer (a private cupsd queue, `lpadmin -m everywhere`,
# `lp -H hold` N times, then `lp -i ID -H resume` for each). "Printed" is
# the printer's print command having run for the job (it writes
# JOBFILE.env in the printer's spool), the same signal for both.
# Sourced after scripts/lib/stack.sh (running) and scripts/lib/cups.sh;
# sets $print_all_ours and $print_all_cups (seconds).

print_all_now() { date +%s.%N; }
print_all_printed() { find "$spool_dir" -name '*.env' | wc -l; }

# Waits until the printer has printed TARGET jobs in all (10 min at most);
# prints the seconds since START.
print_all_wait() { # TARGET START
  local deadline=$(($(date +%s) + 600))
  while [ "$(print_all_printed)" -lt "$1" ]; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "print-all: the printer printed $(print_all_printed) of $1 jobs in 10 min" >&2; return 1; }
    sleep 0.01
  done
  awk -v a="$2" -v b="$(print_all_now)" 'BEGIN { printf "%.3f", b - a }'
}

print_all_case() { # N TMP
  local n=$1 t=$2 doc=$root/tests/data/three-pages.pdf i base start session code
  local api=(-sS --cacert "$ca_file" -H 'Content-Type: application/json')
  # ours: N jobs held at the print scout's queue, then "print all" at the panel
  for ((i = 0; i < n; i++)); do
    ipptool -q -T 30 -f "$doc" "$queue_uri" print-job.test ||
      { echo "print-all: submitting to $queue_uri failed" >&2; return 1; }
  done
  session=$(curl "${api[@]}" -d "{\"device\":\"printer1\",\"card\":\"$demo_card\"}" \
    "$panel_url/api/v1/panel/sessions" | jq -r .session)
  for _ in $(seq 400); do
    [ "$(curl "${api[@]}" -H "Authorization: Bearer $session" "$panel_url/api/v1/panel/jobs?limit=200" |
      jq '[.jobs[] | select(.state == "held")] | length')" -ge "$n" ] && break
    sleep 0.05
  done
  base=$(print_all_printed)
  start=$(print_all_now)
  code=$(curl "${api[@]}" -o "$t/print-all.json" -w '%{http_code}' \
    -H "Authorization: Bearer $session" -d '{"all":true}' "$panel_url/api/v1/panel/release")
  [ "$code" = 202 ] || { echo "print-all: the panel answered $code: $(cat "$t/print-all.json")" >&2; return 1; }
  print_all_ours=$(print_all_wait $((base + n)) "$start") || return 1
  echo "ours: $n jobs printed $print_all_ours s after print all"

  # CUPS: the same N jobs held in a private cupsd's queue to the same printer
  cups_start || { echo "print-all: cupsd did not start" >&2; return 1; }
  lpadmin -h "$cups_host" -p bench -E -v "ipp://127.0.0.1:$printer_port/ipp/print" -m everywhere ||
    { echo "print-all: lpadmin failed" >&2; return 1; }
  local ids=()
  for ((i = 0; i < n; i++)); do
    ids+=("$(lp -h "$cups_host" -d bench -H hold "$doc" | sed -n 's/^request id is \(bench-[0-9]*\) .*/\1/p')")
  done
  base=$(print_all_printed)
  start=$(print_all_now)
  for i in "${ids[@]}"; do lp -h "$cups_host" -i "$i" -H resume; done
  print_all_cups=$(print_all_wait $((base + n)) "$start") || return 1
  echo "cups: $n jobs printed $print_all_cups s after the first resume"
}
