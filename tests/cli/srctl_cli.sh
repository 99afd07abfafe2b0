#!/usr/bin/env bash
# srctl as a user runs it: messages and exit statuses.
# usage: srctl_cli.sh SRCTL PLUGIN_DIR FIXTURE_DIR
set -u
srctl=$1 plugins=$2 fixtures=$3
# the host's ABI, from the SDK header (the plugins here were built with it)
abi_h=$(dirname "$0")/../../core/include/sr/abi.h
abi="$(awk '$2 == "SR_ABI_MAJOR" {print $3}' "$abi_h")\\.$(awk '$2 == "SR_ABI_MINOR" {print $3}' "$abi_h")"
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
expect "inspect shows kind and ABI" 0 "abi: +$abi \\(host $abi\\)" -- "$srctl" plugin inspect "$plugins/sr_storage_local.so"
expect "inspect: a 1.0 plugin's calls are serialised" 0 "threads: +one call at a time per instance" -- "$srctl" plugin inspect "$fixtures/older.so"
expect "inspect: a thread-safe plugin says so" 0 "threads: +thread-safe" -- "$srctl" plugin inspect "$fixtures/threadsafe.so"
expect "inspect wrong major" 1 "plugin built for ABI 2\\.0, this host provides ABI $abi" -- "$srctl" plugin inspect "$fixtures/major2.so"
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

# regions: each names a storage instance that exists, once; hashes and
# pseudonyms need the master key they are keyed from
cat >"$tmp/regions.yaml" <<'YAML'
service: cloud
storage:
  - {plugin: local, name: near, config: {root: /var/lib/sr/near}}
regions:
  - {name: eu-west, storage: near, label: Ireland}
  - {name: eu-west, storage: near, prefix: again/}
  - {name: us-east, storage: far}
  - {name: ap-east, storage: near, privacy: {title: hash}}
YAML
expect "regions: every error counted" 2 "regions\.yaml: 3 errors" -- env SR_PLUGIN_PATH="$plugins" "$srctl" config check "$tmp/regions.yaml"
expect "regions: a duplicate name" 2 "regions\.yaml:6:12: 'regions\[1\]\.name': region 'eu-west' is declared twice" -- env SR_PLUGIN_PATH="$plugins" "$srctl" config check "$tmp/regions.yaml"
expect "regions: an unknown storage instance" 2 "regions\.yaml:7:30: 'regions\[2\]\.storage': no storage instance named 'far' \(storage: has near\)" -- env SR_PLUGIN_PATH="$plugins" "$srctl" config check "$tmp/regions.yaml"
expect "regions: a hash without a master key" 2 "regions\.yaml:8:45: 'regions\[3\]\.privacy': region 'ap-east': title: hash and user: pseudonym need master_key_file" -- env SR_PLUGIN_PATH="$plugins" "$srctl" config check "$tmp/regions.yaml"
printf 'service: cloud\nstorage:\n  - {plugin: local, config: {root: /a}}\n  - {plugin: local, config: {root: /b}}\n' >"$tmp/two-stores.yaml"
expect "storage instances need distinct names" 2 "two-stores\.yaml:4:5: 'storage\[1\]': a second storage instance named 'local' \(line 3 has the first\)" -- env SR_PLUGIN_PATH="$plugins" "$srctl" config check "$tmp/two-stores.yaml"

secret=$("$srctl" secret generate 2>/dev/null)
if [[ "$secret" =~ ^SR1(-[A-Z2-7]{5}){11}$ ]]; then passed=$((passed + 1)); else
  echo "FAIL secret format: $secret"; failures=$((failures + 1)); fi


# ---- the command line of every command: getopt_long conventions ----
bin=$(dirname "$srctl")
closed=https://127.0.0.1:1 # nothing listens on port 1: a call fails after parsing

# conventions NAME -- COMMAND...: an unknown option is refused with the
# usage on stderr (exit 64, nothing on stdout); --help and -h print the
# usage on stdout (exit 0, nothing on stderr).
conventions() {
  local name=$1 out err rc
  shift 2
  "$@" --no-such-option >"$tmp/out" 2>"$tmp/err"
  rc=$?
  if [ "$rc" = 64 ] && [ ! -s "$tmp/out" ] && grep -q -- "--no-such-option" "$tmp/err" &&
    grep -q "usage:" "$tmp/err"; then passed=$((passed + 1)); else
    echo "FAIL $name: unknown option gave exit $rc"; sed 's/^/  | /' "$tmp/out" "$tmp/err"
    failures=$((failures + 1)); fi
  for help in --help -h; do
    "$@" "$help" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ "$rc" = 0 ] && [ ! -s "$tmp/err" ] && grep -q "usage:" "$tmp/out"; then
      passed=$((passed + 1)); else
      echo "FAIL $name $help: exit $rc"; sed 's/^/  | /' "$tmp/out" "$tmp/err"
      failures=$((failures + 1)); fi
  done
}

