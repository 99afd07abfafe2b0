#!/usr/bin/env bash
# Runs COMMAND with a private PostgreSQL (scripts/lib/postgres.sh): its
# connection string without a database in SR_TEST_PG_CONNINFO. The server
# is stopped and its directory removed however COMMAND ends; COMMAND's
# status is ours, and a server that does not start fails the run.
# usage: with_postgres.sh COMMAND [ARG...]
set -u
source "$(dirname "$0")/../../scripts/lib/postgres.sh"
trap pg_stop EXIT
pg_start || { echo "with_postgres.sh: PostgreSQL did not start" >&2; exit 1; }
SR_TEST_PG_CONNINFO=$pg_conninfo "$@"
