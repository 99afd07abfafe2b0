/*
 * Delegation: a user lets another release their jobs, for good or until a
 * time. Checked on every call (never cached in a session), so revoking
 * takes effect at once. Administrators manage any user's delegations; a
 * user at a panel manages their own.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cloud.h"
#include "db.h"
#include "idhash.h"
#include "log.h"

const char *const cloud_visible_jobs_sql =
    "SELECT j.*, u.name AS owner_name FROM jobs j JOIN users u ON u.tenant = j.tenant AND u.id = "
    "j.owner WHERE j.tenant = ?1 AND (j.owner = ?2 OR j.owner IN (SELECT owner FROM delegations "
    "WHERE tenant = ?1 AND delegate = ?2 AND (until IS NULL OR until > ?3)))";

/* Parses "until": a Unix time or RFC 3339 UTC text; 0 when absent. */
static bool parse_until(json_t *v, int64_t *out) {
  *out = 0;
  if (!v || json_is_null(v))
    return true;
  if (json_is_integer(v)) {
    *out = json_integer_value(v);
    return *out > 0;
  }
  struct tm tm = {0};
  const char *s = json_string_value(v), *end = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
  if (!end) {
    end = s ? strptime(s, "%Y-%m-%d", &tm) : NULL;
    if (!end || *end)
      return false;
  } else if (strcmp(end, "Z") != 0 && *end) {
    return false;
  }
  *out = (int64_t)timegm(&tm);
  return true;
}

static json_t *user_by_email(cloud *c, const char *tenant, const char *email) {
  char norm[SR_ID_MAX];
  if (!email || sr_email_normalise(email, norm, sizeof norm) != 0)
    return NULL;
  return cloud_db_row(c->db, "SELECT id, email, name FROM users WHERE tenant = ? AND email = ?",
                      "tt", tenant, norm);
}

void cloud_delegation_add(cloud *c, const char *tenant, const char *owner_id, json_t *body,
                          sr_http_response *resp) {
  json_t *owner =
      owner_id ? cloud_db_row(c->db, "SELECT id, email FROM users WHERE tenant = ? AND id = ?",
                              "tt", tenant, owner_id)
               : user_by_email(c, tenant, json_string_value(json_object_get(body, "owner")));
  json_t *delegate = user_by_email(c, tenant, json_string_value(json_object_get(body, "delegate")));
  int64_t until;
  if (!owner || !delegate) {
    sr_http_reply_error(resp, 404, "unknown_user", "no such %s in this tenant",
                        owner ? "delegate" : "owner");
  } else if (!parse_until(json_object_get(body, "until"), &until) ||
             (until && until <= (int64_t)time(NULL))) {
    sr_http_reply_error(resp, 400, "invalid", "'until' is a future time (RFC 3339 or Unix time)");
  } else if (strcmp(cloud_row_text(owner, "id"), cloud_row_text(delegate, "id")) == 0) {
    sr_http_reply_error(resp, 400, "invalid", "a user cannot delegate to themselves");
  } else {
    char id[40] = "d-";
    cloud_random_hex(id + 2, 8);
    /* again for the same pair: the new end replaces the old */
    int n = cloud_db_run(c->db,
                         "INSERT INTO delegations(tenant, id, owner, delegate, until, created_at) "
                         "VALUES(?, ?, ?, ?, NULLIF(?, 0), ?) ON CONFLICT(tenant, owner, delegate) "
                         "DO UPDATE SET until = excluded.until",
                         "ttttii", tenant, id, cloud_row_text(owner, "id"),
                         cloud_row_text(delegate, "id"), until, (int64_t)time(NULL));
    json_t *row = n == 1 ? cloud_db_row(c->db,
                                        "SELECT id FROM delegations WHERE tenant = ? AND owner = ? "
                                        "AND delegate = ?",
                                        "ttt", tenant, cloud_row_text(owner, "id"),
                                        cloud_row_text(delegate, "id"))
                         : NULL;
    if (row) {
      sr_log(SR_LOG_INFO, "delegation", "tenant %s: %s may release the jobs of %s", tenant,
             cloud_row_text(delegate, "id"), cloud_row_text(owner, "id"));
      json_t *o =
          json_pack("{s:s, s:s, s:s}", "id", cloud_row_text(row, "id"), "owner",
                    cloud_row_text(owner, "email"), "delegate", cloud_row_text(delegate, "email"));
      if (until) {
        char when[32];
        cloud_rfc3339(until, when);
        json_object_set_new(o, "until", json_string(when));
      }
      sr_http_reply_json(resp, 201, o);
    } else {
      sr_http_reply_error(resp, 500, "internal", "the delegation could not be stored");
    }
    json_decref(row);
  }
  json_decref(owner);
  json_decref(delegate);
}

void cloud_delegation_list(cloud *c, const char *tenant, const char *user_id,
                           sr_http_response *resp) {
  json_t *rows = cloud_db_rows(c->db,
                               "SELECT d.id, o.email AS owner, g.email AS delegate, d.until FROM "
                               "delegations d JOIN users o ON o.tenant = d.tenant AND o.id = "
                               "d.owner JOIN users g ON g.tenant = d.tenant AND g.id = d.delegate "
                               "WHERE d.tenant = ?1 AND (?2 IS NULL OR d.owner = ?2 OR d.delegate "
                               "= ?2) AND (d.until IS NULL OR d.until > ?3) ORDER BY o.email, "
                               "g.email",
                               "tti", tenant, user_id, (int64_t)time(NULL));
  size_t i;
  json_t *row;
  json_array_foreach(rows, i, row) {
    if (json_is_integer(json_object_get(row, "until"))) {
      char when[32];
      cloud_rfc3339(cloud_row_int(row, "until"), when);
      json_object_set_new(row, "until", json_string(when));
    }
  }
  sr_http_reply_json(resp, 200, json_pack("{s:o}", "delegations", rows ? rows : json_array()));
}

void cloud_delegation_remove(cloud *c, const char *tenant, const char *owner_id, const char *id,
                             sr_http_response *resp) {
  int n = cloud_db_run(c->db,
                       "DELETE FROM delegations WHERE tenant = ?1 AND id = ?2 AND (?3 IS NULL OR "
                       "owner = ?3)",
                       "ttt", tenant, id, owner_id);
  if (n == 1) {
    sr_log(SR_LOG_INFO, "delegation", "tenant %s: delegation %s revoked", tenant, id);
    resp->status = 204;
  } else {
    sr_http_reply_error(resp, 404, "not_found", "no delegation '%.64s'", id);
  }
}
