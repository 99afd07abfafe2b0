/*
 * Web submissions (docs/storage.md, "Web submissions"). A browser encrypts
 * a document to the site's key and uploads the job file; the cloud, which
 * cannot open it, checks what it can without a key (the header) and the
 * tenant's limits, stores it where and as any job's cloud copy is stored
 * (copies.c), and records a job in state `checking` owned by the uploader,
 * with no workstation (origin 'web', scout ''). A site service of the
 * tenant is asked over MQTT ({"type":"check","job":ID} on its command
 * topic) to fetch the copy, open it with the site key and say what it is:
 * its pages, real format and title, or why it is refused. Only then is the
 * job `held` (with the hold time counted from then) or `failed` (its copy
 * deleted). Such a job is always printed by the site service (releases.c).
 *
 * Nothing half-uploaded stays: the HTTP server hands a body over only
 * once all of it arrived (a cut upload reaches no handler), the copy is
 * stored before its row is written, and a copy whose row cannot be written
 * is deleted again. Limits are answered from the request's head, before a
 * byte is written (cloud_upload_head), and again when the body is in:
 * upload_max_size (413 too_large) and upload_daily_bytes per user and UTC
 * day (429 daily_limit), reserved atomically before storing so two uploads
 * at once cannot both take the last bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cloud.h"
#include "db.h"
#include "jobfile.h"
#include "jobfile_format.h"
#include "log.h"

#define CHECK_AGAIN_SECONDS 30 /* a check no site answered is asked again */
#define TITLE_MAX 255

/* The job file's bytes around the document: header, the job information
 * record (at most SR_JOBFILE_MAX_INFO) and each chunk's record head and
 * tag, for the smallest chunk size a header may name. A body at most this
 * much larger than upload_max_size may hold a document of that size. */
static int64_t file_overhead(int64_t max_size) {
  int64_t per_record = SR_JF_RECORD_HEAD + SR_JF_TAG_LEN;
  return SR_JF2_HEADER_LEN + per_record + SR_JOBFILE_MAX_INFO +
         per_record * (max_size / SR_JOBFILE_MIN_CHUNK + 1);
}

static int64_t utc_day(int64_t t) { return t / 86400; }

/* Uploaded jobs one user may have waiting (being checked or held) at
 * once. A job file can be a few hundred bytes, so the daily bytes alone
 * would let one person make millions of jobs, each a stored object, a row
 * and a check for the site; the print scout's max_jobs_per_user is 200
 * too. */
#define MAX_WAITING_UPLOADS 200

typedef struct limits {
  int64_t max_size, daily, used, left, waiting;
} limits;

/* The tenant's limits and what `user_id` uploaded today; false (and a
 * 500 in resp) if the database failed. */
static bool read_limits(cloud *c, const char *tenant, const char *user_id, limits *l,
                        sr_http_response *resp) {
  json_t *max = cloud_setting(c, tenant, "upload_max_size");
  json_t *daily = cloud_setting(c, tenant, "upload_daily_bytes");
  l->max_size = json_integer_value(max);
  /* the cloud stores no job file over copy_max_size: the largest document
   * is what fits in one, whatever the tenant set (the page checks this) */
  int64_t cap = c->cfg.u.cloud.copy_max_size - file_overhead(c->cfg.u.cloud.copy_max_size);
  if (l->max_size > cap)
    l->max_size = cap;
  l->daily = json_integer_value(daily);
  json_decref(max);
  json_decref(daily);
  json_t *row = cloud_db_row(
      c->db, "SELECT bytes FROM upload_usage WHERE tenant = ? AND user_id = ? AND day = ?", "tti",
      tenant, user_id, utc_day(time(NULL)));
  l->used = cloud_row_int(row, "bytes");
  json_decref(row);
  bool failed = cloud_db_failed(c->db); /* the next query's success would clear it */
  row = cloud_db_row(c->db,
                     "SELECT (SELECT COUNT(*) FROM jobs WHERE tenant = ?1 AND owner = ?2 AND state "
                     "IN ('checking', 'held') AND origin = 'web') + (SELECT COUNT(*) FROM "
                     "part_uploads WHERE tenant = ?1 AND owner = ?2 AND state IN ('open', "
                     "'joining')) AS n",
                     "tt", tenant, user_id);
  l->waiting = cloud_row_int(row, "n");
  json_decref(row);
  if (failed || cloud_db_failed(c->db)) {
    cloud_api_db_error(resp, "reading the upload limits");
    return false;
  }
  l->left = l->daily > l->used ? l->daily - l->used : 0;
  return true;
}

