#include "job_table.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sr/abi.h"

#define MAX_JOBS 10000 /* the oldest finished jobs are forgotten past this */

struct scout_job_table {
  pthread_mutex_t lock;
  scout_job *jobs; /* ordered by id */
  size_t count, cap;
  int next_id;
};

scout_job_table *scout_job_table_new(void) {
  scout_job_table *t = calloc(1, sizeof *t);
  if (!t)
    return NULL;
  pthread_mutex_init(&t->lock, NULL);
  t->next_id = 1;
  return t;
}

void scout_job_table_free(scout_job_table *t) {
  if (!t)
    return;
  pthread_mutex_destroy(&t->lock);
  free(t->jobs);
  free(t);
}

bool scout_job_is_finished(const scout_job *job) { return job->state >= SCOUT_JOB_PRINTED; }

/* Drops the oldest finished job to make room; false if none is finished. */
static bool forget_oldest_finished(scout_job_table *t) {
  for (size_t i = 0; i < t->count; i++) {
    if (scout_job_is_finished(&t->jobs[i])) {
      memmove(&t->jobs[i], &t->jobs[i + 1], (t->count - i - 1) * sizeof *t->jobs);
      t->count--;
      return true;
    }
  }
  return false;
}

/* Unfinished jobs of `user`; the caller holds the lock. */
static int count_unfinished_of(const scout_job_table *t, const char *user) {
  int n = 0;
  for (size_t i = 0; i < t->count; i++)
    if (!scout_job_is_finished(&t->jobs[i]) && strcmp(t->jobs[i].user, user) == 0)
      n++;
  return n;
}

int scout_job_add(scout_job_table *t, const scout_job *job, scout_job *out) {
  return scout_job_add_for_user(t, job, 0, out);
}

int scout_job_add_for_user(scout_job_table *t, const scout_job *job, int max_per_user,
                           scout_job *out) {
  int status = SR_OK;
  pthread_mutex_lock(&t->lock);
  if (max_per_user > 0 && count_unfinished_of(t, job->user) >= max_per_user)
    status = SR_ERR_EXISTS;
  else if (t->count >= MAX_JOBS && !forget_oldest_finished(t)) {
    status = SR_ERR_NOMEM;
  } else if (t->count == t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 64;
    scout_job *grown = realloc(t->jobs, cap * sizeof *grown);
    if (grown) {
      t->jobs = grown;
      t->cap = cap;
    } else {
      status = SR_ERR_NOMEM;
    }
  }
  if (status == SR_OK) {
    scout_job *j = &t->jobs[t->count++];
    *j = *job;
    j->id = t->next_id++;
    *out = *j;
  }
  pthread_mutex_unlock(&t->lock);
  return status;
}

static scout_job *find(scout_job_table *t, int id) {
  size_t lo = 0, hi = t->count;
  while (lo < hi) { /* ids only grow: binary search */
    size_t mid = (lo + hi) / 2;
    if (t->jobs[mid].id < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < t->count && t->jobs[lo].id == id ? &t->jobs[lo] : NULL;
}

bool scout_job_begin_receiving(scout_job_table *t, int id) {
  pthread_mutex_lock(&t->lock);
  scout_job *j = find(t, id);
  bool ok = j && j->state == SCOUT_JOB_INCOMING && !j->receiving;
  if (ok)
    j->receiving = true;
  pthread_mutex_unlock(&t->lock);
  return ok;
}

int scout_job_expire_incoming(scout_job_table *t, time_t before) {
  int n = 0;
  time_t now = time(NULL);
  pthread_mutex_lock(&t->lock);
  for (size_t i = 0; i < t->count; i++) {
    scout_job *j = &t->jobs[i];
    if (j->state == SCOUT_JOB_INCOMING && !j->receiving && j->created < before) {
      j->state = SCOUT_JOB_EXPIRED;
      j->completed = now;
      snprintf(j->reason, sizeof j->reason, "No document came in time.");
      n++;
    }
  }
  pthread_mutex_unlock(&t->lock);
  return n;
}

bool scout_job_get(scout_job_table *t, int id, scout_job *out) {
  pthread_mutex_lock(&t->lock);
  scout_job *j = find(t, id);
  if (j)
    *out = *j;
  pthread_mutex_unlock(&t->lock);
  return j != NULL;
}

bool scout_job_transition(scout_job_table *t, const scout_job *job, scout_job_state from) {
  pthread_mutex_lock(&t->lock);
  scout_job *j = find(t, job->id);
  bool ok = j && j->state == (int)from;
  if (ok) {
    bool announced = j->announced;
    time_t expires = j->expires;
    *j = *job;
    j->announced = announced;
    j->expires = expires;
  }
  pthread_mutex_unlock(&t->lock);
  return ok;
}

void scout_job_set_expiry(scout_job_table *t, int id, time_t expires) {
  pthread_mutex_lock(&t->lock);
  scout_job *j = find(t, id);
  if (j)
    j->expires = expires;
  pthread_mutex_unlock(&t->lock);
}

time_t scout_job_expiry(const scout_job *job, int64_t hold_time) {
  return job->expires ? job->expires : job->created + (time_t)hold_time;
}

void scout_job_mark_announced(scout_job_table *t, int id) {
  pthread_mutex_lock(&t->lock);
  scout_job *j = find(t, id);
  if (j)
    j->announced = true;
  pthread_mutex_unlock(&t->lock);
}

size_t scout_job_list(scout_job_table *t, bool (*filter)(const scout_job *, void *), void *ctx,
                      scout_job *out, size_t max) {
  size_t n = 0;
  pthread_mutex_lock(&t->lock);
  for (size_t i = t->count; i > 0 && n < max; i--)
    if (!filter || filter(&t->jobs[i - 1], ctx))
      out[n++] = t->jobs[i - 1];
  pthread_mutex_unlock(&t->lock);
  return n;
}

void scout_job_forget(scout_job_table *t, int id) {
  pthread_mutex_lock(&t->lock);
  scout_job *j = find(t, id);
  if (j) {
    size_t i = (size_t)(j - t->jobs);
    memmove(&t->jobs[i], &t->jobs[i + 1], (t->count - i - 1) * sizeof *t->jobs);
    t->count--;
  }
  pthread_mutex_unlock(&t->lock);
}

bool scout_job_find_uuid(scout_job_table *t, const char *uuid, scout_job *out) {
  char name[80];
  snprintf(name, sizeof name, "%s.srjob", uuid);
  bool found = false;
  pthread_mutex_lock(&t->lock);
  for (size_t i = 0; i < t->count && !found; i++) {
    const char *slash = strrchr(t->jobs[i].store_key, '/');
    if (slash && strcmp(slash + 1, name) == 0) {
      *out = t->jobs[i];
      found = true;
    }
  }
  pthread_mutex_unlock(&t->lock);
  return found;
}

/* Counts the jobs `state` is -1 for (not finished) or that are in it. */
static int count_jobs(scout_job_table *t, int state) {
  int n = 0;
  pthread_mutex_lock(&t->lock);
  for (size_t i = 0; i < t->count; i++)
    if (state < 0 ? !scout_job_is_finished(&t->jobs[i]) : t->jobs[i].state == state)
      n++;
  pthread_mutex_unlock(&t->lock);
  return n;
}

int scout_job_count_active(scout_job_table *t) { return count_jobs(t, -1); }

int scout_job_count_state(scout_job_table *t, int state) { return count_jobs(t, state); }
