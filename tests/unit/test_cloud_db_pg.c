/* The cloud's metadata store on PostgreSQL (db_pg.c, db_dialect.c), on a
 * private server (tests/support/with_postgres.sh sets
 * SR_TEST_PG_CONNINFO): the same schema as on SQLite, migrated once even
 * by two instances at once; rows typed as SQLite's are; a conflict is an
 * answer, also inside a transaction, which goes on; the statements written
 * in SQLite's forms that PostgreSQL spells otherwise give the same
 * results; a connection the server dropped is made again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "db.h"
#include "db_driver.h"
#include "sr/abi.h"

static const char *server; /* SR_TEST_PG_CONNINFO, without a database */

/* A new, empty database NAME on the test server; its connection string. */
static const char *fresh_database(const char *name) {
  static char conninfo[512];
  char admin[512], sql[128];
  snprintf(admin, sizeof admin, "%s dbname=postgres", server);
  PGconn *conn = PQconnectdb(admin);
  assert_int_equal(PQstatus(conn), CONNECTION_OK);
  snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", name);
  PQclear(PQexec(conn, sql));
  snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
  PGresult *r = PQexec(conn, sql);
  assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
  PQclear(r);
  PQfinish(conn);
  snprintf(conninfo, sizeof conninfo, "%s dbname=%s", server, name);
  return conninfo;
}

static cloud_db *open_db(const char *conninfo) {
  cloud_db *db = NULL;
  char err[512] = "";
  int status = cloud_db_open(CLOUD_DB_POSTGRESQL, conninfo, &db, err, sizeof err);
  if (status != SR_OK)
    fail_msg("cloud_db_open: %s", err);
  return db;
}