static void reply_daily_limit(sr_http_response *resp, const limits *l) {
  int64_t now = time(NULL);
  char resets[32];
  cloud_rfc3339((utc_day(now) + 1) * 86400, resets);
  sr_http_reply_json(
      resp, 429,
      json_pack("{s:{s:s, s:s}, s:I, s:s}", "error", "code", "daily_limit", "message",
                l->left ? "this upload is larger than what is left of today's upload allowance"
                        : "today's upload allowance is used up; try again tomorrow (UTC)",
                "daily_left", (json_int_t)l->left, "resets_at", resets));
  resp->retry_after = (int)((utc_day(now) + 1) * 86400 - now);
}

/* Checks a body of `len` bytes against `l`; false with 413 or 429. */
static bool within_limits(const limits *l, size_t len, sr_http_response *resp) {
  if (l->waiting >= MAX_WAITING_UPLOADS) {
    sr_http_reply_json(
        resp, 429,
        json_pack("{s:{s:s, s:s}, s:i}", "error", "code", "too_many_waiting", "message",
                  "you already have as many uploaded jobs waiting as one person may; print or "
                  "delete some first",
                  "max_waiting", MAX_WAITING_UPLOADS));
    return false;
  }
  if ((int64_t)len > l->max_size + file_overhead(l->max_size)) {
    sr_http_reply_json(resp, 413,
                       json_pack("{s:{s:s, s:s}, s:I}", "error", "code", "too_large", "message",
                                 "the document is larger than this tenant's upload limit",
                                 "max_size", (json_int_t)l->max_size));
    return false;
  }
  if ((int64_t)len > l->left) {
    reply_daily_limit(resp, l);
    return false;
  }
  return true;
}

bool cloud_upload_head(cloud_call *k, const char *user_id) {
  limits l;
  return read_limits(k->c, k->tenant, user_id, &l, k->resp) &&
         within_limits(&l, k->req->body_len, k->resp);
}

void cloud_upload_limits(cloud_call *k, const char *user_id) {
  limits l;
  if (!read_limits(k->c, k->tenant, user_id, &l, k->resp))
    return;
  char resets[32];
  cloud_rfc3339((utc_day(time(NULL)) + 1) * 86400, resets);
  sr_http_reply_json(k->resp, 200,
                     json_pack("{s:I, s:I, s:I, s:s}", "max_size", (json_int_t)l.max_size,
                               "daily_bytes", (json_int_t)l.daily, "daily_left", (json_int_t)l.left,
                               "resets_at", resets));
}

/* Takes `bytes` of today's allowance of `user_id`, if that many are left:
 * 1 taken, 0 not (over the limit), -1 the database failed. One statement,
 * so two uploads at once cannot both take the last bytes. */
static int reserve(cloud *c, const char *tenant, const char *user_id, int64_t day, int64_t bytes,
                   int64_t daily) {
  if (bytes > daily)
    return 0;
  return cloud_db_run(c->db,
                      "INSERT INTO upload_usage(tenant, user_id, day, bytes) VALUES(?, ?, ?, ?) "
                      "ON CONFLICT(tenant, user_id, day) DO UPDATE SET bytes = "
                      "upload_usage.bytes + excluded.bytes WHERE upload_usage.bytes + "
                      "excluded.bytes <= ?",
                      "ttiii", tenant, user_id, day, bytes, daily);
}

