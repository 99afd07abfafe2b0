#include "scout_store.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "idhash.h"
#include "idp_chain.h"
#include "job_info.h"
#include "jobfile_stream.h"
#include "log.h"
#include "page_count.h"
#include "storage_client.h"

int scout_store_document(void *ctx, scout_job *job, int fd, char *reason, size_t reason_size) {
  scout_store *store = ctx;
  char why[256];
  job->pages = sr_page_count(fd, job->format, why, sizeof why);
  if (job->pages < 0)
    sr_log(SR_LOG_INFO, "store", "job %d: page count unknown: %s", job->id, why);
  if (lseek(fd, 0, SEEK_SET) != 0) {
    snprintf(reason, reason_size, "cannot rewind the document");
    return SR_ERR_IO;
  }

  sr_job_info info;
  sr_job_info_init(&info);
  snprintf(info.title, sizeof info.title, "%s", job->name);
  snprintf(info.document_format, sizeof info.document_format, "%s", job->format);
  info.pages = job->pages;
  info.size = job->size;
  info.copies = job->copies;
  snprintf(info.sides, sizeof info.sides, "%s", job->sides);
  snprintf(info.color_mode, sizeof info.color_mode, "%s", job->color_mode);
  snprintf(info.owner, sizeof info.owner, "%s", store->owner);
  snprintf(info.login, sizeof info.login, "%s", job->user);
  info.submitted_at = job->created;
  snprintf(info.pin_hash, sizeof info.pin_hash, "%s", job->pin_hash);
  char *json = NULL;
  if (sr_job_info_to_json(&info, &json) != SR_OK) {
    snprintf(reason, reason_size, "the job's title is not valid UTF-8");
    return SR_ERR_INVALID;
  }

  unsigned char id[16];
  if (RAND_bytes(id, sizeof id) != 1) {
    free(json);
    snprintf(reason, reason_size, "no randomness for a job file name");
    return SR_ERR_NOMEM;
  }
  int n = snprintf(job->store_key, sizeof job->store_key, "jobs/");
  for (size_t i = 0; i < sizeof id; i++)
    n += snprintf(job->store_key + n, sizeof job->store_key - (size_t)n, "%02x", id[i]);
  snprintf(job->store_key + n, sizeof job->store_key - (size_t)n, ".srjob");

  sr_jobfile_source *source = NULL;
  int status = sr_jobfile_source_new(store->key, NULL, json, sr_fd_read, &fd, &source);
  free(json);
  if (status == SR_OK)
    status = sr_store_put(store->storage, job->store_key, sr_jobfile_source_read, source, reason,
                          reason_size);
  else
    snprintf(reason, reason_size, "cannot start the job file: %s", sr_status_name(status));
  sr_jobfile_source_free(source);
  if (status == SR_OK)
    sr_log(SR_LOG_INFO, "store", "job %d held: %lld bytes, %lld pages, %s", job->id,
           (long long)job->size, (long long)job->pages, job->store_key);
  return status;
}

void scout_store_held(void *ctx, const scout_job *job) {
  scout_store *store = ctx;
  (void)job; /* the announcer finds it among the held jobs not announced yet */
  if (store->cloud && store->announce_soon)
    store->announce_soon(store->announce_soon_ctx);
}

int scout_store_hash_pin(void *ctx, const unsigned char digest[32], char out[65]) {
  scout_store *store = ctx;
  return sr_job_pin_hash_hex(store->key, digest, out);
}

void scout_job_uuid(const scout_job *job, char out[64]) {
  const char *name = strrchr(job->store_key, '/');
  snprintf(out, 64, "%.*s", (int)strcspn(name ? name + 1 : job->store_key, "."),
           name ? name + 1 : job->store_key);
}

/* A job's expiry sidecar: "jobs/<uuid>.expiry" beside "jobs/<uuid>.srjob",
 * the Unix time in decimal. Not secret (no more than the file's own
 * timestamps say), and not trusted beyond this workstation: the cloud
 * expires the job at its own time whatever the sidecar says. */
typedef struct text_source {
  const char *text;
  size_t left;
} text_source;

static int64_t text_read(void *ctx, void *buf, size_t len) {
  text_source *t = ctx;
  size_t n = len < t->left ? len : t->left;
  memcpy(buf, t->text, n);
  t->text += n;
  t->left -= n;
  return (int64_t)n;
}

