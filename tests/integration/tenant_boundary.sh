#!/usr/bin/env bash
# The tenant boundary as an attacker tries it, on the real stack: with
# another tenant's CA key (taken from a stolen database and master key),
# certificates naming tenant A's site, A's subject or the cloud are made
# and shown to the cloud's API and to the broker; a removed scout's
# certificate is refused on HTTPS and MQTT; the database and key files are
# private and a readable one, or no master key, stops the cloud.
# usage: tenant_boundary.sh BIN_DIR PLUGIN_DIR SOURCE_DIR
set -u
# SQLite whatever the run says (scripts/test.sh): a thief copies the SQLite file (.backup) and reads it
export STACK_DATABASE=sqlite
bin=$1 plugins=$2 src=$3
source "$src/tests/support/stack_test.sh" tenant
export STACK_RELEASE_TIMEOUT=10s
cleanup_more() { [ -n "${sub_pid:-}" ] && kill "$sub_pid" 2>/dev/null; }

stack_start "$tmp" "$bin" "$plugins" || { echo "the stack did not start"; exit 1; }
cloud_dir=$tmp/cloud pki=$tmp/pki
# the CAs a client sees: our root for the servers
scouts=$(stack_srctl scout list --json)
site_id=$(echo "$scouts" | jq -r '.scouts[] | select(.kind == "site") | .id')
ws_id=$(echo "$scouts" | jq -r '.scouts[] | select(.kind == "print") | .id')

# 1. what is at rest: private files, no private key in clear
mode() { stat -c %a "$1"; }
check "cloud.db is 0600" [ "$(mode "$cloud_dir/cloud.db")" = 600 ]
check "cloud.db-wal is 0600" [ "$(mode "$cloud_dir/cloud.db-wal")" = 600 ]
check "cloud.db-shm is 0600" [ "$(mode "$cloud_dir/cloud.db-shm")" = 600 ]
check "the broker's ACL, which lists every tenant and scout, is 0640" [ "$(mode "$tmp/broker/acl")" = 640 ]
check "no private key in clear in the database or its WAL" \
  [ "$(cat "$cloud_dir"/cloud.db* | grep -ac 'PRIVATE KEY')" = 0 ]
check "the tenant's CA key is stored sealed" \
  [ "$(sqlite3 "$cloud_dir/cloud.db" "SELECT substr(ca_key, 1, 10) FROM tenants WHERE id = '$tenant'")" = "sealed:v1:" ]

# 2. tenant B, whose CA key the attacker has: the sealed key opens only
# with the master key, kept outside the database (the attacker has both)
SR_CLOUD_URL=$cloud_url SR_CLOUD_CA=$ca_file SR_TOKEN_FILE=$cloud_dir/operator-token \
  "$bin/srctl" tenant create other --name "Other Company" --token-out "$tmp/other-token" >/dev/null
check "tenant B created" [ -s "$tmp/other-token" ]
# tenant settings are the tenant's own: B's change leaves A's default, a
# bad value changes nothing and says what the setting takes
b_ctl() { SR_CLOUD_URL=$cloud_url SR_CLOUD_CA=$ca_file SR_TOKEN_FILE=$tmp/other-token "$bin/srctl" "$@"; }
a_hold=$(stack_srctl settings show --json | jq -r .hold_time)
check "tenant B sets its hold time (24h, as seconds)" [ "$(b_ctl settings set hold_time=24h --json | jq -r .hold_time)" = 86400 ]
check "tenant A's hold time is unchanged" [ "$(stack_srctl settings show --json | jq -r .hold_time)" = "$a_hold" ]
out=$(b_ctl settings set hold_time=30m 2>&1)
check "a hold time under an hour is refused with the range" grep -q "from 3600 to 604800 seconds" <<<"$out"
check "and changes nothing" [ "$(b_ctl settings show --json | jq -r .hold_time)" = 86400 ]
sqlite3 "$cloud_dir/cloud.db" "SELECT ca_cert FROM tenants WHERE id = 'other'" >"$tmp/b-ca.crt"
cat >"$tmp/unseal.py" <<'PY'
import base64, sqlite3, sys
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
db, key_file, tenant = sys.argv[1:]
sealed = sqlite3.connect(db).execute("SELECT ca_key FROM tenants WHERE id = ?", (tenant,)).fetchone()[0]
raw = base64.b64decode(sealed[len("sealed:v1:"):])
nonce, tag, ct = raw[:12], raw[12:28], raw[28:]
key = bytes.fromhex(open(key_file).read().strip())
sys.stdout.write(AESGCM(key).decrypt(nonce, ct + tag, f"tenant-ca-key:{tenant}".encode()).decode())
PY
/usr/bin/python3 "$tmp/unseal.py" "$cloud_dir/cloud.db" "$cloud_dir/master-key" other >"$tmp/b-ca.key"
check "tenant B's CA key unsealed with the master key" grep -q 'BEGIN PRIVATE KEY' "$tmp/b-ca.key"
chmod 600 "$tmp/b-ca.key"