void cloud_upload_unreserve(cloud *c, const char *tenant, const char *user_id, int64_t day,
                            int64_t bytes) {
  if (cloud_db_run(c->db,
                   "UPDATE upload_usage SET bytes = max(bytes - ?, 0) WHERE tenant = ? AND "
                   "user_id = ? AND day = ?",
                   "itti", bytes, tenant, user_id, day) < 0)
    sr_log(SR_LOG_ERROR, "uploads", "tenant %s: an upload that failed still counts for today",
           tenant);
}

/* ---- asking a site service to check ---- */

/* Asks an online site service of `tenant` to check upload `job_id` (the
 * one asked before, `asked` (may be NULL), while it is online: it may
 * still be at it; else one of the job's region first), and records which;
 * false if none is online (the sweep asks again). */
static bool ask_check(cloud *c, const char *tenant, const char *job_id, const char *region,
                      const char *asked) {
  json_t *site = cloud_db_row(c->db,
                              "SELECT id FROM scouts WHERE tenant = ? AND kind = 'site' AND "
                              "online = 1 ORDER BY (id IS NOT DISTINCT FROM ?) DESC, (region IS "
                              "NOT DISTINCT FROM ?) DESC, random() "
                              "LIMIT 1",
                              "ttt", tenant, asked, region);
  json_t *command = json_pack("{s:s, s:s}", "type", "check", "job", job_id);
  bool sent = site && cloud_broker_command(c, tenant, cloud_row_text(site, "id"), command);
  if (sent &&
      cloud_db_run(c->db,
                   "UPDATE jobs SET checker = ?, check_sent_at = ? WHERE tenant = ? AND id = ? "
                   "AND state = 'checking'",
                   "titt", cloud_row_text(site, "id"), (int64_t)time(NULL), tenant, job_id) < 0)
    sent = false;
  if (sent)
    sr_log(SR_LOG_INFO, "uploads", "tenant %s upload %s: site %s asked to check it", tenant, job_id,
           cloud_row_text(site, "id"));
  json_decref(command);
  json_decref(site);
  return sent;
}

bool cloud_upload_checker(const json_t *job, const char *scout) {
  return strcmp(cloud_row_text(job, "origin"), "web") == 0 &&
         strcmp(cloud_row_text(job, "state"), "checking") == 0 && *scout &&
         strcmp(cloud_row_text(job, "checker"), scout) == 0;
}

/* ---- intake ---- */

typedef struct intake {
  cloud *c;
  sr_http_exchange *x;
  char tenant[64], user[64], job[40], region[64];
  int64_t size, day;
  char file_id[2 * SR_JF_FILE_ID_LEN + 1];
  bool from_parts; /* the join of an upload in parts: reopened on failure */
} intake;

/* Intake failed: a one-body upload's bytes are given back; an upload in
 * parts stays reserved and open, to be completed again. */
static void intake_failed(intake *in) {
  if (in->from_parts)
    cloud_part_upload_settled(in->c, in->tenant, in->job, false);
  else
    cloud_upload_unreserve(in->c, in->tenant, in->user, in->day, in->size);
}

