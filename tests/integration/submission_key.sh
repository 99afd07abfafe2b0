#!/usr/bin/env bash
# The site's public submission key on the whole stack on 127.0.0.1: the site
# service logs its fingerprint at start and sends the key with its
# heartbeat; the cloud publishes it (`srctl site keys`, GET
# /api/v1/sites/submission-keys, GET /api/v1/me/submission-key) equal to
# what `srctl secret key` derives offline from the site secret; a document
# encrypted with web/shared/jobfile.js in Node for the published key opens
# at the site's key (srctl job show) byte-identical. As an attacker: a
# heartbeat whose key is no P-256 SPKI, whose fingerprint lies, or with
# more members is refused and the published key stays; a print scout's
# certificate cannot publish one; no token, no key.
# usage: submission_key.sh BIN_DIR PLUGIN_DIR SOURCE_DIR
set -u
bin=$1 plugins=$2 src=$3
source "$src/tests/support/stack_test.sh" submission-key
stack_start "$tmp" "$bin" "$plugins" || { echo "the stack did not start"; exit 1; }

derived=$("$bin/srctl" secret key --secret-file "$secret_file" --tenant "$tenant")
spki=$(sed -n 's/^spki: //p' <<<"$derived")
fp=$(sed -n 's/^fingerprint: //p' <<<"$derived")
published() { stack_srctl site keys --json | jq -r '.sites[0].fingerprint'; }
site_lists_key() { [ "$(published)" = "$fp" ]; }
check "the site's first heartbeat publishes its key (srctl site keys)" wait_until 150 site_lists_key
check "srctl site keys prints the site, its name and fingerprint" \
  ok 'stack_srctl site keys | grep -Eq "^[^ ]+  .+  $fp\$"'
check "the site logs its fingerprint at start" ok 'grep -q "submission key $fp" "$stack_dir/site/log"'

api() { # METHOD PATH [TOKEN] -> $code, body in $tmp/api.json
  local auth=()
  [ -n "${3-}" ] && auth=(-H "Authorization: Bearer $3")
  code=$(curl -sS --cacert "$ca_file" "${auth[@]}" -X "$1" -o "$tmp/api.json" -w '%{http_code}' \
    "$cloud_url$2" 2>"$tmp/api.err") || code=000
}
token=$(cat "$token_file")
api GET /api/v1/sites/submission-keys "$token"
check "GET /sites/submission-keys: the SPKI srctl secret key derives" \
  ok '[ "$code" = 200 ] && [ "$(jq -r ".sites[0].spki" "$tmp/api.json")" = "$spki" ]'
# the portal's call, as a signed-in user's browser makes it
source "$src/tests/support/browser_session.sh"
sign_in alice "$(stack_console_link user "$demo_email")" >/dev/null
code=$(web alice GET /api/v1/me/submission-key) && cp "$tmp/body" "$tmp/api.json"
check "GET /me/submission-key (alice's session): the site's key" \
  ok '[ "$code" = 200 ] && [ "$(jq -r .spki "$tmp/api.json")" = "$spki" ] && [ "$(jq -r .fingerprint "$tmp/api.json")" = "$fp" ]'
api GET /api/v1/me/submission-key "$token"
check "GET /me/submission-key with an administrator's token (no session): 401" ok '[ "$code" = 401 ]'
api GET /api/v1/sites/submission-keys
check "no token: 401" ok '[ "$code" = 401 ]'
api GET /api/v1/me/submission-key "not-a-token"
check "a wrong token: 401" ok '[ "$code" = 401 ]'

