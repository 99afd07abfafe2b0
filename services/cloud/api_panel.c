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

json_t *cloud_panel_session(cloud *c, const json_t *site, const sr_http_request *req,
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
  if (!s && cloud_db_failed(c->db))
    cloud_api_db_error(resp, "looking up the session");
  else if (!s)
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
                cloud_row_text(row, "id"), "title", cloud_job_title_shown(row), "submitted_at",
                when, "pages", pages ? pages : json_null(), "copies",
                (json_int_t)cloud_row_int(row, "copies"), "sides", cloud_row_text(row, "sides"),
                "color", cloud_row_text(row, "color"), "owner", "id", cloud_row_text(row, "owner"),
                "name", cloud_row_text(row, "owner_name"), "state", cloud_row_text(row, "state"));
  if (*cloud_row_text(row, "reason"))
    json_object_set_new(o, "reason", json_string(cloud_row_text(row, "reason")));
  json_object_set_new(o, "pin_required", json_boolean(*cloud_row_text(row, "pin_hash") != '\0'));
  if (json_is_integer(json_object_get(row, "expires_at"))) {
    cloud_rfc3339(cloud_row_int(row, "expires_at"), when);
    json_object_set_new(o, "expires_at", json_string(when));
  }
  return o;
}

static char *visible_sql(const char *more) {
  size_t n = strlen(cloud_visible_jobs_sql) + strlen(more) + 1;
  char *sql = malloc(n);
  if (sql)
    snprintf(sql, n, "%s%s", cloud_visible_jobs_sql, more);
  return sql;
}

#define PANEL_PAGE_DEFAULT 50
#define PANEL_PAGE_MAX 200

/* Newest first: submitted_at, then the scout's sequence (the order of
 * jobs held in the same second), then id, all descending. */
static int newest_first(const void *a, const void *b) {
  const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
  int64_t tx = cloud_row_int(x, "submitted_at"), ty = cloud_row_int(y, "submitted_at");
  int64_t sx = cloud_row_int(x, "sequence"), sy = cloud_row_int(y, "sequence");
  if (tx != ty)
    return tx > ty ? -1 : 1;
  if (sx != sy)
    return sx > sy ? -1 : 1;
  return -strcmp(cloud_row_text(x, "id"), cloud_row_text(y, "id"));
}

/* GET .../jobs?limit=N&cursor=C: a page of the jobs waiting or under way,
 * newest first (cloud_jobs_cursor), the session user's and those of each
 * user who delegates to them now. Each owner's page is one range of the
 * partial index jobs_waiting (owner, submitted_at, sequence, id of the jobs held,
 * releasing or printing), merged here: the time a page takes does not
 * grow with the jobs held, nor with a user's printed history
 * (bench/panel-list). */
