/*
 * The cloud's database on PostgreSQL (libpq), for several cloud instances
 * over one database (docs/scaling.md). Statements are the common ones,
 * rewritten once each by db_dialect.c and kept by their address; the
 * schema is migrated under an advisory lock, so instances starting at
 * once migrate it once; its version is the table schema_version.
 *
 * Within a transaction each statement runs under a savepoint: PostgreSQL
 * aborts a whole transaction on any error, SQLite only the statement, and
 * callers count on a refused statement (a conflict) leaving the rest
 * usable. A connection lost is made again: a read outside a transaction
 * is asked again at once; a write is an error, not retried (it may have
 * been done), and the caller answers as for any database failure; the
 * next statement runs on the new connection.
 */
#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_driver.h"
#include "log.h"
#include "sr/abi.h"

#define SQL_CACHE_SIZE 256
#define PARAMS_MAX 32

/* PostgreSQL's type oids (catalog/pg_type_d.h, stable) */
#define OID_BOOL 16
#define OID_INT8 20
#define OID_INT2 21
#define OID_INT4 23
#define OID_TEXT 25
#define OID_NUMERIC 1700

typedef struct pg_db {
  cloud_db base;
  PGconn *conn;
  char where[256]; /* host and database, for messages: never the password */
  bool in_transaction;
  /* a statement of the open transaction failed because the connection was
   * lost: it is gone, so every statement fails until the caller's ROLLBACK */
  bool broken;
  unsigned reconnections; /* connections made again after a loss */
  struct {
    const char *sql; /* the caller's text: its address and a copy, since a */
    char *copy;      /* caller may build statements in one buffer */
    char *text;      /* PostgreSQL's */
  } cache[SQL_CACHE_SIZE];
} pg_db;

static pg_db *pg(cloud_db *db) { return (pg_db *)db; }

/* The PostgreSQL text of `sql`, rewritten once (NULL if out of memory). */
static const char *pg_text(pg_db *db, const char *sql) {
  size_t slot = ((uintptr_t)sql >> 3) % SQL_CACHE_SIZE;
  if (db->cache[slot].sql == sql && db->cache[slot].text && strcmp(db->cache[slot].copy, sql) == 0)
    return db->cache[slot].text;
  char *text = cloud_db_pg_sql(sql), *copy = strdup(sql);
  if (!text || !copy) {
    free(text);
    free(copy);
    return NULL;
  }
  free(db->cache[slot].text);
  free(db->cache[slot].copy);
  db->cache[slot].sql = sql;
  db->cache[slot].copy = copy;
  db->cache[slot].text = text;
  return text;
}

static bool run_text(pg_db *db, const char *text, char *err, size_t err_size);

/* What every connection is set to: the server's notices ("relation exists,
 * skipping") are not ours, and nothing waits without end: a row another
 * instance holds (SQLite waited 5 s for a lock), a statement, a transaction
 * its client forgot. */
static void session_settings(pg_db *db) {
  run_text(db,
           "SET client_min_messages = warning; SET lock_timeout = '5s'; SET statement_timeout = "
           "'30s'; SET idle_in_transaction_session_timeout = '60s'",
           NULL, 0);
}

/* The connection, made again if it was lost; false (logged) if it cannot be. */
static bool connected(pg_db *db) {
  if (PQstatus(db->conn) == CONNECTION_OK)
    return true;
  sr_log(SR_LOG_WARN, "db", "%s: the connection to PostgreSQL was lost; connecting again",
         db->where);
  if (db->in_transaction)
    db->broken = true; /* its statements are gone: the caller must roll back */
  PQreset(db->conn);
  if (PQstatus(db->conn) == CONNECTION_OK) {
    session_settings(db);
    db->reconnections++;
    return true;
  }
  sr_log(SR_LOG_ERROR, "db", "%s: cannot connect to PostgreSQL: %s", db->where,
         PQerrorMessage(db->conn));
  return false;
}

/* Runs `text` without parameters; false with PostgreSQL's message in err. */
static bool run_text(pg_db *db, const char *text, char *err, size_t err_size) {
  PGresult *r = PQexec(db->conn, text);
  ExecStatusType st = PQresultStatus(r);
  bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
  if (!ok && err)
    snprintf(err, err_size, "%s", PQresultErrorMessage(r));
  PQclear(r);
  return ok;
}

static json_t *value_of(const PGresult *r, int row, int col) {
  if (PQgetisnull(r, row, col))
    return json_null();
  const char *v = PQgetvalue(r, row, col);
  switch (PQftype(r, col)) {
  case OID_INT2:
  case OID_INT4:
  case OID_INT8: return json_integer(strtoll(v, NULL, 10));
  case OID_BOOL: return json_integer(v[0] == 't');
  case OID_NUMERIC: /* sum() of integers: an integer when it is one */
    if (!strchr(v, '.'))
      return json_integer(strtoll(v, NULL, 10));
    return json_string(v);
  default: return json_string(v);
  }
}

