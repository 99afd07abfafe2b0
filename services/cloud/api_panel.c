/*
 * The panel API as the cloud serves it to site services (mutual TLS, site
 * scouts only): the site service hashes card numbers and PINs with the site
 * secret and forwards the rest. A session sees only its user's jobs, in its
 * site scout's tenant; any other job id is "not found".
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cloud.h"
#include "db.h"
#include "idhash.h"
#include "log.h"

/* Failed logins: a lockout per identity and, looser, per device. */
static int64_t locked_for(cloud *c, const char *tenant, const char *key) {
  json_t *row = cloud_db_row(c->db,
                             "SELECT locked_until FROM login_failures WHERE tenant = ? AND "
                             "key = ?",
                             "tt", tenant, key);
  int64_t left = cloud_row_int(row, "locked_until") - (int64_t)time(NULL);
  json_decref(row);
  return left > 0 ? left : 0;
}

static void count_failure(cloud *c, const char *tenant, const char *key, int64_t attempts) {
  int64_t now = time(NULL), lock = c->cfg.u.cloud.lockout.duration;
  /* a lockout that has run out starts a fresh count */
  cloud_db_run(c->db,
               "INSERT INTO login_failures(tenant, key, failures, locked_until, updated_at) "
               "VALUES(?, ?, 1, 0, ?) ON CONFLICT(tenant, key) DO UPDATE SET failures = CASE WHEN "
               "locked_until != 0 AND locked_until <= ? THEN 1 ELSE failures + 1 END, "
               "locked_until = CASE WHEN locked_until != 0 AND locked_until <= ? THEN 0 ELSE "
               "locked_until END, updated_at = ?",
               "ttiiii", tenant, key, now, now, now, now);
  cloud_db_run(c->db,
               "UPDATE login_failures SET locked_until = ? WHERE tenant = ? AND key = ? AND "
               "failures >= ? AND locked_until = 0",
               "itti", now + lock, tenant, key, attempts);
}

