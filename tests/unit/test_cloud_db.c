/* The cloud's metadata store: migrations bring any database to the latest
 * schema once, refuse a newer one, and the row helpers bind and read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "db.h"
#include "db_driver.h"
#include "sr/abi.h"
#include <sqlite3.h>

static char dir[64];

static int setup(void **state) {
  (void)state;
  strcpy(dir, "/tmp/sr-test-db-XXXXXX");
  return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  return system(cmd);
}

static void test_fresh_database_is_migrated_once(void **state) {
  (void)state;
  char path[128], err[256];
  snprintf(path, sizeof path, "%s/fresh.db", dir);
  cloud_db *db;
  assert_int_equal(cloud_db_open(CLOUD_DB_SQLITE, path, &db, err, sizeof err), SR_OK);
  int latest = cloud_db_version(db);
  assert_true(latest >= 2);
  /* WAL, so readers never block the writer */
  json_t *mode = cloud_db_row(db, "PRAGMA journal_mode", "");
  assert_string_equal(cloud_row_text(mode, "journal_mode"), "wal");
  json_decref(mode);
  assert_int_equal(cloud_db_run(db, "INSERT INTO tenants(id, name, created_at) VALUES(?, ?, ?)",
                                "tti", "t1", "One", (int64_t)42),
                   1);
  cloud_db_close(db);
  /* opened again: same version, data kept, no migration re-run */
  assert_int_equal(cloud_db_open(CLOUD_DB_SQLITE, path, &db, err, sizeof err), SR_OK);
  assert_int_equal(cloud_db_version(db), latest);
  json_t *row = cloud_db_row(db, "SELECT * FROM tenants WHERE id = ?", "t", "t1");
  assert_non_null(row);
  assert_string_equal(cloud_row_text(row, "name"), "One");
  assert_int_equal(cloud_row_int(row, "created_at"), 42);
  assert_true(json_is_null(json_object_get(row, "ca_cert")));
  json_decref(row);
  cloud_db_close(db);
}