for cmd in "config check" "plugin inspect" "secret generate" "secret key" "job show" "submit" \
  "tenant create" "user add" "user list" "user remove" "device add" "device list" \
  "device remove" "scout enroll" "scout list" "scout remove" "jobs" "settings show" \
  "settings set" "delegate add" "delegate list" "delegate remove" "user set" "scout set" \
  "region list" "device discovered" "device accept" "device label" "device set"; do
  # shellcheck disable=SC2086 # the words of the command
  conventions "srctl $cmd" -- "$srctl" $cmd
done
expect "srctl --help: every command, on stdout" 0 "srctl delegate remove ID" -- "$srctl" --help
expect "srctl user --help lists the user commands" 0 "srctl user remove ID" -- "$srctl" user --help
expect "srctl user frob: unknown command, usage" 64 "unknown command 'frob'" -- "$srctl" user frob
expect "srctl user: say what to do" 64 "srctl user add --email" -- "$srctl" user

for svc in sr-cloud sr-print-scout "sr-print-scout enroll" "sr-print-scout passcode" \
  "sr-print-scout register" sr-device-scout "sr-device-scout enroll"; do
  # shellcheck disable=SC2086
  conventions "$svc" -- "$bin"/$svc
done

# a flag before a positional: the positional is still the positional (the
# call then fails at the closed port or the missing file, which names it)
"$srctl" secret generate >"$tmp/site-secret" 2>/dev/null
chmod 600 "$tmp/site-secret"
expect "secret key: SPKI and fingerprint" 0 "^spki: MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE[A-Za-z0-9_-]{86}$" -- \
  "$srctl" secret key --secret-file "$tmp/site-secret" --tenant default
expect "secret key: a fingerprint in groups" 0 "^fingerprint: SHA256(:[0-9a-f]{4}){16}$" -- \
  "$srctl" secret key --secret-file "$tmp/site-secret"
expect "secret key: without the secret" 64 "--secret-file is required" -- "$srctl" secret key
expect "job show: flags before FILE" 1 "cannot open $tmp/none\.job" -- "$srctl" job show --secret-file "$tmp/site-secret" --tenant default "$tmp/none.job"
expect "submit: flags before FILE" 1 "127\.0\.0\.1:1" -- "$srctl" submit --copies 2 --queue ipp://127.0.0.1:1/ipp/print "$tmp/good.yaml"
expect "tenant create: flags before ID" 1 "POST $closed/api/v1/tenants" -- "$srctl" tenant create --name Acme --cloud "$closed" acme
expect "device add: flags before ID" 1 "POST $closed/api/v1/devices" -- "$srctl" device add --cloud "$closed" --uri ipp://printer.example/ipp/print --snmp printer.example:161 p1
for noun in user device scout delegate; do
  case $noun in delegate) coll=delegations ;; *) coll=${noun}s ;; esac
  expect "$noun remove: flag before ID" 1 "DELETE $closed/api/v1/$coll/x-1" -- "$srctl" $noun remove --cloud "$closed" x-1
  expect "$noun list: any order" 1 "GET $closed/api/v1/$coll" -- "$srctl" $noun list --json --cloud "$closed"
done
expect "jobs: options" 1 "GET $closed/api/v1/jobs" -- "$srctl" jobs --cloud "$closed" --json
expect "user add: options in any order" 1 "POST $closed/api/v1/users" -- "$srctl" user add --name Bob --cloud "$closed" --email bob@example.com
expect "scout enroll: options in any order" 1 "POST $closed/api/v1/scouts" -- "$srctl" scout enroll --name pc --cloud "$closed" --kind print
expect "delegate add: options in any order" 1 "POST $closed/api/v1/delegations" -- "$srctl" delegate add --to b@example.com --cloud "$closed" --from a@example.com
expect "no cloud there: say what to do" 1 "is the cloud running there" -- "$srctl" jobs --cloud "$closed"
expect "sr-print-scout enroll: options in any order" 1 "none\.yaml:1:1: cannot open" -- "$bin/sr-print-scout" enroll --token T --config "$tmp/none.yaml"
expect "sr-print-scout register: options in any order" 1 "none\.yaml:1:1: cannot open" -- "$bin/sr-print-scout" register --email a@example.com --config "$tmp/none.yaml"
expect "sr-device-scout enroll: options in any order" 1 "none\.yaml:1:1: cannot open" -- "$bin/sr-device-scout" enroll --config "$tmp/none.yaml" --token T
expect "sr-cloud: --config" 1 "none\.yaml:1:1: cannot open" -- "$bin/sr-cloud" --config "$tmp/none.yaml"

