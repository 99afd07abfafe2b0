/* Administration: the operator creates tenants; a tenant's administrator
 * (bearer token) manages its users, devices and scouts and sees its jobs.
 * Every query is bound to the caller's tenant. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "address_check.h"
#include "cloud.h"
#include "db.h"
#include "idhash.h"
#include "log.h"
#include "sr/abi.h"
#include "x509_issue.h"

static bool is_hash(const json_t *v) {
  const char *s = json_string_value(v);
  if (!s || strlen(s) != SR_IDHASH_HEX_LEN)
    return false;
  for (; *s; s++)
    if (!isxdigit((unsigned char)*s) || isupper((unsigned char)*s))
      return false;
  return true;
}

/* An optional display name: absent, or what cloud_name_ok takes; else a
 * 400 naming the field. */
static bool name_ok(json_t *body, sr_http_response *resp) {
  json_t *name = json_object_get(body, "name");
  if (!name || cloud_name_ok(json_string_value(name)))
    return true;
  sr_http_reply_error(resp, 400, "invalid",
                      "'name' is text of 1 to %d bytes without control characters", CLOUD_NAME_MAX);
  return false;
}

static const char *text_of(json_t *o, const char *key) {
  return json_string_value(json_object_get(o, key));
}

void cloud_admin_tenant_add(cloud_call *k) {
  cloud *c = k->c;
  sr_http_response *resp = k->resp;
  json_t *body = cloud_api_body(k->req, resp, k->fields);
  if (!body)
    return;
  const char *id = text_of(body, "id"), *name = text_of(body, "name");
  if (!id || !cloud_slug_ok(id, 32)) {
    sr_http_reply_error(resp, 400, "invalid", "'id' must be 1 to 32 of a-z, 0-9 and '-'");
  } else if (!name_ok(body, resp)) {
    /* answered */
  } else {
    char token[64], hash[65];
    cloud_new_token(token);
    cloud_token_hash(token, hash);
    int64_t now = time(NULL);
    /* the tenant's own CA, under the cloud's: it signs the tenant's scouts */
    char *ca_cert = NULL, *ca_key = NULL, err[256];
    if (c->enroll_ca_cert && sr_x509_tenant_ca_new(id, 3650, c->enroll_ca_cert, c->enroll_ca_key,
                                                   &ca_cert, &ca_key, err, sizeof err) != SR_OK)
      sr_log(SR_LOG_ERROR, "admin", "tenant %s: no CA: %s", id, err);
    /* the key is kept sealed under the master key, never in clear */
    char purpose[96], *sealed = NULL;
    cloud_tenant_key_purpose(id, purpose);
    if (ca_key && !(sealed = cloud_secret_seal(c, purpose, ca_key)))
      sr_log(SR_LOG_ERROR, "admin", "tenant %s: its CA key could not be sealed", id);
    bool ok = (!ca_key || sealed) && cloud_db_begin(c->db);
    int n = ok ? cloud_db_run(c->db,
                              "INSERT INTO tenants(id, name, ca_cert, ca_key, created_at) "
                              "VALUES(?, ?, ?, ?, ?)",
                              "tttti", id, name ? name : id, ca_cert, sealed, now)
               : -1;
    ok = ok && n == 1;
    free(sealed);
    free(ca_cert);
    if (ca_key)
      memset(ca_key, 0, strlen(ca_key));
    free(ca_key);
    ok = ok && cloud_db_run(c->db,
                            "INSERT INTO admin_tokens(token_hash, tenant, created_at) "
                            "VALUES(?, ?, ?)",
                            "tti", hash, id, now) == 1;
    if (ok && cloud_db_commit(c->db)) {
      sr_log(SR_LOG_INFO, "admin", "tenant %s created", id);
      sr_http_reply_json(
          resp, 201,
          json_pack("{s:s, s:s, s:s}", "id", id, "name", name ? name : id, "admin_token", token));
    } else {
      cloud_db_rollback(c->db);
      if (n == CLOUD_DB_CONFLICT)
        sr_http_reply_error(resp, 409, "exists", "tenant '%s' already exists", id);
      else
        cloud_api_db_error(resp, "storing the tenant");
    }
    memset(token, 0, sizeof token);
  }
  json_decref(body);
}

