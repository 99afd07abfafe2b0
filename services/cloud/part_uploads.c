/*
 * A web upload in parts (docs/storage.md, "Web submissions"). A browser
 * cannot stream one request's body over HTTP/1.1, so an upload sent as one
 * body must first be whole in the page: its memory grows with the
 * document. In parts, the page seals 8 MiB of job file, sends it, and
 * forgets it:
 *
 *   POST   /api/v1/me/part-uploads {size}      -> 201 {id, part_size, parts}
 *   PUT    /api/v1/me/part-uploads/{id}?part=N (each part, any order, again
 *                                               if it failed)
 *   POST   /api/v1/me/part-uploads/{id}/complete -> 201 {id, state: checking}
 *   DELETE /api/v1/me/part-uploads/{id}        (cancelled)
 *
 * The limits are those of a one-body upload, checked and the bytes
 * reserved at the start, from the declared size; every part's size is
 * then fixed. Parts are objects in the storage of the user's region (key
 * TENANT/ID.part-N), so any cloud instance may take any part; what an
 * upload is doing is its row in part_uploads (state open, joining, done
 * or dropped). On complete, one instance claims the row (open -> joining,
 * in the database), joins the parts in order into an unlinked file, checks
 * it as a one-body upload is checked, and hands it to the same intake
 * (uploads.c): the job's id is the upload's, and the upload is done only
 * once the job is recorded (open again if that failed). Each part sent is
 * a row of part_upload_parts, counted before it is stored: complete is
 * refused without reading storage while one is missing, a part may be sent
 * PART_SENDS_MAX times, and an upload that ends without a job gives back
 * only the bytes never sent.
 * Nothing half-uploaded stays: an upload not completed within
 * PART_UPLOAD_TTL is dropped, a part stored after its upload ended is
 * deleted, and the sweep deletes the parts of every done or dropped
 * upload, then its rows.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cloud.h"
#include "db.h"
#include "jobfile_format.h"
#include "jobfile_stream.h"
#include "log.h"
#include "storage_client.h"
#include "temp_file.h"

#define PART_SIZE ((int64_t)8 * 1024 * 1024)
#define PART_UPLOAD_TTL 3600 /* seconds to finish an upload */
#define PART_SWEEP_AGAIN 60  /* a deletion of parts not confirmed is tried again */
#define PART_SWEEP_BATCH 8   /* deletions of parts the sweep starts at once */
#define PART_SENDS_MAX 3     /* times one part may be sent: a retry, not a loop */

/* ---- work on the pool ---- */

typedef enum { PARTS_PUT, PARTS_JOIN, PARTS_REMOVE, PARTS_DROP_ONE } parts_op;

typedef struct parts_work {
  cloud *c;
  parts_op op;
  sr_http_exchange *x; /* PUT, JOIN: the call answered when done */
  sr_instance *store;
  char tenant[64], id[40], owner[64], region[64];
  char key[SR_STORAGE_KEY_MAX];   /* the job's copy key; a part's is KEY.part-N */
  int64_t size, day, parts, part; /* PUT, DROP_ONE: `part`; JOIN: the missing one */
  int fd;                         /* PUT: the part; JOIN: the joined file */
  int status;
  char err[1024];
} parts_work;

static void part_key(const parts_work *w, int64_t n, char *out, size_t out_size) {
  snprintf(out, out_size, "%s.part-%" PRId64, w->key, n);
}

static void parts_work_free(parts_work *w) {
  if (w->fd >= 0)
    close(w->fd);
  free(w);
}

