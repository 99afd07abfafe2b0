/*
 * Cloud copies of job files (tenant setting `cloud_copy`). A print scout
 * uploads a held job's file as it is on the workstation: encrypted with the
 * site key, which the cloud never has, so the cloud stores and serves
 * ciphertext only. The body is spooled by the HTTP server to an unlinked
 * file (never held in memory), checked to be a job file (its header, no
 * key needed) of a job of the caller's, then put into a storage instance
 * (the cloud's `storage:` plugins) on the worker pool: storage calls may
 * block (S3), so they never run on the loop. The copy is deleted when its
 * job ends (printed, deleted, expired), by cloud_copy_discard and, for
 * what that could not delete, by a sweep. The job file's random file id
 * (its header) is recorded at upload and checked when the copy is served:
 * a storage that swapped two jobs' copies (both decrypt under the site
 * key) would otherwise have a deliverer print another user's document.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cloud.h"
#include "db.h"
#include "jobfile.h"
#include "jobfile_format.h"
#include "jobfile_stream.h"
#include "log.h"
#include "storage_client.h"
#include "temp_file.h"

#define MAX_STORES 32
#define SWEEP_SECONDS 10.0
#define SWEEP_BATCH 16 /* discards a sweep starts at most */

struct cloud_copies {
  sr_instance *stores[MAX_STORES];
  size_t n_stores;
  char spool_dir[1024]; /* unlinked files of uploads and downloads */
  ev_timer sweep;       /* deletes copies of ended jobs that are left */
  size_t discards;      /* in flight on the pool */
};

/* States in which a job may have a copy; any other means it ended. A web
 * upload is `checking` until a site service has looked inside. */
#define LIVE_STATES "('held', 'releasing', 'printing', 'checking')"
static bool job_live(const char *state) {
  return strcmp(state, "held") == 0 || strcmp(state, "releasing") == 0 ||
         strcmp(state, "printing") == 0 || strcmp(state, "checking") == 0;
}

int cloud_copies_init(cloud *c, char *err, size_t err_size) {
  struct cloud_copies *cp = calloc(1, sizeof *cp);
  if (!cp) {
    snprintf(err, err_size, "out of memory");
    return SR_ERR_NOMEM;
  }
  c->copies = cp;
  int status = sr_instances_create(c->loader, SR_PLUGIN_STORAGE, c->cfg.u.cloud.storage, cp->stores,
                                   MAX_STORES, &cp->n_stores, err, err_size);
  if (status != SR_OK)
    return status;
  /* spooled files stay beside the database: the service's own directory */
  char db_path[1024];
  sr_config_path(c->doc, c->cfg.u.cloud.database.path, db_path, sizeof db_path);
  char *slash = strrchr(db_path, '/');
  snprintf(cp->spool_dir, sizeof cp->spool_dir, "%.*s", slash ? (int)(slash - db_path) : 1,
           slash ? db_path : ".");
  if (!cp->spool_dir[0])
    snprintf(cp->spool_dir, sizeof cp->spool_dir, "/");
  return SR_OK;
}

const char *cloud_copies_spool_dir(cloud *c) { return c->copies->spool_dir; }

/* ---- where a copy lives ---- */

/* The storage instance named `name` (as recorded in jobs.copy_store). */
static sr_instance *store_named(cloud *c, const char *name);

/* The storage instance and key for the copy of `job` (its row) of
 * `tenant`: the job's region (jobs.region, fixed at announcement by
 * regions.c), its storage instance, and the key PREFIX + TENANT/JOB. A job
 * whose region is no longer declared goes to the first region. NULL (and
 * `why`) when the cloud has no storage; the region's name in `region`. */
static sr_instance *copy_location(cloud *c, const char *tenant, const json_t *job, char *key,
                                  size_t key_size, char region[64], char *why, size_t why_size) {
  const sr_cloud_config *cc = &c->cfg.u.cloud;
  const sr_region_config *r = cloud_region_named(c, cloud_row_text(job, "region"));
  if (!r && cc->n_regions)
    r = &cc->regions[0];
  sr_instance *store = r ? store_named(c, r->storage) : NULL;
  if (!store) {
    snprintf(why, why_size, "this cloud has no storage configured for copies");
    return NULL;
  }
  snprintf(region, 64, "%s", r->name);
  if (snprintf(key, key_size, "%s%s/%s", r->prefix ? r->prefix : "", tenant,
               cloud_row_text(job, "id")) >= (int)key_size) {
    snprintf(why, why_size, "the copy's key in region %s is too long", r->name);
    return NULL;
  }
  return store;
}