void cloud_admin_user_add(cloud_call *k) {
  cloud *c = k->c;
  const char *tenant = k->tenant;
  sr_http_response *resp = k->resp;
  json_t *body = cloud_api_body(k->req, resp, k->fields);
  if (!body)
    return;
  char email[SR_ID_MAX], id[40] = "u-";
  json_t *card = json_object_get(body, "card_hash"), *pin = json_object_get(body, "pin_hash");
  const char *name = text_of(body, "name"), *region = NULL;
  bool region_given;
  if (!cloud_region_field(c, body, resp, &region_given, &region)) {
    /* answered */
  } else if (!text_of(body, "email") ||
             sr_email_normalise(text_of(body, "email"), email, sizeof email) != 0) {
    sr_http_reply_error(resp, 400, "invalid", "'email' must be an email address");
  } else if (!name_ok(body, resp)) {
    /* answered */
  } else if ((card && !is_hash(card)) || (pin && !is_hash(pin))) {
    sr_http_reply_error(resp, 400, "invalid",
                        "card_hash and pin_hash are 64 lower-case hex digits (hashed at the site "
                        "with the site secret: never send a card number or PIN)");
  } else {
    cloud_random_hex(id + 2, 8);
    int n =
        cloud_db_run(c->db,
                     "INSERT INTO users(tenant, id, email, name, card_hash, pin_hash, "
                     "created_at, region) VALUES(?, ?, ?, ?, ?, ?, ?, ?)",
                     "ttttttit", tenant, id, email, name ? name : email, json_string_value(card),
                     json_string_value(pin), (int64_t)time(NULL), region);
    if (n == 1)
      sr_http_reply_json(resp, 201,
                         json_pack("{s:s, s:s, s:s, s:s?}", "id", id, "email", email, "name",
                                   name ? name : email, "region", region));
    else if (n == CLOUD_DB_CONFLICT)
      sr_http_reply_error(resp, 409, "exists", "a user with this email or card already exists");
    else
      cloud_api_db_error(resp, "storing the user");
  }
  json_decref(body);
  cloud_audit_succeeded(k, "user.add", NULL,
                        cloud_audit_fields(k, CLOUD_KEEP("email", "name", "region")));
}

void cloud_admin_device_add(cloud_call *k) {
  cloud *c = k->c;
  const char *tenant = k->tenant;
  sr_http_response *resp = k->resp;
  json_t *body = cloud_api_body(k->req, resp, k->fields);
  if (!body)
    return;
  const char *id = text_of(body, "id"), *name = text_of(body, "name"),
             *snmp = text_of(body, "snmp"), *location = text_of(body, "location");
  json_t *uris = json_object_get(body, "uris");
  bool uris_ok = json_is_array(uris) && json_array_size(uris) > 0 && json_array_size(uris) <= 8;
  for (size_t i = 0; uris_ok && i < json_array_size(uris); i++)
    uris_ok = sr_printer_uri_ok(json_string_value(json_array_get(uris, i)));
  if (!id || !cloud_slug_ok(id, 64)) {
    sr_http_reply_error(resp, 400, "invalid", "'id' must be 1 to 64 of a-z, 0-9 and '-'");
  } else if (!name_ok(body, resp)) {
    /* answered */
  } else if (!uris_ok) {
    sr_http_reply_error(resp, 400, "invalid",
                        "'uris' lists 1 to 8 printer URIs (ipps://HOST[:PORT]/PATH, ipp://... or "
                        "socket://HOST[:PORT]), in the order to try");
  } else if (json_object_get(body, "snmp") && !sr_snmp_address_ok(snmp)) {
    sr_http_reply_error(resp, 400, "invalid",
                        "'snmp' is the printer's SNMP agent: HOST[:PORT], an IPv4 address or "
                        "[IPv6 address], with an optional port 1-65535");
  } else if (!cloud_location_field(body, resp)) {
    /* answered */
  } else {
    char *uris_text = json_dumps(uris, JSON_COMPACT);
    int n = cloud_db_run(c->db,
                         "INSERT INTO devices(tenant, id, name, uris, snmp, created_at, location) "
                         "VALUES(?, ?, ?, ?, ?, ?, ?)",
                         "tttttit", tenant, id, name ? name : id, uris_text, snmp,
                         (int64_t)time(NULL), location);
    free(uris_text);
    if (n == 1)
      sr_http_reply_json(
          resp, 201,
          json_pack("{s:s, s:s, s:s?}", "id", id, "name", name ? name : id, "location", location));
    else if (n == CLOUD_DB_CONFLICT)
      sr_http_reply_error(resp, 409, "exists", "device '%s' already exists", id);
    else
      cloud_api_db_error(resp, "storing the device");
  }
  json_decref(body);
  cloud_audit_succeeded(k, "device.add", NULL,
                        cloud_audit_fields(k, CLOUD_KEEP("name", "uris", "snmp", "location")));
}

