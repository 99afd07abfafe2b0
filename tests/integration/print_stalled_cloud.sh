#!/usr/bin/env bash
# A hung cloud never holds up printing at a print scout, nor its shutdown
# (issue 9 attack review, finding 3). The cloud is stopped (SIGSTOP: its TCP
# port accepts, nothing answers); five Print-Jobs sent at once are all
# answered, held, within 2 s, because the queue hands the announcement to
# the announcer thread instead of calling the cloud before it answers. Once
# the cloud answers again the five jobs reach it. Then, with the cloud hung
# again and jobs waiting to be announced, the scout stops within its
# cloud_timeout and 5 s (at most the one cloud call in progress is waited
# for; the timeout is shortened from its default, 10 s, for the test, and
# so is the announcer's first retry, should the hung call time out before
# SIGCONT).
# usage: print_stalled_cloud.sh BIN_DIR PLUGIN_DIR SOURCE_DIR
set -u
bin=$1 plugins=$2 src=$3
source "$src/tests/support/stack_test.sh" stalled
cloud_timeout=4
export STACK_SCOUT_CLOUD_TIMEOUT=${cloud_timeout}s STACK_SCOUT_ANNOUNCE_RETRY=2s
# a cloud the test stopped (SIGSTOP) must go on to end
cleanup_more() { kill -CONT "${cloud_pid:-0}" 2>/dev/null; }

stack_start "$tmp" "$bin" "$plugins" || { echo "the stack did not start"; exit 1; }
doc=$src/tests/data/three-pages.pdf
store=$tmp/workstation/store/jobs
answered() { [ "$(cat "$tmp"/answer.* 2>/dev/null | grep -c '^0$')" = "$1" ]; }
submit_all() { # N PREFIX: N Print-Jobs at once, each writing its exit status when answered
  for i in $(seq "$1"); do
    (
      "$bin/srctl" submit "$doc" --queue "$queue_workstation" --title "$2-$i" \
        --format application/pdf >/dev/null 2>&1
      echo $? >"$tmp/answer.$2-$i"
    ) &
  done
}
cloud_jobs() { stack_srctl jobs --json | jq -r '.jobs[].id' 2>/dev/null; }
all_in_cloud() {
  local held
  held=$(ls "$store" | sed 's/\.srjob$//')
  [ "$(cloud_jobs | grep -cxF "$held")" = "$1" ]
}

# 1. the cloud hangs; five Print-Jobs at once are all answered within 2 s
kill -STOP "$cloud_pid"
submit_all 5 stalled
check "five Print-Jobs answered within 2 s with the cloud hung" wait_until 20 answered 5
check "and all five held" [ "$(ls "$store" | wc -l)" = 5 ]

# 2. the cloud answers again: the five reach it (listed by srctl jobs)
kill -CONT "$cloud_pid"
check "the five jobs reach the cloud once it answers" wait_until 400 all_in_cloud 5

# 3. the cloud hangs again with jobs to announce; the scout stops within
# cloud_timeout and 5 s
rm -f "$tmp"/answer.*
kill -STOP "$cloud_pid"
submit_all 3 stopping
check "three more Print-Jobs answered within 2 s" wait_until 20 answered 3
started=$(date +%s%N)
kill "$scout_pid"
gone() { ! kill -0 "$scout_pid" 2>/dev/null; }
check "the scout stops within $((cloud_timeout + 5)) s with the cloud hung" wait_until $(((cloud_timeout + 5) * 10)) gone
echo "# the scout stopped in $((($(date +%s%N) - started) / 1000000)) ms"
wait "$scout_pid"
check "cleanly" [ $? = 0 ]
checks_done