/* The storage instance named `name` (as recorded in jobs.copy_store). */
static sr_instance *store_named(cloud *c, const char *name) {
  for (size_t i = 0; i < c->copies->n_stores; i++)
    if (strcmp(c->copies->stores[i]->name, name) == 0)
      return c->copies->stores[i];
  return NULL;
}

/* ---- who may do what with a copy ---- */

/* The one place that decides who may touch job `job`'s copy (both rows
 * are of the same tenant: the job was looked up in the scout's tenant).
 * Writing (PUT, DELETE): only the origin, the print scout holding the
 * job (a web upload has none: nobody writes its copy through here).
 * Reading (GET): the origin, the deliverer (site service or a print scout
 * that serves others) that holds a release of this job now (failover,
 * releases.c), and the site service asked to check a web upload while it
 * checks it (uploads.c): no other scout has a reason to fetch it. */
static bool copy_allowed(cloud *c, const json_t *scout, const json_t *job, bool write) {
  const char *id = cloud_row_text(scout, "id");
  bool origin = *id && strcmp(id, cloud_row_text(job, "scout")) == 0;
  if (write)
    return origin;
  return origin ||
         cloud_release_holder(c, cloud_row_text(job, "tenant"), cloud_row_text(job, "id"), id) ||
         cloud_upload_checker(job, id);
}

/* The job of the {id} in the caller's tenant if the caller may touch its
 * copy; NULL with the answer (404, 403, 500) in k->resp. Caller decrefs. */
static json_t *job_for_copy(cloud_call *k, bool write) {
  const char *tenant = cloud_row_text(k->scout, "tenant");
  json_t *job =
      cloud_db_row(k->c->db, "SELECT * FROM jobs WHERE tenant = ? AND id = ?", "tt", tenant, k->id);
  if (!job && cloud_db_failed(k->c->db))
    cloud_api_db_error(k->resp, "reading the job");
  else if (!job)
    sr_http_reply_error(k->resp, 404, "not_found", "no job %.64s", k->id);
  else if (!copy_allowed(k->c, k->scout, job, write))
    sr_http_reply_error(k->resp, 403, "forbidden",
                        write ? "only the workstation holding job %.64s may change its copy"
                              : "this scout may not read the copy of job %.64s",
                        k->id);
  else
    return job;
  json_decref(job);
  return NULL;
}

/* ---- the work done on the pool ---- */

typedef enum copy_op { COPY_PUT, COPY_GET, COPY_REMOVE } copy_op;

typedef struct copy_work {
  cloud *c;
  sr_http_exchange *x; /* the request answered in `done`; NULL: a discard */
  copy_op op;
  sr_instance *store;
  char tenant[64], job[128], key[SR_STORAGE_KEY_MAX];
  char region[64]; /* PUT: the region the copy goes to */
  int fd;          /* PUT: the spooled body; GET: the file the copy is read into */
  char file_id[2 * SR_JF_FILE_ID_LEN + 1]; /* PUT: the body's; GET: the one uploaded */
  size_t size;
  int status;
  char err[1024];
} copy_work;

static void copy_work_free(copy_work *w) {
  if (w->fd >= 0)
    close(w->fd);
  free(w);
}

/* The file id in the header of the job file `fd` as hex; false if
 * unreadable. */
static bool read_file_id(int fd, char hex[2 * SR_JF_FILE_ID_LEN + 1]) {
  uint8_t id[SR_JF_FILE_ID_LEN], prefix[SR_JF_PREFIX_LEN];
  size_t off; /* the format version says where (v2: a browser's upload) */
  if (pread(fd, prefix, sizeof prefix, 0) != (ssize_t)sizeof prefix ||
      !(off = sr_jobfile_file_id_offset(prefix, sizeof prefix)) ||
      pread(fd, id, sizeof id, (off_t)off) != (ssize_t)sizeof id)
    return false;
  for (size_t i = 0; i < sizeof id; i++)
    snprintf(hex + 2 * i, 3, "%02x", id[i]);
  return true;
}

/* GET: the copy read from storage is the file uploaded for this job.
 * Copies stored before file ids were recorded have none to check. */
