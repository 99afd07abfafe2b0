#include "announcer.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#include "log.h"
#include "sr/abi.h"
#include "worker_pool.h"

#define BATCH_MAX 256       /* held jobs one batch looks at */
#define RETRY_LONGEST 300.0 /* the backoff stops doubling here */

struct scout_announcer {
  struct ev_loop *loop;
  scout_store *store;    /* borrowed */
  scout_job_table *jobs; /* borrowed */
  sr_worker_pool *pool;  /* one thread: batches run one at a time; owned */
  ev_timer retry;
  ev_async soon;        /* scout_announcer_soon, from the queue's threads */
  double retry_first;   /* the delay of the first retry after a failure */
  double backoff;       /* the delay of the next retry */
  bool running;         /* a batch is on the pool */
  bool again_all;       /* a reconnect came while it ran: announce everything again */
  bool again_new;       /* a job became held while it ran, maybe after it listed them */
  atomic_bool stopping; /* read by the batch between jobs */
};

/* One batch, made on the loop; the worker alone touches it until
 * announce_done frees it. */
typedef struct batch {
  scout_announcer *announcer;
  bool all;         /* every held job, else only those not announced yet */
  bool fresh;       /* started for new jobs: failing does not lengthen the backoff */
  size_t announced; /* result: how many went through */
  size_t left;      /* result: held jobs still not announced */
} batch;

static bool to_announce(const scout_job *job, void *all) {
  return job->state == SCOUT_JOB_HELD && (*(const bool *)all || !job->announced);
}

/* The cloud said when `job` expires: into the table, and beside its file
 * when it moved (a re-announcement after each reconnect answers the same
 * time, give or take the second it took). A job that left `held` while
 * its sidecar was written (printed, deleted, expired: its files may be
 * gone already) loses the sidecar again, so none is left behind; one
 * whose release fails gets it back at the next announcement. */
static void keep_expiry(scout_announcer *a, const scout_job *job, time_t expires) {
  scout_job now;
  scout_job_set_expiry(a->jobs, job->id, expires);
  if (expires <= job->expires + 2 && expires >= job->expires - 2)
    return;
  scout_store_save_expiry(a->store, job, expires);
  if (!scout_job_get(a->jobs, job->id, &now) || now.state != SCOUT_JOB_HELD)
    scout_store_drop_expiry(a->store, job);
}

/* On the announcer's thread: blocks on the directory and the cloud. */
static void announce_work(void *arg) {
  batch *b = arg;
  scout_announcer *a = b->announcer;
  scout_job *held = malloc(BATCH_MAX * sizeof *held);
  if (!held) {
    b->left = 1; /* try again later */
    return;
  }
  size_t n = scout_job_list(a->jobs, to_announce, &b->all, held, BATCH_MAX);
  for (size_t i = 0; i < n && !atomic_load(&a->stopping); i++) {
    scout_job now;
    if (!scout_job_get(a->jobs, held[i].id, &now) || now.state != SCOUT_JOB_HELD)
      continue; /* released or deleted since it was listed */
    time_t expires = 0;
    int status = scout_store_announce(a->store, &held[i], &expires);
    if (status == SR_OK) {
      if (expires)
        keep_expiry(a, &held[i], expires);
      scout_job_mark_announced(a->jobs, held[i].id);
      b->announced++;
    } else if (status == SR_ERR_CONNECT || status == SR_ERR_TIMEOUT) {
      break; /* the cloud or the directory is out of reach: the next job would wait as long */
    }
  }
  bool only_unannounced = false;
  b->left = scout_job_list(a->jobs, to_announce, &only_unannounced, held, BATCH_MAX);
  free(held);
}

/* Arms the retry timer with the current backoff. */
static void retry_later(scout_announcer *a) {
  ev_timer_stop(a->loop, &a->retry);
  ev_timer_set(&a->retry, a->backoff, 0.);
  ev_timer_start(a->loop, &a->retry);
  sr_log(SR_LOG_INFO, "announce", "held jobs not announced to the cloud yet: retrying in %.0f s",
         a->backoff);
}

static void announce_done(void *arg);

static void start_batch(scout_announcer *a, bool all, bool fresh) {
  batch *b = calloc(1, sizeof *b);
  if (b) {
    *b = (batch){.announcer = a, .all = all, .fresh = fresh};
    if (sr_worker_pool_submit(a->pool, announce_work, announce_done, b) == SR_OK) {
      a->running = true;
      a->again_new = false;
      ev_timer_stop(a->loop, &a->retry); /* the batch's end re-arms it if needed */
      return;
    }
    free(b);
  }
  retry_later(a);
}

/* On the loop, after a batch. */
static void announce_done(void *arg) {
  batch *b = arg;
  scout_announcer *a = b->announcer;
  a->running = false;
  if (b->announced)
    sr_log(SR_LOG_INFO, "announce", "%zu held job(s) announced to the cloud", b->announced);
  if (atomic_load(&a->stopping)) {
    /* scout_announcer_free: nothing more */
  } else if (a->again_all) {
    a->again_all = false;
    start_batch(a, true, false);
  } else if (a->again_new) {
    start_batch(a, false, true);
  } else if (b->left) {
    retry_later(a);
    /* each retry that fails waits longer; new jobs failing do not count */
    if (!b->fresh)
      a->backoff = a->backoff * 2 < RETRY_LONGEST ? a->backoff * 2 : RETRY_LONGEST;
  } else {
    a->backoff = a->retry_first; /* all announced: the next failure starts afresh */
  }
  free(b);
}

static void on_retry(struct ev_loop *loop, ev_timer *w, int revents) {
  (void)loop, (void)revents;
  scout_announcer *a = w->data;
  if (!a->running)
    start_batch(a, false, false);
}

/* New held jobs: announced now, one batch at a time (each gives up at the
 * first job the cloud does not answer, so a hung cloud costs one call per
 * batch, never one per job). */
static void on_soon(struct ev_loop *loop, ev_async *w, int revents) {
  (void)loop, (void)revents;
  scout_announcer *a = w->data;
  if (a->running)
    a->again_new = true;
  else
    start_batch(a, false, true);
}

scout_announcer *scout_announcer_new(struct ev_loop *loop, scout_store *store,
                                     scout_job_table *jobs, double retry_first) {
  scout_announcer *a = calloc(1, sizeof *a);
  if (!a)
    return NULL;
  *a = (scout_announcer){.loop = loop,
                         .store = store,
                         .jobs = jobs,
                         .retry_first = retry_first,
                         .backoff = retry_first};
  atomic_init(&a->stopping, false);
  a->pool = sr_worker_pool_new(loop, 1, 1);
  if (!a->pool) {
    free(a);
    return NULL;
  }
  ev_timer_init(&a->retry, on_retry, 0., 0.);
  a->retry.data = a;
  ev_async_init(&a->soon, on_soon);
  a->soon.data = a;
  ev_async_start(loop, &a->soon);
  return a;
}

void scout_announcer_all(scout_announcer *a) {
  if (a->running)
    a->again_all = true;
  else
    start_batch(a, true, false);
}

void scout_announcer_soon(void *announcer) {
  scout_announcer *a = announcer;
  ev_async_send(a->loop, &a->soon); /* the one libev call safe from other threads */
}

void scout_announcer_free(scout_announcer *a) {
  if (!a)
    return;
  atomic_store(&a->stopping, true);
  sr_worker_pool_free(a->pool); /* first: its batch uses the store and the table */
  ev_timer_stop(a->loop, &a->retry);
  ev_async_stop(a->loop, &a->soon);
  free(a);
}