# forge SUBJECT NAME: a client certificate signed with tenant B's CA key
forge() {
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/$2.key" \
    -out "$tmp/$2.csr" -subj "$1" 2>/dev/null &&
    printf 'extendedKeyUsage=clientAuth\n' >"$tmp/client.ext" &&
    openssl x509 -req -in "$tmp/$2.csr" -CA "$tmp/b-ca.crt" -CAkey "$tmp/b-ca.key" \
      -CAcreateserial -out "$tmp/$2.leaf" -days 2 -extfile "$tmp/client.ext" 2>/dev/null &&
    cat "$tmp/$2.leaf" "$tmp/b-ca.crt" >"$tmp/$2.crt"
}
forge "/O=other/CN=$site_id" b-as-a-site      # B's subject, A's site id as CN
forge "/O=$tenant/CN=$site_id" a-subject      # A's subject: outside B's constraint
forge "/CN=sr-cloud" cloud-name               # the cloud's own subject
forge "/O=other/CN=sr-cloud" b-cloud          # the cloud's CN under B
check "four forged certificates made" [ -s "$tmp/b-as-a-site.crt" -a -s "$tmp/a-subject.crt" -a -s "$tmp/cloud-name.crt" -a -s "$tmp/b-cloud.crt" ]

# cloud_as NAME: a site's panel call to the cloud with that certificate; $code
cloud_as() {
  code=$(curl -sS --cacert "$ca_file" --cert "$1" --key "$2" -o "$tmp/resp" -w '%{http_code}' \
    -X POST -H 'Content-Type: application/json' \
    --data-binary "{\"device\":\"printer1\",\"card_hash\":\"$(printf '0%.0s' $(seq 64))\"}" \
    "$cloud_url/api/v1/site/panel/sessions" 2>"$tmp/curl.err") || code=000
}
cloud_as "$tmp/site/site.crt" "$tmp/site/site.key"
check "control: the real site's certificate is heard (a failed login, not a refusal): $code" \
  [ "$code" = 401 ]
cloud_as "$tmp/b-as-a-site.crt" "$tmp/b-as-a-site.key"
check "cloud: tenant B's certificate with A's site id as CN is refused (403): $code" [ "$code" = 403 ]
check "cloud: and says why" grep -q "is not a site scout" "$tmp/resp"
check "cloud: the refusal is logged naming the tenant whose CA was expected" \
  grep -q "refused certificate '$site_id'.*not issued by tenant $tenant's CA" "$cloud_dir/log"
for forged in a-subject cloud-name; do
  cloud_as "$tmp/$forged.crt" "$tmp/$forged.key"
  check "cloud: $forged (outside B's name constraint) fails TLS: $code" [ "$code" = 000 ]
done
cloud_as "$tmp/b-cloud.crt" "$tmp/b-cloud.key"
check "cloud: B's certificate named sr-cloud is no scout (403): $code" [ "$code" = 403 ]

