/* What every REST handler shares: the JSON body with its allowed fields,
 * the answer to a database failure, times as RFC 3339. Kept apart from the
 * router (api.c) so that handlers depend on this file and the router on the
 * handlers, never both ways. */
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "cloud.h"

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
