# Sourced by the end-to-end tests after scripts/lib/stack.sh: the panel API
# as a printer's panel calls it, with curl against $panel_url.

# panel METHOD PATH [BODY] [SESSION]: sets $code, $body and $headers
panel() {
  local args=(-sS --cacert "$ca_file" -o "$tmp/resp" -D "$tmp/headers" -w '%{http_code}' -X "$1" "$panel_url$2")
  [ -n "${3:-}" ] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
  [ -n "${4:-}" ] && args+=(-H "Authorization: Bearer $4")
  code=$(curl "${args[@]}" 2>"$tmp/curl.err") || code=000
  body=$(cat "$tmp/resp" 2>/dev/null)
  headers=$(cat "$tmp/headers" 2>/dev/null)
}
# login DEVICE CARD: a card login; sets $session (and $code, $body)
login() {
  panel POST /api/v1/panel/sessions "{\"device\":\"$1\",\"card\":\"$2\"}"
  session=$(echo "$body" | jq -r .session)
}
# field JQ: a value of the last answer
field() { echo "$body" | jq -r "$1"; }
# wait_job JOB SESSION JQ_CONDITION: until the job meets it (15 s at most)
wait_job() {
  for _ in $(seq 300); do
    panel GET "/api/v1/panel/jobs/$1" "" "$2"
    [ "$(echo "$body" | jq -r "$3")" = true ] && return 0
    sleep 0.05
  done
  echo "  job $1 never met $3; last: $body"
  return 1
}
# pdfs: how many documents the stack's printer has printed
pdfs() { ls "$spool_dir"/*.pdf 2>/dev/null | wc -l; }
