/*
 * Device monitoring: a site service reports what it read from the
 * tenant's printers (POST /api/v1/site/devices/{id}/observations), only
 * the sections that changed: status, alerts, meters, supplies. The cloud
 * keeps the latest value of each section per device (device_state) and a
 * history row for each change (device_history), swept after
 * HISTORY_KEEP_S; administrators read both (GET /api/v1/devices/{id}/
 * monitor and /history). Every field is checked against its size, count
 * and type: what a printer says is untrusted and ends up on a console.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cloud.h"
#include "db.h"
#include "log.h"

#define HISTORY_KEEP_S (400LL * 86400) /* a year and a month: last year's same month */
#define SWEEP_EVERY_S 60
/* history rows an hour per device and section: a change a minute, the
 * default status cadence; beyond that a change replaces the newest row, so
 * a site alternating two values cannot grow the database without bound */
#define HISTORY_ROWS_PER_HOUR 60
#define SWEEP_BATCH 5000
#define HISTORY_ROWS_MAX 1000 /* rows one history call answers */
#define ITEMS_MAX 32          /* alerts, supplies (SR_DEVICE_MAX_*) */
#define COUNTER_MAX (1LL << 53)
#define AT_PAST_S (7 * 86400) /* a site that was cut off reports what it read meanwhile */
#define AT_FUTURE_S 300       /* clocks differ a little */

static const char *const sections[] = {"status", "alerts", "meters", "supplies", NULL};

/* ---- validation ---- */

typedef enum { TEXT, INTEGER, KEYWORD } field_kind;

typedef struct field_spec {
  const char *name;
  field_kind kind;
  int64_t min, max;            /* INTEGER: the range; TEXT: max bytes */
  const char *const *keywords; /* KEYWORD: the values allowed */
  bool nullable;               /* null stands for unknown */
} field_spec;

static const char *const states[] = {"unknown", "idle",    "printing", "warmup",
                                     "error",   "offline", NULL};
static const char *const severities[] = {"other", "critical", "warning", "warning-event", NULL};
static const char *const conditions[] = {"no-paper",    "jam",       "door-open",
                                         "offline",     "toner-low", "toner-empty",
                                         "output-full", "service",   NULL};

static const field_spec status_fields[] = {
    {"state", KEYWORD, 0, 0, states, false},
    {"message", TEXT, 0, 255, NULL, false},
    {"conditions", KEYWORD, 0, 0, conditions, false}, /* a list of them */
    {0}};
static const field_spec alert_fields[] = {{"severity", KEYWORD, 0, 0, severities, false},
                                          {"code", INTEGER, 0, INT32_MAX, NULL, false},
                                          {"group", TEXT, 0, 31, NULL, false},
                                          {"reason", TEXT, 0, 63, NULL, false},
                                          {"description", TEXT, 0, 191, NULL, false},
                                          {0}};
static const field_spec meter_fields[] = {
    {"total_pages", INTEGER, 0, COUNTER_MAX, NULL, false},
    {"mono_pages", INTEGER, 0, COUNTER_MAX, NULL, false},
    {"color_pages", INTEGER, 0, COUNTER_MAX, NULL, false},
    {"sheets", INTEGER, 0, COUNTER_MAX, NULL, false},
    {"two_sided_sheets", INTEGER, 0, COUNTER_MAX, NULL, false},
    {"mono_impressions", INTEGER, 0, COUNTER_MAX, NULL, false},
    {"color_impressions", INTEGER, 0, COUNTER_MAX, NULL, false},
    {0}};
static const field_spec supply_fields[] = {{"name", TEXT, 0, 63, NULL, false},
                                           {"type", TEXT, 0, 31, NULL, false},
                                           {"color", TEXT, 0, 31, NULL, false},
                                           {"level", INTEGER, -3, INT32_MAX, NULL, false},
                                           {"capacity", INTEGER, -3, INT32_MAX, NULL, false},
                                           {"unit", TEXT, 0, 23, NULL, false},
                                           {"percent", INTEGER, 0, 100, NULL, true},
                                           {0}};

static bool keyword_ok(const json_t *v, const char *const *keywords) {
  for (size_t i = 0; json_is_string(v) && keywords[i]; i++)
    if (strcmp(json_string_value(v), keywords[i]) == 0)
      return true;
  return false;
}

