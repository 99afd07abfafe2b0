/* Every statement of the cloud, as PostgreSQL would run it: the list
 * tests/support/cloud_statements.py makes from the cloud's sources (SQL and
 * argument types), each rewritten by db_dialect.c and prepared with its
 * types on a fully migrated database. PostgreSQL checks a prepared
 * statement's tables, columns, functions and the type of every expression,
 * so a statement only SQLite accepts fails here without any data or test
 * reaching it. Run through tests/support/with_postgres.sh.
 * usage: test_pg_statements STATEMENTS.json */
#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "db_driver.h"
#include "sr/abi.h"

#define OID_TEXT 25
#define OID_INT8 20
#define STATEMENTS_MIN 200 /* fewer listed: the extraction broke, not the SQL */

int main(int argc, char **argv) {
  const char *server = getenv("SR_TEST_PG_CONNINFO");
  if (argc != 2 || !server) {
    fprintf(stderr, "usage: SR_TEST_PG_CONNINFO=... test_pg_statements STATEMENTS.json\n");
    return 2;
  }
  json_error_t jerr;
  json_t *list = json_load_file(argv[1], 0, &jerr);
  if (!json_is_array(list) || json_array_size(list) < STATEMENTS_MIN) {
    fprintf(stderr, "%s: %zu statements listed, expected at least %d (%s)\n", argv[1],
            json_array_size(list), STATEMENTS_MIN, jerr.text);
    return 1;
  }
  /* a database migrated by the driver, then a plain connection to it */
  char admin[600], where[600], err[512];
  snprintf(admin, sizeof admin, "%s dbname=postgres", server);
  PGconn *conn = PQconnectdb(admin);
  PQclear(PQexec(conn, "DROP DATABASE IF EXISTS statements"));
  PQclear(PQexec(conn, "CREATE DATABASE statements"));
  PQfinish(conn);
  snprintf(where, sizeof where, "%s dbname=statements", server);
  cloud_db *db = NULL;
  if (cloud_db_open(CLOUD_DB_POSTGRESQL, where, &db, err, sizeof err) != SR_OK) {
    fprintf(stderr, "cannot open the database: %s\n", err);
    return 1;
  }
  conn = PQconnectdb(where);
  if (PQstatus(conn) != CONNECTION_OK) {
    fprintf(stderr, "cannot connect: %s\n", PQerrorMessage(conn));
    return 1;
  }
  size_t i, checked = 0, failed = 0;
  json_t *s;
  json_array_foreach(list, i, s) {
    const char *sql = json_string_value(json_object_get(s, "sql"));
    const char *types = json_string_value(json_object_get(s, "types"));
    const char *at = json_string_value(json_object_get(s, "where"));
    if (!sql || !types || !at)
      continue;
    char *text = cloud_db_pg_sql(sql);
    Oid oids[64];
    size_t n = strlen(types);
    for (size_t k = 0; k < n && k < 64; k++)
      oids[k] = types[k] == 't' ? OID_TEXT : OID_INT8;
    PGresult *r = PQprepare(conn, "", text, (int)n, oids);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
      failed++;
      fprintf(stderr, "%s: %s  %s\n", at, PQresultErrorMessage(r), text);
    } else {
      /* as many arguments as the statement has parameters */
      PGresult *d = PQdescribePrepared(conn, "");
      if (PQnparams(d) != (int)n) {
        failed++;
        fprintf(stderr, "%s: %zu arguments for %d parameters: %s\n", at, n, PQnparams(d), text);
      }
      PQclear(d);
    }
    PQclear(r);
    free(text);
    checked++;
  }
  printf("%zu statements prepared on PostgreSQL, %zu failed\n", checked, failed);
  PQfinish(conn);
  cloud_db_close(db);
  json_decref(list);
  return failed ? 1 : 0;
}