static void run_parts_op(void *arg) {
  parts_work *w = arg;
  char key[SR_STORAGE_KEY_MAX + 32];
  switch (w->op) {
  case PARTS_PUT:
    part_key(w, w->part, key, sizeof key);
    w->status = sr_store_put(w->store, key, sr_fd_read, &w->fd, w->err, sizeof w->err);
    break;
  case PARTS_JOIN:
    w->status = SR_OK;
    for (int64_t n = 0; n < w->parts && w->status == SR_OK; n++) {
      part_key(w, n, key, sizeof key);
      w->status = sr_store_get(w->store, key, sr_fd_write, &w->fd, w->err, sizeof w->err);
      w->part = n;
    }
    if (w->status == SR_OK && lseek(w->fd, 0, SEEK_SET) != 0) {
      w->status = SR_ERR_IO;
      snprintf(w->err, sizeof w->err, "rewinding the joined upload failed");
    }
    break;
  case PARTS_DROP_ONE:
    part_key(w, w->part, key, sizeof key);
    w->status = sr_store_remove(w->store, key, w->err, sizeof w->err);
    break;
  case PARTS_REMOVE:
    w->status = SR_OK;
    for (int64_t n = 0; n < w->parts; n++) {
      part_key(w, n, key, sizeof key);
      int s = sr_store_remove(w->store, key, w->err, sizeof w->err);
      if (s != SR_OK && s != SR_ERR_NOT_FOUND) /* gone already is what is wanted */
        w->status = s;
    }
    break;
  }
}

/* A work item for upload `row` (a part_uploads row), or NULL (why in
 * `why`) if out of memory or the cloud has no storage for its region. */
static parts_work *parts_work_new(cloud *c, parts_op op, const json_t *row, char *why,
                                  size_t why_size) {
  parts_work *w = calloc(1, sizeof *w);
  if (!w) {
    snprintf(why, why_size, "out of memory");
    return NULL;
  }
  *w = (parts_work){.c = c, .op = op, .fd = -1};
  snprintf(w->tenant, sizeof w->tenant, "%s", cloud_row_text(row, "tenant"));
  snprintf(w->id, sizeof w->id, "%s", cloud_row_text(row, "id"));
  snprintf(w->owner, sizeof w->owner, "%s", cloud_row_text(row, "owner"));
  snprintf(w->region, sizeof w->region, "%s", cloud_row_text(row, "region"));
  w->size = cloud_row_int(row, "size");
  w->day = cloud_row_int(row, "day");
  w->parts = cloud_row_int(row, "parts");
  w->store = cloud_copy_place(c, w->tenant, w->id, w->region, w->key, sizeof w->key, why, why_size);
  if (!w->store) {
    free(w);
    return NULL;
  }
  return w;
}

/* Defers call `k` and hands `w` to the pool; the answer is done's. */
static void start_parts_op(cloud_call *k, parts_work *w, sr_done_fn done) {
  if (!(w->x = sr_http_defer(k->req))) {
    if (w->op == PARTS_JOIN)
      cloud_part_upload_settled(w->c, w->tenant, w->id, false);
    sr_http_reply_error(k->resp, 500, "no_memory", "out of memory");
    parts_work_free(w);
    return;
  }
  if (k->c->pool && sr_worker_pool_submit(k->c->pool, run_parts_op, done, w) == SR_OK)
    return;
  if (w->op == PARTS_JOIN) /* claimed: given up, so that it can be completed again */
    cloud_part_upload_settled(w->c, w->tenant, w->id, false);
  sr_http_response resp = {.retry_after = 5};
  sr_http_reply_error(&resp, 503, "busy", "the cloud is busy; try again shortly");
  sr_http_finish(w->x, &resp);
  parts_work_free(w);
}

/* ---- the calls ---- */

/* The caller's upload {id} (k->id) in state `state`, or NULL with the
 * answer in k->resp: 404 if the user has none of that id (another user's
 * is as unknown as none), 409 if it is in another state. */
static json_t *my_upload(cloud_call *k, const char *state) {
  json_t *row =
      cloud_db_row(k->c->db, "SELECT * FROM part_uploads WHERE tenant = ? AND id = ? AND owner = ?",
                   "ttt", k->tenant, k->id, k->user);
  if (!row && cloud_db_failed(k->c->db))
    cloud_api_db_error(k->resp, "reading the upload");
  else if (!row || strcmp(cloud_row_text(row, "state"), "dropped") == 0)
    sr_http_reply_error(k->resp, 404, "not_found",
                        "no upload %.64s of yours in progress (an upload not completed within "
                        "an hour is dropped: start again)",
                        k->id);
  else if (strcmp(cloud_row_text(row, "state"), state) != 0)
    sr_http_reply_error(k->resp, 409, "not_open", "upload %.64s is already %s", k->id,
                        strcmp(cloud_row_text(row, "state"), "joining") == 0 ? "being completed"
                                                                             : "complete");
  else
    return row;
  json_decref(row);
  return NULL;
}

