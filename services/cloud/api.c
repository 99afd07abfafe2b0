/* The REST API's front door: routes by path prefix to the handlers of each
 * kind of caller, and the body parsing every handler shares. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cloud.h"
#include "db.h"
#include "log.h"

static bool take_prefix(const char *path, const char *prefix, const char **rest) {
  size_t n = strlen(prefix);
  if (strncmp(path, prefix, n) != 0)
    return false;
  *rest = path + n;
  return true;
}

/* Tests prove what the cloud never receives (a directory password, say) by
 * reading every request it did receive: SR_TEST_RECORD_REQUESTS=FILE. Never
 * set it in production: bodies carry tokens. */
static void record_request(const sr_http_request *req) {
  static FILE *record;
  static bool checked;
  if (!checked) {
    const char *path = getenv("SR_TEST_RECORD_REQUESTS");
    checked = true;
    record = path ? fopen(path, "a") : NULL;
    if (record)
      sr_log(SR_LOG_WARN, "api", "recording every request to %s (a test setting)", path);
  }
  if (record) {
    fprintf(record, "%s %s %.*s\n", req->method, req->path, (int)req->body_len, req->body);
    fflush(record);
  }
}

void cloud_api_handle(void *ctx, const sr_http_request *req, sr_http_response *resp) {
  cloud *c = ctx;
  const char *rest;
  record_request(req);
  unsigned long db_errors = cloud_db_errors();
  if (strcmp(req->path, "/api/v1/health") == 0 && strcmp(req->method, "GET") == 0)
    sr_http_reply_json(resp, 200,
                       json_pack("{s:s, s:b}", "status", "ok", "broker", c->mqtt_connected));
  else if (take_prefix(req->path, "/api/v1/site/panel/", &rest))
    cloud_api_panel(c, req, resp, rest);
  else if (take_prefix(req->path, "/api/v1/scout/", &rest))
    cloud_api_scout(c, req, resp, rest);
  else if (strcmp(req->path, "/api/v1/enroll") == 0)
    cloud_api_enroll(c, req, resp);
  else if (take_prefix(req->path, "/api/v1/", &rest))
    cloud_api_admin(c, req, resp, rest);
  else
    sr_http_reply_error(resp, 404, "not_found", "no such resource: %.200s", req->path);
  /* the net under every handler: an answer made while the database was
   * failing cannot be trusted (a 401 that is really an I/O error, a 204
   * whose write was lost) */
  if (cloud_db_errors() != db_errors && resp->status < 500) {
    sr_log(SR_LOG_ERROR, "api",
           "%s %s: the database failed during the request; answering 500 "
           "instead of %d",
           req->method, req->path, resp->status);
    cloud_api_db_error(resp, "answering this request");
  }
  sr_log(resp->status >= 500 ? SR_LOG_ERROR : SR_LOG_DEBUG, "api", "%s %s %s -> %d", req->remote,
         req->method, req->path, resp->status);
}

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
  const char *key;
  json_t *value;
  json_object_foreach(body, key, value) {
    bool known = false;
    for (size_t i = 0; allowed[i] && !known; i++)
      known = strcmp(key, allowed[i]) == 0;
    if (!known) {
      sr_http_reply_error(resp, 400, "unknown_field", "unknown field '%.64s'", key);
      json_decref(body);
      return NULL;
    }
  }
  return body;
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