static bool value_ok(const field_spec *f, const json_t *v) {
  if (json_is_null(v))
    return f->nullable;
  switch (f->kind) {
  case TEXT: return cloud_text_field_ok(v, (size_t)f->max);
  case INTEGER:
    return json_is_integer(v) && json_integer_value(v) >= f->min && json_integer_value(v) <= f->max;
  case KEYWORD:
    if (!json_is_array(v)) /* one keyword, or (conditions) a short list of them */
      return keyword_ok(v, f->keywords);
    if (json_array_size(v) > 16)
      return false;
    for (size_t i = 0; i < json_array_size(v); i++)
      if (!keyword_ok(json_array_get(v, i), f->keywords))
        return false;
    return true;
  }
  return false;
}

/* An object whose members are all in `specs` and valid; false with `why`
 * naming the first that is not. */
static bool object_ok(const json_t *o, const field_spec *specs, char *why, size_t why_size) {
  if (!json_is_object(o)) {
    snprintf(why, why_size, "is not an object");
    return false;
  }
  const char *key;
  const json_t *v;
  json_object_foreach((json_t *)o, key, v) {
    const field_spec *f = specs;
    while (f->name && strcmp(f->name, key) != 0)
      f++;
    if (!f->name) {
      snprintf(why, why_size, "has an unknown member '%.40s'", key);
      return false;
    }
    if (!value_ok(f, v)) {
      if (f->kind == INTEGER)
        snprintf(why, why_size, "'%s' must be an integer from %lld to %lld", key, (long long)f->min,
                 (long long)f->max);
      else if (f->kind == TEXT)
        snprintf(why, why_size, "'%s' must be text of up to %lld printable bytes", key,
                 (long long)f->max);
      else
        snprintf(why, why_size, "'%s' is not one of the values allowed", key);
      return false;
    }
  }
  return true;
}

static bool list_ok(const json_t *list, const field_spec *specs, char *why, size_t why_size) {
  if (!json_is_array(list) || json_array_size(list) > ITEMS_MAX) {
    snprintf(why, why_size, "must be a list of up to %d items", ITEMS_MAX);
    return false;
  }
  for (size_t i = 0; i < json_array_size(list); i++) {
    char inner[160];
    if (!object_ok(json_array_get(list, i), specs, inner, sizeof inner)) {
      snprintf(why, why_size, "item %zu %s", i, inner);
      return false;
    }
  }
  return true;
}

static bool section_ok(const char *section, const json_t *v, char *why, size_t why_size) {
  if (strcmp(section, "status") == 0) {
    if (!object_ok(v, status_fields, why, why_size))
      return false;
    if (!json_is_string(json_object_get(v, "state"))) {
      snprintf(why, why_size, "needs 'state'");
      return false;
    }
    return true;
  }
  if (strcmp(section, "meters") == 0)
    return object_ok(v, meter_fields, why, why_size);
  return list_ok(v, strcmp(section, "alerts") == 0 ? alert_fields : supply_fields, why, why_size);
}

/* ---- observations from a site ---- */

/* Adds a history row for the change, or, when the section has had
 * HISTORY_ROWS_PER_HOUR rows in the last hour, puts it in the newest one.
 * False if the database failed. */
static bool append_history(cloud *c, const char *tenant, const char *device, const char *section,
                           const char *text, int64_t at, int64_t now) {
  json_t *recent =
      cloud_db_row(c->db,
                   "SELECT count(*) AS n FROM (SELECT 1 FROM device_history WHERE "
                   "tenant = ? AND device = ? AND section = ? AND received_at > ? "
                   "LIMIT ?) AS recent",
                   "tttii", tenant, device, section, now - 3600, (int64_t)HISTORY_ROWS_PER_HOUR);
  if (!recent)
    return false;
  bool full = cloud_row_int(recent, "n") >= HISTORY_ROWS_PER_HOUR;
  json_decref(recent);
  if (full)
    return cloud_db_run(c->db,
                        "UPDATE device_history SET value = ?, at = ?, received_at = ? WHERE "
                        "rowid = (SELECT rowid FROM device_history WHERE tenant = ? AND device "
                        "= ? AND section = ? ORDER BY received_at DESC, rowid DESC LIMIT 1)",
                        "tiittt", text, at, now, tenant, device, section) >= 0;
  return cloud_db_run(c->db,
                      "INSERT INTO device_history(tenant, device, section, value, at, "
                      "received_at) VALUES(?, ?, ?, ?, ?, ?)",
                      "ttttii", tenant, device, section, text, at, now) >= 0;
}

