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

/* The longest a delegation may be given for: longer is "for good" in
 * disguise, and "for good" is said by leaving the end out. */
#define UNTIL_MAX_AHEAD (5 * 366 * 86400LL)

/* At a panel, a delegation to an address that is no user's is stored all
 * the same, under this prefix instead of a user id: it grants nothing (no
 * job's owner matches it), but it is answered, listed and revoked exactly
 * like one to a user, so the panel does not tell who is a user. */
#define ADDRESS_PREFIX "address:"
#define MAX_PER_OWNER 100 /* delegations one user may have given */

static json_t *user_by_email(cloud *c, const char *tenant, const char *email) {
  char norm[SR_ID_MAX];
  if (!email || sr_email_normalise(email, norm, sizeof norm) != 0)
    return NULL;
  return cloud_db_row(c->db, "SELECT id, email, name FROM users WHERE tenant = ? AND email = ?",
                      "tt", tenant, norm);
}

void cloud_delegation_add(cloud *c, const char *tenant, const char *owner_id, json_t *body,
                          sr_http_response *resp) {
  unsigned long db_errors = cloud_db_errors(); /* three lookups: did any fail? */
  json_t *owner =
      owner_id ? cloud_db_row(c->db, "SELECT id, email FROM users WHERE tenant = ? AND id = ?",
                              "tt", tenant, owner_id)
               : user_by_email(c, tenant, json_string_value(json_object_get(body, "owner")));
  const char *delegate_text = json_string_value(json_object_get(body, "delegate"));
  json_t *delegate = user_by_email(c, tenant, delegate_text),
         *until_v = json_object_get(body, "until");
  char address[SR_ID_MAX + sizeof ADDRESS_PREFIX] = ADDRESS_PREFIX;
  bool address_ok =
      delegate_text && sr_email_normalise(delegate_text, address + strlen(ADDRESS_PREFIX),
                                          sizeof address - strlen(ADDRESS_PREFIX)) == 0;
  const char *delegate_id = delegate ? cloud_row_text(delegate, "id") : address;
  const char *delegate_email =
      delegate ? cloud_row_text(delegate, "email") : address + strlen(ADDRESS_PREFIX);
  int64_t until = 0, now = time(NULL);
  json_t *given = owner ? cloud_db_row(c->db,
                                       "SELECT count(*) AS n FROM delegations WHERE tenant = ? AND "
                                       "owner = ?",
                                       "tt", tenant, cloud_row_text(owner, "id"))
                        : NULL;
  if (cloud_db_errors() != db_errors) {
    cloud_api_db_error(resp, "looking up the delegation's users");
  } else if (!owner) {
    sr_http_reply_error(resp, 404, "unknown_user", "no such owner in this tenant");
  } else if (!address_ok) {
    sr_http_reply_error(resp, 400, "invalid", "'delegate' must be an email address");
  } else if (!delegate && !owner_id) {
    /* administrators list users anyway: telling them saves a typo */
    sr_http_reply_error(resp, 404, "unknown_user", "no such delegate in this tenant");
  } else if (until_v && !json_is_null(until_v) &&
             !cloud_time_field(until_v, "until", now + 1, now + UNTIL_MAX_AHEAD, &until, resp)) {
    /* answered: out of range or not a time */
  } else if (strcmp(cloud_row_text(owner, "id"), delegate_id) == 0) {
    sr_http_reply_error(resp, 400, "invalid", "a user cannot delegate to themselves");
  } else if (cloud_row_int(given, "n") >= MAX_PER_OWNER) {
    sr_http_reply_error(resp, 409, "too_many", "at most %d delegations per user; revoke some first",
                        MAX_PER_OWNER);
  } else {
    char id[40] = "d-";
    cloud_random_hex(id + 2, 8);
    /* again for the same pair: the new end replaces the old */
    int n =
        cloud_db_run(c->db,
                     "INSERT INTO delegations(tenant, id, owner, delegate, until, created_at) "
                     "VALUES(?, ?, ?, ?, NULLIF(?, 0), ?) ON CONFLICT(tenant, owner, delegate) "
                     "DO UPDATE SET until = excluded.until",
                     "ttttii", tenant, id, cloud_row_text(owner, "id"), delegate_id, until, now);
    json_t *row = n == 1 ? cloud_db_row(c->db,
                                        "SELECT id FROM delegations WHERE tenant = ? AND owner = ? "
                                        "AND delegate = ?",
                                        "ttt", tenant, cloud_row_text(owner, "id"), delegate_id)
                         : NULL;
    if (n == -1 || (!row && cloud_db_failed(c->db))) {
      cloud_api_db_error(resp, "storing the delegation");
    } else if (row) {
      if (delegate)
        sr_log(SR_LOG_INFO, "delegation", "tenant %s: %s may release the jobs of %s", tenant,
               delegate_id, cloud_row_text(owner, "id"));
      json_t *o = json_pack("{s:s, s:s, s:s}", "id", cloud_row_text(row, "id"), "owner",
                            cloud_row_text(owner, "email"), "delegate", delegate_email);
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
  json_decref(given);
  json_decref(owner);
  json_decref(delegate);
}

void cloud_delegation_list(cloud *c, const char *tenant, const char *user_id,
                           sr_http_response *resp) {
  json_t *rows = cloud_db_rows(c->db,
                               "SELECT d.id, o.email AS owner, coalesce(g.email, substr("
                               "d.delegate, length('" ADDRESS_PREFIX "') + 1)) AS delegate, "
                               "d.until FROM delegations d JOIN users o ON o.tenant = d.tenant "
                               "AND o.id = d.owner LEFT JOIN users g ON g.tenant = d.tenant AND "
                               "g.id = d.delegate "
                               "WHERE d.tenant = ?1 AND (?2 IS NULL OR d.owner = ?2 OR d.delegate "
                               "= ?2) AND (d.until IS NULL OR d.until > ?3) ORDER BY o.email, "
                               "g.email NULLS FIRST",
                               "tti", tenant, user_id, (int64_t)time(NULL));
  if (!rows) {
    cloud_api_db_error(resp, "listing the delegations");
    return;
  }
  size_t i;
  json_t *row;
  json_array_foreach(rows, i, row) {
    if (json_is_integer(json_object_get(row, "until"))) {
      char when[32];
      cloud_rfc3339(cloud_row_int(row, "until"), when);
      json_object_set_new(row, "until", json_string(when));
    }
  }
  sr_http_reply_json(resp, 200, json_pack("{s:o}", "delegations", rows));
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
  } else if (n < 0) {
    cloud_api_db_error(resp, "revoking the delegation");
  } else {
    sr_http_reply_error(resp, 404, "not_found", "no delegation '%.64s'", id);
  }
}