/* The parts of upload `id` recorded as stored: their number and the bytes
 * they hold (of an upload of `size` bytes in `parts`), and the first not
 * stored (`parts` if none is missing); false if the database failed. */
static bool stored_parts(cloud *c, const char *tenant, const char *id, int64_t size, int64_t parts,
                         int64_t *count, int64_t *bytes, int64_t *missing) {
  json_t *rows = cloud_db_rows(c->db,
                               "SELECT part FROM part_upload_parts WHERE tenant = ? AND id = ? "
                               "ORDER BY part",
                               "tt", tenant, id);
  if (!rows)
    return false;
  size_t i;
  json_t *row;
  *count = *bytes = 0;
  *missing = parts;
  json_array_foreach(rows, i, row) {
    int64_t n = cloud_row_int(row, "part");
    if (n != *count && *missing == parts)
      *missing = *count;
    (*count)++;
    *bytes += n < parts - 1 ? PART_SIZE : size - PART_SIZE * (parts - 1);
  }
  if (*count < parts && *missing == parts)
    *missing = *count;
  json_decref(rows);
  return true;
}

/* Upload `row` ended without a job: today's allowance gets back the bytes
 * never stored. Those stored stay counted: a user who starts, sends and
 * cancels again and again writes no more a day than one who completes. */
static void give_back_unsent(cloud *c, const json_t *row) {
  const char *tenant = cloud_row_text(row, "tenant"), *id = cloud_row_text(row, "id");
  int64_t size = cloud_row_int(row, "size"), count, bytes, missing;
  if (!stored_parts(c, tenant, id, size, cloud_row_int(row, "parts"), &count, &bytes, &missing))
    bytes = 0; /* unknown: give all back rather than keep what may not be owed */
  cloud_upload_unreserve(c, tenant, cloud_row_text(row, "owner"), cloud_row_int(row, "day"),
                         size - bytes);
}

void cloud_me_part_upload_start(cloud_call *k) {
  cloud *c = k->c;
  json_t *body = cloud_api_body(k->req, k->resp, k->fields);
  if (!body)
    return;
  json_t *size_v = json_object_get(body, "size");
  int64_t size = json_integer_value(size_v), day = 0;
  char id[40], key[SR_STORAGE_KEY_MAX], why[256];
  const sr_region_config *r = NULL;
  if (!json_is_integer(size_v) || size < SR_JF2_HEADER_LEN) {
    sr_http_reply_error(k->resp, 400, "invalid",
                        "'size' is the job file's size in bytes (at least %d)", SR_JF2_HEADER_LEN);
    goto out;
  }
  if (size > c->cfg.u.cloud.copy_max_size) {
    /* the most a one-body upload could send: the cloud's spool bound */
    sr_http_reply_error(k->resp, 413, "too_large",
                        "the encrypted file is %" PRId64 " bytes; this cloud takes at most %" PRId64
                        " bytes in one upload",
                        size, c->cfg.u.cloud.copy_max_size);
    goto out;
  }
  r = cloud_region_resolve(c, k->tenant, k->user, NULL, NULL);
  if (!r && c->cfg.u.cloud.n_regions > 0) {
    cloud_api_db_error(k->resp, "choosing the upload's region");
    goto out;
  }
  cloud_random_hex(id, 16);
  if (!cloud_copy_place(c, k->tenant, id, r ? r->name : "", key, sizeof key, why, sizeof why)) {
    k->resp->retry_after = 5;
    sr_http_reply_error(k->resp, 503, "no_storage", "%s", why);
    goto out;
  }
  if (!cloud_upload_reserve(k, k->user, size, &day))
    goto out;
  int64_t parts = (size + PART_SIZE - 1) / PART_SIZE, now = time(NULL);
  if (cloud_db_run(c->db,
                   "INSERT INTO part_uploads(tenant, id, owner, size, parts, region, day, state, "
                   "created_at) VALUES(?, ?, ?, ?, ?, ?, ?, 'open', ?)",
                   "tttiitii", k->tenant, id, k->user, size, parts, r ? r->name : "", day,
                   now) != 1) {
    cloud_upload_unreserve(c, k->tenant, k->user, day, size);
    cloud_api_db_error(k->resp, "recording the upload");
    goto out;
  }
  char expires[32];
  cloud_rfc3339(now + PART_UPLOAD_TTL, expires);
  sr_log(SR_LOG_INFO, "uploads", "tenant %s upload %s: %" PRId64 " bytes in %" PRId64 " parts",
         k->tenant, id, size, parts);
  sr_http_reply_json(k->resp, 201,
                     json_pack("{s:s, s:I, s:I, s:s}", "id", id, "part_size", (json_int_t)PART_SIZE,
                               "parts", (json_int_t)parts, "expires_at", expires));
out:
  json_decref(body);
}