void cloud_admin_device_update(cloud_call *k) {
  json_t *body = cloud_api_body(k->req, k->resp, k->fields);
  if (!body || !name_ok(body, k->resp) || !cloud_location_field(body, k->resp)) {
    json_decref(body);
    return;
  }
  json_t *name = json_object_get(body, "name"), *location = json_object_get(body, "location");
  if (!name && !location) {
    sr_http_reply_error(k->resp, 400, "invalid", "nothing to change: give 'name' or 'location'");
    json_decref(body);
    return;
  }
  /* a field left out keeps its value; location null clears it */
  int n = cloud_db_run(
      k->c->db,
      "UPDATE devices SET name = COALESCE(?, name), location = CASE WHEN ? <> 0 THEN ? "
      "ELSE location END WHERE tenant = ? AND id = ?",
      "tittt", json_string_value(name), (int64_t)(location != NULL), json_string_value(location),
      k->tenant, k->id);
  json_decref(body);
  if (n < 0)
    cloud_api_db_error(k->resp, "updating the device");
  else if (n == 0)
    sr_http_reply_error(k->resp, 404, "not_found", "no such device");
  else
    cloud_admin_device(k); /* the row as listed, its release_url too */
  cloud_audit_succeeded(k, "device.update", k->id,
                        cloud_audit_fields(k, CLOUD_KEEP("name", "location")));
}

void cloud_admin_scout_add(cloud_call *k) {
  cloud *c = k->c;
  const char *tenant = k->tenant;
  sr_http_response *resp = k->resp;
  json_t *body = cloud_api_body(k->req, resp, k->fields);
  if (!body)
    return;
  const char *kind = text_of(body, "kind"), *name = text_of(body, "name"),
             *user = text_of(body, "user"), *region = NULL, *site = NULL;
  json_t *user_row = NULL;
  bool region_given, site_given;
  if (!kind || (strcmp(kind, "print") && strcmp(kind, "site"))) {
    sr_http_reply_error(resp, 400, "invalid", "'kind' is print or site");
  } else if (!name_ok(body, resp) || !cloud_region_field(c, body, resp, &region_given, &region) ||
             !cloud_site_field(c, tenant, body, resp, &site_given, &site)) {
    /* answered */
  } else if ((region && strcmp(kind, "site") != 0) || (site && strcmp(kind, "print") != 0)) {
    sr_http_reply_error(resp, 400, "invalid",
                        "'region' is a site scout's, 'site' a print scout's (the site it prints "
                        "at)");
  } else if (strcmp(kind, "print") == 0 && user &&
             !((user_row = cloud_db_row(c->db,
                                        "SELECT id FROM users WHERE tenant = ? AND "
                                        "email = lower(?)",
                                        "tt", tenant, user)))) {
    if (cloud_db_failed(c->db))
      cloud_api_db_error(resp, "looking up the scout's user");
    else
      sr_http_reply_error(resp, 400, "invalid",
                          "'user' must be a user's email (or leave it out: the workstation's user "
                          "then registers with sr-print-scout register)");
  } else {
    char id[40] = "s-", token[64], hash[65];
    cloud_random_hex(id + 2, 8);
    cloud_new_token(token);
    cloud_token_hash(token, hash);
    int64_t now = time(NULL), ttl = c->cfg.u.cloud.enrollment.token_ttl;
    int n = cloud_db_run(c->db,
                         "INSERT INTO scouts(id, tenant, kind, name, user_id, enroll_hash, "
                         "enroll_expires, created_at, directory, region, site) "
                         "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         "ttttttiiitt", id, tenant, kind, name ? name : id,
                         user_row ? cloud_row_text(user_row, "id") : NULL, hash, now + ttl, now,
                         (int64_t)json_is_true(json_object_get(body, "directory")), region, site);
    char err[512];
    if (n != 1)
      cloud_api_db_error(resp, "storing the scout");
    else if (cloud_broker_acl_update(c, err, sizeof err) != SR_OK) {
      /* without its ACL entry the scout could not use MQTT: undo */
      sr_log(SR_LOG_ERROR, "admin", "tenant %s: scout %s not added: %s", tenant, id, err);
      if (cloud_db_run(c->db, "DELETE FROM scouts WHERE tenant = ? AND id = ?", "tt", tenant, id) <
          0)
        sr_log(SR_LOG_ERROR, "admin",
               "tenant %s: scout %s has no ACL entry and could not be deleted again", tenant, id);
      sr_http_reply_error(resp, 502, "broker", "the broker's ACL could not be updated: %s", err);
    } else
      sr_http_reply_json(resp, 201,
                         json_pack("{s:s, s:s, s:s, s:s, s:I}", "id", id, "kind", kind, "name",
                                   name ? name : id, "enrollment_token", token, "expires_in",
                                   (json_int_t)ttl));
    memset(token, 0, sizeof token);
  }
  json_decref(user_row);
  json_decref(body);
  /* never the enrollment token: only what identifies the scout */
  cloud_audit_succeeded(
      k, "scout.add", NULL,
      cloud_audit_fields(k, CLOUD_KEEP("kind", "name", "user", "region", "site")));
}