/* The copy is stored (or not): the job's row, then the answer. */
static void intake_stored(void *ctx, int status, const char *store, const char *key,
                          const char *region, const char *err) {
  intake *in = ctx;
  cloud *c = in->c;
  sr_http_response resp = {0};
  if (status != SR_OK) {
    sr_log(SR_LOG_ERROR, "uploads", "tenant %s upload %s: not stored: %s", in->tenant, in->job,
           err);
    intake_failed(in);
    resp.retry_after = 30;
    sr_http_reply_error(&resp, 503, "storage_unavailable",
                        "the cloud's storage failed; try again later");
    goto out;
  }
  const sr_region_config *r = cloud_region_named(c, region);
  int64_t now = time(NULL);
  int n = cloud_db_run(
      c->db,
      "INSERT INTO jobs(tenant, id, owner, scout, origin, title, copies, sides, color, size, "
      "submitted_at, state, updated_at, region, pseudonymise, copy_store, copy_key, copy_size, "
      "copy_region, copy_file_id) VALUES(?, ?, ?, '', 'web', '(checking)', 1, 'one-sided', "
      "'auto', ?, ?, 'checking', ?, ?, ?, ?, ?, ?, ?, ?)",
      "tttiiitittitt", in->tenant, in->job, in->user, in->size, now, now, region,
      (int64_t)(r && r->user == SR_USER_PSEUDONYM), store, key, in->size, region, in->file_id);
  if (n != 1) {
    cloud_copy_forget_stored(c, in->tenant, in->job, store, key);
    intake_failed(in);
    cloud_api_db_error(&resp, "recording the upload");
    goto out;
  }
  if (in->from_parts)
    cloud_part_upload_settled(c, in->tenant, in->job, true);
  sr_log(SR_LOG_INFO, "uploads", "tenant %s upload %s: %lld bytes stored (%s), waiting for a check",
         in->tenant, in->job, (long long)in->size, store);
  if (!ask_check(c, in->tenant, in->job, region, NULL))
    sr_log(SR_LOG_WARN, "uploads",
           "tenant %s upload %s: no site service is online to check it; asked again later",
           in->tenant, in->job);
  sr_http_reply_json(&resp, 201, json_pack("{s:s, s:s}", "id", in->job, "state", "checking"));
out:
  sr_http_finish(in->x, &resp);
  free(in);
}

/* The file id of the job file `fd` as hex; false if its header cannot be
 * read or is not a job file's of version 2 (why in resp, 400). Only
 * version 2 (to the site's public submission key) comes from a browser;
 * version 1 needs the site secret, and its zstd compression would let a
 * small upload decompress to far more at the site. */
bool cloud_upload_file_id(int fd, size_t len, char *hex, sr_http_response *resp) {
  uint8_t head[SR_JF2_HEADER_LEN];
  char why[160] = "the body is shorter than a job file's header";
  if (len < sizeof head || pread(fd, head, sizeof head, 0) != (ssize_t)sizeof head ||
      sr_jobfile_header_check(head, sizeof head, why, sizeof why) != SR_OK) {
    sr_http_reply_error(resp, 400, "not_a_job_file",
                        "the body is not a job file encrypted for this site: %s", why);
    return false;
  }
  size_t at = sr_jobfile_file_id_offset(head, sizeof head);
  if (sr_be16_get(head + SR_JF_MAGIC_LEN) != 2 || at == 0) {
    sr_http_reply_error(resp, 400, "not_a_job_file",
                        "the body is not a job file of version 2 (encrypted in the browser for "
                        "the site's submission key)");
    return false;
  }
  for (size_t i = 0; i < SR_JF_FILE_ID_LEN; i++)
    snprintf(hex + 2 * i, 3, "%02x", head[at + i]);
  return true;
}

bool cloud_upload_reserve(cloud_call *k, const char *user_id, int64_t size, int64_t *day) {
  limits l;
  *day = utc_day(time(NULL));
  if (!read_limits(k->c, k->tenant, user_id, &l, k->resp) ||
      !within_limits(&l, (size_t)size, k->resp))
    return false;
  /* the day recorded is the day counted, also across midnight */
  int reserved = reserve(k->c, k->tenant, user_id, *day, size, l.daily);
  if (reserved < 0) {
    cloud_api_db_error(k->resp, "counting the upload");
  } else if (reserved == 0) { /* another upload took the bytes meanwhile */
    if (read_limits(k->c, k->tenant, user_id, &l, k->resp))
      reply_daily_limit(k->resp, &l);
  }
  return reserved > 0;
}

