/*
 * Scouts' health reports (PUT /api/v1/scout/health): what version each
 * print scout and site service runs, how long it has, how many jobs it
 * holds, its last error lines and a hash of its configuration. The last
 * report of each scout is kept (scout_health) and shown with the scout in
 * GET /api/v1/scouts. Every field is checked: a scout's words end up in
 * an administrator's terminal.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cloud.h"
#include "db.h"

#define VERSION_MAX 64
#define CONFIG_VERSION_MAX 64
#define ERRORS_MAX 10
#define ERROR_MESSAGE_MAX 512
#define HELD_JOBS_MAX 1000000
#define UPTIME_MAX (100LL * 365 * 86400)

/* last_errors: up to ERRORS_MAX {at, message}; the list kept as given. */
static bool errors_ok(const json_t *list) {
  if (!json_is_array(list) || json_array_size(list) > ERRORS_MAX)
    return false;
  size_t i;
  const json_t *e;
  json_array_foreach(list, i, e) {
    if (!json_is_object(e) || json_object_size(e) != 2 ||
        !cloud_count_field_ok(json_object_get(e, "at"), INT32_MAX * 4LL) ||
        !cloud_text_field_ok(json_object_get(e, "message"), ERROR_MESSAGE_MAX))
      return false;
  }
  return true;
}

void cloud_scout_health(cloud_call *k) {
  json_t *body = cloud_api_body(k->req, k->resp, k->fields);
  if (!body)
    return;
  json_t *version = json_object_get(body, "version"), *uptime = json_object_get(body, "uptime"),
         *held = json_object_get(body, "held_jobs"), *errors = json_object_get(body, "last_errors"),
         *config = json_object_get(body, "config_version");
  if (!cloud_text_field_ok(version, VERSION_MAX) || !json_string_length(version))
    sr_http_reply_error(k->resp, 400, "invalid", "'version' is 1 to %d printable bytes",
                        VERSION_MAX);
  else if (!cloud_count_field_ok(uptime, UPTIME_MAX))
    sr_http_reply_error(k->resp, 400, "invalid", "'uptime' is a number of seconds, 0 or more");
  else if (!cloud_count_field_ok(held, HELD_JOBS_MAX))
    sr_http_reply_error(k->resp, 400, "invalid", "'held_jobs' is a count from 0 to %d",
                        HELD_JOBS_MAX);
  else if (!errors_ok(errors))
    sr_http_reply_error(k->resp, 400, "invalid",
                        "'last_errors' lists up to %d {at: Unix time, message: up to %d printable "
                        "bytes}",
                        ERRORS_MAX, ERROR_MESSAGE_MAX);
  else if (!cloud_text_field_ok(config, CONFIG_VERSION_MAX))
    sr_http_reply_error(k->resp, 400, "invalid", "'config_version' is up to %d printable bytes",
                        CONFIG_VERSION_MAX);
  else {
    char *errors_text = json_dumps(errors, JSON_COMPACT);
    int n = cloud_db_run(
        k->c->db,
        "INSERT INTO scout_health(scout, tenant, version, uptime, held_jobs, last_errors, "
        "config_version, reported_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
        "ON CONFLICT(scout) DO UPDATE SET version = ?3, uptime = ?4, held_jobs = ?5, "
        "last_errors = ?6, config_version = ?7, reported_at = ?8",
        "tttiitti", cloud_row_text(k->scout, "id"), cloud_row_text(k->scout, "tenant"),
        json_string_value(version), (int64_t)json_integer_value(uptime),
        (int64_t)json_integer_value(held), errors_text, json_string_value(config),
        (int64_t)time(NULL));
    free(errors_text);
    if (n < 0)
      cloud_api_db_error(k->resp, "storing the health report");
    else
      k->resp->status = 204;
  }
  json_decref(body);
}
