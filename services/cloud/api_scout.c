/* What print scouts tell the cloud over mutual TLS: a job was held (its
 * metadata, a few hundred bytes; never the document) or deleted at the
 * workstation. The owner is the user the scout is registered to, from the
 * cloud's own records, never from the request. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cloud.h"
#include "db.h"
#include "log.h"

static bool job_id_ok(const char *s) {
  size_t n = s ? strlen(s) : 0;
  if (n == 0 || n > 40)
    return false;
  for (; *s; s++)
    if (!isxdigit((unsigned char)*s) || isupper((unsigned char)*s))
      return false;
  return true;
}

static bool one_of(const char *s, const char *const *choices) {
  for (size_t i = 0; s && choices[i]; i++)
    if (strcmp(s, choices[i]) == 0)
      return true;
  return false;
}

/* The answer to an announcement: the job's state and what the scout does
 * with its copy (the tenant's cloud_copy and copy_after settings, and
 * whether the cloud has its copy already). */
/* Adds to `answer` (job_answer's, taken) what the scout needs for the
 * job's cloud copy. */
static json_t *announce_answer(cloud *c, const char *tenant, const char *id, json_t *answer) {
  json_object_set_new(answer, "cloud_copy", cloud_setting(c, tenant, "cloud_copy"));
  json_object_set_new(answer, "copy_after",
                      json_integer(cloud_setting_seconds(c, tenant, "copy_after")));
  /* a restarted scout need not upload again what is stored */
  json_t *row = cloud_db_row(c->db, "SELECT copy_key FROM jobs WHERE tenant = ? AND id = ?", "tt",
                             tenant, id);
  json_object_set_new(answer, "copy_stored",
                      json_boolean(row && !json_is_null(json_object_get(row, "copy_key"))));
  json_decref(row);
  return answer;
}

static const char *const sides_values[] = {"one-sided", "two-sided-long-edge",
                                           "two-sided-short-edge", NULL};
static const char *const color_values[] = {"color", "monochrome", "auto", NULL};

/* The answer to an announcement: the job's state in the cloud and when it
 * expires, also as seconds from now, which the scout adds to its own
 * clock (a workstation's clock may be off by hours). */
static json_t *job_answer(const char *id, const char *state, int64_t expires_at, int64_t now) {
  char when[32];
  cloud_rfc3339(expires_at, when);
  return json_pack("{s:s, s:s, s:s, s:I}", "id", id, "state", state, "expires_at", when,
                   "expires_in", (json_int_t)(expires_at - now));
}

/* Where a job of `owner_id` announced by print scout `scout` goes, and
 * what the cloud keeps of it there: {region (null without regions), title
 * (as kept), source (which assignment applied), title_kept, pseudonymise}. The site that applies is
 * the one the print scout belongs to (scouts.site), if any. NULL if the database failed. Caller
 * decrefs. */
static json_t *job_placement(cloud *c, const char *tenant, const char *owner_id,
                             const json_t *scout, const char *title) {
  const char *site = cloud_row_text(scout, "site");
  const char *source = "none";
  const sr_region_config *r =
      cloud_region_resolve(c, tenant, owner_id, *site ? site : NULL, &source);
  if (!r && c->cfg.u.cloud.n_regions > 0) /* with regions, only a database failure gives none */
    return NULL;
  char kept_title[256];
  bool kept = true;
  if (r && !cloud_region_title(c, tenant, r->name, title, kept_title, sizeof kept_title, &kept)) {
    /* never the title where the region says not to keep it */
    sr_log(SR_LOG_ERROR, "jobs", "tenant %s: region %s: no key to hash titles with; dropped",
           tenant, r->name);
    kept_title[0] = '\0';
    kept = false;
  }
  return json_pack("{s:s?, s:s, s:s, s:i, s:i}", "region", r ? r->name : NULL, "source", source,
                   "title", r ? kept_title : title, "title_kept", (int)kept, "pseudonymise",
                   (int)(r && r->user == SR_USER_PSEUDONYM));
}