static void session_create(cloud *c, const json_t *site, const sr_http_request *req,
                           sr_http_response *resp) {
  json_t *body =
      cloud_api_body(req, resp, (const char *[]){"device", "card_hash", "email", "pin_hash", NULL});
  if (!body)
    return;
  const char *tenant = cloud_row_text(site, "tenant");
  const char *device = json_string_value(json_object_get(body, "device"));
  const char *card = json_string_value(json_object_get(body, "card_hash"));
  const char *email = json_string_value(json_object_get(body, "email"));
  const char *pin = json_string_value(json_object_get(body, "pin_hash"));
  json_t *device_row = NULL, *user = NULL;
  char identity[SR_ID_MAX + 16], device_key[128];
  int64_t attempts = c->cfg.u.cloud.lockout.attempts;
  if (!device || (!card == !(email && pin)) || (card && (email || pin))) {
    sr_http_reply_error(resp, 400, "invalid",
                        "send 'device' with either a card or an email and a PIN");
    goto out;
  }
  device_row = cloud_db_row(c->db, "SELECT id FROM devices WHERE tenant = ? AND id = ?", "tt",
                            tenant, device);
  if (!device_row) {
    sr_http_reply_error(resp, 404, "unknown_device", "no device '%.64s' in this tenant", device);
    goto out;
  }
  char mail[SR_ID_MAX] = "";
  if (email && sr_email_normalise(email, mail, sizeof mail) != 0) {
    sr_http_reply_error(resp, 400, "invalid", "'email' is not an email address");
    goto out;
  }
  /* the site hashes with the site secret: anything else is not a hash */
  const char *given = card ? card : pin;
  if (strlen(given) != SR_IDHASH_HEX_LEN ||
      strspn(given, "0123456789abcdef") != SR_IDHASH_HEX_LEN) {
    sr_http_reply_error(resp, 400, "invalid",
                        "card_hash and pin_hash are 64 lower-case hex digits");
    goto out;
  }
  snprintf(identity, sizeof identity, card ? "card:%.64s" : "email:%.256s", card ? card : mail);
  snprintf(device_key, sizeof device_key, "device:%.64s", device);
  int64_t wait = locked_for(c, tenant, identity);
  if (!wait)
    wait = locked_for(c, tenant, device_key);
  if (wait) {
    char message[96];
    snprintf(message, sizeof message, "too many failed attempts; try again in %lld s",
             (long long)wait);
    resp->retry_after = (int)wait;
    sr_http_reply_json(resp, 429,
                       json_pack("{s:{s:s, s:s, s:I}}", "error", "code", "locked_out", "message",
                                 message, "retry_after", (json_int_t)wait));
    sr_log(SR_LOG_WARN, "panel", "tenant %s device %s: login refused, locked out", tenant, device);
    goto out;
  }
  if (card)
    user = cloud_db_row(c->db, "SELECT * FROM users WHERE tenant = ? AND card_hash = ?", "tt",
                        tenant, card);
  else
    user = cloud_db_row(c->db, "SELECT * FROM users WHERE tenant = ? AND email = ?", "tt", tenant,
                        mail);
  /* a user without a PIN cannot log in with one (the stored "" never matches) */
  const char *stored = cloud_row_text(user, "pin_hash");
  bool ok = user && (card || (strlen(stored) == SR_IDHASH_HEX_LEN &&
                              CRYPTO_memcmp(stored, pin, SR_IDHASH_HEX_LEN) == 0));
  if (!ok) {
    count_failure(c, tenant, identity, attempts);
    count_failure(c, tenant, device_key, attempts * 4);
    sr_log(SR_LOG_WARN, "panel", "tenant %s device %s: failed %s login", tenant, device,
           card ? "card" : "email and PIN");
    sr_http_reply_error(resp, 401, "bad_credentials", card ? "unknown card" : "wrong email or PIN");
    goto out;
  }
  cloud_db_run(c->db, "DELETE FROM login_failures WHERE tenant = ? AND key = ?", "tt", tenant,
               identity);
  char token[64], hash[65];
  cloud_new_token(token);
  cloud_token_hash(token, hash);
  int64_t ttl = c->cfg.u.cloud.panel_session_ttl;
  if (cloud_db_run(c->db,
                   "INSERT INTO sessions(token_hash, tenant, user_id, device, site_scout, "
                   "expires_at) VALUES(?, ?, ?, ?, ?, ?)",
                   "ttttti", hash, tenant, cloud_row_text(user, "id"), device,
                   cloud_row_text(site, "id"), (int64_t)time(NULL) + ttl) != 1) {
    sr_http_reply_error(resp, 500, "internal", "the session could not be stored");
  } else {
    sr_log(SR_LOG_INFO, "panel", "tenant %s device %s: user %s logged in", tenant, device,
           cloud_row_text(user, "id"));
    sr_http_reply_json(resp, 201,
                       json_pack("{s:s, s:{s:s, s:s, s:s}, s:I}", "session", token, "user", "id",
                                 cloud_row_text(user, "id"), "name", cloud_row_text(user, "name"),
                                 "email", cloud_row_text(user, "email"), "expires_in",
                                 (json_int_t)ttl));
  }
  memset(token, 0, sizeof token);
out:
  json_decref(user);
  json_decref(device_row);
  json_decref(body);
}

/* The session of the bearer token, in the site's tenant; NULL and a 401. */
static json_t *session_of(cloud *c, const json_t *site, const sr_http_request *req,
                          sr_http_response *resp) {
  if (!req->bearer) {
    sr_http_reply_error(resp, 401, "unauthenticated", "log in first (POST /sessions)");
    return NULL;
  }
  char hash[65];
  cloud_token_hash(req->bearer, hash);
  json_t *s = cloud_db_row(c->db,
                           "SELECT s.*, u.name AS user_name FROM sessions s JOIN users u ON "
                           "u.tenant = s.tenant AND u.id = s.user_id WHERE s.token_hash = ? AND "
                           "s.tenant = ? AND s.site_scout = ? AND s.expires_at > ?",
                           "ttti", hash, cloud_row_text(site, "tenant"), cloud_row_text(site, "id"),
                           (int64_t)time(NULL));
  if (!s)
    sr_http_reply_error(resp, 401, "session_expired", "the session is unknown or has expired");
  return s;
}

/* A job as the panel shows it; rows come from cloud_visible_jobs_sql. */
static json_t *job_view(const json_t *row) {
  char when[32];
  cloud_rfc3339(cloud_row_int(row, "submitted_at"), when);
  json_t *pages = json_object_get(row, "pages");
  json_t *o =
      json_pack("{s:s, s:s, s:s, s:O, s:I, s:s, s:s, s:{s:s, s:s}, s:s}", "id",
                cloud_row_text(row, "id"), "title", cloud_row_text(row, "title"), "submitted_at",
                when, "pages", pages ? pages : json_null(), "copies",
                (json_int_t)cloud_row_int(row, "copies"), "sides", cloud_row_text(row, "sides"),
                "color", cloud_row_text(row, "color"), "owner", "id", cloud_row_text(row, "owner"),
                "name", cloud_row_text(row, "owner_name"), "state", cloud_row_text(row, "state"));
  if (*cloud_row_text(row, "reason"))
    json_object_set_new(o, "reason", json_string(cloud_row_text(row, "reason")));
  return o;
}