# the browser's encryptor, in Node, for the key the cloud published
web alice GET /api/v1/me/submission-key >/dev/null
published_spki=$(json .spki)
node --input-type=module - "$src/web/shared/jobfile.js" "$published_spki" "$src/tests/data/three-pages.pdf" "$tmp/upload.srjob" <<'JS'
const [mod, key, input, output] = process.argv.slice(2);
const { encryptJob } = await import(mod);
const fs = await import('node:fs');
const blob = await encryptJob(new Blob([fs.readFileSync(input)]), { title: 'three-pages.pdf', format: 'application/pdf' }, key);
fs.writeFileSync(output, Buffer.from(await blob.arrayBuffer()));
JS
"$bin/srctl" job show "$tmp/upload.srjob" --secret-file "$secret_file" --tenant "$tenant" \
  --document "$tmp/upload.pdf" >"$tmp/show.out" 2>&1
check "encrypted in Node for the published key: the site's secret opens it, same document" \
  ok 'cmp -s "$tmp/upload.pdf" "$src/tests/data/three-pages.pdf" && grep -q "\"title\":\"three-pages.pdf\"" "$tmp/show.out"'

# a heartbeat as an attacker holding the site's certificate would send it
heartbeat() { # BODY [CERT KEY] -> $code
  local cert=${2:-$stack_dir/site/site.crt} key=${3:-$stack_dir/site/site.key}
  code=$(curl -sS --cacert "$ca_file" --cert "$cert" --key "$key" \
    -H 'Content-Type: application/json' -d "$1" -o "$tmp/hb.json" -w '%{http_code}' \
    "$cloud_url/api/v1/site/heartbeat" 2>"$tmp/hb.err") || code=000
}
b64url() { basenc --base64url -w0 | tr -d '='; }
p384=$(openssl ecparam -name secp384r1 -genkey 2>/dev/null | openssl pkey -pubout -outform DER 2>/dev/null | b64url)
other_der=$(openssl ecparam -name prime256v1 -genkey 2>/dev/null | openssl pkey -pubout -outform DER 2>/dev/null | b64url)
other_fp=$(printf '%s' "$other_der" | tr -- '-_' '+/' | base64 -d 2>/dev/null | sha256sum | cut -c1-64 | sed 's/..../&:/g; s/:$//; s/^/SHA256:/')
trailing=$( (printf '%s' "$other_der" | tr -- '-_' '+/' | { cat; printf '=='; } | base64 -d 2>/dev/null; printf 'x') | b64url)
for body in \
  "{\"submission_key\": {\"spki\": \"$p384\", \"fingerprint\": \"$fp\"}}" \
  "{\"submission_key\": {\"spki\": \"bm90IGEga2V5\", \"fingerprint\": \"$fp\"}}" \
  "{\"submission_key\": {\"spki\": \"$other_der\", \"fingerprint\": \"$fp\"}}" \
  "{\"submission_key\": {\"spki\": \"$trailing\", \"fingerprint\": \"$other_fp\"}}" \
  "{\"submission_key\": {\"spki\": \"$spki==\", \"fingerprint\": \"$fp\"}}" \
  "{\"submission_key\": {\"spki\": \"$spki\", \"fingerprint\": \"$fp\", \"private\": \"x\"}}" \
  "{\"submission_key\": {\"spki\": 1, \"fingerprint\": \"$fp\"}}" \
  "{\"submission_key\": \"$spki\"}"; do
  heartbeat "$body"
  check "a heartbeat's bad submission_key (${body:0:60}...): 400, the key stays" \
    ok '[ "$code" = 400 ] && [ "$(published)" = "$fp" ]'
done
heartbeat "{\"submission_key\": {\"spki\": \"$other_der\", \"fingerprint\": \"$other_fp\"}}" \
  "$stack_dir/workstation/scout.crt" "$stack_dir/workstation/scout.key"
check "a print scout's certificate cannot publish a key (403)" \
  ok '[ "$code" = 403 ] && [ "$(published)" = "$fp" ]'
# control: the same key the site sends is taken
heartbeat "{\"submission_key\": {\"spki\": \"$spki\", \"fingerprint\": \"$fp\"}}"
check "control: the site's own key and fingerprint: 200" ok '[ "$code" = 200 ] && [ "$(published)" = "$fp" ]'
checks_done