static void test_dialect_rewrites(void **state) {
  (void)state;
  static const struct {
    const char *in, *out;
  } cases[] = {
      {"SELECT * FROM t WHERE a = ? AND b = ?", "SELECT * FROM t WHERE a = $1 AND b = $2"},
      {"SELECT ?2 AS x WHERE y = ?1 OR z = ?2", "SELECT $2 AS x WHERE y = $1 OR z = $2"},
      /* in quotes a question mark is text */
      {"SELECT 'what?' WHERE a = ?", "SELECT 'what?' WHERE a = $1"},
      {"CREATE TABLE t(n INTEGER, s TEXT)", "CREATE TABLE t(n BIGINT, s TEXT COLLATE \"C\")"},
      {"SELECT a FROM t WHERE title LIKE ? ESCAPE '\\'",
       "SELECT a FROM t WHERE title ILIKE $1 ESCAPE '\\'"},
      /* whole words only */
      {"SELECT integers FROM t", "SELECT integers FROM t"},
      {"BEGIN IMMEDIATE", "BEGIN"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char *got = cloud_db_pg_sql(cases[i].in);
    assert_non_null(got);
    assert_string_equal(got, cases[i].out);
    free(got);
  }
}

static void test_fresh_database_is_migrated_once(void **state) {
  (void)state;
  const char *where = fresh_database("fresh");
  cloud_db *db = open_db(where);
  assert_int_equal(cloud_db_driver_of(db), CLOUD_DB_POSTGRESQL);
  assert_int_equal(cloud_db_version(db), cloud_db_latest_version());
  assert_int_equal(cloud_db_run(db, "INSERT INTO tenants(id, name, created_at) VALUES(?, ?, ?)",
                                "tti", "t1", "One", (int64_t)42),
                   1);
  cloud_db_close(db);
  /* opened again (and by a second instance at the same time): no
   * migration runs twice, the data is kept */
  cloud_db *a = open_db(where), *b = open_db(where);
  assert_int_equal(cloud_db_version(a), cloud_db_latest_version());
  json_t *rows = cloud_db_rows(b, "SELECT version FROM schema_version", "");
  assert_int_equal(json_array_size(rows), cloud_db_latest_version());
  json_decref(rows);
  json_t *row = cloud_db_row(a, "SELECT * FROM tenants WHERE id = ?", "t", "t1");
  assert_non_null(row);
  assert_string_equal(cloud_row_text(row, "name"), "One");
  /* integers come back as integers, as from SQLite */
  assert_true(json_is_integer(json_object_get(row, "created_at")));
  assert_int_equal(cloud_row_int(row, "created_at"), 42);
  assert_true(json_is_null(json_object_get(row, "ca_cert")));
  json_decref(row);
  /* 64-bit sizes fit (PostgreSQL's INTEGER would not) */
  assert_int_equal(cloud_db_run(db = a,
                                "INSERT INTO upload_usage(tenant, user_id, day, bytes) VALUES(?, "
                                "?, ?, ?)",
                                "ttii", "t1", "u", (int64_t)1, (int64_t)5000000000LL),
                   1);
  row = cloud_db_row(b, "SELECT sum(bytes) AS total, count(*) AS n FROM upload_usage", "");
  assert_int_equal(cloud_row_int(row, "total"), 5000000000LL);
  assert_int_equal(cloud_row_int(row, "n"), 1);
  json_decref(row);
  cloud_db_close(a);
  cloud_db_close(b);
}

static void test_newer_database_is_refused(void **state) {
  (void)state;
  const char *where = fresh_database("newer");
  cloud_db *db = open_db(where);
  assert_int_equal(cloud_db_run(db, "INSERT INTO schema_version(version) VALUES(999)", ""), 1);
  cloud_db_close(db);
  char err[512] = "";
  db = NULL;
  assert_int_equal(cloud_db_open(CLOUD_DB_POSTGRESQL, where, &db, err, sizeof err),
                   SR_ERR_UNSUPPORTED);
  assert_null(db);
  assert_non_null(strstr(err, "schema version 999, newer than this sr-cloud knows"));
}

static void test_unreachable_server_says_what_to_do(void **state) {
  (void)state;
  char err[512] = "", where[600];
  cloud_db *db = NULL;
  snprintf(where, sizeof where, "%s dbname=postgres port=1 connect_timeout=5", server);
  assert_int_equal(cloud_db_open(CLOUD_DB_POSTGRESQL, where, &db, err, sizeof err), SR_ERR_IO);
  assert_null(db);
  assert_non_null(strstr(err, "PostgreSQL (database.url): cannot connect"));
  assert_non_null(strstr(err, "check that the server runs"));
}

static void test_rows_conflicts_and_failures(void **state) {
  (void)state;
  cloud_db *db = open_db(fresh_database("rows"));
  cloud_db_run(db, "INSERT INTO tenants(id, name, created_at) VALUES('t', 'T', 1)", "");
  assert_int_equal(cloud_db_run(db, "INSERT INTO tenants(id, name, created_at) VALUES(?, ?, ?)",
                                "tti", "t", "again", (int64_t)2),
                   CLOUD_DB_CONFLICT);
  assert_false(cloud_db_failed(db));
  assert_int_equal(cloud_db_run(db,
                                "INSERT INTO users(tenant, id, email, name, card_hash, "
                                "created_at) VALUES(?, ?, ?, ?, ?, ?)",
                                "ttttti", "t", "u1", "A@x", "Alice", NULL, (int64_t)7),
                   1);
  json_t *u =
      cloud_db_row(db, "SELECT id, card_hash, created_at FROM users WHERE tenant = ?", "t", "t");
  assert_string_equal(cloud_row_text(u, "id"), "u1");
  assert_true(json_is_null(json_object_get(u, "card_hash")));
  assert_int_equal(cloud_row_int(u, "created_at"), 7);
  json_decref(u);
  assert_null(cloud_db_row(db, "SELECT * FROM users WHERE tenant = ?", "t", "other"));
  assert_false(cloud_db_failed(db));
  unsigned long before = cloud_db_errors();
  assert_null(cloud_db_rows(db, "SELECT * FROM no_such_table", ""));
  assert_true(cloud_db_failed(db));
  assert_int_equal(cloud_db_errors(), before + 1);
  /* SQLite's forms: LIKE without case, IS NOT DISTINCT FROM, a scalar max,
   * a comparison read as 0 or 1 */
  json_t *r = cloud_db_row(db,
                           "SELECT count(*) AS n, (email IS NOT DISTINCT FROM ?) AS same FROM "
                           "users WHERE name LIKE ? GROUP BY email",
                           "tt", "A@x", "ali%");
  assert_int_equal(cloud_row_int(r, "n"), 1);
  assert_int_equal(cloud_row_int(r, "same"), 1);
  json_decref(r);
  cloud_db_run(db, "INSERT INTO upload_usage(tenant, user_id, day, bytes) VALUES('t', 'u1', 1, 5)",
               "");
  assert_int_equal(cloud_db_run(db,
                                "UPDATE upload_usage SET bytes = max(bytes - ?, 0) WHERE tenant = "
                                "? AND user_id = ? AND day = ?",
                                "itti", (int64_t)9, "t", "u1", (int64_t)1),
                   1);
  r = cloud_db_row(db, "SELECT bytes FROM upload_usage", "");
  assert_int_equal(cloud_row_int(r, "bytes"), 0);
  json_decref(r);
  cloud_db_close(db);
}

/* In PostgreSQL an error aborts the whole transaction; the driver's
 * savepoints keep SQLite's behaviour: a conflict inside, then the rest. */
static void test_conflict_inside_a_transaction(void **state) {
  (void)state;
  cloud_db *db = open_db(fresh_database("txn"));
  assert_true(cloud_db_begin(db));
  assert_int_equal(
      cloud_db_run(db, "INSERT INTO tenants(id, name, created_at) VALUES('a', 'A', 1)", ""), 1);
  assert_int_equal(
      cloud_db_run(db, "INSERT INTO tenants(id, name, created_at) VALUES('a', 'A', 1)", ""),
      CLOUD_DB_CONFLICT);
  assert_int_equal(
      cloud_db_run(db, "INSERT INTO tenants(id, name, created_at) VALUES('b', 'B', 1)", ""), 1);
  assert_true(cloud_db_commit(db));
  json_t *r = cloud_db_row(db, "SELECT count(*) AS n FROM tenants", "");
  assert_int_equal(cloud_row_int(r, "n"), 2);
  json_decref(r);
  /* and a rollback leaves nothing */
  assert_true(cloud_db_begin(db));
  cloud_db_run(db, "INSERT INTO tenants(id, name, created_at) VALUES('c', 'C', 1)", "");
  cloud_db_rollback(db);
  r = cloud_db_row(db, "SELECT count(*) AS n FROM tenants", "");
  assert_int_equal(cloud_row_int(r, "n"), 2);
  json_decref(r);
  cloud_db_close(db);
}

/* Migration 18's trigger, PostgreSQL's own: a device removed makes its
 * discovered printer new again; and the health report's last error
 * (json_extract in SQLite). */
static void test_trigger_and_json(void **state) {
  (void)state;
  cloud_db *db = open_db(fresh_database("trigger"));
  cloud_db_run(db, "INSERT INTO tenants(id, name, created_at) VALUES('t', 'T', 1)", "");
  assert_int_equal(cloud_db_run(db,
                                "INSERT INTO devices(tenant, id, name, uris, created_at) "
                                "VALUES('t', 'd1', 'D', '[]', 1)",
                                ""),
                   1);
  assert_int_equal(cloud_db_run(db,
                                "INSERT INTO discovered(tenant, id, site, address, kind, "
                                "first_seen, last_seen, state, accepted_as) VALUES('t', 'x', "
                                "'s', '10.0.0.1', 'printer', 1, 1, 'known', 'd1')",
                                ""),
                   1);
  assert_int_equal(cloud_db_run(db, "DELETE FROM devices WHERE tenant = 't' AND id = 'd1'", ""), 1);
  json_t *r = cloud_db_row(db, "SELECT state, accepted_as FROM discovered", "");
  assert_string_equal(cloud_row_text(r, "state"), "new");
  assert_true(json_is_null(json_object_get(r, "accepted_as")));
  json_decref(r);
  cloud_db_run(db,
               "INSERT INTO scout_health(scout, tenant, version, uptime, held_jobs, last_errors, "
               "config_version, reported_at) VALUES('s', 't', '1', 1, 0, ?, 'c', 1)",
               "t", "[{\"message\":\"first\"},{\"message\":\"last\"}]");
  r = cloud_db_row(
      db, "SELECT json_extract(h.last_errors, '$[#-1].message') AS m FROM scout_health h", "");
  assert_string_equal(cloud_row_text(r, "m"), "last");
  json_decref(r);
  cloud_db_close(db);
}

/* The server ends the connection (a restart, a failover): a read is asked
 * again on a new connection and answered; a write then fails as a
 * database error (it may have been done: not repeated), and the next
 * statement runs on a new connection. */
static void end_connections(cloud_db *killer) {
  json_t *r = cloud_db_row(killer,
                           "SELECT count(*) AS n FROM (SELECT pg_terminate_backend(pid) FROM "
                           "pg_stat_activity WHERE datname = current_database() AND pid <> "
                           "pg_backend_pid()) AS ended",
                           "");
  assert_int_equal(cloud_row_int(r, "n"), 1);
  json_decref(r);
}

static void test_connection_made_again(void **state) {
  (void)state;
  const char *where = fresh_database("again");
  cloud_db *db = open_db(where), *killer = open_db(where);
  cloud_db_run(db, "INSERT INTO tenants(id, name, created_at) VALUES('t', 'T', 1)", "");
  end_connections(killer);
  json_t *r = cloud_db_row(db, "SELECT name FROM tenants", "");
  assert_non_null(r);
  assert_string_equal(cloud_row_text(r, "name"), "T");
  assert_false(cloud_db_failed(db));
  json_decref(r);
  end_connections(killer);
  unsigned long before = cloud_db_errors();
  assert_int_equal(cloud_db_run(db, "UPDATE tenants SET name = 'U'", ""), -1);
  assert_true(cloud_db_failed(db));
  assert_int_equal(cloud_db_errors(), before + 1);
  assert_int_equal(cloud_db_run(db, "UPDATE tenants SET name = 'U'", ""), 1);
  r = cloud_db_row(killer, "SELECT name FROM tenants", "");
  assert_string_equal(cloud_row_text(r, "name"), "U");
  json_decref(r);
  cloud_db_close(killer);
  cloud_db_close(db);
}

/* The connection is lost inside a transaction: what it did is gone, so
 * nothing after it may commit on its own; the caller's ROLLBACK ends it,
 * and the next statements run on a new connection. */
static void test_transaction_lost_with_its_connection(void **state) {
  (void)state;
  const char *where = fresh_database("lost");
  cloud_db *db = open_db(where), *killer = open_db(where);
  assert_true(cloud_db_begin(db));
  assert_int_equal(
      cloud_db_run(db, "INSERT INTO tenants(id, name, created_at) VALUES('a', 'A', 1)", ""), 1);
  end_connections(killer);
  assert_int_equal(
      cloud_db_run(db, "INSERT INTO tenants(id, name, created_at) VALUES('b', 'B', 1)", ""), -1);
  assert_int_equal(
      cloud_db_run(db, "INSERT INTO tenants(id, name, created_at) VALUES('c', 'C', 1)", ""), -1);
  assert_false(cloud_db_commit(db));
  cloud_db_rollback(db);
  json_t *r = cloud_db_row(db, "SELECT count(*) AS n FROM tenants", "");
  assert_non_null(r);
  assert_int_equal(cloud_row_int(r, "n"), 0);
  json_decref(r);
  cloud_db_close(killer);
  cloud_db_close(db);
}

/* Statements are kept by their address: two built in turn in one buffer
 * are still each run as written. */
static void test_one_buffer_two_statements(void **state) {
  (void)state;
  cloud_db *db = open_db(fresh_database("buffer"));
  char sql[128];
  assert_int_equal(
      cloud_db_run(db, "INSERT INTO tenants(id, name, created_at) VALUES('x', 'X', 1)", ""), 1);
  snprintf(sql, sizeof sql, "SELECT name AS v FROM tenants WHERE id = 'x'");
  json_t *r = cloud_db_row(db, sql, "");
  assert_string_equal(cloud_row_text(r, "v"), "X");
  json_decref(r);
  snprintf(sql, sizeof sql, "SELECT created_at AS v FROM tenants WHERE id = 'x'");
  r = cloud_db_row(db, sql, "");
  assert_int_equal(cloud_row_int(r, "v"), 1);
  json_decref(r);
  /* a transaction inside another is refused, as SQLite refuses it */
  assert_true(cloud_db_begin(db));
  assert_false(cloud_db_begin(db));
  cloud_db_rollback(db);
  cloud_db_close(db);
}

int main(void) {
  server = getenv("SR_TEST_PG_CONNINFO");
  if (!server || !*server) {
    fprintf(stderr, "test_cloud_db_pg: run it through tests/support/with_postgres.sh\n");
    return 1;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_dialect_rewrites),
      cmocka_unit_test(test_fresh_database_is_migrated_once),
      cmocka_unit_test(test_newer_database_is_refused),
      cmocka_unit_test(test_unreachable_server_says_what_to_do),
      cmocka_unit_test(test_rows_conflicts_and_failures),
      cmocka_unit_test(test_conflict_inside_a_transaction),
      cmocka_unit_test(test_trigger_and_json),
      cmocka_unit_test(test_connection_made_again),
      cmocka_unit_test(test_transaction_lost_with_its_connection),
      cmocka_unit_test(test_one_buffer_two_statements),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
