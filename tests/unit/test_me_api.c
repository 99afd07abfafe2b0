/* The user portal's /me calls against a real database (api_me.c,
 * me_store.c): a user sees and changes only their own jobs and
 * delegations; another user's or tenant's object is "not found"; paging
 * walks every job once, newest first; the printer list carries no device
 * address. The handlers run as the router calls them, with k->tenant and
 * k->user set as a session would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <sqlite3.h>

#include "cloud.h"
#include "db.h"
#include "db_driver.h"
#include "sr/abi.h"

static char dir[64];
static cloud c;

/* The one test double: deleting a job everywhere is releases.c's (tested
 * with the stack); here it records the call and marks the row as
 * cloud_job_delete does, held only. */
static char deleted[128];
bool cloud_job_delete(cloud *cl, const char *tenant, const char *job_id, const char *state) {
  snprintf(deleted, sizeof deleted, "%s/%s", tenant, job_id);
  return cloud_db_run(cl->db,
                      "UPDATE jobs SET state = ? WHERE tenant = ? AND id = ? AND state = 'held'",
                      "ttt", state, tenant, job_id) == 1;
}

static void job(const char *tenant, const char *id, const char *owner, int64_t at,
                const char *state) {
  assert_int_equal(cloud_db_run(c.db,
                                "INSERT INTO jobs(tenant, id, owner, scout, title, copies, sides, "
                                "color, submitted_at, state, updated_at) VALUES(?, ?, ?, 's1', "
                                "?, 1, 'one-sided', 'auto', ?, ?, ?)",
                                "ttttiti", tenant, id, owner, id, at, state, at),
                   1);
}

static int setup(void **state) {
  (void)state;
  char path[128], err[256];
  strcpy(dir, "/tmp/sr-test-me-XXXXXX");
  if (!mkdtemp(dir))
    return -1;
  snprintf(path, sizeof path, "%s/cloud.db", dir);
  if (cloud_db_open(CLOUD_DB_SQLITE, path, &c.db, err, sizeof err) != SR_OK)
    return -1;
  const char *seed =
      "INSERT INTO tenants(id, name, created_at) VALUES('t1', 'One', 1), ('t2', 'Two', 1);"
      "INSERT INTO users(tenant, id, email, name, created_at) VALUES"
      " ('t1', 'u-a', 'a@example.com', 'A', 1), ('t1', 'u-b', 'b@example.com', 'B', 1),"
      " ('t2', 'u-a', 'a@two.example', 'A2', 1);"
      "INSERT INTO scouts(tenant, id, kind, name, created_at, public_url) VALUES"
      " ('t1', 'site1', 'site', 'Site', 1, 'https://print.example');"
      "INSERT INTO devices(tenant, id, name, uris, snmp, created_at, site, location) VALUES"
      " ('t1', 'dev1', 'Hall', '[\"ipp://10.0.0.9/ipp/print\"]', '{\"community\":\"x\"}', 1,"
      "  'site1', 'Floor 2'),"
      " ('t2', 'dev9', 'Other', '[\"ipp://10.9.9.9/\"]', NULL, 1, NULL, NULL);";
  if (sqlite3_exec(cloud_db_sqlite_handle(c.db), seed, NULL, NULL, NULL) != SQLITE_OK) {
    fprintf(stderr, "seed: %s\n", sqlite3_errmsg(cloud_db_sqlite_handle(c.db)));
    return -1;
  }
  return 0;
}

static int teardown(void **state) {
  (void)state;
  cloud_db_close(c.db);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  return system(cmd);
}

static int reset_jobs(void **state) {
  (void)state;
  deleted[0] = '\0';
  return sqlite3_exec(cloud_db_sqlite_handle(c.db), "DELETE FROM jobs; DELETE FROM delegations;",
                      NULL, NULL, NULL);
}

/* Runs handler `h` as user `user` of `tenant`; returns the status and the
 * parsed body in *out (caller decrefs; NULL without one). */