static char *visible_sql(const char *more) {
  size_t n = strlen(cloud_visible_jobs_sql) + strlen(more) + 1;
  char *sql = malloc(n);
  if (sql)
    snprintf(sql, n, "%s%s", cloud_visible_jobs_sql, more);
  return sql;
}

static void list_jobs(cloud *c, const json_t *session, sr_http_response *resp) {
  static char *sql;
  if (!sql) /* built once: the statement cache keys on its address */
    sql = visible_sql(" AND j.state IN ('held', 'releasing', 'printing') ORDER BY j.submitted_at, "
                      "j.id");
  json_t *rows = sql ? cloud_db_rows(c->db, sql, "tti", cloud_row_text(session, "tenant"),
                                     cloud_row_text(session, "user_id"), (int64_t)time(NULL))
                     : NULL;
  json_t *jobs = json_array();
  size_t i;
  json_t *row;
  json_array_foreach(rows, i, row) json_array_append_new(jobs, job_view(row));
  json_decref(rows);
  sr_http_reply_json(resp, 200, json_pack("{s:o}", "jobs", jobs));
}

/* Job `id` if the session's user may see it (their own, or delegated to
 * them now), else NULL: another user's job is "not found", its existence
 * is not revealed. */
static json_t *visible_job(cloud *c, const json_t *session, const char *id) {
  static char *sql;
  if (!sql)
    sql = visible_sql(" AND j.id = ?4");
  return sql ? cloud_db_row(c->db, sql, "ttit", cloud_row_text(session, "tenant"),
                            cloud_row_text(session, "user_id"), (int64_t)time(NULL), id)
             : NULL;
}

static bool settings_ok(json_t *settings, sr_http_response *resp) {
  if (!settings)
    return true;
  if (!json_is_object(settings)) {
    sr_http_reply_error(resp, 400, "invalid", "'settings' is an object");
    return false;
  }
  const char *key;
  json_t *v;
  json_object_foreach(settings, key, v) {
    const char *s = json_string_value(v);
    bool ok = false;
    if (strcmp(key, "copies") == 0)
      ok = json_is_integer(v) && json_integer_value(v) >= 1 && json_integer_value(v) <= 999;
    else if (strcmp(key, "sides") == 0)
      ok = s && (!strcmp(s, "one-sided") || !strcmp(s, "two-sided-long-edge") ||
                 !strcmp(s, "two-sided-short-edge"));
    else if (strcmp(key, "color") == 0)
      ok = s && (!strcmp(s, "color") || !strcmp(s, "monochrome") || !strcmp(s, "auto"));
    else {
      sr_http_reply_error(resp, 400, "unknown_field", "unknown setting '%.64s'", key);
      return false;
    }
    if (!ok) {
      sr_http_reply_error(resp, 400, "invalid",
                          "bad '%s': copies 1-999, sides one-sided|two-sided-long-edge|"
                          "two-sided-short-edge, color color|monochrome|auto",
                          key);
      return false;
    }
  }
  return true;
}

static void release(cloud *c, const json_t *session, const sr_http_request *req,
                    sr_http_response *resp) {
  json_t *body = cloud_api_body(req, resp, (const char *[]){"jobs", "all", "settings", NULL});
  if (!body)
    return;
  json_t *ids = json_object_get(body, "jobs"), *all = json_object_get(body, "all");
  json_t *settings = json_object_get(body, "settings"), *targets = NULL;
  const char *tenant = cloud_row_text(session, "tenant");
  if (!settings_ok(settings, resp))
    goto out;
  if (json_is_true(all) && !ids) {
    static char *sql;
    if (!sql)
      sql = visible_sql(" AND j.state = 'held' ORDER BY j.submitted_at, j.id");
    targets = sql ? cloud_db_rows(c->db, sql, "tti", tenant, cloud_row_text(session, "user_id"),
                                  (int64_t)time(NULL))
                  : NULL;
  } else if (json_is_array(ids) && json_array_size(ids) > 0 && json_array_size(ids) <= 100 &&
             !all) {
    targets = json_array();
    size_t i;
    json_t *id;
    json_array_foreach(ids, i, id) {
      json_t *job = json_is_string(id) ? visible_job(c, session, json_string_value(id)) : NULL;
      if (!job) { /* check every id before releasing any */
        sr_http_reply_error(resp, 404, "not_found", "no job '%.64s' for this user",
                            json_is_string(id) ? json_string_value(id) : "?");
        goto out;
      }
      json_array_append_new(targets, job);
    }
  } else {
    sr_http_reply_error(resp, 400, "invalid", "send \"jobs\": [ids] (1 to 100) or \"all\": true");
    goto out;
  }
  json_t *releases = json_array();
  size_t i;
  json_t *job;
  json_array_foreach(targets, i, job) {
    json_array_append_new(releases,
                          cloud_release_start(c, tenant, cloud_row_text(job, "id"),
                                              cloud_row_text(session, "user_id"),
                                              cloud_row_text(session, "device"), settings));
  }
  sr_http_reply_json(resp, 202, json_pack("{s:o}", "releases", releases));
out:
  json_decref(targets);
  json_decref(body);
}

