/*
 * The cloud's database on SQLite (the embedded default): one file in WAL
 * mode, private to sr-cloud, migrated with PRAGMA user_version; compiled
 * statements are kept for the next call with the same SQL.
 */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db_driver.h"
#include "log.h"
#include "sr/abi.h"

typedef struct sqlite_db {
  cloud_db base;
  sqlite3 *h;
} sqlite_db;

static sqlite3 *handle(cloud_db *db) { return ((sqlite_db *)db)->h; }

sqlite3 *cloud_db_sqlite_handle(cloud_db *db) {
  return db && db->ops->driver == CLOUD_DB_SQLITE ? handle(db) : NULL;
}

static bool exec_text(sqlite3 *h, const char *sql, char *err, size_t err_size) {
  char *msg = NULL;
  if (sqlite3_exec(h, sql, NULL, NULL, &msg) == SQLITE_OK)
    return true;
  snprintf(err, err_size, "%s", msg ? msg : sqlite3_errmsg(h));
  sqlite3_free(msg);
  return false;
}

static int version(cloud_db *db) {
  sqlite3_stmt *stmt = NULL;
  int v = 0;
  if (sqlite3_prepare_v2(handle(db), "PRAGMA user_version", -1, &stmt, NULL) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW)
    v = sqlite3_column_int(stmt, 0);
  sqlite3_finalize(stmt);
  return v;
}

/* The database holds e-mail addresses, job titles, token hashes and sealed
 * keys: it and its WAL and shared-memory files are the service's alone.
 * A new database is created 0600 (SQLite gives -wal and -shm the database's
 * mode); an existing file that others may read stops the service, since
 * whatever leaked through it cannot be taken back by a chmod here. */
static int check_private_files(const char *path, bool create, char *err, size_t err_size) {
  if (strcmp(path, ":memory:") == 0)
    return SR_OK;
  /* only before SQLite opens it: closing any descriptor of the file would
   * drop SQLite's POSIX locks, and another process could then checkpoint
   * and delete the WAL under us */
  int fd = create ? open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600) : 0;
  if (fd < 0) {
    snprintf(err, err_size, "%s: cannot open or create the database: %s", path, strerror(errno));
    return SR_ERR_IO;
  }
  if (create)
    close(fd);
  static const char *const suffixes[] = {"", "-wal", "-shm"};
  for (size_t i = 0; i < 3; i++) {
    char file[4096];
    struct stat st;
    snprintf(file, sizeof file, "%s%s", path, suffixes[i]);
    if (stat(file, &st) == 0 && (st.st_mode & 077)) {
      snprintf(err, err_size,
               "%s: readable or writable by others (mode %03o); the database must be private "
               "to sr-cloud: chmod 600 %s (and its -wal and -shm files if present), and "
               "consider its contents exposed",
               file, (unsigned)(st.st_mode & 0777), file);
      return SR_ERR_CONFIG;
    }
  }
  return SR_OK;
}

/* Compiled statements, kept for the next call with the same SQL: compiling
 * costs more than running most of these statements. Keyed by the SQL's
 * address and checked by its text (a caller may reuse a buffer). */
#define STMT_CACHE_SIZE 128
static struct {
  sqlite3 *db;
  const char *sql;
  sqlite3_stmt *stmt;
} stmt_cache[STMT_CACHE_SIZE];

static sqlite3_stmt *cached_statement(sqlite3 *db, const char *sql) {
  size_t slot = ((uintptr_t)sql >> 3) % STMT_CACHE_SIZE;
  if (stmt_cache[slot].db == db && stmt_cache[slot].sql == sql &&
      strcmp(sqlite3_sql(stmt_cache[slot].stmt), sql) == 0)
    return stmt_cache[slot].stmt;
  sqlite3_stmt *stmt = NULL;
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK) {
    sr_log(SR_LOG_ERROR, "db", "prepare failed: %s", sqlite3_errmsg(db));
    return NULL;
  }
  if (stmt_cache[slot].stmt)
    sqlite3_finalize(stmt_cache[slot].stmt);
  stmt_cache[slot].db = db;
  stmt_cache[slot].sql = sql;
  stmt_cache[slot].stmt = stmt;
  return stmt;
}

/* Makes a statement ready for its next use (bindings cleared). */
static void done_with(sqlite3_stmt *stmt) {
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
}

static void close_db(cloud_db *db) {
  sqlite3 *h = handle(db);
  for (size_t i = 0; i < STMT_CACHE_SIZE; i++)
    if (stmt_cache[i].db == h) {
      sqlite3_finalize(stmt_cache[i].stmt);
      memset(&stmt_cache[i], 0, sizeof stmt_cache[i]);
    }
  sqlite3_close(h);
  free(db);
}

static sqlite3_stmt *prepare(sqlite3 *db, const char *sql, const char *types, va_list ap) {
  sqlite3_stmt *stmt = cached_statement(db, sql);
  if (!stmt)
    return NULL;
  if (sqlite3_bind_parameter_count(stmt) != (int)strlen(types)) { /* a caller's bug */
    sr_log(SR_LOG_ERROR, "db", "%d arguments for %d parameters in: %.80s", (int)strlen(types),
           sqlite3_bind_parameter_count(stmt), sql);
    return NULL;
  }
  for (int i = 0; types[i]; i++) {
    if (types[i] == 't') {
      const char *text = va_arg(ap, const char *);
      if (text)
        sqlite3_bind_text(stmt, i + 1, text, -1, SQLITE_TRANSIENT);
      else
        sqlite3_bind_null(stmt, i + 1);
    } else {
      sqlite3_bind_int64(stmt, i + 1, va_arg(ap, int64_t));
    }
  }
  return stmt;
}

