# Sourced by the end-to-end tests that drive the site service's panel API
# after stack_start (scripts/lib/stack.sh): $tmp, $ca_file and $panel_url
# must be set. Each shell (also a background one) has its own response
# files, so observers may poll beside the test.
# usage: panel METHOD PATH [BODY] [SESSION]   -> $code, $body, $headers
#        field JQ_FILTER                       -> the filter applied to $body
#        login DEVICE CARD                     -> $session
#        wait_job JOB SESSION JQ_CONDITION     -> until the job meets it (15 s at most)
#        pdfs                                  -> documents the stack's printer printed
panel() {
  local resp=$tmp/panel-resp.$BASHPID head=$tmp/panel-headers.$BASHPID
  local args=(-sS --cacert "$ca_file" -o "$resp" -D "$head" -w '%{http_code}' -X "$1" "$panel_url$2")
  [ -n "${3:-}" ] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
  [ -n "${4:-}" ] && args+=(-H "Authorization: Bearer $4")
  code=$(curl "${args[@]}" 2>"$tmp/panel-curl.$BASHPID.err") || code=000
  body=$(cat "$resp" 2>/dev/null)
  headers=$(cat "$head" 2>/dev/null)
}
field() { echo "$body" | jq -r "$1" 2>/dev/null; }
login() {
  panel POST /api/v1/panel/sessions "{\"device\":\"$1\",\"card\":\"$2\"}"
  session=$(field .session)
}
wait_job() {
  for _ in $(seq 300); do
    panel GET "/api/v1/panel/jobs/$1" "" "$2"
    [ "$(echo "$body" | jq -r "$3")" = true ] && return 0
    sleep 0.05
  done
  echo "  job $1 never met $3; last: $body"
  return 1
}
pdfs() { ls "$spool_dir"/*.pdf 2>/dev/null | wc -l; }