static int call(void (*h)(cloud_call *), const char *method, const char *query, const char *body,
                const char *tenant, const char *user, const char *id, const char *const *fields,
                json_t **out) {
  sr_http_request req = {.method = method,
                         .path = "/api/v1/me/x",
                         .query = query,
                         .remote = "test",
                         .if_none_match = "",
                         .body = body ? body : "",
                         .body_len = body ? strlen(body) : 0,
                         .body_file = -1};
  sr_http_response resp = {0};
  cloud_call k = {.c = &c, .req = &req, .resp = &resp, .fields = fields};
  snprintf(k.tenant, sizeof k.tenant, "%s", tenant);
  snprintf(k.user, sizeof k.user, "%s", user);
  snprintf(k.actor, sizeof k.actor, "%s", "test@example.com");
  snprintf(k.id, sizeof k.id, "%s", id ? id : "");
  h(&k);
  *out = resp.body ? json_loads(resp.body, 0, NULL) : NULL;
  free(resp.body);
  return resp.status;
}

static void test_pages_walk_own_jobs_newest_first(void **state) {
  (void)state;
  job("t1", "j1", "u-a", 100, "held");
  job("t1", "j2", "u-a", 200, "held");
  job("t1", "j3b", "u-a", 300, "failed");
  job("t1", "j3a", "u-a", 300, "held"); /* same second: the id orders */
  job("t1", "j4", "u-a", 400, "deleted");
  job("t1", "jb", "u-b", 350, "held");
  job("t2", "jt", "u-a", 360, "held"); /* the same user id in another tenant */
  const char *want[] = {"j3b", "j3a", "j2", "j1"};
  size_t seen = 0;
  char query[200] = "limit=2";
  for (int page = 0; page < 3; page++) {
    json_t *o;
    assert_int_equal(call(cloud_me_jobs, "GET", query, NULL, "t1", "u-a", NULL, NULL, &o), 200);
    json_t *jobs = json_object_get(o, "jobs"), *row;
    size_t i;
    json_array_foreach(jobs, i, row) {
      assert_true(seen < 4);
      assert_string_equal(cloud_row_text(row, "id"), want[seen++]);
      assert_null(json_object_get(row, "owner")); /* nothing but the user's own */
    }
    json_t *next = json_object_get(o, "next");
    if (json_is_null(next)) {
      json_decref(o);
      break;
    }
    snprintf(query, sizeof query, "limit=2&cursor=%s", json_string_value(next));
    json_decref(o);
  }
  assert_int_equal(seen, 4);
}

static void test_bad_paging_is_refused(void **state) {
  (void)state;
  const char *bad[] = {"limit=0",       "limit=201", "limit=x",   "cursor=abc",     "cursor=-1.j1",
                       "cursor=1.j%27", "cursor=1.", "owner=u-b", "limit=2&limit=3"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    json_t *o;
    assert_int_equal(call(cloud_me_jobs, "GET", bad[i], NULL, "t1", "u-a", NULL, NULL, &o), 400);
    json_decref(o);
  }
}

static void test_delete_own_held_job_only(void **state) {
  (void)state;
  job("t1", "mine", "u-a", 100, "held");
  job("t1", "printing", "u-a", 101, "printing");
  job("t1", "theirs", "u-b", 102, "held");
  job("t2", "other-tenant", "u-a", 103, "held");
  json_t *o;
  /* another user's job and another tenant's (same user id): not found,
   * and nothing was deleted */
  assert_int_equal(call(cloud_me_job_remove, "DELETE", "", NULL, "t1", "u-a", "theirs", NULL, &o),
                   404);
  json_decref(o);
  assert_int_equal(
      call(cloud_me_job_remove, "DELETE", "", NULL, "t1", "u-a", "other-tenant", NULL, &o), 404);
  json_decref(o);
  assert_string_equal(deleted, "");
  assert_int_equal(call(cloud_me_job_remove, "DELETE", "", NULL, "t1", "u-a", "printing", NULL, &o),
                   409);
  json_decref(o);
  assert_int_equal(call(cloud_me_job_remove, "DELETE", "", NULL, "t1", "u-a", "mine", NULL, &o),
                   204);
  assert_string_equal(deleted, "t1/mine");
  /* gone from the list, and a second delete is a 404 */
  assert_int_equal(call(cloud_me_job_remove, "DELETE", "", NULL, "t1", "u-a", "mine", NULL, &o),
                   404);
  json_decref(o);
  json_t *row = cloud_db_row(c.db, "SELECT state FROM jobs WHERE tenant='t1' AND id='theirs'", "");
  assert_string_equal(cloud_row_text(row, "state"), "held");
  json_decref(row);
}

