# A private PostgreSQL 15 (Debian's) for the tests and scripts/run.sh: its own cluster in a
# temporary directory owned by `postgres` (initdb refuses root), reached
# only through a Unix socket in that directory (listen_addresses empty: no
# TCP at all), trust authentication for the one role `sr`. Source it.
#
# pg_start: starts it and sets $pg_dir, $pg_port and $pg_conninfo (a libpq
# connection string without a database: add " dbname=NAME"); the caller
# calls pg_stop (also on failure). pg_createdb NAME makes a database.
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)

pg_as() { runuser -u postgres -- "$@"; }

pg_start() {
  [ -x "$pg_bin/initdb" ] || { echo "postgres.sh: PostgreSQL is not installed (scripts/deps.sh)" >&2; return 1; }
  pg_dir=$(mktemp -d /tmp/sr-pg-XXXXXX) || return 1
  chown postgres: "$pg_dir"
  pg_port=$((20000 + RANDOM % 20000))
  # UTF-8, as a production database is: text that is not fails here too
  pg_as "$pg_bin/initdb" -A trust -U sr -E UTF8 --locale=C.UTF-8 -D "$pg_dir/data" >"$pg_dir/initdb.log" 2>&1 ||
    { cat "$pg_dir/initdb.log" >&2; return 1; }
  # fsync off: a test's cluster is thrown away, its durability is not tested
  pg_as "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 \
    -o "-k $pg_dir -p $pg_port -c listen_addresses='' -c fsync=off" start >/dev/null ||
    { cat "$pg_dir/server.log" >&2; return 1; }
  pg_conninfo="host=$pg_dir port=$pg_port user=sr"
}

pg_createdb() { # NAME
  psql -X -q -v ON_ERROR_STOP=1 "$pg_conninfo dbname=postgres" -c "CREATE DATABASE $1" >/dev/null
}

# Restarts the server (fast: open connections are ended), with the options
# it was started with; the clients must connect again.
pg_restart() {
  pg_as "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 -m fast restart >/dev/null
}

pg_stop() {
  [ -n "${pg_dir:-}" ] || return 0
  [ ! -d "$pg_dir/data" ] || pg_as "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$pg_dir"
  pg_dir=
}
