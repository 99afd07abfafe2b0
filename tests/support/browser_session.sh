# Sourced by the shell tests that call the cloud as a browser would (the
# console's and portal's cookie sessions, docs/console.md), after
# stack_start: each "browser" is a curl cookie jar of its own.
# Sets $origin (the cloud's, as pages send it).
origin=https://localhost:${cloud_url##*:}

# web JAR METHOD PATH [curl args...]: prints the status; the body is in
# $tmp/body, the headers in $tmp/headers.
web() {
  local jar=$tmp/$1.jar method=$2 path=$3
  shift 3
  curl -s -o "$tmp/body" -D "$tmp/headers" -w '%{http_code}' --cacert "$ca_file" \
    -b "$jar" -c "$jar" -X "$method" "$@" "$cloud_url$path"
}
json() { jq -r "$1" "$tmp/body"; }
# Redeems a sign-in link's token (the URL's fragment) in browser JAR, from
# the console's origin.
sign_in() { # JAR URL
  web "$1" POST /api/v1/sign-in-links/redeem -H "Origin: $origin" \
    -H 'Content-Type: application/json' -d "{\"token\": \"${2#*#}\"}"
}
csrf_of() { web "$1" GET /api/v1/session >/dev/null && json .csrf; }
