#!/usr/bin/env bash
# Attack on the cloud's device history (POST /api/v1/site/devices/{id}/
# observations) by a site with a valid certificate: each report that
# differs from the last adds a history row kept 400 days, so a site that
# alternates two values as fast as it can would grow the cloud's database
# without bound. The cloud keeps at most 60 history rows an hour per
# printer and part; further changes in that hour replace the newest row, so
# the latest value is never lost.
# usage: attack_site_reports.sh BIN_DIR PLUGIN_DIR SOURCE_DIR
set -u
bin=$1 plugins=$2 src=$3
source "$src/tests/support/stack_test.sh" site-reports
stack_start "$tmp" "$bin" "$plugins" || { echo "the stack did not start"; exit 1; }
# no SNMP address: the site's own monitor has no part to report but status
stack_srctl device add p1 --uri "ipp://127.0.0.1:9/ipp/print" >/dev/null

reports=200
# one curl process, one TLS connection: every report's status on a line
urls=()
for i in $(seq "$reports"); do
  urls+=(-o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/json'
    -d "{\"meters\":{\"total_pages\":$i}}" "$cloud_url/api/v1/site/devices/p1/observations")
  [ "$i" -lt "$reports" ] && urls+=(--next --cacert "$ca_file" \
    --cert "$stack_dir/site/site.crt" --key "$stack_dir/site/site.key")
done
curl -s --cacert "$ca_file" --cert "$stack_dir/site/site.crt" --key "$stack_dir/site/site.key" \
  "${urls[@]}" >"$tmp/codes"
history_count() { stack_srctl device history p1 --kind meters --json | jq '.history | length'; }

check "the cloud took all $reports changed reports (200 each)" \
  ok '[ "$(grep -c "^200$" "$tmp/codes")" = "$reports" ]'
check "the meters' history holds at most 60 rows for the hour (has $(history_count))" \
  ok '[ "$(history_count)" -le 60 ]'
check "its newest row is the last value reported ($reports)" \
  ok '[ "$(stack_srctl device history p1 --kind meters --json | jq ".history[-1].value.total_pages")" = "$reports" ]'
check "the printer's latest meters are the last value reported" \
  ok '[ "$(stack_srctl device status p1 --json | jq .meters.total_pages)" = "$reports" ]'
checks_done
