/* What every REST handler shares: the JSON body with its allowed fields,
 * the answer to a database failure, times as RFC 3339. Kept apart from the
 * router (api.c) so that handlers depend on this file and the router on the
 * handlers, never both ways. */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cloud.h"
#include "db.h"

json_t *cloud_api_body(const sr_http_request *req, sr_http_response *resp,
                       const char *const *allowed) {
  json_error_t error;
  json_t *body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &error);
  if (!body) {
    sr_http_reply_error(resp, 400, "bad_json", "the body is not JSON: %s (at character %d)",
                        error.text, error.position);
    return NULL;
  }
  if (!json_is_object(body)) {
    sr_http_reply_error(resp, 400, "bad_json", "the body must be a JSON object");
    json_decref(body);
    return NULL;
  }
  const char *key = cloud_unknown_field(body, allowed);
  if (key) {
    sr_http_reply_error(resp, 400, "unknown_field", "unknown field '%.64s'", key);
    json_decref(body);
    return NULL;
  }
  return body;
}

const char *cloud_unknown_field(json_t *object, const char *const *allowed) {
  const char *key;
  json_t *value;
  json_object_foreach(object, key, value) {
    bool known = false;
    for (size_t i = 0; allowed[i] && !known; i++)
      known = strcmp(key, allowed[i]) == 0;
    if (!known)
      return key;
  }
  return NULL;
}

void cloud_api_db_error(sr_http_response *resp, const char *what) {
  sr_http_reply_error(resp, 500, "database",
                      "the database failed while %s; the cloud's log names the cause", what);
}

void cloud_rfc3339(int64_t t, char out[32]) {
  time_t tt = (time_t)t;
  struct tm tm;
  gmtime_r(&tt, &tm);
  strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

bool cloud_query_param(const char *query, const char *name, char *out, size_t out_size) {
  size_t len = strlen(name);
  for (const char *p = query; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
    if (strncmp(p, name, len) != 0 || p[len] != '=')
      continue;
    size_t n = 0;
    for (const char *v = p + len + 1; *v && *v != '&'; v++) {
      char ch = *v;
      if (ch == '%' && isxdigit((unsigned char)v[1]) && isxdigit((unsigned char)v[2])) {
        char hex[3] = {v[1], v[2], 0};
        ch = (char)strtol(hex, NULL, 16);
        v += 2;
      } else if (ch == '+') {
        ch = ' ';
      }
      if (n + 1 >= out_size)
        return false;
      out[n++] = ch;
    }
    out[n] = '\0';
    return true;
  }
  return false;
}

/* A non-negative decimal at *p, then a '.': its value, *p past the dot;
 * -1 if there is none. */
static long long cursor_number(const char **p) {
  char *end = NULL;
  long long v = **p >= '0' && **p <= '9' ? strtoll(*p, &end, 10) : -1;
  if (v < 0 || !end || *end != '.')
    return -1;
  *p = end + 1;
  return v;
}

bool cloud_jobs_cursor(cloud_call *k, int64_t *after_time, int64_t *after_seq, char after_id[128]) {
  char cursor[160];
  *after_time = INT64_MAX;
  if (after_seq)
    *after_seq = INT64_MAX;
  after_id[0] = '\0';
  const char *q = k->req->query ? k->req->query : "";
  if (strncmp(q, "cursor=", 7) != 0 && !strstr(q, "&cursor="))
    return true; /* the first page */
  if (!cloud_query_param(q, "cursor", cursor, sizeof cursor))
    cursor[0] = '\0'; /* too long: never given */
  const char *p = cursor;
  long long at = cursor_number(&p), seq = after_seq ? cursor_number(&p) : 0;
  bool ok = at >= 0 && seq >= 0 && *p && strlen(p) < 128;
  /* ids are the scouts' and the cloud's (base64url or hex): anything else
   * was never given */
  for (const char *c = ok ? p : ""; *c && ok; c++)
    ok = isalnum((unsigned char)*c) || *c == '-' || *c == '_' || *c == '.';
  if (!ok) {
    sr_http_reply_error(k->resp, 400, "invalid", "'cursor' is not one this API gave");
    return false;
  }
  *after_time = at;
  if (after_seq)
    *after_seq = seq;
  snprintf(after_id, 128, "%s", p);
  return true;
}

json_t *cloud_jobs_next(json_t *rows, int64_t limit, bool with_sequence) {
  if ((int64_t)json_array_size(rows) <= limit)
    return json_null();
  json_array_remove(rows, (size_t)limit);
  json_t *last = json_array_get(rows, (size_t)limit - 1);
  if (with_sequence)
    return json_sprintf("%lld.%lld.%s", (long long)cloud_row_int(last, "submitted_at"),
                        (long long)cloud_row_int(last, "sequence"), cloud_row_text(last, "id"));
  return json_sprintf("%lld.%s", (long long)cloud_row_int(last, "submitted_at"),
                      cloud_row_text(last, "id"));
}

bool cloud_query_known(cloud_call *k, const char *const *known) {
  for (const char *p = k->req->query; p && *p;) {
    size_t len = strcspn(p, "&="), i;
    for (i = 0; known[i] && (strlen(known[i]) != len || strncmp(p, known[i], len)); i++)
      ;
    if (len && !known[i]) {
      sr_http_reply_error(k->resp, 400, "invalid", "unknown query parameter '%.*s'",
                          (int)(len > 64 ? 64 : len), p);
      return false;
    }
    p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL;
  }
  return true;
}
