#!/usr/bin/env bash
# When the cloud's database fails, the API says so: a 500 with a JSON error,
# never the "unauthenticated" or "not found" that an empty read would have
# become, and the cloud's log names the cause. The failures are made on the
# live database with the sqlite3 CLI, as another process sharing it could:
# a trigger that RAISEs on a write, a table renamed away under a read.
# usage: db_failures.sh BIN_DIR PLUGIN_DIR SOURCE_DIR
set -u
# SQLite whatever the run says (scripts/test.sh): it makes the SQLite file fail (read-only, locked, full)
export STACK_DATABASE=sqlite
bin=$1 plugins=$2 src=$3
source "$src/tests/support/stack_test.sh" dbfail

stack_start "$tmp" "$bin" "$plugins" || { echo "the stack did not start"; exit 1; }
db=$tmp/cloud/cloud.db log=$tmp/cloud/log

request() { # URL METHOD [BODY] [curl args...]: sets $code, $body, $ctype
  local url=$1 method=$2 data=${3:-}
  shift 3 2>/dev/null || shift $#
  local args=(-sS --cacert "$ca_file" -o "$tmp/resp" -D "$tmp/headers" -w '%{http_code}' -X "$method" "$url")
  [ -n "$data" ] && args+=(--data-binary "$data" -H "Content-Type: application/json")
  code=$(curl "${args[@]}" "$@" 2>"$tmp/curl.err") || code=000
  body=$(cat "$tmp/resp" 2>/dev/null)
  ctype=$(tr -d '\r' <"$tmp/headers" | awk -F': ' 'tolower($1) == "content-type" {print $2}' | tail -1)
}
admin() { request "$cloud_url$2" "$1" "${3:-}" -H "Authorization: Bearer $(cat "$token_file")"; }
panel() { # METHOD PATH [BODY] [SESSION]
  if [ -n "${4:-}" ]; then
    request "$panel_url$2" "$1" "${3:-}" -H "Authorization: Bearer $4"
  else
    request "$panel_url$2" "$1" "${3:-}"
  fi
}
field() { echo "$body" | jq -r "$1" 2>/dev/null; }
db_error() { # a JSON 500 saying the database failed
  [ "$code" = 500 ] && [ "$ctype" = application/json ] && [ "$(field .error.code)" = database ] &&
    [ -n "$(field .error.message)" ]
}
sql() { sqlite3 -cmd '.timeout 5000' "$db" "$1"; }
login="{\"device\":\"printer1\",\"email\":\"$demo_email\",\"pin\":\"$demo_pin\"}"

# controls: with a healthy database the same calls succeed
panel POST /api/v1/panel/sessions "$login"
check "control: the login succeeds (201)" [ "$code" = 201 ]
session=$(field .session)
admin GET /api/v1/users
check "control: the administrator lists users (200)" [ "$code" = 200 ]

# 1. a write refused: the session cannot be stored
sql "CREATE TRIGGER refuse_sessions BEFORE INSERT ON sessions BEGIN SELECT RAISE(ABORT, 'sessions refused by the test'); END;"
panel POST /api/v1/panel/sessions "$login"
check "a refused session write: the panel relays the cloud's JSON 500" db_error
check "the cloud's log names the trigger's message" grep -q "sessions refused by the test" "$log"
sql "DROP TRIGGER refuse_sessions;"

# 2. a user insert refused: a 500, not the 409 a conflict gets
sql "CREATE TRIGGER refuse_users BEFORE INSERT ON users BEGIN SELECT RAISE(ABORT, 'users refused by the test'); END;"
admin POST /api/v1/users '{"email":"carol@example.com"}'
check "a refused user insert: JSON 500, not 409" db_error
check "the log names it" grep -q "users refused by the test" "$log"
sql "DROP TRIGGER refuse_users;"
admin POST /api/v1/users '{"email":"carol@example.com"}'
check "control: the same user is added once the trigger is gone (201)" [ "$code" = 201 ]

# 3. a failed read of the tokens: a 500, not the 401 of "no such token"
sql "ALTER TABLE admin_tokens RENAME TO admin_tokens_away;"
admin GET /api/v1/users
check "tokens unreadable: JSON 500, not 401" db_error
check "the log names the missing table" grep -q "no such table: admin_tokens" "$log"
sql "ALTER TABLE admin_tokens_away RENAME TO admin_tokens;"
admin GET /api/v1/users
check "control: the token works again (200)" [ "$code" = 200 ]

# 4. a failed read of the sessions: a 500, not "session expired"
sql "ALTER TABLE sessions RENAME TO sessions_away;"
panel GET /api/v1/panel/jobs "" "$session"
check "sessions unreadable: JSON 500, not 401" db_error
sql "ALTER TABLE sessions_away RENAME TO sessions;"
panel GET /api/v1/panel/jobs "" "$session"
check "control: the session works again (200)" [ "$code" = 200 ]

# 5. a failed read of a job: a 500, not "no job for this user"
sql "ALTER TABLE delegations RENAME TO delegations_away;"
panel GET /api/v1/panel/jobs/0123abcd "" "$session"
check "a job lookup that fails: JSON 500, not 404" db_error
sql "ALTER TABLE delegations_away RENAME TO delegations;"
panel GET /api/v1/panel/jobs/0123abcd "" "$session"
check "control: an unknown job is 404 again" [ "$code" = 404 ]

echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" = 14 ]
