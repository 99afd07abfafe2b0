#!/usr/bin/env bash
# srctl as a user runs it: messages and exit statuses.
# usage: srctl_cli.sh SRCTL PLUGIN_DIR FIXTURE_DIR
set -u
srctl=$1 plugins=$2 fixtures=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0 passed=0

# expect NAME STATUS PATTERN -- COMMAND...: runs COMMAND, checks its exit
# status and that its output (stdout+stderr) matches the extended regex.
expect() {
  local name=$1 want=$2 pattern=$3
  shift 4
  local out rc
  out=$("$@" 2>&1)
  rc=$?
  if [ "$rc" != "$want" ] || ! grep -Eq -- "$pattern" <<<"$out"; then
    echo "FAIL $name: exit $rc (wanted $want), output:"
    sed 's/^/  | /' <<<"$out"
    failures=$((failures + 1))
  else
    passed=$((passed + 1))
  fi
}

expect "inspect good plugin" 0 "name: +null" -- "$srctl" plugin inspect "$plugins/sr_transport_null.so"
expect "inspect shows kind and ABI" 0 "abi: +1\.1 \(host 1\.1\)" -- "$srctl" plugin inspect "$plugins/sr_storage_local.so"
expect "inspect: a 1.0 plugin's calls are serialised" 0 "threads: +one call at a time per instance" -- "$srctl" plugin inspect "$fixtures/older.so"
expect "inspect: a thread-safe plugin says so" 0 "threads: +thread-safe" -- "$srctl" plugin inspect "$fixtures/threadsafe.so"
expect "inspect wrong major" 1 "plugin built for ABI 2\.0, this host provides ABI 1\.1" -- "$srctl" plugin inspect "$fixtures/major2.so"
expect "inspect missing symbol" 1 "not a securerelease plugin" -- "$srctl" plugin inspect "$fixtures/nosymbol.so"
expect "inspect missing file" 1 "no such plugin file" -- "$srctl" plugin inspect "$tmp/none.so"
expect "usage" 64 "usage: srctl" -- "$srctl" frobnicate

cat >"$tmp/bad.yaml" <<'YAML'
service: print-scout
plugins:
  paths: [PLUGINS]
log:
  levle: debug
storage:
  plugin: local
  config:
    root: relative/path
transports:
  - plugin: lpd
  - plugin: "null"
    config:
      fail_open: maybe
user: someone
secret_file: /etc/site-secret
YAML
sed -i "s|PLUGINS|$plugins|" "$tmp/bad.yaml"
expect "config check lists every error" 2 "bad\.yaml: 4 errors" -- "$srctl" config check "$tmp/bad.yaml"
expect "config typo with hint" 2 "bad\.yaml:5:3: 'log\.levle': unknown key \(did you mean 'level'\?\)" -- "$srctl" config check "$tmp/bad.yaml"
expect "config plugin's own check" 2 "bad\.yaml:9:11: 'storage\.config\.root': expected an absolute directory path" -- "$srctl" config check "$tmp/bad.yaml"
expect "config missing plugin" 2 "bad\.yaml:11:13: 'transports\[0\]\.plugin': no transport plugin 'lpd': sr_transport_lpd\.so is not in" -- "$srctl" config check "$tmp/bad.yaml"
expect "config plugin value" 2 "bad\.yaml:14:18: 'transports\[1\]\.config\.fail_open': expected true or false, got 'maybe'" -- "$srctl" config check "$tmp/bad.yaml"

cat >"$tmp/good.yaml" <<'YAML'
service: cloud
storage:
  - plugin: local
    config: {root: /var/lib/sr}
YAML
expect "config check ok" 0 "good\.yaml: ok \(cloud, 1 plugin section checked\)" -- env SR_PLUGIN_PATH="$plugins" "$srctl" config check "$tmp/good.yaml"
# run from its build tree, srctl searches the plugins built with it
expect "config check finds the build tree's plugins" 0 "good\.yaml: ok \(cloud, 1 plugin section checked\)" -- env -u SR_PLUGIN_PATH "$srctl" config check "$tmp/good.yaml"
printf 'service: cloud\nstorage:\n  - plugin: lpd-nowhere\n    config: {}\n' >"$tmp/missing.yaml"
expect "config check names the build tree's plugin folder" 2 "sr_storage_lpd-nowhere\.so is not in $plugins, " -- env -u SR_PLUGIN_PATH "$srctl" config check "$tmp/missing.yaml"
# a copy outside any build tree does not
mkdir "$tmp/bin" && cp "$srctl" "$tmp/bin/srctl"
expect "an srctl outside a build tree searches no build tree" 2 "sr_storage_lpd-nowhere\.so is not in /" -- env -u SR_PLUGIN_PATH "$tmp/bin/srctl" config check "$tmp/missing.yaml"
if env -u SR_PLUGIN_PATH "$tmp/bin/srctl" config check "$tmp/missing.yaml" 2>&1 | grep -qF "$plugins"; then
  echo "FAIL the copy outside the build tree searched $plugins"
  failures=$((failures + 1))
else
  passed=$((passed + 1))
fi
expect "config check missing file" 2 "none\.yaml:1:1: cannot open" -- "$srctl" config check "$tmp/none.yaml"

printf 'service: cloud\nplugins:\n  paths:\n    - {a: b}\n' >"$tmp/map-path.yaml"
expect "config list item of the wrong type" 2 "map-path\.yaml:4:7: 'plugins\.paths\[0\]': expected a list of text values" -- "$srctl" config check "$tmp/map-path.yaml"

secret=$("$srctl" secret generate 2>/dev/null)
if [[ "$secret" =~ ^SR1(-[A-Z2-7]{5}){11}$ ]]; then passed=$((passed + 1)); else
  echo "FAIL secret format: $secret"; failures=$((failures + 1)); fi

echo "$passed passed, $failures failed"
[ "$failures" = 0 ]