static void check_served_copy(copy_work *w) {
  char got[2 * SR_JF_FILE_ID_LEN + 1] = "";
  if (!w->file_id[0] || (read_file_id(w->fd, got) && strcmp(got, w->file_id) == 0))
    return;
  w->status = SR_ERR_CORRUPT;
  snprintf(w->err, sizeof w->err,
           "the copy in storage (key %s) is not the file uploaded for this job (file id %s, "
           "uploaded %s): refused",
           w->key, got[0] ? got : "unreadable", w->file_id);
}

static void run_copy_op(void *arg) {
  copy_work *w = arg;
  switch (w->op) {
  case COPY_PUT:
    w->status = sr_store_put(w->store, w->key, sr_fd_read, &w->fd, w->err, sizeof w->err);
    break;
  case COPY_GET:
    w->status = sr_store_get(w->store, w->key, sr_fd_write, &w->fd, w->err, sizeof w->err);
    if (w->status == SR_OK) {
      off_t end = lseek(w->fd, 0, SEEK_CUR);
      w->size = end > 0 ? (size_t)end : 0;
      if (lseek(w->fd, 0, SEEK_SET) != 0)
        w->status = SR_ERR_IO;
      else
        check_served_copy(w);
    }
    break;
  case COPY_REMOVE:
    w->status = sr_store_remove(w->store, w->key, w->err, sizeof w->err);
    if (w->status == SR_ERR_NOT_FOUND) /* already gone: what was wanted */
      w->status = SR_OK;
    break;
  }
}

/* Answers a storage failure: the store, not the caller, is at fault. */
static void reply_storage_error(sr_http_response *resp, const copy_work *w) {
  sr_log(SR_LOG_ERROR, "copies", "tenant %s job %s: %s", w->tenant, w->job, w->err);
  if (w->status == SR_ERR_NOT_FOUND)
    sr_http_reply_error(resp, 404, "not_found", "the copy of job %s is not in storage", w->job);
  else if (w->status == SR_ERR_CORRUPT)
    sr_http_reply_error(resp, 502, "copy_mismatch",
                        "the copy of job %s in storage is not the one uploaded for it; upload it "
                        "again from its workstation",
                        w->job);
  else
    sr_http_reply_error(resp, 503, "storage_unavailable",
                        "the cloud's storage failed; try again later");
}

/* Defers the answer of `k` and hands `w` to the pool. */
static void start_copy_op(cloud_call *k, copy_work *w, sr_done_fn done) {
  w->x = sr_http_defer(k->req);
  if (!w->x) {
    sr_http_reply_error(k->resp, 500, "no_memory", "out of memory");
    copy_work_free(w);
    return;
  }
  if (k->c->pool && sr_worker_pool_submit(k->c->pool, run_copy_op, done, w) == SR_OK)
    return;
  sr_http_response resp = {.retry_after = 5};
  sr_http_reply_error(&resp, 503, "busy", "the cloud is busy; try again shortly");
  sr_http_finish(w->x, &resp);
  copy_work_free(w);
}

static copy_work *copy_work_new(cloud *c, copy_op op, const char *tenant, const char *job) {
  copy_work *w = calloc(1, sizeof *w);
  if (!w)
    return NULL;
  w->c = c;
  w->op = op;
  w->fd = -1;
  snprintf(w->tenant, sizeof w->tenant, "%s", tenant);
  snprintf(w->job, sizeof w->job, "%s", job);
  return w;
}

/* ---- deleting copies of ended jobs ---- */

/* The copy `w` deleted is no longer recorded, unless a new upload has
 * replaced the record meanwhile. False if the database failed. */
static bool forget_copy(copy_work *w) {
  return cloud_db_run(w->c->db,
                      "UPDATE jobs SET copy_key = NULL, copy_store = NULL, copy_size = NULL, "
                      "copy_region = NULL, copy_file_id = NULL WHERE tenant = ? AND id = ? AND "
                      "copy_key = ?",
                      "ttt", w->tenant, w->job, w->key) >= 0;
}

static void discard_done(void *arg) {
  copy_work *w = arg;
  cloud *c = w->c;
  c->copies->discards--;
  if (w->status == SR_OK) {
    /* only if it is still the copy deleted (a new upload may have come) */
    forget_copy(w);
    sr_log(SR_LOG_INFO, "copies", "tenant %s job %s: cloud copy deleted", w->tenant, w->job);
  } else {
    sr_log(SR_LOG_WARN, "copies", "tenant %s job %s: cloud copy not deleted yet (retried): %s",
           w->tenant, w->job, w->err);
  }
  copy_work_free(w);
}

