/*
 * The cloud's metadata store: SQLite in WAL mode with versioned schema
 * migrations, and small helpers that bind arguments and turn rows into
 * JSON. Every table row carries its tenant.
 */
#ifndef CLOUD_DB_H
#define CLOUD_DB_H

#include <jansson.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Opens (creating if needed) and migrates the database at `path`. On SR_OK
 * the caller owns *out (sqlite3_close). `err` names the file on failure. */
int cloud_db_open(const char *path, sqlite3 **out, char *err, size_t err_size);

/* Closes the database and the statements kept for it. */
void cloud_db_close(sqlite3 *db);

/* The SQL that brings the schema from version-1 to `version`, or NULL
 * (tests build old databases with it). */
const char *cloud_db_migration_sql(int version);

/* The schema version the database is at after cloud_db_open. */
int cloud_db_version(sqlite3 *db);

/* What cloud_db_run returns when a UNIQUE or PRIMARY KEY constraint
 * refused the row: an answer ("it exists"), not a failure. */
#define CLOUD_DB_CONFLICT (-2)

/* Runs one statement. `types` has one letter per argument: 't' text
 * (const char *, NULL binds NULL), 'i' integer (int64_t). Returns the
 * number of rows changed, CLOUD_DB_CONFLICT, or -1 on any other error
 * (logged with its cause; a trigger's RAISE is such an error). */
int cloud_db_run(sqlite3 *db, const char *sql, const char *types, ...);

/* Runs a query and returns its rows as a JSON array of objects keyed by
 * column name (integers, text, null); NULL on error. Caller decrefs. */
json_t *cloud_db_rows(sqlite3 *db, const char *sql, const char *types, ...);

/* The first row of cloud_db_rows, or NULL if there is none or the query
 * failed: cloud_db_failed() tells which. Caller decrefs. */
json_t *cloud_db_row(sqlite3 *db, const char *sql, const char *types, ...);

/* True if the last cloud_db_run / _rows / _row on `db` failed (logged), as
 * opposed to finding no rows or a conflict. Every caller for which "none"
 * decides the answer (401, 404) checks it and answers 500 instead. */
bool cloud_db_failed(sqlite3 *db);
/* Failures so far in this process: the API answers 500 for any request
 * during which the count grew, whatever the handler answered. */
unsigned long cloud_db_errors(void);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. */
bool cloud_db_begin(sqlite3 *db);
bool cloud_db_commit(sqlite3 *db);
void cloud_db_rollback(sqlite3 *db);

/* Convenience readers of a row object: "" / 0 when absent. */
const char *cloud_row_text(const json_t *row, const char *column);
int64_t cloud_row_int(const json_t *row, const char *column);

#endif