/* Revocation: the scout's row goes (HTTPS refuses its certificate from the
 * next request on), the sessions a site made end, and the broker's ACL loses
 * its entry (MQTT refuses it once the broker has reloaded, within moments). */
void cloud_admin_scout_remove(cloud_call *k) {
  cloud *c = k->c;
  const char *tenant = k->tenant, *id = k->id;
  sr_http_response *resp = k->resp;
  bool ok = cloud_db_begin(c->db);
  int n =
      ok ? cloud_db_run(c->db, "DELETE FROM scouts WHERE tenant = ? AND id = ?", "tt", tenant, id)
         : -1;
  ok = ok && n >= 0 &&
       cloud_db_run(c->db, "DELETE FROM sessions WHERE tenant = ? AND site_scout = ?", "tt", tenant,
                    id) >= 0;
  if (!ok || !cloud_db_commit(c->db)) {
    cloud_db_rollback(c->db);
    cloud_api_db_error(resp, "removing the scout");
    return;
  }
  if (n != 1) {
    sr_http_reply_error(resp, 404, "not_found", "no such scout");
    return;
  }
  sr_log(SR_LOG_INFO, "admin", "tenant %s: scout %s removed (its certificate is refused)", tenant,
         id);
  cloud_audit(c, k, "scout.remove", id, NULL);
  char err[512];
  if (cloud_broker_acl_update(c, err, sizeof err) != SR_OK) {
    sr_log(SR_LOG_ERROR, "admin", "tenant %s: scout %s: %s", tenant, id, err);
    sr_http_reply_error(resp, 502, "broker",
                        "the scout is removed and refused by the cloud, but the broker could not "
                        "be told: %s",
                        err);
    return;
  }
  resp->status = 204;
}

static void list(cloud *c, sr_http_response *resp, const char *key, const char *sql,
                 const char *tenant) {
  json_t *rows = cloud_db_rows(c->db, sql, "t", tenant);
  if (!rows)
    cloud_api_db_error(resp, "listing");
  else
    /* the tenant too: srctl learns its token's tenant from it */
    sr_http_reply_json(resp, 200, json_pack("{s:o, s:s}", key, rows, "tenant", tenant));
}

#define JOBS_LIMIT_DEFAULT 50
#define JOBS_LIMIT_MAX 200

/* `text` with LIKE's wildcards and escape escaped (by '\\'), then '%':
 * a prefix pattern. False if it does not fit. */
static bool like_prefix(const char *text, char *out, size_t size) {
  size_t n = 0;
  for (; *text; text++) {
    if (n + 3 >= size)
      return false;
    if (*text == '%' || *text == '_' || *text == '\\')
      out[n++] = '\\';
    out[n++] = *text;
  }
  out[n++] = '%';
  out[n] = '\0';
  return true;
}