static const char *const delegation_fields[] = {"delegate", "until", NULL};

static void test_delegations_are_the_callers_own(void **state) {
  (void)state;
  json_t *o;
  /* the owner is never taken from the body */
  assert_int_equal(call(cloud_me_delegation_add, "POST", "",
                        "{\"owner\":\"b@example.com\",\"delegate\":\"a@example.com\"}", "t1", "u-a",
                        NULL, delegation_fields, &o),
                   400);
  json_decref(o);
  /* the portal sends a chosen day's last second */
  char body[128], until[32];
  cloud_rfc3339(time(NULL) + 30 * 86400, until);
  memcpy(until + 11, "23:59:59Z", 10);
  snprintf(body, sizeof body, "{\"delegate\":\"b@example.com\",\"until\":\"%s\"}", until);
  assert_int_equal(
      call(cloud_me_delegation_add, "POST", "", body, "t1", "u-a", NULL, delegation_fields, &o),
      201);
  assert_string_equal(cloud_row_text(o, "owner"), "a@example.com");
  assert_string_equal(cloud_row_text(o, "until"), until);
  char mine[64];
  snprintf(mine, sizeof mine, "%s", cloud_row_text(o, "id"));
  json_decref(o);
  /* B's own delegation to A */
  assert_int_equal(call(cloud_me_delegation_add, "POST", "", "{\"delegate\":\"a@example.com\"}",
                        "t1", "u-b", NULL, delegation_fields, &o),
                   201);
  char theirs[64];
  snprintf(theirs, sizeof theirs, "%s", cloud_row_text(o, "id"));
  json_decref(o);
  /* A cannot revoke what B gave, nor can the same user id of tenant t2 */
  assert_int_equal(
      call(cloud_me_delegation_remove, "DELETE", "", NULL, "t1", "u-a", theirs, NULL, &o), 404);
  json_decref(o);
  assert_int_equal(
      call(cloud_me_delegation_remove, "DELETE", "", NULL, "t2", "u-a", mine, NULL, &o), 404);
  json_decref(o);
  /* t2's A lists nothing of t1 */
  assert_int_equal(call(cloud_me_delegations, "GET", "", NULL, "t2", "u-a", NULL, NULL, &o), 200);
  assert_int_equal(json_array_size(json_object_get(o, "delegations")), 0);
  json_decref(o);
  assert_int_equal(
      call(cloud_me_delegation_remove, "DELETE", "", NULL, "t1", "u-a", mine, NULL, &o), 204);
  json_t *left = cloud_db_rows(c.db, "SELECT id FROM delegations", "");
  assert_int_equal(json_array_size(left), 1);
  assert_string_equal(cloud_row_text(json_array_get(left, 0), "id"), theirs);
  json_decref(left);
}

static void test_printers_show_release_pages_not_addresses(void **state) {
  (void)state;
  json_t *o;
  assert_int_equal(call(cloud_me_printers, "GET", "", NULL, "t1", "u-a", NULL, NULL, &o), 200);
  json_t *list = json_object_get(o, "printers");
  assert_int_equal(json_array_size(list), 1);
  json_t *p = json_array_get(list, 0);
  assert_string_equal(cloud_row_text(p, "id"), "dev1");
  assert_string_equal(cloud_row_text(p, "location"), "Floor 2");
  assert_string_equal(cloud_row_text(p, "release_url"), "https://print.example/r/dev1");
  assert_null(json_object_get(p, "uris"));
  assert_null(json_object_get(p, "snmp"));
  char *text = json_dumps(o, 0);
  assert_null(strstr(text, "10.0.0.9"));
  assert_null(strstr(text, "community"));
  free(text);
  json_decref(o);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_pages_walk_own_jobs_newest_first, reset_jobs),
      cmocka_unit_test_setup(test_bad_paging_is_refused, reset_jobs),
      cmocka_unit_test_setup(test_delete_own_held_job_only, reset_jobs),
      cmocka_unit_test_setup(test_delegations_are_the_callers_own, reset_jobs),
      cmocka_unit_test_setup(test_printers_show_release_pages_not_addresses, reset_jobs),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