/* Starts deleting the copy described by `row` (tenant, id, copy_store,
 * copy_key). False if it could not start (the sweep tries again). */
static bool discard_row(cloud *c, const json_t *row) {
  sr_instance *store = store_named(c, cloud_row_text(row, "copy_store"));
  if (!store) {
    sr_log(SR_LOG_ERROR, "copies",
           "tenant %s job %s: its copy is in storage '%s', which is no longer configured",
           cloud_row_text(row, "tenant"), cloud_row_text(row, "id"),
           cloud_row_text(row, "copy_store"));
    return false;
  }
  copy_work *w =
      copy_work_new(c, COPY_REMOVE, cloud_row_text(row, "tenant"), cloud_row_text(row, "id"));
  if (!w)
    return false;
  w->store = store;
  snprintf(w->key, sizeof w->key, "%s", cloud_row_text(row, "copy_key"));
  if (!c->pool || sr_worker_pool_submit(c->pool, run_copy_op, discard_done, w) != SR_OK) {
    copy_work_free(w);
    return false;
  }
  c->copies->discards++;
  return true;
}

void cloud_copy_discard(cloud *c, const char *tenant, const char *job_id) {
  json_t *row = cloud_db_row(c->db,
                             "SELECT tenant, id, copy_store, copy_key FROM jobs WHERE tenant = ? "
                             "AND id = ? AND copy_key IS NOT NULL",
                             "tt", tenant, job_id);
  if (row)
    discard_row(c, row);
  json_decref(row);
}

/* Copies of jobs that ended and are still stored (a discard failed, or the
 * pool was full): deleted again, a batch at a time, when none is in flight. */
static void on_sweep(struct ev_loop *loop, ev_timer *t, int revents) {
  (void)loop, (void)revents;
  cloud *c = t->data;
  if (c->copies->discards)
    return;
  json_t *left = cloud_db_rows(c->db,
                               "SELECT tenant, id, copy_store, copy_key FROM jobs WHERE copy_key "
                               "IS NOT NULL AND state NOT IN " LIVE_STATES " LIMIT ?",
                               "i", (int64_t)SWEEP_BATCH);
  size_t i;
  json_t *row;
  json_array_foreach(left, i, row) {
    if (!discard_row(c, row))
      break;
  }
  json_decref(left);
}

void cloud_copies_start(cloud *c) {
  ev_timer_init(&c->copies->sweep, on_sweep, SWEEP_SECONDS, SWEEP_SECONDS);
  c->copies->sweep.data = c;
  ev_timer_start(c->loop, &c->copies->sweep);
}

/* ---- the endpoints ---- */

bool cloud_copy_head(cloud_call *k) {
  (void)k; /* a print scout: copy_max_size, the server's spool_max, bounds it */
  return true;
}

static void put_done(void *arg) {
  copy_work *w = arg;
  cloud *c = w->c;
  sr_http_response resp = {0};
  if (w->status != SR_OK) {
    reply_storage_error(&resp, w);
  } else {
    int n = cloud_db_run(c->db,
                         "UPDATE jobs SET copy_store = ?, copy_key = ?, copy_size = ?, "
                         "copy_region = ?, copy_file_id = ? WHERE tenant = ? AND id = ?",
                         "ttitttt", w->store->name, w->key, (int64_t)w->size, w->region, w->file_id,
                         w->tenant, w->job);
    if (n != 1) {
      cloud_api_db_error(&resp, "recording the copy");
    } else {
      sr_log(SR_LOG_INFO, "copies", "tenant %s job %s: cloud copy stored (%zu bytes, %s)",
             w->tenant, w->job, w->size, w->store->name);
      sr_http_reply_json(&resp, 201,
                         json_pack("{s:s, s:I}", "job", w->job, "size", (json_int_t)w->size));
    }
    /* the job may have ended while the copy was uploading */
    json_t *ended = cloud_db_row(c->db,
                                 "SELECT 1 AS ended FROM jobs WHERE tenant = ? AND id = ? AND "
                                 "state NOT IN " LIVE_STATES,
                                 "tt", w->tenant, w->job);
    if (ended)
      cloud_copy_discard(c, w->tenant, w->job);
    json_decref(ended);
  }
  sr_http_finish(w->x, &resp);
  copy_work_free(w);
}