/* Stores `value` as `section`'s latest for the device and appends it to
 * the history, unless it is what the cloud has already. 1 changed, 0 the
 * same, -1 the database failed. */
static int store_section(cloud *c, const char *tenant, const char *device, const char *site,
                         const char *section, const json_t *value, int64_t at, int64_t now) {
  char *text = json_dumps(value, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
  if (!text)
    return -1;
  json_t *row = cloud_db_row(c->db,
                             "SELECT value FROM device_state WHERE tenant = ? AND device = ? AND "
                             "section = ?",
                             "ttt", tenant, device, section);
  int result = 0;
  if (!row || strcmp(cloud_row_text(row, "value"), text) != 0) {
    bool ok = cloud_db_run(c->db,
                           "INSERT INTO device_state(tenant, device, section, value, site, at) "
                           "VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(tenant, device, section) DO "
                           "UPDATE SET value = ?4, site = ?5, at = ?6",
                           "ttttti", tenant, device, section, text, site, at) >= 0 &&
              append_history(c, tenant, device, section, text, at, now);
    result = ok ? 1 : -1;
  }
  json_decref(row);
  free(text);
  return result;
}

void cloud_site_observations(cloud_call *k) {
  cloud *c = k->c;
  const char *tenant = cloud_row_text(k->scout, "tenant"), *site = cloud_row_text(k->scout, "id");
  json_t *body = cloud_api_body(k->req, k->resp, k->fields);
  if (!body)
    return;
  int64_t now = time(NULL), at = now;
  /* the devices the site serves (GET /api/v1/site/devices): its tenant's,
   * not those another site found */
  json_t *device = cloud_db_row(c->db,
                                "SELECT id FROM devices WHERE tenant = ? AND id = ? AND (site IS "
                                "NULL OR site = ?)",
                                "ttt", tenant, k->id, site);
  char why[240] = "";
  const char *bad = NULL;
  for (size_t i = 0; sections[i] && !bad; i++) {
    json_t *v = json_object_get(body, sections[i]);
    if (v && !section_ok(sections[i], v, why, sizeof why))
      bad = sections[i];
  }
  if (!device) { /* (the router's net makes a failed read a 500) */
    sr_http_reply_error(k->resp, 404, "not_found",
                        "no device '%s' that this site serves (GET /api/v1/site/devices)", k->id);
  } else if (bad) {
    sr_http_reply_error(k->resp, 400, "invalid", "'%s' %s", bad, why);
  } else if (!json_object_get(body, "at") ||
             cloud_time_field(json_object_get(body, "at"), "at", now - AT_PAST_S, now + AT_FUTURE_S,
                              &at, k->resp)) {
    json_t *changed = json_array();
    bool ok = cloud_db_begin(c->db);
    for (size_t i = 0; ok && sections[i]; i++) {
      json_t *v = json_object_get(body, sections[i]);
      int r = v ? store_section(c, tenant, k->id, site, sections[i], v, at, now) : 0;
      ok = r >= 0;
      if (r == 1)
        json_array_append_new(changed, json_string(sections[i]));
    }
    if (ok && cloud_db_commit(c->db)) {
      sr_http_reply_json(k->resp, 200, json_pack("{s:o}", "changed", changed));
    } else {
      cloud_db_rollback(c->db);
      json_decref(changed);
      cloud_api_db_error(k->resp, "storing the observations");
    }
  } /* else: cloud_time_field answered */
  json_decref(device);
  json_decref(body);
}

/* ---- what administrators read ---- */

/* The device row of the admin's tenant, or NULL and a 404 in resp. */
static json_t *admin_device(cloud_call *k) {
  json_t *device = cloud_db_row(k->c->db, "SELECT id FROM devices WHERE tenant = ? AND id = ?",
                                "tt", k->tenant, k->id);
  if (!device)
    sr_http_reply_error(k->resp, 404, "not_found", "no device '%s' (see GET /api/v1/devices)",
                        k->id);
  return device;
}

/* A stored section value back as JSON (it was checked when stored). */
static json_t *stored_value(const json_t *row) {
  return json_loads(cloud_row_text(row, "value"), JSON_DECODE_ANY, NULL);
}

void cloud_admin_device_monitor(cloud_call *k) {
  json_t *device = admin_device(k);
  if (!device)
    return;
  json_decref(device);
  json_t *rows = cloud_db_rows(k->c->db,
                               "SELECT section, value, at FROM device_state WHERE tenant = ? AND "
                               "device = ?",
                               "tt", k->tenant, k->id);
  if (!rows) {
    cloud_api_db_error(k->resp, "reading the device's state");
    return;
  }
  json_t *reply = json_pack("{s:s}", "device", k->id), *when = json_object();
  for (size_t i = 0; sections[i]; i++)
    json_object_set_new(reply, sections[i], json_null());
  size_t i;
  json_t *row;
  json_array_foreach(rows, i, row) {
    char at[32];
    cloud_rfc3339(cloud_row_int(row, "at"), at);
    json_object_set_new(reply, cloud_row_text(row, "section"), stored_value(row));
    json_object_set_new(when, cloud_row_text(row, "section"), json_string(at));
  }
  json_object_set_new(reply, "updated_at", when);
  json_decref(rows);
  sr_http_reply_json(k->resp, 200, reply);
}

void cloud_admin_device_history(cloud_call *k) {
  char kind[16] = "", since_text[40] = "";
  bool has_kind = cloud_query_param(k->req->query, "kind", kind, sizeof kind);
  bool has_since = cloud_query_param(k->req->query, "since", since_text, sizeof since_text);
  bool kind_ok = !has_kind;
  for (size_t i = 0; sections[i] && !kind_ok; i++)
    kind_ok = strcmp(kind, sections[i]) == 0;
  if (!kind_ok) {
    sr_http_reply_error(k->resp, 400, "invalid",
                        "'kind' is one of status, alerts, meters, supplies (or absent: all)");
    return;
  }
  int64_t since = 0, now = time(NULL);
  if (has_since) {
    char *end;
    long long number = strtoll(since_text, &end, 10);
    json_t *v = *since_text && !*end ? json_integer(number) : json_string(since_text);
    bool ok = cloud_time_field(v, "since", 0, now + AT_FUTURE_S, &since, k->resp);
    json_decref(v);
    if (!ok)
      return;
  }
  json_t *device = admin_device(k);
  if (!device)
    return;
  json_decref(device);
  json_t *rows =
      cloud_db_rows(k->c->db,
                    "SELECT section, value, at FROM device_history WHERE tenant = ? "
                    "AND device = ? AND (? = '' OR section = ?) AND at >= ? "
                    "ORDER BY at, rowid LIMIT ?",
                    "ttttii", k->tenant, k->id, kind, kind, since, (int64_t)HISTORY_ROWS_MAX);
  if (!rows) {
    cloud_api_db_error(k->resp, "reading the device's history");
    return;
  }
  json_t *history = json_array();
  size_t i;
  json_t *row;
  json_array_foreach(rows, i, row) {
    char at[32];
    cloud_rfc3339(cloud_row_int(row, "at"), at);
    json_array_append_new(history,
                          json_pack("{s:s, s:s, s:o}", "kind", cloud_row_text(row, "section"), "at",
                                    at, "value", stored_value(row)));
  }
  json_decref(rows);
  /* truncated: ask again with `since` the last row's time */
  sr_http_reply_json(k->resp, 200,
                     json_pack("{s:s, s:o, s:b}", "device", k->id, "history", history, "truncated",
                               json_array_size(history) == HISTORY_ROWS_MAX));
}

void cloud_monitoring_forget(cloud *c, const char *tenant, const char *device) {
  cloud_db_run(c->db, "DELETE FROM device_state WHERE tenant = ? AND device = ?", "tt", tenant,
               device);
  cloud_db_run(c->db, "DELETE FROM device_history WHERE tenant = ? AND device = ?", "tt", tenant,
               device);
}

void cloud_monitoring_sweep(cloud *c) {
  static int64_t next; /* this process's next pass; other instances do the same, harmlessly */
  int64_t now = time(NULL);
  if (now < next)
    return;
  next = now + SWEEP_EVERY_S;
  int n = cloud_db_run(c->db,
                       "DELETE FROM device_history WHERE rowid IN (SELECT rowid FROM "
                       "device_history WHERE received_at < ? LIMIT ?)",
                       "ii", now - HISTORY_KEEP_S, (int64_t)SWEEP_BATCH);
  if (n > 0)
    sr_log(SR_LOG_INFO, "monitoring", "%d device history row(s) past their retention deleted", n);
}