static json_t *row_of(sqlite3_stmt *stmt) {
  json_t *row = json_object();
  for (int c = 0; c < sqlite3_column_count(stmt); c++) {
    const char *name = sqlite3_column_name(stmt, c);
    switch (sqlite3_column_type(stmt, c)) {
    case SQLITE_INTEGER:
      json_object_set_new(row, name, json_integer(sqlite3_column_int64(stmt, c)));
      break;
    case SQLITE_NULL: json_object_set_new(row, name, json_null()); break;
    default:
      json_object_set_new(row, name, json_string((const char *)sqlite3_column_text(stmt, c)));
    }
  }
  return row;
}

static int exec(cloud_db *cdb, const char *sql, const char *types, va_list ap, json_t *rows,
                int limit) {
  sqlite3 *db = handle(cdb);
  sqlite3_stmt *stmt = prepare(db, sql, types, ap);
  if (!stmt)
    return -1;
  int rc = SQLITE_DONE;
  while ((!rows || limit < 0 || (int)json_array_size(rows) < limit) &&
         (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    if (rows)
      json_array_append_new(rows, row_of(stmt));
  }
  /* the extended code before the reset: a uniqueness conflict is an
   * answer (the row exists); any other failure, a trigger's RAISE
   * included, is the database's. The loop ends at the limit, at the last
   * row, or on an error: only the first two are rows. */
  int extended = sqlite3_extended_errcode(db);
  done_with(stmt);
  if (rc == SQLITE_DONE || rc == SQLITE_ROW)
    return rows ? (int)json_array_size(rows) : sqlite3_changes(db);
  if (!rows && (extended == SQLITE_CONSTRAINT_UNIQUE || extended == SQLITE_CONSTRAINT_PRIMARYKEY))
    return CLOUD_DB_CONFLICT;
  sr_log(SR_LOG_ERROR, "db", "%s failed: %s (%.80s)", rows ? "query" : "statement",
         sqlite3_errmsg(db), sql);
  return -1;
}

static bool flush_log(cloud_db *db, const char *table, char *err, size_t err_size) {
  (void)table; /* secure_delete zeroed the old pages; the log holds them still */
  if (sqlite3_wal_checkpoint_v2(handle(db), NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL) ==
      SQLITE_OK)
    return true;
  snprintf(err, err_size, "%s", sqlite3_errmsg(handle(db)));
  return false;
}

static const cloud_db_ops ops = {
    .driver = CLOUD_DB_SQLITE,
    .exec = exec,
    .version = version,
    .flush_log = flush_log,
    .close = close_db,
};

int cloud_db_sqlite_open(const char *path, cloud_db **out, char *err, size_t err_size) {
  char why[512];
  int status = check_private_files(path, true, err, err_size);
  if (status != SR_OK)
    return status;
  sqlite_db *db = calloc(1, sizeof *db);
  if (!db) {
    snprintf(err, err_size, "%s: out of memory", path);
    return SR_ERR_IO;
  }
  db->base.ops = &ops;
  if (sqlite3_open_v2(path, &db->h,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      NULL) != SQLITE_OK) {
    snprintf(err, err_size, "%s: cannot open the database: %s", path,
             db->h ? sqlite3_errmsg(db->h) : "out of memory");
    close_db(&db->base);
    return SR_ERR_IO;
  }
  /* several cloud processes may share the file: wait for their locks */
  sqlite3_busy_timeout(db->h, 5000);
  /* secure_delete: a secret replaced (a key sealed in place) leaves no copy in free pages */
  if (!exec_text(db->h,
                 "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                 "PRAGMA secure_delete=ON;",
                 why, sizeof why)) {
    snprintf(err, err_size, "%s: %s", path, why);
    close_db(&db->base);
    return SR_ERR_IO;
  }
  int at = version(&db->base), latest = cloud_db_latest_version();
  if (at > latest) {
    snprintf(err, err_size,
             "%s: the database has schema version %d, newer than this sr-cloud knows (%d)", path,
             at, latest);
    close_db(&db->base);
    return SR_ERR_UNSUPPORTED;
  }
  for (int v = at; v < latest; v++) {
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version=%d;", v + 1);
    if (!exec_text(db->h, "BEGIN IMMEDIATE;", why, sizeof why) ||
        !exec_text(db->h, cloud_db_migration_sql(v + 1), why, sizeof why) ||
        !exec_text(db->h, sql, why, sizeof why) || !exec_text(db->h, "COMMIT;", why, sizeof why)) {
      exec_text(db->h, "ROLLBACK;", sql, sizeof sql);
      snprintf(err, err_size, "%s: migration to schema version %d failed: %s", path, v + 1, why);
      close_db(&db->base);
      return SR_ERR_IO;
    }
    sr_log(SR_LOG_INFO, "db", "%s: schema migrated to version %d", path, v + 1);
  }
  status = check_private_files(path, false, err, err_size);
  if (status != SR_OK) {
    close_db(&db->base);
    return status;
  }
  *out = &db->base;
  return SR_OK;
}
