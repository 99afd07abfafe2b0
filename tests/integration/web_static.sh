#!/usr/bin/env bash
# The release page's static files (services/device-scout/web_files.c), as
# an attacker sees them: the site service serves the page and its assets
# byte-identical with a strict Content-Security-Policy and the other
# security headers, revalidates with an ETag, and gives nothing else:
# no path out of the web root (dot segments plain, percent-encoded, double
# encoded, with backslashes, through a symbolic link), no dot files, no
# directory listings, no other methods; the panel API beside it answers
# as before (JSON, no-store).
# usage: web_static.sh BIN_DIR PLUGIN_DIR SOURCE_DIR
set -u
bin=$1 plugins=$2 src=$3
source "$src/tests/support/stack_test.sh" web-static

# a web root of our own: the real files, plus bait an attacker would want
root=$tmp/www/release
mkdir -p "$tmp/www"
cp -r "$src/web/release" "$root"
echo "SECRET-OUTSIDE" >"$tmp/www/outside.txt"
echo "SECRET-DOTFILE" >"$root/assets/.env.js"
ln -s "$tmp/www/outside.txt" "$root/assets/link.txt"
mkdir -p "$root/assets/sub" && echo "SECRET-SUBDIR" >"$root/assets/sub/deep.js"
export STACK_WEB_ROOT=$root
stack_start "$tmp" "$bin" "$plugins" || { echo "the stack did not start"; exit 1; }

# get [CURL_ARGS...] PATH -> $code, $headers (lower-case names), $tmp/body
get() {
  local path=${*: -1}
  rm -f "$tmp/body"
  code=$(curl -sS --path-as-is --cacert "$ca_file" -o "$tmp/body" -D "$tmp/headers" -w '%{http_code}' \
    "${@:1:$#-1}" "$panel_url$path" 2>"$tmp/curl.err") || code=000
  headers=$(tr -d '\r' <"$tmp/headers" | sed 's/^[^:]*:/\L&/')
}
header() { echo "$headers" | sed -n "s/^$1: //p" | head -1; } # NAME (lower case)
csp="default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
security_headers_ok() {
  [ "$(header content-security-policy)" = "$csp" ] && [ "$(header x-content-type-options)" = nosniff ] &&
    [ "$(header referrer-policy)" = no-referrer ] && [ "$(header x-frame-options)" = DENY ]
}
no_secret() { ! grep -qs SECRET "$tmp/body"; }
# refused: a 4xx, or the connection closed (libwebsockets drops a request
# whose path holds a NUL); or, where libwebsockets resolved the dot segments
# before us ("/r/.." is "/"), the page itself: never anything else
refused_or_page() {
  no_secret && { [ "${code:0:1}" = 4 ] || [ "$code" = 000 ] || { [ "$code" = 200 ] && cmp -s "$tmp/body" "$root/index.html"; }; }
}

# 1. every page address gives index.html, with the security headers
for page in / /r/printer1 /r/printer1/1767225600.AbCdEfGhIjKlMnOpQrStUv /panel/printer1 /oidc/callback; do
  get "$page"
  check "GET $page: 200 text/html, byte-identical to index.html" \
    ok '[ "$code" = 200 ] && [ "$(header content-type)" = "text/html; charset=utf-8" ] && cmp -s "$tmp/body" "$root/index.html"'
  check "GET $page: CSP, nosniff, no-referrer, DENY framing" security_headers_ok
done
check "pages are revalidated, not stored blindly (Cache-Control: no-cache, an ETag)" \
  ok '[ "$(header cache-control)" = no-cache ] && [ -n "$(header etag)" ]'

# 2. assets with their types
for asset in $(cd "$root/assets" && ls *.js *.css); do
  get "/assets/$asset"
  case $asset in *.js) type="text/javascript; charset=utf-8" ;; *.css) type="text/css; charset=utf-8" ;; esac
  check "GET /assets/$asset: 200 $type, byte-identical, with the security headers" \
    ok '[ "$code" = 200 ] && [ "$(header content-type)" = "$type" ] && cmp -s "$tmp/body" "$root/assets/$asset" && security_headers_ok'