/* Part `n` of upload `row` from the query (?part=N), and the size it must
 * have; false with a 400 in k->resp. */
static bool part_of(cloud_call *k, const json_t *row, int64_t *n, int64_t *len) {
  char text[24];
  char *end = NULL;
  int64_t parts = cloud_row_int(row, "parts"), size = cloud_row_int(row, "size");
  long long v = -1;
  if (cloud_query_param(k->req->query, "part", text, sizeof text) && text[0] >= '0' &&
      text[0] <= '9')
    v = strtoll(text, &end, 10);
  if (v < 0 || !end || *end || v >= parts) {
    sr_http_reply_error(k->resp, 400, "invalid",
                        "say which part this is: ?part=N, from 0 to %" PRId64, parts - 1);
    return false;
  }
  *n = v;
  *len = v < parts - 1 ? PART_SIZE : size - PART_SIZE * (parts - 1);
  if ((int64_t)k->req->body_len != *len) {
    sr_http_reply_error(k->resp, 400, "wrong_part_size",
                        "part %" PRId64 " is %" PRId64 " bytes, not %zu (each part is %" PRId64
                        " bytes but the last)",
                        *n, *len, k->req->body_len, PART_SIZE);
    return false;
  }
  return true;
}

bool cloud_me_part_upload_put_head(cloud_call *k) {
  json_t *row = my_upload(k, "open"), *sent = NULL;
  int64_t n, len;
  bool ok = row && part_of(k, row, &n, &len);
  if (ok) {
    sent = cloud_db_row(k->c->db,
                        "SELECT sends FROM part_upload_parts WHERE tenant = ? AND id = ? AND part "
                        "= ?",
                        "tti", k->tenant, k->id, n);
    if (!sent && cloud_db_failed(k->c->db)) {
      cloud_api_db_error(k->resp, "reading the upload");
      ok = false;
    } else if (cloud_row_int(sent, "sends") >= PART_SENDS_MAX) {
      sr_http_reply_error(k->resp, 429, "too_many_sends",
                          "part %" PRId64 " was stored %d times already; start the upload again", n,
                          PART_SENDS_MAX);
      ok = false;
    }
  }
  json_decref(sent);
  json_decref(row);
  return ok;
}

static void drop_done(void *arg) {
  parts_work *w = arg;
  if (w->status != SR_OK && w->status != SR_ERR_NOT_FOUND)
    sr_log(SR_LOG_WARN, "uploads", "tenant %s upload %s part %" PRId64 ": not deleted: %s",
           w->tenant, w->id, w->part, w->err);
  parts_work_free(w);
}

/* Part w->part is stored (it was counted as sent before it was). If its
 * upload ended meanwhile, the sweep deletes it with the others; if the
 * sweep has forgotten the upload already, it is deleted here. */