/* Paged, newest first (cloud_jobs_cursor; the index jobs_by_time). */
void cloud_admin_jobs(cloud_call *k) {
  sr_http_response *resp = k->resp;
  int64_t limit, after_time = INT64_MAX;
  char state[16] = "", owner[SR_ID_MAX] = "", q[128] = "", pattern[260] = "", after_id[128];
  if (!cloud_query_known(k,
                         (const char *const[]){"limit", "cursor", "state", "owner", "q", NULL}) ||
      !cloud_query_limit(k, JOBS_LIMIT_DEFAULT, JOBS_LIMIT_MAX, &limit))
    return;
  if ((cloud_query_param(k->req->query, "state", state, sizeof state) &&
       !cloud_slug_ok(state, 15)) ||
      (cloud_query_param(k->req->query, "owner", owner, sizeof owner) && !owner[0])) {
    sr_http_reply_error(resp, 400, "invalid",
                        "'state' is a job state (held, printed, expired...), 'owner' an email");
    return;
  }
  if (cloud_query_param(k->req->query, "q", q, sizeof q) && q[0] &&
      !like_prefix(q, pattern, sizeof pattern)) {
    sr_http_reply_error(resp, 400, "invalid", "'q' is at most 100 bytes");
    return;
  }
  if (!cloud_jobs_cursor(k, &after_time, NULL, after_id))
    return;
  json_t *rows =
      cloud_db_rows(k->c->db,
                    "SELECT j.id, j.title, j.title_kept, j.pages, j.copies, j.sides, j.color, "
                    "j.state, j.reason, j.submitted_at, j.expires_at, j.scout, j.region, "
                    "j.copy_size AS copy, j.owner AS owner_id, u.email AS owner_email FROM jobs j "
                    /* a pseudonymised owner is no user's id: LEFT JOIN */
                    "LEFT JOIN users u ON u.tenant = j.tenant AND u.id = j.owner "
                    "WHERE j.tenant = ? AND (u.id IS NOT NULL OR j.owner LIKE 'p-%') "
                    "AND (j.submitted_at, j.id) < (?, ?) AND (? = '' OR j.state = ?) "
                    "AND (? = '' OR u.email = lower(?) OR j.owner = ?) "
                    "AND (? = '' OR j.title LIKE ? ESCAPE '\\' OR u.email LIKE ? ESCAPE '\\') "
                    "ORDER BY j.submitted_at DESC, j.id DESC LIMIT ?",
                    "tittttttttti", k->tenant, after_time, after_id, state, state, owner, owner,
                    owner, pattern, pattern, pattern, limit + 1);
  if (!rows) {
    cloud_api_db_error(resp, "listing the jobs");
    return;
  }
  json_t *next = cloud_jobs_next(rows, limit, false);
  size_t i;
  json_t *row;
  json_array_foreach(rows, i, row) {
    char when[32];
    cloud_rfc3339(cloud_row_int(row, "submitted_at"), when);
    json_object_set_new(row, "submitted_at", json_string(when));
    if (json_is_integer(json_object_get(row, "expires_at"))) {
      cloud_rfc3339(cloud_row_int(row, "expires_at"), when);
      json_object_set_new(row, "expires_at", json_string(when));
    }
    cloud_job_report_owner(k->c, k->tenant, row);
  }
  sr_http_reply_json(resp, 200, json_pack("{s:o, s:o}", "jobs", rows, "next_cursor", next));
}

/* Only a held job can be deleted: one being released is the release's,
 * one that ended is history (retention removes it). */
void cloud_admin_job_remove(cloud_call *k) {
  json_t *job = cloud_db_row(k->c->db, "SELECT state FROM jobs WHERE tenant = ? AND id = ?", "tt",
                             k->tenant, k->id);
  if (!job && cloud_db_failed(k->c->db))
    cloud_api_db_error(k->resp, "looking up the job");
  else if (!job)
    sr_http_reply_error(k->resp, 404, "not_found", "no such job");
  else if (strcmp(cloud_row_text(job, "state"), "held") != 0)
    sr_http_reply_error(k->resp, 409, "not_held", "the job is %s and cannot be deleted now",
                        cloud_row_text(job, "state"));
  else if (!cloud_job_delete(k->c, k->tenant, k->id, "deleted"))
    sr_http_reply_error(k->resp, 409, "not_held", "the job is being released");
  else
    k->resp->status = 204;
  json_decref(job);
  cloud_audit_succeeded(k, "job.delete", k->id, NULL);
}

/* Deletes row `id` of `table`; `what` names one for the 404 ("user"). */
static void remove_row(cloud *c, const char *tenant, const char *table, const char *what,
                       const char *id, sr_http_response *resp) {
  /* one literal per table: statements are kept by their text's address */
  const char *sql = strcmp(table, "users") == 0 ? "DELETE FROM users WHERE tenant = ? AND id = ?"
                                                : "DELETE FROM devices WHERE tenant = ? AND id = ?";
  int n = cloud_db_run(c->db, sql, "tt", tenant, id);
  if (n == 1)
    resp->status = 204;
  else if (n < 0)
    cloud_api_db_error(resp, "deleting");
  else
    sr_http_reply_error(resp, 404, "not_found", "no such %.20s", what);
}