/* True if `fd` starts with a job file header; else a 400 in resp. */
static bool looks_like_job_file(int fd, size_t len, sr_http_response *resp) {
  /* every version's file is longer than the longest header: its first
   * record follows */
  uint8_t head[SR_JF_MAX_HEADER_LEN];
  char why[160] = "the body is shorter than a job file's header";
  if (len >= sizeof head && pread(fd, head, sizeof head, 0) == (ssize_t)sizeof head &&
      sr_jobfile_header_check(head, sizeof head, why, sizeof why) == SR_OK)
    return true;
  sr_http_reply_error(resp, 400, "not_a_job_file", "the body is not a job file: %s", why);
  return false;
}

void cloud_scout_copy_put(cloud_call *k) {
  cloud *c = k->c;
  const char *tenant = cloud_row_text(k->scout, "tenant");
  char setting[32] = "off", why[160];
  json_t *job = job_for_copy(k, true);
  if (!job)
    return;
  int fd = sr_http_take_body_file(k->req);
  copy_work *w = NULL;
  if (fd < 0) /* no body at all */
    sr_http_reply_error(k->resp, 400, "not_a_job_file",
                        "send the job file as the body (application/octet-stream)");
  else if (!looks_like_job_file(fd, k->req->body_len, k->resp))
    ; /* answered */
  else if (!cloud_setting_text(c, tenant, "cloud_copy", setting, sizeof setting) ||
           strcmp(setting, "off") == 0)
    sr_http_reply_error(k->resp, 409, "cloud_copy_off",
                        "this tenant keeps no cloud copies (setting cloud_copy is off)");
  else if (!job_live(cloud_row_text(job, "state")))
    sr_http_reply_error(k->resp, 409, "job_ended", "job %.64s is %s; it needs no copy", k->id,
                        cloud_row_text(job, "state"));
  else if (!(w = copy_work_new(c, COPY_PUT, tenant, k->id)))
    sr_http_reply_error(k->resp, 500, "no_memory", "out of memory");
  else if (!(w->store = copy_location(c, tenant, job, w->key, sizeof w->key, w->region, why,
                                      sizeof why))) {
    sr_http_reply_error(k->resp, 503, "no_storage", "%s", why);
    copy_work_free(w);
  } else if (!read_file_id(fd, w->file_id)) {
    sr_http_reply_error(k->resp, 400, "not_a_job_file", "the body's header cannot be read");
    copy_work_free(w);
  } else {
    w->fd = fd;
    w->size = k->req->body_len;
    fd = -1;
    start_copy_op(k, w, put_done);
  }
  if (fd >= 0)
    close(fd);
  json_decref(job);
}

static void get_done(void *arg) {
  copy_work *w = arg;
  sr_http_response resp = {0};
  if (w->status != SR_OK) {
    reply_storage_error(&resp, w);
  } else {
    sr_http_reply_file(&resp, 200, w->fd, w->size);
    w->fd = -1; /* the server's now */
  }
  sr_http_finish(w->x, &resp);
  copy_work_free(w);
}

/* The work for an existing copy of the {id}'s job (GET, DELETE), with its
 * store and key; NULL with the answer in k->resp. */
static copy_work *existing_copy_work(cloud_call *k, copy_op op) {
  json_t *job = job_for_copy(k, op != COPY_GET);
  if (!job)
    return NULL;
  sr_instance *store = store_named(k->c, cloud_row_text(job, "copy_store"));
  copy_work *w = NULL;
  if (json_is_null(json_object_get(job, "copy_key")) || !store)
    sr_http_reply_error(k->resp, 404, "no_copy", "job %.64s has no cloud copy", k->id);
  else if (!(w = copy_work_new(k->c, op, cloud_row_text(job, "tenant"), k->id)))
    sr_http_reply_error(k->resp, 500, "no_memory", "out of memory");
  else {
    w->store = store;
    snprintf(w->key, sizeof w->key, "%s", cloud_row_text(job, "copy_key"));
    snprintf(w->file_id, sizeof w->file_id, "%s", cloud_row_text(job, "copy_file_id"));
  }
  json_decref(job);
  return w;
}