void cloud_panel_jobs(cloud_call *k) {
  cloud *c = k->c;
  const json_t *session = k->session;
  sr_http_response *resp = k->resp;
  const char *tenant = cloud_row_text(session, "tenant"),
             *user = cloud_row_text(session, "user_id");
  int64_t limit, after_time, after_seq, now = time(NULL);
  char after_id[128];
  if (!cloud_query_known(k, (const char *const[]){"limit", "cursor", NULL}) ||
      !cloud_query_limit(k, PANEL_PAGE_DEFAULT, PANEL_PAGE_MAX, &limit) ||
      !cloud_jobs_cursor(k, &after_time, &after_seq, after_id))
    return;
  json_t *owners = cloud_db_rows(c->db,
                                 "SELECT ?2 AS owner UNION SELECT owner FROM delegations WHERE "
                                 "tenant = ?1 AND delegate = ?2 AND (until IS NULL OR until > ?3)",
                                 "tti", tenant, user, now);
  json_t *all = owners ? json_array() : NULL, *row;
  size_t i;
  json_array_foreach(owners, i, row) {
    json_t *page = cloud_db_rows(
        c->db,
        "SELECT j.*, u.name AS owner_name FROM jobs j JOIN users u ON u.tenant = j.tenant AND "
        "u.id = j.owner WHERE j.tenant = ? AND j.owner = ? AND j.state IN ('held', 'releasing', "
        "'printing') AND (j.state != 'held' OR j.expires_at IS NULL OR j.expires_at > ?) AND "
        "(j.submitted_at, j.sequence, j.id) < (?, ?, ?) ORDER BY j.submitted_at DESC, j.sequence "
        "DESC, j.id DESC LIMIT ?",
        "ttiiiti", tenant, cloud_row_text(row, "owner"), now, after_time, after_seq, after_id,
        limit + 1);
    if (!page) {
      json_decref(all);
      all = NULL;
      break;
    }
    json_array_extend(all, page);
    json_decref(page);
  }
  json_decref(owners);
  if (!all) {
    cloud_api_db_error(resp, "listing the jobs");
    return;
  }
  /* the owners' pages merged, the newest limit + 1 kept */
  size_t n = json_array_size(all);
  json_t **items = n ? malloc(n * sizeof *items) : NULL;
  if (n && !items) {
    json_decref(all);
    sr_http_reply_error(resp, 500, "no_memory", "out of memory");
    return;
  }
  for (i = 0; items && i < n; i++)
    items[i] = json_incref(json_array_get(all, i));
  if (items)
    qsort(items, n, sizeof *items, newest_first);
  json_array_clear(all);
  for (i = 0; items && i < n && (int64_t)i <= limit; i++)
    json_array_append(all, items[i]);
  for (i = 0; items && i < n; i++)
    json_decref(items[i]);
  free(items);
  json_t *next = cloud_jobs_next(all, limit, true), *jobs = json_array();
  json_array_foreach(all, i, row) json_array_append_new(jobs, job_view(row));
  json_decref(all);
  sr_http_reply_json(resp, 200, json_pack("{s:o, s:o}", "jobs", jobs, "next_cursor", next));
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

#define RELEASE_MAX 100 /* jobs one release request starts */

static bool needs_pin(const json_t *job) { return *cloud_row_text(job, "pin_hash") != '\0'; }

/* Why a target stays held (set by pins_ok), or NULL if it is released. */
static const char *held_reason(const json_t *job) {
  return json_string_value(json_object_get(job, "held_reason"));
}

/* Counts one wrong PIN against `key` (a lockout.attempts x `scale` limit);
 * false if it could not be counted (answered). */
static bool count_wrong_pin(cloud_call *k, const char *key, int64_t scale) {
  if (cloud_lockout_count(k->c, cloud_row_text(k->session, "tenant"), key,
                          k->c->cfg.u.cloud.lockout.attempts * scale))
    return true;
  cloud_api_db_error(k->resp, "counting a wrong PIN");
  return false;
}

/* PIN jobs (job-password at the workstation) among `targets`: released
 * only with their PIN, which the site service sends as its keyed hash.
 * Wrong PINs are counted three ways, and only time clears the counts (a
 * right PIN for one job must not buy more guesses at another):
 *   - per job ("job_pin:job:ID", lockout.attempts): however many users or
 *     devices guess at one job, it gets that many wrong PINs per period;
 *   - per user ("job_pin:user:ID", lockout.attempts);
 *   - per device ("job_pin:device:ID", 4 x lockout.attempts), apart from
 *     the device's login count, so that guessing at job PINs at a printer
 *     locks out PIN releases there, not everyone's login.
 * An explicit list is released only if every PIN job in it matches. With
 * "all", the plain jobs and the PIN jobs that match print and the others
 * stay held (marked "held_reason" here); such a PIN counts against the
 * user and device only if it matched none of them, but always against
 * each job it did not match. False when answered (refused). */
static bool pins_ok(cloud_call *k, json_t *targets, const char *pin_hash, bool all) {
  const json_t *session = k->session;
  const char *tenant = cloud_row_text(session, "tenant");
  size_t i, pin_jobs = 0, matched = 0, wrong = 0;
  json_t *job;
  json_array_foreach(targets, i, job) pin_jobs += needs_pin(job);
  if (!pin_jobs)
    return true;
  if (!pin_hash && !all) {
    sr_http_reply_error(k->resp, 403, "job_pin_required",
                        "this job was printed with a PIN: send \"pin\" to release it");
    return false;
  }
  if (!pin_hash) { /* "all" without a PIN: the PIN jobs wait for it */
    json_array_foreach(targets, i, job) if (needs_pin(job))
        json_object_set_new(job, "held_reason", json_string("job_pin_required"));
    return true;
  }
  char user_key[128], device_key[128], job_key[128];
  snprintf(user_key, sizeof user_key, "job_pin:user:%.64s", cloud_row_text(session, "user_id"));
  snprintf(device_key, sizeof device_key, "job_pin:device:%.64s",
           cloud_row_text(session, "device"));
  unsigned long db_errors = cloud_db_errors();
  int64_t wait = cloud_lockout_left(k->c, tenant, user_key);
  if (!wait)
    wait = cloud_lockout_left(k->c, tenant, device_key);
  /* every PIN job's own lockout, before anything is compared or counted */
  json_array_foreach(targets, i, job) {
    if (!needs_pin(job))
      continue;
    snprintf(job_key, sizeof job_key, "job_pin:job:%.64s", cloud_row_text(job, "id"));
    int64_t job_wait = cloud_lockout_left(k->c, tenant, job_key);
    if (job_wait && all)
      json_object_set_new(job, "held_reason", json_string("locked_out"));
    else if (job_wait > wait)
      wait = job_wait;
  }
  if (cloud_db_errors() != db_errors) { /* an unread lockout is no lockout */
    cloud_api_db_error(k->resp, "reading the lockouts");
    return false;
  }
  if (wait) {
    cloud_reply_locked_out(k->resp, wait);
    sr_log(SR_LOG_WARN, "panel", "tenant %s device %s: PIN job release refused, locked out", tenant,
           cloud_row_text(session, "device"));
    return false;
  }
  json_array_foreach(targets, i, job) {
    if (!needs_pin(job) || held_reason(job))
      continue;
    if (CRYPTO_memcmp(cloud_row_text(job, "pin_hash"), pin_hash, SR_IDHASH_HEX_LEN) == 0) {
      matched++;
      continue;
    }
    wrong++;
    json_object_set_new(job, "held_reason", json_string("job_pin_wrong"));
    snprintf(job_key, sizeof job_key, "job_pin:job:%.64s", cloud_row_text(job, "id"));
    if (!count_wrong_pin(k, job_key, 1))
      return false;
  }
  if (wrong && (!all || !matched)) {
    if (!count_wrong_pin(k, user_key, 1) || !count_wrong_pin(k, device_key, 4))
      return false;
    sr_log(SR_LOG_WARN, "panel", "tenant %s device %s: wrong job PIN from user %s", tenant,
           cloud_row_text(session, "device"), cloud_row_text(session, "user_id"));
  }
  if (wrong && !all) {
    sr_http_reply_error(k->resp, 403, "job_pin_wrong", "wrong PIN for this job");
    return false;
  }
  return true;
}

void cloud_panel_release(cloud_call *k) {
  cloud *c = k->c;
  const json_t *session = k->session;
  sr_http_response *resp = k->resp;
  json_t *body = cloud_api_body(k->req, resp, k->fields);
  if (!body)
    return;
  json_t *ids = json_object_get(body, "jobs"), *all = json_object_get(body, "all");
  json_t *settings = json_object_get(body, "settings"), *targets = NULL;
  json_t *pin = json_object_get(body, "pin_hash");
  const char *tenant = cloud_row_text(session, "tenant");
  json_int_t remaining = 0; /* held jobs beyond RELEASE_MAX that "all" left */
  if (!settings_ok(settings, resp))
    goto out;
  if (pin && !cloud_is_site_hash(json_string_value(pin))) {
    sr_http_reply_error(resp, 400, "invalid",
                        "'pin_hash' is 64 lower-case hex digits (made at the site)");
    goto out;
  }
  if (json_is_true(all) && !ids) {
    static char *sql;
    if (!sql)
      sql = visible_sql(" AND j.state = 'held' AND (j.expires_at IS NULL OR j.expires_at > ?3) "
                        "ORDER BY j.submitted_at, j.sequence, j.id");
    targets = sql ? cloud_db_rows(c->db, sql, "tti", tenant, cloud_row_text(session, "user_id"),
                                  (int64_t)time(NULL))
                  : NULL;
    if (!targets) {
      cloud_api_db_error(resp, "listing the jobs to release");
      goto out;
    }
    /* as many as an explicit list, the oldest first; the rest wait for the
     * next press, and the answer says how many */
    while (json_array_size(targets) > RELEASE_MAX) {
      json_array_remove(targets, json_array_size(targets) - 1);
      remaining++;
    }
  } else if (json_is_array(ids) && json_array_size(ids) > 0 &&
             json_array_size(ids) <= RELEASE_MAX && !all) {
    targets = json_array();
    size_t i;
    json_t *id;
    json_array_foreach(ids, i, id) {
      json_t *job = json_is_string(id) ? visible_job(c, session, json_string_value(id)) : NULL;
      if (!job && cloud_db_failed(c->db)) {
        cloud_api_db_error(resp, "looking up a job");
        goto out;
      }
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
  if (!pins_ok(k, targets, json_string_value(pin), json_is_true(all)))
    goto out;
  json_t *releases = json_array();
  size_t i;
  json_t *job;
  json_array_foreach(targets, i, job) {
    if (held_reason(job)) { /* "all": a PIN job without its PIN stays held */
      json_array_append_new(releases, json_pack("{s:s, s:s, s:s}", "job", cloud_row_text(job, "id"),
                                                "state", "held", "reason", held_reason(job)));
      continue;
    }
    json_array_append_new(releases,
                          cloud_release_start(c, tenant, cloud_row_text(job, "id"),
                                              cloud_row_text(session, "user_id"),
                                              cloud_row_text(session, "device"),
                                              cloud_row_text(session, "site_scout"), settings));
  }
  json_t *answer = json_pack("{s:o}", "releases", releases);
  if (json_is_true(all))
    json_object_set_new(answer, "remaining", json_integer(remaining));
  sr_http_reply_json(resp, 202, answer);
out:
  json_decref(targets);
  json_decref(body);
}

void cloud_panel_session_add(cloud_call *k) {
  cloud_panel_login(k->c, k->scout, k->req, k->resp, k->fields);
}

void cloud_panel_session_end(cloud_call *k) {
  if (cloud_db_run(k->c->db, "DELETE FROM sessions WHERE token_hash = ?", "t",
                   cloud_row_text(k->session, "token_hash")) < 0)
    cloud_api_db_error(k->resp, "ending the session"); /* else it would live on */
  else
    k->resp->status = 204;
}

void cloud_panel_delegations(cloud_call *k) {
  cloud_delegation_list(k->c, cloud_row_text(k->session, "tenant"),
                        cloud_row_text(k->session, "user_id"), k->resp);
}

void cloud_panel_delegation_add(cloud_call *k) {
  json_t *body = cloud_api_body(k->req, k->resp, k->fields);
  if (body)
    cloud_delegation_add(k->c, cloud_row_text(k->session, "tenant"),
                         cloud_row_text(k->session, "user_id"), body, k->resp);
  json_decref(body);
}

void cloud_panel_delegation_remove(cloud_call *k) {
  cloud_delegation_remove(k->c, cloud_row_text(k->session, "tenant"),
                          cloud_row_text(k->session, "user_id"), k->id, k->resp);
}

/* Job {id} if the session's user may see it; else NULL with the answer
 * (404 without telling whether it exists, 500 if the database failed). */
static json_t *session_job(cloud_call *k) {
  json_t *job = visible_job(k->c, k->session, k->id);
  if (!job && cloud_db_failed(k->c->db))
    cloud_api_db_error(k->resp, "looking up the job");
  else if (!job)
    sr_http_reply_error(k->resp, 404, "not_found", "no job '%.64s' for this user", k->id);
  return job;
}

void cloud_panel_job(cloud_call *k) {
  json_t *job = session_job(k);
  if (!job)
    return;
  json_t *view = job_view(job);
  json_t *last = cloud_db_row(k->c->db,
                              "SELECT id, state, reason, transport, user_id AS released_by, "
                              "on_behalf_of, deliverer FROM releases WHERE "
                              "tenant = ? AND job = ? ORDER BY created_at DESC, rowid DESC",
                              "tt", cloud_row_text(job, "tenant"), cloud_row_text(job, "id"));
  if (last)
    json_object_set_new(view, "last_release", last);
  if (!last && cloud_db_failed(k->c->db)) {
    json_decref(view);
    cloud_api_db_error(k->resp, "reading the job's last release");
  } else {
    sr_http_reply_json(k->resp, 200, view);
  }
  json_decref(job);
}

void cloud_panel_job_remove(cloud_call *k) {
  json_t *job = session_job(k);
  if (!job)
    return;
  if (strcmp(cloud_row_text(job, "owner"), cloud_row_text(k->session, "user_id")) != 0)
    sr_http_reply_error(k->resp, 403, "not_owner", "only the job's owner can delete it");
  else if (strcmp(cloud_row_text(job, "state"), "held") != 0)
    sr_http_reply_error(k->resp, 409, "not_held", "the job is %s and cannot be deleted now",
                        cloud_row_text(job, "state"));
  else if (cloud_job_delete(k->c, cloud_row_text(job, "tenant"), cloud_row_text(job, "id"),
                            "deleted"))
    k->resp->status = 204;
  else /* a release started meanwhile */
    sr_http_reply_error(k->resp, 409, "not_held", "the job is being released");
  json_decref(job);
}