static void put_done(void *arg) {
  parts_work *w = arg;
  sr_http_response resp = {0};
  if (w->status == SR_OK) {
    json_t *row =
        cloud_db_row(w->c->db, "SELECT state FROM part_uploads WHERE tenant = ? AND id = ?", "tt",
                     w->tenant, w->id);
    bool failed = !row && cloud_db_failed(w->c->db);
    const char *state = row ? cloud_row_text(row, "state") : "";
    if (failed || strcmp(state, "open") == 0) {
      /* a database failure here changes nothing stored: the part stands */
      sr_http_reply_json(&resp, 200,
                         json_pack("{s:s, s:I}", "id", w->id, "part", (json_int_t)w->part));
    } else {
      sr_http_reply_error(&resp, 409, "not_open", "upload %.64s ended while this part was sent",
                          w->id);
    }
    json_decref(row);
    if (!row && !failed) {
      sr_http_finish(w->x, &resp);
      if (w->fd >= 0)
        close(w->fd);
      w->fd = -1;
      w->x = NULL;
      w->op = PARTS_DROP_ONE;
      if (!w->c->pool || sr_worker_pool_submit(w->c->pool, run_parts_op, drop_done, w) != SR_OK) {
        sr_log(SR_LOG_WARN, "uploads", "tenant %s upload %s part %" PRId64 ": left stored",
               w->tenant, w->id, w->part);
        parts_work_free(w);
      }
      return;
    }
  } else {
    sr_log(SR_LOG_ERROR, "uploads", "tenant %s upload %s part %" PRId64 ": not stored: %s",
           w->tenant, w->id, w->part, w->err);
    resp.retry_after = 5;
    sr_http_reply_error(&resp, 503, "storage_unavailable",
                        "the cloud's storage failed; send this part again shortly");
  }
  sr_http_finish(w->x, &resp);
  parts_work_free(w);
}

/* Part `n` of the caller's upload k->id counted as sent, before it is
 * stored: in one statement, only while the upload is open and the part
 * was stored fewer than PART_SENDS_MAX times, so parts sent at once
 * cannot all pass one check, and a cancel meanwhile counts them as sent.
 * False with the answer in k->resp. */
static bool count_send(cloud_call *k, int64_t n) {
  int counted = cloud_db_run(
      k->c->db,
      "INSERT INTO part_upload_parts(tenant, id, part, sends) SELECT ?1, "
      "?2, ?3, 1 WHERE EXISTS (SELECT 1 FROM part_uploads WHERE tenant = "
      "?1 AND id = ?2 AND state = 'open') ON CONFLICT(tenant, id, part) DO "
      "UPDATE SET sends = part_upload_parts.sends + 1 WHERE part_upload_parts.sends < ?4",
      "ttii", k->tenant, k->id, n, (int64_t)PART_SENDS_MAX);
  if (counted < 0) {
    cloud_api_db_error(k->resp, "counting the part");
  } else if (counted == 0) {
    json_t *row = my_upload(k, "open"); /* answers 404 or 409 if it ended */
    if (row)
      sr_http_reply_error(k->resp, 429, "too_many_sends",
                          "part %" PRId64 " was sent %d times already; start the upload again", n,
                          PART_SENDS_MAX);
    json_decref(row);
  }
  return counted == 1;
}

void cloud_me_part_upload_put(cloud_call *k) {
  json_t *row = my_upload(k, "open");
  int64_t n, len;
  char why[256], file_id[2 * SR_JF_FILE_ID_LEN + 1];
  int fd = sr_http_take_body_file(k->req);
  parts_work *w = NULL;
  if (fd < 0)
    sr_http_reply_error(k->resp, 400, "invalid", "send the part as application/octet-stream");
  else if (!row || !part_of(k, row, &n, &len))
    ;
  /* the first part holds the header: a wrong file is refused now, not at
   * the end */
  else if (n == 0 && !cloud_upload_file_id(fd, (size_t)len, file_id, k->resp))
    ;
  else if (lseek(fd, 0, SEEK_SET) != 0)
    sr_http_reply_error(k->resp, 500, "io", "rewinding the part failed");
  else if (!count_send(k, n))
    ;
  else if (!(w = parts_work_new(k->c, PARTS_PUT, row, why, sizeof why)))
    sr_http_reply_error(k->resp, 503, "no_storage", "%s", why);
  if (w) {
    w->part = n;
    w->fd = fd;
    fd = -1;
    start_parts_op(k, w, put_done);
  }
  if (fd >= 0)
    close(fd);
  json_decref(row);
}

/* The claim of a join is given up: the upload can be completed again
 * (after the missing part is sent). */
static void reopen(parts_work *w) { cloud_part_upload_settled(w->c, w->tenant, w->id, false); }