void cloud_upload_take(cloud *c, sr_http_exchange *x, const char *tenant, const char *user_id,
                       const char *job_id, const char *region, int fd, int64_t size, int64_t day,
                       const char *file_id, bool from_parts) {
  char why[256];
  intake *in = calloc(1, sizeof *in);
  if (!in) {
    close(fd);
    if (from_parts)
      cloud_part_upload_settled(c, tenant, job_id, false);
    else
      cloud_upload_unreserve(c, tenant, user_id, day, size);
    sr_http_response resp = {0};
    sr_http_reply_error(&resp, 500, "no_memory", "out of memory");
    sr_http_finish(x, &resp);
    return;
  }
  *in = (intake){.c = c, .x = x, .size = size, .day = day, .from_parts = from_parts};
  snprintf(in->tenant, sizeof in->tenant, "%s", tenant);
  snprintf(in->user, sizeof in->user, "%s", user_id);
  snprintf(in->job, sizeof in->job, "%s", job_id);
  snprintf(in->region, sizeof in->region, "%s", region);
  snprintf(in->file_id, sizeof in->file_id, "%s", file_id);
  if (cloud_copy_store(c, tenant, job_id, *region ? region : NULL, fd, (size_t)size, intake_stored,
                       in, why, sizeof why))
    return;
  intake_failed(in);
  sr_http_response resp = {.retry_after = 5};
  sr_http_reply_error(&resp, 503, "no_storage", "%s", why);
  sr_http_finish(x, &resp);
  free(in);
}

void cloud_upload_intake(cloud_call *k, const char *user_id) {
  cloud *c = k->c;
  int fd = sr_http_take_body_file(k->req);
  int64_t size = (int64_t)k->req->body_len, day = 0;
  char file_id[2 * SR_JF_FILE_ID_LEN + 1], job[40];
  if (fd < 0) {
    sr_http_reply_error(k->resp, 400, "not_a_job_file",
                        "send the encrypted job file as the body (application/octet-stream)");
    return;
  }
  if (!cloud_upload_file_id(fd, k->req->body_len, file_id, k->resp) ||
      !cloud_upload_reserve(k, user_id, size, &day)) {
    close(fd);
    return;
  }
  const sr_region_config *r = cloud_region_resolve(c, k->tenant, user_id, NULL, NULL);
  sr_http_exchange *x = NULL;
  if (!r && c->cfg.u.cloud.n_regions > 0)
    cloud_api_db_error(k->resp, "choosing the upload's region");
  else if (!(x = sr_http_defer(k->req)))
    sr_http_reply_error(k->resp, 500, "no_memory", "out of memory");
  if (!x) {
    cloud_upload_unreserve(c, k->tenant, user_id, day, size);
    close(fd);
    return;
  }
  cloud_random_hex(job, 16);
  cloud_upload_take(c, x, k->tenant, user_id, job, r ? r->name : "", fd, size, day, file_id, false);
}

/* ---- the administrator's routes: on a user's behalf ---- */

/* The user {id} of the administrator's tenant, or NULL with a 404 (500). */
static json_t *path_user(cloud_call *k) {
  json_t *u = cloud_db_row(k->c->db, "SELECT id, email FROM users WHERE tenant = ? AND id = ?",
                           "tt", k->tenant, k->id);
  if (!u && cloud_db_failed(k->c->db))
    cloud_api_db_error(k->resp, "reading the user");
  else if (!u)
    sr_http_reply_error(k->resp, 404, "not_found", "no user %.64s in this tenant", k->id);
  return u;
}

bool cloud_admin_user_upload_head(cloud_call *k) {
  json_t *u = path_user(k);
  bool ok = u && cloud_upload_head(k, cloud_row_text(u, "id"));
  json_decref(u);
  return ok;
}

void cloud_admin_user_upload(cloud_call *k) {
  json_t *u = path_user(k);
  if (u) {
    cloud_upload_intake(k, cloud_row_text(u, "id"));
    if (sr_http_deferred(k->req)) /* taken: it is being stored */
      cloud_audit(k->c, k, "upload.add", cloud_row_text(u, "id"), NULL);
  }
  json_decref(u);
}