static int exec(cloud_db *cdb, const char *sql, const char *types, va_list ap, json_t *rows,
                int limit) {
  pg_db *db = pg(cdb);
  size_t n = strlen(types);
  if (n > PARAMS_MAX) { /* a caller's bug */
    sr_log(SR_LOG_ERROR, "db", "%zu arguments, more than %d, in: %.80s", n, PARAMS_MAX, sql);
    return -1;
  }
  /* the transaction statements keep count of where we are */
  bool begin = strcmp(sql, "BEGIN IMMEDIATE") == 0,
       end = !strcmp(sql, "COMMIT") || !strcmp(sql, "ROLLBACK");
  if (begin && db->in_transaction) { /* a caller's bug: SQLite refuses it too */
    sr_log(SR_LOG_ERROR, "db", "a transaction is already open");
    return -1;
  }
  const char *text = pg_text(db, sql);
  if (!text)
    return -1;
  bool up = connected(db); /* marks the transaction broken if it was lost */
  if (db->broken) {
    /* the transaction was lost with its connection: nothing of it may
     * commit, and the ROLLBACK that ends it is all that is left to do */
    if (end) {
      db->broken = db->in_transaction = false;
      if (strcmp(sql, "ROLLBACK") == 0)
        return 0;
    }
    sr_log(SR_LOG_ERROR, "db", "%s: the transaction was lost with the connection (%.80s)",
           db->where, sql);
    return -1;
  }
  if (!up)
    return -1;
  char numbers[PARAMS_MAX][24];
  const char *values[PARAMS_MAX];
  /* the types are said, not left to the server: `? IS NULL` alone gives
   * it nothing to guess from */
  Oid oids[PARAMS_MAX];
  for (size_t i = 0; i < n; i++) {
    oids[i] = types[i] == 't' ? OID_TEXT : OID_INT8;
    if (types[i] == 't') {
      values[i] = va_arg(ap, const char *);
    } else {
      snprintf(numbers[i], sizeof numbers[i], "%lld", (long long)va_arg(ap, int64_t));
      values[i] = numbers[i];
    }
  }
  bool guarded = db->in_transaction && !begin && !end;
  if (guarded && !run_text(db, "SAVEPOINT stmt", NULL, 0))
    return -1;
  PGresult *r = PQexecParams(db->conn, text, (int)n, oids, values, NULL, NULL, 0);
  ExecStatusType st = PQresultStatus(r);
  /* the server went away (a restart, a failover): a read outside a
   * transaction is asked again on a new connection; a write is not, as it
   * may have been done */
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && PQstatus(db->conn) == CONNECTION_BAD &&
      rows && !db->in_transaction && connected(db)) {
    PQclear(r);
    r = PQexecParams(db->conn, text, (int)n, oids, values, NULL, NULL, 0);
    st = PQresultStatus(r);
  }
  int result;
  /* COMMIT of a transaction the server had aborted answers "ROLLBACK" */
  if (st == PGRES_COMMAND_OK && strcmp(sql, "COMMIT") == 0 &&
      strcmp(PQcmdStatus(r), "COMMIT") != 0) {
    sr_log(SR_LOG_ERROR, "db", "%s: the transaction was rolled back, not committed", db->where);
    db->in_transaction = false;
    PQclear(r);
    return -1;
  }
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
    if (rows) {
      int nrows = PQntuples(r), ncols = PQnfields(r);
      for (int i = 0; i < nrows && (limit < 0 || i < limit); i++) {
        json_t *row = json_object();
        for (int c = 0; c < ncols; c++)
          json_object_set_new(row, PQfname(r, c), value_of(r, i, c));
        json_array_append_new(rows, row);
      }
      result = (int)json_array_size(rows);
    } else {
      result = atoi(PQcmdTuples(r));
    }
    if (begin)
      db->in_transaction = true;
    else if (end)
      db->in_transaction = false;
  } else {
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    /* 23505: unique_violation, an answer ("it exists") as in SQLite */
    if (!rows && state && strcmp(state, "23505") == 0) {
      result = CLOUD_DB_CONFLICT;
    } else {
      sr_log(SR_LOG_ERROR, "db", "%s failed: %s (%.80s)", rows ? "query" : "statement",
             r ? PQresultErrorMessage(r) : PQerrorMessage(db->conn), sql);
      result = -1;
    }
  }
  PQclear(r);
  if (guarded)
    run_text(db, result >= 0 ? "RELEASE SAVEPOINT stmt" : "ROLLBACK TO SAVEPOINT stmt", NULL, 0);
  return result;
}