static void join_done(void *arg) {
  parts_work *w = arg;
  cloud *c = w->c;
  sr_http_response resp = {0};
  struct stat st;
  char file_id[2 * SR_JF_FILE_ID_LEN + 1];
  if (w->status == SR_ERR_NOT_FOUND) {
    reopen(w);
    sr_http_reply_json(
        &resp, 409,
        json_pack("{s:{s:s, s:s}, s:I}", "error", "code", "part_missing", "message",
                  "a part of this upload was not received; send it, then complete again", "missing",
                  (json_int_t)w->part));
  } else if (w->status != SR_OK) {
    sr_log(SR_LOG_ERROR, "uploads", "tenant %s upload %s: parts not joined: %s", w->tenant, w->id,
           w->err);
    reopen(w);
    resp.retry_after = 5;
    sr_http_reply_error(&resp, 503, "storage_unavailable",
                        "the cloud's storage failed; complete the upload again shortly");
  } else if (fstat(w->fd, &st) != 0 || st.st_size != w->size) {
    /* a part replaced by one of another length behind the cloud's back */
    reopen(w);
    sr_http_reply_error(&resp, 409, "wrong_size",
                        "the parts stored add up to %lld bytes, not the %" PRId64 " declared",
                        (long long)st.st_size, w->size);
  } else if (!cloud_upload_file_id(w->fd, (size_t)w->size, file_id, &resp)) {
    reopen(w);
  } else {
    /* from here the job is uploads.c's: it settles the upload, done once
     * the job is recorded (the sweep then deletes the parts), open again
     * if storing or recording failed */
    int fd = w->fd;
    w->fd = -1;
    cloud_upload_take(c, w->x, w->tenant, w->owner, w->id, w->region, fd, w->size, w->day, file_id,
                      true);
    parts_work_free(w);
    return;
  }
  sr_http_finish(w->x, &resp);
  parts_work_free(w);
}

void cloud_part_upload_settled(cloud *c, const char *tenant, const char *id, bool taken) {
  if (cloud_db_run(c->db,
                   taken ? "UPDATE part_uploads SET state = 'done', swept_at = NULL WHERE tenant "
                           "= ? AND id = ? AND state = 'joining'"
                         : "UPDATE part_uploads SET state = 'open' WHERE tenant = ? AND id = ? "
                           "AND state = 'joining'",
                   "tt", tenant, id) < 0)
    sr_log(SR_LOG_ERROR, "uploads", "tenant %s upload %s: not marked %s (the sweep ends it)",
           tenant, id, taken ? "done" : "open");
}

void cloud_me_part_upload_complete(cloud_call *k) {
  cloud *c = k->c;
  json_t *row = my_upload(k, "open");
  char why[256];
  parts_work *w = NULL;
  int64_t count, bytes, missing;
  if (!row)
    return;
  /* a part not stored yet is known from the database, before any is read */
  if (!stored_parts(c, k->tenant, k->id, cloud_row_int(row, "size"), cloud_row_int(row, "parts"),
                    &count, &bytes, &missing)) {
    cloud_api_db_error(k->resp, "reading the upload");
    json_decref(row);
    return;
  }
  if (count < cloud_row_int(row, "parts")) {
    sr_http_reply_json(
        k->resp, 409,
        json_pack("{s:{s:s, s:s}, s:I}", "error", "code", "part_missing", "message",
                  "a part of this upload was not received; send it, then complete again", "missing",
                  (json_int_t)missing));
    json_decref(row);
    return;
  }
  /* one instance joins: the claim is the database's, not a check in C */
  int claimed = cloud_db_run(c->db,
                             "UPDATE part_uploads SET state = 'joining', swept_at = ? WHERE "
                             "tenant = ? AND id = ? AND owner = ? AND state = 'open'",
                             "ittt", (int64_t)time(NULL), k->tenant, k->id, k->user);
  if (claimed < 0)
    cloud_api_db_error(k->resp, "completing the upload");
  else if (claimed == 0)
    sr_http_reply_error(k->resp, 409, "not_open", "upload %.64s is being completed", k->id);
  else if (!(w = parts_work_new(c, PARTS_JOIN, row, why, sizeof why)))
    sr_http_reply_error(k->resp, 503, "no_storage", "%s", why);
  else if ((w->fd = sr_temp_file(cloud_copies_spool_dir(c))) < 0)
    sr_http_reply_error(k->resp, 500, "io", "no room to join the upload's parts");
  if (claimed == 1 && (!w || w->fd < 0)) {
    if (w)
      reopen(w);
    else
      cloud_db_run(c->db, "UPDATE part_uploads SET state = 'open' WHERE tenant = ? AND id = ?",
                   "tt", k->tenant, k->id);
  }
  if (w && w->fd >= 0)
    start_parts_op(k, w, join_done);
  else
    free(w);
  json_decref(row);
}

