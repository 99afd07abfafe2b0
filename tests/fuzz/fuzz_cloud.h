/*
 * The cloud both cloud harnesses run against: a `cloud` whose database is a
 * fresh SQLite file (the cloud's own schema and migrations) in a private
 * directory removed at exit, with tenant "t1", its administrator token
 * FUZZ_ADMIN_TOKEN, users "u1" (alice@example.com) and "u2" (bob@example.com),
 * print scout "s1", job "j1" and its release "r1" by that scout. No broker,
 * no HTTP server.
 */
#ifndef SR_FUZZ_CLOUD_H
#define SR_FUZZ_CLOUD_H

#include <stdio.h>
#include <unistd.h>

#include "cloud.h"
#include "db.h"
#include "fuzz_common.h"
#include "sr/abi.h"

#define FUZZ_ADMIN_TOKEN "fuzz-admin-token"

static cloud fuzz_cloud;
static char fuzz_cloud_dir[] = "/tmp/sr-fuzz-cloud-XXXXXX";

static void fuzz_cloud_remove(void) {
  cloud_db_close(fuzz_cloud.db);
  static const char *const files[] = {"cloud.db", "cloud.db-wal", "cloud.db-shm"};
  char path[128];
  for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
    snprintf(path, sizeof path, "%s/%s", fuzz_cloud_dir, files[i]);
    unlink(path);
  }
  rmdir(fuzz_cloud_dir);
}

static void fuzz_cloud_open(void) {
  char path[128], err[512], hash[65];
  if (!mkdtemp(fuzz_cloud_dir))
    abort();
  snprintf(path, sizeof path, "%s/cloud.db", fuzz_cloud_dir);
  if (cloud_db_open(CLOUD_DB_SQLITE, path, &fuzz_cloud.db, err, sizeof err) != SR_OK) {
    fprintf(stderr, "%s\n", err);
    abort();
  }
  atexit(fuzz_cloud_remove);
  cloud_db *db = fuzz_cloud.db;
  /* speed over durability: the database is thrown away */
  cloud_db_run(db, "PRAGMA synchronous = OFF", "");
  cloud_token_hash(FUZZ_ADMIN_TOKEN, hash);
  static const char *const rows[] = {
      "INSERT INTO tenants(id, name, created_at) VALUES ('t1', 'T', 0)",
      "INSERT INTO users(tenant, id, email, name, created_at) "
      "VALUES ('t1', 'u1', 'alice@example.com', 'Alice', 0)",
      "INSERT INTO users(tenant, id, email, name, created_at) "
      "VALUES ('t1', 'u2', 'bob@example.com', 'Bob', 0)",
      "INSERT INTO scouts(id, tenant, kind, name, created_at) VALUES ('s1', 't1', 'print', 'ws', "
      "0)",
      "INSERT INTO jobs(tenant, id, owner, scout, title, copies, sides, color, submitted_at, "
      "state, release_id, updated_at) VALUES ('t1', 'j1', 'u1', 's1', 'doc', 1, 'one-sided', "
      "'auto', 0, 'releasing', 'r1', 0)",
      "INSERT INTO releases(tenant, id, job, device, scout, user_id, command, state, created_at, "
      "updated_at, deadline) VALUES ('t1', 'r1', 'j1', 'd1', 's1', 'u1', '{}', 'releasing', 0, "
      "0, 0)",
  };
  for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
    if (cloud_db_run(db, rows[i], "") < 0)
      abort();
  if (cloud_db_run(db,
                   "INSERT INTO admin_tokens(token_hash, tenant, created_at) VALUES (?, 't1', 0)",
                   "t", hash) < 0)
    abort();
}

#endif