void cloud_admin_users(cloud_call *k) {
  list(k->c, k->resp, "users",
       "SELECT id, email, name, card_hash IS NOT NULL AS has_card, pin_hash IS NOT NULL AS "
       "has_pin, directory = 1 AS directory, region FROM users WHERE tenant = ? ORDER BY email",
       k->tenant);
}

void cloud_admin_user_remove(cloud_call *k) {
  remove_row(k->c, k->tenant, "users", "user", k->id, k->resp);
  /* signed out everywhere: a session outliving its user would still act */
  if (k->resp->status == 204 && !cloud_web_sessions_forget_user(k->c, k->tenant, k->id))
    cloud_api_db_error(k->resp, "ending the user's sessions");
  cloud_audit_succeeded(k, "user.remove", k->id, NULL);
}

void cloud_admin_device_remove(cloud_call *k) {
  remove_row(k->c, k->tenant, "devices", "device", k->id, k->resp);
  if (k->resp->status == 204) /* a device added again later starts afresh */
    cloud_monitoring_forget(k->c, k->tenant, k->id);
  cloud_audit_succeeded(k, "device.remove", k->id, NULL);
}

/* A scout is online while its MQTT presence says so, or when it made an
 * authenticated HTTPS call within 2.5 site heartbeats and after its last
 * presence message (a print scout's "offline" will outranks an earlier
 * call). A site service, with no presence, is thus offline at most
 * 2.5 heartbeats (+1 s) after its last call. */
void cloud_admin_scouts(cloud_call *k) {
  int64_t window = k->c->cfg.u.cloud.site_heartbeat * 5 / 2;
  json_t *rows = cloud_db_rows(
      k->c->db,
      "SELECT s.id, s.kind, s.name, u.email AS user, (s.online = 1 OR COALESCE(s.last_seen >= ? "
      "AND (s.seen_at IS NULL OR s.last_seen > s.seen_at), FALSE)) AS online, s.last_seen, "
      "s.enrolled_at IS NOT NULL AS enrolled, s.directory = 1 AS directory, s.region, s.site, "
      "s.serve_others_allowed = 1 AS serve_others, "
      /* its last health report (health.c), the newest error line of it */
      "h.version, h.uptime, h.held_jobs, json_extract(h.last_errors, '$[#-1].message') AS "
      "last_error, h.config_version, h.reported_at AS health_at "
      "FROM scouts s "
      "LEFT JOIN users u ON u.tenant = s.tenant AND u.id = s.user_id "
      "LEFT JOIN scout_health h ON h.scout = s.id AND h.tenant = s.tenant WHERE s.tenant = ? "
      "ORDER BY s.name",
      "it", (int64_t)time(NULL) - window, k->tenant);
  if (!rows) {
    cloud_api_db_error(k->resp, "listing the scouts");
    return;
  }
  size_t i;
  json_t *row;
  json_array_foreach(rows, i, row) {
    char when[32];
    if (json_is_integer(json_object_get(row, "last_seen"))) {
      cloud_rfc3339(cloud_row_int(row, "last_seen"), when);
      json_object_set_new(row, "last_seen", json_string(when));
    }
    if (json_is_integer(json_object_get(row, "health_at"))) {
      cloud_rfc3339(cloud_row_int(row, "health_at"), when);
      json_object_set_new(row, "health_at", json_string(when));
    }
  }
  sr_http_reply_json(k->resp, 200, json_pack("{s:o, s:s}", "scouts", rows, "tenant", k->tenant));
}

void cloud_admin_delegations(cloud_call *k) {
  cloud_delegation_list(k->c, k->tenant, NULL, k->resp);
}

void cloud_admin_delegation_add(cloud_call *k) {
  json_t *body = cloud_api_body(k->req, k->resp, k->fields);
  if (body)
    cloud_delegation_add(k->c, k->tenant, NULL, body, k->resp);
  json_decref(body);
  cloud_audit_succeeded(k, "delegation.add", NULL,
                        cloud_audit_fields(k, CLOUD_KEEP("owner", "delegate", "until")));
}

void cloud_admin_delegation_remove(cloud_call *k) {
  cloud_delegation_remove(k->c, k->tenant, NULL, k->id, k->resp);
  cloud_audit_succeeded(k, "delegation.remove", k->id, NULL);
}
