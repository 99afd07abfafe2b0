#include "copy_uploader.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jobfile_stream.h"
#include "log.h"
#include "scout_store.h"
#include "storage_client.h"
#include "temp_file.h"

#define JOBS_MAX 256        /* jobs one pass looks at */
#define RETRY_FIRST 15.0    /* seconds after the first failure */
#define RETRY_LONGEST 600.0 /* the backoff stops doubling here */

typedef enum copy_mode { MODE_OFF, MODE_IMMEDIATE, MODE_DEFERRED } copy_mode;

/* A job the cloud knows (it answered its announcement). */
typedef struct entry {
  char uuid[64];
  bool stored;   /* the cloud has its copy */
  bool given_up; /* the cloud will not take it (too large, not held there) */
} entry;

struct scout_copy_uploader {
  sr_instance *storage;   /* borrowed */
  scout_job_table *jobs;  /* borrowed */
  sr_cloud_client *cloud; /* owned: uploads have their own connection */
  pthread_t thread;
  pthread_mutex_t lock; /* guards what follows */
  pthread_cond_t wake;
  bool woken;
  /* scout_copy_uploader_flush: asked counts requests, done the ones a
   * whole pass has served; `flushed` is signalled after such a pass */
  unsigned flush_asked, flush_done;
  pthread_cond_t flushed;
  atomic_bool stopping; /* also read by an upload in progress */
  copy_mode mode;
  int64_t copy_after; /* seconds, with MODE_DEFERRED */
  entry *entries;
  size_t n_entries, cap_entries;
  double backoff;  /* the next wait after a failure */
  time_t retry_at; /* no upload before this, after a failure */
  unsigned seed;   /* jitter */
};

/* ---- what the cloud told us ---- */

static entry *find_entry(scout_copy_uploader *u, const char *uuid) {
  for (size_t i = 0; i < u->n_entries; i++)
    if (strcmp(u->entries[i].uuid, uuid) == 0)
      return &u->entries[i];
  return NULL;
}

static entry *add_entry(scout_copy_uploader *u, const char *uuid) {
  entry *e = find_entry(u, uuid);
  if (e)
    return e;
  if (u->n_entries == u->cap_entries) {
    size_t cap = u->cap_entries ? 2 * u->cap_entries : 64;
    entry *grown = realloc(u->entries, cap * sizeof *grown);
    if (!grown)
      return NULL;
    u->entries = grown;
    u->cap_entries = cap;
  }
  e = &u->entries[u->n_entries++];
  memset(e, 0, sizeof *e);
  snprintf(e->uuid, sizeof e->uuid, "%s", uuid);
  return e;
}

void scout_copy_uploader_announced(void *uploader, const char *uuid, const json_t *reply) {
  scout_copy_uploader *u = uploader;
  const char *mode = json_string_value(json_object_get(reply, "cloud_copy"));
  json_t *after = json_object_get(reply, "copy_after");
  pthread_mutex_lock(&u->lock);
  if (mode) /* an older cloud says nothing: keep what we knew */
    u->mode = strcmp(mode, "immediate") == 0  ? MODE_IMMEDIATE
              : strcmp(mode, "deferred") == 0 ? MODE_DEFERRED
                                              : MODE_OFF;
  if (json_is_integer(after) && json_integer_value(after) >= 0)
    u->copy_after = json_integer_value(after);
  entry *e = add_entry(u, uuid);
  if (e && json_is_true(json_object_get(reply, "copy_stored")))
    e->stored = true;
  u->woken = true;
  pthread_cond_signal(&u->wake);
  pthread_mutex_unlock(&u->lock);
}

/* ---- one upload (on the uploader's thread, without the lock) ---- */

typedef enum outcome { UP_STORED, UP_GIVE_UP, UP_OFF, UP_RETRY } outcome;

/* Reads the job file from the store into an unlinked file (ciphertext
 * only: the store keeps nothing else) and sends it. */