void cloud_admin_user_upload_limits(cloud_call *k) {
  json_t *u = path_user(k);
  if (u)
    cloud_upload_limits(k, cloud_row_text(u, "id"));
  json_decref(u);
}

/* The portal's own (CLOUD_USER: k->user is the session's user). */
void cloud_me_upload(cloud_call *k) { cloud_upload_intake(k, k->user); }
bool cloud_me_upload_head(cloud_call *k) { return cloud_upload_head(k, k->user); }
void cloud_me_upload_limits(cloud_call *k) { cloud_upload_limits(k, k->user); }

/* ---- the site's verdict ---- */

/* Upload `job`'s title `title` as its region keeps titles (regions.c), as
 * for any job, into `out` (TITLE_MAX + 1 bytes); false if it is not kept. */
static bool keep_title(cloud *c, const char *tenant, const json_t *job, const char *title,
                       char *out) {
  const char *region = cloud_row_text(job, "region");
  bool kept = true;
  if (!*region)
    snprintf(out, TITLE_MAX + 1, "%s", title);
  else if (!cloud_region_title(c, tenant, region, title, out, TITLE_MAX + 1, &kept)) {
    out[0] = '\0';
    kept = false;
  }
  return kept;
}

static bool format_ok(const char *f) {
  return f && (strcmp(f, "application/pdf") == 0 || strcmp(f, "image/jpeg") == 0 ||
               strcmp(f, "image/png") == 0);
}

void cloud_site_upload_checked(cloud_call *k) {
  cloud *c = k->c;
  const char *tenant = cloud_row_text(k->scout, "tenant"), *site = cloud_row_text(k->scout, "id");
  json_t *body = cloud_api_body(k->req, k->resp, k->fields), *job = NULL;
  if (!body)
    return;
  json_t *refused = json_object_get(body, "refused"), *pages = json_object_get(body, "pages");
  const char *format = json_string_value(json_object_get(body, "format"));
  json_t *title = json_object_get(body, "title");
  job = cloud_db_row(c->db, "SELECT * FROM jobs WHERE tenant = ? AND id = ? AND origin = 'web'",
                     "tt", tenant, k->id);
  int64_t now = time(NULL);
  if (!job && cloud_db_failed(c->db)) {
    cloud_api_db_error(k->resp, "reading the upload");
  } else if (!job || !cloud_upload_checker(job, site)) {
    /* another site's, one already checked, or none: nothing to tell */
    sr_http_reply_error(k->resp, job ? 409 : 404, job ? "not_checking" : "not_found",
                        "upload %.64s is not being checked by this site", k->id);
  } else if (refused && (!cloud_text_field_ok(refused, 200) ||
                         (title && !cloud_text_field_ok(title, TITLE_MAX)))) {
    sr_http_reply_error(k->resp, 400, "invalid",
                        "'refused' is a reason of at most 200 bytes, with the upload's 'title' "
                        "(at most 255 bytes) if the site could read it");
  } else if (refused) {
    /* the title the site read names the refused upload in the user's list;
     * a file the site could not open has none */
    char kept_title[TITLE_MAX + 1] = "(could not be opened)";
    bool kept = !title || keep_title(c, tenant, job, json_string_value(title), kept_title);
    if (cloud_db_run(c->db,
                     "UPDATE jobs SET state = 'failed', reason = ?, title = ?, title_kept = ?, "
                     "updated_at = ? WHERE tenant = ? AND id = ? AND state = 'checking'",
                     "ttiitt", json_string_value(refused), kept_title, (int64_t)kept, now, tenant,
                     k->id) != 1) {
      cloud_api_db_error(k->resp, "recording the refusal");
    } else {
      cloud_copy_discard(c, tenant, k->id);
      sr_log(SR_LOG_INFO, "uploads", "tenant %s upload %s: refused by site %s", tenant, k->id,
             site);
      sr_http_reply_json(k->resp, 200, json_pack("{s:s, s:s}", "id", k->id, "state", "failed"));
    }
  } else if (!format_ok(format) || !cloud_count_field_ok(pages, 100000) ||
             json_integer_value(pages) < 1 || !cloud_text_field_ok(title, TITLE_MAX)) {
    sr_http_reply_error(k->resp, 400, "invalid",
                        "send 'refused', or 'pages' (1 or more), 'format' (application/pdf, "
                        "image/jpeg or image/png) and 'title' (at most 255 bytes)");
  } else {
    char kept_title[TITLE_MAX + 1];
    bool kept = keep_title(c, tenant, job, json_string_value(title), kept_title);
    int64_t expires_at, warn_at;
    cloud_job_expiry(c, tenant, now, &expires_at, &warn_at);
    if (cloud_db_run(c->db,
                     "UPDATE jobs SET state = 'held', pages = ?, format = ?, title = ?, title_kept "
                     "= ?, expires_at = ?, warn_at = ?, updated_at = ? WHERE tenant = ? AND id = "
                     "? AND state = 'checking'",
                     "ittiiiitt", json_integer_value(pages), format, kept_title, (int64_t)kept,
                     expires_at, warn_at ? warn_at : (int64_t)0, now, tenant, k->id) != 1) {
      cloud_api_db_error(k->resp, "recording the check");
    } else {
      if (!warn_at)
        cloud_db_run(c->db, "UPDATE jobs SET warn_at = NULL WHERE tenant = ? AND id = ?", "tt",
                     tenant, k->id);
      sr_log(SR_LOG_INFO, "uploads", "tenant %s upload %s: checked by site %s, held (%lld pages)",
             tenant, k->id, site, (long long)json_integer_value(pages));
      sr_http_reply_json(k->resp, 200, json_pack("{s:s, s:s}", "id", k->id, "state", "held"));
    }
  }
  json_decref(job);
  json_decref(body);
}

