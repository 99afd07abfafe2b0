#!/usr/bin/env bash
# Starts the whole stack on loopback (scripts/lib/stack.sh) with what the
# browser tests log in with, then runs one of them (tests/web/TEST.mjs)
# against it: alice (card, email and PIN, a passcode made at her
# workstation), bob (a workstation of his own, delegating to alice), carol
# (to be locked out), erin (in an OpenLDAP directory, company account), the
# stack's printer (printer1) and one out of paper (nopaper). For the test
# `oidc` also a real OpenID provider (tests/oidc/provider.mjs) that sends
# browsers back to the site's /oidc/callback, and the cloud's oidc identity
# provider with the release page's client (panel_client_id), as
# tests/integration/panel_oidc.sh has them.
# usage: run.sh TEST BIN_DIR PLUGIN_DIR SOURCE_DIR OUT_DIR
set -u
test=$1 bin=$2 plugins=$3 src=$4 out=$5
source "$src/tests/support/stack_test.sh" "web-$test"
source "$src/tests/support/slapd.sh"
cleanup_more() {
  # a test may have stopped bob's workstation (SIGSTOP) to take it offline
  [ -n "${pid_bobpc:-}" ] && kill -CONT "$pid_bobpc" 2>/dev/null
  [ -n "${slapd_pid:-}" ] && kill "$slapd_pid" 2>/dev/null && wait "$slapd_pid" 2>/dev/null
  [ -n "${oidc_pid:-}" ] && kill "$oidc_pid" 2>/dev/null && wait "$oidc_pid" 2>/dev/null
}
if [ ! -e "$src/tests/web/node_modules/playwright-core/package.json" ]; then
  echo "tests/web has no node_modules: run scripts/deps.sh (npm ci there)"
  exit 1
fi
mkdir -p "$out"
rm -f "$out"/*.png

# the directory first: the site service starts with it as identity provider
stack_pki "$tmp/pki" || exit 1
start_slapd "$tmp/ldap" "$tmp/pki/server.crt" "$tmp/pki/server.key" "$tmp/pki/root.crt" <<'LDIF' || { echo "slapd did not start"; exit 1; }
dn: dc=example,dc=com
objectClass: dcObject
objectClass: organization
o: Example
dc: example

dn: ou=people,dc=example,dc=com
objectClass: organizationalUnit
ou: people

dn: uid=erin,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: erin
cn: Erin Directory
sn: Directory
mail: erin@example.com
userPassword: {CLEARTEXT}Battery-Staple-9
LDIF
export STACK_SITE_DIRECTORY=1 STACK_DOCUMENT_HANDLING=origin
export STACK_SITE_IDP="idp:
  - plugin: ldap
    config: {url: \"$ldap_url\", ca_file: \"$tmp/pki/root.crt\", base_dn: \"dc=example,dc=com\", user_attribute: uid}"
# the site's port first: the provider registers the page's redirect URI on it
site_port=$(stack_free_port)
if [ "$test" = oidc ]; then
  [ -e "$src/tests/oidc/node_modules/oidc-provider/package.json" ] ||
    { echo "tests/oidc has no node_modules: run scripts/deps.sh (npm ci there)"; exit 1; }
  node "$src/tests/oidc/provider.mjs" --port 0 --cert "$tmp/pki/server.crt" --key "$tmp/pki/server.key" \
    --redirect-uri "https://localhost:$site_port/oidc/callback" >"$tmp/oidc.out" 2>"$tmp/oidc.log" &
  oidc_pid=$!
  oidc_issuer=$(stack_wait_line "$tmp/oidc.out" issuer) || { echo "the OpenID provider did not start"; cat "$tmp/oidc.log"; exit 1; }
  export STACK_CLOUD_IDP="idp:
  - plugin: oidc
    config: {issuer: \"$oidc_issuer\", client_id: securerelease-scout, panel_client_id: securerelease-panel,
             ca_file: \"$tmp/pki/root.crt\"}"
fi
# the console's administrator and help desk sign in at the test provider
# (alice: sr-admins; grace: sr-helpdesk), as the stack sets them up
[ "$test" = console_admin ] && export STACK_CONSOLE_OIDC=1
stack_start "$tmp" "$bin" "$plugins" || { echo "the stack did not start"; exit 1; }
if [ "$test" = console_admin ]; then
  stack_srctl user add --email grace@example.com --name "Grace Helpdesk" >/dev/null || { echo "no grace"; exit 1; }
fi
stack_srctl user add --email bob@example.com --name "Bob Example" --pin 2468 \
  --secret-file "$secret_file" --tenant "$tenant" >/dev/null || { echo "no bob"; exit 1; }
stack_srctl user add --email carol@example.com --name "Carol Example" --pin 1357 \
  --secret-file "$secret_file" --tenant "$tenant" >/dev/null || { echo "no carol"; exit 1; }
stack_srctl delegate add --from bob@example.com --to "$demo_email" >/dev/null || { echo "no delegation"; exit 1; }
stack_print_scout bobpc bob@example.com || { echo "bob's workstation did not start"; exit 1; }
stack_device_no_paper nopaper
passcode=$("$bin/sr-print-scout" passcode --config "$tmp/workstation/scout.yaml" --renew 2>&1 |
  grep -o '[A-Z0-9]\{4\}-[A-Z0-9]\{4\}' | tail -1)
[ -n "$passcode" ] || { echo "no passcode"; exit 1; }

export SR_BIN=$bin SR_SRC=$src SR_TMP=$tmp SR_WEB_OUT=$out PANEL_URL=$panel_url \
  QUEUE_ALICE=$queue_workstation QUEUE_BOB=$queue_bobpc PID_BOB=$pid_bobpc SPOOL_DIR=$spool_dir \
  PRINT_HOLD=$spool_dir/../print-hold PASSCODE=$passcode DEMO_CARD=$demo_card DEMO_PIN=$demo_pin \
  DEMO_EMAIL=$demo_email SR_SECRET_FILE=$secret_file SR_TENANT=$tenant OIDC_ISSUER=${oidc_issuer:-} \
  SR_CLOUD_URL=$cloud_url SR_CLOUD_CA=$ca_file SR_TOKEN_FILE=$token_file PID_CLOUD=$cloud_pid
node "$src/tests/web/$test.mjs"
