#include "worker_pool.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "sr/abi.h"

#define MAX_THREADS 64

typedef struct item {
  sr_work_fn work;
  sr_done_fn done;
  void *arg; /* the submitter's */
  struct item *next;
} item;

/* A FIFO of items, linked through `next`. */
typedef struct queue {
  item *head, *tail;
} queue;

struct sr_worker_pool {
  struct ev_loop *loop;
  ev_async finished_signal; /* workers -> loop: `finished` has items */
  pthread_t threads[MAX_THREADS];
  size_t n_threads;
  size_t max_queued;
  pthread_mutex_t lock; /* guards everything below */
  pthread_cond_t wake;  /* workers wait here for work or stopping */
  queue waiting;        /* submitted, not started */
  size_t n_waiting;
  queue finished; /* work done, `done` not yet called */
  bool stopping;
  size_t pending; /* loop thread only: submitted, done not called */
};

static void push(queue *q, item *it) {
  it->next = NULL;
  if (q->tail)
    q->tail->next = it;
  else
    q->head = it;
  q->tail = it;
}

static item *pop(queue *q) {
  item *it = q->head;
  if (it && !(q->head = it->next))
    q->tail = NULL;
  return it;
}

static void *worker(void *arg) {
  sr_worker_pool *pool = arg;
  pthread_mutex_lock(&pool->lock);
  for (;;) {
    item *it = pop(&pool->waiting);
    if (!it) {
      if (pool->stopping)
        break;
      pthread_cond_wait(&pool->wake, &pool->lock);
      continue;
    }
    pool->n_waiting--;
    pthread_mutex_unlock(&pool->lock);
    it->work(it->arg);
    pthread_mutex_lock(&pool->lock);
    push(&pool->finished, it);
    /* ev_async_send is the one libev call that is safe from other threads */
    ev_async_send(pool->loop, &pool->finished_signal);
  }
  pthread_mutex_unlock(&pool->lock);
  return NULL;
}

/* Calls `done` of every finished item, in the order they finished. */
static void deliver(sr_worker_pool *pool) {
  pthread_mutex_lock(&pool->lock);
  queue ready = pool->finished;
  pool->finished = (queue){0};
  pthread_mutex_unlock(&pool->lock);
  for (item *it; (it = pop(&ready));) {
    it->done(it->arg);
    free(it);
    /* the last in flight: the loop may end again when nothing else runs */
    if (--pool->pending == 0)
      ev_unref(pool->loop);
  }
}

static void on_finished(struct ev_loop *loop, ev_async *w, int revents) {
  (void)loop, (void)revents;
  deliver(w->data);
}

sr_worker_pool *sr_worker_pool_new(struct ev_loop *loop, size_t threads, size_t max_queued) {
  if (!loop || threads == 0 || threads > MAX_THREADS)
    return NULL;
  sr_worker_pool *pool = calloc(1, sizeof *pool);
  if (!pool)
    return NULL;
  pool->loop = loop;
  pool->max_queued = max_queued;
  pthread_mutex_init(&pool->lock, NULL);
  pthread_cond_init(&pool->wake, NULL);
  ev_async_init(&pool->finished_signal, on_finished);
  pool->finished_signal.data = pool;
  ev_async_start(loop, &pool->finished_signal);
  /* an idle pool does not keep the loop alive; submit() refs it while
   * work is in flight so a loop that waits for a result keeps running */
  ev_unref(loop);
  for (; pool->n_threads < threads; pool->n_threads++)
    if (pthread_create(&pool->threads[pool->n_threads], NULL, worker, pool) != 0) {
      sr_worker_pool_free(pool);
      return NULL;
    }
  return pool;
}

int sr_worker_pool_submit(sr_worker_pool *pool, sr_work_fn work, sr_done_fn done, void *arg) {
  item *it = malloc(sizeof *it);
  if (!it)
    return SR_ERR_NOMEM;
  *it = (item){.work = work, .done = done, .arg = arg};
  pthread_mutex_lock(&pool->lock);
  /* stopping: no worker would take it (a `done` run by sr_worker_pool_free) */
  bool full = pool->stopping || pool->n_waiting >= pool->max_queued;
  if (!full) {
    push(&pool->waiting, it);
    pool->n_waiting++;
    pthread_cond_signal(&pool->wake);
  }
  pthread_mutex_unlock(&pool->lock);
  if (full) {
    free(it);
    return SR_ERR_NOMEM;
  }
  if (pool->pending++ == 0)
    ev_ref(pool->loop); /* undone in deliver() when the last is done */
  return SR_OK;
}

size_t sr_worker_pool_pending(const sr_worker_pool *pool) { return pool->pending; }

void sr_worker_pool_free(sr_worker_pool *pool) {
  if (!pool)
    return;
  pthread_mutex_lock(&pool->lock);
  pool->stopping = true; /* workers finish what is queued, then leave */
  pthread_cond_broadcast(&pool->wake);
  pthread_mutex_unlock(&pool->lock);
  for (size_t i = 0; i < pool->n_threads; i++)
    pthread_join(pool->threads[i], NULL);
  deliver(pool);
  ev_ref(pool->loop); /* what new() took off */
  ev_async_stop(pool->loop, &pool->finished_signal);
  pthread_mutex_destroy(&pool->lock);
  pthread_cond_destroy(&pool->wake);
  free(pool);
}