void cloud_scout_copy_get(cloud_call *k) {
  copy_work *w = existing_copy_work(k, COPY_GET);
  if (!w)
    return;
  const char *dir = k->c->copies->spool_dir;
  if ((w->fd = sr_temp_file(dir)) < 0) {
    sr_log(SR_LOG_ERROR, "copies", "cannot make a file in %s: %s", dir, strerror(errno));
    sr_http_reply_error(k->resp, 503, "busy", "the cloud cannot serve copies now; try again");
    copy_work_free(w);
    return;
  }
  start_copy_op(k, w, get_done);
}

static void remove_done(void *arg) {
  copy_work *w = arg;
  sr_http_response resp = {0};
  if (w->status != SR_OK) {
    reply_storage_error(&resp, w);
  } else if (!forget_copy(w)) {
    cloud_api_db_error(&resp, "recording the deletion");
  } else {
    resp.status = 204;
  }
  sr_http_finish(w->x, &resp);
  copy_work_free(w);
}

void cloud_scout_copy_remove(cloud_call *k) {
  copy_work *w = existing_copy_work(k, COPY_REMOVE);
  if (w)
    start_copy_op(k, w, remove_done);
}

void cloud_copies_free(cloud *c) {
  struct cloud_copies *cp = c->copies;
  if (!cp)
    return;
  if (ev_is_active(&cp->sweep))
    ev_timer_stop(c->loop, &cp->sweep);
  for (size_t i = 0; i < cp->n_stores; i++)
    sr_instance_destroy(cp->stores[i]);
  free(cp);
  c->copies = NULL;
}

/* ---- copies of web uploads (uploads.c): stored before any row exists ---- */

typedef struct store_work {
  copy_work w; /* first: run_copy_op's argument */
  cloud_copy_stored done;
  void *ctx;
} store_work;

static void store_done(void *arg) {
  store_work *s = arg;
  s->done(s->ctx, s->w.status, s->w.store->name, s->w.key, s->w.region,
          s->w.status == SR_OK ? "" : s->w.err);
  copy_work_free(&s->w);
}

bool cloud_copy_store(cloud *c, const char *tenant, const char *job_id, const char *region, int fd,
                      size_t size, cloud_copy_stored done, void *ctx, char *why, size_t why_size) {
  store_work *s = calloc(1, sizeof *s);
  json_t *where = json_pack("{s:s, s:s?}", "id", job_id, "region", region);
  bool ok = false;
  if (!s || !where) {
    snprintf(why, why_size, "out of memory");
  } else {
    s->w = (copy_work){.c = c, .op = COPY_PUT, .fd = fd, .size = size};
    snprintf(s->w.tenant, sizeof s->w.tenant, "%s", tenant);
    snprintf(s->w.job, sizeof s->w.job, "%s", job_id);
    s->done = done;
    s->ctx = ctx;
    fd = -1; /* s's now */
    s->w.store =
        copy_location(c, tenant, where, s->w.key, sizeof s->w.key, s->w.region, why, why_size);
    if (s->w.store && c->pool &&
        sr_worker_pool_submit(c->pool, run_copy_op, store_done, &s->w) == SR_OK)
      ok = true;
    else if (s->w.store)
      snprintf(why, why_size, "the cloud is busy; try again shortly");
  }
  if (!ok && s)
    copy_work_free(&s->w);
  else if (!ok)
    free(s);
  if (fd >= 0)
    close(fd);
  json_decref(where);
  return ok;
}

sr_instance *cloud_copy_place(cloud *c, const char *tenant, const char *name, const char *region,
                              char *key, size_t key_size, char *why, size_t why_size) {
  json_t *where = json_pack("{s:s, s:s}", "id", name, "region", region);
  char region_name[64];
  sr_instance *store = NULL;
  if (!where)
    snprintf(why, why_size, "out of memory");
  else
    store = copy_location(c, tenant, where, key, key_size, region_name, why, why_size);
  json_decref(where);
  return store;
}

void cloud_copy_forget_stored(cloud *c, const char *tenant, const char *job_id, const char *store,
                              const char *key) {
  json_t *row = json_pack("{s:s, s:s, s:s, s:s}", "tenant", tenant, "id", job_id, "copy_store",
                          store, "copy_key", key);
  if (!row || !discard_row(c, row))
    sr_log(SR_LOG_ERROR, "copies",
           "tenant %s job %s: its stored file (key %s) could not be deleted; delete it by hand",
           tenant, job_id, key);
  json_decref(row);
}
