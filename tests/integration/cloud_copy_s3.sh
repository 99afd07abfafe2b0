#!/usr/bin/env bash
# Cloud copies in an S3 bucket: the stack's cloud stores copies with the s3
# storage plugin in s3rver (tests/s3, which checks SigV4 signatures) on
# loopback. A submitted job's copy lands in the bucket, only as ciphertext,
# is read back byte for byte through the cloud, and is deleted from the
# bucket once the job is printed. Two regions over two buckets: a user
# switched to the other region (a traveller) has the next job's copy there.
# usage: cloud_copy_s3.sh BIN_DIR PLUGIN_DIR SOURCE_DIR
set -u
bin=$1 plugins=$2 src=$3
source "$src/tests/support/stack_test.sh" copy-s3
source "$src/tests/support/panel.sh"
marker=securerelease-s3-copy-marker-91c0de

s3_port=$(stack_free_port)
mkdir -p "$tmp/s3"
node --openssl-legacy-provider "$src/tests/s3/server.js" "$s3_port" "$tmp/s3" >"$tmp/s3.out" 2>&1 &
s3_pid=$!
cleanup_more() { kill "$s3_pid" 2>/dev/null; }
wait_until 200 grep -q '^ready' "$tmp/s3.out" ||
  { echo "s3rver did not start (scripts/deps.sh installs tests/s3):"; cat "$tmp/s3.out"; exit 1; }
export SR_TEST_S3_SECRET=S3RVER # the secret from the environment, as a deployment passes it
# two regions, each over its own bucket
export STACK_REGIONS='regions: [{name: eu, storage: eu, label: Europe}, {name: us, storage: us, label: US}]'
export STACK_CLOUD_STORAGE="  - plugin: s3
    name: eu
    config: {endpoint: 'http://127.0.0.1:$s3_port/', region: us-east-1, bucket: jobs,
             prefix: copies, access_key: S3RVER, secret_key: '\${SR_TEST_S3_SECRET}'}
  - plugin: s3
    name: us
    config: {endpoint: 'http://127.0.0.1:$s3_port/', region: us-east-1, bucket: jobs-us,
             access_key: S3RVER, secret_key: '\${SR_TEST_S3_SECRET}'}"
stack_start "$tmp" "$bin" "$plugins" || { echo "the stack did not start"; exit 1; }
ws=$tmp/workstation

objects() { find "$tmp/s3/${1:-jobs}" -type f -name '*._S3rver_object' 2>/dev/null; }
cloud_job_ids() { stack_srctl jobs --json | jq -r '.jobs[] | select(.state == "held") | .id'; }
python3 "$src/tests/support/make_pdf.py" "$marker" >"$tmp/doc.pdf"
"$bin/srctl" submit "$tmp/doc.pdf" --queue "$queue_workstation" --title "S3 copy" --format application/pdf >/dev/null
announced() { [ -n "$(cloud_job_ids)" ]; }
wait_until 100 announced
job=$(cloud_job_ids | head -1)
check "the job is held at the cloud" [ -n "$job" ]
stored() { [ "$(stack_sql "SELECT copy_store FROM jobs WHERE id = '$job'")" = eu ]; }
check "the embedded default (immediate) uploads its copy to the s3 instance" wait_until 100 stored
check "the bucket holds one object" [ "$(objects | wc -l)" = 1 ]
check "under the configured prefix, named by tenant and job" ok 'objects | grep -q "copies/$tenant/$job"' 
check "the document's text is nowhere in the bucket" bash -c "! grep -rqa '$marker' '$tmp/s3'"
code=$(curl -sS --cacert "$ca_file" --cert "$ws/scout.crt" --key "$ws/scout.key" -o "$tmp/got" \
  -w '%{http_code}' "$cloud_url/api/v1/scout/jobs/$job/copy")
check "read back through the cloud: 200, the workstation's bytes" \
  ok '[ "$code" = 200 ] && cmp -s "$tmp/got" "$ws/store/jobs/$job.srjob"'

login printer1 "$demo_card"
panel POST /api/v1/panel/release "{\"jobs\":[\"$job\"]}" "$session"
wait_job "$job" "$session" '.state == "printed"'
check "the job printed" [ $? = 0 ]
gone() { [ -z "$(objects)" ]; }
check "its copy is deleted from the bucket" wait_until 100 gone

# the user travels: assigned region us, the next job's copy goes to jobs-us
user_id=$(stack_srctl user list --json | jq -r --arg e "$demo_email" '.users[] | select(.email == $e) | .id')
check "the user is assigned region us" stack_srctl user set "$user_id" --region us
"$bin/srctl" submit "$tmp/doc.pdf" --queue "$queue_workstation" --title "S3 copy 2" --format application/pdf >/dev/null
wait_until 100 announced
job2=$(cloud_job_ids | head -1)
stored_us() { [ "$(stack_sql "SELECT copy_store || ' ' || copy_region FROM jobs WHERE id = '$job2'")" = "us us" ]; }
check "the next job's copy is stored in region us" wait_until 100 stored_us
check "in the bucket jobs-us, named by tenant and job" ok 'objects jobs-us | grep -q "jobs-us/$tenant/$job2"'
check "and nothing new in the other region's bucket" [ "$(objects | wc -l)" = 0 ]
checks_done