static outcome upload_one(scout_copy_uploader *u, const scout_job *job, const char *uuid, char *why,
                          size_t why_size) {
  int fd = sr_temp_file(NULL);
  if (fd < 0) {
    snprintf(why, why_size, "cannot make a temporary file: %s", strerror(errno));
    return UP_RETRY;
  }
  int status = sr_store_get(u->storage, job->store_key, sr_fd_write, &fd, why, why_size);
  if (status != SR_OK) {
    close(fd);
    return status == SR_ERR_NOT_FOUND ? UP_GIVE_UP : UP_RETRY; /* deleted meanwhile */
  }
  off_t size = lseek(fd, 0, SEEK_CUR);
  if (size < 0 || lseek(fd, 0, SEEK_SET) != 0) {
    close(fd);
    snprintf(why, why_size, "cannot read the job file back");
    return UP_RETRY;
  }
  char path[160];
  snprintf(path, sizeof path, "/api/v1/scout/jobs/%s/copy", uuid);
  int http = 0;
  json_t *reply = NULL;
  status = sr_cloud_upload(u->cloud, "PUT", path, fd, (size_t)size, &u->stopping, &http, &reply,
                           why, why_size);
  close(fd);
  const char *code = json_string_value(json_object_get(json_object_get(reply, "error"), "code"));
  outcome result = UP_RETRY;
  if (status != SR_OK)
    ; /* not reached, or stopped: `why` says which */
  else if (http == 201)
    result = UP_STORED;
  else if (http == 409 && code && strcmp(code, "cloud_copy_off") == 0)
    result = UP_OFF;
  else if (http == 404 || http == 409 || http == 413 || http == 400 || http == 403)
    result = UP_GIVE_UP; /* the job ended there, or the cloud will never take this file */
  if (status == SR_OK && result != UP_STORED)
    snprintf(why, why_size, "the cloud answered %d: %s", http,
             sr_cloud_error_message(reply, "no reason given"));
  json_decref(reply);
  return result;
}

/* ---- the thread ---- */

static bool live(const scout_job *job, void *ctx) {
  (void)ctx;
  return job->state == SCOUT_JOB_HELD || job->state == SCOUT_JOB_RELEASING;
}

/* Forgets the jobs that are no longer held or releasing. */
static void prune(scout_copy_uploader *u, const scout_job *list, size_t n) {
  for (size_t i = 0; i < u->n_entries;) {
    bool found = false;
    for (size_t j = 0; j < n && !found; j++) {
      char uuid[64];
      scout_job_uuid(&list[j], uuid);
      found = strcmp(uuid, u->entries[i].uuid) == 0;
    }
    if (found)
      i++;
    else
      u->entries[i] = u->entries[--u->n_entries];
  }
}

/* Applies an upload's outcome; true if the pass may go on. */
static bool record(scout_copy_uploader *u, const scout_job *job, const char *uuid, outcome o,
                   const char *why) {
  entry *e = find_entry(u, uuid); /* again: the array may have moved */
  time_t now = time(NULL);
  switch (o) {
  case UP_STORED:
    if (e)
      e->stored = true;
    u->backoff = RETRY_FIRST;
    sr_log(SR_LOG_INFO, "copy", "job %d: cloud copy uploaded", job->id);
    return true;
  case UP_GIVE_UP:
    if (e)
      e->given_up = true;
    sr_log(SR_LOG_WARN, "copy", "job %d: no cloud copy: %s", job->id, why);
    return true;
  case UP_OFF:
    u->mode = MODE_OFF; /* until an announcement says otherwise */
    sr_log(SR_LOG_INFO, "copy", "the tenant keeps no cloud copies now");
    return false;
  case UP_RETRY: break;
  }
  /* each wait varied by a quarter, so that many workstations do not retry
   * in step after the cloud comes back */
  double wait = u->backoff * (0.75 + 0.5 * ((double)rand_r(&u->seed) / RAND_MAX));
  u->retry_at = now + (time_t)(wait + 0.5);
  u->backoff = u->backoff * 2 < RETRY_LONGEST ? u->backoff * 2 : RETRY_LONGEST;
  if (!atomic_load(&u->stopping))
    sr_log(SR_LOG_WARN, "copy", "job %d: cloud copy not uploaded yet (%s); retrying in %.0f s",
           job->id, why, wait);
  return false;
}

/* Uploads what is due (everything not uploaded yet when `all`: the
 * computer is about to sleep); returns the seconds until something else is
 * due (-1: nothing; wait to be woken). Called with the lock held. */