typedef struct text_sink {
  char text[32];
  size_t used;
} text_sink;

static int text_write(void *ctx, const void *buf, size_t len) {
  text_sink *t = ctx;
  if (len >= sizeof t->text - t->used)
    return SR_ERR_INVALID; /* no expiry is this long */
  memcpy(t->text + t->used, buf, len);
  t->used += len;
  t->text[t->used] = '\0';
  return SR_OK;
}

void scout_store_save_expiry(scout_store *store, const scout_job *job, time_t when) {
  char key[96], text[32], err[512];
  text_source source = {text, (size_t)snprintf(text, sizeof text, "%lld\n", (long long)when)};
  if (sr_job_expiry_key(job->store_key, key) &&
      sr_store_put(store->storage, key, text_read, &source, err, sizeof err) != SR_OK)
    sr_log(SR_LOG_WARN, "store",
           "job %d: its expiry could not be saved beside it (%s); after a restart the scout's "
           "own hold time applies until the cloud answers again",
           job->id, err);
}

void scout_store_drop_expiry(scout_store *store, const scout_job *job) {
  sr_store_remove_job_expiry(store->storage, job->store_key);
}

/* The expiry saved beside job file `store_key`, or 0. */
static time_t load_expiry(sr_instance *storage, const char *store_key) {
  char key[96], err[512], *end;
  text_sink sink = {.used = 0};
  sr_storage_stat st;
  if (!sr_job_expiry_key(store_key, key) ||
      sr_store_stat(storage, key, &st, err, sizeof err) != SR_OK ||
      sr_store_get(storage, key, text_write, &sink, err, sizeof err) != SR_OK)
    return 0;
  long long when = strtoll(sink.text, &end, 10);
  return end != sink.text && when > 0 ? (time_t)when : 0;
}

/* When the cloud's answer to an announcement says the job expires, on our
 * clock (its `expires_in`, since the two clocks may differ); 0 if it does
 * not say. A job that has ended at the cloud (expired, deleted, printed
 * elsewhere) expires here now: it can never be released again. */
static time_t answered_expiry(const json_t *reply) {
  const char *state = json_string_value(json_object_get(reply, "state"));
  json_t *in = json_object_get(reply, "expires_in");
  time_t now = time(NULL);
  if (state && (strcmp(state, "expired") == 0 || strcmp(state, "deleted") == 0 ||
                strcmp(state, "printed") == 0))
    return now;
  return json_is_integer(in) ? now + (time_t)json_integer_value(in) : 0;
}

int scout_store_announce(scout_store *store, const scout_job *job, time_t *expires) {
  *expires = 0;
  if (!store->cloud)
    return SR_ERR_UNSUPPORTED;
  char uuid[64], err[512];
  scout_job_uuid(job, uuid);
  json_t *body = json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:I, s:I}", "id", uuid, "title",
                           job->name, "copies", (json_int_t)job->copies, "sides", job->sides,
                           "color", job->color_mode, "format", job->format, "size",
                           (json_int_t)job->size, "submitted_at", (json_int_t)job->created);
  json_object_set_new(body, "pages", job->pages >= 0 ? json_integer(job->pages) : json_null());
  json_object_set_new(body, "sequence", json_integer(job->id)); /* orders one second's jobs */
  if (job->pin_hash[0]) /* released only with its PIN: the cloud gets the keyed hash */
    json_object_set_new(body, "pin_hash", json_string(job->pin_hash));
  if (store->n_idps) { /* the workstation login names the owner */
    sr_identity who;
    int found = sr_idp_lookup(store->idps, store->n_idps, job->user, &who, err, sizeof err);
    if (found != SR_OK || !who.email) {
      sr_log(SR_LOG_WARN, "store", "job %d: login '%.64s' has no directory entry with an email%s%s",
             job->id, job->user, found == SR_ERR_CONNECT ? ": " : "",
             found == SR_ERR_CONNECT ? err : "");
      if (found == SR_OK)
        sr_identity_clear(&who);
      json_decref(body);
      return found == SR_OK ? SR_ERR_NOT_FOUND : found;
    }
    json_object_set_new(body, "owner_email", json_string(who.email));
    sr_identity_clear(&who);
  }
  int http = 0;
  json_t *reply = NULL;
  int status = sr_cloud_call(store->cloud, "POST", "/api/v1/scout/jobs", body, NULL, &http, &reply,
                             err, sizeof err);
  bool refused = status == SR_OK && http != 200 && http != 201;
  if (refused)
    status = SR_ERR_PEER;
  if (status != SR_OK)
    sr_log(SR_LOG_WARN, "store", "job %d not announced to the cloud yet: %s", job->id,
           refused ? sr_cloud_error_message(reply, "refused") : err);
  else {
    *expires = answered_expiry(reply);
    if (store->announced)
      store->announced(store->announced_ctx, uuid, reply);
  }
  json_decref(reply);
  json_decref(body);
  return status;
}