void cloud_me_part_upload_remove(cloud_call *k) {
  cloud *c = k->c;
  json_t *row = my_upload(k, "open");
  if (!row)
    return;
  int n = cloud_db_run(c->db,
                       "UPDATE part_uploads SET state = 'dropped', swept_at = NULL WHERE tenant = "
                       "? AND id = ? AND state = 'open'",
                       "tt", k->tenant, k->id);
  if (n < 0) {
    cloud_api_db_error(k->resp, "cancelling the upload");
  } else if (n == 0) {
    sr_http_reply_error(k->resp, 409, "not_open", "upload %.64s is being completed", k->id);
  } else {
    give_back_unsent(c, row);
    sr_log(SR_LOG_INFO, "uploads", "tenant %s upload %s: cancelled", k->tenant, k->id);
    sr_http_reply_json(k->resp, 204, NULL);
  }
  json_decref(row);
}

/* ---- the sweep ---- */

static void remove_done(void *arg) {
  parts_work *w = arg;
  if (w->status == SR_OK &&
      cloud_db_run(w->c->db, "DELETE FROM part_upload_parts WHERE tenant = ? AND id = ?", "tt",
                   w->tenant, w->id) >= 0)
    cloud_db_run(w->c->db,
                 "DELETE FROM part_uploads WHERE tenant = ? AND id = ? AND state IN ('done', "
                 "'dropped')",
                 "tt", w->tenant, w->id);
  else if (w->status != SR_OK)
    sr_log(SR_LOG_WARN, "uploads", "tenant %s upload %s: parts not deleted yet (tried again): %s",
           w->tenant, w->id, w->err);
  parts_work_free(w);
}

void cloud_part_uploads_sweep(cloud *c) {
  int64_t now = time(NULL);
  /* unfinished past the deadline, or a join whose instance went away */
  json_t *stale =
      cloud_db_rows(c->db,
                    "SELECT tenant, id, owner, size, parts, day FROM part_uploads WHERE "
                    "(state = 'open' AND created_at < ?) OR (state = 'joining' AND "
                    "swept_at < ?) LIMIT 64",
                    "ii", now - PART_UPLOAD_TTL, now - PART_UPLOAD_TTL);
  size_t i;
  json_t *row;
  json_array_foreach(stale, i, row) {
    const char *tenant = cloud_row_text(row, "tenant"), *id = cloud_row_text(row, "id");
    if (cloud_db_run(c->db,
                     "UPDATE part_uploads SET state = 'dropped', swept_at = NULL WHERE tenant = ? "
                     "AND id = ? AND ((state = 'open' AND created_at < ?) OR (state = 'joining' "
                     "AND swept_at < ?))",
                     "ttii", tenant, id, now - PART_UPLOAD_TTL, now - PART_UPLOAD_TTL) != 1)
      continue;
    give_back_unsent(c, row);
    sr_log(SR_LOG_WARN, "uploads", "tenant %s upload %s: not completed in time; dropped", tenant,
           id);
  }
  json_decref(stale);

  json_t *ended = cloud_db_rows(c->db,
                                "SELECT * FROM part_uploads WHERE state IN ('done', 'dropped') "
                                "AND (swept_at IS NULL OR swept_at < ?) LIMIT ?",
                                "ii", now - PART_SWEEP_AGAIN, (int64_t)PART_SWEEP_BATCH);
  json_array_foreach(ended, i, row) {
    char why[256];
    const char *tenant = cloud_row_text(row, "tenant"), *id = cloud_row_text(row, "id");
    parts_work *w = c->pool ? parts_work_new(c, PARTS_REMOVE, row, why, sizeof why) : NULL;
    if (!w ||
        cloud_db_run(c->db, "UPDATE part_uploads SET swept_at = ? WHERE tenant = ? AND id = ?",
                     "itt", now, tenant, id) != 1 ||
        sr_worker_pool_submit(c->pool, run_parts_op, remove_done, w) != SR_OK) {
      free(w);
      continue;
    }
  }
  json_decref(ended);
}