static int version(cloud_db *cdb) {
  pg_db *db = pg(cdb);
  PGresult *r = PQexec(db->conn, "SELECT max(version) FROM schema_version");
  int v = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0)
              ? atoi(PQgetvalue(r, 0, 0))
              : 0;
  PQclear(r);
  return v;
}

/* A table whose rows were overwritten in place (a secret sealed): its
 * old row versions are rewritten away. The server's write-ahead log, its
 * archives and replicas keep them until they are recycled: backups made
 * before are to be treated as holding them (secrets.c says so). */
static bool flush_log(cloud_db *cdb, const char *table, char *err, size_t err_size) {
  pg_db *db = pg(cdb);
  char sql[96];
  snprintf(sql, sizeof sql, "VACUUM FULL %s", table);
  return connected(db) && run_text(db, sql, err, err_size);
}

static void close_db(cloud_db *cdb) {
  pg_db *db = pg(cdb);
  PQfinish(db->conn);
  for (size_t i = 0; i < SQL_CACHE_SIZE; i++) {
    free(db->cache[i].text);
    free(db->cache[i].copy);
  }
  free(db);
}

static unsigned reconnections(cloud_db *db) { return pg(db)->reconnections; }

static const cloud_db_ops ops = {
    .driver = CLOUD_DB_POSTGRESQL,
    .exec = exec,
    .version = version,
    .flush_log = flush_log,
    .close = close_db,
    .reconnections = reconnections,
};

/* Brings the schema to the latest version, one migration per transaction,
 * under an advisory lock held for the whole (another instance waits, then
 * finds nothing to do). */
static int migrate(pg_db *db, char *err, size_t err_size) {
  char why[1024];
  if (!run_text(db, "SELECT pg_advisory_lock(5372019)", why, sizeof why) ||
      !run_text(db, "CREATE TABLE IF NOT EXISTS schema_version(version BIGINT NOT NULL)", why,
                sizeof why)) {
    snprintf(err, err_size, "%s: preparing the schema failed: %s", db->where, why);
    return SR_ERR_IO;
  }
  int status = SR_OK, at = version(&db->base), latest = cloud_db_latest_version();
  if (at > latest) {
    snprintf(err, err_size,
             "%s: the database has schema version %d, newer than this sr-cloud knows (%d)",
             db->where, at, latest);
    status = SR_ERR_UNSUPPORTED;
  }
  for (int v = at; status == SR_OK && v < latest; v++) {
    char *text = cloud_db_pg_sql(cloud_db_migration_sql(v + 1)), mark[96];
    snprintf(mark, sizeof mark, "INSERT INTO schema_version(version) VALUES(%d)", v + 1);
    if (!text || !run_text(db, "BEGIN", why, sizeof why) || !run_text(db, text, why, sizeof why) ||
        !run_text(db, mark, why, sizeof why) || !run_text(db, "COMMIT", why, sizeof why)) {
      run_text(db, "ROLLBACK", NULL, 0);
      snprintf(err, err_size, "%s: migration to schema version %d failed: %s", db->where, v + 1,
               text ? why : "out of memory");
      status = SR_ERR_IO;
    } else {
      sr_log(SR_LOG_INFO, "db", "%s: schema migrated to version %d", db->where, v + 1);
    }
    free(text);
  }
  run_text(db, "SELECT pg_advisory_unlock(5372019)", NULL, 0);
  return status;
}

int cloud_db_pg_open(const char *conninfo, cloud_db **out, char *err, size_t err_size) {
  pg_db *db = calloc(1, sizeof *db);
  if (!db) {
    snprintf(err, err_size, "PostgreSQL: out of memory");
    return SR_ERR_IO;
  }
  db->base.ops = &ops;
  /* the caller's string (a URL or key=value pairs) overrides these: a
   * server that does not answer is given up in 10 s, a dead peer found by
   * TCP keepalives */
  const char *const keys[] = {"connect_timeout", "keepalives", "dbname", NULL};
  const char *const values[] = {"10", "1", conninfo, NULL};
  db->conn = PQconnectdbParams(keys, values, 1);
  if (PQstatus(db->conn) != CONNECTION_OK) {
    /* libpq's message names the host or socket; the string may hold a password */
    snprintf(err, err_size,
             "PostgreSQL (database.url): cannot connect: %s; check that the server runs and the "
             "URL, user and password are right",
             PQerrorMessage(db->conn));
    close_db(&db->base);
    return SR_ERR_IO;
  }
  snprintf(db->where, sizeof db->where, "PostgreSQL %s/%s",
           PQhost(db->conn) ? PQhost(db->conn) : "", PQdb(db->conn) ? PQdb(db->conn) : "");
  session_settings(db);
  int status = migrate(db, err, err_size);
  if (status != SR_OK) {
    close_db(&db->base);
    return status;
  }
  *out = &db->base;
  return SR_OK;
}