void cloud_scout_job_add(cloud_call *k) {
  cloud *c = k->c;
  json_t *scout = k->scout;
  sr_http_response *resp = k->resp;
  json_t *body = cloud_api_body(k->req, resp, k->fields);
  if (!body)
    return;
  const char *id = json_string_value(json_object_get(body, "id"));
  const char *title = json_string_value(json_object_get(body, "title"));
  const char *sides = json_string_value(json_object_get(body, "sides"));
  const char *color = json_string_value(json_object_get(body, "color"));
  const char *format = json_string_value(json_object_get(body, "format"));
  json_t *pages = json_object_get(body, "pages"), *copies = json_object_get(body, "copies");
  json_t *size = json_object_get(body, "size"), *submitted = json_object_get(body, "submitted_at");
  json_t *sequence = json_object_get(body, "sequence");
  const char *tenant = cloud_row_text(scout, "tenant");
  const char *owner_email = json_string_value(json_object_get(body, "owner_email"));
  json_t *pin_hash = json_object_get(body, "pin_hash");
  json_t *owner = NULL, *placed = NULL;
  int64_t submitted_at;
  /* a directory workstation names each job's owner by its login's entry;
   * any other scout's jobs belong to its registered user */
  if (owner_email && cloud_row_int(scout, "directory") != 1)
    sr_http_reply_error(resp, 403, "forbidden",
                        "only a scout enrolled for directory logins may name a job's owner");
  else if (owner_email && !(owner = cloud_directory_user(c, tenant, owner_email, NULL)) &&
           cloud_db_failed(c->db))
    cloud_api_db_error(resp, "looking up the job's owner");
  else if (owner_email && !owner)
    sr_http_reply_error(resp, 400, "invalid", "'owner_email' is not an email address");
  else if (!owner_email && !*cloud_row_text(scout, "user_id"))
    sr_http_reply_error(resp, 409, "not_registered",
                        "this workstation has no user yet: run sr-print-scout register");
  else if (!job_id_ok(id))
    sr_http_reply_error(resp, 400, "invalid", "'id' is the job's id (lower-case hex)");
  else if (!title || strlen(title) > 255)
    sr_http_reply_error(resp, 400, "invalid", "'title' is text of at most 255 bytes");
  else if (pages && !json_is_null(pages) &&
           (!json_is_integer(pages) || json_integer_value(pages) < 0))
    sr_http_reply_error(resp, 400, "invalid", "'pages' is a count or null (unknown)");
  else if (!json_is_integer(copies) || json_integer_value(copies) < 1 ||
           json_integer_value(copies) > 999)
    sr_http_reply_error(resp, 400, "invalid", "'copies' is 1 to 999");
  else if (!one_of(sides, sides_values) || !one_of(color, color_values))
    sr_http_reply_error(resp, 400, "invalid", "'sides' or 'color' has an unknown value");
  else if (!json_is_integer(submitted))
    sr_http_reply_error(resp, 400, "invalid", "'submitted_at' is a Unix time");
  else if (sequence && (!json_is_integer(sequence) || json_integer_value(sequence) < 0))
    sr_http_reply_error(resp, 400, "invalid", "'sequence' is a count (0 or more)");
  else if (pin_hash && !cloud_is_site_hash(json_string_value(pin_hash)))
    sr_http_reply_error(resp, 400, "invalid",
                        "'pin_hash' is 64 lower-case hex digits (the PIN's keyed hash, made at "
                        "the site)");
  /* a workstation's clock may be off by some hours; a year-old job would
   * have expired long since (job_expiry is at most a year) */
  else if (!cloud_time_field(submitted, "submitted_at", (int64_t)time(NULL) - 366 * 86400,
                             (int64_t)time(NULL) + 86400, &submitted_at, resp))
    ; /* answered */
  else if (!(placed = job_placement(
                 c, tenant, owner ? cloud_row_text(owner, "id") : cloud_row_text(scout, "user_id"),
                 scout, title)))
    cloud_api_db_error(resp, "choosing the job's region");
  else {
    int64_t now = time(NULL), expires_at, warn_at;
    cloud_job_expiry(c, tenant, submitted_at, &expires_at, &warn_at);
    int n = cloud_db_run(
        c->db,
        "INSERT INTO jobs(tenant, id, owner, scout, title, pages, copies, sides, color, format, "
        "size, submitted_at, sequence, pin_hash, expires_at, state, updated_at, region, "
        "title_kept, pseudonymise) VALUES(?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'held', "
        "?, ?, ?, ?) ON CONFLICT(tenant, id) DO NOTHING",
        "tttttitttiiitiitii", tenant, id,
        owner ? cloud_row_text(owner, "id") : cloud_row_text(scout, "user_id"),
        cloud_row_text(scout, "id"), cloud_row_text(placed, "title"), json_integer_value(copies),
        sides, color, format, json_is_integer(size) ? json_integer_value(size) : 0, submitted_at,
        sequence ? json_integer_value(sequence) : 0, json_string_value(pin_hash), expires_at, now,
        json_string_value(json_object_get(placed, "region")), cloud_row_int(placed, "title_kept"),
        cloud_row_int(placed, "pseudonymise"));
    if (n == 1 && json_is_integer(pages) &&
        cloud_db_run(c->db, "UPDATE jobs SET pages = ? WHERE tenant = ? AND id = ?", "itt",
                     json_integer_value(pages), tenant, id) != 1)
      n = -1;
    if (n == 1 && warn_at &&
        cloud_db_run(c->db, "UPDATE jobs SET warn_at = ? WHERE tenant = ? AND id = ?", "itt",
                     warn_at, tenant, id) != 1)
      n = -1;
    if (n == 1) {
      sr_log(SR_LOG_INFO, "jobs", "tenant %s: job %s held at scout %s, region %s (%s)", tenant, id,
             cloud_row_text(scout, "id"), cloud_row_text(placed, "region"),
             cloud_row_text(placed, "source"));
      sr_http_reply_json(resp, 201,
                         announce_answer(c, tenant, id, job_answer(id, "held", expires_at, now)));
    } else if (n == 0) { /* sent again (a retry): the same job is fine */
      json_t *row = cloud_db_row(
          c->db, "SELECT scout, state, expires_at FROM jobs WHERE tenant = ? AND id = ?", "tt",
          tenant, id);
      if (!row && cloud_db_failed(c->db))
        cloud_api_db_error(resp, "reading the job");
      else if (row && strcmp(cloud_row_text(row, "scout"), cloud_row_text(scout, "id")) == 0)
        sr_http_reply_json(
            resp, 200,
            announce_answer(c, tenant, id,
                            job_answer(id, cloud_row_text(row, "state"),
                                       json_is_integer(json_object_get(row, "expires_at"))
                                           ? cloud_row_int(row, "expires_at")
                                           : expires_at,
                                       now)));
      else
        sr_http_reply_error(resp, 409, "exists", "job %s belongs to another scout", id);
      json_decref(row);
    } else {
      cloud_api_db_error(resp, "storing the job");
    }
  }
  json_decref(placed);
  json_decref(owner);
  json_decref(body);
}