done

# 3. a cached copy is confirmed with 304 and no body; a changed file is sent anew
get /assets/app.js
etag=$(grep -i '^etag: ' "$tmp/headers" | head -1 | cut -d' ' -f2- | tr -d '\r')
get -H "If-None-Match: $etag" /assets/app.js
check "If-None-Match with the current ETag: 304, no body" ok '[ "$code" = 304 ] && [ ! -s "$tmp/body" ]'
echo "// changed" >>"$root/assets/app.js"
get -H "If-None-Match: $etag" /assets/app.js
check "after the file changed, the same If-None-Match gets the new file (200)" \
  ok '[ "$code" = 200 ] && cmp -s "$tmp/body" "$root/assets/app.js"'

# 4. the attacker: nothing outside the page and its assets, whatever the spelling
for path in \
  /assets/../../outside.txt /assets/../index.html /../outside.txt /r/../../outside.txt \
  /assets/%2e%2e/%2e%2e/outside.txt /assets/%2E%2E%2F%2E%2E%2Foutside.txt /%2e%2e/%2e%2e/outside.txt \
  /assets/%252e%252e/%252e%252e/outside.txt /assets/..%5c..%5coutside.txt '/assets/..\..\outside.txt' \
  /assets/link.txt /assets/.env.js /assets/%2eenv.js /assets/sub/deep.js /assets/sub%2fdeep.js \
  /assets/app.js%00.txt /index.html /assets/ /assets /r/ /r /panel/ /panel/a/b /r/a/b/c /nothing \
  /assets/nothere.js /assets/app.exe /.env /r/%2e%2e /panel/.. ; do
  get "$path"
  check "GET $path: refused, or resolved to the page itself; nothing of the bait" refused_or_page
done
get /assets/
check "no directory listing: /assets/ is a 404 with the security headers" \
  ok '[ "$code" = 404 ] && security_headers_ok && ! grep -q "app.js" "$tmp/body"'
get -X POST /
check "POST /: 405, Allow: GET" ok '[ "$code" = 405 ] && [ "$(header allow)" = GET ]'
get -X DELETE /assets/app.js
check "DELETE an asset: 405" ok '[ "$code" = 405 ]'

# 5. the panel API beside the page is unaffected
get -X POST -H 'Content-Type: application/json' --data-binary '{}' /api/v1/panel/sessions
check "POST /api/v1/panel/sessions {}: 400 JSON, no-store, as before" \
  ok '[ "$code" = 400 ] && [ "$(header content-type)" = application/json ] && [ "$(header cache-control)" = no-store ] && [ "$(jq -r .error.code "$tmp/body")" = invalid ]'
get /api/v1/panel/jobs
check "GET /api/v1/panel/jobs without a session: 401 unauthenticated" \
  ok '[ "$code" = 401 ] && [ "$(jq -r .error.code "$tmp/body")" = unauthenticated ]'
get /api/v1/panel/nothing
check "an unknown API path: JSON 404 not_found" ok '[ "$code" = 404 ] && [ "$(jq -r .error.code "$tmp/body")" = not_found ]'
get /api/v1/panel/../../assets/app.js
check "an API path with dot segments does not reach a file" ok '[ "${code:0:1}" = 4 ] || cmp -s "$tmp/body" "$root/assets/app.js"'

# 6. a site service whose web root has no page refuses to start, and says why
sed "s|web_root: $root|web_root: $tmp/www/none|" "$stack_dir/site/site.yaml" >"$stack_dir/site/bad.yaml"
"$bin/sr-device-scout" --config "$stack_dir/site/bad.yaml" >/dev/null 2>"$tmp/bad.err" &
bad_pid=$!
wait $bad_pid
bad_rc=$?
check "a web root without index.html: the service does not start and names the directory" \
  ok '[ $bad_rc != 0 ] && grep -q "panel.web_root $tmp/www/none has no index.html" "$tmp/bad.err"'
checks_done