static double pass(scout_copy_uploader *u, scout_job *list, bool all) {
  size_t n = scout_job_list(u->jobs, live, NULL, list, JOBS_MAX);
  prune(u, list, n);
  double next = -1;
  for (size_t i = 0; i < n && u->mode != MODE_OFF && !atomic_load(&u->stopping); i++) {
    char uuid[64];
    scout_job_uuid(&list[i], uuid);
    entry *e = find_entry(u, uuid);
    if (list[i].state != SCOUT_JOB_HELD || !e || e->stored || e->given_up)
      continue; /* not announced yet (its answer wakes us), or done */
    time_t now = time(NULL);
    time_t due = u->mode == MODE_DEFERRED && !all ? list[i].created + u->copy_after : 0;
    if (due < u->retry_at && !all)
      due = u->retry_at;
    if (due > now) {
      if (next < 0 || (double)(due - now) < next)
        next = (double)(due - now);
      continue;
    }
    char why[1024] = "";
    pthread_mutex_unlock(&u->lock);
    outcome o = upload_one(u, &list[i], uuid, why, sizeof why);
    pthread_mutex_lock(&u->lock);
    if (!record(u, &list[i], uuid, o, why)) {
      if (o == UP_RETRY)
        next = (double)(u->retry_at - time(NULL));
      break;
    }
  }
  return next;
}

static void *uploader_main(void *arg) {
  scout_copy_uploader *u = arg;
  scout_job *list = malloc(JOBS_MAX * sizeof *list);
  pthread_mutex_lock(&u->lock);
  while (list && !atomic_load(&u->stopping)) {
    u->woken = false;
    unsigned asked = u->flush_asked;
    double next = pass(u, list, asked != u->flush_done);
    if (asked != u->flush_done) {
      u->flush_done = asked;
      pthread_cond_broadcast(&u->flushed);
    }
    if (atomic_load(&u->stopping) || u->woken)
      continue;
    if (next < 0) {
      pthread_cond_wait(&u->wake, &u->lock);
    } else {
      struct timespec until;
      clock_gettime(CLOCK_REALTIME, &until);
      until.tv_sec += (time_t)(next < 1 ? 1 : next);
      pthread_cond_timedwait(&u->wake, &u->lock, &until);
    }
  }
  pthread_mutex_unlock(&u->lock);
  if (!list)
    sr_log(SR_LOG_ERROR, "copy", "out of memory: no cloud copies will be uploaded");
  free(list);
  return NULL;
}

bool scout_copy_uploader_flush(scout_copy_uploader *u, double timeout_s) {
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += (time_t)timeout_s;
  until.tv_nsec += (long)((timeout_s - (double)(time_t)timeout_s) * 1e9);
  if (until.tv_nsec >= 1000000000L) {
    until.tv_sec++;
    until.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&u->lock);
  unsigned want = ++u->flush_asked;
  u->woken = true;
  pthread_cond_signal(&u->wake);
  while ((int)(u->flush_done - want) < 0 && !atomic_load(&u->stopping))
    if (pthread_cond_timedwait(&u->flushed, &u->lock, &until) != 0)
      break; /* out of time: the caller lets the computer go on */
  bool done = (int)(u->flush_done - want) >= 0;
  pthread_mutex_unlock(&u->lock);
  return done;
}

scout_copy_uploader *scout_copy_uploader_new(sr_instance *storage, scout_job_table *jobs,
                                             sr_cloud_client *cloud) {
  scout_copy_uploader *u = calloc(1, sizeof *u);
  if (!u)
    return NULL;
  u->storage = storage;
  u->jobs = jobs;
  u->cloud = cloud;
  u->mode = MODE_OFF;
  u->backoff = RETRY_FIRST;
  u->seed = (unsigned)time(NULL) ^ (unsigned)getpid();
  atomic_init(&u->stopping, false);
  pthread_mutex_init(&u->lock, NULL);
  pthread_cond_init(&u->wake, NULL);
  pthread_cond_init(&u->flushed, NULL);
  if (pthread_create(&u->thread, NULL, uploader_main, u) != 0) {
    pthread_cond_destroy(&u->flushed);
    pthread_cond_destroy(&u->wake);
    pthread_mutex_destroy(&u->lock);
    free(u);
    return NULL;
  }
  return u;
}

void scout_copy_uploader_free(scout_copy_uploader *u) {
  if (!u)
    return;
  pthread_mutex_lock(&u->lock);
  atomic_store(&u->stopping, true);
  pthread_cond_signal(&u->wake);
  pthread_cond_broadcast(&u->flushed);
  pthread_mutex_unlock(&u->lock);
  pthread_join(u->thread, NULL);
  sr_cloud_client_free(u->cloud);
  pthread_cond_destroy(&u->flushed);
  pthread_cond_destroy(&u->wake);
  pthread_mutex_destroy(&u->lock);
  free(u->entries);
  free(u);
}