void cloud_scout_job_remove(cloud_call *k) {
  cloud *c = k->c;
  json_t *scout = k->scout;
  const char *id = k->id;
  sr_http_response *resp = k->resp;
  const char *tenant = cloud_row_text(scout, "tenant");
  int n = cloud_db_run(c->db,
                       "UPDATE jobs SET state = 'deleted', reason = 'deleted at the workstation', "
                       "updated_at = ? WHERE tenant = ? AND id = ? AND scout = ? AND state IN "
                       "('held', 'releasing')",
                       "ittt", (int64_t)time(NULL), tenant, id, cloud_row_text(scout, "id"));
  if (n == 1) {
    cloud_copy_discard(c, tenant, id); /* its cloud copy goes with it */
    resp->status = 204;
  } else if (n < 0) {
    cloud_api_db_error(resp, "deleting the job");
  } else {
    sr_http_reply_error(resp, 404, "not_found", "no held job %.64s from this scout", id);
  }
}

/* The scout's user gets a new passcode (hashed at the workstation with the
 * site secret; shown there once). */
void cloud_scout_passcode(cloud_call *k) {
  cloud *c = k->c;
  json_t *scout = k->scout;
  sr_http_response *resp = k->resp;
  json_t *body = cloud_api_body(k->req, resp, k->fields);
  if (!body)
    return;
  const char *hash = json_string_value(json_object_get(body, "passcode_hash"));
  if (!*cloud_row_text(scout, "user_id")) {
    sr_http_reply_error(resp, 409, "not_registered",
                        "this workstation has no user yet: run sr-print-scout register");
  } else if (!hash || strlen(hash) != 64 || strspn(hash, "0123456789abcdef") != 64) {
    sr_http_reply_error(resp, 400, "invalid", "'passcode_hash' is 64 lower-case hex digits");
  } else {
    int n =
        cloud_db_run(c->db, "UPDATE users SET passcode_hash = ? WHERE tenant = ? AND id = ?", "ttt",
                     hash, cloud_row_text(scout, "tenant"), cloud_row_text(scout, "user_id"));
    if (n == 1) {
      sr_log(SR_LOG_INFO, "jobs", "tenant %s: user %s has a new passcode",
             cloud_row_text(scout, "tenant"), cloud_row_text(scout, "user_id"));
      resp->status = 204;
    } else if (n == -1) {
      cloud_api_db_error(resp, "storing the passcode");
    } else { /* the same passcode as someone else's (the UNIQUE index): pick another */
      sr_http_reply_error(resp, 409, "taken", "choose another passcode");
    }
  }
  json_decref(body);
}

/* Registration flows live in api_register.c, which parses its own bodies
 * (the same fields as the route table's). */
void cloud_scout_register(cloud_call *k) {
  cloud_api_register(k->c, k->scout, k->req, k->resp, "");
}

void cloud_scout_register_complete(cloud_call *k) {
  cloud_api_register(k->c, k->scout, k->req, k->resp, "/complete");
}