# 3. the broker. mqtt_pub NAME TOPIC: publishes with QoS 1; $rc is the
# PUBACK reason, "tls" if the connection failed
mqtt_pub() {
  local out
  out=$(mosquitto_pub -h localhost -p "$mqtt_port" --cafile "$ca_file" --cert "$1" --key "$2" \
    -V 5 -q 1 -d -t "$3" -m '{"event":"printed","job":"j-forged"}' 2>&1)
  rc=$(echo "$out" | sed -n 's/.*received PUBACK.*RC:\([0-9]*\).*/\1/p')
  [ -n "$rc" ] || rc=tls
}
a_evt="sr/v1/$tenant/scouts/$site_id/evt"
mqtt_pub "$tmp/site/site.crt" "$tmp/site/site.key" "$a_evt"
check "control: the real site may publish on its own topic (reason $rc)" [ "$rc" = 0 -o "$rc" = 16 ]
mqtt_pub "$tmp/b-as-a-site.crt" "$tmp/b-as-a-site.key" "$a_evt"
check "broker: B's certificate with A's site id may not publish as it (135): $rc" [ "$rc" = 135 ]
mqtt_pub "$tmp/b-cloud.crt" "$tmp/b-cloud.key" "sr/v1/$tenant/scouts/$ws_id/cmd"
check "broker: B's certificate named sr-cloud may not command A's scouts (135): $rc" [ "$rc" = 135 ]
for forged in a-subject cloud-name; do
  mqtt_pub "$tmp/$forged.crt" "$tmp/$forged.key" "$a_evt"
  check "broker: $forged (outside B's name constraint) cannot connect: $rc" [ "$rc" = tls ]
done
check "broker: its log shows the failed verification" grep -q "certificate verify failed" "$tmp/broker/log"

# B's sr-cloud subscribes to everything, then a real release goes to A's
# workstation; once the job is printed (after its command went out), the
# forged subscriber must have received nothing
stdbuf -oL mosquitto_sub -h localhost -p "$mqtt_port" --cafile "$ca_file" --cert "$tmp/b-cloud.crt" \
  --key "$tmp/b-cloud.key" -V 5 -q 1 -d -t 'sr/v1/#' -t "sr/v1/$tenant/scouts/$ws_id/cmd" \
  >"$tmp/sub.out" 2>&1 &
sub_pid=$!
for _ in $(seq 200); do grep -q "received SUBACK" "$tmp/sub.out" && break; sleep 0.025; done
check "the forged subscriber's SUBACK arrived" grep -q "received SUBACK" "$tmp/sub.out"
ipptool -q -T 10 -f "$src/tests/data/three-pages.pdf" "$queue_workstation" \
  "$src/tests/data/ipp/hold-job.test"
panel() { # METHOD PATH [BODY] [SESSION] -> $code $body
  local args=(-sS --cacert "$ca_file" -o "$tmp/resp" -w '%{http_code}' -X "$1" "$panel_url$2")
  [ -n "${3:-}" ] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
  [ -n "${4:-}" ] && args+=(-H "Authorization: Bearer $4")
  code=$(curl "${args[@]}" 2>/dev/null) || code=000
  body=$(cat "$tmp/resp")
}
panel POST /api/v1/panel/sessions "{\"device\":\"printer1\",\"card\":\"$demo_card\"}"
session=$(echo "$body" | jq -r .session)
panel GET /api/v1/panel/jobs "" "$session"
job=$(echo "$body" | jq -r '.jobs[0].id')
panel POST /api/v1/panel/release "{\"jobs\":[\"$job\"]}" "$session"
printed=no
for _ in $(seq 300); do
  panel GET "/api/v1/panel/jobs/$job" "" "$session"
  [ "$(echo "$body" | jq -r .state)" = printed ] && { printed=yes; break; }
  sleep 0.05
done
check "the real release printed" [ "$printed" = yes ]
check "broker: the forged sr-cloud received none of A's commands" \
  [ "$(grep -c 'received PUBLISH' "$tmp/sub.out")" = 0 ]
kill "$sub_pid" 2>/dev/null; wait "$sub_pid" 2>/dev/null; sub_pid=

# 4. revocation: srctl scout remove; HTTPS refuses at once, MQTT once the
# broker has reloaded its ACL
mqtt_pub "$tmp/workstation/scout.crt" "$tmp/workstation/scout.key" "sr/v1/$tenant/scouts/$ws_id/evt"
check "control: the workstation may publish before removal ($rc)" [ "$rc" = 0 -o "$rc" = 16 ]
stack_srctl scout remove "$site_id" >/dev/null
check "srctl scout remove (site): exit 0" [ $? = 0 ]
cloud_as "$tmp/site/site.crt" "$tmp/site/site.key"
check "cloud: the removed site's certificate is refused at once (403): $code" [ "$code" = 403 ]
stack_srctl scout remove "$ws_id" >/dev/null
check "srctl scout remove (workstation): exit 0" [ $? = 0 ]
for _ in $(seq 100); do
  mqtt_pub "$tmp/workstation/scout.crt" "$tmp/workstation/scout.key" "sr/v1/$tenant/scouts/$ws_id/evt"
  [ "$rc" = 135 ] && break
  sleep 0.05
