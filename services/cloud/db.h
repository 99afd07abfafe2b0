/*
 * The cloud's metadata store: SQLite in WAL mode (db_sqlite.c) or
 * PostgreSQL (db_pg.c), chosen by database.driver, with one list of
 * versioned schema migrations and small helpers that bind arguments and
 * turn rows into JSON. Statements are written in the SQL both accept;
 * what differs is rewritten for PostgreSQL in one place (db_dialect.c).
 * Every table row carries its tenant.
 */
#ifndef CLOUD_DB_H
#define CLOUD_DB_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cloud_db cloud_db;

typedef enum { CLOUD_DB_SQLITE, CLOUD_DB_POSTGRESQL } cloud_db_driver;

/* Opens (creating if needed) and migrates the database: for SQLite the
 * file at `where`, for PostgreSQL the connection string `where`. On SR_OK
 * the caller owns *out (cloud_db_close). `err` names the file or server on
 * failure, and what to do. */
int cloud_db_open(cloud_db_driver driver, const char *where, cloud_db **out, char *err,
                  size_t err_size);

/* Closes the database and the statements kept for it. */
void cloud_db_close(cloud_db *db);

/* Which driver `db` is on. */
cloud_db_driver cloud_db_driver_of(const cloud_db *db);

/* After a secret was overwritten in place in `table`: SQLite moves its
 * write-ahead log into the file (secure_delete then leaves no old copy);
 * PostgreSQL rewrites the table without its old row versions (its own
 * write-ahead log and archives keep them until recycled). False if that
 * failed. */
bool cloud_db_flush_log(cloud_db *db, const char *table, char *err, size_t err_size);

/* The SQL that brings the schema from version-1 to `version`, or NULL
 * (tests build old databases with it). */
const char *cloud_db_migration_sql(int version);

/* The schema version the database is at after cloud_db_open. */
int cloud_db_version(cloud_db *db);

/* What cloud_db_run returns when a UNIQUE or PRIMARY KEY constraint
 * refused the row: an answer ("it exists"), not a failure. */
#define CLOUD_DB_CONFLICT (-2)

/* Runs one statement. `types` has one letter per argument: 't' text
 * (const char *, NULL binds NULL), 'i' integer (int64_t). Returns the
 * number of rows changed, CLOUD_DB_CONFLICT, or -1 on any other error
 * (logged with its cause; a trigger's RAISE is such an error). */
int cloud_db_run(cloud_db *db, const char *sql, const char *types, ...);

/* Runs a query and returns its rows as a JSON array of objects keyed by
 * column name (integers, text, null); NULL on error. Caller decrefs. */
json_t *cloud_db_rows(cloud_db *db, const char *sql, const char *types, ...);

/* The first row of cloud_db_rows, or NULL if there is none or the query
 * failed: cloud_db_failed() tells which. Caller decrefs. */
json_t *cloud_db_row(cloud_db *db, const char *sql, const char *types, ...);

/* True if the last cloud_db_run / _rows / _row on `db` failed (logged), as
 * opposed to finding no rows or a conflict. Every caller for which "none"
 * decides the answer (401, 404) checks it and answers 500 instead. */
bool cloud_db_failed(cloud_db *db);
/* Failures so far in this process: the API answers 500 for any request
 * during which the count grew, whatever the handler answered. */
unsigned long cloud_db_errors(void);

/* A transaction: BEGIN IMMEDIATE (SQLite: the write lock now) or BEGIN
 * (PostgreSQL, where each statement inside runs under a savepoint, so that
 * a refused one, a conflict, leaves the rest usable as in SQLite). */
bool cloud_db_begin(cloud_db *db);
bool cloud_db_commit(cloud_db *db);
void cloud_db_rollback(cloud_db *db);

/* The periodic sweeps (timeouts, expiry, cleanup) run in one instance at a
 * time: true if this one may run them now, and then cloud_db_sweep_end
 * when done. Another instance sweeping answers false, and this one skips
 * its turn. Always true on SQLite (one process owns the file). */
bool cloud_db_sweep_begin(cloud_db *db);
void cloud_db_sweep_end(cloud_db *db);

/* How often the connection to the database was made again after it was
 * lost (PostgreSQL; always 0 on SQLite). What was written meanwhile may be
 * lost, such as a scout's answer: the caller asks again. */
unsigned cloud_db_reconnections(cloud_db *db);

/* Convenience readers of a row object: "" / 0 when absent. */
const char *cloud_row_text(const json_t *row, const char *column);
int64_t cloud_row_int(const json_t *row, const char *column);

#endif