/* ---- the sweep ---- */

void cloud_uploads_sweep(cloud *c) {
  int64_t now = time(NULL);
  static int64_t usage_swept; /* past days' counts, once an hour: only today's count */
  if (now - usage_swept >= 3600 &&
      cloud_db_run(c->db, "DELETE FROM upload_usage WHERE day < ?", "i", utc_day(now)) >= 0)
    usage_swept = now;
  json_t *waiting =
      cloud_db_rows(c->db,
                    "SELECT tenant, id, region, checker, submitted_at FROM jobs WHERE "
                    "state "
                    "= 'checking' AND (check_sent_at IS NULL OR check_sent_at < ?) "
                    "LIMIT 64",
                    "i", now - CHECK_AGAIN_SECONDS);
  size_t i;
  json_t *row;
  json_array_foreach(waiting, i, row) {
    const char *tenant = cloud_row_text(row, "tenant"), *id = cloud_row_text(row, "id");
    if (cloud_row_int(row, "submitted_at") + cloud_setting_seconds(c, tenant, "hold_time") < now) {
      /* no site checked it within the hold time: it ends; the copies'
       * sweep deletes its file */
      if (cloud_db_run(c->db,
                       "UPDATE jobs SET state = 'failed', reason = ?, updated_at = ? WHERE "
                       "tenant = ? AND id = ? AND state = 'checking'",
                       "titt",
                       "no site service checked the upload within the hold time; upload it again",
                       now, tenant, id) == 1)
        sr_log(SR_LOG_WARN, "uploads", "tenant %s upload %s: never checked; failed", tenant, id);
      continue;
    }
    if (!ask_check(c, tenant, id, cloud_row_text(row, "region"), cloud_row_text(row, "checker")))
      cloud_db_run(c->db, "UPDATE jobs SET check_sent_at = ? WHERE tenant = ? AND id = ?", "itt",
                   now, tenant, id);
  }
  json_decref(waiting);
  cloud_part_uploads_sweep(c);
}
