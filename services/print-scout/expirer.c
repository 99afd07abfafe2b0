#include "expirer.h"

#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "scout_store.h"
#include "sr/abi.h"
#include "storage_client.h"
#include "worker_pool.h"

#define CHECK_EVERY 1.0  /* seconds between two looks at the table */
#define BATCH_MAX 256    /* jobs one look expires; the rest at the next */
#define REMOVALS_MAX 512 /* removals waiting for the worker */

struct scout_expirer {
  struct ev_loop *loop;
  scout_job_table *jobs; /* borrowed */
  sr_instance *storage;  /* borrowed */
  int64_t hold_time;
  sr_worker_pool *pool; /* removes files; owned */
  ev_timer check;
};

/* An expired job's file, removed on the worker; made on the loop, freed by
 * removal_done. */
typedef struct removal {
  scout_expirer *expirer;
  int job_id;
  char store_key[96];
} removal;

static void removal_work(void *arg) {
  removal *rm = arg;
  char err[512];
  if (sr_store_remove_job_files(rm->expirer->storage, rm->store_key, err, sizeof err) != SR_OK)
    sr_log(SR_LOG_WARN, "expiry", "job %d expired, its file not deleted: %s", rm->job_id, err);
  else
    sr_log(SR_LOG_INFO, "expiry", "job %d expired: its file %s is deleted", rm->job_id,
           rm->store_key);
}

static void removal_done(void *arg) { free(arg); }

typedef struct due_filter {
  time_t now;
  int64_t hold_time;
} due_filter;

static bool is_due(const scout_job *job, void *ctx) {
  const due_filter *f = ctx;
  return job->state == SCOUT_JOB_HELD && scout_job_expiry(job, f->hold_time) <= f->now;
}

static void on_check(struct ev_loop *loop, ev_timer *w, int revents) {
  (void)loop, (void)revents;
  scout_expirer *e = w->data;
  scout_job due[32];
  due_filter f = {time(NULL), e->hold_time};
  size_t n, done = 0;
  /* a few at a time: each listed job leaves `held` below, so the next
   * listing finds the ones after it */
  while (done < BATCH_MAX && (n = scout_job_list(e->jobs, is_due, &f, due, 32)) > 0) {
    for (size_t i = 0; i < n; i++, done++) {
      scout_job job = due[i];
      job.state = SCOUT_JOB_EXPIRED;
      job.completed = f.now;
      snprintf(job.reason, sizeof job.reason, "Not released within its hold time.");
      /* expired first: no release can start on it while its file goes */
      if (!scout_job_transition(e->jobs, &job, SCOUT_JOB_HELD))
        continue; /* released or deleted meanwhile */
      removal *rm = calloc(1, sizeof *rm);
      if (rm) {
        *rm = (removal){.expirer = e, .job_id = job.id};
        snprintf(rm->store_key, sizeof rm->store_key, "%s", job.store_key);
      }
      if (!rm || sr_worker_pool_submit(e->pool, removal_work, removal_done, rm) != SR_OK) {
        sr_log(SR_LOG_WARN, "expiry",
               "job %d expired; its file %s stays until the scout restarts (too busy to delete "
               "it now), when it expires again",
               job.id, job.store_key);
        free(rm);
      }
    }
  }
}

scout_expirer *scout_expirer_new(struct ev_loop *loop, scout_job_table *jobs, sr_instance *storage,
                                 int64_t hold_time) {
  scout_expirer *e = calloc(1, sizeof *e);
  if (!e)
    return NULL;
  *e = (scout_expirer){.loop = loop, .jobs = jobs, .storage = storage, .hold_time = hold_time};
  e->pool = sr_worker_pool_new(loop, 1, REMOVALS_MAX);
  if (!e->pool) {
    free(e);
    return NULL;
  }
  ev_timer_init(&e->check, on_check, 0., CHECK_EVERY); /* the first look at once */
  e->check.data = e;
  ev_timer_start(loop, &e->check);
  return e;
}

void scout_expirer_free(scout_expirer *e) {
  if (!e)
    return;
  ev_timer_stop(e->loop, &e->check);
  sr_worker_pool_free(e->pool);
  free(e);
}
