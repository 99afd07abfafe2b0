/*
 * What db.c asks of a database driver (db_sqlite.c, db_pg.c). Internal to
 * the cloud's database layer and its tests.
 */
#ifndef CLOUD_DB_DRIVER_H
#define CLOUD_DB_DRIVER_H

#include <stdarg.h>

#include "db.h"

typedef struct cloud_db_ops {
  cloud_db_driver driver;
  /* Runs `sql` (the common dialect; the driver rewrites what it must)
   * with arguments as cloud_db_run takes them. With `rows`, appends up to
   * `limit` rows (-1: all) as JSON objects. Returns the rows changed,
   * CLOUD_DB_CONFLICT, or -1 (logged). */
  int (*exec)(cloud_db *db, const char *sql, const char *types, va_list ap, json_t *rows,
              int limit);
  int (*version)(cloud_db *db);
  bool (*flush_log)(cloud_db *db, const char *table, char *err, size_t err_size);
  void (*close)(cloud_db *db);
  /* Optional: how often the connection was made again after a loss. */
  unsigned (*reconnections)(cloud_db *db);
} cloud_db_ops;

/* Every driver's handle starts with this. */
struct cloud_db {
  const cloud_db_ops *ops;
};

/* The drivers' openers: migrated to the latest schema (cloud_db_migration_sql). */
int cloud_db_sqlite_open(const char *path, cloud_db **out, char *err, size_t err_size);
int cloud_db_pg_open(const char *conninfo, cloud_db **out, char *err, size_t err_size);

/* The number of migrations (the latest schema version). */
int cloud_db_latest_version(void);

/* PostgreSQL's text of a statement written for both (db_dialect.c):
 * `?` and `?N` become `$N`, and the few SQLite forms listed there become
 * PostgreSQL's. NULL if out of memory; the caller frees. */
char *cloud_db_pg_sql(const char *sql);

/* SQLite's own handle (tests that interrupt statements). */
struct sqlite3;
struct sqlite3 *cloud_db_sqlite_handle(cloud_db *db);

#endif