void cloud_api_panel(cloud *c, const sr_http_request *req, sr_http_response *resp,
                     const char *rest) {
  json_t *site = cloud_auth_scout(c, req, resp, "site"), *session = NULL, *job = NULL;
  if (!site)
    return;
  bool get = !strcmp(req->method, "GET"), post = !strcmp(req->method, "POST"),
       del = !strcmp(req->method, "DELETE");
  if (!strcmp(rest, "sessions") && post) {
    session_create(c, site, req, resp);
    goto out;
  }
  if (!(session = session_of(c, site, req, resp)))
    goto out;
  if (!strcmp(rest, "sessions/current") && del) {
    cloud_db_run(c->db, "DELETE FROM sessions WHERE token_hash = ?", "t",
                 cloud_row_text(session, "token_hash"));
    resp->status = 204;
  } else if (!strcmp(rest, "jobs") && get) {
    list_jobs(c, session, resp);
  } else if (!strcmp(rest, "delegations") && get) {
    cloud_delegation_list(c, cloud_row_text(session, "tenant"), cloud_row_text(session, "user_id"),
                          resp);
  } else if (!strcmp(rest, "delegations") && post) {
    json_t *body = cloud_api_body(req, resp, (const char *[]){"delegate", "until", NULL});
    if (body)
      cloud_delegation_add(c, cloud_row_text(session, "tenant"), cloud_row_text(session, "user_id"),
                           body, resp);
    json_decref(body);
  } else if (!strncmp(rest, "delegations/", 12) && del) {
    cloud_delegation_remove(c, cloud_row_text(session, "tenant"),
                            cloud_row_text(session, "user_id"), rest + 12, resp);
  } else if (!strcmp(rest, "release") && post) {
    release(c, session, req, resp);
  } else if (!strncmp(rest, "jobs/", 5) && (get || del)) {
    if (!(job = visible_job(c, session, rest + 5))) {
      sr_http_reply_error(resp, 404, "not_found", "no job '%.64s' for this user", rest + 5);
    } else if (get) {
      json_t *view = job_view(job);
      json_t *last = cloud_db_row(c->db,
                                  "SELECT id, state, reason, transport, user_id AS released_by, "
                                  "on_behalf_of FROM releases WHERE "
                                  "tenant = ? AND job = ? ORDER BY created_at DESC, rowid DESC",
                                  "tt", cloud_row_text(job, "tenant"), cloud_row_text(job, "id"));
      if (last)
        json_object_set_new(view, "last_release", last);
      sr_http_reply_json(resp, 200, view);
    } else if (strcmp(cloud_row_text(job, "owner"), cloud_row_text(session, "user_id")) != 0) {
      sr_http_reply_error(resp, 403, "not_owner", "only the job's owner can delete it");
    } else if (strcmp(cloud_row_text(job, "state"), "held") != 0) {
      sr_http_reply_error(resp, 409, "not_held", "the job is %s and cannot be deleted now",
                          cloud_row_text(job, "state"));
    } else if (cloud_job_delete(c, cloud_row_text(job, "tenant"), cloud_row_text(job, "id"),
                                "deleted")) {
      resp->status = 204;
    } else { /* a release started meanwhile */
      sr_http_reply_error(resp, 409, "not_held", "the job is being released");
    }
  } else {
    sr_http_reply_error(resp, 404, "not_found", "no such resource: %.200s", req->path);
  }
out:
  json_decref(job);
  json_decref(session);
  json_decref(site);
}