void scout_store_discard(void *ctx, const scout_job *job) {
  scout_store *store = ctx;
  char err[512];
  if (job->store_key[0] &&
      sr_store_remove_job_files(store->storage, job->store_key, err, sizeof err) != SR_OK)
    sr_log(SR_LOG_WARN, "store", "job %d: %s", job->id, err);
  if (store->cloud && job->store_key[0]) {
    char uuid[64], path[128];
    int http = 0;
    json_t *reply = NULL;
    scout_job_uuid(job, uuid);
    snprintf(path, sizeof path, "/api/v1/scout/jobs/%s", uuid);
    if (sr_cloud_call(store->cloud, "DELETE", path, NULL, NULL, &http, &reply, err, sizeof err) !=
        SR_OK)
      sr_log(SR_LOG_WARN, "store", "job %d deleted here, not yet in the cloud: %s", job->id, err);
    json_decref(reply);
  }
}

typedef struct recovery {
  scout_store *store;
  scout_job_table *jobs;
  int count;
} recovery;

static int recover_one(void *ctx, const char *key) {
  recovery *r = ctx;
  char err[512], why[256], *info_json = NULL;
  sr_job_info info;
  const char *dot = strrchr(key, '.');
  if (dot && strcmp(dot, ".expiry") == 0) {
    /* read with its job file; one left without it (a stop between the
     * two removals) goes */
    char file[96];
    sr_storage_stat st;
    if (snprintf(file, sizeof file, "%.*s.srjob", (int)(dot - key), key) < (int)sizeof file &&
        sr_store_stat(r->store->storage, file, &st, err, sizeof err) != SR_OK)
      sr_store_remove_job_expiry(r->store->storage, file);
    return SR_OK;
  }
  int fd = memfd_create("sr-recover", MFD_CLOEXEC);
  if (fd < 0)
    return SR_OK;
  int status =
      sr_jobfile_load(r->store->storage, key, r->store->key, fd, &info_json, err, sizeof err);
  close(fd); /* only the information is needed; the document stays encrypted */
  if (status == SR_OK && sr_job_info_from_json(info_json, &info, why, sizeof why) == SR_OK) {
    scout_job job = {.state = SCOUT_JOB_HELD,
                     .copies = info.copies,
                     .size = info.size,
                     .pages = info.pages,
                     .created = (time_t)info.submitted_at};
    snprintf(job.name, sizeof job.name, "%s", info.title);
    /* the login that printed it owns it; files from before logins were
     * recorded name only the registered user */
    snprintf(job.user, sizeof job.user, "%s", info.login[0] ? info.login : info.owner);
    snprintf(job.format, sizeof job.format, "%s", info.document_format);
    snprintf(job.sides, sizeof job.sides, "%s", info.sides);
    snprintf(job.color_mode, sizeof job.color_mode, "%s", info.color_mode);
    snprintf(job.store_key, sizeof job.store_key, "%s", key);
    snprintf(job.pin_hash, sizeof job.pin_hash, "%s", info.pin_hash);
    job.expires = load_expiry(r->store->storage, key);
    scout_job added;
    if (scout_job_add(r->jobs, &job, &added) == SR_OK)
      r->count++;
  } else {
    sr_log(SR_LOG_WARN, "store", "%s not recovered: %s", key, status == SR_OK ? why : err);
  }
  free(info_json);
  return SR_OK;
}

int scout_store_recover(scout_store *store, scout_job_table *jobs) {
  recovery r = {store, jobs, 0};
  char err[512];
  if (sr_store_list(store->storage, "jobs/", recover_one, &r, err, sizeof err) != SR_OK)
    sr_log(SR_LOG_WARN, "store", "cannot list the job store: %s", err);
  if (r.count)
    sr_log(SR_LOG_INFO, "store", "%d held job(s) recovered from the job store", r.count);
  return r.count;
}