# a malformed value is refused (64) with a message naming the option
refused() { expect "$1" 64 "$2" -- "${@:4}"; }
refused "user add --nmae (the issue's example)" "unknown option '--nmae'" -- "$srctl" user add --email bob@example.com --nmae Bob --cloud "$closed"
refused "user add: bad email" "--email: 'not-an-address' is not an email" -- "$srctl" user add --email not-an-address --cloud "$closed"
refused "user add: bad PIN length" "--pin-length: expected a whole number from 4 to 12" -- "$srctl" user add --email b@example.com --pin-length 4x --cloud "$closed"
refused "user add: bad card format" "--card-format: expected decimal, hex or raw" -- "$srctl" user add --email b@example.com --card-format octal --cloud "$closed"
refused "user add: card without the secret" "--card and --pin need --secret-file" -- "$srctl" user add --email b@example.com --card 123 --cloud "$closed"
refused "device add --snmp nonsense (the issue's example)" "--snmp: expected HOST:PORT" -- "$srctl" device add p1 --uri ipp://h/ipp/print --snmp nonsense --cloud "$closed"
refused "device add: bad URI" "--uri: expected ipps://, ipp:// or socket://" -- "$srctl" device add p1 --uri http://h/ --cloud "$closed"
refused "device add: needs --uri" "--uri is required" -- "$srctl" device add p1 --cloud "$closed"
refused "scout enroll: bad kind" "--kind: expected print or site" -- "$srctl" scout enroll --kind laptop --cloud "$closed"
refused "scout enroll: bad user" "--user: 'bob' is not an email" -- "$srctl" scout enroll --kind print --user bob --cloud "$closed"
refused "delegate add: bad owner" "--from: 'a' is not an email" -- "$srctl" delegate add --from a --to b@example.com --cloud "$closed"
refused "submit: bad copies" "--copies: expected a whole number from 1 to 999, got 'two'" -- "$srctl" submit "$tmp/good.yaml" --queue ipp://127.0.0.1:1/ipp/print --copies two
refused "submit: bad sides" "--sides: 'both' is not one of" -- "$srctl" submit "$tmp/good.yaml" --queue ipp://127.0.0.1:1/ipp/print --sides both
refused "submit: bad queue" "--queue: expected ipp://" -- "$srctl" submit "$tmp/good.yaml" --queue http://127.0.0.1:1/
refused "user set: nothing to change" "nothing to change: give --region" -- "$srctl" user set u-1
refused "scout enroll: a print scout has no region" "--region is a site's" -- "$srctl" scout enroll --kind print --region eu-west
refused "scout enroll: a site belongs to no site" "--site is for a print scout" -- "$srctl" scout enroll --kind site --site s-1
refused "device discovered: a bad state" "--state: expected new, known or vanished" -- "$srctl" device discovered --state gone
refused "device accept: needs the discovered id" "usage: srctl device accept" -- "$srctl" device accept
refused "device label: which devices" "or say --all" -- "$srctl" device label
refused "device set: nothing to change" "nothing to change: give --name or --location" -- "$srctl" device set p
refused "device label: ids and --all" "either device ids or --all, not both" -- "$srctl" device label p --all
refused "device label: a bad paper" "--paper: a4 or letter, got 'a3'" -- "$srctl" device label --all --paper a3
refused "device label: a bad format" "--format: pdf, svg or terminal, got 'png'" -- "$srctl" device label --all --format png
refused "job show: --secret-file needs a value" "option '--secret-file' needs a value" -- "$srctl" job show "$tmp/none.job" --secret-file
for cmd in "tenant create t" "user add --email b@example.com" "user list" "user remove u" "device add p --uri ipp://h/" \
  "device list" "device remove p" "scout enroll --kind print" "scout list" "scout remove s" "jobs" \
  "delegate add --from a@example.com --to b@example.com" "delegate list" "delegate remove d" \
  "user set u --region r" "scout set s --site none" "region list" "device discovered" \
  "device accept dsc-1" "device label --all" "device set p --location x"; do
  # shellcheck disable=SC2086
  refused "srctl $cmd: bad --cloud" "--cloud: expected https://HOST:PORT, got 'http://x'" -- "$srctl" $cmd --cloud http://x
done
# these take no option with a value: a word too many is refused instead
refused "srctl plugin inspect: an argument too many" "unexpected argument 'extra'" -- "$srctl" plugin inspect "$tmp/a.so" extra
refused "srctl secret generate: an argument too many" "unexpected argument 'extra'" -- "$srctl" secret generate extra
refused "srctl config check: no file" "config check: missing argument" -- "$srctl" config check
refused "sr-cloud: --config needs a value" "needs a value: --config" -- "$bin/sr-cloud" --config
refused "sr-print-scout register: bad email" "--email: not an email address: nobody" -- "$bin/sr-print-scout" register --config "$tmp/none.yaml" --email nobody
refused "sr-print-scout enroll: needs --token" "--token TOKEN is required" -- "$bin/sr-print-scout" enroll --config "$tmp/none.yaml"
refused "sr-print-scout passcode: --token is not its option" "unknown option --token" -- "$bin/sr-print-scout" passcode --config "$tmp/none.yaml" --token x
refused "sr-device-scout enroll: --token needs a value" "needs a value: --token" -- "$bin/sr-device-scout" enroll --config "$tmp/none.yaml" --token
refused "sr-device-scout: a stray word" "unexpected argument frob" -- "$bin/sr-device-scout" --config "$tmp/none.yaml" frob

echo "$passed passed, $failures failed"
[ "$failures" = 0 ]