done
check "broker: the removed workstation may no longer publish (135): $rc" [ "$rc" = 135 ]
stack_srctl scout remove "$ws_id" >/dev/null 2>"$tmp/remove.err"
check "removing it again: not found" grep -q "no such scout" "$tmp/remove.err"
check "the scout list no longer has them" \
  [ "$(stack_srctl scout list --json | jq '.scouts | length')" = 0 ]

# 5. the cloud refuses to start on a readable database or without its
# master key (a copy of its configuration on a fresh port)
start_copy() { # YAML -> $out, $status
  out=$(timeout 20 "$bin/sr-cloud" --config "$1" 2>&1 </dev/null)
  status=$?
}
sed -e "s/port: $cloud_port/port: 0/" -e 's/path: cloud.db/path: copy.db/' \
  -e '/broker_acl/d' "$cloud_dir/cloud.yaml" >"$cloud_dir/copy.yaml"
sqlite3 "$cloud_dir/cloud.db" ".backup '$cloud_dir/copy.db'"
chmod 644 "$cloud_dir/copy.db"
start_copy "$cloud_dir/copy.yaml"
check "sr-cloud refuses a database others can read (exit $status)" [ "$status" != 0 ]
check "and names the file and the fix" \
  eval 'echo "$out" | grep -q "copy.db: readable or writable by others (mode 644).*chmod 600"'
chmod 600 "$cloud_dir/copy.db"
chmod 644 "$cloud_dir/master-key"
start_copy "$cloud_dir/copy.yaml"
check "sr-cloud refuses a master key others can read (exit $status)" \
  eval '[ "$status" != 0 ] && echo "$out" | grep -q "master-key: readable by its group or others"'
chmod 600 "$cloud_dir/master-key"
# a database from a version that kept CA keys in clear: sealed at start, and
# no copy of the clear key left in the file or its WAL while it runs
/usr/bin/python3 "$tmp/unseal.py" "$cloud_dir/copy.db" "$cloud_dir/master-key" "$tenant" >"$tmp/a-ca.key"
/usr/bin/python3 -c 'import sqlite3, sys; d = sqlite3.connect(sys.argv[1]); d.execute("UPDATE tenants SET ca_key = ? WHERE id = ?", (open(sys.argv[2]).read(), sys.argv[3])); d.commit()' \
  "$cloud_dir/copy.db" "$tmp/a-ca.key" "$tenant"
check "the legacy copy holds a clear key" [ "$(cat "$cloud_dir"/copy.db* | grep -ac 'PRIVATE KEY')" != 0 ]
"$bin/sr-cloud" --config "$cloud_dir/copy.yaml" >"$cloud_dir/copy.out" 2>"$cloud_dir/copy.log" &
copy_pid=$!
stack_wait_line "$cloud_dir/copy.out" api >/dev/null
check "sr-cloud runs on the legacy copy (it says where it listens)" grep -q '^api ' "$cloud_dir/copy.out"
check "it sealed the clear key in place" \
  [ "$(sqlite3 "$cloud_dir/copy.db" "SELECT substr(ca_key, 1, 10) FROM tenants WHERE id = '$tenant'")" = "sealed:v1:" ]
check "and, while it runs, no clear copy is left in the database or its WAL" \
  [ "$(cat "$cloud_dir"/copy.db* | grep -ac 'PRIVATE KEY')" = 0 ]
kill "$copy_pid"; wait "$copy_pid" 2>/dev/null
(umask 077 && openssl rand -hex 32 >"$cloud_dir/other-key")
sed -i 's/master_key_file: master-key/master_key_file: other-key/' "$cloud_dir/copy.yaml"
start_copy "$cloud_dir/copy.yaml"
check "sr-cloud refuses a master key that does not open the sealed keys (exit $status)" \
  eval '[ "$status" != 0 ] && echo "$out" | grep -q "other-key: tenant .* CA key does not open with this master key"'
sed -i '/master_key_file/d' "$cloud_dir/copy.yaml"
start_copy "$cloud_dir/copy.yaml"
check "sr-cloud refuses to run enrollment without a master key (exit $status)" \
  eval '[ "$status" != 0 ] && echo "$out" | grep -q "set master_key_file"'

echo "tenant boundary: $passed passed, $failed failed"
[ "$failed" = 0 ]