static void test_version_one_database_is_upgraded(void **state) {
  (void)state;
  char path[128], err[256];
  snprintf(path, sizeof path, "%s/old.db", dir);
  /* a database as the first release made it: migration 1 only */
  sqlite3 *raw;
  assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
  assert_int_equal(sqlite3_exec(raw, cloud_db_migration_sql(1), NULL, NULL, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_exec(raw,
                                "PRAGMA user_version=1; INSERT INTO tenants(id, name, created_at) "
                                "VALUES('old', 'Old', 1);",
                                NULL, NULL, NULL),
                   SQLITE_OK);
  sqlite3_close(raw);
  assert_int_equal(chmod(path, 0600), 0); /* as an older sr-cloud left it, made private */
  cloud_db *db;
  assert_int_equal(cloud_db_open(CLOUD_DB_SQLITE, path, &db, err, sizeof err), SR_OK);
  int latest = 0;
  while (cloud_db_migration_sql(latest + 1))
    latest++;
  assert_int_equal(cloud_db_version(db), latest);
  /* what later versions added is there, and the old data is kept */
  json_t *rows = cloud_db_rows(db, "SELECT cleanup_pending FROM jobs", "");
  assert_non_null(rows);
  json_decref(rows);
  rows = cloud_db_rows(db, "SELECT owner, delegate, until FROM delegations", "");
  assert_non_null(rows);
  json_decref(rows);
  json_t *old = cloud_db_row(db, "SELECT name FROM tenants WHERE id = 'old'", "");
  assert_string_equal(cloud_row_text(old, "name"), "Old");
  json_decref(old);
  cloud_db_close(db);
}

/* Schema 7 marks the users a directory provisioned. Users of a version 6
 * database were not recorded as such, so none of them becomes one a site's
 * directory verdict could log in; new rows default to unmarked too. */
static void test_version_six_users_stay_unmarked(void **state) {
  (void)state;
  char path[128], err[256];
  snprintf(path, sizeof path, "%s/v6.db", dir);
  sqlite3 *raw;
  assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
  for (int v = 1; v <= 6; v++)
    assert_int_equal(sqlite3_exec(raw, cloud_db_migration_sql(v), NULL, NULL, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_exec(raw,
                                "PRAGMA user_version=6; INSERT INTO tenants(id, name, created_at) "
                                "VALUES('t', 'T', 1); INSERT INTO users(tenant, id, email, name, "
                                "created_at) VALUES('t', 'u-admin', 'a@x', 'A', 1);",
                                NULL, NULL, NULL),
                   SQLITE_OK);
  sqlite3_close(raw);
  assert_int_equal(chmod(path, 0600), 0); /* sr-cloud opens only private databases */
  cloud_db *db;
  assert_int_equal(cloud_db_open(CLOUD_DB_SQLITE, path, &db, err, sizeof err), SR_OK);
  assert_true(cloud_db_version(db) >= 7);
  json_t *old = cloud_db_row(db, "SELECT email, directory FROM users WHERE id = 'u-admin'", "");
  assert_non_null(old);
  assert_string_equal(cloud_row_text(old, "email"), "a@x");
  assert_true(json_is_integer(json_object_get(old, "directory")));
  assert_int_equal(cloud_row_int(old, "directory"), 0);
  json_decref(old);
  assert_int_equal(cloud_db_run(db,
                                "INSERT INTO users(tenant, id, email, name, created_at) "
                                "VALUES('t', 'u-new', 'b@x', 'B', 2)",
                                ""),
                   1);
  json_t *added = cloud_db_row(db, "SELECT directory FROM users WHERE id = 'u-new'", "");
  assert_int_equal(cloud_row_int(added, "directory"), 0);
  assert_true(json_is_integer(json_object_get(added, "directory")));
  json_decref(added);
  cloud_db_close(db);
}

static void test_newer_database_is_refused(void **state) {
  (void)state;
  char path[128], err[256] = "";
  snprintf(path, sizeof path, "%s/new.db", dir);
  cloud_db *db;
  assert_int_equal(cloud_db_open(CLOUD_DB_SQLITE, path, &db, err, sizeof err), SR_OK);
  assert_int_equal(cloud_db_run(db, "PRAGMA user_version=999", ""), 0);
  cloud_db_close(db);
  assert_int_not_equal(cloud_db_open(CLOUD_DB_SQLITE, path, &db, err, sizeof err), SR_OK);
  assert_null(db);
  assert_non_null(strstr(err, "schema version 999, newer than this sr-cloud knows"));
  assert_non_null(strstr(err, path));
}

static void test_rows_bind_text_integers_and_null(void **state) {
  (void)state;
  char path[128], err[256];
  snprintf(path, sizeof path, "%s/rows.db", dir);
  cloud_db *db;
  assert_int_equal(cloud_db_open(CLOUD_DB_SQLITE, path, &db, err, sizeof err), SR_OK);
  cloud_db_run(db, "INSERT INTO tenants(id, name, created_at) VALUES('t', 'T', 1)", "");
  /* a uniqueness violation is a conflict, not a crash, and changes nothing */
  assert_int_equal(cloud_db_run(db, "INSERT INTO tenants(id, name, created_at) VALUES(?, ?, ?)",
                                "tti", "t", "again", (int64_t)2),
                   CLOUD_DB_CONFLICT);
  assert_int_equal(cloud_db_run(db,
                                "INSERT INTO users(tenant, id, email, name, card_hash, "
                                "created_at) VALUES(?, ?, ?, ?, ?, ?)",
                                "ttttti", "t", "u1", "a@x", "A", NULL, (int64_t)7),
                   1);
  json_t *rows =
      cloud_db_rows(db, "SELECT id, card_hash, created_at FROM users WHERE tenant = ?", "t", "t");
  assert_int_equal(json_array_size(rows), 1);
  json_t *u = json_array_get(rows, 0);
  assert_string_equal(cloud_row_text(u, "id"), "u1");
  assert_true(json_is_null(json_object_get(u, "card_hash")));
  assert_int_equal(cloud_row_int(u, "created_at"), 7);
  json_decref(rows);
  assert_null(cloud_db_row(db, "SELECT * FROM users WHERE tenant = ?", "t", "other"));
  assert_false(cloud_db_failed(db));
  assert_null(cloud_db_rows(db, "SELECT * FROM no_such_table", ""));
  assert_true(cloud_db_failed(db));
  cloud_db_close(db);
}

/* The database is private to the service: a new one is made 0600 with its
 * WAL files, and one that others can read stops it with a message saying
 * which file and what to do. */
static void test_database_files_are_private(void **state) {
  (void)state;
  char path[128], wal[160], err[512];
  snprintf(path, sizeof path, "%s/private.db", dir);
  snprintf(wal, sizeof wal, "%s-wal", path);
  cloud_db *db;
  assert_int_equal(cloud_db_open(CLOUD_DB_SQLITE, path, &db, err, sizeof err), SR_OK);
  assert_int_equal(
      cloud_db_run(db, "INSERT INTO tenants(id, name, created_at) VALUES('p', 'P', 1)", ""), 1);
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  assert_int_equal(stat(wal, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  cloud_db_close(db);

  assert_int_equal(chmod(path, 0644), 0);
  assert_int_equal(cloud_db_open(CLOUD_DB_SQLITE, path, &db, err, sizeof err), SR_ERR_CONFIG);
  assert_null(db);
  assert_non_null(strstr(err, "private.db: readable or writable by others (mode 644)"));
  assert_non_null(strstr(err, "chmod 600"));

  /* the WAL holds recent rows too */
  assert_int_equal(chmod(path, 0600), 0);
  int fd = open(wal, O_CREAT | O_WRONLY, 0600);
  assert_true(fd >= 0);
  close(fd);
  assert_int_equal(chmod(wal, 0640), 0);
  assert_int_equal(cloud_db_open(CLOUD_DB_SQLITE, path, &db, err, sizeof err), SR_ERR_CONFIG);
  assert_non_null(strstr(err, "private.db-wal: readable or writable by others (mode 640)"));
  assert_int_equal(chmod(wal, 0600), 0);
  assert_int_equal(cloud_db_open(CLOUD_DB_SQLITE, path, &db, err, sizeof err), SR_OK);
  cloud_db_close(db);
}

/* Interrupts every statement once `calls_left` progress callbacks have
 * passed: a query that fails part-way, as an I/O error would. */
static int calls_left;
static int interrupt_after(void *unused) {
  (void)unused;
  return calls_left-- <= 0;
}

static cloud_db *tenants_db(const char *name, int rows) {
  char path[128], err[256];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  cloud_db *db;
  assert_int_equal(cloud_db_open(CLOUD_DB_SQLITE, path, &db, err, sizeof err), SR_OK);
  for (int i = 0; i < rows; i++) {
    char id[16];
    snprintf(id, sizeof id, "t%d", i);
    assert_int_equal(cloud_db_run(db, "INSERT INTO tenants(id, name, created_at) VALUES(?, ?, ?)",
                                  "tti", id, id, (int64_t)i),
                     1);
  }
  return db;
}

static void test_failed_read_is_not_no_rows(void **state) {
  (void)state;
  cloud_db *db = tenants_db("read.db", 3);
  /* no rows is not a failure */
  assert_null(cloud_db_row(db, "SELECT * FROM tenants WHERE id = ?", "t", "nobody"));
  assert_false(cloud_db_failed(db));
  unsigned long before = cloud_db_errors();
  calls_left = 0;
  sqlite3_progress_handler(cloud_db_sqlite_handle(db), 1, interrupt_after, NULL);
  assert_null(cloud_db_row(db, "SELECT * FROM tenants WHERE id = ?", "t", "t1"));
  assert_true(cloud_db_failed(db));
  assert_null(cloud_db_rows(db, "SELECT * FROM tenants", ""));
  assert_true(cloud_db_failed(db));
  assert_int_equal(cloud_db_errors(), before + 2);
  sqlite3_progress_handler(cloud_db_sqlite_handle(db), 0, NULL, NULL);
  /* the statement kept in the cache works again, and the flag clears */
  json_t *row = cloud_db_row(db, "SELECT * FROM tenants WHERE id = ?", "t", "t1");
  assert_non_null(row);
  assert_false(cloud_db_failed(db));
  json_decref(row);
  cloud_db_close(db);
}

/* A query that fails after some rows is an error, not a shorter list. */
static void test_read_failing_midway_returns_no_partial_list(void **state) {
  (void)state;
  cloud_db *db = tenants_db("midway.db", 200);
  json_t *all = cloud_db_rows(db, "SELECT id FROM tenants ORDER BY created_at", "");
  assert_int_equal(json_array_size(all), 200);
  json_decref(all);
  calls_left = 20; /* some rows come out before the interruption */
  sqlite3_progress_handler(cloud_db_sqlite_handle(db), 10, interrupt_after, NULL);
  assert_null(cloud_db_rows(db, "SELECT id FROM tenants ORDER BY created_at", ""));
  assert_true(cloud_db_failed(db));
  sqlite3_progress_handler(cloud_db_sqlite_handle(db), 0, NULL, NULL);
  cloud_db_close(db);
}

static void test_refused_write_is_an_error_and_conflict_is_not(void **state) {
  (void)state;
  cloud_db *db = tenants_db("write.db", 1);
  /* a uniqueness conflict is an answer: the row exists */
  assert_int_equal(cloud_db_run(db, "INSERT INTO tenants(id, name, created_at) VALUES(?, ?, ?)",
                                "tti", "t0", "again", (int64_t)1),
                   CLOUD_DB_CONFLICT);
  assert_false(cloud_db_failed(db));
  /* a trigger's RAISE is a constraint code too, but a failure */
  assert_int_equal(cloud_db_run(db,
                                "CREATE TRIGGER no_sessions BEFORE INSERT ON sessions BEGIN "
                                "SELECT RAISE(ABORT, 'sessions refused'); END",
                                ""),
                   0);
  unsigned long before = cloud_db_errors();
  assert_int_equal(cloud_db_run(db,
                                "INSERT INTO sessions(token_hash, tenant, user_id, device, "
                                "site_scout, expires_at) VALUES(?, ?, ?, ?, ?, ?)",
                                "ttttti", "h", "t0", "u", "d", "s", (int64_t)1),
                   -1);
  assert_true(cloud_db_failed(db));
  assert_int_equal(cloud_db_errors(), before + 1);
  cloud_db_close(db);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fresh_database_is_migrated_once),
      cmocka_unit_test(test_version_one_database_is_upgraded),
      cmocka_unit_test(test_version_six_users_stay_unmarked),
      cmocka_unit_test(test_newer_database_is_refused),
      cmocka_unit_test(test_database_files_are_private),
      cmocka_unit_test(test_rows_bind_text_integers_and_null),
      cmocka_unit_test(test_failed_read_is_not_no_rows),
      cmocka_unit_test(test_read_failing_midway_returns_no_partial_list),
      cmocka_unit_test(test_refused_write_is_an_error_and_conflict_is_not),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
