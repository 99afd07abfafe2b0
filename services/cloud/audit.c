/* The audit log: who changed what in a tenant, and when. Every
 * state-changing administration handler records one row after it succeeded
 * (cloud_audit); GET /api/v1/audit pages them, newest first. A row never
 * holds a secret (tokens, hashes of cards or PINs): callers pass only what
 * an administrator may read back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cloud.h"
#include "db.h"
#include "log.h"

#define AUDIT_LIMIT_DEFAULT 50
#define AUDIT_LIMIT_MAX 200

void cloud_audit(cloud *c, const cloud_call *k, const char *action, const char *object,
                 json_t *detail) {
  char *text = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
  json_decref(detail);
  const char *actor = k->actor[0] ? k->actor : "token";
  /* a lost audit row is logged, never answered as a failure: the change
   * itself has happened and was answered for */
  if (cloud_db_run(c->db,
                   "INSERT INTO audit_log(tenant, at, actor, action, object, detail) "
                   "VALUES(?, ?, ?, ?, ?, ?)",
                   "titttt", k->tenant, (int64_t)time(NULL), actor, action, object, text) != 1)
    sr_log(SR_LOG_ERROR, "audit", "tenant %s: %s of %s by %s could not be recorded", k->tenant,
           action, object ? object : "-", actor);
  free(text);
}

void cloud_audit_succeeded(cloud_call *k, const char *action, const char *object, json_t *detail) {
  if (k->resp->status < 200 || k->resp->status > 299) {
    json_decref(detail);
    return;
  }
  json_t *answer = NULL;
  if (!object && k->resp->body) { /* the created object's id, from the answer */
    answer = json_loads(k->resp->body, 0, NULL);
    object = json_string_value(json_object_get(answer, "id"));
  }
  cloud_audit(k->c, k, action, object ? object : k->id[0] ? k->id : NULL, detail);
  json_decref(answer);
}

json_t *cloud_audit_fields(const cloud_call *k, const char *const *keep) {
  json_t *body = json_loadb(k->req->body, k->req->body_len, 0, NULL), *out = json_object();
  for (size_t i = 0; keep[i]; i++) {
    json_t *v = json_object_get(body, keep[i]);
    if (v)
      json_object_set(out, keep[i], v);
  }
  json_decref(body);
  return out;
}

/* The `limit` query parameter: default when absent; false and a 400 when
 * it is not 1..max. */
bool cloud_query_limit(cloud_call *k, int64_t fallback, int64_t max, int64_t *limit) {
  char text[16];
  *limit = fallback;
  if (!cloud_query_param(k->req->query, "limit", text, sizeof text))
    return true;
  char *end;
  long long n = strtoll(text, &end, 10);
  if (!*text || *end || n < 1 || n > max) {
    sr_http_reply_error(k->resp, 400, "invalid", "'limit' is 1 to %lld", (long long)max);
    return false;
  }
  *limit = n;
  return true;
}

void cloud_admin_audit(cloud_call *k) {
  int64_t limit, before = INT64_MAX;
  char cursor[24];
  if (!cloud_query_known(k, (const char *const[]){"limit", "cursor", NULL}) ||
      !cloud_query_limit(k, AUDIT_LIMIT_DEFAULT, AUDIT_LIMIT_MAX, &limit))
    return;
  /* the cursor is the last row's sequence number, opaque to callers */
  if (cloud_query_param(k->req->query, "cursor", cursor, sizeof cursor)) {
    char *end;
    long long n = strtoll(cursor, &end, 10);
    if (!*cursor || *end || n < 1) {
      sr_http_reply_error(k->resp, 400, "invalid", "'cursor' is not one this API gave");
      return;
    }
    before = n;
  }
  json_t *rows = cloud_db_rows(k->c->db,
                               "SELECT seq, at, actor, action, object, detail FROM audit_log "
                               "WHERE tenant = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
                               "tii", k->tenant, before, limit + 1);
  if (!rows) {
    cloud_api_db_error(k->resp, "reading the audit log");
    return;
  }
  json_t *next = json_null();
  if ((int64_t)json_array_size(rows) > limit) {
    json_array_remove(rows, (size_t)limit);
    char text[24];
    snprintf(text, sizeof text, "%lld",
             (long long)cloud_row_int(json_array_get(rows, (size_t)limit - 1), "seq"));
    json_decref(next);
    next = json_string(text);
  }
  size_t i;
  json_t *row;
  json_array_foreach(rows, i, row) {
    char when[32];
    cloud_rfc3339(cloud_row_int(row, "at"), when);
    json_object_set_new(row, "at", json_string(when));
    json_t *detail = json_loads(cloud_row_text(row, "detail"), 0, NULL);
    json_object_set_new(row, "detail", detail ? detail : json_null());
    json_object_del(row, "seq");
  }
  sr_http_reply_json(k->resp, 200, json_pack("{s:o, s:o}", "entries", rows, "next_cursor", next));
}
